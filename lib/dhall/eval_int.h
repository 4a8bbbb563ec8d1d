/*
 * eval_int.h — the evaluator's private interface: the value domain of
 * normalization by evaluation (NbE), shared by eval.c (expressions →
 * values), builtins.c (builtin functions, numbers, text), quote.c (values →
 * normal-form expressions, α-normalization, equivalence, the public entry
 * points) and typecheck.c (type inference over values).
 *
 * A value (struct dv) is an expression in weak head normal form whose
 * binders are closures: λ and ∀ keep their body as the unevaluated
 * expression plus the environment it was met in, so β-reduction is one
 * environment push instead of a substitution. Values reuse the expression
 * kinds (enum dhall_kind); a value of kind DHALL_VAR is a free ("neutral")
 * variable identified by its name and its de Bruijn *level* (how many
 * binders of that name were already in scope when it was made), which
 * stays valid however deep it is later carried; quoting turns levels back
 * into indices. Stuck applications, operators, selections … are values of
 * their own kind whose operands are values (neutral terms).
 *
 * Invariants: values are immutable once built and may be shared; record,
 * record-type and union values keep their fields sorted by label (the
 * order of the binary encoding), without duplicates (and may share the
 * label array of the expression they were evaluated from, or of other
 * values: nobody writes to one after it is built); a TEXT value has no
 * interpolation that is itself a TEXT value, and no empty chunk between two
 * interpolations is merged away (chunks are just strings). Everything is
 * allocated from the evaluator's scratch arena; quote copies into the
 * caller's arena. Scoped work gives its scratch memory back early (struct
 * ev_region, below).
 *
 * Limits (so that no input can run away with time or memory, e.g. under a
 * fuzzer): every evaluation step counts against ev->max_steps, the scratch
 * arena's size against ev->max_bytes, Natural literals are capped at
 * DHALL_EV_MAX_NUM_BYTES bytes and recursion at DHALL_EV_MAX_DEPTH levels;
 * exceeding any is DHALL_ELIMIT with a message naming the limit.
 */
#ifndef SIGIL_DHALL_EVAL_INT_H
#define SIGIL_DHALL_EVAL_INT_H

#include "dhall_int.h"

#include <string.h>

#define DHALL_EV_MAX_NUM_BYTES 4096
#define DHALL_EV_MAX_DEPTH 200000
#define DHALL_EV_DEFAULT_STEPS 20000000ull
#define DHALL_EV_DEFAULT_BYTES ((size_t)1 << 30)

struct dv;
struct ev_intern;

/* An environment: a linked list of bindings, newest first. A binding is
 * either a value (val) or, made by ev_bind_lazy, a thunk: val is NULL
 * until the variable is first looked up, when `expr` is evaluated in
 * `env` and the value kept (call by need; the only mutation of a built
 * structure, invisible to everyone but lookup). */
struct denv {
	struct dhall_str name;
	struct dv *val;
	struct denv *next;
	const struct dhall_expr *expr;
	struct denv *env;
};

/* Which fields a kind uses mirrors struct dhall_expr (label, with_opt and
 * the literals share storage; a VAR's level shares it with n; a closure's
 * body and environment share it with b and items; a list's buffer with
 * labels), which keeps a value at 64 bytes: evaluation makes millions. */
struct dv {
	uint8_t kind; /* enum dhall_kind */
	uint8_t op;
	union {
		size_t n;
		int64_t level; /* DHALL_VAR */
	};
	struct dv *a;
	union {
		struct dv *b;
		const struct dhall_expr *body; /* LAMBDA / PI: the closure's body … */
	};
	union {
		struct dv *c;
		struct dv **items;
		struct denv *env; /* … under `label`, and its environment */
	};
	union {
		struct dhall_str *labels;
		struct dvbuf *lbuf; /* LIST: the buffer its items live in, or NULL */
		/* LAMBDA made by eval: a is NULL and this is the λ expression
		 * (body = src->b); its annotation src->a is evaluated (in env)
		 * only when quoted: a closure is made per application of its
		 * enclosing λ and quoted rarely. See also EV_SRC_CLOSED. */
		const struct dhall_expr *src;
	};
	union {
		struct dhall_str label;
		uint64_t with_opt;
		union {
			struct dhall_num num;
			double dbl;
			struct dhall_date date;
			struct dhall_time *time;
			struct dhall_tz tz;
		} u;
	};
};

/* `op` of a LAMBDA value (0 for every closure made from syntax): the
 * `cons` that List/build hands its argument (builtins.c, list_build) is a
 * real closure, λ(a : A) → λ(as : List A) → [a] # as, so that quoting,
 * equivalence and type inference see an ordinary function; the marks only
 * let ev_apply take a short cut with the same result. EV_CONS: the outer
 * λ; its instance (λ(as …), a bound to the element in env) is marked
 * EV_CONS_TAIL, and applying that to a list value prepends the element
 * directly (no environment, no one-element list). */
enum { EV_CONS = 1, EV_CONS_TAIL = 2 };

/* `op` of a LAMBDA *expression* (0 from the parser and the decoder):
 * EV_SRC_CLOSED marks a λ that is closed and in normal form with its
 * names (resolve.c marks the functions of every import's normal form:
 * the root, or the fields of root records). Quoting (mode 0) a closure
 * made from it gives it back unchanged, so ev_quote returns the node
 * itself instead of a copy: a package that re-exports the functions of
 * the files it imports (the Prelude) then shares them instead of copying
 * each at every level. Such a λ's `c` (unused by λ otherwise) is NULL or
 * its type (closed, normal), recorded by resolve.c when the import was
 * type-checked: the type checker evaluates it instead of inferring the
 * function again in every file it is inlined into. Encoders and printers
 * ignore `op` and `c` on λ. */
enum { EV_SRC_CLOSED = 1 };

/* A list buffer that list values may share (eval.c, list_append): slots
 * base[lo..hi) are claimed. A list value whose items end at base + hi may
 * grow into the free slots after them, one whose items start at base + lo
 * into those before them; claiming moves lo or hi, so only the first
 * value to grow at an end does it in place, and the items every existing
 * value sees never change. This makes `[x] # xs` and `xs # [x]` (List/build
 * with List/fold or Natural/fold) amortized O(1) instead of a copy. */
struct dvbuf {
	struct dv **base;
	size_t cap, lo, hi;
};

/* A quoting context: the names bound between the top and here. */
struct dnames {
	struct dhall_str name;
	const struct dnames *next;
};

struct ev {
	struct dhall_arena *arena; /* scratch: values */
	struct dhall_err *err;
	uint64_t steps, max_steps;
	size_t max_bytes;
	unsigned depth;
	/* one shared value per builtin (values are immutable), made on demand */
	struct dv *builtin[DHALL_B_COUNT];
	struct dv *bools[2]; /* False, True: shared the same way (ev_bool) */
	/* record literals written out of label order: the sorted labels
	 * (shared by every value of the literal) and the order, per
	 * expression node (direct-mapped; eval.c, eval_fields) */
	struct ev_sorted {
		const struct dhall_expr *e;
		struct dhall_str *labels;
		size_t *ix;
	} sorted[64];
	/* the values of literals (numbers, plain Text, dates …) per expression
	 * node, made once and shared (direct-mapped; eval.c, literal) */
	struct ev_lit {
		const struct dhall_expr *e;
		struct dv *v;
	} lits[64];
	/* counts writes to the caches above (and builtin, bools), so that
	 * ending a region without any skips looking for stale entries */
	unsigned long cache_gen;
	/* set by ev_bind_lazy: an environment entry may be written after it
	 * is made, so regions (below) are not safe */
	int lazy;
	/* source of the tree being checked, for positions in type errors */
	const char *name, *src;
	size_t len;
};

/* A region of the scratch arena: scoped evaluation whose values are all
 * garbage at its end (a list element once rendered, a subtree once
 * quoted into another arena). ev_region_end releases the memory and drops
 * the cache entries made inside. Sound because values older than the
 * region never point into it: values are immutable once built; the
 * exceptions are the caches (dropped), a list buffer's free slots (a
 * value made inside may claim some; nobody older reads them: struct
 * dvbuf) and lazy environment entries (ev_bind_lazy: the type checker's,
 * which uses no regions). Regions nest, and end in reverse order. */
struct ev_region {
	struct dhall_arena_mark mark;
	unsigned long cache_gen;
};
static inline void ev_region_begin(struct ev *ev, struct ev_region *r)
{
	r->mark = dhall_arena_mark(ev->arena);
	r->cache_gen = ev->cache_gen;
}
void ev_region_end(struct ev *ev, struct ev_region *r);

/* ---- eval.c */
/* Allocation; NULL (with the error set) when out of memory or past the
 * byte budget. */
struct dv *ev_new(struct ev *ev, enum dhall_kind kind);
void *ev_alloc(struct ev *ev, size_t size);
int ev_nomem(struct ev *ev);
/* Counts one step and checks the budgets (0 or DHALL_ELIMIT). */
int ev_tick(struct ev *ev);

/* Evaluates e in env into *out. 0 or a negative error. */
int ev_eval(struct ev *ev, struct denv *env, const struct dhall_expr *e, struct dv **out);
/* Applies f to x (β-reduces, or runs a builtin, or builds a neutral). */
int ev_apply(struct ev *ev, struct dv *f, struct dv *x, struct dv **out);
/* Instantiates a LAMBDA/PI closure with x. */
int ev_inst(struct ev *ev, const struct dv *clo, struct dv *x, struct dv **out);
struct denv *ev_bind(struct ev *ev, struct denv *env, struct dhall_str name, struct dv *v);
/* Binds name to the value of e in e_env, evaluated when first needed. */
struct denv *ev_bind_lazy(struct ev *ev, struct denv *env, struct dhall_str name,
			  const struct dhall_expr *e, struct denv *e_env);
/* Instantiates a LAMBDA/PI closure with the (lazily evaluated) value of
 * arg in arg_env. */
int ev_inst_lazy(struct ev *ev, const struct dv *clo, const struct dhall_expr *arg,
		 struct denv *arg_env, struct dv **out);
/* Field lookup in a sorted RECORD/RECORD_TYPE/UNION value; -1 when absent. */
long ev_find(const struct dv *r, const struct dhall_str *label);
/* The operator rules of standard/beta-normalization.md on values. */
int ev_op(struct ev *ev, unsigned op, struct dv *l, struct dv *r, struct dv **out);
int ev_field(struct ev *ev, struct dv *r, struct dhall_str label, struct dv **out);
struct dv *ev_builtin(struct ev *ev, unsigned b);
struct dv *ev_var(struct ev *ev, struct dhall_str name, int64_t level);
struct dv *ev_text1(struct ev *ev, const char *s, size_t len);
struct dv *ev_nat(struct ev *ev, uint64_t n);
/* The shared value False (b == 0) or True; NULL when out of memory. */
struct dv *ev_bool(struct ev *ev, int b);

/* ---- builtins.c */
/* How many arguments builtin b takes before it can reduce (0: none). */
unsigned ev_builtin_arity(unsigned b);
/* Tries to reduce builtin b applied to args[0..n) (n == its arity).
 * *out = NULL when it is stuck (the caller builds the neutral). */
int ev_builtin_reduce(struct ev *ev, unsigned b, struct dv **args, struct dv **out);
/* The fold fusion of List/fold (builtins.c): E when f = λ(x) → λ(as) →
 * [E] # as with E not mentioning `as` and nil is a list value, else NULL;
 * ev_fold_item evaluates E with x bound (one step counted). */
const struct dhall_expr *ev_fold_elem(const struct dv *f, const struct dv *nil);
int ev_fold_item(struct ev *ev, const struct dv *f, const struct dhall_expr *elem, struct dv *x,
		 struct dv **out);
/* List/fold T (List/indexed A ys) R f nil with f of that shape: the
 * fused list, each { index, value } record made only for its element (in
 * the element's region); *out NULL (nothing done) when f or nil is not
 * of that shape or ys is not a non-empty list value. */
int ev_fold_indexed(struct ev *ev, struct dv *ys, struct dv *f, struct dv *nil, struct dv **out);
/* Natural arithmetic (values of kind NATURAL). */
int ev_num_add(struct ev *ev, const struct dhall_num *a, const struct dhall_num *b,
	       struct dhall_num *out);
int ev_num_mul(struct ev *ev, const struct dhall_num *a, const struct dhall_num *b,
	       struct dhall_num *out);
int ev_num_cmp(const struct dhall_num *a, const struct dhall_num *b);
static inline int ev_num_zero(const struct dhall_num *n)
{
	return !n->big && n->small == 0;
}
/* Text: builds a TEXT value from chunks/interpolations, flattening nested
 * text values and merging chunks, reducing "${t}" to t. */
int ev_text(struct ev *ev, struct dhall_str *chunks, struct dv **parts, size_t n, struct dv **out);

/* ---- quote.c */
/* Quotes v back to a normal-form expression (allocated in `arena`) under
 * names ctx; alpha: every binder named "_" (α-normal form). */
int ev_quote(struct ev *ev, struct dhall_arena *arena, const struct dnames *ctx,
	     const struct dv *v, int alpha, struct dhall_expr **out);
/* Judgmental equivalence of two values under ctx: 1 equal, 0 not, <0 error. */
int ev_equiv(struct ev *ev, const struct dnames *ctx, const struct dv *a, const struct dv *b);
/* How many entries of ctx are named `name`. */
int64_t ev_count(const struct dnames *ctx, struct dhall_str name);
/* Initialises ev for a public entry point (budgets from ctx or defaults). */
void ev_setup(struct ev *ev, struct dhall_arena *scratch, struct dhall_err *err,
	      const struct dhall_ctx *ctx);

/* dhall_normalize_ctx with the scratch memory taken from (and, after,
 * dhall_arena_reset) `scratch` instead of a fresh arena: for callers that
 * evaluate many small expressions (resolve.c, once per imported file). */
int ev_normalize_scratch(const struct dhall_ctx *ctx, struct dhall_arena *arena,
			 struct dhall_arena *scratch, const struct dhall_expr *in,
			 struct dhall_expr **out, struct dhall_err *err);
/* The same, with the normal form hash-consed into intern's arena (which
 * replaces `arena`): nodes equal to ones made before are shared. */
int ev_normalize_interned(const struct dhall_ctx *ctx, struct ev_intern *intern,
			  struct dhall_arena *scratch, const struct dhall_expr *in,
			  struct dhall_expr **out, struct dhall_err *err);

/* ---- intern.c: hash-consing of normal forms (see its design comment) */
struct ev_intern {
	struct dhall_arena *arena; /* where the shared nodes and strings live */
	struct dhall_expr **nodes; /* open addressing; NULL: a free slot */
	size_t ncap, nn;
	struct dhall_str *strs; /* the same for strings; s NULL: free */
	size_t scap, ns;
};
void ev_intern_init(struct ev_intern *t, struct dhall_arena *arena);
/* Frees the tables (not the arena's nodes, which stay valid). */
void ev_intern_free(struct ev_intern *t);
/* *out = the table's node equal to e (made, as a copy into the table's
 * arena, when there is none yet); e's children must be interned already.
 * 0 or DHALL_ENOMEM. */
int ev_intern_node(struct ev_intern *t, const struct dhall_expr *e, struct dhall_expr **out);

/* ---- typecheck.c */
/* dhall_typeof with scratch memory from `scratch` (as ev_normalize_scratch);
 * out may be NULL when only the check matters (then arena is unused). */
int ev_typeof_scratch(const struct dhall_ctx *ctx, struct dhall_arena *arena,
		      struct dhall_arena *scratch, const struct dhall_expr *e,
		      struct dhall_expr **out, struct dhall_err *err);
/* Infers the type of the closed expression e (as a value). */
int tc_infer_top(struct ev *ev, const struct dhall_expr *e, struct dv **type);

/* ---- remote.c: one GET of a remote import (see its design comment) */
struct ev_header {
	struct dhall_str name, value;
};
struct ev_remote {
	char *body;   /* malloc'd, NUL-terminated */
	size_t len;
	long status;
	char **acao;  /* Access-Control-Allow-Origin values of the response */
	size_t nacao; /* how many there were (only the first 8 are kept) */
};
/* libcurl, loaded at run time by the first fetch of a session (remote.c) */
struct dlcurl;
/* Releases what ev_remote_fetch loaded into the session's struct dlcurl
 * (NULL: nothing). */
void ev_remote_close(struct dlcurl *c);
/* Fetches url (logical; rewritten through ctx->remote_map) sending hdrs;
 * *curl is the session's libcurl, NULL until the first fetch loads it.
 * 0 with *out filled (free with ev_remote_free), -1 when the fetch failed
 * (unreachable, HTTP status other than 200, refused by the map: a failure
 * `?` may recover from), -2 when the body is over the size cap; msg says
 * why. */
int ev_remote_fetch(const struct dhall_ctx *ctx, struct dlcurl **curl, const char *url,
		    const struct ev_header *hdrs, size_t nhdrs, struct ev_remote *out, char *msg,
		    size_t msglen);
void ev_remote_free(struct ev_remote *r);

/* Whether expression e may mention the variable named `name` (at any
 * index, bound or not): exact but for very deep expressions, where it
 * answers yes (eval.c; the type checker's laziness, fold fusion). */
int ev_mentions(const struct dhall_expr *e, struct dhall_str name);

static inline int ev_str_eq(struct dhall_str a, struct dhall_str b)
{
	return a.len == b.len && (a.len == 0 || memcmp(a.s, b.s, a.len) == 0);
}
static inline int ev_str_is(struct dhall_str a, const char *s)
{
	size_t n = strlen(s);
	return a.len == n && memcmp(a.s, s, n) == 0;
}

#endif
