/*
 * load.c — what the evaluating subcommands (normalize, type, hash,
 * resolve, and the bare `dhall`) share: read, parse and resolve the input
 * (imports relative to the file, or to the working directory for stdin),
 * then report evaluation errors uniformly (file:line:col with a caret when
 * there is a position).
 */
#include "dhall_cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "banned.h"

int dhall_cli_report(const struct cli_cmd *cmd, int rc, const struct dhall_err *err)
{
	if (rc == 0)
		return EXIT_OK;
	if (rc == DHALL_ENOMEM)
		return cli_fail(cmd, EXIT_SYSTEM, "out of memory");
	dhall_err_print(err, stderr);
	return EXIT_DATA;
}

int dhall_cli_load(const struct cli_cmd *cmd, const char *file, struct dhall_arena *arena,
		   char **src, struct dhall_ctx *ctx, struct dhall_expr **e)
{
	struct dhall_err err = {0};
	size_t len;
	int status = dhall_cli_read(cmd, file, src, &len);
	if (status)
		return status;
	dhall_ctx_init(ctx);
	ctx->name = file && strcmp(file, "-") != 0 ? file : "(stdin)";
	ctx->src = *src;
	ctx->len = len;
	int rc = dhall_parse(arena, *src, len, ctx->name, e, &err);
	if (rc == 0)
		rc = dhall_resolve(ctx, arena, *e, file && strcmp(file, "-") != 0 ? file : NULL, e,
				   &err);
	return dhall_cli_report(cmd, rc, &err);
}

int dhall_cli_eval(const struct cli_cmd *cmd, const char *file, int check_only)
{
	struct dhall_arena arena;
	struct dhall_ctx ctx;
	struct dhall_expr *e = NULL, *t, *nf;
	struct dhall_err err = {0};
	struct dhall_buf out = {0};
	char *src = NULL;
	int status, rc;

	dhall_arena_init(&arena);
	status = dhall_cli_load(cmd, file, &arena, &src, &ctx, &e);
	if (status)
		goto out;
	rc = dhall_typeof(&ctx, &arena, e, &t, &err);
	if (!rc && !check_only)
		rc = dhall_normalize_ctx(&ctx, &arena, e, &nf, &err);
	if ((status = dhall_cli_report(cmd, rc, &err)))
		goto out;
	rc = dhall_format(check_only ? t : nf, &out);
	if (rc) {
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
