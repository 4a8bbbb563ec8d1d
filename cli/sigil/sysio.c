/*
 * sysio.c — what `sigil genode` and `sigil graph` share: reading a whole
 * file, loading a system description (sys_load_any: .json, .cbor or Dhall)
 * with its findings printed, and writing output to stdout or, atomically,
 * to a file (-o).
 */
#include "sigil_cli.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "banned.h"

int sigil_read_file(const struct cli_cmd *cmd, const char *path, char **out, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return cli_fail(cmd, EXIT_SYSTEM, "cannot open '%s': %s", path, strerror(errno));
	size_t cap = 1 << 16, n = 0;
	char *buf = malloc(cap);
	int rc = EXIT_OK;
	for (;;) {
		if (!buf) {
			rc = cli_fail(cmd, EXIT_SYSTEM, "out of memory reading '%s'", path);
			goto out;
		}
		if (cap - n < 2) {
			char *b = cap > SIZE_MAX / 2 ? NULL : realloc(buf, cap *= 2);
			if (!b) {
				free(buf);
				buf = NULL;
				continue;
			}
			buf = b;
		}
		ssize_t r = read(fd, buf + n, cap - n - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = cli_fail(cmd, EXIT_SYSTEM, "cannot read '%s': %s", path, strerror(errno));
			free(buf);
			buf = NULL;
			goto out;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	buf[n] = 0;
	*out = buf;
	*len = n;
out:
	close(fd);
	return rc;
}

int sigil_load_system(const struct cli_cmd *cmd, const char *path, struct dhall_arena *arena,
		      struct sys_system *sys, char **src, size_t *len)
{
	struct sys_report rep = {0};
	int rc = sigil_read_file(cmd, path, src, len);
	if (rc)
		return rc;
	int lrc = sys_load_any(arena, path, *src, *len, sys, &rep);
	sys->file = path;
	sys->src = *src;
	sys->srclen = *len;
	if (lrc == DHALL_ENOMEM)
		rc = cli_fail(cmd, EXIT_SYSTEM, "out of memory");
	else if (lrc || rep.errors) {
		sys_report_print(&rep, sys, stderr);
		rc = cli_fail(cmd, EXIT_DATA, "'%s' is not a system description (see above)", path);
	}
	sys_report_free(&rep);
	return rc;
}

int sigil_write_out(const struct cli_cmd *cmd, const char *path, const char *data, size_t len)
{
	char tmp[4096] = "";
	if (!path) {
		if (fwrite(data, 1, len, stdout) != len || fflush(stdout) != 0)
			return cli_fail(cmd, EXIT_SYSTEM, "cannot write output: %s", strerror(errno));
		return EXIT_OK;
	}
	int fd = cli_temp_open(path, tmp, sizeof tmp);
	if (fd < 0)
		return cli_fail(cmd, EXIT_SYSTEM, "%s: cannot create a temporary file: %s", path, strerror(errno));
	if (cli_write_all(fd, data, len) != 0 || cli_temp_commit(&fd, tmp, path) != 0) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		if (tmp[0])
			unlink(tmp);
		return cli_fail(cmd, EXIT_SYSTEM, "cannot write '%s': %s", path, strerror(e));
	}
	return EXIT_OK;
}
