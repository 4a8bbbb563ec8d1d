/*
 * sysio.c — what the sigil subcommands that read systems share: reading a
 * whole file, loading a system description (sys_load_any: .json, .cbor or
 * Dhall) with its findings printed, loading and checking it (check, build),
 * and writing output to stdout or, atomically, to a file (-o).
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
	if (cli_read_file(path, out, len) < 0)
		return cli_fail(cmd, EXIT_SYSTEM, "cannot read '%s': %s", path, strerror(errno));
	return EXIT_OK;
}

int sigil_check_system(const struct cli_cmd *cmd, const char *path, struct dhall_arena *arena,
		       struct sys_system *sys, char **src, struct sys_report *rep, int *loaded)
{
	size_t len = 0;
	int rc = sigil_read_file(cmd, path, src, &len);
	*loaded = 0;
	if (rc)
		return rc;
	int lrc = sys_load_any(arena, path, *src, len, sys, rep);
	if (lrc == DHALL_ENOMEM)
		return cli_fail(cmd, EXIT_SYSTEM, "out of memory");
	if (lrc == 0) {
		*loaded = 1;
		sys_check(sys, rep);
	}
	sys_report_print(rep, sys, stderr);
	return EXIT_OK;
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

void sigil_cache_dir(char *out, size_t size)
{
	const char *c = getenv("SIGIL_CACHE"), *x = getenv("XDG_CACHE_HOME"), *h = getenv("HOME");
	if (c && *c)
		snprintf(out, size, "%s", c);
	else if (x && *x)
		snprintf(out, size, "%s/sigil", x);
	else
		snprintf(out, size, "%s/.cache/sigil", h && *h ? h : "/tmp");
}
