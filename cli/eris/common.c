/*
 * common.c — shared by the eris subcommands: secret files, block sizes,
 * thread counts, and encoding one input (put and sum).
 */
#include "eris_cli.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "banned.h"

enum { READ_CHUNK = 1 << 20, PROGRESS_MIN = 32 << 20, PROGRESS_STEP = 64 << 20 };

int eris_cli_block_size(const struct cli_cmd *cmd, const char *arg, uint32_t *bs)
{
	if (!arg || strcmp(arg, "auto") == 0)
		*bs = 0;
	else if (strcmp(arg, "1KiB") == 0 || strcmp(arg, "1024") == 0 || strcmp(arg, "1k") == 0)
		*bs = ERIS_BLOCK_1K;
	else if (strcmp(arg, "32KiB") == 0 || strcmp(arg, "32768") == 0 || strcmp(arg, "32k") == 0)
		*bs = ERIS_BLOCK_32K;
	else
		return cli_fail(cmd, EXIT_USAGE, "block size \"%s\" is not 1KiB, 32KiB or auto", arg);
	return EXIT_OK;
}

int eris_cli_read_secret(const struct cli_cmd *cmd, const char *path,
			 uint8_t secret[ERIS_SECRET_SIZE])
{
	uint8_t buf[ERIS_SECRET_SIZE + 1];
	size_t got = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC), status = EXIT_OK;

	if (fd < 0)
		return cli_fail(cmd, EXIT_SYSTEM, "secret file \"%s\": %s", path, strerror(errno));
	for (;;) {
		ssize_t n = read(fd, buf + got, sizeof buf - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			status = cli_fail(cmd, EXIT_SYSTEM, "secret file \"%s\": %s", path,
					  strerror(errno));
			goto out;
		}
		if (n == 0 || (got += (size_t)n) == sizeof buf)
			break;
	}
	if (got != ERIS_SECRET_SIZE) {
		status = cli_fail(cmd, EXIT_USAGE,
				  "secret file \"%s\" must hold exactly 32 bytes, it holds %s%zu",
				  path, got > ERIS_SECRET_SIZE ? "more than " : "",
				  got > ERIS_SECRET_SIZE ? (size_t)ERIS_SECRET_SIZE : got);
		goto out;
	}
	memcpy(secret, buf, ERIS_SECRET_SIZE);
out:
	sodium_memzero(buf, sizeof buf);
	close(fd);
	return status;
}

int eris_cli_threads(const struct cli_cmd *cmd, const char *arg, int *threads)
{
	uint64_t n = 0;

	if (arg) {
		if (cli_parse_u64(arg, &n) != 0 || n < 1 || n > 64)
			return cli_fail(cmd, EXIT_USAGE, "threads \"%s\" is not a number from 1 to 64",
					arg);
		*threads = (int)n;
		return EXIT_OK;
	}
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	*threads = cpus < 1 ? 1 : cpus > 8 ? 8 : (int)cpus;
	return EXIT_OK;
}

/* read() that retries on EINTR and fills as much of buf as it can. */
static ssize_t read_full(int fd, uint8_t *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = read(fd, buf + got, len - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

int eris_cli_encode_file(const struct cli_cmd *cmd, const char *path, uint32_t bs,
			 const uint8_t *secret, int threads, store *s)
{
	int is_stdin = strcmp(path, "-") == 0;
	int fd = is_stdin ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
	uint8_t *buf = NULL;
	eris_encoder *enc = NULL;
	eris_error err = {0};
	eris_cap cap;
	char urn[ERIS_URN_LEN + 1];
	struct stat st;
	uint64_t size = 0, next_report = PROGRESS_STEP;
	int known = 0, progress, status = EXIT_OK, rc;
	ssize_t n;

	if (fd < 0)
		return cli_fail(cmd, EXIT_SYSTEM, "%s: %s", path, strerror(errno));
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
		size = (uint64_t)st.st_size;
		known = 1;
	} else if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		status = cli_fail(cmd, EXIT_USAGE, "%s: is a directory", path);
		goto out;
	}
	buf = malloc(READ_CHUNK);
	if (!buf) {
		status = cli_fail(cmd, EXIT_SYSTEM, "out of memory");
		goto out;
	}
	/* the first piece: for `auto` on a stream, 16 KiB tells the size class */
	n = read_full(fd, buf, bs == 0 && !known ? 16 * 1024 : READ_CHUNK);
	if (n < 0) {
		status = cli_fail(cmd, EXIT_SYSTEM, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (bs == 0)
		bs = eris_auto_block_size(known ? size : (uint64_t)n);
	progress = cli_show_progress() && (!known || size >= PROGRESS_MIN);
	rc = eris_encoder_new(&enc, bs, secret, threads, s ? store_eris_put : NULL, s);
	if (rc != 0) {
		status = cli_fail(cmd, EXIT_SYSTEM, "cannot start encoder: %s", eris_strerror(rc));
		goto out;
	}
	if (s) /* a pack takes leaves in its write buffer, without a copy */
		eris_encoder_set_place(enc, store_eris_place);
	while (n > 0) {
		rc = eris_encoder_update(enc, buf, (size_t)n, &err);
		if (rc != 0)
			goto encode_failed;
		if (progress && eris_encoder_bytes(enc) >= next_report) {
			if (known)
				fprintf(stderr, "\r%s %s: %s: %llu / %llu MiB", cli_prog, cmd->name, path,
					(unsigned long long)(eris_encoder_bytes(enc) >> 20),
					(unsigned long long)(size >> 20));
			else
				fprintf(stderr, "\r%s %s: %s: %llu MiB", cli_prog, cmd->name, path,
					(unsigned long long)(eris_encoder_bytes(enc) >> 20));
			next_report += PROGRESS_STEP;
		}
		n = read_full(fd, buf, READ_CHUNK);
	}
	if (progress && next_report > PROGRESS_STEP)
		fputc('\n', stderr);
	if (n < 0) {
		status = cli_fail(cmd, EXIT_SYSTEM, "%s: %s", path, strerror(errno));
		goto out;
	}
	rc = eris_encoder_final(enc, &cap, &err);
	if (rc != 0)
		goto encode_failed;
	if (s && store_flush(s, &err) != 0) {
		status = cli_fail(cmd, EXIT_SYSTEM, "%s", err.msg);
		goto out;
	}
	if (eris_cap_to_urn(&cap, urn, sizeof urn) != 0) {
		status = cli_fail(cmd, EXIT_SYSTEM, "cannot format urn");
		goto out;
	}
	printf("%s  %s\n", urn, path);
	if (fflush(stdout) != 0)
		status = cli_fail(cmd, EXIT_SYSTEM, "cannot write to standard output");
	goto out;

encode_failed:
	if (s && rc == ERIS_E_IO && store_last_error(s)->msg[0])
		status = cli_fail(cmd, EXIT_SYSTEM, "%s: %s", path, store_last_error(s)->msg);
	else
		status = cli_fail(cmd, EXIT_SYSTEM, "%s: %s", path, err.msg);
out:
	eris_encoder_free(enc);
	free(buf);
	if (fd >= 0 && !is_stdin)
		close(fd);
	return status;
}
