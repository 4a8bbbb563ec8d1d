/*
 * status.c — `sigil status DIR|FILE`: sigil-init's state report
 * (DIR/state.json, else DIR/state.cbor; see init/report.c) as a table, one
 * child per line, in start order: name, state, PID, restarts, RAM used /
 * quota, processes and open descriptors against the caps quota, and why
 * it last stopped. `sigil status DIR NAME` then prints child NAME's
 * denials and its last log lines (the report's "log"). A FILE is JSON when it
 * starts with '{', else the CBOR form (turned into the same JSON values
 * with libcbor: maps with text keys, arrays, text, integers, simple
 * values; anything else is refused).
 */
#include "sigil_cli.h"

#include <cbor.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "banned.h"

static const struct cli_opt opts[] = {{0}};

static void mib(char *out, size_t size, json_t *v)
{
	if (json_is_integer(v))
		snprintf(out, size, "%.1fM", (double)json_integer_value(v) / (1024.0 * 1024.0));
	else
		snprintf(out, size, "-");
}

/* A CBOR item of the report as a JSON value; NULL when it is not one. */
static json_t *from_cbor(cbor_item_t *it, int depth)
{
	json_t *v = NULL;
	if (depth > 16)
		return NULL;
	switch (cbor_typeof(it)) {
	case CBOR_TYPE_UINT:
		v = json_integer((json_int_t)cbor_get_int(it));
		break;
	case CBOR_TYPE_NEGINT:
		v = json_integer(-1 - (json_int_t)cbor_get_int(it));
		break;
	case CBOR_TYPE_STRING:
		if (cbor_string_is_definite(it))
			v = json_stringn((const char *)cbor_string_handle(it), cbor_string_length(it));
		break;
	case CBOR_TYPE_ARRAY:
		v = json_array();
		for (size_t i = 0; v && i < cbor_array_size(it); i++) {
			cbor_item_t *x = cbor_array_get(it, i);
			json_t *j = x ? from_cbor(x, depth + 1) : NULL;
			if (x)
				cbor_decref(&x);
			if (!j || json_array_append_new(v, j) != 0) {
				json_decref(v);
				v = NULL;
			}
		}
		break;
	case CBOR_TYPE_MAP: {
		struct cbor_pair *pp = cbor_map_handle(it);
		v = json_object();
		for (size_t i = 0; v && i < cbor_map_size(it); i++) {
			cbor_item_t *k = pp[i].key;
			json_t *j = NULL;
			char key[256];
			if (cbor_typeof(k) == CBOR_TYPE_STRING && cbor_string_is_definite(k) &&
			    cbor_string_length(k) < sizeof key && (j = from_cbor(pp[i].value, depth + 1))) {
				memcpy(key, cbor_string_handle(k), cbor_string_length(k));
				key[cbor_string_length(k)] = 0;
			}
			if (!j || json_object_set_new(v, key, j) != 0) {
				json_decref(v);
				v = NULL;
			}
		}
		break;
	}
	case CBOR_TYPE_FLOAT_CTRL:
		if (cbor_is_bool(it))
			v = json_boolean(cbor_get_bool(it));
		else if (cbor_is_null(it))
			v = json_null();
		break;
	default:
		break;
	}
	return v;
}

/* The report at path, JSON or CBOR; NULL with a message in err. */
static json_t *load_report(const char *path, char *err, size_t size)
{
	char *data = NULL;
	size_t len = 0;
	json_t *r = NULL;
	if (cli_read_file(path, &data, &len) < 0) {
		snprintf(err, size, "%s", strerror(errno));
		return NULL;
	}
	if (len && data[0] == '{') {
		json_error_t je;
		if (!(r = json_loadb(data, len, 0, &je)))
			snprintf(err, size, "%s", je.text);
	} else {
		struct cbor_load_result res;
		cbor_item_t *it = cbor_load((const unsigned char *)data, len, &res);
		if (it && res.read == len && cbor_typeof(it) == CBOR_TYPE_MAP)
			r = from_cbor(it, 0);
		if (!r)
			snprintf(err, size, "neither JSON nor the CBOR report");
		if (it)
			cbor_decref(&it);
	}
	free(data);
	return r;
}

static int run(const struct cli_cmd *cmd, int argc, char **argv)
{
	struct cli_args a;
	struct stat st;
	int status;
	char path[4200], err[256];
	if (cli_parse(cmd, argc, argv, &a, &status))
		return status;
	if (a.argc != 1 && a.argc != 2)
		return cli_fail(cmd, EXIT_USAGE, "expected a build directory or a report file, and a child");
	if (stat(a.argv[0], &st) == 0 && S_ISDIR(st.st_mode)) {
		snprintf(path, sizeof path, "%s/state.json", a.argv[0]);
		if (access(path, F_OK) != 0)
			snprintf(path, sizeof path, "%s/state.cbor", a.argv[0]);
	} else {
		snprintf(path, sizeof path, "%s", a.argv[0]);
	}
	json_t *r = load_report(path, err, sizeof err);
	if (!r)
		return cli_fail(cmd, EXIT_SYSTEM, "cannot read the report '%s': %s", path, err);
	json_t *kids = json_object_get(r, "children");
	printf("system %s: %s (init pid %lld)\n", json_string_value(json_object_get(r, "system")),
	       json_string_value(json_object_get(r, "state")),
	       (long long)json_integer_value(json_object_get(r, "pid")));
	printf("%-16s %-9s %7s %8s %8s %8s %5s %5s %5s  %s\n", "NAME", "STATE", "PID", "RESTARTS", "RAM",
	       "QUOTA", "PIDS", "FDS", "CAPS", "LAST");
	size_t i;
	json_t *c, *one = NULL;
	json_array_foreach(kids, i, c) {
		char used[32], quota[32], pid[32], pids[32], fds[32];
		json_t *pu = json_object_get(c, "pids_used"), *fu = json_object_get(c, "fds_used");
		snprintf(pids, sizeof pids, json_is_integer(pu) ? "%lld" : "-", (long long)json_integer_value(pu));
		snprintf(fds, sizeof fds, json_is_integer(fu) ? "%lld" : "-", (long long)json_integer_value(fu));
		const char *name = json_string_value(json_object_get(c, "name"));
		if (a.argc == 2 && name && strcmp(name, a.argv[1]) == 0)
			one = c;
		json_t *p = json_object_get(c, "pid"), *why = json_object_get(c, "reason");
		mib(used, sizeof used, json_object_get(c, "ram_used"));
		mib(quota, sizeof quota, json_object_get(c, "ram_quota"));
		if (json_is_integer(p))
			snprintf(pid, sizeof pid, "%lld", (long long)json_integer_value(p));
		else
			snprintf(pid, sizeof pid, "-");
		printf("%-16s %-9s %7s %8lld %8s %8s %5s %5s %5lld  %s\n",
		       json_string_value(json_object_get(c, "name")),
		       json_string_value(json_object_get(c, "state")), pid,
		       (long long)json_integer_value(json_object_get(c, "restarts")), used, quota, pids,
		       fds, (long long)json_integer_value(json_object_get(c, "caps_quota")),
		       json_is_string(why) ? json_string_value(why) : "");
	}
	if (a.argc == 2 && !one) {
		json_decref(r);
		return cli_fail(cmd, EXIT_DATA, "no child '%s' in the report '%s'", a.argv[1], path);
	}
	json_t *x;
	json_array_foreach(json_object_get(one, "denied"), i, x)
		printf("denied: \"%s\" at %s (label \"%s\"): no policy names it\n",
		       json_string_value(json_object_get(x, "service")),
		       json_string_value(json_object_get(x, "path")),
		       json_string_value(json_object_get(x, "label")));
	if (one)
		printf("last lines of '%s':\n", a.argv[1]);
	json_array_foreach(json_object_get(one, "log"), i, x)
		printf("  %s\n", json_string_value(x));
	json_decref(r);
	return EXIT_OK;
}

const struct cli_cmd sigil_cmd_status = {
	.name = "status",
	.args = "DIR|REPORT [CHILD]",
	.summary = "print sigil-init's state report (DIR/state.json or .cbor) as a table",
	.details = "One line per child, in start order: state, PID, restarts, RAM used and its\n"
		   "quota, processes (PIDS) and the most open descriptors of one process (FDS)\n"
		   "against the caps quota, and why it last stopped (an OOM kill names the quota\n"
		   "to raise). With CHILD, then that child's denials and its last log lines.",
	.opts = opts,
	.run = run,
};
