/*
 * main.c — the `dhall` tool: parse, evaluate, encode, decode and print
 * Dhall. One file per subcommand, dispatched from this table; with no
 * subcommand (only options, or nothing: stdin) it normalizes, as
 * dhall-haskell's `dhall` does.
 */
#include "dhall_cli.h"

#include <stdio.h>
#include <string.h>

#include "banned.h"

static const struct cli_cmd *const table_src[] = {
	&dhall_cmd_encode,
	&dhall_cmd_decode,
	&dhall_cmd_format,
	&dhall_cmd_normalize,
	&dhall_cmd_type,
	&dhall_cmd_hash,
	&dhall_cmd_resolve,
};

int main(int argc, char **argv)
{
	struct cli_cmd cmds[sizeof table_src / sizeof table_src[0] + 1] = {0};

	for (size_t i = 0; i < sizeof table_src / sizeof table_src[0]; i++)
		cmds[i] = *table_src[i];
	if (argc > 1 && (strcmp(argv[1], "-V") == 0 || strcmp(argv[1], "--version") == 0)) {
		puts("dhall (sigil) 0.1 — Dhall standard 23.1.0");
		return 0;
	}
	/* Like dhall-haskell: a bare `dhall` (or `dhall --file F`) type-checks,
	 * normalizes and prints; subcommands and --help dispatch as usual. */
	if (argc == 1 || (argv[1][0] == '-' && argv[1][1] != 0 && strcmp(argv[1], "-h") != 0 &&
			  strcmp(argv[1], "--help") != 0)) {
		cli_prog = "dhall";
		return dhall_cmd_normalize.run(&dhall_cmd_normalize, argc, argv);
	}
	return cli_dispatch("dhall", "Parse, evaluate, encode, decode and print Dhall expressions.",
			    cmds, argc, argv);
}
