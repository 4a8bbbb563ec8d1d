/*
 * hash.c — `dhall hash`: the semantic hash of an expression ("sha256:" and
 * 64 hex digits of the SHA-256 of its α-β-normal form's binary encoding),
 * the value an import's integrity check compares against.
 */
#include "dhall_cli.h"

#include <stdlib.h>
#include <string.h>

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
	struct dhall_expr *e = NULL, *t;
	struct dhall_err err = {0};
	char *src = NULL, h[72];
	int status, rc;

	if (dhall_cli_args(cmd, argc, argv, &a, &status))
		return status;
	dhall_arena_init(&arena);
	status = dhall_cli_load(cmd, cli_get(cmd, &a, "file"), &arena, &src, &ctx, &e);
	if (status)
		goto out;
	rc = dhall_typeof(&ctx, &arena, e, &t, &err);
	if (!rc)
		rc = dhall_semantic_hash(&ctx, e, h, &err);
	if ((status = dhall_cli_report(cmd, rc, &err)))
		goto out;
	h[71] = 0;
	size_t n = strlen(h);
	h[n] = '\n';
	status = dhall_cli_write(cmd, h, n + 1);
out:
	dhall_arena_free(&arena);
	free(src);
	return status;
}

const struct cli_cmd dhall_cmd_hash = {
	.name = "hash",
	.args = "[--file FILE]",
	.summary = "print the semantic hash of a Dhall expression",
	.details = "Resolves imports, type-checks, and prints sha256:HEX, the hash of the\n"
		   "binary encoding of the α-β-normal form: what `import sha256:HEX`\n"
		   "checks and the key of the import cache.",
	.opts = opts,
	.run = run,
};
