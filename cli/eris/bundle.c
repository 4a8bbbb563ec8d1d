/* bundle.c — placeholder while the real command is written (replaced before landing). */
#include "eris_cli.h"

#include "banned.h"

static int run_placeholder(const struct cli_cmd *cmd, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return cli_fail(cmd, EXIT_USAGE, "not implemented yet");
}

const struct cli_cmd eris_cmd_export = {"export", "", "(not implemented yet)", NULL, NULL, run_placeholder};

const struct cli_cmd eris_cmd_import = {"import", "", "(not implemented yet)", NULL, NULL, run_placeholder};
