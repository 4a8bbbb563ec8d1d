/*
 * typecheck.c — type inference (standard/type-inference.md) over the
 * values of the NbE evaluator (eval_int.h).
 *
 * infer() walks an expression in a scope of three parallel lists: the
 * names bound so far (for quoting), their types (values) and their values
 * (a λ-bound variable is a neutral VAR, a let-bound one its value, made
 * lazily: evaluated only if some type mentions it, so checking a program
 * does not run it; likewise a function argument when the result type is
 * instantiated). A chain of `let`s is a loop, not recursion. Types
 * are values throughout, so "A ≡ B" is ev_equiv and a type is normalized
 * exactly once. Where a rule needs the type of a type ("T : Type", "the
 * body's type is a type"), type_of_type quotes it back and infers that,
 * with a fast path for the common constants.
 *
 * The type of a λ is a ∀ whose body is the body's type quoted under the
 * extended scope, closed over the current environment: instantiating that
 * closure is exactly substituting the bound variable.
 *
 * Errors: DHALL_ETYPE with err->msg naming the rule's subject and, where
 * the rule compares types, the expected and the actual type (both printed
 * with dhall_format, cut to fit), at the position of the offending
 * expression (file:line:col when the caller's struct dhall_ctx has the
 * source text). Builtins' types are written as Dhall source below and
 * parsed on first use.
 */
#include "eval_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "banned.h"

static const char *const builtin_types[DHALL_B_COUNT] = {
	[DHALL_B_NATURAL_BUILD] = "(∀(natural : Type) → ∀(succ : natural → natural) → ∀(zero : "
				  "natural) → natural) → Natural",
	[DHALL_B_NATURAL_FOLD] = "Natural → ∀(natural : Type) → ∀(succ : natural → natural) → "
				 "∀(zero : natural) → natural",
	[DHALL_B_NATURAL_ISZERO] = "Natural → Bool",
	[DHALL_B_NATURAL_EVEN] = "Natural → Bool",
	[DHALL_B_NATURAL_ODD] = "Natural → Bool",
	[DHALL_B_NATURAL_TOINTEGER] = "Natural → Integer",
	[DHALL_B_NATURAL_SHOW] = "Natural → Text",
	[DHALL_B_NATURAL_SUBTRACT] = "Natural → Natural → Natural",
	[DHALL_B_INTEGER_TODOUBLE] = "Integer → Double",
	[DHALL_B_INTEGER_SHOW] = "Integer → Text",
	[DHALL_B_INTEGER_NEGATE] = "Integer → Integer",
	[DHALL_B_INTEGER_CLAMP] = "Integer → Natural",
	[DHALL_B_DOUBLE_SHOW] = "Double → Text",
	[DHALL_B_LIST_BUILD] = "∀(a : Type) → (∀(list : Type) → ∀(cons : a → list → list) → "
			       "∀(nil : list) → list) → List a",
	[DHALL_B_LIST_FOLD] = "∀(a : Type) → List a → ∀(list : Type) → ∀(cons : a → list → "
			      "list) → ∀(nil : list) → list",
	[DHALL_B_LIST_LENGTH] = "∀(a : Type) → List a → Natural",
	[DHALL_B_LIST_HEAD] = "∀(a : Type) → List a → Optional a",
	[DHALL_B_LIST_LAST] = "∀(a : Type) → List a → Optional a",
	[DHALL_B_LIST_INDEXED] = "∀(a : Type) → List a → List { index : Natural, value : a }",
	[DHALL_B_LIST_REVERSE] = "∀(a : Type) → List a → List a",
	[DHALL_B_TEXT_SHOW] = "Text → Text",
	[DHALL_B_TEXT_REPLACE] = "∀(needle : Text) → ∀(replacement : Text) → ∀(haystack : Text) "
				 "→ Text",
	[DHALL_B_DATE_SHOW] = "Date → Text",
	[DHALL_B_TIME_SHOW] = "Time → Text",
	[DHALL_B_TIMEZONE_SHOW] = "TimeZone → Text",
	[DHALL_B_BOOL] = "Type",
	[DHALL_B_OPTIONAL] = "Type → Type",
	[DHALL_B_NONE] = "∀(A : Type) → Optional A",
	[DHALL_B_NATURAL] = "Type",
	[DHALL_B_INTEGER] = "Type",
	[DHALL_B_DOUBLE] = "Type",
	[DHALL_B_TEXT] = "Type",
	[DHALL_B_BYTES] = "Type",
	[DHALL_B_LIST] = "Type → Type",
	[DHALL_B_DATE] = "Type",
	[DHALL_B_TIME] = "Type",
	[DHALL_B_TIMEZONE] = "Type",
	[DHALL_B_TYPE] = "Kind",
	[DHALL_B_KIND] = "Sort",
};

struct tbind {
	struct dv *type;
	struct tbind *next;
};

struct scope {
	struct denv *env;
	const struct dnames *names;
	struct tbind *types;
};

struct tc {
	struct ev *ev;
	struct dv *btype[DHALL_B_COUNT]; /* builtins' types, parsed on demand */
};

static int infer(struct tc *tc, struct scope sc, const struct dhall_expr *e, struct dv **out);

/* ---------------------------------------------------------------- errors */

/* Short rendering of an expression, for messages. */
static void show_expr(const struct dhall_expr *e, char *buf, size_t size)
{
	struct dhall_buf b = {0};
	if (dhall_format(e, &b) != 0) {
		snprintf(buf, size, "(expression)");
	} else {
		size_t n = b.len;
		while (n && b.data[n - 1] == '\n')
			n--;
		for (size_t i = 0; i < n; i++)
			if (b.data[i] == '\n' || b.data[i] == '\t')
				b.data[i] = ' ';
		if (n + 1 > size)
			snprintf(buf, size, "%.*s…", (int)(size > 8 ? size - 4 : 1), (const char *)b.data);
		else
			snprintf(buf, size, "%.*s", (int)n, (const char *)b.data);
	}
	dhall_buf_free(&b);
}

static void show_val(struct tc *tc, const struct scope *sc, const struct dv *v, char *buf,
		     size_t size)
{
	struct dhall_arena tmp;
	struct dhall_expr *e;
	struct dhall_err saved = *tc->ev->err;
	dhall_arena_init(&tmp);
	if (ev_quote(tc->ev, &tmp, sc->names, v, 0, &e) == 0)
		show_expr(e, buf, size);
	else
		snprintf(buf, size, "(type)");
	*tc->ev->err = saved;
	dhall_arena_free(&tmp);
}

/* Fails at e: "msg" (+ ": expected X, got Y" when given). */
static int fail(struct tc *tc, const struct scope *sc, const struct dhall_expr *e,
		const struct dv *want, const struct dv *got, const char *fmt, ...)
	__attribute__((format(printf, 6, 7), noinline, cold));
static int fail(struct tc *tc, const struct scope *sc, const struct dhall_expr *e,
		const struct dv *want, const struct dv *got, const char *fmt, ...)
{
	struct ev *ev = tc->ev;
	char what[120], ex[60] = "", w[64] = "", g[64] = "";
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	if (e)
		show_expr(e, ex, sizeof ex);
	if (want)
		show_val(tc, sc, want, w, sizeof w);
	if (got)
		show_val(tc, sc, got, g, sizeof g);
	if (!ev->err)
		return DHALL_ETYPE;
	char full[512];
	snprintf(full, sizeof full, "type error: %s%s%s%s%s%s%s%s", what, e ? " in `" : "", ex,
		 e ? "`" : "", want ? ": expected " : "", w, got ? (want ? ", got " : ": got ") : "", g);
	size_t n = strlen(full);
	if (n >= sizeof ev->err->msg)
		n = sizeof ev->err->msg - 1;
	memcpy(ev->err->msg, full, n);
	ev->err->msg[n] = 0;
	if (ev->src && e && e->pos <= ev->len)
		dhall_err_locate(ev->err, ev->name, ev->src, ev->len, e->pos);
	else {
		snprintf(ev->err->file, sizeof ev->err->file, "%s", ev->name ? ev->name : "-");
		ev->err->line = 0;
	}
	return DHALL_ETYPE;
}

/* ---------------------------------------------------------------- helpers */

static int is_const(const struct dv *v)
{
	return v->kind == DHALL_BUILTIN &&
	       (v->op == DHALL_B_TYPE || v->op == DHALL_B_KIND || v->op == DHALL_B_SORT);
}

static int is_builtin(const struct dv *v, unsigned b)
{
	return v->kind == DHALL_BUILTIN && v->op == b;
}

/* v = `B x` for builtin B (List, Optional): its argument, else NULL */
static struct dv *app_of(const struct dv *v, unsigned b)
{
	if (v->kind == DHALL_APP && v->n == 1 && is_builtin(v->a, b))
		return v->items[0];
	return NULL;
}

static struct dv *mk_app(struct ev *ev, unsigned b, struct dv *x)
{
	struct dv *v = ev_new(ev, DHALL_APP);
	if (!v || !(v->items = ev_alloc(ev, sizeof *v->items)) || !(v->a = ev_builtin(ev, b)))
		return NULL;
	v->items[0] = x;
	v->n = 1;
	return v;
}

static int const_rank(const struct dv *c)
{
	return c->op == DHALL_B_TYPE ? 0 : c->op == DHALL_B_KIND ? 1 : 2;
}

static struct dv *const_max(const struct dv *a, const struct dv *b)
{
	return (struct dv *)(const_rank(a) >= const_rank(b) ? a : b);
}

/* Pushes name : type onto sc, bound to val (NULL: a fresh variable), or,
 * when val is NULL and lazy is not, to the value of lazy in sc's
 * environment, evaluated only if a type ever needs it. */
static int scope_push_lazy(struct tc *tc, struct scope *sc, struct dhall_str name,
			   struct dv *type, struct dv *val, const struct dhall_expr *lazy)
{
	struct ev *ev = tc->ev;
	struct dnames *n = ev_alloc(ev, sizeof *n);
	struct tbind *t = ev_alloc(ev, sizeof *t);
	struct denv *env;
	if (!n || !t)
		return ev_nomem(ev);
	if (!val && lazy)
		env = ev_bind_lazy(ev, sc->env, name, lazy, sc->env);
	else if (!val && !(val = ev_var(ev, name, ev_count(sc->names, name))))
		return ev_nomem(ev);
	else
		env = ev_bind(ev, sc->env, name, val);
	if (!(sc->env = env))
		return ev_nomem(ev);
	n->name = name;
	n->next = sc->names;
	t->type = type;
	t->next = sc->types;
	sc->names = n;
	sc->types = t;
	return 0;
}

static int scope_push(struct tc *tc, struct scope *sc, struct dhall_str name, struct dv *type,
		      struct dv *val)
{
	return scope_push_lazy(tc, sc, name, type, val, NULL);
}

static int eval_in(struct tc *tc, const struct scope *sc, const struct dhall_expr *e, struct dv **out)
{
	return ev_eval(tc->ev, sc->env, e, out);
}

/* The type of the type value t (which is known to be well-typed). */
static int type_of_type(struct tc *tc, const struct scope *sc, const struct dv *t, struct dv **out)
{
	struct dhall_expr *e;
	int rc;
	if (t->kind == DHALL_BUILTIN) {
		if (t->op == DHALL_B_SORT)
			return fail(tc, sc, NULL, NULL, NULL, "`Sort` has no type");
		if (t->op == DHALL_B_TYPE || t->op == DHALL_B_KIND) {
			*out = ev_builtin(tc->ev, t->op == DHALL_B_TYPE ? DHALL_B_KIND : DHALL_B_SORT);
			return *out ? 0 : ev_nomem(tc->ev);
		}
		if (!builtin_types[t->op] || strcmp(builtin_types[t->op], "Type") == 0) {
			*out = ev_builtin(tc->ev, DHALL_B_TYPE);
			return *out ? 0 : ev_nomem(tc->ev);
		}
	}
	if (app_of(t, DHALL_B_LIST) || app_of(t, DHALL_B_OPTIONAL)) {
		*out = ev_builtin(tc->ev, DHALL_B_TYPE);
		return *out ? 0 : ev_nomem(tc->ev);
	}
	/* a record or union type: the largest of its fields' (the rule for
	 * record and union types), found on the values. Quoting and inferring
	 * it instead walks the whole type, once per enclosing literal: a list
	 * of records of lists d deep took O(d^2). */
	if (t->kind == DHALL_RECORD_TYPE || t->kind == DHALL_UNION) {
		struct dv *c = ev_builtin(tc->ev, DHALL_B_TYPE), *k;
		if (!c)
			return ev_nomem(tc->ev);
		for (size_t i = 0; i < t->n; i++) {
			if (!t->items[i])
				continue;
			if ((rc = type_of_type(tc, sc, t->items[i], &k)))
				return rc;
			if (!is_const(k))
				return fail(tc, sc, NULL, NULL, t->items[i],
					    t->kind == DHALL_UNION ? "a union alternative's type is not a type"
								   : "a record field's type is not a type");
			c = const_max(c, k);
		}
		*out = c;
		return 0;
	}
	if ((rc = ev_quote(tc->ev, tc->ev->arena, sc->names, t, 0, &e)))
		return rc;
	return infer(tc, *sc, e, out);
}

/* infer(e) and require that it is a constant (e is a type) */
static int infer_const(struct tc *tc, struct scope sc, const struct dhall_expr *e, struct dv **c,
		       const char *what)
{
	int rc = infer(tc, sc, e, c);
	if (rc)
		return rc;
	if (!is_const(*c))
		return fail(tc, &sc, e, NULL, *c, "%s must be a type", what);
	return 0;
}

static int expect_equiv(struct tc *tc, const struct scope *sc, const struct dhall_expr *at,
			const struct dv *want, const struct dv *got, const char *what)
{
	int eq = ev_equiv(tc->ev, sc->names, want, got);
	if (eq < 0)
		return eq;
	if (!eq)
		return fail(tc, sc, at, want, got, "%s", what);
	return 0;
}

/* noinline: its parse error buffer must not sit in infer_main's frame,
 * which recursion repeats once per level of the tree */
__attribute__((noinline)) static int builtin_type(struct tc *tc, unsigned b, struct dv **out)
{
	struct dhall_expr *e;
	struct dhall_err perr;
	const char *src;
	int rc;
	if (tc->btype[b]) {
		*out = tc->btype[b];
		return 0;
	}
	src = builtin_types[b];
	if (!src)
		return dhall_err_set(tc->ev->err, DHALL_ETYPE, "type error: `Sort` has no type");
	rc = dhall_parse(tc->ev->arena, src, strlen(src), "(builtin)", &e, &perr);
	if (rc)
		return dhall_err_set(tc->ev->err, rc == DHALL_ENOMEM ? rc : DHALL_ETYPE,
				     "internal: builtin type: %s", perr.msg);
	if ((rc = ev_eval(tc->ev, NULL, e, out)))
		return rc;
	tc->btype[b] = *out;
	return 0;
}

/* ---------------------------------------------------------------- records */

/* The recursive combination of record types l and r (∧, ⩓): collisions
 * must both be record types. */
static int combine_types(struct tc *tc, const struct scope *sc, const struct dhall_expr *at,
			 struct dv *l, struct dv *r, struct dv **out)
{
	struct dv *o = ev_new(tc->ev, DHALL_RECORD_TYPE);
	size_t i = 0, j = 0, k = 0;
	int rc;
	if (!o || !(o->labels = ev_alloc(tc->ev, (l->n + r->n + 1) * sizeof *o->labels)) ||
	    !(o->items = ev_alloc(tc->ev, (l->n + r->n + 1) * sizeof *o->items)))
		return ev_nomem(tc->ev);
	while (i < l->n || j < r->n) {
		int c = i == l->n ? 1 : j == r->n ? -1 : dhall_str_cmp(&l->labels[i], &r->labels[j]);
		if (c < 0) {
			o->labels[k] = l->labels[i];
			o->items[k++] = l->items[i++];
		} else if (c > 0) {
			o->labels[k] = r->labels[j];
			o->items[k++] = r->items[j++];
		} else {
			if (l->items[i]->kind != DHALL_RECORD_TYPE ||
			    r->items[j]->kind != DHALL_RECORD_TYPE)
				return fail(tc, sc, at, NULL, NULL,
					    "field `%.*s` collides when combining records",
					    (int)l->labels[i].len, l->labels[i].s);
			o->labels[k] = l->labels[i];
			if ((rc = combine_types(tc, sc, at, l->items[i], r->items[j], &o->items[k])))
				return rc;
			k++, i++, j++;
		}
	}
	o->n = k;
	*out = o;
	return 0;
}

/* The type of l ⫽ r: r's fields override l's. */
static int prefer_types(struct tc *tc, struct dv *l, struct dv *r, struct dv **out)
{
	struct dv *o = ev_new(tc->ev, DHALL_RECORD_TYPE);
	size_t i = 0, j = 0, k = 0;
	if (!o || !(o->labels = ev_alloc(tc->ev, (l->n + r->n + 1) * sizeof *o->labels)) ||
	    !(o->items = ev_alloc(tc->ev, (l->n + r->n + 1) * sizeof *o->items)))
		return ev_nomem(tc->ev);
	while (i < l->n || j < r->n) {
		int c = i == l->n ? 1 : j == r->n ? -1 : dhall_str_cmp(&l->labels[i], &r->labels[j]);
		o->labels[k] = c < 0 ? l->labels[i] : r->labels[j];
		o->items[k++] = c < 0 ? l->items[i] : r->items[j];
		i += c <= 0;
		j += c >= 0;
	}
	o->n = k;
	*out = o;
	return 0;
}

/* Type of `e with ks = v` given e's type t. */
static int with_type(struct tc *tc, const struct scope *sc, const struct dhall_expr *at,
		     struct dv *t, const struct dhall_str *ks, uint64_t opt, size_t n, struct dv *tv,
		     struct dv **out)
{
	int rc;
	struct dv *inner;
	if (opt & 1) {
		struct dv *elem = app_of(t, DHALL_B_OPTIONAL);
		if (!elem)
			return fail(tc, sc, at, NULL, t, "`with ?` needs an Optional");
		if (n == 1) {
			if ((rc = expect_equiv(tc, sc, at, elem, tv,
					       "`with ?` cannot change the Optional's type")))
				return rc;
		} else {
			if ((rc = with_type(tc, sc, at, elem, ks + 1, opt >> 1, n - 1, tv, &inner)))
				return rc;
			if ((rc = expect_equiv(tc, sc, at, elem, inner,
					       "`with ?` cannot change the Optional's type")))
				return rc;
		}
		*out = t;
		return 0;
	}
	if (t->kind != DHALL_RECORD_TYPE)
		return fail(tc, sc, at, NULL, t, "`with` needs a record to update");
	if (n == 1)
		inner = tv;
	else {
		long at_i = ev_find(t, &ks[0]);
		struct dv *sub = at_i >= 0 ? t->items[at_i] : ev_new(tc->ev, DHALL_RECORD_TYPE);
		if (!sub)
			return ev_nomem(tc->ev);
		if ((rc = with_type(tc, sc, at, sub, ks + 1, opt >> 1, n - 1, tv, &inner)))
			return rc;
	}
	/* t with ks[0] : inner */
	long pos = ev_find(t, &ks[0]);
	struct dv *o = ev_new(tc->ev, DHALL_RECORD_TYPE);
	size_t m = t->n + (pos < 0);
	if (!o || !(o->labels = ev_alloc(tc->ev, m * sizeof *o->labels)) ||
	    !(o->items = ev_alloc(tc->ev, m * sizeof *o->items)))
		return ev_nomem(tc->ev);
	size_t k = 0;
	int done = 0;
	for (size_t i = 0; i <= t->n; i++) {
		int c = i == t->n ? 1 : dhall_str_cmp(&t->labels[i], &ks[0]);
		if (!done && c >= 0) {
			o->labels[k] = ks[0];
			o->items[k++] = inner;
			done = 1;
			if (c == 0)
				continue;
		}
		if (i < t->n) {
			o->labels[k] = t->labels[i];
			o->items[k++] = t->items[i];
		}
	}
	o->n = k;
	*out = o;
	return 0;
}

/* ---------------------------------------------------------------- rules */

static int infer_lambda(struct tc *tc, struct scope sc, const struct dhall_expr *e, struct dv **out)
{
	struct dv *ta, *a, *tb, *k;
	struct dhall_expr *bq;
	struct scope in = sc;
	int rc;
	if ((rc = infer_const(tc, sc, e->a, &ta, "the type of a λ's parameter")) ||
	    (rc = eval_in(tc, &sc, e->a, &a)) || (rc = scope_push(tc, &in, e->label, a, NULL)) ||
	    (rc = infer(tc, in, e->b, &tb)))
		return rc;
	if ((rc = type_of_type(tc, &in, tb, &k)))
		return rc;
	if (!is_const(k))
		return fail(tc, &in, e->b, NULL, tb, "the λ's body has a type that is not a type");
	if ((rc = ev_quote(tc->ev, tc->ev->arena, in.names, tb, 0, &bq)))
		return rc;
	struct dv *pi = ev_new(tc->ev, DHALL_PI);
	if (!pi)
		return ev_nomem(tc->ev);
	pi->label = e->label;
	pi->a = a;
	pi->body = bq;
	pi->env = sc.env;
	*out = pi;
	return 0;
}

static int infer_pi(struct tc *tc, struct scope sc, const struct dhall_expr *e, struct dv **out)
{
	struct dv *ca, *cb, *a;
	struct scope in = sc;
	int rc;
	if ((rc = infer_const(tc, sc, e->a, &ca, "the input type of a function type")) ||
	    (rc = eval_in(tc, &sc, e->a, &a)) || (rc = scope_push(tc, &in, e->label, a, NULL)) ||
	    (rc = infer_const(tc, in, e->b, &cb, "the output type of a function type")))
		return rc;
	*out = cb->op == DHALL_B_TYPE ? cb : const_max(ca, cb);
	return 0;
}

static int infer_app(struct tc *tc, struct scope sc, const struct dhall_expr *e, struct dv **out)
{
	struct dv *tf, *ta;
	int rc;
	if ((rc = infer(tc, sc, e->a, &tf)))
		return rc;
	for (size_t i = 0; i < e->n; i++) {
		if (tf->kind != DHALL_PI)
			return fail(tc, &sc, e, NULL, tf, "applying something that is not a function");
		if ((rc = infer(tc, sc, e->items[i], &ta)))
			return rc;
		if ((rc = expect_equiv(tc, &sc, e->items[i], tf->a, ta,
				       "wrong type of function argument")))
			return rc;
		/* the argument's value only when the result type needs it */
		if ((rc = ev_inst_lazy(tc->ev, tf, e->items[i], sc.env, &tf)))
			return rc;
	}
	*out = tf;
	return 0;
}

static int infer_op(struct tc *tc, struct scope sc, const struct dhall_expr *e, struct dv **out)
{
	struct dv *tl, *tr, *want = NULL;
	int rc;
	unsigned b = DHALL_B_COUNT;
	switch (e->op) {
	case DHALL_OP_OR:
	case DHALL_OP_AND:
	case DHALL_OP_EQ:
	case DHALL_OP_NE:
		b = DHALL_B_BOOL;
		break;
	case DHALL_OP_PLUS:
	case DHALL_OP_TIMES:
		b = DHALL_B_NATURAL;
		break;
	case DHALL_OP_TEXT_APPEND:
		b = DHALL_B_TEXT;
		break;
	case DHALL_OP_COMPLETE: {
		/* T::r is (T.default ⫽ r) : T.Type */
		static const char dflt[] = "default", ty[] = "Type";
		struct dhall_expr *n = ev_alloc(tc->ev, 4 * sizeof *n);
		if (!n)
			return ev_nomem(tc->ev);
		n[0] = (struct dhall_expr){.kind = DHALL_FIELD, .pos = e->pos, .a = e->a};
		n[0].label = (struct dhall_str){dflt, 7};
		n[1] = (struct dhall_expr){.kind = DHALL_OP, .op = DHALL_OP_PREFER, .pos = e->pos,
					   .a = &n[0], .b = e->b};
		n[2] = (struct dhall_expr){.kind = DHALL_FIELD, .pos = e->pos, .a = e->a};
		n[2].label = (struct dhall_str){ty, 4};
		n[3] = (struct dhall_expr){.kind = DHALL_ANNOT, .pos = e->pos, .a = &n[1], .b = &n[2]};
		return infer(tc, sc, &n[3], out);
	}
	case DHALL_OP_ALT:
		return fail(tc, &sc, e, NULL, NULL, "unresolved import alternative");
	default:
		break;
	}
	if ((rc = infer(tc, sc, e->a, &tl)) || (rc = infer(tc, sc, e->b, &tr)))
		return rc;
	if (b != DHALL_B_COUNT) {
		if (!(want = ev_builtin(tc->ev, b)))
			return ev_nomem(tc->ev);
		if ((rc = expect_equiv(tc, &sc, e->a, want, tl, "wrong operand type")) ||
		    (rc = expect_equiv(tc, &sc, e->b, want, tr, "wrong operand type")))
			return rc;
		*out = want;
		return 0;
	}
	switch (e->op) {
	case DHALL_OP_LIST_APPEND:
		if (!app_of(tl, DHALL_B_LIST))
			return fail(tc, &sc, e->a, NULL, tl, "`#` needs lists");
		if (!app_of(tr, DHALL_B_LIST))
			return fail(tc, &sc, e->b, NULL, tr, "`#` needs lists");
		if ((rc = expect_equiv(tc, &sc, e->b, tl, tr, "`#` needs lists of the same type")))
			return rc;
		*out = tl;
		return 0;
	case DHALL_OP_COMBINE:
		if (tl->kind != DHALL_RECORD_TYPE)
			return fail(tc, &sc, e->a, NULL, tl, "`∧` needs records");
		if (tr->kind != DHALL_RECORD_TYPE)
			return fail(tc, &sc, e->b, NULL, tr, "`∧` needs records");
		return combine_types(tc, &sc, e, tl, tr, out);
	case DHALL_OP_PREFER:
		if (tl->kind != DHALL_RECORD_TYPE)
			return fail(tc, &sc, e->a, NULL, tl, "`⫽` needs records");
		if (tr->kind != DHALL_RECORD_TYPE)
			return fail(tc, &sc, e->b, NULL, tr, "`⫽` needs records");
		return prefer_types(tc, tl, tr, out);
	case DHALL_OP_COMBINE_TYPES: {
		struct dv *l, *r, *m;
		if (!is_const(tl))
			return fail(tc, &sc, e->a, NULL, tl, "`⩓` needs record types");
		if (!is_const(tr))
			return fail(tc, &sc, e->b, NULL, tr, "`⩓` needs record types");
		if ((rc = eval_in(tc, &sc, e->a, &l)) || (rc = eval_in(tc, &sc, e->b, &r)))
			return rc;
		if (l->kind != DHALL_RECORD_TYPE)
			return fail(tc, &sc, e->a, NULL, NULL, "`⩓` needs record types");
		if (r->kind != DHALL_RECORD_TYPE)
			return fail(tc, &sc, e->b, NULL, NULL, "`⩓` needs record types");
		if ((rc = combine_types(tc, &sc, e, l, r, &m)))
			return rc;
		*out = const_max(tl, tr);
		return 0;
	}
	case DHALL_OP_EQUIV: {
		struct dv *k;
		if ((rc = type_of_type(tc, &sc, tl, &k)))
			return rc;
		if (!is_builtin(k, DHALL_B_TYPE))
			return fail(tc, &sc, e->a, NULL, tl, "`≡` compares terms, not types");
		if ((rc = type_of_type(tc, &sc, tr, &k)))
			return rc;
		if (!is_builtin(k, DHALL_B_TYPE))
			return fail(tc, &sc, e->b, NULL, tr, "`≡` compares terms, not types");
		if ((rc = expect_equiv(tc, &sc, e, tl, tr, "`≡` needs both sides of the same type")))
			return rc;
		*out = ev_builtin(tc->ev, DHALL_B_TYPE);
		return *out ? 0 : ev_nomem(tc->ev);
	}
	default:
		return fail(tc, &sc, e, NULL, NULL, "unknown operator");
	}
}

static int infer_fields(struct tc *tc, struct scope sc, const struct dhall_expr *e, struct dv **out)
{
	struct dv *c = NULL, *t, *k;
	int rc;
	/* duplicates: the parser merges record literal duplicates, not types */
	for (size_t i = 0; i < e->n; i++)
		for (size_t j = i + 1; j < e->n; j++)
			if (ev_str_eq(e->labels[i], e->labels[j]))
				return fail(tc, &sc, e, NULL, NULL, "duplicate field `%.*s`",
					    (int)e->labels[i].len, e->labels[i].s);
	if (e->kind == DHALL_RECORD) {
		struct dv *rt;
		/* the type: fields' types, sorted (evaluate a record type of them) */
		struct dv **types = ev_alloc(tc->ev, (e->n + 1) * sizeof *types);
		if (!types)
			return ev_nomem(tc->ev);
		for (size_t i = 0; i < e->n; i++) {
			const struct dhall_expr *x = e->items[i];
			if ((rc = infer(tc, sc, x, &types[i])))
				return rc;
			/* the type of a record literal (its fields' types were
			 * checked just now) or of a function checked before
			 * (an import's) is a type: no need to infer it again,
			 * which for a package of packages means quoting and
			 * checking every function type once per level */
			if (x->kind == DHALL_RECORD || (x->kind == DHALL_LAMBDA &&
							 x->op == EV_SRC_CLOSED && x->c))
				continue;
			if ((rc = type_of_type(tc, &sc, types[i], &k)))
				return rc;
			if (!is_const(k))
				return fail(tc, &sc, e->items[i], NULL, types[i],
					    "a record field's type is not a type");
		}
		if (!(rt = ev_new(tc->ev, DHALL_RECORD_TYPE)) ||
		    !(rt->labels = ev_alloc(tc->ev, (e->n + 1) * sizeof *rt->labels)) ||
		    !(rt->items = ev_alloc(tc->ev, (e->n + 1) * sizeof *rt->items)))
			return ev_nomem(tc->ev);
		for (size_t i = 0; i < e->n; i++) { /* insertion into sorted place */
			size_t j = rt->n;
			while (j > 0 && dhall_str_cmp(&rt->labels[j - 1], &e->labels[i]) > 0) {
				rt->labels[j] = rt->labels[j - 1];
				rt->items[j] = rt->items[j - 1];
				j--;
			}
			rt->labels[j] = e->labels[i];
			rt->items[j] = types[i];
			rt->n++;
		}
		*out = rt;
		return 0;
	}
	if (!(c = ev_builtin(tc->ev, DHALL_B_TYPE)))
		return ev_nomem(tc->ev);
	for (size_t i = 0; i < e->n; i++) {
		if (!e->items[i])
			continue;
		if ((rc = infer(tc, sc, e->items[i], &t)))
			return rc;
		if (!is_const(t))
			return fail(tc, &sc, e->items[i], NULL, t,
				    e->kind == DHALL_UNION ? "a union alternative's type is not a type"
							   : "a record field's type is not a type");
		c = const_max(c, t);
	}
	*out = c;
	return 0;
}

static int infer_merge(struct tc *tc, struct scope sc, const struct dhall_expr *e, struct dv **out)
{
	struct dv *th, *tu, *ann = NULL, *result = NULL;
	struct dv *alts;
	int rc;
	if ((rc = infer(tc, sc, e->a, &th)) || (rc = infer(tc, sc, e->b, &tu)))
		return rc;
	if (th->kind != DHALL_RECORD_TYPE)
		return fail(tc, &sc, e->a, NULL, th, "`merge` needs a record of handlers");
	if (tu->kind == DHALL_UNION)
		alts = tu;
	else if (app_of(tu, DHALL_B_OPTIONAL)) {
		static const char none[] = "None", some[] = "Some";
		if (!(alts = ev_new(tc->ev, DHALL_UNION)) ||
		    !(alts->labels = ev_alloc(tc->ev, 2 * sizeof *alts->labels)) ||
		    !(alts->items = ev_alloc(tc->ev, 2 * sizeof *alts->items)))
			return ev_nomem(tc->ev);
		alts->n = 2;
		alts->labels[0] = (struct dhall_str){none, 4};
		alts->labels[1] = (struct dhall_str){some, 4};
		alts->items[1] = app_of(tu, DHALL_B_OPTIONAL);
	} else
		return fail(tc, &sc, e->b, NULL, tu, "`merge` needs a union");
	if (e->c) {
		struct dv *k;
		if ((rc = infer(tc, sc, e->c, &k)))
			return rc;
		if ((rc = eval_in(tc, &sc, e->c, &ann)))
			return rc;
	}
	for (size_t i = 0; i < th->n; i++)
		if (ev_find(alts, &th->labels[i]) < 0)
			return fail(tc, &sc, e->a, NULL, NULL, "unused handler `%.*s`",
				    (int)th->labels[i].len, th->labels[i].s);
	for (size_t i = 0; i < alts->n; i++) {
		long h = ev_find(th, &alts->labels[i]);
		struct dv *t;
		if (h < 0)
			return fail(tc, &sc, e->a, NULL, NULL, "missing handler for `%.*s`",
				    (int)alts->labels[i].len, alts->labels[i].s);
		t = th->items[h];
		if (alts->items[i]) {
			static const char poison[] = "\x01";
			struct dv *fresh, *r;
			struct dhall_expr *q;
			if (t->kind != DHALL_PI)
				return fail(tc, &sc, e->a, NULL, t, "handler `%.*s` is not a function",
					    (int)alts->labels[i].len, alts->labels[i].s);
			if ((rc = expect_equiv(tc, &sc, e->a, t->a, alts->items[i],
					       "wrong handler input type")))
				return rc;
			if (!(fresh = ev_var(tc->ev, (struct dhall_str){poison, 1}, 0)) ||
			    (rc = ev_inst(tc->ev, t, fresh, &r)))
				return rc ? rc : ev_nomem(tc->ev);
			if ((rc = ev_quote(tc->ev, tc->ev->arena, sc.names, r, 0, &q)))
				return rc;
			if (ev_mentions(q, (struct dhall_str){poison, 1}))
				return fail(tc, &sc, e->a, NULL, t,
					    "handler `%.*s`'s output type depends on its input",
					    (int)alts->labels[i].len, alts->labels[i].s);
			t = r;
		}
		if (!result)
			result = t;
		else if ((rc = expect_equiv(tc, &sc, e->a, result, t,
					    "handlers must all return the same type")))
			return rc;
	}
	if (ann) {
		if (result && (rc = expect_equiv(tc, &sc, e, ann, result,
						 "`merge` annotation disagrees with the handlers")))
			return rc;
		result = ann;
	}
	if (!result)
		return fail(tc, &sc, e, NULL, NULL, "an empty `merge` needs a type annotation");
	*out = result;
	return 0;
}

static int infer_tomap(struct tc *tc, struct scope sc, const struct dhall_expr *e, struct dv **out)
{
	static const char mk[] = "mapKey", mv[] = "mapValue";
	struct dv *tr, *ann = NULL, *elem = NULL, *k;
	int rc;
	if ((rc = infer(tc, sc, e->a, &tr)))
		return rc;
	if (tr->kind != DHALL_RECORD_TYPE)
		return fail(tc, &sc, e->a, NULL, tr, "`toMap` needs a record");
	if (e->c) {
		if ((rc = infer(tc, sc, e->c, &k)) || (rc = eval_in(tc, &sc, e->c, &ann)))
			return rc;
	}
	for (size_t i = 0; i < tr->n; i++) {
		if ((rc = type_of_type(tc, &sc, tr->items[i], &k)))
			return rc;
		if (!is_builtin(k, DHALL_B_TYPE))
			return fail(tc, &sc, e->a, NULL, tr->items[i],
				    "`toMap` needs record fields that are terms");
		if (!elem)
			elem = tr->items[i];
		else if ((rc = expect_equiv(tc, &sc, e->a, elem, tr->items[i],
					    "`toMap` needs fields all of one type")))
			return rc;
	}
	if (!elem) {
		struct dv *rt;
		if (!ann)
			return fail(tc, &sc, e, NULL, NULL, "an empty `toMap` needs a type annotation");
		rt = app_of(ann, DHALL_B_LIST);
		long ik, iv;
		if (!rt || rt->kind != DHALL_RECORD_TYPE || rt->n != 2 ||
		    (ik = ev_find(rt, &(struct dhall_str){mk, 6})) < 0 ||
		    (iv = ev_find(rt, &(struct dhall_str){mv, 8})) < 0 ||
		    !is_builtin(rt->items[ik], DHALL_B_TEXT))
			return fail(tc, &sc, e->c, NULL, ann,
				    "`toMap` annotation must be List { mapKey : Text, mapValue : T }");
		if ((rc = type_of_type(tc, &sc, rt->items[iv], &k)))
			return rc;
		if (!is_builtin(k, DHALL_B_TYPE))
			return fail(tc, &sc, e->c, NULL, ann, "`toMap` needs values that are terms");
		*out = ann;
		return 0;
	}
	struct dv *rt = ev_new(tc->ev, DHALL_RECORD_TYPE), *lt;
	if (!rt || !(rt->labels = ev_alloc(tc->ev, 2 * sizeof *rt->labels)) ||
	    !(rt->items = ev_alloc(tc->ev, 2 * sizeof *rt->items)) ||
	    !(rt->items[0] = ev_builtin(tc->ev, DHALL_B_TEXT)) ||
	    !(lt = mk_app(tc->ev, DHALL_B_LIST, rt)))
		return ev_nomem(tc->ev);
	rt->n = 2;
	rt->labels[0] = (struct dhall_str){mk, 6};
	rt->labels[1] = (struct dhall_str){mv, 8};
	rt->items[1] = elem;
	if (ann && (rc = expect_equiv(tc, &sc, e, ann, lt, "`toMap` annotation disagrees")))
		return rc;
	*out = lt;
	return 0;
}

static int infer_field(struct tc *tc, struct scope sc, const struct dhall_expr *e, struct dv **out)
{
	struct dv *t, *u;
	long i;
	int rc;
	if ((rc = infer(tc, sc, e->a, &t)))
		return rc;
	if (t->kind == DHALL_RECORD_TYPE) {
		if ((i = ev_find(t, &e->label)) < 0)
			return fail(tc, &sc, e, NULL, t, "missing record field `%.*s`",
				    (int)e->label.len, e->label.s);
		*out = t->items[i];
		return 0;
	}
	if (is_const(t)) {
		if ((rc = eval_in(tc, &sc, e->a, &u)))
			return rc;
		if (u->kind == DHALL_UNION) {
			if ((i = ev_find(u, &e->label)) < 0)
				return fail(tc, &sc, e, NULL, NULL, "missing union alternative `%.*s`",
					    (int)e->label.len, e->label.s);
			if (!u->items[i]) {
				*out = u;
				return 0;
			}
			/* ∀(label : T) → u, with u not mentioning the new binder */
			struct dnames in = {e->label, sc.names};
			struct dhall_expr *body;
			struct dv *pi = ev_new(tc->ev, DHALL_PI);
			if (!pi)
				return ev_nomem(tc->ev);
			if ((rc = ev_quote(tc->ev, tc->ev->arena, &in, u, 0, &body)))
				return rc;
			pi->label = e->label;
			pi->a = u->items[i];
			pi->body = body;
			pi->env = sc.env;
			*out = pi;
			return 0;
		}
	}
	return fail(tc, &sc, e, NULL, t, "selecting `%.*s` from something that is not a record or a union",
		    (int)e->label.len, e->label.s);
}

static int infer_main(struct tc *tc, struct scope sc, const struct dhall_expr *e, struct dv **out)
{
	struct ev *ev = tc->ev;
	struct dv *t, *k;
	int rc;
again:
	switch ((enum dhall_kind)e->kind) {
	case DHALL_VAR: {
		uint64_t n = e->index;
		const struct dnames *nm = sc.names;
		for (struct tbind *b = sc.types; b; b = b->next, nm = nm->next)
			if (ev_str_eq(nm->name, e->label) && n-- == 0) {
				*out = b->type;
				return 0;
			}
		return fail(tc, &sc, e, NULL, NULL, "unbound variable `%.*s`", (int)e->label.len,
			    e->label.s);
	}
	case DHALL_BUILTIN:
		if (e->op == DHALL_B_SORT)
			return fail(tc, &sc, e, NULL, NULL, "`Sort` has no type");
		return builtin_type(tc, e->op, out);
	case DHALL_BOOL:
	case DHALL_NATURAL:
	case DHALL_INTEGER:
	case DHALL_DOUBLE:
	case DHALL_BYTES:
	case DHALL_DATE:
	case DHALL_TIME:
	case DHALL_TIMEZONE: {
		static const unsigned b[] = {
			[DHALL_BOOL] = DHALL_B_BOOL,       [DHALL_NATURAL] = DHALL_B_NATURAL,
			[DHALL_INTEGER] = DHALL_B_INTEGER, [DHALL_DOUBLE] = DHALL_B_DOUBLE,
			[DHALL_BYTES] = DHALL_B_BYTES,     [DHALL_DATE] = DHALL_B_DATE,
			[DHALL_TIME] = DHALL_B_TIME,       [DHALL_TIMEZONE] = DHALL_B_TIMEZONE,
		};
		*out = ev_builtin(ev, b[e->kind]);
		return *out ? 0 : ev_nomem(ev);
	}
	case DHALL_TEXT: {
		struct dv *text = ev_builtin(ev, DHALL_B_TEXT);
		if (!text)
			return ev_nomem(ev);
		for (size_t i = 0; i < e->n; i++) {
			if ((rc = infer(tc, sc, e->items[i], &t)) ||
			    (rc = expect_equiv(tc, &sc, e->items[i], text, t,
					       "an interpolation must be Text")))
				return rc;
		}
		*out = text;
		return 0;
	}
	case DHALL_LAMBDA: {
		/* a closed function checked before (an import's, with its
		 * type recorded by resolve.c): the type holds in any context */
		if (e->op == EV_SRC_CLOSED && e->c)
			return ev_eval(ev, NULL, e->c, out);
		return infer_lambda(tc, sc, e, out);
	}
	case DHALL_PI:
		return infer_pi(tc, sc, e, out);
	case DHALL_APP:
		return infer_app(tc, sc, e, out);
	case DHALL_LET: /* a loop, not recursion: let chains are long */
		if ((rc = infer(tc, sc, e->a, &t)))
			return rc;
		if (e->c) {
			struct dv *ann;
			if ((rc = infer(tc, sc, e->c, &k)) || (rc = eval_in(tc, &sc, e->c, &ann)) ||
			    (rc = expect_equiv(tc, &sc, e->a, ann, t, "`let` annotation disagrees")))
				return rc;
		}
		if ((rc = scope_push_lazy(tc, &sc, e->label, t, NULL, e->a)))
			return rc;
		e = e->b;
		if ((rc = ev_tick(ev)))
			return rc;
		goto again;
	case DHALL_ANNOT: {
		struct dv *ann;
		if (!(e->b->kind == DHALL_BUILTIN && e->b->op == DHALL_B_SORT) &&
		    (rc = infer(tc, sc, e->b, &k)))
			return rc;
		if ((rc = infer(tc, sc, e->a, &t)) || (rc = eval_in(tc, &sc, e->b, &ann)) ||
		    (rc = expect_equiv(tc, &sc, e, ann, t, "the annotation disagrees")))
			return rc;
		*out = ann;
		return 0;
	}
	case DHALL_IF: {
		struct dv *tb, *tc2, *b = ev_builtin(ev, DHALL_B_BOOL);
		if (!b)
			return ev_nomem(ev);
		if ((rc = infer(tc, sc, e->a, &t)) ||
		    (rc = expect_equiv(tc, &sc, e->a, b, t, "an `if` condition must be Bool")) ||
		    (rc = infer(tc, sc, e->b, &tb)) || (rc = infer(tc, sc, e->c, &tc2)))
			return rc;
		if ((rc = type_of_type(tc, &sc, tb, &k)))
			return rc;
		if (!is_const(k))
			return fail(tc, &sc, e->b, NULL, tb, "an `if` branch has no type of its own");
		if ((rc = type_of_type(tc, &sc, tc2, &k)))
			return rc;
		if (!is_const(k))
			return fail(tc, &sc, e->c, NULL, tc2, "an `if` branch has no type of its own");
		if ((rc = expect_equiv(tc, &sc, e->c, tb, tc2, "`if` branches differ in type")))
			return rc;
		*out = tb;
		return 0;
	}
	case DHALL_OP:
		return infer_op(tc, sc, e, out);
	case DHALL_LIST: {
		if (e->n == 0) {
			struct dv *ann, *elem;
			if (!e->a)
				return fail(tc, &sc, e, NULL, NULL, "an empty list needs a type");
			if ((rc = infer(tc, sc, e->a, &k)) || (rc = eval_in(tc, &sc, e->a, &ann)))
				return rc;
			if (!(elem = app_of(ann, DHALL_B_LIST)))
				return fail(tc, &sc, e->a, NULL, ann, "an empty list's type must be `List T`");
			if ((rc = type_of_type(tc, &sc, elem, &k)))
				return rc;
			if (!is_builtin(k, DHALL_B_TYPE))
				return fail(tc, &sc, e->a, NULL, elem, "list elements must be terms");
			*out = ann;
			return 0;
		}
		struct dv *t0;
		if ((rc = infer(tc, sc, e->items[0], &t0)))
			return rc;
		if ((rc = type_of_type(tc, &sc, t0, &k)))
			return rc;
		if (!is_builtin(k, DHALL_B_TYPE))
			return fail(tc, &sc, e->items[0], NULL, t0, "list elements must be terms");
		for (size_t i = 1; i < e->n; i++)
			if ((rc = infer(tc, sc, e->items[i], &t)) ||
			    (rc = expect_equiv(tc, &sc, e->items[i], t0, t,
					       "list elements must all have one type")))
				return rc;
		*out = mk_app(ev, DHALL_B_LIST, t0);
		return *out ? 0 : ev_nomem(ev);
	}
	case DHALL_SOME:
		if ((rc = infer(tc, sc, e->a, &t)) || (rc = type_of_type(tc, &sc, t, &k)))
			return rc;
		if (!is_builtin(k, DHALL_B_TYPE))
			return fail(tc, &sc, e->a, NULL, t, "`Some` needs a term");
		*out = mk_app(ev, DHALL_B_OPTIONAL, t);
		return *out ? 0 : ev_nomem(ev);
	case DHALL_RECORD_TYPE:
	case DHALL_RECORD:
	case DHALL_UNION:
		return infer_fields(tc, sc, e, out);
	case DHALL_FIELD:
		return infer_field(tc, sc, e, out);
	case DHALL_PROJECT: {
		struct dv *o;
		if ((rc = infer(tc, sc, e->a, &t)))
			return rc;
		if (t->kind != DHALL_RECORD_TYPE)
			return fail(tc, &sc, e, NULL, t, "projecting from something that is not a record");
		if (!(o = ev_new(ev, DHALL_RECORD_TYPE)) ||
		    !(o->labels = ev_alloc(ev, (e->n + 1) * sizeof *o->labels)) ||
		    !(o->items = ev_alloc(ev, (e->n + 1) * sizeof *o->items)))
			return ev_nomem(ev);
		for (size_t i = 0; i < e->n; i++)
			for (size_t j = i + 1; j < e->n; j++)
				if (ev_str_eq(e->labels[i], e->labels[j]))
					return fail(tc, &sc, e, NULL, NULL, "duplicate projected field `%.*s`",
						    (int)e->labels[i].len, e->labels[i].s);
		for (size_t i = 0; i < t->n; i++)
			for (size_t j = 0; j < e->n; j++)
				if (ev_str_eq(t->labels[i], e->labels[j])) {
					o->labels[o->n] = t->labels[i];
					o->items[o->n++] = t->items[i];
				}
		if (o->n != e->n)
			return fail(tc, &sc, e, NULL, t, "projecting a field the record does not have");
		*out = o;
		return 0;
	}
	case DHALL_PROJECT_TYPE: {
		struct dv *s;
		if ((rc = infer(tc, sc, e->a, &t)))
			return rc;
		if (t->kind != DHALL_RECORD_TYPE)
			return fail(tc, &sc, e, NULL, t, "projecting from something that is not a record");
		if ((rc = infer(tc, sc, e->b, &k)) || (rc = eval_in(tc, &sc, e->b, &s)))
			return rc;
		if (s->kind != DHALL_RECORD_TYPE)
			return fail(tc, &sc, e->b, NULL, NULL, "projection by a type needs a record type");
		for (size_t i = 0; i < s->n; i++) {
			long j = ev_find(t, &s->labels[i]);
			if (j < 0)
				return fail(tc, &sc, e, NULL, t, "projecting a field `%.*s` the record does not have",
					    (int)s->labels[i].len, s->labels[i].s);
			if ((rc = expect_equiv(tc, &sc, e, s->items[i], t->items[j],
					       "projected field type disagrees")))
				return rc;
		}
		*out = s;
		return 0;
	}
	case DHALL_MERGE:
		return infer_merge(tc, sc, e, out);
	case DHALL_TOMAP:
		return infer_tomap(tc, sc, e, out);
	case DHALL_SHOWCONS:
		if ((rc = infer(tc, sc, e->a, &t)))
			return rc;
		if (t->kind != DHALL_UNION && !app_of(t, DHALL_B_OPTIONAL))
			return fail(tc, &sc, e->a, NULL, t, "`showConstructor` needs a union value");
		*out = ev_builtin(ev, DHALL_B_TEXT);
		return *out ? 0 : ev_nomem(ev);
	case DHALL_WITH: {
		struct dv *tv;
		if ((rc = infer(tc, sc, e->a, &t)) || (rc = infer(tc, sc, e->b, &tv)))
			return rc;
		return with_type(tc, &sc, e, t, e->labels, e->with_opt, e->n, tv, out);
	}
	case DHALL_ASSERT: {
		struct dv *ann;
		if ((rc = infer(tc, sc, e->a, &k)))
			return rc;
		if (!is_builtin(k, DHALL_B_TYPE))
			return fail(tc, &sc, e->a, NULL, k, "an assertion must be a type");
		if ((rc = eval_in(tc, &sc, e->a, &ann)))
			return rc;
		if (ann->kind != DHALL_OP || ann->op != DHALL_OP_EQUIV)
			return fail(tc, &sc, e->a, NULL, NULL, "an assertion needs `x ≡ y`");
		if ((rc = expect_equiv(tc, &sc, e, ann->a, ann->b, "assertion failed")))
			return rc;
		*out = ann;
		return 0;
	}
	case DHALL_IMPORT:
		return fail(tc, &sc, e, NULL, NULL, "unresolved import");
	default:
		return fail(tc, &sc, e, NULL, NULL, "unknown expression");
	}
}

static int infer(struct tc *tc, struct scope sc, const struct dhall_expr *e, struct dv **out)
{
	struct ev *ev = tc->ev;
	int rc;
	if ((rc = ev_tick(ev)))
		return rc;
	if (++ev->depth > DHALL_EV_MAX_DEPTH) {
		ev->depth--;
		return dhall_err_set(ev->err, DHALL_ELIMIT, "type-checking nested deeper than %u",
				     DHALL_EV_MAX_DEPTH);
	}
	rc = infer_main(tc, sc, e, out);
	ev->depth--;
	return rc;
}

int tc_infer_top(struct ev *ev, const struct dhall_expr *e, struct dv **type)
{
	struct tc tc = {.ev = ev};
	struct scope sc = {0};
	return infer(&tc, sc, e, type);
}

struct tjob {
	const struct dhall_ctx *ctx;
	struct dhall_arena *arena;
	const struct dhall_expr *e;
	struct dhall_expr **out;
	struct dhall_err *err;
	struct dhall_arena *scratch; /* NULL: a fresh one, freed after */
};

static int typeof_main(void *p)
{
	struct tjob *j = p;
	struct dhall_arena own, *scratch = j->scratch ? j->scratch : &own;
	struct ev ev;
	struct dv *t;
	if (!j->scratch)
		dhall_arena_init(&own);
	ev_setup(&ev, scratch, j->err, j->ctx);
	int rc = tc_infer_top(&ev, j->e, &t);
	if (!rc && j->out)
		rc = ev_quote(&ev, j->arena, NULL, t, 0, j->out);
	if (j->scratch)
		dhall_arena_reset(scratch);
	else
		dhall_arena_free(&own);
	return rc;
}

int dhall_typeof(const struct dhall_ctx *ctx, struct dhall_arena *arena, const struct dhall_expr *e,
		 struct dhall_expr **out, struct dhall_err *err)
{
	struct tjob j = {ctx, arena, e, out, err, NULL};
	return dhall_run_deep(typeof_main, &j);
}

int ev_typeof_scratch(const struct dhall_ctx *ctx, struct dhall_arena *arena,
		      struct dhall_arena *scratch, const struct dhall_expr *e,
		      struct dhall_expr **out, struct dhall_err *err)
{
	struct tjob j = {ctx, arena, e, out, err, scratch};
	return dhall_run_deep(typeof_main, &j);
}
