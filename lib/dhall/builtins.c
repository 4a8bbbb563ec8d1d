/*
 * builtins.c — normalization by evaluation, part 2: the builtin functions
 * (standard/beta-normalization.md, sections Natural … TimeZone), Natural
 * arithmetic on arbitrary-size numbers, and the Text literal rules.
 *
 * A builtin applied to fewer arguments than its arity is a neutral
 * application; when the last argument arrives, ev_apply calls
 * ev_builtin_reduce, which either computes the result or reports that the
 * arguments are not literals enough (*out = NULL: stays neutral).
 *
 * Natural numbers are struct dhall_num: 64-bit when they fit, else
 * big-endian bytes. Results larger than DHALL_EV_MAX_NUM_BYTES bytes
 * (32,768 bits) are DHALL_ELIMIT: that is the evaluator's bound on
 * runaway arithmetic (e.g. repeated squaring in a fold). Natural/fold with
 * a literal count runs the successor that many times, every step counted
 * against the step budget.
 */
#include "eval_int.h"

#include "print_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "banned.h"

/* ---------------------------------------------------------------- numbers */

/* little-endian bytes of n into buf (cap bytes); returns the length */
static size_t num_le(const struct dhall_num *n, uint8_t *buf)
{
	if (!n->big) {
		size_t k = 0;
		for (uint64_t v = n->small; v; v >>= 8)
			buf[k++] = (uint8_t)v;
		return k;
	}
	for (size_t i = 0; i < n->big_len; i++)
		buf[i] = n->big[n->big_len - 1 - i];
	return n->big_len;
}

static size_t num_len(const struct dhall_num *n)
{
	return n->big ? n->big_len : 8;
}

/* little-endian buf[0..len) to a dhall_num (arena copy when big) */
static int num_from_le(struct ev *ev, const uint8_t *buf, size_t len, struct dhall_num *out)
{
	while (len && buf[len - 1] == 0)
		len--;
	*out = (struct dhall_num){0};
	if (len <= 8) {
		for (size_t i = len; i-- > 0;)
			out->small = out->small << 8 | buf[i];
		return 0;
	}
	if (len > DHALL_EV_MAX_NUM_BYTES)
		return dhall_err_set(ev->err, DHALL_ELIMIT,
				     "a Natural number grows past %d bits (limit)",
				     DHALL_EV_MAX_NUM_BYTES * 8);
	uint8_t *be = ev_alloc(ev, len);
	if (!be)
		return ev_nomem(ev);
	for (size_t i = 0; i < len; i++)
		be[i] = buf[len - 1 - i];
	out->big = be;
	out->big_len = len;
	return 0;
}

int ev_num_add(struct ev *ev, const struct dhall_num *a, const struct dhall_num *b,
	       struct dhall_num *out)
{
	if (!a->big && !b->big && a->small <= UINT64_MAX - b->small) {
		*out = (struct dhall_num){.small = a->small + b->small};
		return 0;
	}
	size_t la = num_len(a), lb = num_len(b), n = (la > lb ? la : lb) + 1;
	uint8_t *x = calloc(1, la), *y = calloc(1, lb), *z = calloc(1, n);
	int rc;
	if (!x || !y || !z) {
		rc = ev_nomem(ev);
		goto out;
	}
	la = num_le(a, x);
	lb = num_le(b, y);
	unsigned carry = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned s = carry + (i < la ? x[i] : 0) + (i < lb ? y[i] : 0);
		z[i] = (uint8_t)s;
		carry = s >> 8;
	}
	rc = num_from_le(ev, z, n, out);
out:
	free(x);
	free(y);
	free(z);
	return rc;
}

int ev_num_mul(struct ev *ev, const struct dhall_num *a, const struct dhall_num *b,
	       struct dhall_num *out)
{
	if (!a->big && !b->big) {
		unsigned __int128 p = (unsigned __int128)a->small * b->small;
		if (p <= UINT64_MAX) {
			*out = (struct dhall_num){.small = (uint64_t)p};
			return 0;
		}
	}
	size_t la = num_len(a), lb = num_len(b), n = la + lb;
	if (n > DHALL_EV_MAX_NUM_BYTES + 16)
		return dhall_err_set(ev->err, DHALL_ELIMIT,
				     "a Natural number grows past %d bits (limit)",
				     DHALL_EV_MAX_NUM_BYTES * 8);
	uint8_t *x = calloc(1, la), *y = calloc(1, lb);
	uint32_t *z = calloc(n + 1, sizeof *z);
	uint8_t *zb = calloc(1, n + 1);
	int rc;
	if (!x || !y || !z || !zb) {
		rc = ev_nomem(ev);
		goto out;
	}
	la = num_le(a, x);
	lb = num_le(b, y);
	for (size_t i = 0; i < la; i++) {
		uint32_t carry = 0;
		for (size_t j = 0; j < lb; j++) {
			uint32_t t = z[i + j] + (uint32_t)x[i] * y[j] + carry;
			z[i + j] = t & 0xff;
			carry = t >> 8;
		}
		for (size_t k = i + lb; carry; k++) {
			uint32_t t = z[k] + carry;
			z[k] = t & 0xff;
			carry = t >> 8;
		}
	}
	for (size_t i = 0; i < n; i++)
		zb[i] = (uint8_t)z[i];
	rc = num_from_le(ev, zb, n, out);
out:
	free(x);
	free(y);
	free(z);
	free(zb);
	return rc;
}

int ev_num_cmp(const struct dhall_num *a, const struct dhall_num *b)
{
	if (!a->big && !b->big)
		return a->small < b->small ? -1 : a->small > b->small;
	if (!a->big)
		return -1; /* big numbers are > 64 bits (no leading zeros) */
	if (!b->big)
		return 1;
	if (a->big_len != b->big_len)
		return a->big_len < b->big_len ? -1 : 1;
	int c = memcmp(a->big, b->big, a->big_len);
	return c < 0 ? -1 : c > 0;
}

/* b - a for b >= a */
static int num_sub(struct ev *ev, const struct dhall_num *b, const struct dhall_num *a,
		   struct dhall_num *out)
{
	if (!a->big && !b->big) {
		*out = (struct dhall_num){.small = b->small - a->small};
		return 0;
	}
	size_t la = num_len(a), lb = num_len(b);
	uint8_t *x = calloc(1, la), *y = calloc(1, lb);
	int rc;
	if (!x || !y) {
		rc = ev_nomem(ev);
		goto out;
	}
	la = num_le(a, x);
	lb = num_le(b, y);
	int borrow = 0;
	for (size_t i = 0; i < lb; i++) {
		int d = y[i] - (i < la ? x[i] : 0) - borrow;
		borrow = d < 0;
		y[i] = (uint8_t)(d + (borrow ? 256 : 0));
	}
	rc = num_from_le(ev, y, lb, out);
out:
	free(x);
	free(y);
	return rc;
}

static int num_odd(const struct dhall_num *n)
{
	return n->big ? n->big[n->big_len - 1] & 1 : (int)(n->small & 1);
}

/* ---------------------------------------------------------------- text */

struct sb { /* a growing string: in the caller's buffer `stack` (cap
	     * bytes) until it outgrows it, then malloc'd (free s unless it
	     * is still stack) */
	char *s;
	size_t len, cap;
	char *stack;
};

static int sb_put(struct sb *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 64;
		while (cap < b->len + n + 1)
			cap *= 2;
		char *p = realloc(b->s == b->stack ? NULL : b->s, cap);
		if (!p)
			return -1;
		if (b->s == b->stack && b->len)
			memcpy(p, b->stack, b->len);
		b->s = p;
		b->cap = cap;
	}
	if (n)
		memcpy(b->s + b->len, s, n);
	b->len += n;
	return 0;
}

static int sb_to_str(struct ev *ev, struct sb *b, struct dhall_str *out)
{
	char *p = dhall_arena_strdup(ev->arena, b->len ? b->s : "", b->len);
	if (!p)
		return ev_nomem(ev);
	out->s = p;
	out->len = b->len;
	b->len = 0;
	return 0;
}

int ev_text(struct ev *ev, struct dhall_str *chunks, struct dv **parts, size_t n, struct dv **out)
{
	/* at most: every part a text with its own interpolations */
	size_t cap = 0, k = 0;
	for (size_t i = 0; i < n; i++)
		cap += parts[i]->kind == DHALL_TEXT ? parts[i]->n : 1;
	struct dv *v = ev_new(ev, DHALL_TEXT);
	struct dhall_str *labels = ev_alloc(ev, (cap + 1) * sizeof *labels);
	struct dv **items = cap ? ev_alloc(ev, cap * sizeof *items) : NULL;
	char small[256];
	struct sb b = {small, 0, sizeof small, small};
	int rc = 0;
	if (!v || !labels || (cap && !items))
		return ev_nomem(ev);
	if ((rc = ev_tick(ev)))
		return rc;
	if (sb_put(&b, chunks[0].s, chunks[0].len))
		goto nomem;
	for (size_t i = 0; i < n; i++) {
		struct dv *p = parts[i];
		if (p->kind == DHALL_TEXT) {
			if (sb_put(&b, p->labels[0].s, p->labels[0].len))
				goto nomem;
			for (size_t j = 0; j < p->n; j++) {
				if ((rc = sb_to_str(ev, &b, &labels[k])))
					goto out;
				items[k++] = p->items[j];
				if (sb_put(&b, p->labels[j + 1].s, p->labels[j + 1].len))
					goto nomem;
			}
		} else {
			if ((rc = sb_to_str(ev, &b, &labels[k])))
				goto out;
			items[k++] = p;
		}
		if (sb_put(&b, chunks[i + 1].s, chunks[i + 1].len))
			goto nomem;
	}
	if ((rc = sb_to_str(ev, &b, &labels[k])))
		goto out;
	if (k == 1 && labels[0].len == 0 && labels[1].len == 0) {
		*out = items[0]; /* "${t}" is t */
		goto out;
	}
	v->n = k;
	v->labels = labels;
	v->items = items;
	*out = v;
	goto out;
nomem:
	rc = ev_nomem(ev);
out:
	if (b.s != small)
		free(b.s);
	return rc;
}

static int text_plain(const struct dv *v)
{
	return v->kind == DHALL_TEXT && v->n == 0;
}

static int text_show(struct ev *ev, const struct dhall_str *s, struct dv **out)
{
	struct sb b = {0};
	int rc = 0;
	if (sb_put(&b, "\"", 1))
		goto nomem;
	for (size_t i = 0; i < s->len; i++) {
		unsigned char c = (unsigned char)s->s[i];
		char esc[8];
		const char *r = NULL;
		switch (c) {
		case '"': r = "\\\""; break;
		case '$': r = "\\u0024"; break;
		case '\\': r = "\\\\"; break;
		case '\b': r = "\\b"; break;
		case '\f': r = "\\f"; break;
		case '\n': r = "\\n"; break;
		case '\r': r = "\\r"; break;
		case '\t': r = "\\t"; break;
		default:
			if (c < 0x20) {
				snprintf(esc, sizeof esc, "\\u%04X", c);
				r = esc;
			}
		}
		if (r ? sb_put(&b, r, strlen(r)) : sb_put(&b, (const char *)&c, 1))
			goto nomem;
	}
	if (sb_put(&b, "\"", 1))
		goto nomem;
	struct dhall_str str = {0};
	if ((rc = sb_to_str(ev, &b, &str)))
		goto out;
	if (!(*out = ev_text1(ev, str.s, str.len)))
		goto nomem;
	goto out;
nomem:
	rc = ev_nomem(ev);
out:
	free(b.s);
	return rc;
}

static int text_replace(struct ev *ev, const struct dhall_str *needle, struct dv *repl,
			const struct dhall_str *hay, struct dv **out)
{
	size_t count = 0;
	for (size_t i = 0; i + needle->len <= hay->len;) {
		if (memcmp(hay->s + i, needle->s, needle->len) == 0) {
			count++;
			i += needle->len;
		} else
			i++;
	}
	struct dhall_str *chunks = ev_alloc(ev, (count + 1) * sizeof *chunks);
	struct dv **parts = count ? ev_alloc(ev, count * sizeof *parts) : NULL;
	if (!chunks || (count && !parts))
		return ev_nomem(ev);
	size_t k = 0, start = 0;
	for (size_t i = 0; i + needle->len <= hay->len;) {
		if (memcmp(hay->s + i, needle->s, needle->len) == 0) {
			chunks[k] = (struct dhall_str){hay->s + start, i - start};
			parts[k++] = repl;
			i += needle->len;
			start = i;
		} else
			i++;
	}
	chunks[k] = (struct dhall_str){hay->s + start, hay->len - start};
	return ev_text(ev, chunks, parts, count, out);
}

/* A text value from printf-style output. */
static int text_of_buf(struct ev *ev, struct dhall_buf *b, int rc, struct dv **out)
{
	if (!rc) {
		char *p = dhall_arena_strdup(ev->arena, b->len ? (const char *)b->data : "", b->len);
		if (!p || !(*out = ev_text1(ev, p, b->len)))
			rc = DHALL_ENOMEM;
	}
	dhall_buf_free(b);
	return rc == DHALL_ENOMEM ? ev_nomem(ev) : rc;
}

/* ---------------------------------------------------------------- builtins */

unsigned ev_builtin_arity(unsigned b)
{
	switch (b) {
	case DHALL_B_NATURAL_BUILD:
	case DHALL_B_NATURAL_ISZERO:
	case DHALL_B_NATURAL_EVEN:
	case DHALL_B_NATURAL_ODD:
	case DHALL_B_NATURAL_TOINTEGER:
	case DHALL_B_NATURAL_SHOW:
	case DHALL_B_INTEGER_TODOUBLE:
	case DHALL_B_INTEGER_SHOW:
	case DHALL_B_INTEGER_NEGATE:
	case DHALL_B_INTEGER_CLAMP:
	case DHALL_B_DOUBLE_SHOW:
	case DHALL_B_TEXT_SHOW:
	case DHALL_B_DATE_SHOW:
	case DHALL_B_TIME_SHOW:
	case DHALL_B_TIMEZONE_SHOW:
		return 1;
	case DHALL_B_NATURAL_SUBTRACT:
	case DHALL_B_LIST_BUILD:
	case DHALL_B_LIST_LENGTH:
	case DHALL_B_LIST_HEAD:
	case DHALL_B_LIST_LAST:
	case DHALL_B_LIST_INDEXED:
	case DHALL_B_LIST_REVERSE:
		return 2;
	case DHALL_B_TEXT_REPLACE:
		return 3;
	case DHALL_B_NATURAL_FOLD:
		return 4;
	case DHALL_B_LIST_FOLD:
		return 5;
	default:
		return 0;
	}
}

static struct dhall_expr *mk(struct ev *ev, enum dhall_kind kind)
{
	struct dhall_expr *e = ev_alloc(ev, sizeof *e);
	if (e)
		e->kind = (uint8_t)kind;
	return e;
}

static struct dhall_expr *mkvar(struct ev *ev, const char *name)
{
	struct dhall_expr *e = mk(ev, DHALL_VAR);
	if (e)
		e->label = (struct dhall_str){name, strlen(name)};
	return e;
}

static struct dv *app1(struct ev *ev, unsigned b, struct dv *x)
{
	struct dv *v = ev_new(ev, DHALL_APP);
	if (!v || !(v->items = ev_alloc(ev, sizeof *v->items)) || !(v->a = ev_builtin(ev, b)))
		return NULL;
	v->items[0] = x;
	v->n = 1;
	return v;
}

static struct dv *empty_list(struct ev *ev, struct dv *elem)
{
	struct dv *v = ev_new(ev, DHALL_LIST);
	if (v && !(v->a = app1(ev, DHALL_B_LIST, elem)))
		return NULL;
	return v;
}

/* ---------------------------------------------------------------- fold fusion
 *
 * The normal forms of Prelude's List/map, List/generate, List/replicate …
 * fold with a quoted `cons`: List/fold A xs (List B) (λ(x : A) → λ(as :
 * List B) → [E] # as) nil, or Natural/fold n (List B) (λ(as : List B) →
 * [E] # as) nil. When E does not mention `as` and nil is a list, the fold
 * is the list of E for each element (for x = each item; E once for
 * Natural/fold) followed by nil's items: built directly, without a
 * closure, an environment entry and an intermediate list per element.
 * Every element still counts one step. Each element is evaluated in a
 * region of the scratch arena (eval_int.h), given back when the element's
 * value is older than it (E picks a part of x); over List/indexed (eval.c
 * spots `List/fold T (List/indexed A ys) …`) the { index, value } records
 * are made one per element inside that region, not as a list first. The
 * JSON renderer streams such folds the same way (json.c). */

/* E when body is `[E] # as` (as: the variable `name` bound just outside,
 * index 0) and E does not mention `as`; else NULL. */
static const struct dhall_expr *cons_elem(const struct dhall_expr *body, struct dhall_str name)
{
	if (body->kind != DHALL_OP || body->op != DHALL_OP_LIST_APPEND ||
	    body->a->kind != DHALL_LIST || body->a->n != 1 || body->b->kind != DHALL_VAR ||
	    body->b->index != 0 || !ev_str_eq(body->b->label, name) ||
	    ev_mentions(body->a->items[0], name))
		return NULL;
	return body->a->items[0];
}

/* *out = a list of n items (set by the caller) then nil's. 0, or
 * DHALL_ELIMIT / DHALL_ENOMEM with the error set. */
static int fused_list(struct ev *ev, size_t n, const struct dv *nil, struct dv **out)
{
	struct dv *o;
	if (n > ev->max_bytes / sizeof *o->items || nil->n > ev->max_bytes / sizeof *o->items)
		return dhall_err_set(ev->err, DHALL_ELIMIT,
				     "a fold builds a list past the memory budget (limit)");
	if (!(o = ev_new(ev, DHALL_LIST)) ||
	    !(o->items = ev_alloc(ev, (n + nil->n) * sizeof *o->items)))
		return ev_nomem(ev);
	o->n = n + nil->n;
	if (nil->n)
		memcpy(o->items + n, nil->items, nil->n * sizeof *o->items);
	*out = o;
	return 0;
}

const struct dhall_expr *ev_fold_elem(const struct dv *f, const struct dv *nil)
{
	if (nil->kind != DHALL_LIST || f->kind != DHALL_LAMBDA || f->a || !f->src ||
	    f->src->b->kind != DHALL_LAMBDA)
		return NULL;
	return cons_elem(f->src->b->b, f->src->b->label);
}

int ev_fold_item(struct ev *ev, const struct dv *f, const struct dhall_expr *elem, struct dv *x,
		 struct dv **out)
{
	struct denv *env = ev_bind(ev, f->env, f->label, x);
	int rc;
	if ((rc = ev_tick(ev)))
		return rc;
	if (!env)
		return ev_nomem(ev);
	return ev_eval(ev, env, elem, out);
}

/* List/fold over the list value l with f = λ(x) → λ(as) → [E] # as and a
 * list nil: *out = the result, or NULL when f is not of that shape. Each
 * element is evaluated in a region (eval_int.h) when the evaluator has no
 * lazy bindings: when E's value is older than the region (E selects a
 * field of x, as Prelude's List/generate does), the environment entry and
 * everything else made for it are given back at once. */
static int fold_map(struct ev *ev, const struct dv *l, const struct dv *f, const struct dv *nil,
		    struct dv **out)
{
	const struct dhall_expr *elem;
	struct dv *o;
	int rc;
	*out = NULL;
	if (!(elem = ev_fold_elem(f, nil)) || l->n == 0)
		return 0;
	if ((rc = fused_list(ev, l->n, nil, &o)))
		return rc;
	for (size_t i = 0; i < l->n; i++) {
		struct ev_region r;
		ev_region_begin(ev, &r);
		if ((rc = ev_fold_item(ev, f, elem, l->items[i], &o->items[i])))
			return rc;
		if (!ev->lazy && !dhall_arena_since(ev->arena, &r.mark, o->items[i]))
			ev_region_end(ev, &r);
	}
	*out = o;
	return 0;
}

int ev_fold_indexed(struct ev *ev, struct dv *ys, struct dv *f, struct dv *nil, struct dv **out)
{
	static const char idx[] = "index", val[] = "value";
	const struct dhall_expr *elem;
	struct dhall_str *labels;
	struct dv *o;
	int rc;
	*out = NULL;
	if (ys->kind != DHALL_LIST || ys->n == 0 || !(elem = ev_fold_elem(f, nil)))
		return 0;
	if ((rc = ev_tick(ev))) /* List/indexed's reduction */
		return rc;
	if ((rc = fused_list(ev, ys->n, nil, &o)))
		return rc;
	if (!(labels = ev_alloc(ev, 2 * sizeof *labels))) /* shared by the records */
		return ev_nomem(ev);
	labels[0] = (struct dhall_str){idx, 5};
	labels[1] = (struct dhall_str){val, 5};
	for (size_t i = 0; i < ys->n; i++) {
		struct ev_region r;
		struct dv *n = ev_nat(ev, i), *x; /* before the region: E may keep it */
		if (!n)
			return ev_nomem(ev);
		ev_region_begin(ev, &r);
		if (!(x = ev_new(ev, DHALL_RECORD)) || !(x->items = ev_alloc(ev, 2 * sizeof *x->items)))
			return ev_nomem(ev);
		x->n = 2;
		x->labels = labels;
		x->items[0] = n;
		x->items[1] = ys->items[i];
		if ((rc = ev_fold_item(ev, f, elem, x, &o->items[i])))
			return rc;
		if (!ev->lazy && !dhall_arena_since(ev->arena, &r.mark, o->items[i]))
			ev_region_end(ev, &r);
	}
	*out = o;
	return 0;
}

/* Natural/fold count times f = λ(as) → [E] # as over a list nil: *out =
 * the result, or NULL when f is not of that shape. */
static int fold_replicate(struct ev *ev, uint64_t count, const struct dv *f, const struct dv *nil,
			  struct dv **out)
{
	const struct dhall_expr *elem;
	struct dv *o, *x;
	int rc;
	*out = NULL;
	if (nil->kind != DHALL_LIST || f->kind != DHALL_LAMBDA || f->a || !f->src || count == 0 ||
	    !(elem = cons_elem(f->src->b, f->label)))
		return 0;
	if (count > SIZE_MAX / sizeof *o->items)
		return dhall_err_set(ev->err, DHALL_ELIMIT,
				     "a fold builds a list past the memory budget (limit)");
	if ((rc = fused_list(ev, (size_t)count, nil, &o)))
		return rc;
	if ((rc = ev_eval(ev, f->env, elem, &x)))
		return rc;
	for (size_t i = 0; i < count; i++) {
		if ((rc = ev_tick(ev)))
			return rc;
		o->items[i] = x;
	}
	*out = o;
	return 0;
}

/* Natural/build g = g Natural (λ(x : Natural) → x + 1) 0 */
static int natural_build(struct ev *ev, struct dv *g, struct dv **out)
{
	struct dhall_expr *body = mk(ev, DHALL_OP), *one = mk(ev, DHALL_NATURAL);
	struct dv *succ = ev_new(ev, DHALL_LAMBDA), *nat = ev_builtin(ev, DHALL_B_NATURAL);
	struct dv *zero = ev_nat(ev, 0);
	int rc;
	if (!body || !one || !succ || !nat || !zero || !(body->a = mkvar(ev, "x")))
		return ev_nomem(ev);
	one->u.num.small = 1;
	body->op = DHALL_OP_PLUS;
	body->b = one;
	succ->label = (struct dhall_str){"x", 1};
	succ->a = nat;
	succ->body = body;
	if ((rc = ev_apply(ev, g, nat, &g)) || (rc = ev_apply(ev, g, succ, &g)))
		return rc;
	return ev_apply(ev, g, zero, out);
}

/* List/build A g = g (List A) (λ(a : A) → λ(as : List A) → [a] # as) ([] : List A) */
static int list_build(struct ev *ev, struct dv *A, struct dv *g, struct dv **out)
{
	static const char tname[] = "_A"; /* names our own environment only */
	struct dhall_expr *inner = mk(ev, DHALL_LAMBDA), *lt = mk(ev, DHALL_APP);
	struct dhall_expr *lty = mk(ev, DHALL_BUILTIN), *cat = mk(ev, DHALL_OP);
	struct dhall_expr *one = mk(ev, DHALL_LIST);
	struct dv *cons = ev_new(ev, DHALL_LAMBDA), *listA = app1(ev, DHALL_B_LIST, A);
	struct dv *nil = empty_list(ev, A);
	struct denv *env = ev_bind(ev, NULL, (struct dhall_str){tname, 2}, A);
	int rc;
	if (!inner || !lt || !lty || !cat || !one || !cons || !listA || !nil || !env ||
	    !(lt->items = ev_alloc(ev, sizeof *lt->items)) ||
	    !(one->items = ev_alloc(ev, sizeof *one->items)) || !(lt->items[0] = mkvar(ev, tname)) ||
	    !(one->items[0] = mkvar(ev, "a")) || !(cat->b = mkvar(ev, "as")))
		return ev_nomem(ev);
	lty->op = DHALL_B_LIST;
	lt->a = lty;
	lt->n = 1;
	one->n = 1;
	cat->op = DHALL_OP_LIST_APPEND;
	cat->a = one;
	inner->label = (struct dhall_str){"as", 2};
	inner->a = lt;
	inner->b = cat;
	cons->label = (struct dhall_str){"a", 1};
	cons->op = EV_CONS; /* ev_apply's short cut (eval_int.h) */
	cons->a = A;
	cons->body = inner;
	cons->env = env;
	if ((rc = ev_apply(ev, g, listA, &g)) || (rc = ev_apply(ev, g, cons, &g)))
		return rc;
	return ev_apply(ev, g, nil, out);
}

static int list_indexed(struct ev *ev, struct dv *A, struct dv *l, struct dv **out)
{
	static const char idx[] = "index", val[] = "value";
	struct dv *o = ev_new(ev, DHALL_LIST);
	if (!o)
		return ev_nomem(ev);
	if (l->n == 0) {
		struct dv *rt = ev_new(ev, DHALL_RECORD_TYPE);
		if (!rt || !(rt->labels = ev_alloc(ev, 2 * sizeof *rt->labels)) ||
		    !(rt->items = ev_alloc(ev, 2 * sizeof *rt->items)) ||
		    !(rt->items[0] = ev_builtin(ev, DHALL_B_NATURAL)) ||
		    !(o->a = app1(ev, DHALL_B_LIST, rt)))
			return ev_nomem(ev);
		rt->n = 2;
		rt->labels[0] = (struct dhall_str){idx, 5};
		rt->labels[1] = (struct dhall_str){val, 5};
		rt->items[1] = A;
		*out = o;
		return 0;
	}
	struct dhall_str *labels = ev_alloc(ev, 2 * sizeof *labels); /* shared by the records */
	if (!labels || !(o->items = ev_alloc(ev, l->n * sizeof *o->items)))
		return ev_nomem(ev);
	labels[0] = (struct dhall_str){idx, 5};
	labels[1] = (struct dhall_str){val, 5};
	o->n = l->n;
	for (size_t i = 0; i < l->n; i++) {
		struct dv *r = ev_new(ev, DHALL_RECORD);
		if (!r || !(r->items = ev_alloc(ev, 2 * sizeof *r->items)) ||
		    !(r->items[0] = ev_nat(ev, i)))
			return ev_nomem(ev);
		r->n = 2;
		r->labels = labels;
		r->items[1] = l->items[i];
		o->items[i] = r;
	}
	*out = o;
	return 0;
}

static int show_time(struct dhall_buf *b, const struct dhall_time *t)
{
	struct dhall_buf d = {0}, pad = {0};
	int rc = dhall_buf_printf(b, "%02u:%02u:", t->hour, t->minute);
	size_t exp = t->sec_exp;
	if (!rc)
		rc = dhall_print_num(&d, &t->sec_mantissa);
	/* left-pad the mantissa's digits to two whole-second digits + exp */
	for (size_t i = d.len; !rc && i < exp + 2; i++)
		rc = dhall_buf_putc(&pad, '0');
	if (!rc)
		rc = dhall_buf_put(&pad, d.data, d.len);
	for (size_t i = 0; !rc && i < pad.len; i++) {
		if (exp && i == pad.len - exp)
			rc = dhall_buf_putc(b, '.');
		if (!rc)
			rc = dhall_buf_putc(b, pad.data[i]);
	}
	dhall_buf_free(&d);
	dhall_buf_free(&pad);
	return rc;
}

int ev_builtin_reduce(struct ev *ev, unsigned b, struct dv **args, struct dv **out)
{
	struct dv *x = args[0], *v = NULL;
	struct dhall_buf buf = {0};
	int rc = 0;
	*out = NULL;
	if ((rc = ev_tick(ev)))
		return rc;
	switch (b) {
	case DHALL_B_NATURAL_BUILD:
		return natural_build(ev, x, out);
	case DHALL_B_NATURAL_FOLD: {
		if (x->kind != DHALL_NATURAL)
			return 0;
		if (x->u.num.big)
			return dhall_err_set(ev->err, DHALL_ELIMIT,
					     "Natural/fold over a number past 2^64 (limit)");
		struct dv *acc = args[3];
		if ((rc = fold_replicate(ev, x->u.num.small, args[2], acc, out)) || *out)
			return rc;
		for (uint64_t i = 0; i < x->u.num.small; i++)
			if ((rc = ev_apply(ev, args[2], acc, &acc)))
				return rc;
		*out = acc;
		return 0;
	}
	case DHALL_B_NATURAL_ISZERO:
	case DHALL_B_NATURAL_EVEN:
	case DHALL_B_NATURAL_ODD:
		if (x->kind != DHALL_NATURAL)
			return 0;
		v = ev_bool(ev, b == DHALL_B_NATURAL_ISZERO ? ev_num_zero(&x->u.num)
				: b == DHALL_B_NATURAL_EVEN ? !num_odd(&x->u.num)
							    : num_odd(&x->u.num));
		break;
	case DHALL_B_NATURAL_TOINTEGER:
		if (x->kind != DHALL_NATURAL)
			return 0;
		if ((v = ev_new(ev, DHALL_INTEGER)))
			v->u.num = x->u.num;
		break;
	case DHALL_B_NATURAL_SHOW:
		if (x->kind != DHALL_NATURAL)
			return 0;
		if (!x->u.num.big) { /* the common case, without a heap buffer */
			char digits[24], *p = digits + sizeof digits, *copy;
			uint64_t n = x->u.num.small;
			do
				*--p = (char)('0' + n % 10);
			while (n /= 10);
			size_t len = (size_t)(digits + sizeof digits - p);
			if (!(copy = dhall_arena_strdup(ev->arena, p, len)) ||
			    !(*out = ev_text1(ev, copy, len)))
				return ev_nomem(ev);
			return 0;
		}
		return text_of_buf(ev, &buf, dhall_print_num(&buf, &x->u.num), out);
	case DHALL_B_NATURAL_SUBTRACT: {
		struct dv *y = args[1];
		if (x->kind == DHALL_NATURAL && y->kind == DHALL_NATURAL) {
			if (!(v = ev_new(ev, DHALL_NATURAL)))
				return ev_nomem(ev);
			if (ev_num_cmp(&y->u.num, &x->u.num) >= 0 &&
			    (rc = num_sub(ev, &y->u.num, &x->u.num, &v->u.num)))
				return rc;
		} else if (x->kind == DHALL_NATURAL && ev_num_zero(&x->u.num))
			v = y;
		else if (y->kind == DHALL_NATURAL && ev_num_zero(&y->u.num))
			v = y;
		else if ((rc = ev_equiv(ev, NULL, x, y)) < 0)
			return rc;
		else if (rc)
			v = ev_nat(ev, 0);
		else
			return 0;
		break;
	}
	case DHALL_B_INTEGER_TODOUBLE:
		if (x->kind != DHALL_INTEGER)
			return 0;
		if (!(v = ev_new(ev, DHALL_DOUBLE)))
			return ev_nomem(ev);
		if (!x->u.num.big)
			v->u.dbl = (double)x->u.num.small;
		else {
			if ((rc = dhall_print_num(&buf, &x->u.num)) || (rc = dhall_buf_putc(&buf, 0))) {
				dhall_buf_free(&buf);
				return ev_nomem(ev);
			}
			v->u.dbl = strtod((const char *)buf.data, NULL);
			dhall_buf_free(&buf);
		}
		if (x->op)
			v->u.dbl = -v->u.dbl;
		break;
	case DHALL_B_INTEGER_SHOW:
		if (x->kind != DHALL_INTEGER)
			return 0;
		rc = dhall_buf_putc(&buf, x->op && !ev_num_zero(&x->u.num) ? '-' : '+');
		if (!rc)
			rc = dhall_print_num(&buf, &x->u.num);
		return text_of_buf(ev, &buf, rc, out);
	case DHALL_B_INTEGER_NEGATE:
		if (x->kind != DHALL_INTEGER)
			return 0;
		if ((v = ev_new(ev, DHALL_INTEGER))) {
			v->u.num = x->u.num;
			v->op = (uint8_t)(!x->op && !ev_num_zero(&x->u.num));
		}
		break;
	case DHALL_B_INTEGER_CLAMP:
		if (x->kind != DHALL_INTEGER)
			return 0;
		if ((v = ev_new(ev, DHALL_NATURAL)) && !x->op)
			v->u.num = x->u.num;
		break;
	case DHALL_B_DOUBLE_SHOW:
		if (x->kind != DHALL_DOUBLE)
			return 0;
		if (x->u.dbl != x->u.dbl)
			rc = dhall_buf_puts(&buf, "NaN");
		else if (x->u.dbl > 1.7976931348623157e308)
			rc = dhall_buf_puts(&buf, "Infinity");
		else if (x->u.dbl < -1.7976931348623157e308)
			rc = dhall_buf_puts(&buf, "-Infinity");
		else
			rc = dhall_print_double(&buf, x->u.dbl);
		return text_of_buf(ev, &buf, rc, out);
	case DHALL_B_LIST_BUILD:
		return list_build(ev, x, args[1], out);
	case DHALL_B_LIST_FOLD: {
		struct dv *l = args[1], *acc = args[4];
		if (l->kind != DHALL_LIST)
			return 0;
		if ((rc = fold_map(ev, l, args[3], acc, out)) || *out)
			return rc;
		for (size_t i = l->n; i-- > 0;) {
			struct dv *f;
			if ((rc = ev_apply(ev, args[3], l->items[i], &f)) ||
			    (rc = ev_apply(ev, f, acc, &acc)))
				return rc;
		}
		*out = acc;
		return 0;
	}
	case DHALL_B_LIST_LENGTH:
		if (args[1]->kind != DHALL_LIST)
			return 0;
		v = ev_nat(ev, args[1]->n);
		break;
	case DHALL_B_LIST_HEAD:
	case DHALL_B_LIST_LAST: {
		struct dv *l = args[1];
		if (l->kind != DHALL_LIST)
			return 0;
		if (l->n == 0)
			v = app1(ev, DHALL_B_NONE, x);
		else if ((v = ev_new(ev, DHALL_SOME)))
			v->a = l->items[b == DHALL_B_LIST_HEAD ? 0 : l->n - 1];
		break;
	}
	case DHALL_B_LIST_INDEXED:
		if (args[1]->kind != DHALL_LIST)
			return 0;
		return list_indexed(ev, x, args[1], out);
	case DHALL_B_LIST_REVERSE: {
		struct dv *l = args[1];
		if (l->kind != DHALL_LIST)
			return 0;
		if (l->n == 0) {
			v = empty_list(ev, x);
			break;
		}
		if (!(v = ev_new(ev, DHALL_LIST)) ||
		    !(v->items = ev_alloc(ev, l->n * sizeof *v->items)))
			return ev_nomem(ev);
		v->n = l->n;
		for (size_t i = 0; i < l->n; i++)
			v->items[i] = l->items[l->n - 1 - i];
		break;
	}
	case DHALL_B_TEXT_SHOW:
		if (!text_plain(x))
			return 0;
		return text_show(ev, &x->labels[0], out);
	case DHALL_B_TEXT_REPLACE:
		if (!text_plain(x))
			return 0;
		if (x->labels[0].len == 0) {
			*out = args[2];
			return 0;
		}
		if (!text_plain(args[2]))
			return 0;
		return text_replace(ev, &x->labels[0], args[1], &args[2]->labels[0], out);
	case DHALL_B_DATE_SHOW:
		if (x->kind != DHALL_DATE)
			return 0;
		return text_of_buf(ev, &buf,
				   dhall_buf_printf(&buf, "%04u-%02u-%02u", x->u.date.year,
						    x->u.date.month, x->u.date.day),
				   out);
	case DHALL_B_TIME_SHOW:
		if (x->kind != DHALL_TIME)
			return 0;
		return text_of_buf(ev, &buf, show_time(&buf, x->u.time), out);
	case DHALL_B_TIMEZONE_SHOW:
		if (x->kind != DHALL_TIMEZONE)
			return 0;
		return text_of_buf(ev, &buf,
				   dhall_buf_printf(&buf, "%c%02u:%02u", x->u.tz.negative ? '-' : '+',
						    x->u.tz.hour, x->u.tz.minute),
				   out);
	default:
		return 0;
	}
	if (!v)
		return ev_nomem(ev);
	*out = v;
	return 0;
}
