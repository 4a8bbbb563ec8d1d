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

int dhall_cli_args(const struct cli_cmd *cmd, int argc, char **argv, struct cli_args *a,
		   int *status)
{
	if (cli_parse(cmd, argc, argv, a, status))
		return 1;
	if (a->argc > 0) {
		*status = cli_fail(cmd, EXIT_USAGE, "unexpected argument '%s'", a->argv[0]);
		return 1;
	}
	return 0;
}

int dhall_cli_read(const struct cli_cmd *cmd, const char *file, char **data, size_t *len)
{
	if (cli_read_file(file, data, len) < 0)
		return cli_fail(cmd, EXIT_SYSTEM, "cannot read '%s': %s", file ? file : "-",
				strerror(errno));
	return EXIT_OK;
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
