/*
 * type.c — `dhall type`: resolve imports, infer the expression's type and
 * print it (normalized).
 */
#include "dhall_cli.h"

#include "banned.h"

static const struct cli_opt opts[] = {
	{"file", 'f', "FILE", "read the expression from FILE instead of stdin"},
	{0},
};

static int run(const struct cli_cmd *cmd, int argc, char **argv)
{
	struct cli_args a;
	int status;
	if (dhall_cli_args(cmd, argc, argv, &a, &status))
		return status;
	return dhall_cli_eval(cmd, cli_get(cmd, &a, "file"), 1);
}

const struct cli_cmd dhall_cmd_type = {
	.name = "type",
	.args = "[--file FILE]",
	.summary = "print the type of a Dhall expression",
	.details = "Resolves the expression's imports, infers its type\n"
		   "(standard/type-inference.md) and prints that type in normal form.",
	.opts = opts,
	.run = run,
};
