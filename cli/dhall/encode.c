/*
 * encode.c — `dhall encode`: Dhall source to its binary (CBOR) encoding.
 * Until import resolution exists (Dhall II) the expression is encoded
 * exactly as parsed, imports kept as import nodes; --no-resolve says so
 * explicitly and will stay the way to get that behaviour.
 */
#include "dhall_cli.h"

#include <stdio.h>
#include <stdlib.h>

#include "banned.h"

static const struct cli_opt opts[] = {
	{"file", 'f', "FILE", "read the expression from FILE instead of stdin"},
	{"no-resolve", 0, NULL, "encode as parsed: imports stay import nodes (the only mode yet)"},
	{0},
};

static int run(const struct cli_cmd *cmd, int argc, char **argv)
{
	struct cli_args a;
	int status, rc;
	if (dhall_cli_args(cmd, argc, argv, &a, &status))
		return status;
	struct dhall_arena arena;
	struct dhall_buf out = {0};
	struct dhall_expr *e;
	char *src = NULL;
	dhall_arena_init(&arena);
	rc = dhall_cli_parse(cmd, cli_get(cmd, &a, "file"), &arena, &src, &e);
	if (rc)
		goto out;
	int erc = dhall_encode(e, &out);
	if (erc == DHALL_ELIMIT) {
		rc = cli_fail(cmd, EXIT_DATA, "expression nested too deeply to encode");
		goto out;
	}
	if (erc) {
		rc = cli_fail(cmd, EXIT_SYSTEM, "out of memory");
		goto out;
	}
	rc = dhall_cli_write(cmd, out.data, out.len);
out:
	dhall_buf_free(&out);
	dhall_arena_free(&arena);
	free(src);
	return rc;
}

const struct cli_cmd dhall_cmd_encode = {
	.name = "encode",
	.args = "[--file FILE]",
	.summary = "print the binary (CBOR) encoding of a Dhall expression",
	.details = "Parses the expression (stdin, or --file) and writes its standard binary\n"
		   "encoding (standard/binary.md) to stdout. Syntax errors are reported as\n"
		   "file:line:col with the offending line.",
	.opts = opts,
	.run = run,
};
