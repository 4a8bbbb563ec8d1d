/*
 * quote.c — normalization by evaluation, part 3: values back to syntax,
 * and the public entry points built on it.
 *
 * ev_quote turns a value into its normal-form expression: under a λ or ∀
 * it makes a fresh variable (level = how many binders of that name are in
 * scope), instantiates the closure with it and quotes the body one binder
 * deeper; a variable's level becomes the index count(name) - level - 1.
 * Three modes:
 *   0  β-normal form, names kept (dhall normalize, types);
 *   1  α-β-normal form: every binder is `_` (semantic hash, equivalence);
 *   2  for ev_equiv only, on values that may hold variables bound outside
 *      the quoted part (whose scope the evaluator does not know): binders
 *      are `_` as in mode 1, outside variables keep their name and get an
 *      index that encodes their level (offset by 2^62, so they cannot be
 *      confused with the quote's own binders). Two values are equivalent
 *      exactly when their mode-2 quotes have the same binary encoding.
 *
 * Also here: syntactic α-normalization (dhall_alpha_normalize: renaming
 * only, no β), equivalence and semantic hashes, and the budget setup.
 * Quoting copies every string into the output arena, so the evaluator's
 * scratch arena can be freed afterwards. One exception, in mode 0: the
 * closure of a λ marked EV_SRC_CLOSED (closed, already normal: resolve.c
 * marks imported functions) quotes to that λ node itself, shared, not
 * copied; the result then points into the tree the λ came from, which
 * must outlive it (as for any input of the public entry points).
 *
 * Interning quotes (ev_normalize_interned, mode 0; resolve.c's normal
 * forms): each node is built on the stack, its children already interned,
 * and handed to intern.c, which returns the session's one node equal to
 * it, so normal forms share every repeated subtree. The node's arrays go
 * to the scratch arena and its strings are not copied (both stay valid
 * until it is interned): intern.c copies what a new node needs. Each
 * node's quote is a region of the scratch arena (eval_int.h): the values
 * made to quote a subtree are dropped once it is interned, so the scratch
 * memory of an interning quote is that of one path from the root, not of
 * the whole (unshared) normal form.
 */
#include "eval_int.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "banned.h"

#define EQUIV_OFFSET ((int64_t)1 << 62)

int64_t ev_count(const struct dnames *ctx, struct dhall_str name)
{
	int64_t n = 0;
	for (; ctx; ctx = ctx->next)
		n += ev_str_eq(ctx->name, name);
	return n;
}

struct quoter {
	struct ev *ev;
	struct dhall_arena *out; /* interning: the scratch arena (arrays only) */
	int mode;
	struct ev_intern *intern; /* NULL: plain copies into out */
};

static int copy_str(struct quoter *q, struct dhall_str *s)
{
	if (!s->len || q->intern)
		return 0;
	char *p = dhall_arena_strdup(q->out, s->s, s->len);
	if (!p)
		return ev_nomem(q->ev);
	s->s = p;
	return 0;
}

static int copy_num(struct quoter *q, struct dhall_num *n)
{
	if (!n->big || q->intern)
		return 0;
	uint8_t *p = dhall_arena_alloc_uninit(q->out, n->big_len);
	if (!p)
		return ev_nomem(q->ev);
	memcpy(p, n->big, n->big_len);
	n->big = p;
	return 0;
}

static struct dhall_str *copy_labels(struct quoter *q, const struct dhall_str *l, size_t n)
{
	struct dhall_str *o = dhall_arena_alloc(q->out, (n ? n : 1) * sizeof *o);
	if (!o)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		o[i] = l[i];
		if (copy_str(q, &o[i]))
			return NULL;
	}
	return o;
}

static int quote(struct quoter *q, const struct dnames *ctx, const struct dv *v,
		 struct dhall_expr **out);

static int quote_items(struct quoter *q, const struct dnames *ctx, struct dv *const *items,
		       size_t n, struct dhall_expr ***out)
{
	struct dhall_expr **o = dhall_arena_alloc(q->out, (n ? n : 1) * sizeof *o);
	int rc;
	if (!o)
		return ev_nomem(q->ev);
	for (size_t i = 0; i < n; i++)
		if (items[i] && (rc = quote(q, ctx, items[i], &o[i])))
			return rc;
	*out = o;
	return 0;
}

static int quote_binder(struct quoter *q, const struct dnames *ctx, const struct dv *v,
			struct dhall_expr *e)
{
	static const char us[] = "_";
	struct dhall_str name = q->mode ? (struct dhall_str){us, 1} : v->label;
	struct dnames inner = {name, ctx};
	struct dv *fresh, *body, *ty = v->a;
	int rc;
	if (!ty && (rc = ev_eval(q->ev, v->env, v->src->a, &ty))) /* a lazy λ annotation */
		return rc;
	if ((rc = quote(q, ctx, ty, &e->a)))
		return rc;
	if (!(fresh = ev_var(q->ev, name, ev_count(ctx, name))))
		return ev_nomem(q->ev);
	fresh->op = q->mode == 2; /* marks the quote's own binders */
	if ((rc = ev_inst(q->ev, v, fresh, &body)))
		return rc;
	e->label = name;
	if ((rc = copy_str(q, &e->label)))
		return rc;
	return quote(q, &inner, body, &e->b);
}

static int quote_main(struct quoter *q, const struct dnames *ctx, const struct dv *v,
		      struct dhall_expr *e)
{
	int rc = 0;
	e->kind = v->kind;
	e->op = v->op;
	switch ((enum dhall_kind)v->kind) {
	case DHALL_VAR:
		e->op = 0;
		e->label = v->label;
		if (q->mode == 2 && !v->op)
			e->index = (uint64_t)(v->level + EQUIV_OFFSET);
		else
			e->index = (uint64_t)(ev_count(ctx, v->label) - v->level - 1);
		return copy_str(q, &e->label);
	case DHALL_BUILTIN:
	case DHALL_BOOL:
	case DHALL_DOUBLE:
	case DHALL_DATE:
	case DHALL_TIMEZONE:
		memcpy(&e->u, &v->u, sizeof e->u < sizeof v->u ? sizeof e->u : sizeof v->u);
		return 0;
	case DHALL_NATURAL:
	case DHALL_INTEGER:
		e->u.num = v->u.num;
		return copy_num(q, &e->u.num);
	case DHALL_TIME: { /* a copy of its own, as the output's numbers */
		e->u.time = v->u.time;
		if (q->intern)
			return 0;
		struct dhall_time *t = dhall_arena_alloc_uninit(q->out, sizeof *t);
		if (!t)
			return ev_nomem(q->ev);
		*t = *v->u.time;
		e->u.time = t;
		return copy_num(q, &t->sec_mantissa);
	}
	case DHALL_BYTES:
		e->label = v->label;
		return copy_str(q, &e->label);
	case DHALL_TEXT:
		e->n = v->n;
		if (!(e->labels = copy_labels(q, v->labels, v->n + 1)))
			return ev_nomem(q->ev);
		return quote_items(q, ctx, v->items, v->n, &e->items);
	case DHALL_LAMBDA:
	case DHALL_PI:
		e->op = 0; /* a closure's EV_CONS marks are not syntax */
		return quote_binder(q, ctx, v, e);
	case DHALL_APP:
		e->n = v->n;
		if ((rc = quote(q, ctx, v->a, &e->a)))
			return rc;
		return quote_items(q, ctx, v->items, v->n, &e->items);
	case DHALL_OP:
		if ((rc = quote(q, ctx, v->a, &e->a)))
			return rc;
		return quote(q, ctx, v->b, &e->b);
	case DHALL_IF:
	case DHALL_MERGE:
	case DHALL_TOMAP:
	case DHALL_PROJECT_TYPE:
		if ((rc = quote(q, ctx, v->a, &e->a)) || (v->b && (rc = quote(q, ctx, v->b, &e->b))))
			return rc;
		if (v->c && (rc = quote(q, ctx, v->c, &e->c)))
			return rc;
		return 0;
	case DHALL_LIST:
		e->n = v->n;
		if (v->n == 0)
			return v->a ? quote(q, ctx, v->a, &e->a) : 0;
		return quote_items(q, ctx, v->items, v->n, &e->items);
	case DHALL_SOME:
	case DHALL_SHOWCONS:
	case DHALL_ASSERT:
		return quote(q, ctx, v->a, &e->a);
	case DHALL_RECORD_TYPE:
	case DHALL_RECORD:
	case DHALL_UNION:
		e->n = v->n;
		if (!(e->labels = copy_labels(q, v->labels, v->n)))
			return ev_nomem(q->ev);
		return quote_items(q, ctx, v->items, v->n, &e->items);
	case DHALL_FIELD:
		e->label = v->label;
		if ((rc = copy_str(q, &e->label)))
			return rc;
		return quote(q, ctx, v->a, &e->a);
	case DHALL_PROJECT:
		e->n = v->n;
		if (!(e->labels = copy_labels(q, v->labels, v->n)))
			return ev_nomem(q->ev);
		return quote(q, ctx, v->a, &e->a);
	case DHALL_WITH:
		e->n = v->n;
		e->with_opt = v->with_opt;
		if (!(e->labels = copy_labels(q, v->labels, v->n)))
			return ev_nomem(q->ev);
		if ((rc = quote(q, ctx, v->a, &e->a)))
			return rc;
		return quote(q, ctx, v->b, &e->b);
	default:
		return dhall_err_set(q->ev->err, DHALL_ETYPE, "cannot quote a value of kind %u",
				     v->kind);
	}
}

/* quote's interning mode: the node on the stack, then its shared copy.
 * The values made to quote the subtree, and its arrays, are garbage once
 * it is interned: a region. noinline: the node stays out of quote's frame
 * in the other modes. */
__attribute__((noinline)) static int quote_interned(struct quoter *q, const struct dnames *ctx,
						   const struct dv *v, struct dhall_expr **out)
{
	struct ev *ev = q->ev;
	struct dhall_expr tmp;
	struct ev_region r;
	int rc;
	memset(&tmp, 0, sizeof tmp);
	ev_region_begin(ev, &r);
	if (!(rc = quote_main(q, ctx, v, &tmp)) && ev_intern_node(q->intern, &tmp, out))
		rc = ev_nomem(ev);
	if (!ev->lazy)
		ev_region_end(ev, &r);
	return rc;
}

static int quote(struct quoter *q, const struct dnames *ctx, const struct dv *v,
		 struct dhall_expr **out)
{
	struct ev *ev = q->ev;
	int rc;
	if ((rc = ev_tick(ev)))
		return rc;
	if (++ev->depth > DHALL_EV_MAX_DEPTH) {
		ev->depth--;
		return dhall_err_set(ev->err, DHALL_ELIMIT, "normal form nested deeper than %u",
				     DHALL_EV_MAX_DEPTH);
	}
	struct dhall_expr *e = NULL;
	if (q->mode == 0 && v->kind == DHALL_LAMBDA && !v->a && v->src->op == EV_SRC_CLOSED) {
		e = (struct dhall_expr *)v->src; /* its own normal form: shared */
	} else if (q->intern) {
		rc = quote_interned(q, ctx, v, &e);
	} else if (!(e = dhall_arena_alloc(q->out, sizeof *e)))
		rc = ev_nomem(ev);
	else
		rc = quote_main(q, ctx, v, e);
	ev->depth--;
	if (!rc)
		*out = e;
	return rc;
}

int ev_quote(struct ev *ev, struct dhall_arena *arena, const struct dnames *ctx,
	     const struct dv *v, int alpha, struct dhall_expr **out)
{
	struct quoter q = {ev, arena, alpha, NULL};
	return quote(&q, ctx, v, out);
}

/* Equivalence without quoting for the values type checking compares most
 * (builtins, applications of them, record and union types): 1 equal, 0
 * different, -1 not decided here (ev_equiv then quotes and compares). */
static int quick_equiv(const struct dv *a, const struct dv *b, unsigned depth)
{
	int r, unknown = 0;
	if (a == b)
		return 1;
	if (!a || !b || a->kind != b->kind || depth > 32)
		return -1;
	switch (a->kind) {
	case DHALL_BUILTIN:
		return a->op == b->op;
	case DHALL_VAR:
		return ev_str_eq(a->label, b->label) && a->level == b->level ? 1 : -1;
	case DHALL_APP:
		if (a->n != b->n || quick_equiv(a->a, b->a, depth + 1) != 1)
			return -1;
		for (size_t i = 0; i < a->n; i++)
			if (quick_equiv(a->items[i], b->items[i], depth + 1) != 1)
				return -1;
		return 1;
	case DHALL_RECORD_TYPE:
	case DHALL_UNION:
		if (a->n != b->n)
			return 0;
		for (size_t i = 0; i < a->n; i++) {
			if (!ev_str_eq(a->labels[i], b->labels[i]))
				return 0;
			if (!a->items[i] || !b->items[i]) {
				if (a->items[i] != b->items[i])
					return 0;
				continue;
			}
			if ((r = quick_equiv(a->items[i], b->items[i], depth + 1)) == 0)
				return 0;
			unknown |= r < 0;
		}
		return unknown ? -1 : 1;
	default:
		return -1;
	}
}

int ev_equiv(struct ev *ev, const struct dnames *ctx, const struct dv *a, const struct dv *b)
{
	struct dhall_arena tmp;
	struct dhall_expr *x, *y;
	struct dhall_buf ea = {0}, eb = {0};
	struct quoter q = {ev, &tmp, 2, NULL};
	int rc;
	(void)ctx;
	if ((rc = quick_equiv(a, b, 0)) >= 0)
		return rc;
	if (a->kind != b->kind && a->kind != DHALL_VAR && b->kind != DHALL_VAR &&
	    a->kind != DHALL_APP && b->kind != DHALL_APP)
		return 0;
	dhall_arena_init(&tmp);
	if ((rc = quote(&q, NULL, a, &x)) || (rc = quote(&q, NULL, b, &y)))
		goto out;
	if ((rc = dhall_encode(x, &ea)) || (rc = dhall_encode(y, &eb))) {
		rc = rc == DHALL_ENOMEM ? ev_nomem(ev)
					: dhall_err_set(ev->err, rc, "expression too deep to compare");
		goto out;
	}
	rc = ea.len == eb.len && memcmp(ea.data, eb.data, ea.len) == 0;
out:
	dhall_buf_free(&ea);
	dhall_buf_free(&eb);
	dhall_arena_free(&tmp);
	return rc;
}

void dhall_ctx_init(struct dhall_ctx *ctx)
{
	memset(ctx, 0, sizeof *ctx);
}

void ev_setup(struct ev *ev, struct dhall_arena *scratch, struct dhall_err *err,
	      const struct dhall_ctx *ctx)
{
	memset(ev, 0, sizeof *ev);
	ev->arena = scratch;
	ev->err = err;
	ev->max_steps = ctx && ctx->max_steps ? ctx->max_steps : DHALL_EV_DEFAULT_STEPS;
	ev->max_bytes = ctx && ctx->max_bytes ? ctx->max_bytes : DHALL_EV_DEFAULT_BYTES;
	if (ctx) {
		ev->name = ctx->name;
		ev->src = ctx->src;
		ev->len = ctx->len;
	}
	if (err) {
		dhall_err_clear(err);
		snprintf(err->file, sizeof err->file, "%s", ctx && ctx->name ? ctx->name : "-");
	}
}

/* ---------------------------------------------------------------- entry points */

struct job {
	const struct dhall_ctx *ctx;
	struct dhall_arena *arena;
	const struct dhall_expr *in, *in2;
	struct dhall_expr **out;
	struct dhall_err *err;
	int mode, equal;
	char *hash;
	struct dhall_arena *scratch; /* NULL: a fresh one, freed after */
	struct ev_intern *intern; /* mode 0 into intern's arena (out_arena unused) */
};

/* normalizes job->in into job->out (mode 0 or 1) */
static int normalize_in(struct job *j, struct dhall_arena *out_arena, struct dhall_expr **out)
{
	struct dhall_arena own, *scratch = j->scratch ? j->scratch : &own;
	struct ev ev;
	struct dv *v;
	if (!j->scratch)
		dhall_arena_init(&own);
	ev_setup(&ev, scratch, j->err, j->ctx);
	int rc = ev_eval(&ev, NULL, j->in, &v);
	if (!rc && j->intern) {
		struct quoter q = {&ev, scratch, 0, j->intern};
		rc = quote(&q, NULL, v, out);
	} else if (!rc) {
		rc = ev_quote(&ev, out_arena, NULL, v, j->mode, out);
	}
	if (j->scratch)
		dhall_arena_reset(scratch);
	else
		dhall_arena_free(&own);
	return rc;
}

static int normalize_main(void *p)
{
	struct job *j = p;
	return normalize_in(j, j->arena, j->out);
}

int dhall_normalize_ctx(const struct dhall_ctx *ctx, struct dhall_arena *arena,
			const struct dhall_expr *in, struct dhall_expr **out, struct dhall_err *err)
{
	struct job j = {.ctx = ctx, .arena = arena, .in = in, .out = out, .err = err};
	return dhall_run_deep(normalize_main, &j);
}

int ev_normalize_scratch(const struct dhall_ctx *ctx, struct dhall_arena *arena,
			 struct dhall_arena *scratch, const struct dhall_expr *in,
			 struct dhall_expr **out, struct dhall_err *err)
{
	struct job j = {.ctx = ctx, .arena = arena, .in = in, .out = out, .err = err,
			.scratch = scratch};
	return dhall_run_deep(normalize_main, &j);
}

int ev_normalize_interned(const struct dhall_ctx *ctx, struct ev_intern *intern,
			  struct dhall_arena *scratch, const struct dhall_expr *in,
			  struct dhall_expr **out, struct dhall_err *err)
{
	struct job j = {.ctx = ctx, .arena = intern->arena, .in = in, .out = out, .err = err,
			.scratch = scratch, .intern = intern};
	return dhall_run_deep(normalize_main, &j);
}

int dhall_normalize(struct dhall_arena *arena, const struct dhall_expr *in,
		    struct dhall_expr **out, struct dhall_err *err)
{
	return dhall_normalize_ctx(NULL, arena, in, out, err);
}

static int encode_err(struct dhall_err *err, int rc)
{
	return dhall_err_set(err, rc, rc == DHALL_ENOMEM ? "out of memory"
							  : "normal form too deep to encode");
}

static int hash_main(void *p)
{
	struct job *j = p;
	struct dhall_arena tmp;
	struct dhall_expr *nf;
	struct dhall_buf enc = {0};
	unsigned char h[crypto_hash_sha256_BYTES];
	dhall_arena_init(&tmp);
	j->mode = 1;
	int rc = normalize_in(j, &tmp, &nf);
	if (!rc && (rc = dhall_encode(nf, &enc)))
		rc = encode_err(j->err, rc);
	if (!rc) {
		crypto_hash_sha256(h, enc.data, enc.len);
		memcpy(j->hash, "sha256:", 7);
		sodium_bin2hex(j->hash + 7, 65, h, sizeof h);
	}
	dhall_buf_free(&enc);
	dhall_arena_free(&tmp);
	return rc;
}

int dhall_semantic_hash(const struct dhall_ctx *ctx, const struct dhall_expr *e, char out[72],
			struct dhall_err *err)
{
	struct job j = {.ctx = ctx, .in = e, .err = err, .hash = out};
	out[0] = 0;
	return dhall_run_deep(hash_main, &j);
}

static int equiv_main(void *p)
{
	struct job *j = p;
	struct dhall_arena tmp;
	struct dhall_expr *x, *y;
	struct dhall_buf ea = {0}, eb = {0};
	dhall_arena_init(&tmp);
	j->mode = 1;
	int rc = normalize_in(j, &tmp, &x);
	if (!rc) {
		j->in = j->in2;
		rc = normalize_in(j, &tmp, &y);
	}
	if (!rc && ((rc = dhall_encode(x, &ea)) || (rc = dhall_encode(y, &eb))))
		rc = encode_err(j->err, rc);
	if (!rc)
		j->equal = ea.len == eb.len && memcmp(ea.data, eb.data, ea.len) == 0;
	dhall_buf_free(&ea);
	dhall_buf_free(&eb);
	dhall_arena_free(&tmp);
	return rc;
}

int dhall_equivalent(const struct dhall_expr *a, const struct dhall_expr *b, int *equal,
		     struct dhall_err *err)
{
	struct job j = {.in = a, .in2 = b, .err = err};
	int rc = dhall_run_deep(equiv_main, &j);
	*equal = j.equal;
	return rc;
}

/* ---------------------------------------------------------------- α only */

struct anames {
	struct dhall_str name;
	const struct anames *next;
};

static int alpha(struct dhall_arena *a, const struct anames *ctx, const struct dhall_expr *e,
		 struct dhall_expr **out, unsigned depth);

static int alpha_child(struct dhall_arena *a, const struct anames *ctx, struct dhall_expr **slot,
		       unsigned depth)
{
	return *slot ? alpha(a, ctx, *slot, slot, depth + 1) : 0;
}

static int alpha(struct dhall_arena *a, const struct anames *ctx, const struct dhall_expr *e,
		 struct dhall_expr **out, unsigned depth)
{
	static const char us[] = "_";
	int rc;
	if (depth > DHALL_WALK_DEPTH)
		return DHALL_ELIMIT;
	struct dhall_expr *o = dhall_arena_alloc_uninit(a, sizeof *o);
	if (!o)
		return DHALL_ENOMEM;
	*o = *e;
	*out = o;
	switch ((enum dhall_kind)e->kind) {
	case DHALL_VAR: {
		uint64_t n = e->index, pos = 0;
		for (const struct anames *c = ctx; c; c = c->next, pos++)
			if (ev_str_eq(c->name, e->label)) {
				if (n == 0) {
					o->label = (struct dhall_str){us, 1};
					o->index = pos;
					return 0;
				}
				n--;
			}
		o->index = n; /* free: keeps its name, minus the renamed binders */
		return 0;
	}
	case DHALL_LAMBDA:
	case DHALL_PI:
	case DHALL_LET: {
		struct anames inner = {e->label, ctx};
		if ((rc = alpha_child(a, ctx, &o->a, depth)) ||
		    (e->kind == DHALL_LET && (rc = alpha_child(a, ctx, &o->c, depth))) ||
		    (rc = alpha_child(a, &inner, &o->b, depth)))
			return rc;
		o->label = (struct dhall_str){us, 1};
		if (e->kind == DHALL_LAMBDA) { /* resolve.c's marks are not syntax */
			o->op = 0;
			o->c = NULL;
		}
		return 0;
	}
	case DHALL_APP:
	case DHALL_TEXT:
	case DHALL_LIST:
	case DHALL_RECORD_TYPE:
	case DHALL_RECORD:
	case DHALL_UNION:
		if ((rc = alpha_child(a, ctx, &o->a, depth)))
			return rc;
		if (e->n && (e->kind != DHALL_LIST || e->n)) {
			o->items = dhall_arena_alloc_uninit(a, e->n * sizeof *o->items);
			if (!o->items)
				return DHALL_ENOMEM;
			for (size_t i = 0; i < e->n; i++) {
				o->items[i] = e->items[i];
				if ((rc = alpha_child(a, ctx, &o->items[i], depth)))
					return rc;
			}
		}
		return 0;
	case DHALL_IF:
	case DHALL_MERGE:
	case DHALL_TOMAP:
		if ((rc = alpha_child(a, ctx, &o->c, depth)))
			return rc;
		/* fall through */
	default:
		if ((rc = alpha_child(a, ctx, &o->a, depth)) || (rc = alpha_child(a, ctx, &o->b, depth)))
			return rc;
		return 0;
	case DHALL_IMPORT:
	case DHALL_BUILTIN:
	case DHALL_BOOL:
	case DHALL_NATURAL:
	case DHALL_INTEGER:
	case DHALL_DOUBLE:
	case DHALL_BYTES:
	case DHALL_DATE:
	case DHALL_TIME:
	case DHALL_TIMEZONE:
		return 0;
	}
}

static int alpha_main(void *p)
{
	struct job *j = p;
	int rc = alpha(j->arena, NULL, j->in, j->out, 0);
	if (rc)
		dhall_err_set(j->err, rc, rc == DHALL_ENOMEM ? "out of memory" : "expression too deep");
	return rc;
}

int dhall_alpha_normalize(struct dhall_arena *arena, const struct dhall_expr *in,
			  struct dhall_expr **out, struct dhall_err *err)
{
	struct job j = {.arena = arena, .in = in, .out = out, .err = err};
	if (err)
		dhall_err_clear(err);
	return dhall_run_deep(alpha_main, &j);
}
