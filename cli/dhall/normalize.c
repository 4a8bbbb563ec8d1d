/*
 * normalize.c — `dhall normalize`: resolve imports, type-check, β-normalize
 * and print the normal form (dhall_format). The bare `dhall [--file F]`
 * runs this too, as dhall-haskell's `dhall` does.
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
	return dhall_cli_eval(cmd, cli_get(cmd, &a, "file"), 0);
}

const struct cli_cmd dhall_cmd_normalize = {
	.name = "normalize",
	.args = "[--file FILE]",
	.summary = "type-check a Dhall expression and print its normal form",
	.details = "Reads the expression (stdin, or --file), resolves its imports (relative\n"
		   "to the file; stdin's relative to the working directory), type-checks\n"
		   "it and prints its β-normal form. A type error is reported as\n"
		   "file:line:col with the expected and the actual type (exit 1).",
	.opts = opts,
	.run = run,
};
