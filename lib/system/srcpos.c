/*
 * srcpos.c — source positions for a system that had to be evaluated.
 *
 * A system in normal form keeps its positions: load.c reads the parsed
 * tree directly. One written with dhall/Sigil/package.dhall (completions,
 * functions, defaults, imports) is normalized first, and the normal form's
 * nodes carry no position, so every finding would point at 1:1. This file
 * gives the value tree (struct sval) positions back by matching the paths
 * of its fields against the record fields written in the file itself.
 *
 * The file's fields. One walk over the parsed (unresolved) syntax tree
 * collects every field of a record literal — `label = value` — with the
 * position of its value and the field it is written inside (its parent),
 * so each has a chain of labels up to the top. Three spellings also name
 * fields: `{ mapKey = "web", mapValue = v }` is the field web = v (a toMap
 * entry written out), `a with x.y = v` is the field x.y = v, and the i-th
 * element of a list literal is an unlabelled field (so that `uses = [ A,
 * B ]` can tell A's fields from B's).
 *
 * Matching, top down over the value. A node reached by label L, whose
 * parent node matched the written field P:
 *   1. the field labelled L written right inside P — the value was
 *      written where it is used;
 *   2. else every field labelled L in the file: the one whose chain of
 *      labels shares the longest tail with the node's path, when exactly
 *      one does (a value built by a function or bound by `let` elsewhere);
 *   3. else none: the node takes its parent's position (a default the file
 *      never wrote points at the record it was left out of).
 * A list element matches the element of the same index when the parent's
 * written value is a list literal of the same length. A toMap entry of
 * the normal form ({ mapKey, mapValue }) is reached by its key.
 *
 * It is a heuristic by design: a wrong guess can only move a finding's
 * position, never its text or severity, and a value the file does not
 * spell out still points at the nearest thing it does. Positions in other
 * files (imports) are not used; the report prints this file's name.
 *
 * Cost: the walk is linear in the file. A field right inside the parent's
 * match is found by hash (parent, label). Only a node the file did not
 * write there scans the fields of its label
 * anywhere (hash by label), each for as long as its chain of labels
 * agrees with the path: the 1,000-child benchmark system written with the
 * package adds about as much time as reading its value tree.
 */
#include "sys_int.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "banned.h"

enum { SP_MAX_DEPTH = 200 };

struct sp_field {
	const char *label; /* NULL: a list element */
	size_t len;
	size_t pos;
	int parent;                   /* index, -1 at the top */
	int elem;                     /* list element index, or -1 */
	int anchored;                 /* inside the file's own result (not a let or function) */
	const struct dhall_expr *val; /* the written value */
	int next;                     /* next field with a label in the same hash bucket */
	int kid, sib;                 /* first field inside it; the next one beside it */
	int next_in;                  /* next field in the same (parent, label) bucket */
};

struct sp {
	struct sp_field *f;
	int n, cap;
	int *bucket;    /* by label */
	int *bucket_in; /* by parent and label */
	unsigned mask;  /* buckets - 1: a power of two, at least twice the fields */
	int oom;
};

static unsigned sp_hash(const struct sp *sp, const char *s, size_t len)
{
	unsigned h = 2166136261u;
	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * 16777619u;
	return h & sp->mask;
}

static unsigned sp_hash_in(const struct sp *sp, int parent, const char *s, size_t len)
{
	return (sp_hash(sp, s, len) + (unsigned)(parent + 1) * 2654435761u) & sp->mask;
}

static int sp_add(struct sp *sp, const char *label, size_t len, const struct dhall_expr *val,
		  int parent, int elem, int anchor)
{
	if (sp->n == sp->cap) {
		int cap = sp->cap ? sp->cap * 2 : 256;
		struct sp_field *f = realloc(sp->f, (size_t)cap * sizeof *f);
		if (!f) {
			sp->oom = 1;
			return -1;
		}
		sp->f = f;
		sp->cap = cap;
	}
	struct sp_field *x = &sp->f[sp->n];
	x->label = label;
	x->len = len;
	x->pos = val->pos;
	x->parent = parent;
	x->elem = elem;
	x->anchored = parent >= 0 ? sp->f[parent].anchored : anchor;
	x->val = val;
	x->next = x->next_in = -1;
	x->kid = x->sib = -1;
	return sp->n++;
}

/* A text literal without interpolation: its string, else NULL. */
static const struct dhall_str *plain_text(const struct dhall_expr *e)
{
	return e && e->kind == DHALL_TEXT && e->n == 0 ? &e->labels[0] : NULL;
}

static void collect(struct sp *sp, const struct dhall_expr *e, int parent, int anchor,
		    unsigned depth);

/* The sub-expressions of e that are not fields (see dhall.h's kinds). */
static void collect_children(struct sp *sp, const struct dhall_expr *e, int parent, int anchor,
			     unsigned depth)
{
	switch (e->kind) {
	case DHALL_VAR:
	case DHALL_BUILTIN:
	case DHALL_BOOL:
	case DHALL_NATURAL:
	case DHALL_INTEGER:
	case DHALL_DOUBLE:
	case DHALL_BYTES:
	case DHALL_DATE:
	case DHALL_TIME:
	case DHALL_TIMEZONE:
	case DHALL_IMPORT:
		return;
	case DHALL_APP:
	case DHALL_TEXT:
	case DHALL_RECORD_TYPE:
	case DHALL_UNION:
		for (size_t i = 0; i < e->n; i++)
			if (e->items[i])
				collect(sp, e->items[i], parent, 0, depth + 1);
		break;
	case DHALL_LET: /* the bound value is not the result; the body is */
		if (e->c)
			collect(sp, e->c, parent, 0, depth + 1);
		collect(sp, e->a, parent, 0, depth + 1);
		collect(sp, e->b, parent, anchor, depth + 1);
		return;
	case DHALL_ANNOT:
		collect(sp, e->a, parent, anchor, depth + 1);
		collect(sp, e->b, parent, 0, depth + 1);
		return;
	case DHALL_OP: /* T::r — the record r is the result */
		collect(sp, e->a, parent, 0, depth + 1);
		collect(sp, e->b, parent, e->op == DHALL_OP_COMPLETE ? anchor : 0, depth + 1);
		return;
	case DHALL_IF:
	case DHALL_MERGE:
	case DHALL_TOMAP:
		if (e->c)
			collect(sp, e->c, parent, 0, depth + 1);
		break;
	default:
		break;
	}
	if (e->a)
		collect(sp, e->a, parent, 0, depth + 1);
	if (e->b)
		collect(sp, e->b, parent, 0, depth + 1);
}

static void collect(struct sp *sp, const struct dhall_expr *e, int parent, int anchor,
		    unsigned depth)
{
	if (!e || depth > SP_MAX_DEPTH || sp->oom)
		return;
	if (e->kind == DHALL_RECORD) {
		/* { mapKey = "K", mapValue = v }: the field K = v */
		if (e->n == 2 && e->labels[0].len == 6 && memcmp(e->labels[0].s, "mapKey", 6) == 0 &&
		    e->labels[1].len == 8 && memcmp(e->labels[1].s, "mapValue", 8) == 0 &&
		    plain_text(e->items[0])) {
			const struct dhall_str *k = plain_text(e->items[0]);
			int i = sp_add(sp, k->s, k->len, e->items[1], parent, -1, anchor);
			collect(sp, e->items[1], i, 0, depth + 1);
			return;
		}
		for (size_t j = 0; j < e->n; j++) {
			int i = sp_add(sp, e->labels[j].s, e->labels[j].len, e->items[j], parent, -1,
				       anchor);
			collect(sp, e->items[j], i, 0, depth + 1);
		}
		return;
	}
	if (e->kind == DHALL_LIST) {
		for (size_t j = 0; j < e->n; j++) {
			int i = sp_add(sp, NULL, 0, e->items[j], parent, (int)j, anchor);
			collect(sp, e->items[j], i, 0, depth + 1);
		}
		if (e->n == 0 && e->a)
			collect(sp, e->a, parent, 0, depth + 1);
		return;
	}
	if (e->kind == DHALL_WITH) {
		collect(sp, e->a, parent, anchor, depth + 1);
		int p = parent;
		for (size_t j = 0; j < e->n && p >= -1; j++)
			if (!(j < 64 && (e->with_opt >> j) & 1))
				p = sp_add(sp, e->labels[j].s, e->labels[j].len, e->b, p, -1, anchor);
		collect(sp, e->b, p, 0, depth + 1);
		return;
	}
	collect_children(sp, e, parent, anchor, depth);
}

/* The path of labels from the top to the node being matched. */
struct path {
	const char *label[SP_MAX_DEPTH + 1];
	size_t len[SP_MAX_DEPTH + 1];
	unsigned n;
};

static int same(const char *a, size_t alen, const char *b, size_t blen)
{
	return alen == blen && memcmp(a, b, alen) == 0;
}

/* How many labels of path p, from its end, field i's chain of labels
 * repeats (unlabelled list elements are skipped) — when the whole chain
 * does; else 0. A chain that starts in the file's own result must be the
 * whole path: it says where the value is, not just how it ends. */
static unsigned shared_tail(const struct sp *sp, int i, const struct path *p)
{
	unsigned k = 0;
	int f = i, top = i;
	for (; f >= 0; f = sp->f[f].parent) {
		top = f;
		if (!sp->f[f].label)
			continue;
		if (k == p->n ||
		    !same(sp->f[f].label, sp->f[f].len, p->label[p->n - 1 - k], p->len[p->n - 1 - k]))
			return 0;
		k++;
	}
	return sp->f[top].anchored && k != p->n ? 0 : k;
}

/* The field labelled l written right inside field `parent` (the first in
 * source order), or -1: found by hash, so that one child of a thousand is
 * found without looking at the others. */
static int inside(const struct sp *sp, int parent, const char *l, size_t len)
{
	for (int k = sp->bucket_in[sp_hash_in(sp, parent, l, len)]; k >= 0; k = sp->f[k].next_in)
		if (sp->f[k].parent == parent && same(sp->f[k].label, sp->f[k].len, l, len))
			return k; /* chains run in source order */
	return -1;
}

/* The written field for the node at the end of path p (label last) whose
 * parent matched `parent`; -1 when no single one fits. */
static int find(const struct sp *sp, const struct path *p, int parent)
{
	const char *l = p->label[p->n - 1];
	size_t len = p->len[p->n - 1];
	int tail_best = -1, tie = 0;
	unsigned tail = 0;

	if (parent >= 0) {
		int k = inside(sp, parent, l, len);
		if (k >= 0)
			return k;
	}
	for (int i = sp->bucket[sp_hash(sp, l, len)]; i >= 0; i = sp->f[i].next) {
		if (!same(sp->f[i].label, sp->f[i].len, l, len))
			continue;
		unsigned t = shared_tail(sp, i, p);
		if (t == 0)
			continue;
		if (t > tail) {
			tail = t;
			tail_best = i;
			tie = 0;
		} else if (t == tail) {
			tie = 1;
		}
	}
	return tie ? -1 : tail_best;
}

/* The element `index` written in the list literal that field `list` holds
 * (possibly under Some), or -1. */
static int element(const struct sp *sp, int list, size_t index, size_t count)
{
	const struct dhall_expr *v = list >= 0 ? sp->f[list].val : NULL;

	while (v && v->kind == DHALL_SOME)
		v = v->a;
	if (!v || v->kind != DHALL_LIST || v->n != count)
		return -1;
	for (int k = sp->f[list].kid; k >= 0; k = sp->f[k].sib)
		if (sp->f[k].elem == (int)index)
			return k;
	return -1;
}

/* The key of a normal-form toMap entry { mapKey = "K", mapValue = v }. */
static const char *entry_key(const struct sval *v, const struct sval **value)
{
	if (v->kind != SV_MAP || v->n != 2 || strcmp(v->keys[0], "mapKey") != 0 ||
	    strcmp(v->keys[1], "mapValue") != 0 || v->items[0]->kind != SV_TEXT)
		return NULL;
	*value = v->items[1];
	return v->items[0]->text;
}

static void assign(const struct sp *sp, struct sval *v, int match, size_t pos, struct path *p)
{
	v->pos = pos;
	if (p->n >= SP_MAX_DEPTH)
		return;
	for (size_t i = 0; i < v->n; i++) {
		struct sval *c = v->items[i];
		const struct sval *value = NULL;
		const char *key = v->kind == SV_MAP	? v->keys[i]
				  : v->kind == SV_LIST ? entry_key(c, &value)
						       : NULL;
		int m = -1;
		if (!c)
			continue;
		if (key) {
			p->label[p->n] = key;
			p->len[p->n] = strlen(key);
			p->n++;
			m = find(sp, p, match);
		} else if (v->kind == SV_LIST) {
			m = element(sp, match, i, v->n);
		}
		size_t cpos = m >= 0 ? sp->f[m].pos : pos;
		if (value) { /* the entry and its value both point at the value */
			c->pos = cpos;
			c->items[0]->pos = cpos;
			assign(sp, (struct sval *)value, m >= 0 ? m : match, cpos, p);
		} else {
			assign(sp, c, m >= 0 ? m : match, cpos, p);
		}
		if (key)
			p->n--;
	}
}

int sys_srcpos(struct sval *v, const struct dhall_expr *src)
{
	struct sp sp = {0};
	struct path *p = NULL;
	int rc = DHALL_ENOMEM;

	collect(&sp, src, -1, 1, 0);
	for (sp.mask = 63; sp.mask < 2 * (unsigned)sp.n; sp.mask = sp.mask * 2 + 1)
		;
	if (sp.oom || !(p = calloc(1, sizeof *p)) ||
	    !(sp.bucket = malloc((sp.mask + 1) * sizeof *sp.bucket)) ||
	    !(sp.bucket_in = malloc((sp.mask + 1) * sizeof *sp.bucket_in)))
		goto out;
	memset(sp.bucket, -1, (sp.mask + 1) * sizeof *sp.bucket);
	memset(sp.bucket_in, -1, (sp.mask + 1) * sizeof *sp.bucket_in);
	/* the fields inside each field, in source order; the two hash tables */
	for (int i = sp.n - 1; i >= 0; i--) {
		struct sp_field *x = &sp.f[i];
		if (x->parent >= 0) {
			x->sib = sp.f[x->parent].kid;
			sp.f[x->parent].kid = i;
		}
		if (x->label) {
			unsigned b = sp_hash(&sp, x->label, x->len);
			x->next = sp.bucket[b];
			sp.bucket[b] = i;
			b = sp_hash_in(&sp, x->parent, x->label, x->len);
			x->next_in = sp.bucket_in[b];
			sp.bucket_in[b] = i;
		}
	}
	const struct dhall_expr *body = src; /* the result: past lets and annotations */
	while (body->kind == DHALL_LET || body->kind == DHALL_ANNOT)
		body = body->kind == DHALL_LET ? body->b : body->a;
	assign(&sp, v, -1, body->pos, p);
	rc = 0;
out:
	free(sp.bucket);
	free(sp.bucket_in);
	free(p);
	free(sp.f);
	return rc;
}
