/*
 * main.c — the `sigil` tool. One file per subcommand, dispatched from this
 * table; later subcommands (check, build, run, ...) are one line each here.
 * opts.c holds the option parser the subcommands share.
 */
#include "sigil_cli.h"

#include <stdio.h>
#include <string.h>

#include "banned.h"

static const struct cli_cmd *const table_src[] = {
	&sigil_cmd_import,
	&sigil_cmd_exec,
	&sigil_cmd_check,
	&sigil_cmd_build,
	&sigil_cmd_genode,
	&sigil_cmd_graph,
	&sigil_cmd_unit,
	&sigil_cmd_run,
	&sigil_cmd_status,
	&sigil_cmd_image,
	&sigil_cmd_boot,
};

int main(int argc, char **argv)
{
	struct cli_cmd cmds[sizeof table_src / sizeof table_src[0] + 1] = {0};

	for (size_t i = 0; i < sizeof table_src / sizeof table_src[0]; i++)
		cmds[i] = *table_src[i];
	if (argc > 1 && (strcmp(argv[1], "-V") == 0 || strcmp(argv[1], "--version") == 0)) {
		puts("sigil 0.1");
		return 0;
	}
	return cli_dispatch("sigil", "Build systems whose every binary is an ERIS capability.",
			    cmds, argc, argv);
}
