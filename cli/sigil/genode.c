/*
 * genode.c — `sigil genode`: Sigil systems and Genode init configs.
 *
 *   sigil genode SYSTEM [--dialect 21.05|current] [-o FILE]
 *       renders the system as a Genode init <config> (lib/system/genode.c)
 *   sigil genode --check CONFIG.xml [--werror] [-q]
 *       checks a Genode init config (lib/system/genode_check.c, INIT.md §9);
 *       findings as file:line:col: error|warning: …, exit 1 on an error
 *   sigil genode --import CONFIG.xml [--name NAME] [--step N] [-o FILE]
 *       prints the config as a Sigil system in Dhall (what the Sigil model
 *       cannot hold is listed as comments); a test-init script's steps are
 *       picked with --step (default 1)
 */
#include "sigil_cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "banned.h"

static const struct cli_opt opts[] = {
	{"dialect", 0, "D", "render for Genode 21.05 (the default) or the current dialect (ram=)"},
	{"output", 'o', "FILE", "write to FILE (atomically) instead of stdout"},
	{"check", 0, NULL, "check the Genode config CONFIG.xml instead of rendering"},
	{"import", 0, NULL, "print the Genode config CONFIG.xml as a Sigil system (Dhall)"},
	{"name", 0, "NAME", "--import: the system's name (default: the file's name without .xml)"},
	{"step", 0, "N", "--import of a test-init script: import its Nth <init_config> (default 1)"},
	{"werror", 0, NULL, "--check: treat warnings as errors"},
	{"quiet", 'q', NULL, "--check: print nothing when the config is fine"},
	{0},
};

static int render(const struct cli_cmd *cmd, const struct cli_args *a)
{
	const char *dia = cli_get(cmd, a, "dialect");
	enum sys_gn_dialect d = SYS_GN_21_05;
	if (dia && strcmp(dia, "current") == 0)
		d = SYS_GN_CURRENT;
	else if (dia && strcmp(dia, "21.05") != 0)
		return cli_fail(cmd, EXIT_USAGE, "unknown dialect '%s' (use 21.05 or current)", dia);
	struct dhall_arena arena;
	struct sys_system sys = {0};
	struct sys_report rep = {0};
	char *src = NULL, *xml = NULL;
	size_t len = 0, xlen = 0;
	dhall_arena_init(&arena);
	int rc = sigil_load_system(cmd, a->argv[0], &arena, &sys, &src, &len);
	if (rc)
		goto out;
	int r = sys_genode_render(&sys, d, &xml, &xlen, &rep);
	sys_report_print(&rep, &sys, stderr);
	if (r == DHALL_ENOMEM)
		rc = cli_fail(cmd, EXIT_SYSTEM, "out of memory");
	else if (r)
		rc = cli_fail(cmd, EXIT_DATA, "'%s' cannot be rendered as XML (see above)", a->argv[0]);
	else
		rc = sigil_write_out(cmd, cli_get(cmd, a, "output"), xml, xlen);
out:
	sys_report_free(&rep);
	dhall_arena_free(&arena);
	free(src);
	free(xml);
	return rc;
}

/* Reads and parses a Genode config; findings of the parse go to rep. */
static int parse(const struct cli_cmd *cmd, const char *path, struct dhall_arena *arena, char **src,
		 size_t *len, struct sys_gn_file *f, struct sys_report *rep)
{
	int rc = sigil_read_file(cmd, path, src, len);
	if (rc)
		return rc;
	int r = sys_genode_parse(arena, *src, *len, f, rep);
	if (r == DHALL_ENOMEM)
		return cli_fail(cmd, EXIT_SYSTEM, "out of memory");
	return r ? EXIT_DATA : EXIT_OK;
}

static int check(const struct cli_cmd *cmd, const struct cli_args *a)
{
	const char *path = a->argv[0];
	struct dhall_arena arena;
	struct sys_report rep = {0};
	struct sys_gn_file f;
	char *src = NULL;
	size_t len = 0;
	dhall_arena_init(&arena);
	int rc = parse(cmd, path, &arena, &src, &len, &f, &rep);
	if (rc == EXIT_OK)
		sys_genode_check(&f, &rep);
	if (src) {
		struct sys_system where = {.file = path, .src = src, .srclen = len};
		sys_report_print(&rep, &where, stderr);
		int fail = rc || rep.errors || (cli_get(cmd, a, "werror") && rep.warnings);
		if (rep.n || !cli_get(cmd, a, "quiet"))
			fprintf(stderr, "%s: %zu error%s, %zu warning%s%s\n", path, rep.errors,
				rep.errors == 1 ? "" : "s", rep.warnings, rep.warnings == 1 ? "" : "s",
				rc ? " (the config could not be read; fix these first)" : "");
		if (!fail && !cli_get(cmd, a, "quiet")) {
			size_t n = 0;
			for (size_t i = 0; i < f.nconfigs; i++)
				n += f.configs[i]->nstarts;
			printf("%s: init config is fine: %zu start%s%s\n", path, n, n == 1 ? "" : "s",
			       f.harness ? " over all steps" : "");
		}
		if (!rc)
			rc = fail ? EXIT_DATA : EXIT_OK;
	}
	sys_report_free(&rep);
	dhall_arena_free(&arena);
	free(src);
	return rc;
}

static int import(const struct cli_cmd *cmd, const struct cli_args *a)
{
	const char *path = a->argv[0];
	struct dhall_arena arena;
	struct sys_report rep = {0}, notes = {0};
	struct sys_gn_file f;
	struct sys_system sys;
	char *src = NULL, *out = NULL, name[256];
	size_t len = 0, olen = 0;
	uint64_t step = 1;
	const char *st = cli_get(cmd, a, "step");
	if (st && (cli_parse_u64(st, &step) || step == 0))
		return cli_fail(cmd, EXIT_USAGE, "--step wants a number from 1, not '%s'", st);
	if (cli_get(cmd, a, "name")) {
		snprintf(name, sizeof name, "%s", cli_get(cmd, a, "name"));
	} else {
		const char *b = strrchr(path, '/');
		snprintf(name, sizeof name, "%s", b ? b + 1 : path);
		size_t n = strlen(name);
		if (n > 4 && strcmp(name + n - 4, ".xml") == 0)
			name[n - 4] = 0;
	}
	dhall_arena_init(&arena);
	int rc = parse(cmd, path, &arena, &src, &len, &f, &rep);
	struct sys_system where = {.file = path, .src = src, .srclen = len};
	if (rc == EXIT_DATA) {
		sys_report_print(&rep, &where, stderr);
		rc = cli_fail(cmd, EXIT_DATA, "'%s' cannot be read as an init config (see above)", path);
	}
	if (rc)
		goto out;
	if (step > f.nconfigs) {
		rc = cli_fail(cmd, EXIT_USAGE, "'%s' has %zu config%s, no step %llu", path, f.nconfigs,
			      f.nconfigs == 1 ? "" : "s", (unsigned long long)step);
		goto out;
	}
	int r = sys_genode_import(&arena, f.configs[step - 1], name, &sys, &notes);
	if (r == 0)
		r = sys_dhall_render(&sys, &notes, &out, &olen);
	if (r) {
		rc = cli_fail(cmd, EXIT_SYSTEM, "out of memory");
		goto out;
	}
	rc = sigil_write_out(cmd, cli_get(cmd, a, "output"), out, olen);
out:
	sys_report_free(&rep);
	sys_report_free(&notes);
	dhall_arena_free(&arena);
	free(src);
	free(out);
	return rc;
}

static int run(const struct cli_cmd *cmd, int argc, char **argv)
{
	struct cli_args a;
	int status;
	if (cli_parse(cmd, argc, argv, &a, &status))
		return status;
	int chk = cli_get(cmd, &a, "check") != NULL, imp = cli_get(cmd, &a, "import") != NULL;
	if (chk && imp)
		return cli_fail(cmd, EXIT_USAGE, "--check and --import exclude each other");
	if (a.argc != 1)
		return cli_fail(cmd, EXIT_USAGE, "expected one %s", chk || imp ? "CONFIG.xml" : "SYSTEM file");
	if ((cli_get(cmd, &a, "name") || cli_get(cmd, &a, "step")) && !imp)
		return cli_fail(cmd, EXIT_USAGE, "--name and --step go with --import");
	if (cli_get(cmd, &a, "dialect") && (chk || imp))
		return cli_fail(cmd, EXIT_USAGE, "--dialect goes with rendering a SYSTEM");
	return chk ? check(cmd, &a) : imp ? import(cmd, &a) : render(cmd, &a);
}

const struct cli_cmd sigil_cmd_genode = {
	.name = "genode",
	.args = "SYSTEM [--dialect 21.05|current] [-o FILE] | --check CONFIG.xml | --import CONFIG.xml",
	.summary = "render a system as a Genode init config; check or import Genode configs",
	.details = "SYSTEM (a .dhall file in normal form or a .json file) becomes a Genode init\n"
		   "<config>: <parent-provides> for the env sessions, a <start> per child with its\n"
		   "binary, RAM and caps, <provides>, a <route> derived from the servers' policies\n"
		   "(one rule per use, to the server whose policy matches, plus the env sessions to\n"
		   "the parent) and a <config> with the server's <policy> nodes.\n"
		   "--check runs the checks of a validator stricter than init's XSD (names,\n"
		   "targets, ambiguous <any-child/>, env-session routes, dead rules, selectors,\n"
		   "quanta, priorities, affinity, unknown nodes) on every config in the file,\n"
		   "nested inits and test-init steps included; exit 1 on an error.\n"
		   "--import prints the config as a Sigil system in Dhall; what the Sigil model\n"
		   "cannot hold (routes to the parent, label rewrites, default policies) is listed\n"
		   "in comments at the top.",
	.opts = opts,
	.run = run,
};
