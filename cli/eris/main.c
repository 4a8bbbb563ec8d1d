/*
 * main.c — the `eris` tool: put, get, sum and verify ERIS content.
 * One file per subcommand (put.c also holds sum), dispatched from this table.
 */
#include "eris_cli.h"

#include <stdio.h>
#include <string.h>

#include "banned.h"

static const struct cli_cmd *const table_src[] = {
	&eris_cmd_put,	  &eris_cmd_get,    &eris_cmd_sum, &eris_cmd_verify, &eris_cmd_ls,
	&eris_cmd_stat,	  &eris_cmd_export, &eris_cmd_import, &eris_cmd_gc, &eris_cmd_serve,
	&eris_cmd_fetch,
};

int main(int argc, char **argv)
{
	struct cli_cmd cmds[sizeof table_src / sizeof table_src[0] + 1] = {0};

	for (size_t i = 0; i < sizeof table_src / sizeof table_src[0]; i++)
		cmds[i] = *table_src[i];
	if (argc > 1 && (strcmp(argv[1], "-V") == 0 || strcmp(argv[1], "--version") == 0)) {
		puts("eris (sigil) 0.1 — ERIS 1.0.0");
		return 0;
	}
	return cli_dispatch("eris", "Encode content as ERIS blocks, decode it, and check it.", cmds,
			    argc, argv);
}
