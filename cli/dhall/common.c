/*
 * common.c — input and output shared by the `dhall` subcommands.
 */
#include "dhall_cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>

#include "banned.h"

int dhall_cli_read(const struct cli_cmd *cmd, const char *file, char **data, size_t *len)
{
	int fd = 0, rc = EXIT_SYSTEM;
	size_t cap = 1 << 16, n = 0;
	char *buf = NULL;

	if (file && strcmp(file, "-") != 0) {
		fd = open(file, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return cli_fail(cmd, EXIT_SYSTEM, "cannot open '%s': %s", file, strerror(errno));
	}
	buf = malloc(cap);
	if (!buf)
		goto fail;
	for (;;) {
		if (cap - n < 2) {
			char *p = cap > SIZE_MAX / 2 ? NULL : realloc(buf, cap * 2);
			if (!p)
				goto fail;
			buf = p;
			cap *= 2;
		}
		ssize_t r = read(fd, buf + n, cap - n - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			cli_fail(cmd, EXIT_SYSTEM, "cannot read '%s': %s", file ? file : "-",
				 strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	buf[n] = 0;
	*data = buf;
	*len = n;
	buf = NULL;
	rc = EXIT_OK;
	goto out;
fail:
	cli_fail(cmd, EXIT_SYSTEM, "out of memory reading '%s'", file ? file : "-");
out:
	free(buf);
	if (fd > 0)
		close(fd);
	return rc;
}

int dhall_cli_write(const struct cli_cmd *cmd, const void *buf, size_t len)
{
	if (cli_write_all(1, buf, len) < 0)
		return cli_fail(cmd, EXIT_SYSTEM, "cannot write output: %s", strerror(errno));
	return EXIT_OK;
}

int dhall_cli_parse(const struct cli_cmd *cmd, const char *file, struct dhall_arena *arena,
		    char **src, struct dhall_expr **e)
{
	size_t len;
	struct dhall_err err = {0};
	int rc = dhall_cli_read(cmd, file, src, &len);
	if (rc)
		return rc;
	rc = dhall_parse(arena, *src, len, file ? file : "(stdin)", e, &err);
	if (rc == 0)
		return EXIT_OK;
	if (rc == DHALL_ENOMEM)
		return cli_fail(cmd, EXIT_SYSTEM, "out of memory");
	dhall_err_print(&err, stderr);
	return EXIT_DATA;
}
