/*
 * parse.c — the expression grammar of standard/dhall.abnf: a hand-written
 * recursive-descent parser with precedence climbing for the binary
 * operators, over a cursor into the source.
 *
 * Shape: ps_expression (λ, ∀, let, if, assert, `[] : T`, `with`, arrows,
 * annotations) → operators (one loop per precedence level, left
 * associative) → application (merge/Some/toMap/showConstructor first, then
 * arguments) → import-expression → completion (`::`) → selectors (`.x`,
 * `.{…}`, `.(T)`) → primitives. Desugaring happens here: dotted record
 * fields, duplicate fields (combined with ∧), punned fields.
 *
 * Speed: most of a large file is plain data, so ps_expression first looks
 * at one byte. A record, list, text or number goes straight to its parser
 * (records and lists to parse_fast.c, which hands anything unusual back to
 * the general loops ps_record_rest / ps_list_rest here) and, when a
 * separator follows, is the whole expression; only otherwise do the
 * levels above run (expression_rest), and everything else starts in
 * expression_other. A plain variable as an application argument is
 * likewise taken without the import/selector/completion levels.
 *
 * Nesting depth is counted in ps_expression (every bracket, binder and
 * operand goes through it, or parse_fast.c's equivalent) against
 * DHALL_MAX_DEPTH; dhall_parse runs on the caller's stack while it lasts
 * and starts over on dhall_run_deep's big stack when it does not
 * (dhall_run_guarded).
 */
#include "parse_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "banned.h"

/* Operator precedence levels, lowest first (the order of the operator rules
 * in the grammar). */
static const uint8_t level_op[] = {
	DHALL_OP_EQUIV, DHALL_OP_ALT, DHALL_OP_OR, DHALL_OP_PLUS, DHALL_OP_TEXT_APPEND,
	DHALL_OP_LIST_APPEND, DHALL_OP_AND, DHALL_OP_COMBINE, DHALL_OP_PREFER,
	DHALL_OP_COMBINE_TYPES, DHALL_OP_TIMES, DHALL_OP_EQ, DHALL_OP_NE,
};
#define NLEVELS (sizeof level_op / sizeof level_op[0])

static struct dhall_expr *primitive(struct ps *p);

static bool at_ws_chunk(const struct ps *p, size_t k)
{
	int c = ps_peek(p, k);
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' ||
	       (c == '-' && ps_peek(p, k + 1) == '-') || (c == '{' && ps_peek(p, k + 1) == '-');
}

/* The operator at the cursor: its level (index in level_op) and length in
 * bytes, or -1. */
static int peek_op(const struct ps *p, size_t *len)
{
	int c = ps_peek(p, 0), c1 = ps_peek(p, 1);
	switch (c) {
	case '=':
		if (c1 == '=' && ps_peek(p, 2) == '=')
			return *len = 3, 0;
		if (c1 == '=')
			return *len = 2, 11;
		return -1;
	case '!':
		return c1 == '=' ? (*len = 2, 12) : -1;
	case '?':
		return at_ws_chunk(p, 1) ? (*len = 1, 1) : -1;
	case '|':
		return c1 == '|' ? (*len = 2, 2) : -1;
	case '+':
		if (c1 == '+')
			return *len = 2, 4;
		return at_ws_chunk(p, 1) ? (*len = 1, 3) : -1;
	case '#':
		return *len = 1, 5;
	case '&':
		return c1 == '&' ? (*len = 2, 6) : -1;
	case '/':
		if (c1 == '\\')
			return *len = 2, 7;
		if (c1 == '/' && ps_peek(p, 2) == '\\' && ps_peek(p, 3) == '\\')
			return *len = 4, 9;
		if (c1 == '/')
			return *len = 2, 8;
		return -1;
	case '*':
		return *len = 1, 10;
	case 0xe2: /* ≡ E2 89 A1, ∧ E2 88 A7, ⫽ E2 AB BD, ⩓ E2 A9 93 */
		if (c1 == 0x89 && ps_peek(p, 2) == 0xa1)
			return *len = 3, 0;
		if (c1 == 0x88 && ps_peek(p, 2) == 0xa7)
			return *len = 3, 7;
		if (c1 == 0xab && ps_peek(p, 2) == 0xbd)
			return *len = 3, 8;
		if (c1 == 0xa9 && ps_peek(p, 2) == 0x93)
			return *len = 3, 9;
		return -1;
	default:
		return -1;
	}
}

static bool at_arrow(const struct ps *p, size_t *len)
{
	if (ps_peek(p, 0) == '-' && ps_peek(p, 1) == '>')
		return *len = 2, true;
	if (ps_at(p, "\xe2\x86\x92", 3))
		return *len = 3, true;
	return false;
}

/* What the first byte of an application argument tells (at_argument): 1
 * it starts one, 2 a word (one unless it is a keyword), 3 look further;
 * 0 it does not. */
static const uint8_t arg_first[256] = {
	['0' ... '9'] = 1, ['"'] = 1, ['{'] = 1, ['<'] = 1, ['['] = 1, ['('] = 1, ['`'] = 1,
	['A' ... 'Z'] = 2, ['a' ... 'z'] = 2, ['_'] = 2,
	['\''] = 3, ['+'] = 3, ['-'] = 3, ['/'] = 3, ['.'] = 3, ['~'] = 3,
};

/* Can the cursor start an import-expression (an application argument)? */
static bool at_argument(struct ps *p)
{
	int c = ps_peek(p, 0);
	if (c < 0)
		return false;
	switch (arg_first[c]) {
	case 1:
		return true;
	case 2: {
		size_t n;
		enum ps_kw kw = ps_word(p, &n);
		return kw == KW_NONE || kw == KW_MISSING || kw == KW_INFINITY || kw == KW_NAN;
	}
	case 3:
		break;
	default:
		return false;
	}
	int c1 = ps_peek(p, 1);
	if (c == '\'')
		return c1 == '\'';
	if (c == '+' || c == '-')
		return ps_is_digit(c1) || (c == '-' && ps_at_kw(p, "-Infinity"));
	if (c == '/')
		return c1 != '/' && c1 != '\\' && c1 >= 0;
	return ps_at_import(p); /* . or ~ */
}

static struct dhall_expr *binop(struct ps *p, unsigned op, struct dhall_expr *a,
				struct dhall_expr *b, size_t pos)
{
	struct dhall_expr *e = ps_node(p, DHALL_OP, pos);
	if (!e)
		return NULL;
	e->op = (uint8_t)op;
	e->a = a;
	e->b = b;
	return e;
}

/* An optional separator (',' or '|') at the cursor and the whitespace after
 * it: 1 when there was one, 0 when not, -1 on a malformed comment. */
static int skip_sep(struct ps *p, int sep)
{
	if (ps_peek(p, 0) != sep)
		return 0;
	p->pos++;
	return ps_ws(p) < 0 ? -1 : 1;
}

/* ---------------------------------------------------------------- selectors */

/* `.{ a, b }` after the dot. */
static struct dhall_expr *projection(struct ps *p, struct dhall_expr *rec, size_t pos)
{
	size_t lbase = p->labels.n;
	p->pos++; /* { */
	if (ps_ws(p) < 0)
		return NULL;
	if (skip_sep(p, ',') < 0)
		return NULL;
	while (ps_peek(p, 0) != '}') {
		struct dhall_str l;
		if (!ps_label(p, &l, 2) || ps_push_label(p, &l) || ps_ws(p) < 0)
			return NULL;
		int sep = skip_sep(p, ',');
		if (sep < 0)
			return NULL;
		if (!sep && ps_peek(p, 0) != '}')
			return ps_fail(p, "expected ',' or '}' in the projection");
	}
	p->pos++;
	struct dhall_expr *e = ps_node(p, DHALL_PROJECT, pos);
	if (!e)
		return NULL;
	e->a = rec;
	e->n = p->labels.n - lbase;
	if (!(e->labels = ps_take(p, &p->labels, lbase)))
		return NULL;
	return e;
}

/* The selector loop after a primitive; `first`, when given, is that
 * primitive already parsed (expression()'s fast path). */
static struct dhall_expr *selector_expression(struct ps *p, struct dhall_expr *first)
{
	struct dhall_expr *e = first ? first : primitive(p);
	while (e) {
		size_t save = p->pos;
		if (ps_ws(p) < 0)
			return NULL;
		if (ps_peek(p, 0) != '.' || ps_peek(p, 1) == '/' || ps_peek(p, 1) == '.') {
			p->pos = save;
			break;
		}
		size_t dot = p->pos++;
		if (ps_ws(p) < 0)
			return NULL;
		int c = ps_peek(p, 0);
		if (c == '{') {
			e = projection(p, e, dot);
		} else if (c == '(') {
			p->pos++;
			if (ps_ws(p) < 0)
				return NULL;
			struct dhall_expr *t = ps_expression(p);
			if (!t || ps_ws(p) < 0)
				return NULL;
			if (ps_peek(p, 0) != ')')
				return ps_fail(p, "expected ')' after the projection type");
			p->pos++;
			struct dhall_expr *n = ps_node(p, DHALL_PROJECT_TYPE, dot);
			if (!n)
				return NULL;
			n->a = e;
			n->b = t;
			e = n;
		} else if (ps_is_label_first(c) || c == '`') {
			struct dhall_expr *n = ps_node(p, DHALL_FIELD, dot);
			if (!n || !ps_label(p, &n->label, 0))
				return NULL;
			n->a = e;
			e = n;
		} else {
			p->pos = save;
			break;
		}
	}
	return e;
}

static struct dhall_expr *completion_expression(struct ps *p, struct dhall_expr *first)
{
	struct dhall_expr *e = selector_expression(p, first);
	if (!e)
		return NULL;
	size_t save = p->pos;
	if (ps_ws(p) < 0)
		return NULL;
	if (ps_peek(p, 0) == ':' && ps_peek(p, 1) == ':') {
		size_t pos = p->pos;
		p->pos += 2;
		if (ps_ws(p) < 0)
			return NULL;
		struct dhall_expr *r = selector_expression(p, NULL);
		return r ? binop(p, DHALL_OP_COMPLETE, e, r, pos) : NULL;
	}
	p->pos = save;
	return e;
}

struct dhall_expr *ps_import_expression(struct ps *p)
{
	if (ps_at_import(p))
		return ps_import(p);
	return completion_expression(p, NULL);
}

/* ---------------------------------------------------------------- application */

/* The commonest argument, a variable without index, selector or
 * completion after it (x, not x@1, x.a, x::T): its node, the cursor after
 * it; or NULL (p->rc set on no memory) with the cursor unmoved, for
 * anything else. The same node as ps_import_expression would make. */
static struct dhall_expr *plain_variable(struct ps *p)
{
	const char *s = p->src;
	size_t i = p->pos, n = p->len, j = i;
	if (i >= n || !((s[i] >= 'a' && s[i] <= 'z') || s[i] == '_'))
		return NULL; /* builtins and True/False start with a capital */
	j = ps_label_end(s, n, j);
	if (ps_maybe_kw(s + i, j - i) && ps_keyword(s + i, j - i) != KW_NONE)
		return NULL;
	size_t k = j;
	while (k < n && (ps_cc[(unsigned char)s[k]] & CC_BLANK))
		k++;
	if (k < n && (s[k] == '.' || s[k] == '@' || s[k] == ':' ||
		      ((s[k] == '-' || s[k] == '{') && k + 1 < n && s[k + 1] == '-')))
		return NULL; /* a selector, index, completion, env:, http:, comment, … */
	struct dhall_expr *v = ps_node(p, DHALL_VAR, i);
	if (!v)
		return NULL;
	v->label.s = s + i;
	v->label.len = j - i;
	p->pos = j;
	return v;
}

/* keyword whsp1 import-expression */
static struct dhall_expr *kw_arg(struct ps *p, size_t kwlen)
{
	p->pos += kwlen;
	if (!ps_ws1(p))
		return NULL;
	if (!at_argument(p))
		return ps_fail(p, "expected an argument here");
	return ps_import_expression(p);
}

static struct dhall_expr *application(struct ps *p, struct dhall_expr *first)
{
	size_t pos = p->pos;
	struct dhall_expr *f, *bare = NULL;
	bool lone = false;
	size_t wlen;
	enum ps_kw kw = first ? KW_NONE : ps_word(p, &wlen);
	if (first) {
		if (!(f = completion_expression(p, first)))
			return NULL;
		lone = true;
	} else if (kw == KW_MERGE) {
		f = ps_node(p, DHALL_MERGE, pos);
		if (!f || !(f->a = kw_arg(p, 5)) || !ps_ws1(p))
			return NULL;
		if (!at_argument(p))
			return ps_fail(p, "merge needs two arguments");
		if (!(f->b = ps_import_expression(p)))
			return NULL;
		bare = f;
	} else if (kw == KW_SOME) {
		f = ps_node(p, DHALL_SOME, pos);
		if (!f || !(f->a = kw_arg(p, 4)))
			return NULL;
	} else if (kw == KW_TOMAP) {
		f = ps_node(p, DHALL_TOMAP, pos);
		if (!f || !(f->a = kw_arg(p, 5)))
			return NULL;
		bare = f;
	} else if (kw == KW_SHOWCONSTRUCTOR) {
		f = ps_node(p, DHALL_SHOWCONS, pos);
		if (!f || !(f->a = kw_arg(p, 15)))
			return NULL;
	} else {
		if (!(f = ps_import_expression(p)))
			return NULL;
		lone = true;
	}
	size_t ebase = p->exprs.n;
	for (;;) {
		size_t save = p->pos;
		long w = ps_ws(p);
		if (w < 0)
			return NULL;
		if (w == 0) {
			p->pos = save;
			break;
		}
		struct dhall_expr *arg = plain_variable(p);
		if (!arg) {
			if (p->rc)
				return NULL;
			if (!at_argument(p)) {
				p->pos = save;
				break;
			}
			arg = ps_import_expression(p);
		}
		if (!arg || ps_push_expr(p, arg))
			return NULL;
	}
	if (p->exprs.n == ebase) {
		if (bare)
			p->bare_kw = bare;
		if (lone)
			p->lone_ie = f;
		return f;
	}
	struct dhall_expr *app = ps_node(p, DHALL_APP, pos);
	if (!app)
		return NULL;
	app->a = f;
	app->n = p->exprs.n - ebase;
	if (!(app->items = ps_take_exprs(p, ebase)))
		return NULL;
	return app;
}

/* Binary operators at levels >= min, by precedence climbing. */
static struct dhall_expr *operators(struct ps *p, unsigned min, struct dhall_expr *first)
{
	struct dhall_expr *lhs = application(p, first);
	while (lhs) {
		size_t save = p->pos, len;
		if (ps_ws(p) < 0)
			return NULL;
		int lv = peek_op(p, &len);
		if (lv < 0 || (unsigned)lv < min) {
			p->pos = save;
			break;
		}
		size_t pos = p->pos;
		p->pos += len;
		unsigned op = level_op[lv];
		if (op == DHALL_OP_PLUS || op == DHALL_OP_ALT) {
			if (!ps_ws1(p))
				return NULL;
		} else if (ps_ws(p) < 0) {
			return NULL;
		}
		if (!ps_enter(p))
			return NULL;
		p->depth++;
		struct dhall_expr *rhs = operators(p, (unsigned)lv + 1, NULL);
		p->depth--;
		if (!rhs)
			return NULL;
		lhs = binop(p, op, lhs, rhs, pos);
	}
	return lhs;
}

/* ---------------------------------------------------------------- records */

/* Combines the duplicate fields of a record literal with ∧ (record.md),
 * keeping the first occurrence's place. */
static bool record_duplicates(struct ps *p, struct dhall_expr *r)
{
	size_t n = r->n, w = 0;
	for (size_t i = 0; i < n; i++) {
		size_t j;
		for (j = 0; j < w; j++)
			if (dhall_str_cmp(&r->labels[j], &r->labels[i]) == 0)
				break;
		if (j == w) {
			r->labels[w] = r->labels[i];
			r->items[w++] = r->items[i];
		} else {
			struct dhall_expr *c =
				binop(p, DHALL_OP_COMBINE, r->items[j], r->items[i], r->items[i]->pos);
			if (!c)
				return false;
			r->items[j] = c;
		}
	}
	r->n = w;
	return true;
}

/* Sorted-index duplicate check for large records: same result as above. */
struct lab_ix {
	const struct dhall_str *l;
	size_t i;
};
static int lab_ix_cmp(const void *a, const void *b)
{
	const struct lab_ix *x = a, *y = b;
	int c = dhall_str_cmp(x->l, y->l);
	return c ? c : (x->i > y->i) - (x->i < y->i);
}

static bool has_duplicates(struct ps *p, const struct dhall_str *labels, size_t n, bool *dup)
{
	*dup = false;
	if (n < 2)
		return true;
	if (n <= 16) {
		/* labels with distinct first bytes (mod 64) are distinct: one
		 * pass answers most records */
		uint64_t seen = 0;
		size_t k;
		for (k = 0; k < n; k++) {
			if (!labels[k].len)
				break;
			uint64_t bit = (uint64_t)1 << ((unsigned char)labels[k].s[0] & 63);
			if (seen & bit)
				break;
			seen |= bit;
		}
		if (k == n)
			return true;
		for (size_t i = 1; i < n; i++)
			for (size_t j = 0; j < i; j++)
				if (dhall_str_cmp(&labels[i], &labels[j]) == 0)
					return *dup = true, true;
		return true;
	}
	struct lab_ix *ix = malloc(n * sizeof *ix);
	if (!ix)
		return ps_nomem(p), false;
	for (size_t i = 0; i < n; i++)
		ix[i] = (struct lab_ix){&labels[i], i};
	qsort(ix, n, sizeof *ix, lab_ix_cmp);
	for (size_t i = 1; i < n && !*dup; i++)
		if (dhall_str_cmp(ix[i - 1].l, ix[i].l) == 0)
			*dup = true;
	free(ix);
	return true;
}

/* One record-literal entry: label [.label…] = value | punned label; the
 * first label l (at pos) is already read, and the whitespace after it. */
static bool record_entry(struct ps *p, size_t pos, struct dhall_str l)
{
	int c = ps_peek(p, 0);
	if (c == '=') { /* the commonest: label = value */
		p->pos++;
		if (ps_ws(p) < 0)
			return false;
		struct dhall_expr *v = ps_expression(p);
		return v && !ps_push_label(p, &l) && !ps_push_expr(p, v);
	}
	if (c == ',' || c == '}') { /* pun: { x } is { x = x } */
		struct dhall_expr *v = ps_node(p, DHALL_VAR, pos);
		if (!v)
			return false;
		v->label = l;
		return !ps_push_label(p, &l) && !ps_push_expr(p, v);
	}
	/* dotted path: collect the labels, then nest the value */
	size_t lbase = p->labels.n;
	if (ps_push_label(p, &l))
		return false;
	while (ps_peek(p, 0) == '.') {
		p->pos++;
		if (ps_ws(p) < 0)
			return false;
		struct dhall_str d;
		if (!ps_label(p, &d, 2) || ps_push_label(p, &d) || ps_ws(p) < 0)
			return false;
	}
	if (ps_peek(p, 0) != '=')
		return ps_fail(p, "expected '=' in the record literal"), false;
	p->pos++;
	if (ps_ws(p) < 0)
		return false;
	struct dhall_expr *v = ps_expression(p);
	if (!v)
		return false;
	size_t depth = p->labels.n - lbase;
	for (size_t k = depth; k-- > 1;) {
		struct dhall_expr *r = ps_node(p, DHALL_RECORD, v->pos);
		if (!r)
			return false;
		r->n = 1;
		r->labels = dhall_arena_alloc(p->arena, sizeof *r->labels);
		r->items = dhall_arena_alloc(p->arena, sizeof *r->items);
		if (!r->labels || !r->items)
			return ps_nomem(p), false;
		r->labels[0] = ((struct dhall_str *)p->labels.v)[lbase + k];
		r->items[0] = v;
		v = r;
	}
	p->labels.n = lbase + 1;
	return !ps_push_expr(p, v);
}

/* One entry after its label l (at epos) and the whitespace after that:
 * `: T` of a record type, or the rest of a literal's entry. */
static bool record_field(struct ps *p, size_t epos, struct dhall_str l, bool is_type)
{
	if (!is_type)
		return record_entry(p, epos, l);
	if (ps_peek(p, 0) != ':')
		return ps_fail(p, "expected ':' in the record type"), false;
	p->pos++;
	if (!ps_ws1(p))
		return false;
	struct dhall_expr *t = ps_expression(p);
	return t && !ps_push_label(p, &l) && !ps_push_expr(p, t);
}

struct dhall_expr *ps_record_rest(struct ps *p, size_t pos, size_t lbase, size_t ebase,
				  bool is_type)
{
	for (;;) {
		if (ps_ws(p) < 0)
			return NULL;
		int sep = skip_sep(p, ',');
		if (sep < 0)
			return NULL;
		if (ps_peek(p, 0) == '}')
			break;
		if (!sep)
			return ps_fail(p, "expected ',' or '}' in the record");
		size_t epos = p->pos;
		struct dhall_str l;
		if (!ps_label(p, &l, 2) || ps_ws(p) < 0 || !record_field(p, epos, l, is_type))
			return NULL;
	}
	p->pos++;
	return ps_record_node(p, pos, lbase, ebase, is_type);
}

/* Duplicate fields of the record literal r combined with ∧ (in place);
 * false on no memory. */
static __attribute__((noinline)) bool record_literal_dups(struct ps *p, struct dhall_expr *r)
{
	bool dup = false;
	if (!has_duplicates(p, r->labels, r->n, &dup))
		return false;
	return !dup || record_duplicates(p, r);
}

struct dhall_expr *ps_record_node(struct ps *p, size_t pos, size_t lbase, size_t ebase,
				  bool is_type)
{
	struct dhall_expr *r = ps_node(p, is_type ? DHALL_RECORD_TYPE : DHALL_RECORD, pos);
	if (!r)
		return NULL;
	r->n = p->labels.n - lbase;
	if (r->n == 1) { /* kept in the node */
		const struct dhall_str *l = (struct dhall_str *)p->labels.v + lbase;
		ps_one_label(r, l->s, l->len);
		ps_one_item(r, ((struct dhall_expr **)p->exprs.v)[ebase]);
		p->labels.n = lbase;
		p->exprs.n = ebase;
		return r;
	}
	if (!(r->labels = ps_take_labels(p, lbase)) || !(r->items = ps_take_exprs(p, ebase)))
		return NULL;
	/* duplicate fields of a record literal are combined with ∧; those of a
	 * record type are kept: rejecting them is the type checker's job */
	if (!is_type && r->n > 1 && !record_literal_dups(p, r))
		return NULL;
	return r;
}

static struct dhall_expr *record(struct ps *p)
{
	size_t pos = p->pos, lbase = p->labels.n, ebase = p->exprs.n;
	p->pos++;
	if (ps_ws(p) < 0)
		return NULL;
	if (skip_sep(p, ',') < 0)
		return NULL;
	if (ps_peek(p, 0) == '}') { /* {} */
		p->pos++;
		return ps_node(p, DHALL_RECORD_TYPE, pos);
	}
	if (ps_peek(p, 0) == '=') { /* {=} */
		p->pos++;
		if (ps_ws(p) < 0)
			return NULL;
		if (skip_sep(p, ',') < 0)
			return NULL;
		if (ps_peek(p, 0) != '}')
			return ps_fail(p, "expected '}' after '{='");
		p->pos++;
		return ps_node(p, DHALL_RECORD, pos);
	}
	/* Decide type or literal from the first entry: label then ':' */
	size_t epos = p->pos;
	struct dhall_str l;
	if (!ps_label(p, &l, 2) || ps_ws(p) < 0)
		return NULL;
	bool is_type = ps_peek(p, 0) == ':';
	if (!record_field(p, epos, l, is_type))
		return NULL;
	return ps_record_rest(p, pos, lbase, ebase, is_type);
}

static struct dhall_expr *union_type(struct ps *p)
{
	size_t pos = p->pos, lbase = p->labels.n, ebase = p->exprs.n;
	p->pos++;
	if (ps_ws(p) < 0)
		return NULL;
	if (skip_sep(p, '|') < 0)
		return NULL;
	while (ps_peek(p, 0) != '>') {
		struct dhall_str l;
		struct dhall_expr *t = NULL;
		if (!ps_label(p, &l, 2))
			return NULL;
		size_t save = p->pos;
		if (ps_ws(p) < 0)
			return NULL;
		if (ps_peek(p, 0) == ':') {
			p->pos++;
			if (!ps_ws1(p) || !(t = ps_expression(p)))
				return NULL;
		} else {
			p->pos = save;
		}
		if (ps_push_label(p, &l) || ps_push_expr(p, t) || ps_ws(p) < 0)
			return NULL;
		int sep = skip_sep(p, '|');
		if (sep < 0)
			return NULL;
		if (!sep && ps_peek(p, 0) != '>')
			return ps_fail(p, "expected '|' or '>' in the union type");
	}
	p->pos++;
	struct dhall_expr *u = ps_node(p, DHALL_UNION, pos);
	if (!u)
		return NULL;
	u->n = p->labels.n - lbase;
	if (!(u->labels = ps_take_labels(p, lbase)) || !(u->items = ps_take_exprs(p, ebase)))
		return NULL;
	/* duplicate alternatives are the type checker's to reject */
	return u;
}

struct dhall_expr *ps_list_rest(struct ps *p, size_t pos, size_t ebase)
{
	for (;;) {
		if (ps_ws(p) < 0)
			return NULL;
		int sep = skip_sep(p, ',');
		if (sep < 0)
			return NULL;
		if (ps_peek(p, 0) == ']')
			break;
		if (!sep)
			return ps_fail(p, "expected ',' or ']' in the list");
		struct dhall_expr *e = ps_expression(p);
		if (!e || ps_push_expr(p, e))
			return NULL;
	}
	p->pos++;
	return ps_list_node(p, pos, ebase);
}

struct dhall_expr *ps_list_node(struct ps *p, size_t pos, size_t ebase)
{
	struct dhall_expr *l = ps_node(p, DHALL_LIST, pos);
	if (!l)
		return NULL;
	l->n = p->exprs.n - ebase;
	if (l->n == 1) { /* kept in the node */
		ps_one_item(l, ((struct dhall_expr **)p->exprs.v)[ebase]);
		p->exprs.n = ebase;
		return l;
	}
	if (!(l->items = ps_take_exprs(p, ebase)))
		return NULL;
	return l;
}

/* [ e, … ] (non-empty; `[] : T` is handled in ps_expression) */
static struct dhall_expr *list(struct ps *p)
{
	size_t pos = p->pos, ebase = p->exprs.n;
	p->pos++;
	if (ps_ws(p) < 0)
		return NULL;
	if (skip_sep(p, ',') < 0)
		return NULL;
	if (ps_peek(p, 0) == ']')
		return ps_fail_at(p, pos, "an empty list needs a type: write [] : List T");
	struct dhall_expr *e = ps_expression(p);
	if (!e || ps_push_expr(p, e))
		return NULL;
	return ps_list_rest(p, pos, ebase);
}

/* ---------------------------------------------------------------- primitives */

static struct dhall_expr *identifier(struct ps *p)
{
	size_t pos = p->pos;
	if (ps_peek(p, 0) != '`') {
		size_t n;
		const char *s = p->src + p->pos;
		enum ps_kw kw = ps_word(p, &n);
		if (kw == KW_INFINITY || kw == KW_NAN) {
			struct dhall_expr *d = ps_node(p, DHALL_DOUBLE, pos);
			if (!d)
				return NULL;
			d->u.dbl = kw == KW_NAN ? NAN : INFINITY;
			p->pos += n;
			return d;
		}
		if (kw != KW_NONE)
			return ps_fail(p, "unexpected keyword '%.*s'", (int)n, s);
		if ((n == 4 && memcmp(s, "True", 4) == 0) || (n == 5 && memcmp(s, "False", 5) == 0)) {
			struct dhall_expr *b = ps_node(p, DHALL_BOOL, pos);
			if (!b)
				return NULL;
			b->op = n == 4;
			p->pos += n;
			return b;
		}
		/* builtins all start with a capital letter */
		int bi = *s >= 'A' && *s <= 'Z' ? dhall_builtin_lookup(s, n) : -1;
		if (bi >= 0) {
			struct dhall_expr *b = ps_node(p, DHALL_BUILTIN, pos);
			if (!b)
				return NULL;
			b->op = (uint8_t)bi;
			p->pos += n;
			return b;
		}
	}
	struct dhall_expr *v = ps_node(p, DHALL_VAR, pos);
	if (!v || !ps_label(p, &v->label, 0))
		return NULL;
	size_t save = p->pos;
	if (ps_ws(p) < 0)
		return NULL;
	int at = skip_sep(p, '@');
	if (at < 0)
		return NULL;
	if (at) {
		if (!ps_is_digit(ps_peek(p, 0)))
			return ps_fail(p, "expected a number after '@'");
		struct dhall_expr *n = ps_number(p);
		if (!n)
			return NULL;
		if (n->kind != DHALL_NATURAL)
			return ps_fail_at(p, n->pos, "a variable index must be a natural number");
		if (n->u.num.big)
			return ps_fail_at(p, n->pos, "variable index too large");
		v->index = n->u.num.small;
	} else {
		p->pos = save;
	}
	return v;
}

static struct dhall_expr *primitive(struct ps *p)
{
	int c = ps_peek(p, 0);
	switch (c) {
	case '(': {
		p->pos++;
		if (ps_ws(p) < 0)
			return NULL;
		struct dhall_expr *e = ps_expression(p);
		if (!e || ps_ws(p) < 0)
			return NULL;
		if (ps_peek(p, 0) != ')')
			return ps_fail(p, "expected ')'");
		p->pos++;
		p->bare_kw = NULL;
		p->lone_ie = NULL;
		return e;
	}
	case '{':
		return record(p);
	case '<':
		return union_type(p);
	case '[':
		return list(p);
	case '"':
	case '\'':
		if (c == '\'' && ps_peek(p, 1) != '\'')
			break;
		return ps_text(p);
	case '0':
		if (ps_peek(p, 1) == 'x' && ps_peek(p, 2) == '"')
			return ps_bytes(p);
		return ps_number(p);
	case '-':
		if (ps_at_kw(p, "-Infinity")) {
			struct dhall_expr *d = ps_node(p, DHALL_DOUBLE, p->pos);
			if (!d)
				return NULL;
			d->u.dbl = -INFINITY;
			p->pos += 9;
			return d;
		}
		/* fall through */
	case '+':
	case '1': case '2': case '3': case '4': case '5': case '6': case '7': case '8': case '9': {
		struct dhall_expr *e = ps_number(p);
		if (!e && !p->rc)
			return ps_fail(p, "expected an expression");
		return e;
	}
	default:
		if (ps_is_label_first(c) || c == '`')
			return identifier(p);
	}
	if (c < 0)
		return ps_fail(p, "unexpected end of input: expected an expression");
	return ps_fail(p, "expected an expression");
}

/* ---------------------------------------------------------------- expression */

/* λ(x : A) → b and ∀(x : A) → B, after the λ/∀/forall token. */
static struct dhall_expr *binder(struct ps *p, enum dhall_kind kind, size_t pos)
{
	if (ps_ws(p) < 0)
		return NULL;
	if (ps_peek(p, 0) != '(')
		return ps_fail(p, "expected '(' after %s", kind == DHALL_LAMBDA ? "λ" : "∀");
	p->pos++;
	struct dhall_expr *e = ps_node(p, kind, pos);
	if (!e || ps_ws(p) < 0 || !ps_label(p, &e->label, 1) || ps_ws(p) < 0)
		return NULL;
	if (ps_peek(p, 0) != ':')
		return ps_fail(p, "expected ':' after the bound variable");
	p->pos++;
	if (!ps_ws1(p) || !(e->a = ps_expression(p)) || ps_ws(p) < 0)
		return NULL;
	if (ps_peek(p, 0) != ')')
		return ps_fail(p, "expected ')'");
	p->pos++;
	size_t len;
	if (ps_ws(p) < 0)
		return NULL;
	if (!at_arrow(p, &len))
		return ps_fail(p, "expected '→' or '->'");
	p->pos += len;
	if (ps_ws(p) < 0 || !(e->b = ps_expression(p)))
		return NULL;
	return e;
}

static struct dhall_expr *let_expression(struct ps *p)
{
	struct dhall_expr *first = NULL, **link = &first;
	while (ps_at_kw(p, "let")) {
		struct dhall_expr *l = ps_node(p, DHALL_LET, p->pos);
		p->pos += 3;
		if (!l || !ps_ws1(p) || !ps_label(p, &l->label, 1) || ps_ws(p) < 0)
			return NULL;
		if (ps_peek(p, 0) == ':') {
			p->pos++;
			if (!ps_ws1(p) || !(l->c = ps_expression(p)) || ps_ws(p) < 0)
				return NULL;
		}
		if (ps_peek(p, 0) != '=')
			return ps_fail(p, "expected '=' in the let binding");
		p->pos++;
		if (ps_ws(p) < 0 || !(l->a = ps_expression(p)) || !ps_ws1(p))
			return NULL;
		*link = l;
		link = &l->b;
	}
	if (!ps_at_kw(p, "in"))
		return ps_fail(p, "expected 'in' or another 'let'");
	p->pos += 2;
	if (!ps_ws1(p) || !(*link = ps_expression(p)))
		return NULL;
	return first;
}

static struct dhall_expr *if_expression(struct ps *p, size_t pos)
{
	struct dhall_expr *e = ps_node(p, DHALL_IF, pos);
	p->pos += 2;
	if (!e || !ps_ws1(p) || !(e->a = ps_expression(p)) || ps_ws(p) < 0)
		return NULL;
	if (!ps_at_kw(p, "then"))
		return ps_fail(p, "expected 'then'");
	p->pos += 4;
	if (!ps_ws1(p) || !(e->b = ps_expression(p)) || ps_ws(p) < 0)
		return NULL;
	if (!ps_at_kw(p, "else"))
		return ps_fail(p, "expected 'else'");
	p->pos += 4;
	if (!ps_ws1(p) || !(e->c = ps_expression(p)))
		return NULL;
	return e;
}

/* e with a.b = v with … */
static struct dhall_expr *with_clauses(struct ps *p, struct dhall_expr *e)
{
	for (;;) {
		size_t save = p->pos;
		long w = ps_ws(p);
		if (w < 0)
			return NULL;
		if (w == 0 || !ps_at_kw(p, "with")) {
			p->pos = save;
			return e;
		}
		struct dhall_expr *n = ps_node(p, DHALL_WITH, p->pos);
		p->pos += 4;
		if (!n || !ps_ws1(p))
			return NULL;
		size_t lbase = p->labels.n;
		for (;;) {
			struct dhall_str l;
			if (ps_peek(p, 0) == '?') {
				size_t i = p->labels.n - lbase;
				if (i < 64)
					n->with_opt |= (uint64_t)1 << i;
				else
					return ps_fail(p, "too many components in the with path");
				l.s = "?";
				l.len = 1;
				p->pos++;
			} else if (!ps_label(p, &l, 2)) {
				return NULL;
			}
			if (ps_push_label(p, &l) || ps_ws(p) < 0)
				return NULL;
			if (ps_peek(p, 0) != '.')
				break;
			p->pos++;
			if (ps_ws(p) < 0)
				return NULL;
		}
		if (ps_peek(p, 0) != '=')
			return ps_fail(p, "expected '=' in the with clause");
		p->pos++;
		if (ps_ws(p) < 0)
			return NULL;
		n->a = e;
		n->n = p->labels.n - lbase;
		if (!(n->labels = ps_take(p, &p->labels, lbase)))
			return NULL;
		if (!ps_enter(p))
			return NULL;
		p->depth++;
		n->b = operators(p, 0, NULL);
		p->depth--;
		if (!n->b)
			return NULL;
		e = n;
	}
}

/* `[] : T` (also `[ , ] : T`) at the start of an expression? */
static bool at_empty_list(const struct ps *p)
{
	size_t i = p->pos + 1;
	/* the usual cases, "[]" and "[ x", without the copy below */
	while (i < p->len && p->src[i] == ' ')
		i++;
	if (i < p->len) {
		char c = p->src[i], c1 = i + 1 < p->len ? p->src[i + 1] : 0;
		if (c == ']')
			return true;
		if (c != ',' && c != '\t' && c != '\n' && c != '\r' &&
		    !((c == '-' || c == '{') && c1 == '-'))
			return false;
	}
	i = p->pos + 1;
	struct ps q = *p;
	q.pos = i;
	q.rc = 1; /* a lookahead: never records errors */
	if (ps_ws(&q) < 0)
		return false;
	if (ps_peek(&q, 0) == ',') {
		q.pos++;
		if (ps_ws(&q) < 0)
			return false;
	}
	return ps_peek(&q, 0) == ']';
}

/* What the byte after a primitive tells (leaf_done): 1 a delimiter ends
 * the expression there, 2 it does unless the byte is doubled (| and =, not
 * || and ==), 3 a word (in, then, else end it); 0 more follows. */
static const uint8_t delim_first[256] = {
	[','] = 1, ['}'] = 1, [']'] = 1, [')'] = 1, ['>'] = 1, ['|'] = 2, ['='] = 2,
	['A' ... 'Z'] = 3, ['a' ... 'z'] = 3, ['_'] = 3,
};

/* After a primitive: is it the whole expression, followed by a delimiter
 * (`,` `}` `]` `)` `>`, `|`, `=`, `in`, `then`, `else`, the end)? 1 when
 * it is, 0 when not, -1 on a malformed comment. The cursor stays. */
static int leaf_done(struct ps *p)
{
	size_t save = p->pos, wlen;
	if (ps_ws(p) < 0)
		return -1;
	int d = ps_peek(p, 0);
	bool done;
	switch (d < 0 ? 1 : delim_first[d]) {
	case 1:
		done = true;
		break;
	case 2: /* | and = but not || and == */
		done = ps_peek(p, 1) != d;
		break;
	case 3: {
		enum ps_kw k = ps_word(p, &wlen);
		done = k == KW_IN || k == KW_THEN || k == KW_ELSE;
		break;
	}
	default:
		done = false;
	}
	p->pos = save;
	return done;
}

/* The expression from its first operand on (first: the primitive already
 * parsed at pos, or NULL): operators, application, `with`, `->`, `:`. */
static __attribute__((noinline)) struct dhall_expr *expression_rest(struct ps *p, size_t pos,
								  struct dhall_expr *first)
{
	size_t len;
	p->bare_kw = NULL;
	p->lone_ie = NULL;
	struct dhall_expr *e = operators(p, 0, first);
	if (!e)
		return NULL;
	if (e == p->lone_ie) {
		size_t save = p->pos;
		long w = ps_ws(p);
		if (w < 0)
			return NULL;
		bool with = w > 0 && ps_at_kw(p, "with");
		p->pos = save;
		if (with)
			return with_clauses(p, e);
	}
	struct dhall_expr *bare = p->bare_kw == e ? e : NULL;
	size_t save = p->pos;
	if (ps_ws(p) < 0)
		return NULL;
	if (at_arrow(p, &len)) {
		p->pos += len;
		struct dhall_expr *pi = ps_node(p, DHALL_PI, pos);
		if (!pi || ps_ws(p) < 0 || !(pi->b = ps_expression(p)))
			return NULL;
		pi->label.s = "_";
		pi->label.len = 1;
		pi->a = e;
		return pi;
	}
	if (ps_peek(p, 0) == ':' && ps_peek(p, 1) != ':') {
		p->pos++;
		if (!ps_ws1(p))
			return NULL;
		struct dhall_expr *t = ps_expression(p);
		if (!t)
			return NULL;
		if (bare) { /* merge a b : T, toMap a : T */
			bare->c = t;
			return bare;
		}
		struct dhall_expr *a = ps_node(p, DHALL_ANNOT, pos);
		if (!a)
			return NULL;
		a->a = e;
		a->b = t;
		return a;
	}
	p->pos = save;
	return e;
}

/* Every expression that does not start with a plain primitive: keywords,
 * binders, `[] : T`, imports, identifiers. */
static __attribute__((noinline)) struct dhall_expr *expression_other(struct ps *p)
{
	size_t pos = p->pos;
	int c = ps_peek(p, 0);
	size_t wlen;
	struct dhall_expr *first = NULL;
	enum ps_kw kw = ps_word(p, &wlen);
	if (c == '\\' || ps_at(p, "\xce\xbb", 2)) {
		p->pos += c == '\\' ? 1 : 2;
		return binder(p, DHALL_LAMBDA, pos);
	}
	if (ps_at(p, "\xe2\x88\x80", 3) || kw == KW_FORALL) {
		p->pos += 3 + 3 * (c == 'f');
		return binder(p, DHALL_PI, pos);
	}
	if (kw == KW_IF)
		return if_expression(p, pos);
	if (kw == KW_LET)
		return let_expression(p);
	if (kw == KW_ASSERT) {
		struct dhall_expr *e = ps_node(p, DHALL_ASSERT, pos);
		p->pos += 6;
		if (!e || ps_ws(p) < 0)
			return NULL;
		if (ps_peek(p, 0) != ':')
			return ps_fail(p, "expected ':' after assert");
		p->pos++;
		if (!ps_ws1(p) || !(e->a = ps_expression(p)))
			return NULL;
		return e;
	}
	if (c == '[' && at_empty_list(p)) {
		while (ps_peek(p, 0) != ']')
			p->pos++;
		p->pos++;
		if (ps_ws(p) < 0)
			return NULL;
		if (ps_peek(p, 0) != ':' || ps_peek(p, 1) == ':')
			return ps_fail_at(p, pos, "an empty list needs a type: write [] : List T");
		p->pos++;
		struct dhall_expr *e = ps_node(p, DHALL_LIST, pos);
		if (!e || !ps_ws1(p) || !(e->a = ps_expression(p)))
			return NULL;
		return e;
	}
	if (kw == KW_NONE && at_argument(p) && !ps_at_import(p)) {
		if (!(first = primitive(p)))
			return NULL;
		int d = leaf_done(p);
		if (d < 0)
			return NULL;
		if (d)
			return first;
	}
	return expression_rest(p, pos, first);
}

struct dhall_expr *ps_expression_from(struct ps *p, size_t pos, struct dhall_expr *first)
{
	int d = leaf_done(p);
	if (d < 0)
		return NULL;
	if (d)
		return first;
	return expression_rest(p, pos, first);
}

/* The shape of ps_expression: a plain primitive (record, list, text,
 * number) that a delimiter follows is the whole expression, and the
 * commonest by far; everything else is handed to the functions above. */
static inline struct dhall_expr *expression(struct ps *p)
{
	size_t pos = p->pos;
	struct dhall_expr *first;
	switch (ps_peek(p, 0)) {
	case '{':
		if (!(first = ps_fast_record(p)) && (p->rc || !(first = record(p))))
			return NULL;
		break;
	case '[':
		if (!(first = ps_fast_list(p))) /* not taken: `[] : T`, comments, … */
			return p->rc ? NULL : expression_other(p);
		break;
	case '"':
	case '0': case '1': case '2': case '3': case '4':
	case '5': case '6': case '7': case '8': case '9':
		if (!(first = primitive(p)))
			return NULL;
		break;
	default:
		return expression_other(p);
	}
	/* the delimiter right there (or after one space): done */
	const char *s = p->src + p->pos;
	size_t left = p->len - p->pos;
	if (left && *s == ' ')
		s++, left--;
	if (left && (*s == ',' || *s == '}' || *s == ']'))
		return first;
	int d = leaf_done(p);
	if (d < 0)
		return NULL;
	if (d)
		return first;
	return expression_rest(p, pos, first);
}

struct dhall_expr *ps_expression(struct ps *p)
{
	if (!ps_enter(p))
		return NULL;
	p->depth++;
	struct dhall_expr *e = expression(p);
	p->depth--;
	return e;
}

/* ---------------------------------------------------------------- entry */

struct parse_job {
	struct ps *p;
	struct dhall_expr *out;
};

static int parse_main(void *arg, uintptr_t floor)
{
	struct parse_job *job = arg;
	struct ps *p = job->p;
	/* a retry starts from a clean state (the arena keeps the first
	 * attempt's nodes: wasted, not wrong) */
	p->pos = p->ws_from = p->ws_to = 0;
	p->rc = 0;
	p->depth = 0;
	p->exprs.n = p->labels.n = p->bytes.n = 0;
	p->word_kw = -1;
	p->bare_kw = p->lone_ie = NULL;
	p->stack_floor = floor;
	/* p->err needs no reset: dhall_parse cleared it, and an attempt that
	 * ran out of stack wrote nothing there (errors are recorded only while
	 * p->rc is 0, and DHALL_ESTACK sets it first) */
	if (!ps_check_chars(p))
		return p->rc;
	while (ps_at(p, "#!", 2)) { /* shebang lines */
		while (p->pos < p->len && p->src[p->pos] != '\n')
			p->pos++;
		if (p->pos >= p->len)
			return ps_fail(p, "a shebang line must end with a line break"), p->rc;
		p->pos++;
	}
	if (ps_ws(p) < 0)
		return p->rc;
	struct dhall_expr *e = ps_expression(p);
	if (!e)
		return p->rc ? p->rc : DHALL_ESYNTAX;
	if (ps_ws(p) < 0)
		return p->rc;
	if (p->pos < p->len) {
		ps_fail(p, "unexpected '%.*s' after the expression", ps_peek(p, 0) >= 0x80 ? 3 : 1,
			p->src + p->pos);
		return p->rc;
	}
	job->out = e;
	return 0;
}

int dhall_parse(struct dhall_arena *arena, const char *src, size_t len, const char *name,
		struct dhall_expr **out, struct dhall_err *err)
{
	/* the stacks start in these (most files need no more), then move to
	 * the heap */
	struct dhall_expr *exprs0[128];
	struct dhall_str labels0[64];
	char bytes0[256];
	struct ps p = {
		.arena = arena,
		.src = src,
		.len = len,
		.name = name ? name : "-",
		.err = err,
		.exprs = {exprs0, 0, 128, sizeof(struct dhall_expr *), exprs0},
		.labels = {labels0, 0, 64, sizeof(struct dhall_str), labels0},
		.bytes = {bytes0, 0, sizeof bytes0, 1, bytes0},
		.word_kw = -1,
	};
	struct parse_job job = {&p, NULL};
	if (err)
		dhall_err_clear(err);
	int rc = dhall_run_guarded(parse_main, &job);
	if (p.exprs.v != p.exprs.fixed)
		free(p.exprs.v);
	if (p.labels.v != p.labels.fixed)
		free(p.labels.v);
	if (p.bytes.v != p.bytes.fixed)
		free(p.bytes.v);
	if (rc == DHALL_ENOMEM && err && !err->msg[0])
		snprintf(err->msg, sizeof err->msg, "out of memory");
	if (rc)
		return rc;
	*out = job.out;
	return 0;
}
