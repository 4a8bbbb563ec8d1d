/*
 * check.c — `sigil check SYSTEM`: loads a system description (Dhall in
 * normal form, or JSON with the same shape) and runs every check of
 * lib/system/check.c. Findings print as file:line:col: error|warning: …
 * with a hint naming the value to change; exit 1 on any error (or on any
 * warning with --werror), 0 otherwise.
 */
#include "sigil_cli.h"
#include "system/sys.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "banned.h"

static const struct cli_opt opts[] = {
	{"werror", 0, NULL, "treat warnings as errors"},
	{"quiet", 'q', NULL, "print nothing when the system is fine"},
	{"output", 'o', "FILE", "when the system passes, write its description (CBOR) to FILE"},
	{0},
};

static int run(const struct cli_cmd *cmd, int argc, char **argv)
{
	struct cli_args a;
	int status, rc;
	if (cli_parse(cmd, argc, argv, &a, &status))
		return status;
	if (a.argc != 1)
		return cli_fail(cmd, EXIT_USAGE, "expected one SYSTEM file (.dhall or .json)");
	const char *path = a.argv[0];
	char *src = NULL;
	struct dhall_arena arena;
	struct sys_report rep = {0};
	struct sys_system sys = {0};
	dhall_arena_init(&arena);
	int loaded;
	if ((rc = sigil_check_system(cmd, path, &arena, &sys, &src, &rep, &loaded)))
		goto out;
	int fail = rep.errors || (cli_get(cmd, &a, "werror") && rep.warnings);
	if (rep.n)
		fprintf(stderr, "%s: %zu error%s, %zu warning%s%s\n", path, rep.errors,
			rep.errors == 1 ? "" : "s", rep.warnings, rep.warnings == 1 ? "" : "s",
			loaded ? "" : " (the description could not be loaded; fix these first)");
	if (!fail && !cli_get(cmd, &a, "quiet"))
		printf("%s: system '%s' is fine: %zu children\n", path, sys.name ? sys.name : "?",
		       sys.nchildren);
	rc = fail ? EXIT_DATA : EXIT_OK;
	const char *outp = cli_get(cmd, &a, "output");
	if (!fail && outp) {
		struct dhall_buf b = {0};
		if (sys_encode_cbor(&arena, &sys, &b) != 0)
			rc = cli_fail(cmd, EXIT_DATA, "cannot encode the description");
		else
			rc = sigil_write_out(cmd, outp, (const char *)b.data, b.len);
		dhall_buf_free(&b);
	}
out:
	sys_report_free(&rep);
	dhall_arena_free(&arena);
	free(src);
	return rc;
}

const struct cli_cmd sigil_cmd_check = {
	.name = "check",
	.args = "[--werror] [-o DESCRIPTION.cbor] SYSTEM",
	.summary = "check a system description before anything runs",
	.details = "SYSTEM is a .dhall file (resolved, type-checked and normalized), a .json\n"
		   "file of the same shape (see docs/system.md), or a .cbor system description.\n"
		   "Checks names, resources against the budget and the runtime's overhead, that\n"
		   "every service a child uses is provided by exactly one server and that a\n"
		   "policy of it names the child (else a warning: the use is denied), unused\n"
		   "policies, service cycles, mounts and uplinks. Each finding is file:line:col: error|warning: …\n"
		   "with a hint; exit 1 on any error.",
	.opts = opts,
	.run = run,
};
