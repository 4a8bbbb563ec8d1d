/*
 * cbor.c — the system description as CBOR (docs/system-format.md): the
 * value sigil-init reads. It is the JSON shape of the system (model.c) in
 * CBOR: maps with text keys, arrays, text, unsigned integers, booleans;
 * absent optional fields are left out. The model is first turned back into
 * the generic value tree (sys_int.h), which is written with the canonical
 * CBOR writer of lib/dhall (dhall_int.h: shortest heads) and map keys in
 * RFC 8949 §4.2.1 order (shorter first, then bytewise), so one system has
 * one encoding and therefore one URN.
 *
 * Reading is a strict hand-rolled reader into the same value tree, because
 * the input is outside data (a store, a partition): definite lengths only,
 * no tags, floats or negative numbers, no duplicate keys, keys in canonical
 * order, nesting bounded, and a declared count larger than the bytes left
 * refused before anything is allocated.
 */
#include "sys_int.h"
#include "cbor/cbor_head.h"
#include "dhall/dhall_int.h"

#include <stdlib.h>
#include <string.h>

#include "banned.h"

/* ---------------------------------------------------------------- model → values */

struct tv {
	struct dhall_arena *a;
	int nomem;
};

static struct sval *v_new(struct tv *t, enum sval_kind k, size_t n)
{
	struct sval *v = dhall_arena_alloc(t->a, sizeof *v);
	if (v && n) {
		v->items = dhall_arena_alloc(t->a, n * sizeof *v->items);
		v->keys = dhall_arena_alloc(t->a, n * sizeof *v->keys);
		if (!v->items || !v->keys)
			v = NULL;
	}
	if (!v) {
		t->nomem = 1;
		return NULL;
	}
	v->kind = k;
	v->pos = SIZE_MAX;
	return v;
}

static struct sval *v_text(struct tv *t, const char *s)
{
	struct sval *v = v_new(t, SV_TEXT, 0);
	if (v)
		v->text = s;
	return v;
}

static struct sval *v_nat(struct tv *t, uint64_t n)
{
	struct sval *v = v_new(t, SV_NAT, 0);
	if (v)
		v->nat = n;
	return v;
}

/* Adds key → val to map m (skipped when val is NULL: absent). */
static void put(struct sval *m, const char *key, struct sval *val)
{
	if (!m || !val)
		return;
	m->keys[m->n] = key;
	m->items[m->n++] = val;
}

static struct sval *v_kvs(struct tv *t, const struct sys_kv *kv, size_t n)
{
	struct sval *m = v_new(t, SV_MAP, n + 1);
	for (size_t i = 0; m && i < n; i++)
		put(m, kv[i].key, v_text(t, kv[i].value));
	return m;
}

/* A service's policies as a list of { label, attributes }. */
static struct sval *v_policies(struct tv *t, const struct sys_service *s)
{
	struct sval *pols = v_new(t, SV_LIST, s->npolicies + 1);
	for (size_t p = 0; pols && p < s->npolicies; p++) {
		const struct sys_policy *po = &s->policies[p];
		struct sval *pm = v_new(t, SV_MAP, 2), *lab = v_new(t, SV_MAP, 3);
		if (po->label.exact)
			put(lab, "exact", v_text(t, po->label.exact));
		if (po->label.prefix)
			put(lab, "prefix", v_text(t, po->label.prefix));
		if (po->label.suffix)
			put(lab, "suffix", v_text(t, po->label.suffix));
		put(pm, "label", lab);
		put(pm, "attributes", v_kvs(t, po->attrs, po->nattrs));
		pols->items[pols->n++] = pm;
	}
	return pols;
}

/* preStart/postStart: a list of { argv, argv0?, ignoreFailure }. */
static struct sval *v_commands(struct tv *t, const struct sys_command *cmd, size_t n)
{
	struct sval *l = v_new(t, SV_LIST, n + 1);
	for (size_t i = 0; l && i < n; i++) {
		struct sval *m = v_new(t, SV_MAP, 3), *argv = v_new(t, SV_LIST, cmd[i].nargv + 1),
			    *ig = v_new(t, SV_BOOL, 0);
		for (size_t k = 0; argv && k < cmd[i].nargv; k++)
			argv->items[argv->n++] = v_text(t, cmd[i].argv[k]);
		if (ig)
			ig->b = cmd[i].ignore_failure;
		put(m, "argv", argv);
		if (cmd[i].argv0)
			put(m, "argv0", v_text(t, cmd[i].argv0));
		put(m, "ignoreFailure", ig);
		l->items[l->n++] = m;
	}
	return l;
}

static struct sval *v_child(struct tv *t, const struct sys_child *c)
{
	struct sval *m = v_new(t, SV_MAP, 32), *res = v_new(t, SV_MAP, 2);
	put(res, "ram", v_nat(t, c->ram));
	put(res, "caps", v_nat(t, c->caps));
	put(m, "binary", v_text(t, c->binary));
	if (c->init) { /* only when set: descriptions without nesting keep their bytes */
		struct sval *in = v_new(t, SV_BOOL, 0);
		if (in)
			in->b = 1;
		put(m, "init", in);
	}
	struct sval *args = v_new(t, SV_LIST, c->nargs + 1);
	for (size_t i = 0; args && i < c->nargs; i++)
		args->items[args->n++] = v_text(t, c->args[i]);
	put(m, "args", args);
	put(m, "env", v_kvs(t, c->env, c->nenv));
	put(m, "resources", res);
	struct sval *prov = v_new(t, SV_LIST, c->nprovides + 1);
	for (size_t i = 0; prov && i < c->nprovides; i++) {
		const struct sys_service *s = &c->provides[i];
		struct sval *sv = v_new(t, SV_MAP, 2);
		put(sv, "name", v_text(t, s->name));
		put(sv, "policies", v_policies(t, s));
		prov->items[prov->n++] = sv;
	}
	put(m, "provides", prov);
	struct sval *uses = v_new(t, SV_LIST, c->nuses + 1);
	for (size_t i = 0; uses && i < c->nuses; i++) {
		struct sval *u = v_new(t, SV_MAP, 3);
		put(u, "service", v_text(t, c->uses[i].service));
		put(u, "label", v_text(t, c->uses[i].label ? c->uses[i].label : ""));
		if (c->uses[i].path)
			put(u, "path", v_text(t, c->uses[i].path));
		uses->items[uses->n++] = u;
	}
	put(m, "uses", uses);
	struct sval *roms = v_new(t, SV_LIST, c->nroms + 1);
	for (size_t i = 0; roms && i < c->nroms; i++) {
		static const char *const kind[] = {"path", "text", "dhall", "urn"};
		struct sval *r = v_new(t, SV_MAP, 2);
		put(r, "name", v_text(t, c->roms[i].name));
		put(r, kind[c->roms[i].kind], v_text(t, c->roms[i].value));
		roms->items[roms->n++] = r;
	}
	put(m, "roms", roms);
	struct sval *mounts = v_new(t, SV_LIST, c->nmounts + 1);
	for (size_t i = 0; mounts && i < c->nmounts; i++) {
		const struct sys_mount *mt = &c->mounts[i];
		struct sval *mm = v_new(t, SV_MAP, 3), *w = v_new(t, SV_BOOL, 0);
		if (w)
			w->b = mt->writable;
		put(mm, "target", v_text(t, mt->target));
		if (mt->kind == SYS_MOUNT_STATE)
			put(mm, "state", v_text(t, mt->state));
		else
			put(mm, "tmpfs", v_nat(t, mt->size));
		put(mm, "writable", w);
		mounts->items[mounts->n++] = mm;
	}
	put(m, "mounts", mounts);
	if (c->uplink.present) {
		struct sval *up = v_new(t, SV_MAP, 2), *fw = v_new(t, SV_LIST, c->uplink.nforwards + 1);
		for (size_t i = 0; fw && i < c->uplink.nforwards; i++) {
			struct sval *f = v_new(t, SV_MAP, 3);
			put(f, "host", v_nat(t, c->uplink.forwards[i].host));
			put(f, "child", v_nat(t, c->uplink.forwards[i].child));
			put(f, "proto", v_text(t, c->uplink.forwards[i].proto));
			fw->items[fw->n++] = f;
		}
		put(up, "address", v_text(t, c->uplink.address));
		put(up, "forwards", fw);
		put(m, "uplink", up);
	}
	static const char *const restart[] = {"Never", "OnFailure", "Always"};
	put(m, "restart", v_text(t, restart[c->restart]));
	if (c->readiness != SYS_READY_SIMPLE) /* defaults are left out: Simple, no pidFile, no uid */
		put(m, "readiness", v_text(t, c->readiness == SYS_READY_FORKING ? "Forking" : "Notify"));
	if (c->pid_file)
		put(m, "pidFile", v_text(t, c->pid_file));
	if (c->has_uid)
		put(m, "uid", v_nat(t, c->uid));
	const char **lists[2] = {c->seccomp, c->capabilities}; /* left out when empty */
	size_t nlists[2] = {c->nseccomp, c->ncapabilities};
	for (int k = 0; k < 2; k++) {
		struct sval *l = nlists[k] ? v_new(t, SV_LIST, nlists[k]) : NULL;
		for (size_t i = 0; l && i < nlists[k]; i++)
			l->items[l->n++] = v_text(t, lists[k][i]);
		put(m, k ? "capabilities" : "seccomp", l);
	}
	if (c->has_syscalls) { /* None is left out; Some [] is an (empty) allow-list */
		struct sval *l = v_new(t, SV_LIST, c->nsyscalls + 1);
		for (size_t i = 0; l && i < c->nsyscalls; i++)
			l->items[l->n++] = v_text(t, c->syscalls[i]);
		put(m, "syscalls", l);
	}
	if (c->argv0) /* as are no argv0, cwd, restartDelay and empty pre/postStart */
		put(m, "argv0", v_text(t, c->argv0));
	if (c->cwd)
		put(m, "cwd", v_text(t, c->cwd));
	if (c->has_restart_delay)
		put(m, "restartDelay", v_nat(t, c->restart_delay));
	if (c->npre_start)
		put(m, "preStart", v_commands(t, c->pre_start, c->npre_start));
	if (c->npost_start)
		put(m, "postStart", v_commands(t, c->post_start, c->npost_start));
	return m;
}

/* ---------------------------------------------------------------- values → CBOR */

struct key_ix {
	const char *key;
	size_t len, i;
};

/* Canonical order (RFC 8949 §4.2.3 for text keys): shorter first, then bytewise. */
static int key_before(const struct key_ix *x, const struct key_ix *y)
{
	if (x->len != y->len)
		return x->len < y->len;
	return memcmp(x->key, y->key, x->len) < 0;
}

static int key_cmp(const void *a, const void *b)
{
	const struct key_ix *x = a, *y = b;
	return key_before(x, y) ? -1 : key_before(y, x);
}

static int write_val(struct dhall_buf *b, const struct sval *v)
{
	int rc = 0;
	switch (v->kind) {
	case SV_NAT:
		return dhall_cbor_uint(b, v->nat);
	case SV_BOOL:
		return dhall_cbor_bool(b, v->b);
	case SV_TEXT:
		return dhall_cbor_text(b, v->text, strlen(v->text));
	case SV_LIST:
		if ((rc = dhall_cbor_head(b, CBOR_ARRAY, v->n)))
			return rc;
		for (size_t i = 0; i < v->n && !rc; i++)
			rc = write_val(b, v->items[i]);
		return rc;
	case SV_MAP: {
		/* small maps (all but `children`) sorted by insertion, on the stack */
		struct key_ix small[32], *ix = v->n <= 32 ? small : malloc(v->n * sizeof *ix);
		if (!ix)
			return DHALL_ENOMEM;
		for (size_t i = 0; i < v->n; i++) {
			struct key_ix k = {v->keys[i], strlen(v->keys[i]), i};
			size_t j = i;
			for (; ix == small && j > 0 && key_before(&k, &ix[j - 1]); j--)
				ix[j] = ix[j - 1];
			ix[j] = k;
		}
		if (ix != small)
			qsort(ix, v->n, sizeof *ix, key_cmp);
		rc = dhall_cbor_head(b, CBOR_MAP, v->n);
		for (size_t i = 0; i < v->n && !rc; i++) {
			if (i && ix[i - 1].len == ix[i].len && memcmp(ix[i - 1].key, ix[i].key, ix[i].len) == 0)
				rc = DHALL_EBINARY; /* duplicate keys have no canonical form */
			else if (!(rc = dhall_cbor_text(b, ix[i].key, ix[i].len)))
				rc = write_val(b, v->items[ix[i].i]);
		}
		if (ix != small)
			free(ix);
		return rc;
	}
	default:
		return DHALL_EBINARY;
	}
}

int sys_encode_cbor(struct dhall_arena *a, const struct sys_system *s, struct dhall_buf *out)
{
	struct tv t = {a, 0};
	struct sval *m = v_new(&t, SV_MAP, 5), *ch = v_new(&t, SV_MAP, s->nchildren + 1);
	put(m, "name", v_text(&t, s->name ? s->name : ""));
	put(m, "ram", v_nat(&t, s->ram));
	put(m, "caps", v_nat(&t, s->caps));
	for (size_t i = 0; ch && i < s->nchildren; i++)
		put(ch, s->children[i].name, v_child(&t, &s->children[i]));
	put(m, "children", ch);
	if (s->nparent) { /* only when there are some: other descriptions keep their bytes */
		struct sval *pl = v_new(&t, SV_LIST, s->nparent);
		for (size_t i = 0; pl && i < s->nparent; i++) {
			const struct sys_service *sv = &s->parent[i];
			struct sval *e = v_new(&t, SV_MAP, 3);
			put(e, "name", v_text(&t, sv->name));
			if (sv->path)
				put(e, "path", v_text(&t, sv->path));
			put(e, "policies", v_policies(&t, sv));
			pl->items[pl->n++] = e;
		}
		put(m, "parent", pl);
	}
	if (t.nomem || !m)
		return DHALL_ENOMEM;
	size_t len0 = out->len;
	int rc = write_val(out, m);
	if (rc)
		out->len = len0;
	return rc;
}

/* ---------------------------------------------------------------- CBOR → values */

struct rd {
	const uint8_t *p;
	size_t len, at;
	struct dhall_arena *a;
	struct sys_report *r;
};

static int rd_fail(struct rd *r, const char *what)
{
	return sys_diag(r->r, SYS_ERROR, SIZE_MAX, NULL, "bad system description at byte %zu: %s",
			r->at, what);
}

/* A head: major type and argument (shortest form required). */
static int rd_head(struct rd *r, unsigned *major, uint64_t *arg)
{
	struct cbor_head h;
	int n = cbor_head_get(r->p + r->at, r->len - r->at, &h);
	if (n == CBOR_HEAD_TRUNCATED)
		return rd_fail(r, "truncated");
	if (n < 0 || h.indefinite)
		return rd_fail(r, "indefinite length or reserved value");
	if (!h.shortest)
		return rd_fail(r, "a number not in its shortest form");
	r->at += (size_t)n;
	*major = h.major;
	*arg = h.arg;
	return 0;
}

static int rd_text(struct rd *r, uint64_t n, const char **out)
{
	if (n > r->len - r->at)
		return rd_fail(r, "text longer than the input");
	if (memchr(r->p + r->at, 0, (size_t)n))
		return rd_fail(r, "text holds a NUL character");
	char *s = dhall_arena_strdup(r->a, (const char *)r->p + r->at, (size_t)n);
	if (!s)
		return DHALL_ENOMEM;
	r->at += (size_t)n;
	*out = s;
	return 0;
}

static int rd_val(struct rd *r, struct sval **out, unsigned depth)
{
	unsigned major;
	uint64_t arg;
	int rc;
	if (depth > 64)
		return rd_fail(r, "nested too deeply");
	if ((rc = rd_head(r, &major, &arg)))
		return rc;
	struct sval *v = dhall_arena_alloc(r->a, sizeof *v);
	if (!v)
		return DHALL_ENOMEM;
	v->pos = SIZE_MAX;
	switch (major) {
	case 0:
		v->kind = SV_NAT;
		v->nat = arg;
		break;
	case 3:
		v->kind = SV_TEXT;
		if ((rc = rd_text(r, arg, &v->text)))
			return rc;
		break;
	case 4:
	case 5: {
		/* every item takes at least one byte (two for a map entry) */
		if (arg > (r->len - r->at) / (major == 5 ? 2 : 1))
			return rd_fail(r, "more items declared than bytes left");
		v->kind = major == 4 ? SV_LIST : SV_MAP;
		v->n = (size_t)arg;
		v->items = dhall_arena_alloc(r->a, (v->n + 1) * sizeof *v->items);
		v->keys = dhall_arena_alloc(r->a, (v->n + 1) * sizeof *v->keys);
		if (!v->items || !v->keys)
			return DHALL_ENOMEM;
		for (size_t i = 0; i < v->n; i++) {
			if (major == 5) {
				unsigned km;
				uint64_t kl;
				if ((rc = rd_head(r, &km, &kl)))
					return rc;
				if (km != 3)
					return rd_fail(r, "a map key that is not text");
				if ((rc = rd_text(r, kl, &v->keys[i])))
					return rc;
				if (i) {
					struct key_ix x = {v->keys[i - 1], strlen(v->keys[i - 1]), 0},
						      y = {v->keys[i], strlen(v->keys[i]), 0};
					if (key_cmp(&x, &y) >= 0)
						return rd_fail(r, "map keys not in canonical order (or repeated)");
				}
			}
			if ((rc = rd_val(r, &v->items[i], depth + 1)))
				return rc;
		}
		break;
	}
	case 7:
		if (arg == 20 || arg == 21) {
			v->kind = SV_BOOL;
			v->b = arg == 21;
			break;
		}
		if (arg == 22) {
			v->kind = SV_NULL;
			break;
		}
		return rd_fail(r, "a float or simple value");
	default:
		return rd_fail(r, "a negative number, byte string or tag");
	}
	*out = v;
	return 0;
}

int sys_load_cbor(struct dhall_arena *arena, const uint8_t *data, size_t len, const char *file,
		  struct sys_system *out, struct sys_report *r)
{
	struct rd rd = {data, len, 0, arena, r};
	struct sval *v;
	memset(out, 0, sizeof *out);
	out->file = file;
	int rc = rd_val(&rd, &v, 0);
	if (rc)
		return rc;
	if (rd.at != len)
		return rd_fail(&rd, "bytes after the description");
	return sys_from_value(arena, v, out, r);
}
