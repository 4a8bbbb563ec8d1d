/*
 * run.c — `sigil run SYSTEM|OUT`: build when given a system file, then
 * become sigil-init in the foreground.
 *
 *   1. OUT is a directory holding system.urn (a finished build): use it.
 *      Otherwise the argument is a system file: `sigil build -q -o OUT`
 *      (the build command's own code, so the cache and checks are the
 *      same; its URN line goes to stderr), OUT being -o or "result".
 *   2. exec sigil-init -s pack:OUT/store.pack --state OUT/state
 *      --report OUT/state.json --report-cbor OUT/state.cbor URN (plus
 *      --keep / --grace-ms / --check / --trace).
 *      sigil-init is --init PATH, else $SIGIL_INIT, else the one beside
 *      this sigil binary, else on PATH.
 */
#include "sigil_cli.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "banned.h"

static const struct cli_opt opts[] = {
	{"output", 'o', "DIR", "where to build a system file to (default: result)"},
	{"init", 0, "PATH", "the sigil-init to run (default: beside sigil, or $SIGIL_INIT)"},
	{"grace-ms", 0, "N", "SIGTERM to SIGKILL on shutdown, in ms (default 3000)"},
	{"keep", 'k', NULL, "keep running when every child has exited"},
	{"check", 0, NULL, "verify and prepare every child, start nothing"},
	{"trace", 0, NULL, "print the start-up timeline (sigil-init --trace)"},
	{0},
};

static int find_init(const char *given, char *out, size_t size)
{
	char self[PATH_MAX];
	const char *env = getenv("SIGIL_INIT");
	if (given || (env && *env)) {
		snprintf(out, size, "%s", given ? given : env);
		return 0;
	}
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	if (n > 0) {
		self[n] = 0;
		char *slash = strrchr(self, '/');
		if (slash) {
			*slash = 0;
			if ((size_t)snprintf(out, size, "%s/sigil-init", self) < size && access(out, X_OK) == 0)
				return 0;
		}
	}
	snprintf(out, size, "sigil-init");
	return 0;
}

static int build(const char *system, const char *outdir)
{
	char *argv[] = {(char *)"build", (char *)"-q", (char *)"-o", (char *)(uintptr_t)outdir,
			(char *)(uintptr_t)system, NULL};
	int saved, rc;
	fflush(stdout);
	saved = dup(1);
	if (saved < 0 || dup2(2, 1) < 0)
		return EXIT_SYSTEM;
	rc = sigil_cmd_build.run(&sigil_cmd_build, 5, argv);
	fflush(stdout);
	dup2(saved, 1);
	close(saved);
	return rc;
}

static int run(const struct cli_cmd *cmd, int argc, char **argv)
{
	struct cli_args a;
	struct stat st;
	int status;
	char urnp[4200], urn[ERIS_URN_LEN + 2], init[PATH_MAX], spec[4300], state[4200], report[4200],
		creport[4200];
	if (cli_parse(cmd, argc, argv, &a, &status))
		return status;
	if (a.argc != 1)
		return cli_fail(cmd, EXIT_USAGE, "expected one SYSTEM file or build directory");
	const char *arg = a.argv[0], *outdir = cli_get(cmd, &a, "output");
	snprintf(urnp, sizeof urnp, "%s/system.urn", arg);
	if (stat(arg, &st) == 0 && S_ISDIR(st.st_mode)) {
		if (access(urnp, R_OK) != 0)
			return cli_fail(cmd, EXIT_USAGE, "'%s' is a directory without system.urn "
							 "(not a build of sigil build)", arg);
		outdir = arg;
	} else {
		if (!outdir)
			outdir = "result";
		if ((status = build(arg, outdir)) != 0)
			return status;
		snprintf(urnp, sizeof urnp, "%s/system.urn", outdir);
	}
	FILE *f = fopen(urnp, "r");
	if (!f)
		return cli_fail(cmd, EXIT_SYSTEM, "cannot read '%s': %s", urnp, strerror(errno));
	if (!fgets(urn, sizeof urn, f))
		urn[0] = 0;
	fclose(f);
	urn[strcspn(urn, "\r\n")] = 0;
	if (strncmp(urn, "urn:eris:", 9) != 0)
		return cli_fail(cmd, EXIT_DATA, "'%s' holds no URN", urnp);
	find_init(cli_get(cmd, &a, "init"), init, sizeof init);
	snprintf(spec, sizeof spec, "pack:%s/store.pack", outdir);
	snprintf(state, sizeof state, "%s/state", outdir);
	snprintf(report, sizeof report, "%s/state.json", outdir);
	snprintf(creport, sizeof creport, "%s/state.cbor", outdir);
	char *args[16];
	int n = 0;
	args[n++] = init;
	args[n++] = (char *)"-s";
	args[n++] = spec;
	args[n++] = (char *)"--state";
	args[n++] = state;
	args[n++] = (char *)"--report";
	args[n++] = report;
	args[n++] = (char *)"--report-cbor";
	args[n++] = creport;
	if (cli_get(cmd, &a, "keep"))
		args[n++] = (char *)"--keep";
	if (cli_get(cmd, &a, "check"))
		args[n++] = (char *)"--check";
	if (cli_get(cmd, &a, "trace"))
		args[n++] = (char *)"--trace";
	if (cli_get(cmd, &a, "grace-ms")) {
		args[n++] = (char *)"--grace-ms";
		args[n++] = (char *)(uintptr_t)cli_get(cmd, &a, "grace-ms");
	}
	args[n++] = urn;
	args[n] = NULL;
	fflush(NULL);
	execvp(init, args);
	return cli_fail(cmd, EXIT_SYSTEM, "cannot run '%s': %s", init, strerror(errno));
}

const struct cli_cmd sigil_cmd_run = {
	.name = "run",
	.args = "[-o DIR] [--keep] SYSTEM|DIR",
	.summary = "build a system if needed, then run it under sigil-init in the foreground",
	.details = "SYSTEM (.dhall, .json, .cbor) is built first as by `sigil build -o DIR`; a DIR\n"
		   "that holds system.urn is run as it is. sigil-init then runs every child in\n"
		   "its own namespaces and cgroups, with its output as \"[name] line\" on stderr,\n"
		   "the state report in DIR/state.json (and DIR/state.cbor) and state mounts\n"
		   "under DIR/state.\n"
		   "SIGTERM or Ctrl-C stops the children in reverse start order. Needs root.",
	.opts = opts,
	.run = run,
};
