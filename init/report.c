/*
 * report.c — the state report: one JSON file, rewritten whole and
 * atomically (temporary file beside it, fsync, rename) whenever a child
 * changes state. Readers (sigil status, tests) never see half a report.
 *
 *   { "system": NAME, "root": URN, "pid": INIT-PID,
 *     "state": "starting" | "running" | "stopping" | "stopped" | "failed",
 *     "cgroups": "v1" | "v2", "loaded_us": CLOCK_MONOTONIC µs when the
 *     description had been read and checked,
 *     "children": [ { "name", "state", "pid" (host PID of its PID 1, or
 *        null), "restarts", "restart" (policy), "ram_quota" (bytes),
 *        "caps_quota", "ram_used" (bytes), "pids_used" (processes and
 *        threads, against caps_quota), "fds_used" (the most open
 *        descriptors of one process, against caps_quota) — the three
 *        while it has its groups —, "exit":
 *        { "code": N } | { "signal": N } | null, "reason": TEXT | null,
 *        "services": [ { "service", "server", "path" } ],
 *        "denied": [ { "service", "path", "label", "candidates":
 *          [ { "server", "policies": [ "exact \"a\"" ... ] } ] } ],
 *        "log": [ LINE ... ] } ... ] }
 *
 * "denied" lists the uses of the child no policy names (deny.c): the path
 * where it finds nothing, its full label, and every policy of every child
 * providing the service, one of which would have to match that label for
 * a route. "log" is the child's last lines (at most INIT_RING_LINES of
 * the INIT_RING bytes log.c keeps), oldest first.
 *
 * The same report goes, as CBOR, to --report-cbor FILE (written the same
 * way): maps with text keys in the order above, text, unsigned and
 * negative integers, true/false/null; nothing else. `sigil status` reads
 * either.
 *
 * Child states: down, running, backoff, stopping, exited, failed (exited
 * for good with a failure). "reason" says why it stopped, e.g. "out of
 * memory: raise resources.ram of 'hog' (16777216 bytes)".
 */
#include "init.h"

#include "cbor/cbor_head.h"

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

static json_t *denied_json(const struct init *in, const struct init_child *c)
{
	json_t *list = json_array();
	char sel[600];
	for (size_t k = 0; list && k < c->ndenials; k++) {
		const char *svc = c->denials[k].service;
		json_t *cands = json_array();
		for (size_t i = 0; cands && i < in->n; i++)
			for (size_t j = 0; j < in->c[i].sys->nprovides; j++) {
				const struct sys_service *sv = &in->c[i].sys->provides[j];
				if (strcmp(sv->name, svc) != 0)
					continue;
				json_t *pols = json_array();
				for (size_t p = 0; pols && p < sv->npolicies; p++) {
					sys_label_text(&sv->policies[p].label, sel, sizeof sel);
					json_array_append_new(pols, json_string(sel));
				}
				json_array_append_new(cands, json_pack("{s:s,s:o}", "server", in->c[i].name,
								       "policies", pols ? pols : json_array()));
			}
		json_array_append_new(list, json_pack("{s:s,s:s,s:s,s:o}", "service", svc, "path",
						      c->denials[k].path, "label", c->denials[k].label,
						      "candidates", cands ? cands : json_array()));
	}
	return list;
}

/* The last INIT_RING_LINES lines of c's ring. */
static json_t *log_json(const struct init_child *c)
{
	json_t *list = json_array();
	char *buf = malloc(INIT_RING);
	size_t n = buf ? init_log_copy(c, buf) : 0, lines = 0, at = 0;
	for (size_t i = 0; i < n; i++)
		lines += buf[i] == '\n';
	for (size_t i = 0; list && i < n; i++) {
		if (buf[i] != '\n')
			continue;
		json_t *line = lines-- <= INIT_RING_LINES ? json_stringn(buf + at, i - at) : NULL;
		for (size_t k = at; lines < INIT_RING_LINES && !line && k < i; k++)
			buf[k] = buf[k] & 0x80 ? '?' : buf[k]; /* not UTF-8: bytes past ASCII as '?' */
		if (lines < INIT_RING_LINES && !line)
			line = json_stringn(buf + at, i - at);
		json_array_append_new(list, line);
		at = i + 1;
	}
	free(buf);
	return list ? list : json_array();
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
	for (size_t k = 0; k < c->nhbinds; k++) /* services of the parent: server "(parent)" */
		json_array_append_new(svc, json_pack("{s:s,s:s,s:s}", "service", c->hbinds[k].service,
						     "server", "(parent)", "path", c->hbinds[k].path));
	json_object_set_new(o, "name", json_string(c->name));
	json_object_set_new(o, "state", json_string(init_state_name(c)));
	json_object_set_new(o, "pid", c->pid > 0 ? json_integer(c->pid) : json_null());
	json_object_set_new(o, "restarts", json_integer(c->restarts));
	json_object_set_new(o, "restart", json_string(policy_names[c->sys->restart % 3]));
	json_object_set_new(o, "ram_quota", json_integer((json_int_t)c->sys->ram));
	json_object_set_new(o, "caps_quota", json_integer((json_int_t)c->sys->caps));
	if (c->cg_mem[0]) {
		json_object_set_new(o, "ram_used", json_integer((json_int_t)init_cg_mem_used(c)));
		json_object_set_new(o, "pids_used", json_integer((json_int_t)init_cg_pids_used(c)));
		json_object_set_new(o, "fds_used", json_integer(init_cg_fds_used(c)));
	}
	json_object_set_new(o, "exit", ex ? ex : json_null());
	json_object_set_new(o, "reason", c->reason[0] ? json_string(c->reason) : json_null());
	json_object_set_new(o, "services", svc);
	json_object_set_new(o, "denied", denied_json(in, c));
	json_object_set_new(o, "log", log_json(c));
	if (c->uplink)
		json_object_set_new(o, "uplink", json_pack("{s:s,s:s}", "address", c->sys->uplink.address,
							   "veth", c->veth));
	return o;
fail:
	json_decref(o);
	json_decref(svc);
	return NULL;
}

/* ---- CBOR (RFC 8949) of a JSON value: definite lengths, shortest heads */

struct cbuf {
	uint8_t *p;
	size_t n, cap;
	int nomem;
};

static void cb_put(struct cbuf *b, const void *d, size_t len)
{
	if (b->nomem)
		return;
	if (b->n + len > b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 4096;
		while (cap < b->n + len)
			cap *= 2;
		uint8_t *np = realloc(b->p, cap);
		if (!np) {
			b->nomem = 1;
			return;
		}
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->n, d, len);
	b->n += len;
}

static void cb_head(struct cbuf *b, unsigned major, uint64_t v)
{
	uint8_t h[CBOR_HEAD_MAX];
	cb_put(b, h, cbor_head_put(h, major, v));
}

static void cb_value(struct cbuf *b, json_t *v)
{
	size_t i;
	const char *k;
	json_t *x;
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		cb_head(b, 5, json_object_size(v));
		json_object_foreach(v, k, x) {
			cb_head(b, 3, strlen(k));
			cb_put(b, k, strlen(k));
			cb_value(b, x);
		}
		break;
	case JSON_ARRAY:
		cb_head(b, 4, json_array_size(v));
		json_array_foreach(v, i, x)
			cb_value(b, x);
		break;
	case JSON_STRING:
		cb_head(b, 3, json_string_length(v));
		cb_put(b, json_string_value(v), json_string_length(v));
		break;
	case JSON_INTEGER: {
		json_int_t n = json_integer_value(v);
		if (n >= 0)
			cb_head(b, 0, (uint64_t)n);
		else
			cb_head(b, 1, (uint64_t)(-(n + 1)));
		break;
	}
	case JSON_TRUE: cb_put(b, "\xf5", 1); break;
	case JSON_FALSE: cb_put(b, "\xf4", 1); break;
	default: cb_put(b, "\xf6", 1); break; /* null (the report has no reals) */
	}
}

/* data into path, atomically: path.tmpPID, fsync, rename. 0 or -1. */
static int write_atomic(const char *path, const void *data, size_t len)
{
	char tmp[4200];
	int fd;
	snprintf(tmp, sizeof tmp, "%s.tmp%ld", path, (long)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		goto fail;
	if (write(fd, data, len) != (ssize_t)len || fsync(fd) != 0)
		goto fail;
	if (close(fd) != 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) != 0)
		goto fail;
	return 0;
fail:
	init_say("cannot write the report %s: %s", path, strerror(errno));
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	return -1;
}

void init_report(const struct init *in, const char *overall)
{
	char *text = NULL;
	struct cbuf cb = {0};
	json_t *root = NULL, *kids = NULL;
	if (!in->o.report && !in->o.report_cbor)
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
	json_object_set_new(root, "loaded_us", json_integer((json_int_t)in->loaded_us));
	for (size_t i = 0; i < in->n; i++)
		json_array_append_new(kids, child_json(in, &in->c[in->order ? in->order[i] : i]));
	json_object_set(root, "children", kids);
	if (in->o.report) {
		text = json_dumps(root, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
		if (!text)
			goto out;
		size_t len = strlen(text);
		text[len] = '\n'; /* json_dumps leaves room for its NUL: the newline takes it */
		write_atomic(in->o.report, text, len + 1);
	}
	if (in->o.report_cbor) {
		cb_value(&cb, root);
		if (cb.nomem)
			init_say("out of memory for the CBOR report");
		else
			write_atomic(in->o.report_cbor, cb.p, cb.n);
	}
out:
	free(cb.p);
	free(text);
	json_decref(kids);
	json_decref(root);
}
