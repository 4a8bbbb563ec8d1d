/*
 * resolve.c — `dhall resolve`: replace every import by what it names (each
 * imported expression type-checked and normalized) and print the result,
 * without normalizing the importing expression itself.
 */
#include "dhall_cli.h"

#include <stdlib.h>

#include "banned.h"

static const struct cli_opt opts[] = {
	{"file", 'f', "FILE", "read the expression from FILE instead of stdin"},
	{0},
};

static int run(const struct cli_cmd *cmd, int argc, char **argv)
{
	struct cli_args a;
	struct dhall_arena arena;
	struct dhall_ctx ctx;
	struct dhall_expr *e = NULL;
	struct dhall_buf out = {0};
	char *src = NULL;
	int status, rc;

	if (dhall_cli_args(cmd, argc, argv, &a, &status))
		return status;
	dhall_arena_init(&arena);
	status = dhall_cli_load(cmd, cli_get(cmd, &a, "file"), &arena, &src, &ctx, &e);
	if (status)
		goto out;
	if ((rc = dhall_format(e, &out))) {
		status = cli_fail(cmd, rc == DHALL_ENOMEM ? EXIT_SYSTEM : EXIT_DATA, "%s",
				  rc == DHALL_ENOMEM ? "out of memory" : "result nested too deeply to print");
		goto out;
	}
	status = dhall_cli_write(cmd, out.data, out.len);
out:
	dhall_buf_free(&out);
	dhall_arena_free(&arena);
	free(src);
	return status;
}

const struct cli_cmd dhall_cmd_resolve = {
	.name = "resolve",
	.args = "[--file FILE]",
	.summary = "resolve the imports of a Dhall expression and print it",
	.details = "Local paths (relative to the importing file), ~/, absolute paths,\n"
		   "env:VAR, missing, `?` alternatives, `as Text|Location|Bytes` and\n"
		   "sha256 integrity checks (with the cache in $XDG_CACHE_HOME/dhall).\n"
		   "Remote (http/https) imports are not supported yet.",
	.opts = opts,
	.run = run,
};
