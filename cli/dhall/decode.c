/*
 * decode.c — `dhall decode`: the binary (CBOR) encoding of a Dhall
 * expression back to Dhall source (dhall_format), or to JSON with --json.
 * Input that is not a Dhall encoding is exit code 1 (EXIT_DATA) with the
 * decoder's message, which names the byte offset.
 */
#include "dhall_cli.h"

#include <stdio.h>
#include <stdlib.h>

#include "banned.h"

static const struct cli_opt opts[] = {
	{"file", 'f', "FILE", "read the CBOR from FILE instead of stdin"},
	{"json", 'j', NULL, "print the expression as JSON (it must be a normal-form value)"},
	{"compact", 'c', NULL, "with --json: print the JSON on one line"},
	{0},
};

static int run(const struct cli_cmd *cmd, int argc, char **argv)
{
	struct cli_args a;
	struct dhall_arena arena;
	struct dhall_buf out = {0};
	struct dhall_err err = {0};
	struct dhall_expr *e = NULL;
	char *data = NULL;
	size_t len = 0;
	int status, rc;

	if (dhall_cli_args(cmd, argc, argv, &a, &status))
		return status;
	dhall_arena_init(&arena);
	const char *file = cli_get(cmd, &a, "file");
	status = dhall_cli_read(cmd, file, &data, &len);
	if (status)
		goto out;
	rc = dhall_decode(&arena, (const uint8_t *)data, len, &e, &err);
	if (rc) {
		status = cli_fail(cmd, rc == DHALL_ENOMEM ? EXIT_SYSTEM : EXIT_DATA, "%s: %s",
				  file ? file : "(stdin)", err.msg);
		goto out;
	}
	int json = cli_get(cmd, &a, "json") != NULL;
	if (json)
		rc = dhall_to_json(e, cli_get(cmd, &a, "compact") ? 0 : 2, &out, &err);
	else
		rc = dhall_format(e, &out);
	if (rc == DHALL_ENOMEM) {
		status = cli_fail(cmd, EXIT_SYSTEM, "out of memory");
		goto out;
	}
	if (rc) {
		status = cli_fail(cmd, EXIT_DATA, "%s",
				  json ? err.msg : "expression nested too deeply to print");
		goto out;
	}
	status = dhall_cli_write(cmd, out.data, out.len);
	if (!status && json)
		status = dhall_cli_write(cmd, "\n", 1);
out:
	dhall_buf_free(&out);
	dhall_arena_free(&arena);
	free(data);
	return status;
}

const struct cli_cmd dhall_cmd_decode = {
	.name = "decode",
	.args = "[--file FILE] [--json [--compact]]",
	.summary = "print a binary (CBOR) Dhall expression as Dhall source",
	.details = "Reads the standard binary encoding (standard/binary.md; an optional\n"
		   "self-describe tag 55799 first) from stdin or --file, and prints it as\n"
		   "Dhall source in the layout of `dhall format`, or as JSON with --json.\n"
		   "Bytes that are not a Dhall encoding exit with status 1.",
	.opts = opts,
	.run = run,
};
