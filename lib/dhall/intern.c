/*
 * intern.c — hash-consing of normal forms (maximal sharing).
 *
 * Import resolution keeps the normal form of every imported file for the
 * whole session (resolve.c), and normal forms repeat themselves: a function
 * that inlines a helper at every call site holds one copy of the helper's
 * body per site (the Prelude's JSON/renderAs: 13,600 nodes, 390 distinct).
 * ev_intern_node returns the one node of the session equal to a given one,
 * making it (a copy into the table's arena) the first time; quote.c calls it
 * bottom-up, so children are interned before their parent and two nodes are
 * equal exactly when their scalar fields, strings and child pointers are:
 * one probe per node, no deep comparison. Strings (labels, text chunks) are
 * interned the same way.
 *
 * Interned nodes are shared by every normal form that contains them, so
 * nobody may write to one, with one exception: resolve.c marks closed
 * functions (a λ's `op` and `c`, EV_SRC_CLOSED in eval_int.h). Those two
 * fields are not part of a λ's identity here: a λ equal to a marked one is
 * closed and normal too (closedness and normality are properties of the
 * syntax), so it may share the mark and the recorded type.
 *
 * Kinds whose fields are not all compared here (Time literals, and what a
 * normal form never holds: let, annotations, imports) are copied, not
 * shared. The tables are malloc'd open-addressing arrays of pointers
 * (about 8 bytes a node), grown at half full; nodes and strings live in
 * the caller's arena.
 */
#include "eval_int.h"

#include <stdlib.h>
#include <string.h>

#include "banned.h"

void ev_intern_init(struct ev_intern *t, struct dhall_arena *arena)
{
	memset(t, 0, sizeof *t);
	t->arena = arena;
}

void ev_intern_free(struct ev_intern *t)
{
	free(t->nodes);
	free(t->strs);
	t->nodes = NULL;
	t->strs = NULL;
	t->ncap = t->nn = t->scap = t->ns = 0;
}

/* ---------------------------------------------------------------- hashing */

static uint64_t mix(uint64_t h, uint64_t x)
{
	h ^= x + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
	return h * 0xff51afd7ed558ccdull;
}

static uint64_t hash_bytes(uint64_t h, const void *p, size_t n)
{
	const unsigned char *s = p;
	h = mix(h, n);
	for (size_t i = 0; i < n; i++)
		h = (h ^ s[i]) * 0x100000001b3ull;
	return h;
}

static int str_same(const struct dhall_str *a, const struct dhall_str *b)
{
	return a->len == b->len && (a->len == 0 || memcmp(a->s, b->s, a->len) == 0);
}

/* Which of the optional fields a kind's identity uses. */
enum { F_ITEMS = 1, F_C = 2, F_LABELS = 4, F_LABEL = 8, F_NUM = 16, F_RAW = 32, F_WITH = 64,
       F_NOINTERN = 128 };

static unsigned fields_of(unsigned kind)
{
	switch ((enum dhall_kind)kind) {
	case DHALL_VAR:
	case DHALL_LAMBDA:
	case DHALL_PI:
	case DHALL_FIELD:
	case DHALL_BYTES:
		return F_LABEL;
	case DHALL_NATURAL:
	case DHALL_INTEGER:
		return F_NUM;
	case DHALL_DOUBLE:
	case DHALL_DATE:
	case DHALL_TIMEZONE:
		return F_RAW;
	case DHALL_TEXT:
	case DHALL_RECORD_TYPE:
	case DHALL_RECORD:
	case DHALL_UNION:
		return F_ITEMS | F_LABELS;
	case DHALL_APP:
	case DHALL_LIST:
		return F_ITEMS;
	case DHALL_PROJECT:
		return F_LABELS;
	case DHALL_WITH:
		return F_LABELS | F_WITH;
	case DHALL_IF:
	case DHALL_MERGE:
	case DHALL_TOMAP:
		return F_C;
	case DHALL_BUILTIN:
	case DHALL_BOOL:
	case DHALL_OP:
	case DHALL_SOME:
	case DHALL_PROJECT_TYPE:
	case DHALL_SHOWCONS:
	case DHALL_ASSERT:
		return 0;
	default: /* TIME (a number inside), LET, ANNOT, IMPORT */
		return F_NOINTERN;
	}
}

/* How many labels a node has (text: n + 1 chunks). */
static size_t nlabels(const struct dhall_expr *e)
{
	return e->kind == DHALL_TEXT ? e->n + 1 : e->n;
}

static size_t raw_size(unsigned kind)
{
	return kind == DHALL_DOUBLE ? sizeof(double)
	       : kind == DHALL_DATE ? sizeof(struct dhall_date)
				    : sizeof(struct dhall_tz);
}

static uint64_t node_hash(const struct dhall_expr *e)
{
	unsigned f = fields_of(e->kind);
	uint64_t h = mix(e->kind, e->kind == DHALL_LAMBDA ? 0 : e->op);
	h = mix(h, e->n);
	h = mix(h, (uintptr_t)e->a);
	if (!(f & F_ITEMS)) /* else b may hold the only item (dhall.h) */
		h = mix(h, (uintptr_t)e->b);
	if (f & F_C)
		h = mix(h, (uintptr_t)e->c);
	if (f & F_ITEMS)
		for (size_t i = 0; i < e->n; i++)
			h = mix(h, (uintptr_t)e->items[i]);
	if (f & F_LABELS)
		for (size_t i = 0; i < nlabels(e); i++)
			h = hash_bytes(h, e->labels[i].s, e->labels[i].len);
	if (f & F_LABEL)
		h = hash_bytes(h, e->label.s, e->label.len);
	if (f & F_NUM) {
		h = mix(h, e->u.num.small);
		if (e->u.num.big)
			h = hash_bytes(h, e->u.num.big, e->u.num.big_len);
	}
	if (f & F_RAW)
		h = hash_bytes(h, &e->u, raw_size(e->kind));
	if (f & F_WITH)
		h = mix(h, e->with_opt);
	return h;
}

static int node_same(const struct dhall_expr *x, const struct dhall_expr *y)
{
	unsigned f = fields_of(x->kind);
	if (x->kind != y->kind || (x->kind != DHALL_LAMBDA && x->op != y->op) || x->n != y->n ||
	    x->a != y->a || (!(f & F_ITEMS) && x->b != y->b))
		return 0;
	if ((f & F_C) && x->c != y->c)
		return 0;
	if ((f & F_ITEMS) && x->n && memcmp(x->items, y->items, x->n * sizeof *x->items) != 0)
		return 0;
	if (f & F_LABELS)
		for (size_t i = 0; i < nlabels(x); i++)
			if (!str_same(&x->labels[i], &y->labels[i]))
				return 0;
	if ((f & F_LABEL) && !str_same(&x->label, &y->label))
		return 0;
	if (f & F_NUM) {
		const struct dhall_num *a = &x->u.num, *b = &y->u.num;
		if (a->small != b->small || !a->big != !b->big ||
		    (a->big && (a->big_len != b->big_len || memcmp(a->big, b->big, a->big_len))))
			return 0;
	}
	if ((f & F_RAW) && memcmp(&x->u, &y->u, raw_size(x->kind)) != 0)
		return 0;
	if ((f & F_WITH) && x->with_opt != y->with_opt)
		return 0;
	return 1;
}

/* ---------------------------------------------------------------- tables */

/* Doubles the node table (cap 0: makes it); 0 or DHALL_ENOMEM. */
static int grow_nodes(struct ev_intern *t)
{
	size_t cap = t->ncap ? t->ncap * 2 : 1024;
	struct dhall_expr **n = calloc(cap, sizeof *n);
	if (!n)
		return DHALL_ENOMEM;
	for (size_t i = 0; i < t->ncap; i++) {
		struct dhall_expr *e = t->nodes[i];
		if (!e)
			continue;
		size_t j = (size_t)node_hash(e) & (cap - 1);
		while (n[j])
			j = (j + 1) & (cap - 1);
		n[j] = e;
	}
	free(t->nodes);
	t->nodes = n;
	t->ncap = cap;
	return 0;
}

static int grow_strs(struct ev_intern *t)
{
	size_t cap = t->scap ? t->scap * 2 : 1024;
	struct dhall_str *n = calloc(cap, sizeof *n);
	if (!n)
		return DHALL_ENOMEM;
	for (size_t i = 0; i < t->scap; i++) {
		if (!t->strs[i].s)
			continue;
		size_t j = (size_t)hash_bytes(0, t->strs[i].s, t->strs[i].len) & (cap - 1);
		while (n[j].s)
			j = (j + 1) & (cap - 1);
		n[j] = t->strs[i];
	}
	free(t->strs);
	t->strs = n;
	t->scap = cap;
	return 0;
}

/* *s made to point at the table's copy of its bytes. */
static int intern_str(struct ev_intern *t, struct dhall_str *s)
{
	if (s->len == 0) {
		s->s = "";
		return 0;
	}
	if (2 * (t->ns + 1) > t->scap && grow_strs(t))
		return DHALL_ENOMEM;
	size_t j = (size_t)hash_bytes(0, s->s, s->len) & (t->scap - 1);
	for (; t->strs[j].s; j = (j + 1) & (t->scap - 1))
		if (str_same(&t->strs[j], s)) {
			*s = t->strs[j];
			return 0;
		}
	char *copy = dhall_arena_strdup(t->arena, s->s, s->len);
	if (!copy)
		return DHALL_ENOMEM;
	s->s = copy;
	t->strs[j] = *s;
	t->ns++;
	return 0;
}

/* A copy of e in the table's arena: its arrays and strings too. */
static struct dhall_expr *copy_node(struct ev_intern *t, const struct dhall_expr *e)
{
	unsigned f = fields_of(e->kind);
	struct dhall_expr *o = dhall_arena_alloc_uninit(t->arena, sizeof *o);
	if (!o)
		return NULL;
	*o = *e;
	o->pos = 0;
	if ((f & F_ITEMS) && e->n) {
		if (!(o->items = dhall_arena_alloc_uninit(t->arena, e->n * sizeof *o->items)))
			return NULL;
		memcpy(o->items, e->items, e->n * sizeof *o->items);
	}
	if (f & F_LABELS) {
		size_t n = nlabels(e);
		if (!(o->labels = dhall_arena_alloc_uninit(t->arena, (n ? n : 1) * sizeof *o->labels)))
			return NULL;
		for (size_t i = 0; i < n; i++) {
			o->labels[i] = e->labels[i];
			if (intern_str(t, &o->labels[i]))
				return NULL;
		}
	}
	if ((f & F_LABEL) && intern_str(t, &o->label))
		return NULL;
	if ((f & F_NUM) && e->u.num.big) {
		uint8_t *p = dhall_arena_alloc_uninit(t->arena, e->u.num.big_len);
		if (!p)
			return NULL;
		memcpy(p, e->u.num.big, e->u.num.big_len);
		o->u.num.big = p;
	}
	return o;
}

/* A node the table does not share: a Time literal (the only such kind a
 * normal form holds), copied with its time fields and number. */
static struct dhall_expr *copy_plain(struct ev_intern *t, const struct dhall_expr *e)
{
	struct dhall_expr *o = dhall_arena_alloc_uninit(t->arena, sizeof *o);
	if (!o)
		return NULL;
	*o = *e;
	o->pos = 0;
	if (e->kind == DHALL_TIME) {
		struct dhall_time *tm = dhall_arena_alloc_uninit(t->arena, sizeof *tm);
		if (!tm)
			return NULL;
		*tm = *e->u.time;
		o->u.time = tm;
		const struct dhall_num *m = &tm->sec_mantissa;
		if (m->big) {
			uint8_t *p = dhall_arena_alloc_uninit(t->arena, m->big_len);
			if (!p)
				return NULL;
			memcpy(p, m->big, m->big_len);
			tm->sec_mantissa.big = p;
		}
	}
	return o;
}

int ev_intern_node(struct ev_intern *t, const struct dhall_expr *e, struct dhall_expr **out)
{
	if (fields_of(e->kind) & F_NOINTERN)
		return (*out = copy_plain(t, e)) ? 0 : DHALL_ENOMEM;
	if (2 * (t->nn + 1) > t->ncap && grow_nodes(t))
		return DHALL_ENOMEM;
	size_t j = (size_t)node_hash(e) & (t->ncap - 1);
	for (; t->nodes[j]; j = (j + 1) & (t->ncap - 1))
		if (node_same(t->nodes[j], e)) {
			*out = t->nodes[j];
			return 0;
		}
	struct dhall_expr *o = copy_node(t, e);
	if (!o)
		return DHALL_ENOMEM;
	t->nodes[j] = o;
	t->nn++;
	*out = o;
	return 0;
}
