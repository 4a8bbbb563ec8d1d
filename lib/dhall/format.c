/*
 * format.c — prints a tree back as Dhall source (dhall_format), in one
 * canonical, stable layout: parse(format(e)) encodes exactly as e does, and
 * format(parse(format(e))) == format(e).
 *
 * Precedence follows the order of the rules in standard/dhall.abnf, lowest
 * first (the level a node needs at its position is `prec`; a node below it
 * is parenthesized):
 *
 *   L_EXPR   λ, ∀, →, let, if, `:`, with, assert, `[] : T`, merge/toMap `: T`
 *   1..13    ≡  ?  ||  +  ++  #  &&  ∧  ⫽  ⩓  *  ==  !=   (left-associative)
 *   L_APP    application, Some, merge, toMap, showConstructor
 *   L_IMPORT imports, `a::b`
 *   L_SEL    a.x, a.{ x }, a.(T)
 *   L_PRIM   literals, variables, records, unions, lists, ( … )
 *
 * Spellings are Unicode (λ → ∀ ∧ ⫽ ⩓ ≡), like dhall-haskell's default.
 * Labels are quoted with backticks when they are not simple labels, or are
 * keywords or builtin names (always valid, so the output never depends on
 * where a reserved word is allowed bare). Text is printed as "…" with
 * escapes and ${…}; doubles in the shortest form that reads back exactly.
 *
 * Layout: a record, union or list goes on one line when it fits in 80
 * columns, else one entry per line with the separator first ("{ a = 1\n,
 * b = 2\n}"); let bindings go one per line, separated by a blank line, then
 * "in  body". Whether a container fits is found by printing it flat into the
 * output with a character budget and cutting it off (struct fmt's limit), so
 * the check costs at most ~80 characters of printing per container.
 *
 * Depth counts against DHALL_MAX_DEPTH and the walk runs on dhall_run_deep's
 * big stack.
 */
#include "print_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "banned.h"

#define WIDTH 80
#define OVERFLOW 1 /* internal: the flat rendering passed its budget */

enum {
	L_EXPR = 0,
	L_OP_MIN = 1,
	L_APP = 14,
	L_IMPORT = 15,
	L_SEL = 16,
	L_PRIM = 17,
};

struct fmt {
	struct dhall_buf *out;
	const struct dhall_expr *root;
	unsigned indent; /* column of the current block */
	int flat;        /* 1: never break lines */
	size_t limit;    /* flat: stop once out->len passes this (0: none) */
};

/* ---------------------------------------------------------------- numbers */

int dhall_print_num(struct dhall_buf *out, const struct dhall_num *n)
{
	if (!n->big)
		return dhall_buf_put_u64(out, n->small);
	/* base 10^9 limbs, least significant first */
	size_t cap = n->big_len * 10 / 37 + 2, used = 0;
	uint32_t *limb = malloc(cap * sizeof *limb);
	int rc = 0;
	if (!limb)
		return DHALL_ENOMEM;
	for (size_t i = 0; i < n->big_len; i++) {
		uint64_t carry = n->big[i];
		for (size_t j = 0; j < used; j++) {
			uint64_t v = (uint64_t)limb[j] * 256 + carry;
			limb[j] = (uint32_t)(v % 1000000000u);
			carry = v / 1000000000u;
		}
		while (carry) {
			limb[used++] = (uint32_t)(carry % 1000000000u);
			carry /= 1000000000u;
		}
	}
	if (used == 0)
		rc = dhall_buf_putc(out, '0');
	else
		rc = dhall_buf_printf(out, "%u", limb[used - 1]);
	for (size_t j = used - 1; !rc && j-- > 0;)
		rc = dhall_buf_printf(out, "%09u", limb[j]);
	free(limb);
	return rc;
}

int dhall_print_double(struct dhall_buf *out, double d)
{
	char tmp[40];
	for (int prec = 1; prec <= 17; prec++) {
		snprintf(tmp, sizeof tmp, "%.*g", prec, d);
		if (strtod(tmp, NULL) == d)
			break;
	}
	if (!strpbrk(tmp, ".e"))
		return dhall_buf_printf(out, "%s.0", tmp);
	return dhall_buf_puts(out, tmp);
}

/* ---------------------------------------------------------------- output */

static int put(struct fmt *f, const char *s)
{
	if (dhall_buf_puts(f->out, s))
		return DHALL_ENOMEM;
	return f->limit && f->out->len > f->limit ? OVERFLOW : 0;
}

static int putn(struct fmt *f, const char *s, size_t n)
{
	if (dhall_buf_put(f->out, s, n))
		return DHALL_ENOMEM;
	return f->limit && f->out->len > f->limit ? OVERFLOW : 0;
}

static int newline(struct fmt *f)
{
	if (f->flat)
		return put(f, " ");
	if (dhall_buf_putc(f->out, '\n'))
		return DHALL_ENOMEM;
	for (unsigned i = 0; i < f->indent; i++)
		if (dhall_buf_putc(f->out, ' '))
			return DHALL_ENOMEM;
	return 0;
}

static unsigned column(const struct fmt *f)
{
	unsigned col = 0;
	for (size_t i = f->out->len; i-- > 0;) {
		uint8_t c = f->out->data[i];
		if (c == '\n')
			break;
		if ((c & 0xc0) != 0x80)
			col++;
	}
	return col;
}

/* ---------------------------------------------------------------- labels */

static const char *const reserved[] = {
	"if", "then", "else", "let", "in", "using", "missing", "assert", "as", "Infinity", "NaN",
	"merge", "Some", "toMap", "forall", "with", "showConstructor", "True", "False", "Location",
};

static int needs_quotes(const struct dhall_str *l)
{
	if (l->len == 0)
		return 1;
	char c = l->s[0];
	if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_'))
		return 1;
	for (size_t i = 1; i < l->len; i++) {
		c = l->s[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '/' || c == '_'))
			return 1;
	}
	for (size_t i = 0; i < sizeof reserved / sizeof reserved[0]; i++)
		if (strlen(reserved[i]) == l->len && memcmp(reserved[i], l->s, l->len) == 0)
			return 1;
	return dhall_builtin_lookup(l->s, l->len) >= 0;
}

static int put_label(struct fmt *f, const struct dhall_str *l)
{
	if (!needs_quotes(l))
		return putn(f, l->s, l->len);
	DHALL_TRY(put(f, "`"));
	DHALL_TRY(putn(f, l->s, l->len));
	return put(f, "`");
}

/* ---------------------------------------------------------------- literals */

static int put_text_chunk(struct fmt *f, const struct dhall_str *s)
{
	size_t run = 0;
	for (size_t i = 0; i < s->len; i++) {
		unsigned char c = (unsigned char)s->s[i];
		const char *esc = NULL;
		char u[8];
		switch (c) {
		case '"': esc = "\\\""; break;
		case '\\': esc = "\\\\"; break;
		case '$': esc = "\\$"; break;
		case '\b': esc = "\\b"; break;
		case '\f': esc = "\\f"; break;
		case '\n': esc = "\\n"; break;
		case '\r': esc = "\\r"; break;
		case '\t': esc = "\\t"; break;
		default:
			if (c < 0x20) {
				snprintf(u, sizeof u, "\\u%04X", c);
				esc = u;
			}
		}
		if (!esc)
			continue;
		DHALL_TRY(putn(f, s->s + run, i - run));
		DHALL_TRY(put(f, esc));
		run = i + 1;
	}
	return putn(f, s->s + run, s->len - run);
}

static int put_time(struct fmt *f, const struct dhall_time *t)
{
	/* seconds = mantissa * 10^-exp: the mantissa's digits, padded with
	 * zeros to at least exp + 2, with the point before the last exp */
	struct dhall_buf d = {0};
	size_t want = (size_t)t->sec_exp + 2;
	int rc = dhall_print_num(&d, &t->sec_mantissa);
	if (!rc && d.len < want) {
		size_t pad = want - d.len;
		rc = dhall_buf_reserve(&d, pad);
		if (!rc) {
			memmove(d.data + pad, d.data, d.len);
			memset(d.data, '0', pad);
			d.len += pad;
		}
	}
	if (!rc)
		rc = dhall_buf_printf(f->out, "%02u:%02u:", t->hour, t->minute);
	if (!rc)
		rc = dhall_buf_put(f->out, d.data, d.len - t->sec_exp);
	if (!rc && t->sec_exp) {
		rc = dhall_buf_putc(f->out, '.');
		if (!rc)
			rc = dhall_buf_put(f->out, d.data + d.len - t->sec_exp, t->sec_exp);
	}
	dhall_buf_free(&d);
	return rc;
}

static int put_path_component(struct fmt *f, const struct dhall_str *c)
{
	int plain = c->len > 0;
	for (size_t i = 0; i < c->len && plain; i++) {
		/* the grammar's path-character (not ? nor the brackets, …) */
		plain = dhall_is_path_char((unsigned char)c->s[i]);
	}
	if (plain)
		return putn(f, c->s, c->len);
	DHALL_TRY(put(f, "\""));
	DHALL_TRY(putn(f, c->s, c->len));
	return put(f, "\"");
}

static int put_env(struct fmt *f, const struct dhall_str *v)
{
	int bash = v->len > 0 && !(v->s[0] >= '0' && v->s[0] <= '9');
	for (size_t i = 0; i < v->len && bash; i++) {
		char c = v->s[i];
		bash = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		       c == '_';
	}
	DHALL_TRY(put(f, "env:"));
	if (bash)
		return putn(f, v->s, v->len);
	DHALL_TRY(put(f, "\""));
	for (size_t i = 0; i < v->len; i++) {
		const char *esc = NULL;
		switch (v->s[i]) {
		case '"': esc = "\\\""; break;
		case '\\': esc = "\\\\"; break;
		case '\a': esc = "\\a"; break;
		case '\b': esc = "\\b"; break;
		case '\f': esc = "\\f"; break;
		case '\n': esc = "\\n"; break;
		case '\r': esc = "\\r"; break;
		case '\t': esc = "\\t"; break;
		case '\v': esc = "\\v"; break;
		}
		DHALL_TRY(esc ? put(f, esc) : putn(f, v->s + i, 1));
	}
	return put(f, "\"");
}

static int fmt_expr(struct fmt *f, const struct dhall_expr *e, int prec, unsigned depth);
static int fmt_body(struct fmt *f, const struct dhall_expr *e, unsigned depth);

static int put_import(struct fmt *f, const struct dhall_import *im, unsigned depth)
{
	static const char *const prefix[] = {"http://", "https://", "/", "./", "../", "~/"};
	switch (im->type) {
	case DHALL_IMPORT_HTTP:
	case DHALL_IMPORT_HTTPS:
		DHALL_TRY(put(f, prefix[im->type]));
		DHALL_TRY(putn(f, im->authority.s, im->authority.len));
		for (size_t i = 0; i < im->npath; i++) {
			DHALL_TRY(put(f, "/"));
			DHALL_TRY(putn(f, im->path[i].s, im->path[i].len));
		}
		if (im->has_query) {
			DHALL_TRY(put(f, "?"));
			DHALL_TRY(putn(f, im->query.s, im->query.len));
		}
		if (im->headers) {
			DHALL_TRY(put(f, " using "));
			DHALL_TRY(fmt_expr(f, im->headers, L_IMPORT, depth));
		}
		break;
	case DHALL_IMPORT_ABSOLUTE:
	case DHALL_IMPORT_HERE:
	case DHALL_IMPORT_PARENT:
	case DHALL_IMPORT_HOME:
		DHALL_TRY(put(f, prefix[im->type]));
		for (size_t i = 0; i < im->npath; i++) {
			if (i)
				DHALL_TRY(put(f, "/"));
			DHALL_TRY(put_path_component(f, &im->path[i]));
		}
		break;
	case DHALL_IMPORT_ENV:
		DHALL_TRY(put_env(f, &im->env));
		break;
	default:
		DHALL_TRY(put(f, "missing"));
		break;
	}
	if (im->hash) {
		DHALL_TRY(put(f, " sha256:"));
		for (int i = 0; i < 32; i++) {
			char h[3];
			snprintf(h, sizeof h, "%02x", im->hash[i]);
			DHALL_TRY(put(f, h));
		}
	}
	static const char *const as[] = {"", " as Text", " as Location", " as Bytes"};
	if (im->mode <= DHALL_AS_BYTES)
		DHALL_TRY(put(f, as[im->mode]));
	return 0;
}

/* ---------------------------------------------------------------- expressions */

static int op_level(unsigned op)
{
	static const signed char level[DHALL_OP_COUNT] = {
		[DHALL_OP_EQUIV] = 1, [DHALL_OP_ALT] = 2,    [DHALL_OP_OR] = 3,
		[DHALL_OP_PLUS] = 4,  [DHALL_OP_TEXT_APPEND] = 5, [DHALL_OP_LIST_APPEND] = 6,
		[DHALL_OP_AND] = 7,   [DHALL_OP_COMBINE] = 8, [DHALL_OP_PREFER] = 9,
		[DHALL_OP_COMBINE_TYPES] = 10, [DHALL_OP_TIMES] = 11, [DHALL_OP_EQ] = 12,
		[DHALL_OP_NE] = 13,   [DHALL_OP_COMPLETE] = L_IMPORT,
	};
	return op < DHALL_OP_COUNT ? level[op] : L_PRIM;
}

static const char *op_spelling(unsigned op)
{
	switch (op) {
	case DHALL_OP_COMBINE: return "∧";
	case DHALL_OP_PREFER: return "⫽";
	case DHALL_OP_COMBINE_TYPES: return "⩓";
	case DHALL_OP_EQUIV: return "≡";
	default: return dhall_op_name(op);
	}
}

static int level_of(const struct dhall_expr *e)
{
	switch (e->kind) {
	case DHALL_LAMBDA:
	case DHALL_PI:
	case DHALL_LET:
	case DHALL_ANNOT:
	case DHALL_IF:
	case DHALL_WITH:
	case DHALL_ASSERT:
		return L_EXPR;
	case DHALL_LIST:
		return e->n ? L_PRIM : L_EXPR;
	case DHALL_MERGE:
	case DHALL_TOMAP:
		return e->c ? L_EXPR : L_APP;
	case DHALL_OP:
		return op_level(e->op);
	case DHALL_APP:
	case DHALL_SOME:
	case DHALL_SHOWCONS:
		return L_APP;
	case DHALL_IMPORT:
		return L_IMPORT;
	case DHALL_FIELD:
	case DHALL_PROJECT:
	case DHALL_PROJECT_TYPE:
		return L_SEL;
	default:
		return L_PRIM;
	}
}

static int is_number(const struct dhall_expr *e)
{
	return e->kind == DHALL_NATURAL || e->kind == DHALL_INTEGER || e->kind == DHALL_DOUBLE;
}

/* *ok = 1 when e, printed flat from the current column, fits in WIDTH
 * (always in flat mode). Prints nothing. */
static int fits(struct fmt *f, const struct dhall_expr *e, unsigned depth, int *ok)
{
	*ok = 1;
	if (f->flat)
		return 0;
	size_t start = f->out->len;
	unsigned col = column(f);
	struct fmt flat = *f;
	flat.flat = 1;
	flat.limit = start + (col < WIDTH ? WIDTH - col : 0);
	int rc = fmt_body(&flat, e, depth);
	f->out->len = start;
	if (rc == OVERFLOW) {
		*ok = 0;
		return 0;
	}
	return rc;
}

/* a newline indented to column c */
static int break_to(struct fmt *f, unsigned c)
{
	unsigned saved = f->indent;
	f->indent = c;
	int rc = newline(f);
	f->indent = saved;
	return rc;
}

/* { a = x, b = y } / { a : T } / < A : T | B > / [ x, y ], broken over lines
 * when it does not fit. */
static int fmt_entries(struct fmt *f, const struct dhall_expr *e, unsigned depth)
{
	const char *open, *sep, *close, *bind;
	int is_list = e->kind == DHALL_LIST;
	switch (e->kind) {
	case DHALL_RECORD:
		if (!e->n)
			return put(f, "{=}");
		open = "{ ", sep = ", ", close = " }", bind = " = ";
		break;
	case DHALL_RECORD_TYPE:
		if (!e->n)
			return put(f, "{}");
		open = "{ ", sep = ", ", close = " }", bind = " : ";
		break;
	case DHALL_UNION:
		if (!e->n)
			return put(f, "<>");
		open = "< ", sep = " | ", close = " >", bind = " : ";
		break;
	default:
		open = "[ ", sep = ", ", close = " ]", bind = NULL;
		break;
	}
	int multi = 0;
	if (!f->flat) {
		/* does the whole container fit on this line? */
		size_t start = f->out->len;
		unsigned col = column(f);
		struct fmt flat = *f;
		flat.flat = 1;
		flat.limit = start + (col < WIDTH ? WIDTH - col : 0);
		int rc = fmt_entries(&flat, e, depth);
		if (rc != OVERFLOW)
			return rc;
		f->out->len = start;
		multi = 1;
	}
	unsigned saved = f->indent;
	if (multi)
		f->indent = column(f);
	for (size_t i = 0; i < e->n; i++) {
		if (i == 0) {
			DHALL_TRY(put(f, open));
		} else if (multi) {
			DHALL_TRY(newline(f));
			DHALL_TRY(put(f, e->kind == DHALL_UNION ? "| " : ", "));
		} else {
			DHALL_TRY(put(f, sep));
		}
		unsigned inner = f->indent;
		f->indent = column(f);
		if (!is_list) {
			DHALL_TRY(put_label(f, &e->labels[i]));
			if (e->items[i]) {
				DHALL_TRY(put(f, bind));
				DHALL_TRY(fmt_expr(f, e->items[i], L_EXPR, depth));
			}
		} else {
			DHALL_TRY(fmt_expr(f, e->items[i], L_EXPR, depth));
		}
		f->indent = inner;
	}
	if (multi) {
		DHALL_TRY(newline(f));
		DHALL_TRY(put(f, close + 1));
	} else {
		DHALL_TRY(put(f, close));
	}
	f->indent = saved;
	return 0;
}

static int fmt_let(struct fmt *f, const struct dhall_expr *e, unsigned depth)
{
	unsigned saved = f->indent;
	f->indent = column(f);
	for (; e->kind == DHALL_LET; e = e->b) {
		if (++depth > DHALL_MAX_DEPTH)
			return DHALL_ELIMIT;
		DHALL_TRY(put(f, "let "));
		DHALL_TRY(put_label(f, &e->label));
		if (e->c) {
			DHALL_TRY(put(f, " : "));
			DHALL_TRY(fmt_expr(f, e->c, L_EXPR, depth));
		}
		DHALL_TRY(put(f, " = "));
		DHALL_TRY(fmt_expr(f, e->a, L_EXPR, depth));
		if (!f->flat && dhall_buf_putc(f->out, '\n'))
			return DHALL_ENOMEM;
		DHALL_TRY(newline(f));
	}
	DHALL_TRY(put(f, f->flat ? "in " : "in  "));
	unsigned in_col = f->indent;
	f->indent = in_col + 4;
	DHALL_TRY(fmt_expr(f, e, L_EXPR, depth));
	f->indent = saved;
	return 0;
}

static int fmt_body(struct fmt *f, const struct dhall_expr *e, unsigned depth)
{
	char tmp[64];
	switch (e->kind) {
	case DHALL_VAR:
		DHALL_TRY(put_label(f, &e->label));
		if (e->index) {
			snprintf(tmp, sizeof tmp, "@%llu", (unsigned long long)e->index);
			DHALL_TRY(put(f, tmp));
		}
		return 0;
	case DHALL_BUILTIN:
		return put(f, e->op < DHALL_B_COUNT ? dhall_builtin_name(e->op) : "?builtin?");
	case DHALL_BOOL:
		return put(f, e->op ? "True" : "False");
	case DHALL_NATURAL:
	case DHALL_INTEGER:
		if (e->kind == DHALL_INTEGER)
			DHALL_TRY(put(f, e->op ? "-" : "+"));
		if (dhall_print_num(f->out, &e->u.num))
			return DHALL_ENOMEM;
		return put(f, "");
	case DHALL_DOUBLE:
		if (isnan(e->u.dbl))
			return put(f, "NaN");
		if (isinf(e->u.dbl))
			return put(f, e->u.dbl < 0 ? "-Infinity" : "Infinity");
		if (dhall_print_double(f->out, e->u.dbl))
			return DHALL_ENOMEM;
		return put(f, "");
	case DHALL_TEXT:
		DHALL_TRY(put(f, "\""));
		for (size_t i = 0; i <= e->n; i++) {
			DHALL_TRY(put_text_chunk(f, &e->labels[i]));
			if (i < e->n) {
				DHALL_TRY(put(f, "${"));
				DHALL_TRY(fmt_expr(f, e->items[i], L_EXPR, depth));
				DHALL_TRY(put(f, "}"));
			}
		}
		return put(f, "\"");
	case DHALL_BYTES:
		DHALL_TRY(put(f, "0x\""));
		for (size_t i = 0; i < e->label.len; i++) {
			snprintf(tmp, sizeof tmp, "%02x", (unsigned char)e->label.s[i]);
			DHALL_TRY(put(f, tmp));
		}
		return put(f, "\"");
	case DHALL_DATE:
		snprintf(tmp, sizeof tmp, "%04u-%02u-%02u", e->u.date.year, e->u.date.month,
			 e->u.date.day);
		return put(f, tmp);
	case DHALL_TIME:
		if (put_time(f, e->u.time))
			return DHALL_ENOMEM;
		return put(f, "");
	case DHALL_TIMEZONE:
		snprintf(tmp, sizeof tmp, "%c%02u:%02u", e->u.tz.negative ? '-' : '+', e->u.tz.hour,
			 e->u.tz.minute);
		return put(f, tmp);
	case DHALL_LAMBDA:
	case DHALL_PI: {
		/* too long for the line: the body goes below, indented by 2 */
		unsigned c0 = column(f);
		int ok;
		DHALL_TRY(fits(f, e, depth, &ok));
		if (e->kind == DHALL_PI && e->label.len == 1 && e->label.s[0] == '_') {
			DHALL_TRY(fmt_expr(f, e->a, L_OP_MIN, depth));
		} else {
			DHALL_TRY(put(f, e->kind == DHALL_LAMBDA ? "λ(" : "∀("));
			DHALL_TRY(put_label(f, &e->label));
			DHALL_TRY(put(f, " : "));
			DHALL_TRY(fmt_expr(f, e->a, L_EXPR, depth));
			DHALL_TRY(put(f, ")"));
		}
		DHALL_TRY(put(f, " →"));
		DHALL_TRY(ok ? put(f, " ") : break_to(f, c0 + 2));
		return fmt_expr(f, e->b, L_EXPR, depth);
	}
	case DHALL_APP: {
		/* too long: one argument per line, indented by 2 */
		unsigned c0 = column(f);
		int ok;
		DHALL_TRY(fits(f, e, depth, &ok));
		DHALL_TRY(fmt_expr(f, e->a, L_IMPORT, depth));
		for (size_t i = 0; i < e->n; i++) {
			DHALL_TRY(ok ? put(f, " ") : break_to(f, c0 + 2));
			DHALL_TRY(fmt_expr(f, e->items[i], L_IMPORT, depth));
		}
		return 0;
	}
	case DHALL_LET:
		return fmt_let(f, e, depth);
	case DHALL_ANNOT: {
		const struct dhall_expr *a = e->a;
		/* `merge a b : T` and `toMap a : T` would parse as their own forms */
		int paren = (a->kind == DHALL_MERGE || a->kind == DHALL_TOMAP) && !a->c;
		if (paren)
			DHALL_TRY(put(f, "("));
		DHALL_TRY(fmt_expr(f, a, paren ? L_EXPR : L_OP_MIN, depth));
		if (paren)
			DHALL_TRY(put(f, ")"));
		DHALL_TRY(put(f, " : "));
		return fmt_expr(f, e->b, L_EXPR, depth);
	}
	case DHALL_IF:
		DHALL_TRY(put(f, "if "));
		DHALL_TRY(fmt_expr(f, e->a, L_EXPR, depth));
		DHALL_TRY(put(f, " then "));
		DHALL_TRY(fmt_expr(f, e->b, L_EXPR, depth));
		DHALL_TRY(put(f, " else "));
		return fmt_expr(f, e->c, L_EXPR, depth);
	case DHALL_OP: {
		int lv = op_level(e->op);
		if (e->op == DHALL_OP_COMPLETE) {
			DHALL_TRY(fmt_expr(f, e->a, L_SEL, depth));
			/* a variable named env: `env::x` would read as an import */
			const struct dhall_expr *a = e->a;
			int env = a->kind == DHALL_VAR && !a->index && a->label.len == 3 &&
				  !memcmp(a->label.s, "env", 3);
			DHALL_TRY(put(f, env ? " ::" : "::"));
			return fmt_expr(f, e->b, L_SEL, depth);
		}
		DHALL_TRY(fmt_expr(f, e->a, lv, depth));
		DHALL_TRY(put(f, " "));
		DHALL_TRY(put(f, op_spelling(e->op)));
		DHALL_TRY(put(f, " "));
		return fmt_expr(f, e->b, lv + 1, depth);
	}
	case DHALL_LIST:
		if (e->n == 0) {
			DHALL_TRY(put(f, "[] : "));
			return fmt_expr(f, e->a, L_EXPR, depth);
		}
		return fmt_entries(f, e, depth);
	case DHALL_RECORD:
	case DHALL_RECORD_TYPE:
	case DHALL_UNION:
		return fmt_entries(f, e, depth);
	case DHALL_SOME:
		DHALL_TRY(put(f, "Some "));
		return fmt_expr(f, e->a, L_IMPORT, depth);
	case DHALL_SHOWCONS:
		DHALL_TRY(put(f, "showConstructor "));
		return fmt_expr(f, e->a, L_IMPORT, depth);
	case DHALL_FIELD:
	case DHALL_PROJECT:
	case DHALL_PROJECT_TYPE:
		if (is_number(e->a)) { /* `1.x` could read as a double */
			DHALL_TRY(put(f, "("));
			DHALL_TRY(fmt_expr(f, e->a, L_EXPR, depth));
			DHALL_TRY(put(f, ")"));
		} else {
			DHALL_TRY(fmt_expr(f, e->a, L_SEL, depth));
		}
		if (e->kind == DHALL_FIELD) {
			DHALL_TRY(put(f, "."));
			return put_label(f, &e->label);
		}
		if (e->kind == DHALL_PROJECT_TYPE) {
			DHALL_TRY(put(f, ".("));
			DHALL_TRY(fmt_expr(f, e->b, L_EXPR, depth));
			return put(f, ")");
		}
		if (e->n == 0)
			return put(f, ".{}");
		DHALL_TRY(put(f, ".{ "));
		for (size_t i = 0; i < e->n; i++) {
			if (i)
				DHALL_TRY(put(f, ", "));
			DHALL_TRY(put_label(f, &e->labels[i]));
		}
		return put(f, " }");
	case DHALL_MERGE:
		DHALL_TRY(put(f, "merge "));
		DHALL_TRY(fmt_expr(f, e->a, L_IMPORT, depth));
		DHALL_TRY(put(f, " "));
		DHALL_TRY(fmt_expr(f, e->b, L_IMPORT, depth));
		if (e->c) {
			DHALL_TRY(put(f, " : "));
			DHALL_TRY(fmt_expr(f, e->c, L_EXPR, depth));
		}
		return 0;
	case DHALL_TOMAP:
		DHALL_TRY(put(f, "toMap "));
		DHALL_TRY(fmt_expr(f, e->a, L_IMPORT, depth));
		if (e->c) {
			DHALL_TRY(put(f, " : "));
			DHALL_TRY(fmt_expr(f, e->c, L_EXPR, depth));
		}
		return 0;
	case DHALL_WITH: {
		if (e->a->kind == DHALL_WITH) /* a with x = 1 with y = 2 */
			DHALL_TRY(fmt_expr(f, e->a, L_EXPR, depth));
		else
			DHALL_TRY(fmt_expr(f, e->a, L_IMPORT, depth));
		DHALL_TRY(put(f, " with "));
		for (size_t i = 0; i < e->n; i++) {
			if (i)
				DHALL_TRY(put(f, "."));
			if (i < 64 && (e->with_opt >> i & 1))
				DHALL_TRY(put(f, "?"));
			else
				DHALL_TRY(put_label(f, &e->labels[i]));
		}
		DHALL_TRY(put(f, " = "));
		return fmt_expr(f, e->b, L_OP_MIN, depth);
	}
	case DHALL_ASSERT:
		DHALL_TRY(put(f, "assert : "));
		return fmt_expr(f, e->a, L_EXPR, depth);
	case DHALL_IMPORT:
		return put_import(f, e->u.import, depth);
	default:
		return put(f, "?unknown?");
	}
}

static int fmt_expr(struct fmt *f, const struct dhall_expr *e, int prec, unsigned depth)
{
	if (++depth > DHALL_MAX_DEPTH)
		return DHALL_ELIMIT;
	if (level_of(e) >= prec)
		return fmt_body(f, e, depth);
	DHALL_TRY(put(f, "("));
	unsigned saved = f->indent;
	f->indent = column(f);
	DHALL_TRY(fmt_body(f, e, depth));
	f->indent = saved;
	return put(f, ")");
}

static int format_main(void *arg)
{
	struct fmt *f = arg;
	int rc = fmt_expr(f, f->root, L_EXPR, 0);
	if (!rc)
		rc = dhall_buf_putc(f->out, '\n');
	return rc;
}

int dhall_format(const struct dhall_expr *e, struct dhall_buf *out)
{
	struct fmt f = {out, e, 0, 0, 0};
	size_t start = out->len;
	int rc = dhall_run_deep(format_main, &f);
	if (rc)
		out->len = start;
	return rc == OVERFLOW ? DHALL_ENOMEM : rc;
}
