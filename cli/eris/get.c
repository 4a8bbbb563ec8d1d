/*
 * get.c — `eris get`: decode content from a store, whole or a byte range.
 *
 * With -o OUT, content goes to a temporary file beside OUT, which is synced
 * and renamed over OUT only when every block has been verified: a failed
 * decode never leaves a partial OUT. Without -o, content streams to standard
 * output as it is verified, block by block; on a failure the exit status is
 * non-zero and what was written before the bad block stays written.
 */
#include "eris_cli.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "banned.h"

enum { OUT_BUF = 1 << 20 };

static const struct cli_opt get_opts[] = {
	{"store", 's', "STORE", "block store to read (a directory, dir:PATH or mem:)"},
	{"output", 'o', "OUT", "write to OUT (atomically: only complete, verified content)"},
	{"range", 0, "OFF:LEN", "only LEN bytes from byte OFF (cut short at the end of content)"},
	{0},
};

struct out {
	int fd;
	uint8_t *buf;
	size_t len;
	int error; /* errno of a failed write */
};

static int out_flush(struct out *o)
{
	if (o->len && cli_write_all(o->fd, o->buf, o->len) != 0) {
		o->error = errno;
		return -1;
	}
	o->len = 0;
	return 0;
}

static int out_write(void *ctx, const uint8_t *data, size_t len)
{
	struct out *o = ctx;

	if (o->len + len > OUT_BUF && out_flush(o) != 0)
		return -1;
	if (len >= OUT_BUF) {
		if (cli_write_all(o->fd, data, len) != 0) {
			o->error = errno;
			return -1;
		}
		return 0;
	}
	memcpy(o->buf + o->len, data, len);
	o->len += len;
	return 0;
}

static int parse_range(const char *s, uint64_t *off, uint64_t *len)
{
	const char *colon = strchr(s, ':');
	char head[32];

	if (!colon || (size_t)(colon - s) >= sizeof head)
		return -1;
	memcpy(head, s, (size_t)(colon - s));
	head[colon - s] = '\0';
	return cli_parse_u64(head, off) == 0 && cli_parse_u64(colon + 1, len) == 0 ? 0 : -1;
}

/* The exit status for a codec error. */
static int status_of(int rc)
{
	return rc == ERIS_E_IO || rc == ERIS_E_NOMEM ? EXIT_SYSTEM : EXIT_DATA;
}

static int copy_range(const struct cli_cmd *cmd, const eris_cap *cap, store *s, uint64_t off,
		      uint64_t len, struct out *o, const char *urn)
{
	eris_reader *r = NULL;
	eris_error err = {0};
	int rc, status = EXIT_OK;

	rc = eris_reader_open(&r, cap, store_eris_get, s, &err);
	if (rc != 0) {
		status = cli_fail(cmd, status_of(rc), "%s: %s", urn, err.msg);
		goto out;
	}
	if (off > eris_reader_size(r)) {
		status = cli_fail(cmd, EXIT_USAGE, "range starts at %llu, past the end (%llu bytes)",
				  (unsigned long long)off, (unsigned long long)eris_reader_size(r));
		goto out;
	}
	while (len > 0) {
		size_t want = len < OUT_BUF ? (size_t)len : OUT_BUF, got = 0;
		rc = eris_reader_pread(r, o->buf, want, off, &got, &err);
		if (rc != 0) {
			status = cli_fail(cmd, status_of(rc), "%s: %s", urn, err.msg);
			goto out;
		}
		if (got == 0)
			break;
		if (cli_write_all(o->fd, o->buf, got) != 0) {
			status = cli_fail(cmd, EXIT_SYSTEM, "cannot write output: %s", strerror(errno));
			goto out;
		}
		off += got;
		len -= got;
	}
out:
	eris_reader_free(r);
	return status;
}

static int run_get(const struct cli_cmd *cmd, int argc, char **argv)
{
	struct cli_args a;
	const char *spec, *outpath, *range;
	char tmp[4096] = "";
	store *s = NULL;
	eris_cap cap;
	eris_error err = {0};
	struct out o = {STDOUT_FILENO, NULL, 0, 0};
	uint64_t off = 0, len = 0;
	int status, rc;

	if (cli_parse(cmd, argc, argv, &a, &status))
		return status;
	spec = cli_get(cmd, &a, "store");
	outpath = cli_get(cmd, &a, "output");
	range = cli_get(cmd, &a, "range");
	if (!spec)
		return cli_fail(cmd, EXIT_USAGE, "no store given (use -s STORE)");
	if (a.argc != 1)
		return cli_fail(cmd, EXIT_USAGE, "give exactly one urn (got %d)", a.argc);
	if (range && parse_range(range, &off, &len) != 0)
		return cli_fail(cmd, EXIT_USAGE, "range \"%s\" is not OFFSET:LENGTH in bytes", range);
	if (eris_cap_from_urn(&cap, a.argv[0], &err) != 0)
		return cli_fail(cmd, EXIT_USAGE, "\"%s\": %s", a.argv[0], err.msg);
	if (store_open(&s, spec, STORE_READ, &err) != 0)
		return cli_fail(cmd, EXIT_SYSTEM, "%s", err.msg);
	o.buf = malloc(OUT_BUF);
	if (!o.buf) {
		status = cli_fail(cmd, EXIT_SYSTEM, "out of memory");
		goto out;
	}
	if (outpath) {
		o.fd = cli_temp_open(outpath, tmp, sizeof tmp);
		if (o.fd < 0) {
			status = cli_fail(cmd, EXIT_SYSTEM, "%s: cannot create a temporary file: %s",
					  outpath, strerror(errno));
			tmp[0] = '\0';
			goto out;
		}
	}
	/* through a chain (CACHE+SOURCE, say a directory in front of a server),
	 * fetch the whole tree in parallel first; decoding then reads the cache */
	if (!range && strchr(spec, '+')) {
		rc = eris_cli_prefetch(s, &cap, NULL, &err);
		if (rc != 0) {
			status = cli_fail(cmd, status_of(rc), "%s: %s", a.argv[0], err.msg);
			goto out;
		}
	}
	if (range) {
		status = copy_range(cmd, &cap, s, off, len, &o, a.argv[0]);
	} else {
		rc = eris_decode(&cap, store_eris_get, s, out_write, &o, NULL, &err);
		if (rc == 0 && out_flush(&o) != 0)
			rc = ERIS_E_IO;
		if (rc != 0 && o.error)
			status = cli_fail(cmd, EXIT_SYSTEM, "cannot write output: %s",
					  strerror(o.error));
		else if (rc != 0)
			status = cli_fail(cmd, status_of(rc), "%s: %s", a.argv[0], err.msg);
		else
			status = EXIT_OK;
	}
	if (status == EXIT_OK && outpath && cli_temp_commit(&o.fd, tmp, outpath) != 0)
		status = cli_fail(cmd, EXIT_SYSTEM, "%s: %s", outpath, strerror(errno));
out:
	if (outpath && o.fd >= 0)
		close(o.fd);
	if (tmp[0])
		unlink(tmp);
	free(o.buf);
	store_close(s);
	return status;
}

const struct cli_cmd eris_cmd_get = {
	"get", "-s STORE URN [-o OUT] [--range OFF:LEN]",
	"Decode the content named by URN from a block store.",
	"Every block is checked against its reference and the tree's structure before its\n"
	"content is used. With -o, OUT is written only when decoding succeeded completely.",
	get_opts, run_get};
