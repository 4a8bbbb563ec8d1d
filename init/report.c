/*
 * report.c — the state report: one JSON file, rewritten whole and
 * atomically (temporary file beside it, fsync, rename) whenever a child
 * changes state. Readers (sigil status, tests) never see half a report.
 *
 *   { "system": NAME, "root": URN, "pid": INIT-PID,
 *     "state": "starting" | "running" | "stopping" | "stopped" | "failed",
 *     "cgroups": "v1" | "v2",
 *     "children": [ { "name", "state", "pid" (host PID of its PID 1, or
 *        null), "restarts", "restart" (policy), "ram_quota" (bytes),
 *        "caps_quota", "ram_used" (bytes, when it has a group), "exit":
 *        { "code": N } | { "signal": N } | null, "reason": TEXT | null,
 *        "services": [ { "service", "server", "path" } ] } ... ] }
 *
 * Child states: down, running, backoff, stopping, exited, failed (exited
 * for good with a failure). "reason" says why it stopped, e.g. "out of
 * memory: raise resources.ram of 'hog' (16777216 bytes)".
 */
#include "init.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "banned.h"

static const char *const policy_names[] = {"Never", "OnFailure", "Always"};

const char *init_state_name(const struct init_child *c)
{
	switch (c->state) {
	case ST_DOWN: return "down";
	case ST_RUNNING: return "running";
	case ST_BACKOFF: return "backoff";
	case ST_STOPPING: return "stopping";
	case ST_EXITED:
		return c->has_status && WIFEXITED(c->status) && WEXITSTATUS(c->status) == 0 ? "exited"
											  : "failed";
	default: return "?";
	}
}

static json_t *child_json(const struct init *in, const struct init_child *c)
{
	json_t *o = json_object(), *svc = json_array(), *ex = json_null();
	if (!o || !svc)
		goto fail;
	if (c->has_status) {
		if (WIFEXITED(c->status))
			ex = json_pack("{s:i}", "code", WEXITSTATUS(c->status));
		else if (WIFSIGNALED(c->status))
			ex = json_pack("{s:i}", "signal", WTERMSIG(c->status));
	}
	for (size_t k = 0; k < c->nbinds; k++)
		json_array_append_new(svc, json_pack("{s:s,s:s,s:s}", "service", c->binds[k].service,
						     "server", in->c[c->binds[k].server].name, "path",
						     c->binds[k].path));
	json_object_set_new(o, "name", json_string(c->name));
	json_object_set_new(o, "state", json_string(init_state_name(c)));
	json_object_set_new(o, "pid", c->pid > 0 ? json_integer(c->pid) : json_null());
	json_object_set_new(o, "restarts", json_integer(c->restarts));
	json_object_set_new(o, "restart", json_string(policy_names[c->sys->restart % 3]));
	json_object_set_new(o, "ram_quota", json_integer((json_int_t)c->sys->ram));
	json_object_set_new(o, "caps_quota", json_integer((json_int_t)c->sys->caps));
	if (c->cg_mem[0])
		json_object_set_new(o, "ram_used", json_integer((json_int_t)init_cg_mem_used(c)));
	json_object_set_new(o, "exit", ex ? ex : json_null());
	json_object_set_new(o, "reason", c->reason[0] ? json_string(c->reason) : json_null());
	json_object_set_new(o, "services", svc);
	if (c->uplink)
		json_object_set_new(o, "uplink", json_pack("{s:s,s:s}", "address", c->sys->uplink.address,
							   "veth", c->veth));
	return o;
fail:
	json_decref(o);
	json_decref(svc);
	return NULL;
}

void init_report(const struct init *in, const char *overall)
{
	char tmp[4200];
	char *text = NULL;
	int fd = -1;
	json_t *root = NULL, *kids = NULL;
	if (!in->o.report)
		return;
	root = json_object();
	kids = json_array();
	if (!root || !kids)
		goto out;
	json_object_set_new(root, "system", json_string(in->sys.name ? in->sys.name : ""));
	json_object_set_new(root, "root", json_string(in->o.urn));
	json_object_set_new(root, "pid", json_integer(getpid()));
	json_object_set_new(root, "state", json_string(overall));
	json_object_set_new(root, "cgroups", json_string(in->cg_v2 ? "v2" : "v1"));
	for (size_t i = 0; i < in->n; i++)
		json_array_append_new(kids, child_json(in, &in->c[in->order ? in->order[i] : i]));
	json_object_set(root, "children", kids);
	text = json_dumps(root, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
	if (!text)
		goto out;
	snprintf(tmp, sizeof tmp, "%s.tmp%ld", in->o.report, (long)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		goto fail;
	size_t len = strlen(text);
	if (write(fd, text, len) != (ssize_t)len || write(fd, "\n", 1) != 1 || fsync(fd) != 0)
		goto fail;
	if (close(fd) != 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, in->o.report) != 0)
		goto fail;
	goto out;
fail:
	init_say("cannot write the report %s: %s", in->o.report, strerror(errno));
	if (fd >= 0)
		close(fd);
	unlink(tmp);
out:
	free(text);
	json_decref(kids);
	json_decref(root);
}
