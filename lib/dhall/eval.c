/*
 * eval.c — normalization by evaluation, part 1: expressions to values.
 *
 * ev_eval walks an expression in an environment of values and returns its
 * value (eval_int.h describes the domain). Binders become closures, so a
 * β-reduction (ev_apply of a λ) is one environment push and evaluating the
 * body; `let` is the same without the λ. Everything that cannot reduce
 * (a free variable applied, an operator on a neutral operand, …) becomes a
 * neutral value of its own kind, which quote.c turns back into syntax.
 *
 * This file holds the rules of standard/beta-normalization.md for the
 * language constructs: operators (ev_op: Bool, Natural, Text, List,
 * ∧ / ⫽ / ⩓ record merges), field selection and projection (with their
 * simplifications through ⫽ and ∧), `with`, `merge`, `toMap`,
 * `showConstructor`, `if`, completion `::`. Builtin functions are in
 * builtins.c. Judgmental equivalence, which several rules need (`x == x`,
 * `if b then t else t`, `l ⫽ r` with l ≡ r), is quote.c's ev_equiv.
 *
 * Evaluation is strict, but an environment entry may also be a thunk
 * (ev_bind_lazy: the type checker binds let values and function arguments
 * that way) which lookup evaluates once, when first needed. A chain of
 * `let`s is evaluated with a loop, not recursion.
 *
 * Allocation short cuts (same results): True and False are one shared
 * value each (ev_bool), so is the value of each literal node (literal)
 * and the sorted labels of a record literal (eval_fields); a λ's
 * annotation is evaluated only when the closure is quoted (eval_int.h,
 * struct dv's src); `[x] # r` puts x into r's list buffer without a
 * one-element list (eval_cons), and so does applying List/build's cons
 * (EV_CONS marks); `Natural/show n` in an interpolation is spelled
 * straight into the text (eval_text); `List/fold T (List/indexed A ys) …`
 * with a fusable function makes each { index, value } record only for its
 * element (eval_fold_indexed).
 *
 * Regions (ev_region_end; eval_int.h says why they are sound): scoped
 * evaluation whose values are garbage at its end gives its scratch memory
 * back at once, and drops the cache entries (literals, sorted labels,
 * builtins, booleans) made inside. Fold fusion evaluates each element in
 * one (builtins.c), the JSON renderer each element of a streamed list
 * (json.c), an interning quote each subtree (quote.c).
 *
 * Variables: an environment entry per binder; `x@n` skips n entries named
 * x. A variable past the end of the environment is free in the whole
 * expression; it becomes a neutral VAR with a negative level (-1 - the
 * index it has left), which quotes back to the right index at any depth.
 */
#include "eval_int.h"

#include <stdlib.h>
#include <string.h>

#include "banned.h"

/* ---------------------------------------------------------------- memory */

int ev_nomem(struct ev *ev)
{
	if (ev->arena->used > ev->max_bytes)
		return dhall_err_set(ev->err, DHALL_ELIMIT,
				     "evaluation needs more than %zu MiB of memory (limit)",
				     ev->max_bytes >> 20);
	return dhall_err_set(ev->err, DHALL_ENOMEM, "out of memory");
}

void *ev_alloc(struct ev *ev, size_t size)
{
	if (ev->arena->used > ev->max_bytes)
		return NULL;
	return dhall_arena_alloc(ev->arena, size);
}

struct dv *ev_new(struct ev *ev, enum dhall_kind kind)
{
	struct dv *v = ev_alloc(ev, sizeof *v);
	if (v)
		v->kind = (uint8_t)kind;
	return v;
}

/* Whether p was allocated in region r (not yet ended): a range test when
 * the region has not left the chunk it began in (the common case), else
 * the arena's walk over its chunks. */
static int in_region(const struct ev *ev, const struct ev_region *r, const void *p)
{
	const struct dhall_chunk *c = ev->arena->head;
	const unsigned char *q = p;
	if (c == r->mark.chunk)
		return c && q >= c->data + r->mark.used && q < c->data + c->used;
	return dhall_arena_since(ev->arena, &r->mark, p);
}

void ev_region_end(struct ev *ev, struct ev_region *r)
{
	if (ev->cache_gen != r->cache_gen) { /* drop what points inside */
		for (size_t i = 0; i < sizeof ev->lits / sizeof ev->lits[0]; i++)
			if (ev->lits[i].e && (in_region(ev, r, ev->lits[i].e) ||
					      in_region(ev, r, ev->lits[i].v)))
				ev->lits[i].e = NULL;
		for (size_t i = 0; i < sizeof ev->sorted / sizeof ev->sorted[0]; i++)
			if (ev->sorted[i].e && (in_region(ev, r, ev->sorted[i].e) ||
						in_region(ev, r, ev->sorted[i].labels) ||
						in_region(ev, r, ev->sorted[i].ix)))
				ev->sorted[i].e = NULL;
		for (size_t i = 0; i < DHALL_B_COUNT; i++)
			if (ev->builtin[i] && in_region(ev, r, ev->builtin[i]))
				ev->builtin[i] = NULL;
		for (size_t i = 0; i < 2; i++)
			if (ev->bools[i] && in_region(ev, r, ev->bools[i]))
				ev->bools[i] = NULL;
	}
	dhall_arena_release(ev->arena, &r->mark);
}

int ev_tick(struct ev *ev)
{
	if (++ev->steps > ev->max_steps)
		return dhall_err_set(ev->err, DHALL_ELIMIT,
				     "evaluation takes more than %llu steps (limit)",
				     (unsigned long long)ev->max_steps);
	if (ev->arena->used > ev->max_bytes)
		return ev_nomem(ev);
	return 0;
}

struct denv *ev_bind(struct ev *ev, struct denv *env, struct dhall_str name, struct dv *v)
{
	struct denv *n = ev_alloc(ev, sizeof *n);
	if (n) {
		n->name = name;
		n->val = v;
		n->next = env;
	}
	return n;
}

struct denv *ev_bind_lazy(struct ev *ev, struct denv *env, struct dhall_str name,
			  const struct dhall_expr *e, struct denv *e_env)
{
	struct denv *n = ev_alloc(ev, sizeof *n);
	ev->lazy = 1;
	if (n) {
		n->name = name;
		n->next = env;
		n->expr = e;
		n->env = e_env;
	}
	return n;
}

struct dv *ev_builtin(struct ev *ev, unsigned b)
{
	struct dv *v = b < DHALL_B_COUNT ? ev->builtin[b] : NULL;
	if (v)
		return v;
	if ((v = ev_new(ev, DHALL_BUILTIN))) {
		v->op = (uint8_t)b;
		if (b < DHALL_B_COUNT) {
			ev->builtin[b] = v;
			ev->cache_gen++;
		}
	}
	return v;
}

struct dv *ev_var(struct ev *ev, struct dhall_str name, int64_t level)
{
	struct dv *v = ev_new(ev, DHALL_VAR);
	if (v) {
		v->label = name;
		v->level = level;
	}
	return v;
}

struct dv *ev_bool(struct ev *ev, int b)
{
	struct dv *v = ev->bools[b != 0];
	if (!v && (v = ev_new(ev, DHALL_BOOL))) {
		v->op = b != 0;
		ev->bools[b != 0] = v;
		ev->cache_gen++;
	}
	return v;
}

struct dv *ev_nat(struct ev *ev, uint64_t n)
{
	struct dv *v = ev_new(ev, DHALL_NATURAL);
	if (v)
		v->u.num.small = n;
	return v;
}

struct dv *ev_text1(struct ev *ev, const char *s, size_t len)
{
	struct dv *v = ev_new(ev, DHALL_TEXT);
	struct dhall_str *l = ev_alloc(ev, sizeof *l);
	if (!v || !l)
		return NULL;
	l->s = s;
	l->len = len;
	v->labels = l;
	return v;
}

long ev_find(const struct dv *r, const struct dhall_str *label)
{
	size_t lo = 0, hi = r->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = dhall_str_cmp(&r->labels[mid], label);
		if (c == 0)
			return (long)mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

/* A record-like value (kind) with room for n fields. */
static struct dv *new_fields(struct ev *ev, enum dhall_kind kind, size_t n)
{
	struct dv *v = ev_new(ev, kind);
	if (!v)
		return NULL;
	v->n = n;
	if (n) {
		v->labels = ev_alloc(ev, n * sizeof *v->labels);
		v->items = ev_alloc(ev, n * sizeof *v->items);
		if (!v->labels || !v->items)
			return NULL;
	}
	return v;
}

/* r with field `label` set to x (added in order, or replaced). */
static struct dv *set_field(struct ev *ev, const struct dv *r, struct dhall_str label, struct dv *x)
{
	long at = ev_find(r, &label);
	struct dv *o = new_fields(ev, (enum dhall_kind)r->kind, r->n + (at < 0));
	if (!o)
		return NULL;
	size_t j = 0;
	int done = 0;
	for (size_t i = 0; i < r->n; i++) {
		int c = dhall_str_cmp(&r->labels[i], &label);
		if (!done && c >= 0) {
			o->labels[j] = label;
			o->items[j++] = x;
			done = 1;
			if (c == 0)
				continue;
		}
		o->labels[j] = r->labels[i];
		o->items[j++] = r->items[i];
	}
	if (!done) {
		o->labels[j] = label;
		o->items[j++] = x;
	}
	return o;
}

static struct dv *neutral_op(struct ev *ev, unsigned op, struct dv *l, struct dv *r)
{
	struct dv *v = ev_new(ev, DHALL_OP);
	if (v) {
		v->op = (uint8_t)op;
		v->a = l;
		v->b = r;
	}
	return v;
}

/* ---------------------------------------------------------------- operators */

static int is_bool(const struct dv *v, int b)
{
	return v->kind == DHALL_BOOL && v->op == b;
}

static int is_empty_record(const struct dv *v, enum dhall_kind kind)
{
	return v->kind == kind && v->n == 0;
}

/* Recursive merge of two sorted record (type) values for ∧ / ⩓ (both) or
 * ⫽ (prefer: the right field wins). */
static int merge_fields(struct ev *ev, unsigned op, struct dv *l, struct dv *r, struct dv **out)
{
	struct dv *o = new_fields(ev, (enum dhall_kind)l->kind, l->n + r->n);
	size_t i = 0, j = 0, k = 0;
	int rc;
	if (!o)
		return ev_nomem(ev);
	while (i < l->n || j < r->n) {
		int c = i == l->n ? 1 : j == r->n ? -1 : dhall_str_cmp(&l->labels[i], &r->labels[j]);
		if (c < 0) {
			o->labels[k] = l->labels[i];
			o->items[k++] = l->items[i++];
		} else if (c > 0) {
			o->labels[k] = r->labels[j];
			o->items[k++] = r->items[j++];
		} else {
			o->labels[k] = l->labels[i];
			if (op == DHALL_OP_PREFER)
				o->items[k] = r->items[j];
			else if ((rc = ev_op(ev, op, l->items[i], r->items[j], &o->items[k])))
				return rc;
			k++, i++, j++;
		}
	}
	o->n = k;
	*out = o;
	return 0;
}

/* l # r for two list values, l non-empty (r may be empty only for the
 * cons short cuts, eval_cons and EV_CONS_TAIL): in place at an end of a shared
 * buffer when that end is free (see struct dvbuf), else into a new buffer
 * with room on both sides. */
static int list_append(struct ev *ev, struct dv *l, struct dv *r, struct dv **out)
{
	struct dv *o = ev_new(ev, DHALL_LIST);
	struct dvbuf *b;
	size_t n = l->n + r->n;
	if (!o)
		return ev_nomem(ev);
	o->n = n;
	if ((b = l->lbuf) && l->items + l->n == b->base + b->hi && b->cap - b->hi >= r->n) {
		memcpy(b->base + b->hi, r->items, r->n * sizeof *o->items);
		b->hi += r->n;
		o->items = l->items;
		o->lbuf = b;
	} else if ((b = r->lbuf) && r->items == b->base + b->lo && b->lo >= l->n) {
		b->lo -= l->n;
		memcpy(b->base + b->lo, l->items, l->n * sizeof *o->items);
		o->items = b->base + b->lo;
		o->lbuf = b;
	} else {
		if (!(b = ev_alloc(ev, sizeof *b)))
			return ev_nomem(ev);
		b->cap = 2 * n + 8;
		b->lo = (b->cap - n) / 2;
		b->hi = b->lo + n;
		if (!(b->base = ev_alloc(ev, b->cap * sizeof *b->base)))
			return ev_nomem(ev);
		o->items = b->base + b->lo;
		if (l->n) /* an empty list's items may be NULL (eval_cons: [x] # []) */
			memcpy(o->items, l->items, l->n * sizeof *o->items);
		if (r->n)
			memcpy(o->items + l->n, r->items, r->n * sizeof *o->items);
		o->lbuf = b;
	}
	*out = o;
	return 0;
}

int ev_op(struct ev *ev, unsigned op, struct dv *l, struct dv *r, struct dv **out)
{
	int rc, eq;
	if ((rc = ev_tick(ev)))
		return rc;
	*out = NULL;
	switch (op) {
	case DHALL_OP_OR:
	case DHALL_OP_AND: {
		int unit = op == DHALL_OP_AND; /* x && True = x; x || False = x */
		if (is_bool(l, unit))
			*out = r;
		else if (is_bool(r, unit))
			*out = l;
		else if (is_bool(l, !unit))
			*out = l;
		else if (is_bool(r, !unit))
			*out = r;
		else if ((eq = ev_equiv(ev, NULL, l, r)) < 0)
			return eq;
		else if (eq)
			*out = l;
		break;
	}
	case DHALL_OP_EQ:
	case DHALL_OP_NE: {
		int unit = op == DHALL_OP_EQ; /* True == x = x; False != x = x */
		if (is_bool(l, unit))
			*out = r;
		else if (is_bool(r, unit))
			*out = l;
		else if (l->kind == DHALL_BOOL && r->kind == DHALL_BOOL) {
			if (!(*out = ev_bool(ev, (l->op == r->op) == unit)))
				return ev_nomem(ev);
		} else if ((eq = ev_equiv(ev, NULL, l, r)) < 0)
			return eq;
		else if (eq) {
			if (!(*out = ev_bool(ev, unit)))
				return ev_nomem(ev);
		}
		break;
	}
	case DHALL_OP_PLUS:
		if (l->kind == DHALL_NATURAL && r->kind == DHALL_NATURAL) {
			struct dv *v = ev_new(ev, DHALL_NATURAL);
			if (!v)
				return ev_nomem(ev);
			if ((rc = ev_num_add(ev, &l->u.num, &r->u.num, &v->u.num)))
				return rc;
			*out = v;
		} else if (l->kind == DHALL_NATURAL && ev_num_zero(&l->u.num))
			*out = r;
		else if (r->kind == DHALL_NATURAL && ev_num_zero(&r->u.num))
			*out = l;
		break;
	case DHALL_OP_TIMES:
		if (l->kind == DHALL_NATURAL && r->kind == DHALL_NATURAL) {
			struct dv *v = ev_new(ev, DHALL_NATURAL);
			if (!v)
				return ev_nomem(ev);
			if ((rc = ev_num_mul(ev, &l->u.num, &r->u.num, &v->u.num)))
				return rc;
			*out = v;
		} else if (l->kind == DHALL_NATURAL && ev_num_zero(&l->u.num))
			*out = l;
		else if (r->kind == DHALL_NATURAL && ev_num_zero(&r->u.num))
			*out = r;
		else if (l->kind == DHALL_NATURAL && !l->u.num.big && l->u.num.small == 1)
			*out = r;
		else if (r->kind == DHALL_NATURAL && !r->u.num.big && r->u.num.small == 1)
			*out = l;
		break;
	case DHALL_OP_TEXT_APPEND: {
		struct dhall_str chunks[3] = {{"", 0}, {"", 0}, {"", 0}};
		struct dv *parts[2] = {l, r};
		return ev_text(ev, chunks, parts, 2, out);
	}
	case DHALL_OP_LIST_APPEND:
		if (l->kind == DHALL_LIST && l->n == 0)
			*out = r;
		else if (r->kind == DHALL_LIST && r->n == 0)
			*out = l;
		else if (l->kind == DHALL_LIST && r->kind == DHALL_LIST)
			return list_append(ev, l, r, out);
		break;
	case DHALL_OP_COMBINE:
	case DHALL_OP_PREFER:
		if (is_empty_record(l, DHALL_RECORD))
			*out = r;
		else if (is_empty_record(r, DHALL_RECORD))
			*out = l;
		else if (l->kind == DHALL_RECORD && r->kind == DHALL_RECORD)
			return merge_fields(ev, op, l, r, out);
		else if (op == DHALL_OP_PREFER) {
			if ((eq = ev_equiv(ev, NULL, l, r)) < 0)
				return eq;
			if (eq)
				*out = l;
		}
		break;
	case DHALL_OP_COMBINE_TYPES:
		if (is_empty_record(l, DHALL_RECORD_TYPE))
			*out = r;
		else if (is_empty_record(r, DHALL_RECORD_TYPE))
			*out = l;
		else if (l->kind == DHALL_RECORD_TYPE && r->kind == DHALL_RECORD_TYPE)
			return merge_fields(ev, op, l, r, out);
		break;
	case DHALL_OP_COMPLETE: {
		/* T::r = (T.default ⫽ r) : T.Type */
		struct dv *def;
		static const char dflt[] = "default";
		if ((rc = ev_field(ev, l, (struct dhall_str){dflt, sizeof dflt - 1}, &def)))
			return rc;
		return ev_op(ev, DHALL_OP_PREFER, def, r, out);
	}
	default:
		break;
	}
	if (!*out && !(*out = neutral_op(ev, op, l, r)))
		return ev_nomem(ev);
	return 0;
}

/* ---------------------------------------------------------------- records */

/* { label = x } */
static struct dv *singleton(struct ev *ev, struct dhall_str label, struct dv *x)
{
	struct dv *o = new_fields(ev, DHALL_RECORD, 1);
	if (o) {
		o->labels[0] = label;
		o->items[0] = x;
	}
	return o;
}

static int neutral_field(struct ev *ev, struct dv *r, struct dhall_str label, struct dv **out)
{
	struct dv *v = ev_new(ev, DHALL_FIELD);
	if (!v)
		return ev_nomem(ev);
	v->a = r;
	v->label = label;
	*out = v;
	return 0;
}

int ev_field(struct ev *ev, struct dv *r, struct dhall_str label, struct dv **out)
{
	int rc;
	long at;
	if ((rc = ev_tick(ev)))
		return rc;
	if (r->kind == DHALL_RECORD && (at = ev_find(r, &label)) >= 0) {
		*out = r->items[at];
		return 0;
	}
	if (r->kind == DHALL_PROJECT)
		return ev_field(ev, r->a, label, out);
	if (r->kind == DHALL_OP && (r->op == DHALL_OP_PREFER || r->op == DHALL_OP_COMBINE)) {
		struct dv *l = r->a, *rr = r->b;
		int prefer = r->op == DHALL_OP_PREFER;
		if (prefer && rr->kind == DHALL_RECORD) {
			if ((at = ev_find(rr, &label)) >= 0) {
				*out = rr->items[at];
				return 0;
			}
			return ev_field(ev, l, label, out);
		}
		if (l->kind == DHALL_RECORD) {
			if ((at = ev_find(l, &label)) >= 0) {
				struct dv *s = singleton(ev, label, l->items[at]);
				struct dv *o = s ? neutral_op(ev, r->op, s, rr) : NULL;
				if (!o)
					return ev_nomem(ev);
				return neutral_field(ev, o, label, out);
			}
			return ev_field(ev, rr, label, out);
		}
		if (!prefer && rr->kind == DHALL_RECORD) {
			if ((at = ev_find(rr, &label)) >= 0) {
				struct dv *s = singleton(ev, label, rr->items[at]);
				struct dv *o = s ? neutral_op(ev, r->op, l, s) : NULL;
				if (!o)
					return ev_nomem(ev);
				return neutral_field(ev, o, label, out);
			}
			return ev_field(ev, l, label, out);
		}
	}
	return neutral_field(ev, r, label, out);
}

static int cmp_label(const void *a, const void *b)
{
	return dhall_str_cmp(a, b);
}

/* labels sorted into a fresh array */
static struct dhall_str *sorted_labels(struct ev *ev, const struct dhall_str *labels, size_t n)
{
	struct dhall_str *s = ev_alloc(ev, (n ? n : 1) * sizeof *s);
	if (!s)
		return NULL;
	if (n)
		memcpy(s, labels, n * sizeof *s);
	qsort(s, n, sizeof *s, cmp_label);
	return s;
}

static int contains(const struct dhall_str *labels, size_t n, const struct dhall_str *l)
{
	for (size_t i = 0; i < n; i++)
		if (ev_str_eq(labels[i], *l))
			return 1;
	return 0;
}

/* t.{ labels } */
static int ev_project(struct ev *ev, struct dv *t, const struct dhall_str *labels, size_t n,
		      struct dv **out)
{
	int rc;
	if ((rc = ev_tick(ev)))
		return rc;
	if (n == 0) {
		if (!(*out = ev_new(ev, DHALL_RECORD)))
			return ev_nomem(ev);
		return 0;
	}
	if (t->kind == DHALL_RECORD) {
		struct dv *o = new_fields(ev, DHALL_RECORD, t->n);
		if (!o)
			return ev_nomem(ev);
		size_t k = 0;
		for (size_t i = 0; i < t->n; i++)
			if (contains(labels, n, &t->labels[i])) {
				o->labels[k] = t->labels[i];
				o->items[k++] = t->items[i];
			}
		o->n = k;
		*out = o;
		return 0;
	}
	if (t->kind == DHALL_PROJECT)
		return ev_project(ev, t->a, labels, n, out);
	if (t->kind == DHALL_OP && t->op == DHALL_OP_PREFER && t->b->kind == DHALL_RECORD) {
		struct dv *rr = t->b, *lp, *rp;
		struct dhall_str *diff = ev_alloc(ev, n * sizeof *diff);
		struct dhall_str *inter = ev_alloc(ev, n * sizeof *inter);
		size_t nd = 0, ni = 0;
		if (!diff || !inter)
			return ev_nomem(ev);
		for (size_t i = 0; i < n; i++) {
			if (ev_find(rr, &labels[i]) >= 0)
				inter[ni++] = labels[i];
			else
				diff[nd++] = labels[i];
		}
		if ((rc = ev_project(ev, t->a, diff, nd, &lp)) ||
		    (rc = ev_project(ev, rr, inter, ni, &rp)))
			return rc;
		return ev_op(ev, DHALL_OP_PREFER, lp, rp, out);
	}
	struct dv *v = ev_new(ev, DHALL_PROJECT);
	if (!v || !(v->labels = sorted_labels(ev, labels, n)))
		return ev_nomem(ev);
	v->a = t;
	v->n = n;
	*out = v;
	return 0;
}

/* e with labels[0..n) = x; bit i of opt: labels[i] is `?` */
static int ev_with(struct ev *ev, struct dv *e, const struct dhall_str *labels, uint64_t opt,
		   size_t n, struct dv *x, struct dv **out)
{
	int rc;
	struct dv *inner;
	if ((rc = ev_tick(ev)))
		return rc;
	if (opt & 1) {
		if (e->kind == DHALL_APP && e->a->kind == DHALL_BUILTIN && e->a->op == DHALL_B_NONE) {
			*out = e;
			return 0;
		}
		if (e->kind == DHALL_SOME) {
			if (n == 1)
				inner = x;
			else if ((rc = ev_with(ev, e->a, labels + 1, opt >> 1, n - 1, x, &inner)))
				return rc;
			struct dv *s = ev_new(ev, DHALL_SOME);
			if (!s)
				return ev_nomem(ev);
			s->a = inner;
			*out = s;
			return 0;
		}
	} else if (e->kind == DHALL_RECORD) {
		if (n == 1)
			inner = x;
		else {
			long at = ev_find(e, &labels[0]);
			struct dv *sub = at >= 0 ? e->items[at] : ev_new(ev, DHALL_RECORD);
			if (!sub)
				return ev_nomem(ev);
			if ((rc = ev_with(ev, sub, labels + 1, opt >> 1, n - 1, x, &inner)))
				return rc;
		}
		if (!(*out = set_field(ev, e, labels[0], inner)))
			return ev_nomem(ev);
		return 0;
	}
	struct dv *v = ev_new(ev, DHALL_WITH);
	if (!v)
		return ev_nomem(ev);
	v->a = e;
	v->b = x;
	v->labels = (struct dhall_str *)labels;
	v->n = n;
	v->with_opt = opt;
	*out = v;
	return 0;
}

/* The constructor a union value was made with: *label and *payload (NULL
 * for none), or 0 when v is not one. Some/None count as Optional's. */
static int union_alt(const struct dv *v, struct dhall_str *label, struct dv **payload)
{
	static const char some[] = "Some", none[] = "None";
	if (v->kind == DHALL_FIELD && v->a->kind == DHALL_UNION) {
		*label = v->label;
		*payload = NULL;
		return 1;
	}
	if (v->kind == DHALL_APP && v->n == 1 && v->a->kind == DHALL_FIELD &&
	    v->a->a->kind == DHALL_UNION) {
		*label = v->a->label;
		*payload = v->items[0];
		return 1;
	}
	if (v->kind == DHALL_SOME) {
		*label = (struct dhall_str){some, 4};
		*payload = v->a;
		return 1;
	}
	if (v->kind == DHALL_APP && v->n == 1 && v->a->kind == DHALL_BUILTIN &&
	    v->a->op == DHALL_B_NONE) {
		*label = (struct dhall_str){none, 4};
		*payload = NULL;
		return 1;
	}
	return 0;
}

/* ---------------------------------------------------------------- application */

int ev_inst(struct ev *ev, const struct dv *clo, struct dv *x, struct dv **out)
{
	struct denv *env = ev_bind(ev, clo->env, clo->label, x);
	if (!env)
		return ev_nomem(ev);
	return ev_eval(ev, env, clo->body, out);
}

int ev_inst_lazy(struct ev *ev, const struct dv *clo, const struct dhall_expr *arg,
		 struct denv *arg_env, struct dv **out)
{
	struct denv *env = ev_bind_lazy(ev, clo->env, clo->label, arg, arg_env);
	if (!env)
		return ev_nomem(ev);
	return ev_eval(ev, env, clo->body, out);
}

static int neutral_app(struct ev *ev, struct dv *head, struct dv **args, size_t n, struct dv **out)
{
	struct dv *v = ev_new(ev, DHALL_APP);
	if (!v || !(v->items = ev_alloc(ev, n * sizeof *v->items)))
		return ev_nomem(ev);
	memcpy(v->items, args, n * sizeof *args);
	v->a = head;
	v->n = n;
	*out = v;
	return 0;
}

int ev_apply(struct ev *ev, struct dv *f, struct dv *x, struct dv **out)
{
	int rc;
	if ((rc = ev_tick(ev)))
		return rc;
	if (f->kind == DHALL_LAMBDA) {
		if (f->op == EV_CONS_TAIL && x->kind == DHALL_LIST) {
			/* [a] # x with a the element f was made with */
			struct dv *a = f->env->val;
			struct dv one = {.kind = DHALL_LIST, .n = 1, .items = &a};
			return list_append(ev, &one, x, out);
		}
		if ((rc = ev_inst(ev, f, x, out)))
			return rc;
		if (f->op == EV_CONS) /* a fresh closure: the body is a λ */
			(*out)->op = EV_CONS_TAIL;
		return 0;
	}
	struct dv *head = f, **args = &x;
	size_t n = 1;
	struct dv *tmp[8];
	if (f->kind == DHALL_APP) {
		head = f->a;
		n = f->n + 1;
		args = n <= 8 ? tmp : ev_alloc(ev, n * sizeof *args);
		if (!args)
			return ev_nomem(ev);
		memcpy(args, f->items, f->n * sizeof *args);
		args[f->n] = x;
	}
	if (head->kind == DHALL_BUILTIN) {
		unsigned ar = ev_builtin_arity(head->op);
		if (ar && n == ar) {
			struct dv *r;
			if ((rc = ev_builtin_reduce(ev, head->op, args, &r)))
				return rc;
			if (r) {
				*out = r;
				return 0;
			}
		}
	}
	return neutral_app(ev, head, args, n, out);
}

/* ---------------------------------------------------------------- eval */

/* `[x] # r` (e): the cons of List/build's normal form, evaluated once per
 * element of Prelude's List/map and friends. When r is a list the
 * element goes straight into it (list_append), without a value for the
 * one-element list. */
static int eval_cons(struct ev *ev, struct denv *env, const struct dhall_expr *e, struct dv **out)
{
	struct dv *x, *r, *l;
	int rc;
	if ((rc = ev_eval(ev, env, e->a->items[0], &x)) || (rc = ev_eval(ev, env, e->b, &r)))
		return rc;
	if (r->kind == DHALL_LIST) {
		struct dv one = {.kind = DHALL_LIST, .n = 1, .items = &x};
		if ((rc = ev_tick(ev)))
			return rc;
		return list_append(ev, &one, r, out);
	}
	if (!(l = ev_new(ev, DHALL_LIST)) || !(l->items = ev_alloc(ev, sizeof *l->items)))
		return ev_nomem(ev);
	l->n = 1;
	l->items[0] = x;
	return ev_op(ev, DHALL_OP_LIST_APPEND, l, r, out);
}

static int is_builtin_expr(const struct dhall_expr *e, unsigned b)
{
	return e->kind == DHALL_BUILTIN && e->op == b;
}

/* `List/fold T (List/indexed A ys) R f nil` (Prelude's List/generate and
 * friends): the arguments are evaluated in order, but the indexed list
 * is made only when the fold cannot be fused (ev_fold_indexed): fused,
 * its records exist one at a time. */
__attribute__((noinline)) static int eval_fold_indexed(struct ev *ev, struct denv *env,
						       const struct dhall_expr *e, struct dv **out)
{
	const struct dhall_expr *ix = e->items[1];
	struct dv *t, *a, *ys, *r, *f, *nil, *v;
	int rc;
	if ((rc = ev_eval(ev, env, e->items[0], &t)) || (rc = ev_eval(ev, env, ix->items[0], &a)) ||
	    (rc = ev_eval(ev, env, ix->items[1], &ys)) || (rc = ev_eval(ev, env, e->items[2], &r)) ||
	    (rc = ev_eval(ev, env, e->items[3], &f)) || (rc = ev_eval(ev, env, e->items[4], &nil)))
		return rc;
	if ((rc = ev_fold_indexed(ev, ys, f, nil, out)) || *out)
		return rc;
	struct dv *args[5] = {t, NULL, r, f, nil};
	if (!(v = ev_builtin(ev, DHALL_B_LIST_INDEXED)))
		return ev_nomem(ev);
	if ((rc = ev_apply(ev, v, a, &v)) || (rc = ev_apply(ev, v, ys, &args[1])))
		return rc;
	if (!(v = ev_builtin(ev, DHALL_B_LIST_FOLD)))
		return ev_nomem(ev);
	for (size_t i = 0; i < 5; i++)
		if ((rc = ev_apply(ev, v, args[i], &v)))
			return rc;
	*out = v;
	return 0;
}

static int lookup(struct ev *ev, struct denv *env, const struct dhall_expr *e, struct dv **out)
{
	uint64_t n = e->index;
	for (; env; env = env->next)
		if (ev_str_eq(env->name, e->label)) {
			if (n == 0) {
				if (!env->val) { /* a thunk: evaluate it once */
					int rc = ev_eval(ev, env->env, env->expr, &env->val);
					if (rc) {
						env->val = NULL;
						return rc;
					}
				}
				*out = env->val;
				return 0;
			}
			n--;
		}
	if (n > INT64_MAX - 1)
		return dhall_err_set(ev->err, DHALL_ELIMIT, "variable index too large");
	if (!(*out = ev_var(ev, e->label, -1 - (int64_t)n)))
		return ev_nomem(ev);
	return 0;
}

/* Evaluates fields e->labels/items and sorts them by label. When the
 * expression's labels are already in order (normal forms, most literals)
 * the value shares its label array: values never write to one; else the
 * sorted labels are made once per literal (ev->sorted) and shared by the
 * values it makes after. */
__attribute__((noinline)) static int eval_fields(struct ev *ev, struct denv *env,
						 const struct dhall_expr *e, struct dv **out)
{
	size_t n = e->n, small[32], *ix = small;
	int rc = 0, sorted = 1;
	struct dv *o;
	for (size_t i = 1; i < n && sorted; i++)
		sorted = dhall_str_cmp(&e->labels[i - 1], &e->labels[i]) < 0;
	if (sorted) {
		if (!(o = ev_new(ev, (enum dhall_kind)e->kind)) ||
		    (n && !(o->items = ev_alloc(ev, n * sizeof *o->items))))
			return ev_nomem(ev);
		o->n = n;
		o->labels = e->labels;
		for (size_t i = 0; i < n && !rc; i++)
			if (e->items[i])
				rc = ev_eval(ev, env, e->items[i], &o->items[i]);
		*out = o;
		return rc;
	}
	/* the order, computed once per literal (ev->sorted) when it fits */
	struct ev_sorted *memo =
	    &ev->sorted[((uintptr_t)e >> 4) % (sizeof ev->sorted / sizeof ev->sorted[0])];
	if (memo->e == e) {
		if (!(o = ev_new(ev, (enum dhall_kind)e->kind)) ||
		    !(o->items = ev_alloc(ev, n * sizeof *o->items)))
			return ev_nomem(ev);
		o->n = n;
		o->labels = memo->labels;
		ix = memo->ix;
	} else {
		o = new_fields(ev, (enum dhall_kind)e->kind, n);
		if (n > 32)
			ix = ev_alloc(ev, n * sizeof *ix);
		if (!o || !ix)
			return ev_nomem(ev);
		/* insertion sort: records are short */
		for (size_t i = 0; i < n; i++)
			ix[i] = i;
		for (size_t i = 1; i < n; i++) {
			size_t k = ix[i], j = i;
			while (j > 0 && dhall_str_cmp(&e->labels[ix[j - 1]], &e->labels[k]) > 0) {
				ix[j] = ix[j - 1];
				j--;
			}
			ix[j] = k;
		}
		for (size_t i = 0; i < n; i++)
			o->labels[i] = e->labels[ix[i]];
		if (ix == small && (ix = ev_alloc(ev, n * sizeof *ix)))
			memcpy(ix, small, n * sizeof *ix);
		if (!ix)
			return ev_nomem(ev);
		*memo = (struct ev_sorted){e, o->labels, ix};
		ev->cache_gen++;
	}
	for (size_t i = 0; i < n && !rc; i++) {
		o->items[i] = NULL;
		if (e->items[ix[i]])
			rc = ev_eval(ev, env, e->items[ix[i]], &o->items[i]);
	}
	*out = o;
	return rc;
}

/* A Text literal with interpolations. The parts' values go to a stack
 * array (up to TEXT_SMALL of them), and `Natural/show n` of a Natural
 * that fits 64 bits is spelled into a stack buffer as a temporary plain
 * Text: ev_text copies plain parts into the merged string and keeps no
 * pointer to them, so the common "svc-${Natural/show i}" makes one
 * value, not two. */
enum { TEXT_SMALL = 8 };
__attribute__((noinline)) static int eval_text(struct ev *ev, struct denv *env,
					       const struct dhall_expr *e, struct dv **out)
{
	struct dv *small[TEXT_SMALL], tmp[TEXT_SMALL], **parts = small, *x, *show;
	struct dhall_str chunk[TEXT_SMALL];
	char digits[TEXT_SMALL][24];
	int rc;
	if (e->n > TEXT_SMALL && !(parts = ev_alloc(ev, e->n * sizeof *parts)))
		return ev_nomem(ev);
	for (size_t i = 0; i < e->n; i++) {
		const struct dhall_expr *it = e->items[i];
		if (i >= TEXT_SMALL || it->kind != DHALL_APP || it->n != 1 ||
		    it->a->kind != DHALL_BUILTIN || it->a->op != DHALL_B_NATURAL_SHOW) {
			if ((rc = ev_eval(ev, env, it, &parts[i])))
				return rc;
			continue;
		}
		if ((rc = ev_eval(ev, env, it->items[0], &x)))
			return rc;
		if (x->kind != DHALL_NATURAL || x->u.num.big) { /* the builtin's own way */
			if (!(show = ev_builtin(ev, DHALL_B_NATURAL_SHOW)))
				return ev_nomem(ev);
			if ((rc = ev_apply(ev, show, x, &parts[i])))
				return rc;
			continue;
		}
		if ((rc = ev_tick(ev))) /* as the builtin's reduction */
			return rc;
		char *p = digits[i] + sizeof digits[i];
		uint64_t n = x->u.num.small;
		do
			*--p = (char)('0' + n % 10);
		while (n /= 10);
		chunk[i] = (struct dhall_str){p, (size_t)(digits[i] + sizeof digits[i] - p)};
		tmp[i] = (struct dv){.kind = DHALL_TEXT, .labels = &chunk[i]};
		parts[i] = &tmp[i];
	}
	return ev_text(ev, e->labels, parts, e->n, out);
}

/* The value of the literal e (a number, plain Text, Bytes, a date or
 * time): made once per node and shared after (ev->lits), as values are
 * immutable; a literal in a function body is met once per call. */
static int literal(struct ev *ev, const struct dhall_expr *e, struct dv **out)
{
	struct ev_lit *memo =
	    &ev->lits[((uintptr_t)e >> 4) % (sizeof ev->lits / sizeof ev->lits[0])];
	struct dv *v;
	if (memo->e == e) {
		*out = memo->v;
		return 0;
	}
	if (e->kind == DHALL_TEXT) {
		int rc = ev_text(ev, e->labels, NULL, 0, &v);
		if (rc)
			return rc;
	} else if ((v = ev_new(ev, (enum dhall_kind)e->kind))) {
		v->op = e->op;
		v->label = e->label;
		memcpy(&v->u, &e->u, sizeof e->u < sizeof v->u ? sizeof e->u : sizeof v->u);
	} else {
		return ev_nomem(ev);
	}
	*memo = (struct ev_lit){e, v};
	ev->cache_gen++;
	*out = v;
	return 0;
}

static int eval_main(struct ev *ev, struct denv *env, const struct dhall_expr *e, struct dv **out)
{
	struct dv *v = NULL, *a = NULL, *b = NULL, *c = NULL;
	int rc;

again:
	switch ((enum dhall_kind)e->kind) {
	case DHALL_VAR:
		return lookup(ev, env, e, out);
	case DHALL_BUILTIN:
		v = ev_builtin(ev, e->op);
		break;
	case DHALL_BOOL:
		v = ev_bool(ev, e->op);
		break;
	case DHALL_NATURAL:
	case DHALL_INTEGER:
	case DHALL_DOUBLE:
	case DHALL_BYTES:
	case DHALL_DATE:
	case DHALL_TIME:
	case DHALL_TIMEZONE:
		return literal(ev, e, out);
	case DHALL_TEXT:
		if (e->n == 0)
			return literal(ev, e, out);
		return eval_text(ev, env, e, out);
	case DHALL_LAMBDA: /* the annotation stays unevaluated (struct dv) */
		if ((v = ev_new(ev, DHALL_LAMBDA))) {
			v->label = e->label;
			v->src = e;
			v->body = e->b;
			v->env = env;
		}
		break;
	case DHALL_PI:
		if ((rc = ev_eval(ev, env, e->a, &a)))
			return rc;
		if ((v = ev_new(ev, (enum dhall_kind)e->kind))) {
			v->label = e->label;
			v->a = a;
			v->body = e->b;
			v->env = env;
		}
		break;
	case DHALL_APP:
		if (e->n == 5 && is_builtin_expr(e->a, DHALL_B_LIST_FOLD) &&
		    e->items[1]->kind == DHALL_APP && e->items[1]->n == 2 &&
		    is_builtin_expr(e->items[1]->a, DHALL_B_LIST_INDEXED))
			return eval_fold_indexed(ev, env, e, out);
		if ((rc = ev_eval(ev, env, e->a, &v)))
			return rc;
		for (size_t i = 0; i < e->n; i++) {
			if ((rc = ev_eval(ev, env, e->items[i], &a)) || (rc = ev_apply(ev, v, a, &v)))
				return rc;
		}
		*out = v;
		return 0;
	case DHALL_LET: /* a loop, not recursion: let chains are long */
		if ((rc = ev_eval(ev, env, e->a, &a)))
			return rc;
		if (!(env = ev_bind(ev, env, e->label, a)))
			return ev_nomem(ev);
		e = e->b;
		if ((rc = ev_tick(ev)))
			return rc;
		goto again;
	case DHALL_ANNOT:
		return ev_eval(ev, env, e->a, out);
	case DHALL_IF:
		if ((rc = ev_eval(ev, env, e->a, &a)))
			return rc;
		if (a->kind == DHALL_BOOL)
			return ev_eval(ev, env, a->op ? e->b : e->c, out);
		if ((rc = ev_eval(ev, env, e->b, &b)) || (rc = ev_eval(ev, env, e->c, &c)))
			return rc;
		if (is_bool(b, 1) && is_bool(c, 0)) {
			*out = a;
			return 0;
		}
		if ((rc = ev_equiv(ev, NULL, b, c)) < 0)
			return rc;
		if (rc) {
			*out = b;
			return 0;
		}
		if ((v = ev_new(ev, DHALL_IF))) {
			v->a = a;
			v->b = b;
			v->c = c;
		}
		break;
	case DHALL_OP:
		if (e->op == DHALL_OP_ALT)
			return dhall_err_set(ev->err, DHALL_ETYPE,
					     "unresolved import alternative `?` (resolve imports first)");
		if (e->op == DHALL_OP_LIST_APPEND && e->a->kind == DHALL_LIST && e->a->n == 1)
			return eval_cons(ev, env, e, out);
		if ((rc = ev_eval(ev, env, e->a, &a)) || (rc = ev_eval(ev, env, e->b, &b)))
			return rc;
		return ev_op(ev, e->op, a, b, out);
	case DHALL_LIST:
		if (!(v = ev_new(ev, DHALL_LIST)))
			break;
		if (e->n == 0) {
			if (e->a && (rc = ev_eval(ev, env, e->a, &v->a)))
				return rc;
			break;
		}
		if (!(v->items = ev_alloc(ev, e->n * sizeof *v->items)))
			return ev_nomem(ev);
		v->n = e->n;
		for (size_t i = 0; i < e->n; i++)
			if ((rc = ev_eval(ev, env, e->items[i], &v->items[i])))
				return rc;
		break;
	case DHALL_SOME:
		if ((rc = ev_eval(ev, env, e->a, &a)))
			return rc;
		if ((v = ev_new(ev, DHALL_SOME)))
			v->a = a;
		break;
	case DHALL_RECORD_TYPE:
	case DHALL_RECORD:
	case DHALL_UNION:
		return eval_fields(ev, env, e, out);
	case DHALL_FIELD:
		if ((rc = ev_eval(ev, env, e->a, &a)))
			return rc;
		return ev_field(ev, a, e->label, out);
	case DHALL_PROJECT:
		if ((rc = ev_eval(ev, env, e->a, &a)))
			return rc;
		return ev_project(ev, a, e->labels, e->n, out);
	case DHALL_PROJECT_TYPE:
		if ((rc = ev_eval(ev, env, e->a, &a)) || (rc = ev_eval(ev, env, e->b, &b)))
			return rc;
		if (b->kind == DHALL_RECORD_TYPE)
			return ev_project(ev, a, b->labels, b->n, out);
		if ((v = ev_new(ev, DHALL_PROJECT_TYPE))) {
			v->a = a;
			v->b = b;
		}
		break;
	case DHALL_MERGE: {
		struct dhall_str alt;
		struct dv *payload;
		if ((rc = ev_eval(ev, env, e->a, &a)) || (rc = ev_eval(ev, env, e->b, &b)))
			return rc;
		if (union_alt(b, &alt, &payload)) {
			struct dv *h;
			if ((rc = ev_field(ev, a, alt, &h)))
				return rc;
			if (!payload) {
				*out = h;
				return 0;
			}
			return ev_apply(ev, h, payload, out);
		}
		if (e->c && (rc = ev_eval(ev, env, e->c, &c)))
			return rc;
		if ((v = ev_new(ev, DHALL_MERGE))) {
			v->a = a;
			v->b = b;
			v->c = c;
		}
		break;
	}
	case DHALL_TOMAP:
		if ((rc = ev_eval(ev, env, e->a, &a)))
			return rc;
		if (e->c && (rc = ev_eval(ev, env, e->c, &c)))
			return rc;
		if (a->kind == DHALL_RECORD && (a->n > 0 || c)) {
			static const char mk[] = "mapKey", mv[] = "mapValue";
			if (!(v = ev_new(ev, DHALL_LIST)))
				break;
			if (a->n == 0) {
				v->a = c;
				break;
			}
			if (!(v->items = ev_alloc(ev, a->n * sizeof *v->items)))
				return ev_nomem(ev);
			v->n = a->n;
			for (size_t i = 0; i < a->n; i++) {
				struct dv *r = new_fields(ev, DHALL_RECORD, 2);
				if (!r || !(r->items[0] = ev_text1(ev, a->labels[i].s, a->labels[i].len)))
					return ev_nomem(ev);
				r->labels[0] = (struct dhall_str){mk, 6};
				r->labels[1] = (struct dhall_str){mv, 8};
				r->items[1] = a->items[i];
				v->items[i] = r;
			}
			break;
		}
		if ((v = ev_new(ev, DHALL_TOMAP))) {
			v->a = a;
			v->c = c;
		}
		break;
	case DHALL_SHOWCONS: {
		struct dhall_str alt;
		struct dv *payload;
		if ((rc = ev_eval(ev, env, e->a, &a)))
			return rc;
		if (union_alt(a, &alt, &payload))
			v = ev_text1(ev, alt.s, alt.len);
		else if ((v = ev_new(ev, DHALL_SHOWCONS)))
			v->a = a;
		break;
	}
	case DHALL_WITH:
		if ((rc = ev_eval(ev, env, e->a, &a)) || (rc = ev_eval(ev, env, e->b, &b)))
			return rc;
		return ev_with(ev, a, e->labels, e->with_opt, e->n, b, out);
	case DHALL_ASSERT:
		if ((rc = ev_eval(ev, env, e->a, &a)))
			return rc;
		if ((v = ev_new(ev, DHALL_ASSERT)))
			v->a = a;
		break;
	case DHALL_IMPORT:
		return dhall_err_set(ev->err, DHALL_ETYPE,
				     "unresolved import (resolve imports before evaluating)");
	default:
		return dhall_err_set(ev->err, DHALL_ETYPE, "unknown expression kind %u", e->kind);
	}
	if (!v)
		return ev_nomem(ev);
	*out = v;
	return 0;
}

int ev_eval(struct ev *ev, struct denv *env, const struct dhall_expr *e, struct dv **out)
{
	int rc;
	if ((rc = ev_tick(ev)))
		return rc;
	if (++ev->depth > DHALL_EV_MAX_DEPTH) {
		ev->depth--;
		return dhall_err_set(ev->err, DHALL_ELIMIT, "evaluation nested deeper than %u",
				     DHALL_EV_MAX_DEPTH);
	}
	rc = eval_main(ev, env, e, out);
	ev->depth--;
	return rc;
}

static int mentions(const struct dhall_expr *e, struct dhall_str name, unsigned depth)
{
	if (!e)
		return 0;
	if (depth > 64)
		return 1; /* conservative: no deep recursion for a yes/no question */
	switch ((enum dhall_kind)e->kind) {
	case DHALL_VAR:
		return ev_str_eq(e->label, name);
	case DHALL_APP:
	case DHALL_TEXT:
	case DHALL_LIST:
	case DHALL_RECORD_TYPE:
	case DHALL_RECORD:
	case DHALL_UNION:
		if (mentions(e->a, name, depth + 1))
			return 1;
		for (size_t i = 0; i < e->n; i++)
			if (mentions(e->items[i], name, depth + 1))
				return 1;
		return 0;
	case DHALL_LET:
	case DHALL_IF:
	case DHALL_MERGE:
	case DHALL_TOMAP:
		if (mentions(e->c, name, depth + 1))
			return 1;
		/* fall through */
	default:
		return mentions(e->a, name, depth + 1) || mentions(e->b, name, depth + 1);
	}
}

int ev_mentions(const struct dhall_expr *e, struct dhall_str name)
{
	return mentions(e, name, 0);
}
