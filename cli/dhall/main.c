/*
 * main.c — the `dhall` tool: parse, encode, decode and print Dhall.
 * One file per subcommand, dispatched from this table.
 */
#include "dhall_cli.h"

#include <stdio.h>
#include <string.h>

#include "banned.h"

static const struct cli_cmd *const table_src[] = {
	&dhall_cmd_encode,
	&dhall_cmd_decode,
	&dhall_cmd_format,
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
	return cli_dispatch("dhall", "Parse, encode, decode and print Dhall expressions.", cmds,
			    argc, argv);
}
