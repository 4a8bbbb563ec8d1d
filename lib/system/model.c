/*
 * model.c — builds struct sys_system from the generic value tree, checking
 * its shape: required fields, types, and no unknown fields (a misspelt
 * field is an error, not silently ignored). Messages name the path of the
 * value (children.web.resources.ram) and point at it when the source has
 * positions (Dhall).
 *
 * The shape (docs/system.md; dhall/Sigil/package.dhall is its Dhall type):
 *   System   { name, ram, caps, children : Map Text Child,
 *              parent : List { name, path : Optional Text, policies } }
 *   Child    { binary, init : Bool, args, env : Map Text Text, resources { ram, caps },
 *              provides : List Service, uses : List Use, roms : List Rom,
 *              mounts : List Mount, uplink : Optional Uplink, restart,
 *              readiness, pidFile : Optional Text, uid : Optional Natural,
 *              argv0, cwd : Optional Text, restartDelay : Optional Natural,
 *              preStart, postStart : List Command,
 *              seccomp, capabilities : List Text,
 *              syscalls : Optional (List Text) }
 *   Command  { argv : List Text (non-empty, argv[0] absolute), argv0 : Optional
 *              Text, ignoreFailure : Bool }
 *   Service  { name, policies : List Policy }
 *   Policy   { label : { exact, prefix, suffix : Optional Text },
 *              attributes : Map Text Text }
 *   Use      { service, label, path : Optional Text }
 *   Rom      { name, path | text | dhall | urn : Optional Text (exactly one) }
 *   Mount    { target, state : Optional Text, tmpfs : Optional Natural,
 *              writable }
 *   Uplink   { address, forwards : List { host, child, proto } }
 *   restart  < Never | OnFailure | Always > (or its name as text)
 *   readiness < Simple | Forking | Notify > (or its name as text; default Simple)
 * A Map is a record/object, or a list of { mapKey, mapValue } (toMap).
 * A key "a -> b" names child b of the nested init "a" (init = True); see
 * nesting() below.
 */
#include "sys_int.h"

#include <stdio.h>
#include <string.h>

#include "banned.h"

struct ctx {
	struct dhall_arena *a;
	struct sys_report *r;
	char path[512];
};

/* Appends ".name" to the path; returns the old length to restore. */
static size_t path_push(struct ctx *c, const char *name)
{
	size_t n = strlen(c->path), k = strlen(name), sep = n != 0;
	if (n + sep + k >= sizeof c->path) /* cut, like snprintf, but cheap: it runs per field */
		k = sizeof c->path - n - sep - 1;
	if (sep)
		c->path[n] = '.';
	memcpy(c->path + n + sep, name, k);
	c->path[n + sep + k] = 0;
	return n;
}

static int shape(struct ctx *c, const struct sval *v, const char *fmt, const char *what)
{
	char msg[600];
	snprintf(msg, sizeof msg, fmt, what);
	return sys_diag(c->r, SYS_ERROR, v ? v->pos : SIZE_MAX, NULL, "%s: %s",
			c->path[0] ? c->path : "the system", msg);
}

static const char *kind_name(enum sval_kind k)
{
	static const char *const n[] = {"null", "a bool", "a number", "text", "a list",
					"a record", "a union alternative"};
	return n[k];
}

static int want(struct ctx *c, const struct sval *v, enum sval_kind k)
{
	if (v && v->kind == k)
		return 0;
	char msg[200];
	snprintf(msg, sizeof msg, "expected %s, found %s", kind_name(k), v ? kind_name(v->kind) : "nothing");
	return shape(c, v, "%s", msg);
}

/* The field `key` of map m (NULL when absent or null). */
static const struct sval *field(const struct sval *m, const char *key)
{
	for (size_t i = 0; i < m->n; i++)
		if (strcmp(m->keys[i], key) == 0)
			return m->items[i]->kind == SV_NULL ? NULL : m->items[i];
	return NULL;
}

/* Every key of m must be one of `allowed` (NULL-terminated). */
static int only_fields(struct ctx *c, const struct sval *m, const char *const *allowed)
{
	int bad = 0;
	for (size_t i = 0; i < m->n; i++) {
		size_t k;
		for (k = 0; allowed[k]; k++)
			if (strcmp(m->keys[i], allowed[k]) == 0)
				break;
		if (!allowed[k]) {
			char hint[400] = "known fields:";
			for (k = 0; allowed[k]; k++) {
				size_t n = strlen(hint);
				snprintf(hint + n, sizeof hint - n, " %s", allowed[k]);
			}
			sys_diag(c->r, SYS_ERROR, m->items[i]->pos != SIZE_MAX ? m->items[i]->pos : m->pos,
				 hint, "%s: unknown field '%s'", c->path[0] ? c->path : "the system",
				 m->keys[i]);
			bad = -1;
		}
	}
	return bad;
}

static int get_text(struct ctx *c, const struct sval *m, const char *key, int required,
		    const char **out)
{
	const struct sval *v = field(m, key);
	size_t old = path_push(c, key);
	int rc = 0;
	if (!v) {
		if (required)
			rc = shape(c, m, "%s", "this field is required");
	} else if (!(rc = want(c, v, SV_TEXT))) {
		*out = v->text;
	}
	c->path[old] = 0;
	return rc;
}

static int get_nat(struct ctx *c, const struct sval *m, const char *key, int required,
		   uint64_t *out, size_t *pos)
{
	const struct sval *v = field(m, key);
	size_t old = path_push(c, key);
	int rc = 0;
	if (!v) {
		if (required)
			rc = shape(c, m, "%s", "this field is required");
	} else if (!(rc = want(c, v, SV_NAT))) {
		*out = v->nat;
		if (pos)
			*pos = v->pos;
	}
	c->path[old] = 0;
	return rc;
}

static int get_bool(struct ctx *c, const struct sval *m, const char *key, int *out)
{
	const struct sval *v = field(m, key);
	size_t old = path_push(c, key);
	int rc = 0;
	if (v && !(rc = want(c, v, SV_BOOL)))
		*out = v->b;
	c->path[old] = 0;
	return rc;
}

/* A Map Text Text: a record/object of texts, or a toMap list. */
static int get_kv(struct ctx *c, const struct sval *m, const char *key, struct sys_kv **out,
		  size_t *n)
{
	const struct sval *v = field(m, key);
	size_t old = path_push(c, key);
	int rc = 0;
	*n = 0;
	if (!v)
		goto out;
	if (v->kind != SV_MAP && v->kind != SV_LIST) {
		rc = want(c, v, SV_MAP);
		goto out;
	}
	*out = dhall_arena_alloc(c->a, (v->n + 1) * sizeof **out);
	if (!*out) {
		rc = DHALL_ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < v->n; i++) {
		const struct sval *item = v->items[i];
		const char *k = NULL, *val = NULL;
		if (v->kind == SV_MAP) {
			k = v->keys[i];
			if ((rc = want(c, item, SV_TEXT)))
				goto out;
			val = item->text;
		} else {
			if ((rc = want(c, item, SV_MAP)) || (rc = get_text(c, item, "mapKey", 1, &k)) ||
			    (rc = get_text(c, item, "mapValue", 1, &val)))
				goto out;
		}
		(*out)[i].key = k;
		(*out)[i].value = val;
	}
	*n = v->n;
out:
	c->path[old] = 0;
	return rc;
}

/* A list field: calls each(c, item, i) for every element. */
static int get_list(struct ctx *c, const struct sval *m, const char *key, size_t elem,
		    void **out, size_t *n,
		    int (*each)(struct ctx *, const struct sval *, void *))
{
	const struct sval *v = field(m, key);
	size_t old = path_push(c, key);
	int rc = 0;
	*n = 0;
	if (!v)
		goto out;
	if ((rc = want(c, v, SV_LIST)))
		goto out;
	char *arr = dhall_arena_alloc(c->a, (v->n + 1) * elem);
	if (!arr) {
		rc = DHALL_ENOMEM;
		goto out;
	}
	int bad = 0;
	for (size_t i = 0; i < v->n; i++) {
		char idx[32];
		snprintf(idx, sizeof idx, "%zu", i);
		size_t o2 = path_push(c, idx);
		rc = each(c, v->items[i], arr + i * elem);
		c->path[o2] = 0;
		if (rc == DHALL_ENOMEM)
			goto out;
		if (rc)
			bad = rc;
	}
	rc = bad;
	*out = arr;
	*n = v->n;
out:
	c->path[old] = 0;
	return rc;
}

static int each_text(struct ctx *c, const struct sval *v, void *out)
{
	if (want(c, v, SV_TEXT))
		return -1;
	*(const char **)out = v->text;
	return 0;
}

static int each_policy(struct ctx *c, const struct sval *v, void *out)
{
	static const char *const ok[] = {"label", "attributes", NULL};
	static const char *const lab_ok[] = {"exact", "prefix", "suffix", NULL};
	struct sys_policy *p = out;
	p->pos = v->pos;
	if (want(c, v, SV_MAP) || only_fields(c, v, ok))
		return -1;
	const struct sval *l = field(v, "label");
	size_t old = path_push(c, "label");
	int rc = 0;
	if (!l)
		rc = shape(c, v, "%s", "this field is required");
	else if (!(rc = want(c, l, SV_MAP)) && !(rc = only_fields(c, l, lab_ok)))
		rc = get_text(c, l, "exact", 0, &p->label.exact) ||
		     get_text(c, l, "prefix", 0, &p->label.prefix) ||
		     get_text(c, l, "suffix", 0, &p->label.suffix);
	c->path[old] = 0;
	return rc ? -1 : get_kv(c, v, "attributes", &p->attrs, &p->nattrs);
}

static int each_service(struct ctx *c, const struct sval *v, void *out)
{
	static const char *const ok[] = {"name", "policies", NULL};
	struct sys_service *s = out;
	s->pos = v->pos;
	if (want(c, v, SV_MAP) || only_fields(c, v, ok) || get_text(c, v, "name", 1, &s->name))
		return -1;
	return get_list(c, v, "policies", sizeof(struct sys_policy), (void **)&s->policies,
			&s->npolicies, each_policy);
}

static int each_parent_service(struct ctx *c, const struct sval *v, void *out)
{
	static const char *const ok[] = {"name", "path", "policies", NULL};
	struct sys_service *s = out;
	s->pos = v->pos;
	if (want(c, v, SV_MAP) || only_fields(c, v, ok) || get_text(c, v, "name", 1, &s->name) ||
	    get_text(c, v, "path", 0, &s->path))
		return -1;
	return get_list(c, v, "policies", sizeof(struct sys_policy), (void **)&s->policies,
			&s->npolicies, each_policy);
}

static int each_use(struct ctx *c, const struct sval *v, void *out)
{
	static const char *const ok[] = {"service", "label", "path", NULL};
	struct sys_use *u = out;
	u->pos = v->pos;
	u->label = "";
	if (v && v->kind == SV_TEXT) { /* shorthand: just the service name */
		u->service = v->text;
		return 0;
	}
	if (want(c, v, SV_MAP) || only_fields(c, v, ok))
		return -1;
	return get_text(c, v, "service", 1, &u->service) || get_text(c, v, "label", 0, &u->label) ||
			       get_text(c, v, "path", 0, &u->path)
		       ? -1
		       : 0;
}

static int each_rom(struct ctx *c, const struct sval *v, void *out)
{
	static const char *const ok[] = {"name", "path", "text", "dhall", "urn", NULL};
	struct sys_rom *rom = out;
	const char *path = NULL, *text = NULL, *dh = NULL, *urn = NULL;
	rom->pos = v->pos;
	if (want(c, v, SV_MAP) || only_fields(c, v, ok) || get_text(c, v, "name", 1, &rom->name) ||
	    get_text(c, v, "path", 0, &path) || get_text(c, v, "text", 0, &text) ||
	    get_text(c, v, "dhall", 0, &dh) || get_text(c, v, "urn", 0, &urn))
		return -1;
	if (!!path + !!text + !!dh + !!urn != 1)
		return shape(c, v, "%s", "a ROM module needs exactly one of path, text, dhall or urn");
	rom->kind = path ? SYS_ROM_PATH : text ? SYS_ROM_TEXT : dh ? SYS_ROM_DHALL : SYS_ROM_URN;
	rom->value = path ? path : text ? text : dh ? dh : urn;
	return 0;
}

static int each_mount(struct ctx *c, const struct sval *v, void *out)
{
	static const char *const ok[] = {"target", "state", "tmpfs", "writable", NULL};
	struct sys_mount *m = out;
	uint64_t size = UINT64_MAX;
	m->pos = v->pos;
	m->writable = 1;
	if (want(c, v, SV_MAP) || only_fields(c, v, ok) || get_text(c, v, "target", 1, &m->target) ||
	    get_text(c, v, "state", 0, &m->state) || get_nat(c, v, "tmpfs", 0, &size, NULL) ||
	    get_bool(c, v, "writable", &m->writable))
		return -1;
	if (!!m->state + (size != UINT64_MAX) != 1)
		return shape(c, v, "%s", "a mount needs exactly one of state (a directory) or tmpfs (a size)");
	m->kind = m->state ? SYS_MOUNT_STATE : SYS_MOUNT_TMPFS;
	m->size = m->state ? 0 : size;
	return 0;
}

static int each_forward(struct ctx *c, const struct sval *v, void *out)
{
	static const char *const ok[] = {"host", "child", "proto", NULL};
	struct sys_forward *f = out;
	f->pos = v->pos;
	f->proto = "tcp";
	if (want(c, v, SV_MAP) || only_fields(c, v, ok) || get_nat(c, v, "host", 1, &f->host, NULL) ||
	    get_nat(c, v, "child", 1, &f->child, NULL) || get_text(c, v, "proto", 0, &f->proto))
		return -1;
	return 0;
}

static int each_command(struct ctx *c, const struct sval *v, void *out)
{
	static const char *const ok[] = {"argv", "argv0", "ignoreFailure", NULL};
	struct sys_command *cmd = out;
	cmd->pos = v->pos;
	if (want(c, v, SV_MAP) || only_fields(c, v, ok) ||
	    get_list(c, v, "argv", sizeof(char *), (void **)&cmd->argv, &cmd->nargv, each_text) ||
	    get_text(c, v, "argv0", 0, &cmd->argv0) ||
	    get_bool(c, v, "ignoreFailure", &cmd->ignore_failure))
		return -1;
	if (!cmd->nargv || cmd->argv[0][0] != '/')
		return shape(c, v, "%s", "argv must name the program by its absolute path first");
	return 0;
}

static int child(struct ctx *c, const char *name, const struct sval *v, struct sys_child *ch)
{
	static const char *const ok[] = {"binary", "args",   "env",    "resources", "provides", "uses",
					 "roms",   "mounts", "uplink", "restart",   "init",     "readiness",
					 "pidFile", "uid", "argv0", "cwd", "restartDelay", "preStart",
					 "postStart", "seccomp", "capabilities", "syscalls", NULL};
	static const char *const res_ok[] = {"ram", "caps", NULL};
	static const char *const up_ok[] = {"address", "forwards", NULL};
	int bad = 0;
	ch->name = name;
	ch->pos = v->pos;
	if (want(c, v, SV_MAP))
		return -1;
	bad |= only_fields(c, v, ok);
	bad |= get_bool(c, v, "init", &ch->init);
	ch->binary = "";
	bad |= get_text(c, v, "binary", !ch->init, &ch->binary);
	bad |= get_list(c, v, "args", sizeof(char *), (void **)&ch->args, &ch->nargs, each_text);
	bad |= get_kv(c, v, "env", &ch->env, &ch->nenv);
	const struct sval *res = field(v, "resources");
	size_t old = path_push(c, "resources");
	if (!res) {
		bad |= shape(c, v, "%s", "this field is required (ram and caps)");
	} else if (want(c, res, SV_MAP) || only_fields(c, res, res_ok)) {
		bad = -1;
	} else {
		bad |= get_nat(c, res, "ram", 1, &ch->ram, &ch->ram_pos);
		bad |= get_nat(c, res, "caps", 1, &ch->caps, &ch->caps_pos);
	}
	c->path[old] = 0;
	bad |= get_list(c, v, "provides", sizeof(struct sys_service), (void **)&ch->provides,
			&ch->nprovides, each_service);
	bad |= get_list(c, v, "uses", sizeof(struct sys_use), (void **)&ch->uses, &ch->nuses, each_use);
	bad |= get_list(c, v, "roms", sizeof(struct sys_rom), (void **)&ch->roms, &ch->nroms, each_rom);
	bad |= get_list(c, v, "mounts", sizeof(struct sys_mount), (void **)&ch->mounts, &ch->nmounts,
			each_mount);
	const struct sval *up = field(v, "uplink");
	old = path_push(c, "uplink");
	if (up) {
		ch->uplink.present = 1;
		ch->uplink.pos = up->pos;
		if (want(c, up, SV_MAP) || only_fields(c, up, up_ok))
			bad = -1;
		else
			bad |= get_text(c, up, "address", 1, &ch->uplink.address) ||
			       get_list(c, up, "forwards", sizeof(struct sys_forward),
					(void **)&ch->uplink.forwards, &ch->uplink.nforwards, each_forward);
	}
	c->path[old] = 0;
	const struct sval *rs = field(v, "restart");
	old = path_push(c, "restart");
	ch->restart = SYS_RESTART_ON_FAILURE;
	if (rs) {
		const char *t = (rs->kind == SV_TEXT || (rs->kind == SV_TAG && rs->n == 0)) ? rs->text : NULL;
		if (t && strcmp(t, "Never") == 0)
			ch->restart = SYS_RESTART_NEVER;
		else if (t && strcmp(t, "OnFailure") == 0)
			ch->restart = SYS_RESTART_ON_FAILURE;
		else if (t && strcmp(t, "Always") == 0)
			ch->restart = SYS_RESTART_ALWAYS;
		else
			bad = sys_diag(c->r, SYS_ERROR, rs->pos, "use Never, OnFailure or Always",
				       "%s: unknown restart policy", c->path);
	}
	c->path[old] = 0;
	const struct sval *rd = field(v, "readiness");
	old = path_push(c, "readiness");
	ch->readiness = SYS_READY_SIMPLE;
	if (rd) {
		const char *t = (rd->kind == SV_TEXT || (rd->kind == SV_TAG && rd->n == 0)) ? rd->text : NULL;
		if (t && strcmp(t, "Forking") == 0)
			ch->readiness = SYS_READY_FORKING;
		else if (t && strcmp(t, "Notify") == 0)
			ch->readiness = SYS_READY_NOTIFY;
		else if (!t || strcmp(t, "Simple") != 0)
			bad = sys_diag(c->r, SYS_ERROR, rd->pos, "use Simple, Forking or Notify",
				       "%s: unknown readiness", c->path);
	}
	c->path[old] = 0;
	if (get_text(c, v, "pidFile", 0, &ch->pid_file) != 0)
		bad = -1;
	else if (ch->pid_file && (ch->pid_file[0] != '/' || ch->readiness != SYS_READY_FORKING))
		bad = sys_diag(c->r, SYS_ERROR, field(v, "pidFile")->pos,
			       "give an absolute path, with readiness = Forking",
			       "children.%s.pidFile: \"%s\" is not the PID file of a forking child",
			       name, ch->pid_file);
	const struct sval *uid = field(v, "uid");
	ch->has_uid = uid != NULL;
	bad |= get_nat(c, v, "uid", 0, &ch->uid, NULL);
	if (ch->has_uid && ch->uid > 0xfffffffeu)
		bad = sys_diag(c->r, SYS_ERROR, uid->pos, "a uid is below 4294967295",
			       "children.%s.uid: %llu is not a uid", name, (unsigned long long)ch->uid);
	bad |= get_text(c, v, "argv0", 0, &ch->argv0);
	if (get_text(c, v, "cwd", 0, &ch->cwd) != 0)
		bad = -1;
	else if (ch->cwd && ch->cwd[0] != '/')
		bad = sys_diag(c->r, SYS_ERROR, field(v, "cwd")->pos, "give an absolute path",
			       "children.%s.cwd: \"%s\" is not absolute", name, ch->cwd);
	ch->has_restart_delay = field(v, "restartDelay") != NULL;
	bad |= get_nat(c, v, "restartDelay", 0, &ch->restart_delay, NULL);
	if (ch->has_restart_delay && ch->restart_delay > 86400000u)
		bad = sys_diag(c->r, SYS_ERROR, field(v, "restartDelay")->pos,
			       "a delay is in milliseconds, at most a day",
			       "children.%s.restartDelay: %llu ms is too long", name,
			       (unsigned long long)ch->restart_delay);
	bad |= get_list(c, v, "preStart", sizeof(struct sys_command), (void **)&ch->pre_start,
			&ch->npre_start, each_command);
	bad |= get_list(c, v, "postStart", sizeof(struct sys_command), (void **)&ch->post_start,
			&ch->npost_start, each_command);
	bad |= get_list(c, v, "seccomp", sizeof(char *), (void **)&ch->seccomp, &ch->nseccomp, each_text);
	bad |= get_list(c, v, "capabilities", sizeof(char *), (void **)&ch->capabilities,
			&ch->ncapabilities, each_text);
	ch->has_syscalls = field(v, "syscalls") != NULL; /* None (null) or absent: the deny list */
	bad |= get_list(c, v, "syscalls", sizeof(char *), (void **)&ch->syscalls, &ch->nsyscalls, each_text);
	ch->seccomp_pos = field(v, "seccomp") ? field(v, "seccomp")->pos : v->pos;
	ch->syscalls_pos = ch->has_syscalls ? field(v, "syscalls")->pos : v->pos;
	ch->capabilities_pos = field(v, "capabilities") ? field(v, "capabilities")->pos : v->pos;
	return bad ? -1 : 0;
}

int sys_nesting(struct sys_system *s, struct sys_report *r)
{
	int bad = 0;
	for (size_t i = 0; i < s->nchildren; i++) {
		struct sys_child *ch = &s->children[i];
		const char *sep = NULL;
		unsigned depth = 0;
		for (const char *p = strstr(ch->name, " -> "); p; p = strstr(p + 4, " -> ")) {
			sep = p;
			depth++;
		}
		ch->base = sep ? sep + 4 : ch->name;
		ch->parent = SIZE_MAX;
		if (!sep)
			continue;
		size_t plen = (size_t)(sep - ch->name);
		for (size_t k = 0; k < s->nchildren; k++)
			if (strlen(s->children[k].name) == plen &&
			    memcmp(s->children[k].name, ch->name, plen) == 0)
				ch->parent = k;
		if (ch->parent == SIZE_MAX)
			bad = sys_diag(r, SYS_ERROR, ch->pos,
				       "add the nested init (Sigil.nest) or rename the child",
				       "children.%s: no init child '%.*s' holds it", ch->name, (int)plen,
				       ch->name);
		else if (!s->children[ch->parent].init)
			bad = sys_diag(r, SYS_ERROR, ch->pos,
				       "set init = True on the enclosing child, or rename this one",
				       "children.%s: '%.*s' is not an init, so it cannot hold children",
				       ch->name, (int)plen, ch->name);
		else if (depth > SYS_MAX_DEPTH)
			bad = sys_diag(r, SYS_ERROR, ch->pos, "flatten the nesting",
				       "children.%s: nested %u inits deep, over the limit of %u", ch->name,
				       depth, SYS_MAX_DEPTH);
		if (ch->parent != SIZE_MAX && !s->children[ch->parent].init)
			ch->parent = SIZE_MAX; /* keep the tree well-formed after an error */
	}
	for (size_t i = 0; i < s->nchildren; i++) { /* a parent's name is shorter: no cycles */
		unsigned d = 0;
		for (size_t k = s->children[i].parent; k != SIZE_MAX; k = s->children[k].parent)
			d++;
		s->children[i].depth = d;
	}
	return bad ? -1 : 0;
}

int sys_from_value(struct dhall_arena *a, const struct sval *v, struct sys_system *s,
		   struct sys_report *r)
{
	static const char *const ok[] = {"name", "ram", "caps", "children", "parent", NULL};
	struct ctx c = {.a = a, .r = r};
	int bad = 0;
	s->pos = v->pos;
	if (want(&c, v, SV_MAP))
		return -1;
	bad |= only_fields(&c, v, ok);
	bad |= get_list(&c, v, "parent", sizeof(struct sys_service), (void **)&s->parent, &s->nparent,
			each_parent_service);
	bad |= get_text(&c, v, "name", 1, &s->name);
	bad |= get_nat(&c, v, "ram", 1, &s->ram, &s->ram_pos);
	bad |= get_nat(&c, v, "caps", 1, &s->caps, &s->caps_pos);
	const struct sval *ch = field(v, "children");
	if (!ch)
		return shape(&c, v, "%s", "children: this field is required");
	if (ch->kind != SV_MAP && ch->kind != SV_LIST)
		return want(&c, ch, SV_MAP);
	s->children = dhall_arena_alloc(a, (ch->n + 1) * sizeof *s->children);
	if (!s->children)
		return DHALL_ENOMEM;
	for (size_t i = 0; i < ch->n; i++) {
		const char *name;
		const struct sval *cv = ch->items[i];
		path_push(&c, "children");
		if (ch->kind == SV_MAP) {
			name = ch->keys[i];
		} else {
			if (want(&c, cv, SV_MAP) || get_text(&c, cv, "mapKey", 1, &name)) {
				bad = -1;
				c.path[0] = 0;
				continue;
			}
			cv = field(cv, "mapValue");
		}
		path_push(&c, name);
		int rc = cv ? child(&c, name, cv, &s->children[s->nchildren++])
			    : shape(&c, ch->items[i], "%s", "mapValue is missing");
		if (rc == DHALL_ENOMEM)
			return rc;
		bad |= rc;
		c.path[0] = 0;
	}
	if (!bad)
		bad |= sys_nesting(s, r);
	return bad ? -1 : 0;
}
