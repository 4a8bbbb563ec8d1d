/*
 * status.c — `sigil status DIR|FILE`: sigil-init's state report
 * (DIR/state.json, see init/report.c) as a table, one child per line, in
 * start order: name, state, PID, restarts, RAM used / quota, caps quota,
 * and why it last stopped.
 */
#include "sigil_cli.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "banned.h"

static const struct cli_opt opts[] = {{0}};

static void mib(char *out, size_t size, json_t *v)
{
	if (json_is_integer(v))
		snprintf(out, size, "%.1fM", (double)json_integer_value(v) / (1024.0 * 1024.0));
	else
		snprintf(out, size, "-");
}

static int run(const struct cli_cmd *cmd, int argc, char **argv)
{
	struct cli_args a;
	struct stat st;
	json_error_t je;
	int status;
	char path[4200];
	if (cli_parse(cmd, argc, argv, &a, &status))
		return status;
	if (a.argc != 1)
		return cli_fail(cmd, EXIT_USAGE, "expected a build directory or a report file");
	if (stat(a.argv[0], &st) == 0 && S_ISDIR(st.st_mode))
		snprintf(path, sizeof path, "%s/state.json", a.argv[0]);
	else
		snprintf(path, sizeof path, "%s", a.argv[0]);
	json_t *r = json_load_file(path, 0, &je);
	if (!r)
		return cli_fail(cmd, EXIT_SYSTEM, "cannot read the report '%s': %s", path, je.text);
	json_t *kids = json_object_get(r, "children");
	printf("system %s: %s (init pid %lld)\n", json_string_value(json_object_get(r, "system")),
	       json_string_value(json_object_get(r, "state")),
	       (long long)json_integer_value(json_object_get(r, "pid")));
	printf("%-16s %-9s %7s %8s %8s %8s %5s  %s\n", "NAME", "STATE", "PID", "RESTARTS", "RAM", "QUOTA",
	       "CAPS", "LAST");
	size_t i;
	json_t *c;
	json_array_foreach(kids, i, c) {
		char used[32], quota[32], pid[32];
		json_t *p = json_object_get(c, "pid"), *why = json_object_get(c, "reason");
		mib(used, sizeof used, json_object_get(c, "ram_used"));
		mib(quota, sizeof quota, json_object_get(c, "ram_quota"));
		if (json_is_integer(p))
			snprintf(pid, sizeof pid, "%lld", (long long)json_integer_value(p));
		else
			snprintf(pid, sizeof pid, "-");
		printf("%-16s %-9s %7s %8lld %8s %8s %5lld  %s\n",
		       json_string_value(json_object_get(c, "name")),
		       json_string_value(json_object_get(c, "state")), pid,
		       (long long)json_integer_value(json_object_get(c, "restarts")), used, quota,
		       (long long)json_integer_value(json_object_get(c, "caps_quota")),
		       json_is_string(why) ? json_string_value(why) : "");
	}
	json_decref(r);
	return EXIT_OK;
}

const struct cli_cmd sigil_cmd_status = {
	.name = "status",
	.args = "DIR|REPORT",
	.summary = "print sigil-init's state report (DIR/state.json) as a table",
	.details = "One line per child, in start order: state, PID, restarts, RAM used and its\n"
		   "quota, caps quota, and why it last stopped (an OOM kill names the quota to\n"
		   "raise).",
	.opts = opts,
	.run = run,
};
