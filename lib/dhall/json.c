/*
 * json.c — renders a normal-form expression as JSON (dhall_to_json), the way
 * dhall-haskell's dhall-to-json (dhall-json 1.7.6) does by default:
 *
 *   record literal  → object, keys sorted by their UTF-8 bytes; fields whose
 *                     value is null (None, or Some/union payload of None)
 *                     are left out, as dhall-to-json does without
 *                     --preserve-null
 *   list            → array; a list of { mapKey : Text, mapValue : v }
 *                     records (also `[] : List { mapKey : Text, mapValue : T }`)
 *                     → object, keys sorted, the last of duplicates winning
 *   Some x → x, None T → null; `< A | B : T >.B x` → x, `< A | B >.A` → "A"
 *   Bool → true/false; Text (without interpolation) → string; Date, Time and
 *   TimeZone → their Dhall spelling as a string
 *   Natural, Integer, Double → numbers, spelled like aeson / aeson-pretty:
 *     integral values as integers ("1.0" → 1, "-0.0" → 0); others as
 *     Haskell's `show` (0.1 ≤ |x| < 10^7: "123.5", else "1.5e-3");
 *     pretty output additionally spells |x| > 10^19 as "1.0e20"
 *   NaN and ±Infinity, functions, types, imports and anything unevaluated
 *   → DHALL_ESYNTAX naming the offending kind.
 *
 * Layout: indent = 0 is compact ({"a":1,"b":[1,2]}); otherwise each member on
 * its own line, nested by `indent` spaces, "key": value, and {} / [] when
 * empty (aeson-pretty). Runs on dhall_run_deep's stack with depth counted.
 *
 * dhall_eval_to_json gives the same JSON without building the normal form:
 * it evaluates the expression (eval.c) and walks the values, which for
 * everything JSON shows (records, lists, literals, Some, None, union
 * constructors) mirror the normal form node for node (quote.c maps those
 * kinds one to one). A value of any other shape (a function, e.g. the
 * Prelude's Church-encoded JSON; an empty list, whose annotation decides
 * between [] and {}; anything stuck) is quoted on its own into a small
 * arena, rendered by the expression walker above, and the arena emptied.
 * A 50,000-record list then costs its values and the JSON text, not also
 * a normal form as large as the values.
 *
 * Better still, a list built at the tail of the program by a fusable
 * List/fold (Prelude's List/map, List/generate …: vstream) is never built:
 * each element is evaluated in a region of the evaluator's scratch arena,
 * rendered, and its memory given back (eval_int.h), so such a list costs
 * its JSON text and one element's values. Its elements' type decides
 * beforehand that it is an array (a list of map entries, which may be an
 * object, is built whole).
 */
#include "eval_int.h"
#include "print_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "banned.h"

struct json {
	const struct dhall_expr *root;
	struct dhall_buf *out;
	struct dhall_err *err;
	int indent;
	/* Prelude's JSON type (a Church encoding: λ(JSON : Type) → λ(json :
	 * { array, bool, double, integer, null, object, string, … }) → body):
	 * the inner binder's name, so that json.object [...] etc. render as
	 * JSON, the way dhall-to-json does */
	const struct dhall_str *church;
};

/* dhall_buf_putc with its common case inline: JSON is mostly single
 * bytes (quotes, commas, colons, the characters of short strings). */
static inline int jputc(struct dhall_buf *o, char c)
{
	if (o->len < o->cap) {
		o->data[o->len++] = (uint8_t)c;
		return 0;
	}
	return dhall_buf_putc(o, (uint8_t)c);
}

static const char *const kind_names[DHALL_KIND_COUNT] = {
	[DHALL_VAR] = "a variable", [DHALL_BUILTIN] = "a builtin", [DHALL_LAMBDA] = "a function",
	[DHALL_PI] = "a function type", [DHALL_APP] = "an unevaluated application",
	[DHALL_LET] = "a let expression", [DHALL_ANNOT] = "a type annotation",
	[DHALL_IF] = "an if expression", [DHALL_OP] = "an unevaluated operator",
	[DHALL_RECORD_TYPE] = "a record type", [DHALL_UNION] = "a union type",
	[DHALL_FIELD] = "a field selection", [DHALL_PROJECT] = "a projection",
	[DHALL_PROJECT_TYPE] = "a projection", [DHALL_MERGE] = "a merge expression",
	[DHALL_TOMAP] = "a toMap expression", [DHALL_SHOWCONS] = "a showConstructor expression",
	[DHALL_WITH] = "a with expression", [DHALL_ASSERT] = "an assertion",
	[DHALL_IMPORT] = "an import", [DHALL_BYTES] = "a Bytes literal",
	[DHALL_TEXT] = "Text with interpolation",
};

static int cannot(struct json *j, const struct dhall_expr *e, const char *what)
{
	if (!what) {
		what = e->kind < DHALL_KIND_COUNT ? kind_names[e->kind] : NULL;
		if (e->kind == DHALL_BUILTIN && e->op < DHALL_B_COUNT) {
			dhall_err_set(j->err, DHALL_ESYNTAX,
				      "cannot translate to JSON: the builtin %s (only values, not "
				      "types or functions, have a JSON form)",
				      dhall_builtin_name(e->op));
			return DHALL_ESYNTAX;
		}
	}
	dhall_err_set(j->err, DHALL_ESYNTAX, "cannot translate to JSON: %s%s",
		      what ? what : "this expression",
		      e->kind == DHALL_APP || e->kind == DHALL_OP || e->kind == DHALL_LET ||
				      e->kind == DHALL_IF || e->kind == DHALL_FIELD ||
				      e->kind == DHALL_MERGE
			      ? " (the expression must be normalized first)"
			      : "");
	return DHALL_ESYNTAX;
}

/* ---------------------------------------------------------------- numbers */

/* value = (neg ? -1 : 1) * 0.D * 10^e, D = digits[0..n) without trailing
 * zeros (n == 0: zero). */
static int put_scientific(struct json *j, int neg, const char *digits, size_t n, long e)
{
	struct dhall_buf *o = j->out;
	if (n == 0)
		return dhall_buf_putc(o, '0');
	if (neg)
		DHALL_TRY(dhall_buf_putc(o, '-'));
	int integral = e >= (long)n;
	/* aeson-pretty: |x| > 10^19 in exponent form */
	int big = e > 20 || (e == 20 && !(n == 1 && digits[0] == '1'));
	if (integral && !(j->indent && big)) {
		DHALL_TRY(dhall_buf_put(o, digits, n));
		for (long i = (long)n; i < e; i++)
			DHALL_TRY(dhall_buf_putc(o, '0'));
		return 0;
	}
	if (e >= 0 && e <= 7 && !integral) { /* fixed */
		if (e == 0)
			DHALL_TRY(dhall_buf_putc(o, '0'));
		else
			DHALL_TRY(dhall_buf_put(o, digits, (size_t)e));
		DHALL_TRY(dhall_buf_putc(o, '.'));
		return dhall_buf_put(o, digits + e, n - (size_t)e);
	}
	DHALL_TRY(dhall_buf_putc(o, digits[0]));
	DHALL_TRY(dhall_buf_putc(o, '.'));
	if (n > 1)
		DHALL_TRY(dhall_buf_put(o, digits + 1, n - 1));
	else
		DHALL_TRY(dhall_buf_putc(o, '0'));
	return dhall_buf_printf(o, "e%ld", e - 1);
}

static int put_num(struct json *j, int neg, const struct dhall_num *num)
{
	/* the common case: below 10^19, digits as they are (put_scientific
	 * would print the same) */
	if (!num->big && num->small < 10000000000000000000ull) {
		if (neg && num->small)
			DHALL_TRY(jputc(j->out, '-'));
		return dhall_buf_put_u64(j->out, num->small);
	}
	struct dhall_buf d = {0};
	int rc = dhall_print_num(&d, num);
	if (!rc) {
		size_t n = d.len;
		while (n > 0 && d.data[n - 1] == '0')
			n--;
		if (n == 0 || (n == 1 && d.data[0] == '0'))
			rc = put_scientific(j, 0, NULL, 0, 0);
		else
			rc = put_scientific(j, neg, (const char *)d.data, n, (long)d.len);
	}
	dhall_buf_free(&d);
	return rc;
}

static int put_double(struct json *j, const struct dhall_expr *e)
{
	double x = e->u.dbl;
	char tmp[48];
	if (isnan(x) || isinf(x)) {
		dhall_err_set(j->err, DHALL_ESYNTAX, "cannot translate to JSON: %s",
			      isnan(x) ? "NaN is not a JSON number"
			      : x < 0  ? "-Infinity is not a JSON number"
				       : "Infinity is not a JSON number");
		return DHALL_ESYNTAX;
	}
	if (x == 0)
		return put_scientific(j, 0, NULL, 0, 0);
	/* the shortest digits that read back as x: "d.ddde±N" */
	for (int prec = 0; prec <= 16; prec++) {
		snprintf(tmp, sizeof tmp, "%.*e", prec, x);
		if (strtod(tmp, NULL) == x)
			break;
	}
	char digits[24];
	size_t n = 0;
	const char *p = tmp + (tmp[0] == '-');
	for (; *p && *p != 'e'; p++)
		if (*p >= '0' && *p <= '9' && n < sizeof digits)
			digits[n++] = *p;
	long exp10 = *p == 'e' ? strtol(p + 1, NULL, 10) : 0;
	while (n > 1 && digits[n - 1] == '0')
		n--;
	return put_scientific(j, x < 0, digits, n, exp10 + 1);
}

/* ---------------------------------------------------------------- strings */

static int put_string(struct json *j, const char *s, size_t len)
{
	struct dhall_buf *o = j->out;
	DHALL_TRY(jputc(o, '"'));
	size_t run = 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		char esc[8];
		if (c >= 0x20 && c != '"' && c != '\\')
			continue; /* as it is: the common case */
		if (c == '"' || c == '\\') {
			esc[0] = '\\', esc[1] = (char)c, esc[2] = 0;
		} else if (c == '\n') {
			memcpy(esc, "\\n", 3);
		} else if (c == '\r') {
			memcpy(esc, "\\r", 3);
		} else if (c == '\t') {
			memcpy(esc, "\\t", 3);
		} else if (c < 0x20) {
			snprintf(esc, sizeof esc, "\\u%04x", c);
		} else {
			continue;
		}
		DHALL_TRY(dhall_buf_put(o, s + run, i - run));
		DHALL_TRY(dhall_buf_puts(o, esc));
		run = i + 1;
	}
	DHALL_TRY(dhall_buf_put(o, s + run, len - run));
	return jputc(o, '"');
}

/* ---------------------------------------------------------------- shapes */

static int is_builtin(const struct dhall_expr *e, unsigned b)
{
	return e && e->kind == DHALL_BUILTIN && e->op == b;
}

static int label_is(const struct dhall_str *l, const char *s)
{
	return l->len == strlen(s) && memcmp(l->s, s, l->len) == 0;
}

/* `< … >.A` (a constructor without payload) */
static int is_constructor(const struct dhall_expr *e)
{
	return e->kind == DHALL_FIELD && e->a->kind == DHALL_UNION;
}

/* Values that render as null: None T, Some null, a constructor of null. */
static int is_null(const struct dhall_expr *e)
{
	while (e) {
		if (e->kind == DHALL_SOME) {
			e = e->a;
		} else if (e->kind == DHALL_APP && e->n == 1 && is_constructor(e->a)) {
			e = e->items[0];
		} else {
			return e->kind == DHALL_APP && e->n == 1 && is_builtin(e->a, DHALL_B_NONE);
		}
	}
	return 0;
}

/* { mapKey = "k", mapValue = v } with a plain Text key: its key and value. */
static int map_entry(const struct dhall_expr *e, const struct dhall_str **k,
		     const struct dhall_expr **v)
{
	if (e->kind != DHALL_RECORD || e->n != 2)
		return 0;
	*k = NULL;
	*v = NULL;
	for (size_t i = 0; i < 2; i++) {
		if (label_is(&e->labels[i], "mapKey") && e->items[i]->kind == DHALL_TEXT &&
		    e->items[i]->n == 0)
			*k = &e->items[i]->labels[0];
		else if (label_is(&e->labels[i], "mapValue"))
			*v = e->items[i];
	}
	return *k && *v;
}

/* `[] : List { mapKey : Text, mapValue : T }` */
static int is_empty_map(const struct dhall_expr *e)
{
	const struct dhall_expr *t = e->a;
	if (!t || t->kind != DHALL_APP || t->n != 1 || !is_builtin(t->a, DHALL_B_LIST))
		return 0;
	t = t->items[0];
	if (t->kind != DHALL_RECORD_TYPE || t->n != 2)
		return 0;
	int key = 0, value = 0;
	for (size_t i = 0; i < 2; i++) {
		if (label_is(&t->labels[i], "mapKey") && is_builtin(t->items[i], DHALL_B_TEXT))
			key = 1;
		else if (label_is(&t->labels[i], "mapValue"))
			value = 1;
	}
	return key && value;
}

struct member {
	const struct dhall_str *key;
	const struct dhall_expr *value;
	size_t order;
};

static int cmp_member(const void *pa, const void *pb)
{
	const struct member *a = pa, *b = pb;
	int c = dhall_str_cmp(a->key, b->key);
	if (c)
		return c;
	return a->order < b->order ? -1 : a->order > b->order;
}

static int newline(struct json *j, unsigned level)
{
	if (!j->indent)
		return 0;
	size_t n = (size_t)level * (unsigned)j->indent;
	DHALL_TRY(dhall_buf_reserve(j->out, n + 1));
	j->out->data[j->out->len] = '\n';
	memset(j->out->data + j->out->len + 1, ' ', n);
	j->out->len += n + 1;
	return 0;
}

static int put_value(struct json *j, const struct dhall_expr *e, unsigned level, unsigned depth);
static int put_church(struct json *j, const struct dhall_expr *e, unsigned level, unsigned depth);
static int church_null(const struct json *j, const struct dhall_expr *e);

/* An object from members m[0..n) (sorted here; for duplicate keys the last
 * one wins; null values are left out). */
static int put_object(struct json *j, struct member *m, size_t n, unsigned level,
		      unsigned depth, int church)
{
	size_t sorted = 1; /* normal-form records come sorted already */
	while (sorted < n && cmp_member(&m[sorted - 1], &m[sorted]) < 0)
		sorted++;
	if (sorted < n)
		qsort(m, n, sizeof *m, cmp_member);
	int any = 0;
	DHALL_TRY(jputc(j->out, '{'));
	for (size_t i = 0; i < n; i++) {
		if (i + 1 < n && dhall_str_cmp(m[i].key, m[i + 1].key) == 0)
			continue; /* a later duplicate wins */
		if (church ? church_null(j, m[i].value) : is_null(m[i].value))
			continue;
		if (any)
			DHALL_TRY(jputc(j->out, ','));
		any = 1;
		DHALL_TRY(newline(j, level + 1));
		DHALL_TRY(put_string(j, m[i].key->s, m[i].key->len));
		DHALL_TRY(dhall_buf_puts(j->out, j->indent ? ": " : ":"));
		DHALL_TRY((church ? put_church : put_value)(j, m[i].value, level + 1, depth));
	}
	if (any)
		DHALL_TRY(newline(j, level));
	return jputc(j->out, '}');
}

static int put_members(struct json *j, const struct dhall_expr *e, int is_map, unsigned level,
		       unsigned depth)
{
	struct member small[16];
	struct member *m = e->n <= 16 ? small : malloc(e->n * sizeof *m);
	if (!m)
		return dhall_err_set(j->err, DHALL_ENOMEM, "out of memory");
	for (size_t i = 0; i < e->n; i++) {
		if (is_map)
			map_entry(e->items[i], &m[i].key, &m[i].value);
		else
			m[i].key = &e->labels[i], m[i].value = e->items[i];
		m[i].order = i;
	}
	int rc = put_object(j, m, e->n, level, depth, 0);
	if (m != small)
		free(m);
	return rc;
}

static int put_value(struct json *j, const struct dhall_expr *e, unsigned level, unsigned depth)
{
	char tmp[64];
	if (++depth > DHALL_MAX_DEPTH)
		return dhall_err_set(j->err, DHALL_ELIMIT, "nesting deeper than %d",
				     DHALL_MAX_DEPTH);
	switch (e->kind) {
	case DHALL_BOOL:
		return dhall_buf_puts(j->out, e->op ? "true" : "false");
	case DHALL_NATURAL:
		return put_num(j, 0, &e->u.num);
	case DHALL_INTEGER:
		return put_num(j, e->op, &e->u.num);
	case DHALL_DOUBLE:
		return put_double(j, e);
	case DHALL_TEXT:
		if (e->n)
			return cannot(j, e, NULL);
		return put_string(j, e->labels[0].s, e->labels[0].len);
	case DHALL_DATE:
		snprintf(tmp, sizeof tmp, "%04u-%02u-%02u", e->u.date.year, e->u.date.month,
			 e->u.date.day);
		return put_string(j, tmp, strlen(tmp));
	case DHALL_TIMEZONE:
		snprintf(tmp, sizeof tmp, "%c%02u:%02u", e->u.tz.negative ? '-' : '+', e->u.tz.hour,
			 e->u.tz.minute);
		return put_string(j, tmp, strlen(tmp));
	case DHALL_TIME: {
		struct dhall_buf src = {0};
		int rc = dhall_format(e, &src);
		if (!rc)
			rc = put_string(j, (const char *)src.data, src.len ? src.len - 1 : 0);
		dhall_buf_free(&src);
		return rc;
	}
	case DHALL_SOME:
		return put_value(j, e->a, level, depth);
	case DHALL_RECORD:
		return put_members(j, e, 0, level, depth);
	case DHALL_LIST: {
		if (e->n == 0)
			return dhall_buf_puts(j->out, is_empty_map(e) ? "{}" : "[]");
		int is_map = 1;
		for (size_t i = 0; i < e->n && is_map; i++) {
			const struct dhall_str *k;
			const struct dhall_expr *v;
			is_map = map_entry(e->items[i], &k, &v);
		}
		if (is_map)
			return put_members(j, e, 1, level, depth);
		DHALL_TRY(jputc(j->out, '['));
		for (size_t i = 0; i < e->n; i++) {
			if (i)
				DHALL_TRY(jputc(j->out, ','));
			DHALL_TRY(newline(j, level + 1));
			DHALL_TRY(put_value(j, e->items[i], level + 1, depth));
		}
		DHALL_TRY(newline(j, level));
		return jputc(j->out, ']');
	}
	case DHALL_FIELD:
		if (is_constructor(e))
			return put_string(j, e->label.s, e->label.len);
		return cannot(j, e, NULL);
	case DHALL_APP:
		if (e->n == 1 && is_builtin(e->a, DHALL_B_NONE))
			return dhall_buf_puts(j->out, "null");
		if (e->n == 1 && is_constructor(e->a))
			return put_value(j, e->items[0], level, depth);
		return cannot(j, e, NULL);
	default:
		return cannot(j, e, NULL);
	}
}

/* Is e `json.NAME` of the Church encoding's binder? */
static int church_field(const struct json *j, const struct dhall_expr *e, const char **name)
{
	if (!j->church || e->kind != DHALL_FIELD || e->a->kind != DHALL_VAR || e->a->index != 0 ||
	    dhall_str_cmp(&e->a->label, j->church) != 0)
		return 0;
	static const char *const names[] = {"array", "bool",   "double", "integer", "natural",
					    "null",  "number", "object", "string",  NULL};
	for (int i = 0; names[i]; i++)
		if (label_is(&e->label, names[i])) {
			*name = names[i];
			return 1;
		}
	return 0;
}

static int church_null(const struct json *j, const struct dhall_expr *e)
{
	const char *f;
	return church_field(j, e, &f) && strcmp(f, "null") == 0;
}

/* A value of Prelude's JSON type, built from json.array, json.object … */
static int put_church(struct json *j, const struct dhall_expr *e, unsigned level, unsigned depth)
{
	const char *f;
	if (++depth > DHALL_MAX_DEPTH)
		return dhall_err_set(j->err, DHALL_ELIMIT, "nesting deeper than %d",
				     DHALL_MAX_DEPTH);
	if (church_field(j, e, &f) && strcmp(f, "null") == 0)
		return dhall_buf_puts(j->out, "null");
	if (e->kind != DHALL_APP || e->n != 1 || !church_field(j, e->a, &f))
		return cannot(j, e, "a value of the JSON type that is not json.array, json.object, …");
	const struct dhall_expr *arg = e->items[0];
	if (strcmp(f, "object") == 0) {
		/* like a record: keys sorted, the last duplicate wins, nulls left
		 * out (dhall-to-json's default) */
		if (arg->kind != DHALL_LIST)
			return cannot(j, arg, NULL);
		struct member *m = malloc((arg->n ? arg->n : 1) * sizeof *m);
		if (!m)
			return dhall_err_set(j->err, DHALL_ENOMEM, "out of memory");
		for (size_t i = 0; i < arg->n; i++) {
			if (!map_entry(arg->items[i], &m[i].key, &m[i].value)) {
				free(m);
				return cannot(j, arg->items[i], NULL);
			}
			m[i].order = i;
		}
		int rc = put_object(j, m, arg->n, level, depth, 1);
		free(m);
		return rc;
	}
	if (strcmp(f, "array") == 0) {
		if (arg->kind != DHALL_LIST)
			return cannot(j, arg, NULL);
		if (arg->n == 0)
			return dhall_buf_puts(j->out, "[]");
		DHALL_TRY(jputc(j->out, '['));
		for (size_t i = 0; i < arg->n; i++) {
			if (i)
				DHALL_TRY(jputc(j->out, ','));
			DHALL_TRY(newline(j, level + 1));
			DHALL_TRY(put_church(j, arg->items[i], level + 1, depth));
		}
		DHALL_TRY(newline(j, level));
		return jputc(j->out, ']');
	}
	return put_value(j, arg, level, depth); /* bool, double, integer, natural, string */
}

static int json_main(void *arg)
{
	struct json *j = arg;
	const struct dhall_expr *e = j->root;
	if (e->kind == DHALL_LAMBDA && e->a->kind == DHALL_BUILTIN && e->a->op == DHALL_B_TYPE &&
	    e->b->kind == DHALL_LAMBDA && e->b->a->kind == DHALL_RECORD_TYPE) {
		j->church = &e->b->label;
		return put_church(j, e->b->b, 0, 0);
	}
	return put_value(j, e, 0, 0);
}

/* ---------------------------------------------------------------- from values */

struct vjson {
	struct json j;
	struct ev ev;
	struct dhall_arena quoted; /* one quoted sub-value at a time */
	const struct dhall_expr *in;
};

struct vmember {
	const struct dhall_str *key;
	const struct dv *value;
	size_t order;
};

static int cmp_vmember(const void *pa, const void *pb)
{
	const struct vmember *a = pa, *b = pb;
	int c = dhall_str_cmp(a->key, b->key);
	if (c)
		return c;
	return a->order < b->order ? -1 : a->order > b->order;
}

static int v_is_builtin(const struct dv *v, unsigned b)
{
	return v && v->kind == DHALL_BUILTIN && v->op == b;
}

static int v_is_constructor(const struct dv *v)
{
	return v->kind == DHALL_FIELD && v->a->kind == DHALL_UNION;
}

/* is_null on values */
static int v_is_null(const struct dv *v)
{
	while (v) {
		if (v->kind == DHALL_SOME)
			v = v->a;
		else if (v->kind == DHALL_APP && v->n == 1 && v_is_constructor(v->a))
			v = v->items[0];
		else
			return v->kind == DHALL_APP && v->n == 1 &&
			       v_is_builtin(v->a, DHALL_B_NONE);
	}
	return 0;
}

/* map_entry on values */
static int v_map_entry(const struct dv *v, const struct dhall_str **k, const struct dv **val)
{
	if (v->kind != DHALL_RECORD || v->n != 2)
		return 0;
	*k = NULL;
	*val = NULL;
	for (size_t i = 0; i < 2; i++) {
		if (label_is(&v->labels[i], "mapKey") && v->items[i]->kind == DHALL_TEXT &&
		    v->items[i]->n == 0)
			*k = &v->items[i]->labels[0];
		else if (label_is(&v->labels[i], "mapValue"))
			*val = v->items[i];
	}
	return *k && *val;
}

/* Quotes v and renders the expression (at the root: with the Church
 * encoding's detection, as dhall_to_json). */
static int vput_quoted(struct vjson *vj, const struct dv *v, unsigned level, unsigned depth)
{
	struct dhall_expr *e;
	int rc = ev_quote(&vj->ev, &vj->quoted, NULL, v, 0, &e);
	if (!rc && depth == 0) {
		vj->j.root = e;
		rc = json_main(&vj->j);
	} else if (!rc) {
		rc = put_value(&vj->j, e, level, depth);
	}
	dhall_arena_reset(&vj->quoted);
	return rc;
}

static int vput(struct vjson *vj, const struct dv *v, unsigned level, unsigned depth);

/* An object from members m[0..n) (sorted here unless `sorted`; the last of
 * duplicate keys wins; null values are left out): put_object on values. */
static int vput_object(struct vjson *vj, struct vmember *m, size_t n, int sorted, unsigned level,
		       unsigned depth)
{
	struct json *j = &vj->j;
	int any = 0;
	if (!sorted)
		qsort(m, n, sizeof *m, cmp_vmember);
	DHALL_TRY(jputc(j->out, '{'));
	for (size_t i = 0; i < n; i++) {
		if (i + 1 < n && dhall_str_cmp(m[i].key, m[i + 1].key) == 0)
			continue;
		if (v_is_null(m[i].value))
			continue;
		if (any)
			DHALL_TRY(jputc(j->out, ','));
		any = 1;
		DHALL_TRY(newline(j, level + 1));
		DHALL_TRY(put_string(j, m[i].key->s, m[i].key->len));
		DHALL_TRY(dhall_buf_puts(j->out, j->indent ? ": " : ":"));
		DHALL_TRY(vput(vj, m[i].value, level + 1, depth));
	}
	if (any)
		DHALL_TRY(newline(j, level));
	return jputc(j->out, '}');
}

/* A record (is_map 0: fields sorted and unique, a value's invariant) or a
 * list of map entries (is_map 1). */
static int vput_members(struct vjson *vj, const struct dv *v, int is_map, unsigned level,
			unsigned depth)
{
	struct vmember small[16];
	struct vmember *m = v->n <= 16 ? small : malloc(v->n * sizeof *m);
	if (!m)
		return dhall_err_set(vj->j.err, DHALL_ENOMEM, "out of memory");
	for (size_t i = 0; i < v->n; i++) {
		if (is_map)
			v_map_entry(v->items[i], &m[i].key, &m[i].value);
		else
			m[i].key = &v->labels[i], m[i].value = v->items[i];
		m[i].order = i;
	}
	int rc = vput_object(vj, m, v->n, !is_map, level, depth);
	if (m != small)
		free(m);
	return rc;
}

static int vput(struct vjson *vj, const struct dv *v, unsigned level, unsigned depth)
{
	struct json *j = &vj->j;
	struct dhall_expr lit;
	if (depth >= DHALL_MAX_DEPTH)
		return dhall_err_set(j->err, DHALL_ELIMIT, "nesting deeper than %d",
				     DHALL_MAX_DEPTH);
	switch (v->kind) {
	case DHALL_BOOL:
	case DHALL_NATURAL:
	case DHALL_INTEGER:
	case DHALL_DOUBLE:
	case DHALL_DATE:
	case DHALL_TIME:
	case DHALL_TIMEZONE: /* a literal: the same fields as its expression */
		memset(&lit, 0, sizeof lit);
		lit.kind = v->kind;
		lit.op = v->op;
		memcpy(&lit.u, &v->u, sizeof lit.u < sizeof v->u ? sizeof lit.u : sizeof v->u);
		return put_value(j, &lit, level, depth);
	case DHALL_TEXT:
		if (v->n)
			break;
		return put_string(j, v->labels[0].s, v->labels[0].len);
	case DHALL_SOME:
		return vput(vj, v->a, level, depth + 1);
	case DHALL_RECORD:
		return vput_members(vj, v, 0, level, depth + 1);
	case DHALL_LIST: {
		if (v->n == 0)
			break;
		int is_map = 1;
		for (size_t i = 0; i < v->n && is_map; i++) {
			const struct dhall_str *k;
			const struct dv *x;
			is_map = v_map_entry(v->items[i], &k, &x);
		}
		if (is_map)
			return vput_members(vj, v, 1, level, depth + 1);
		DHALL_TRY(jputc(j->out, '['));
		for (size_t i = 0; i < v->n; i++) {
			if (i)
				DHALL_TRY(jputc(j->out, ','));
			DHALL_TRY(newline(j, level + 1));
			DHALL_TRY(vput(vj, v->items[i], level + 1, depth + 1));
		}
		DHALL_TRY(newline(j, level));
		return jputc(j->out, ']');
	}
	case DHALL_FIELD:
		if (v_is_constructor(v))
			return put_string(j, v->label.s, v->label.len);
		break;
	case DHALL_APP:
		if (v->n == 1 && v_is_builtin(v->a, DHALL_B_NONE))
			return dhall_buf_puts(j->out, "null");
		if (v->n == 1 && v_is_constructor(v->a))
			return vput(vj, v->items[0], level, depth + 1);
		break;
	default:
		break;
	}
	return vput_quoted(vj, v, level, depth);
}

/* ---------------------------------------------------------------- streaming */

/* Is t `List { mapKey : …, mapValue : … }` (a list that may render as an
 * object), or not a List type at all? */
static int maybe_map_list(const struct dv *t)
{
	if (t->kind != DHALL_APP || t->n != 1 || !v_is_builtin(t->a, DHALL_B_LIST))
		return 1;
	t = t->items[0];
	return t->kind == DHALL_RECORD_TYPE && t->n == 2 &&
	       (label_is(&t->labels[0], "mapKey") || label_is(&t->labels[1], "mapKey"));
}

/* `List/fold A xs (List B) g nil` (args: A, xs, List B, g) at the tail of
 * the output, g of the shape fold fusion handles (λ(x) → λ(as) → [E] #
 * as): renders E for each item of xs, then nil's items, each element
 * evaluated and rendered in a region of its own (eval_int.h), so the
 * list is never whole in memory. 1 (nothing done) when the fold is not of
 * that shape, or when its elements might form an object (map entries:
 * sorted and deduplicated over the whole list). Errors are those of
 * evaluating everything first, as vput's caller does: an error rendering
 * one element (no JSON form …) is reported only once the rest evaluate
 * without one. */
static int vstream_fold(struct vjson *vj, struct dv *const *args, struct dv *nil, unsigned level,
			unsigned depth)
{
	struct json *j = &vj->j;
	struct ev *ev = &vj->ev;
	struct dv *xs = args[1], *g = args[3], *v;
	const struct dhall_expr *elem;
	struct dhall_err json_err = {0};
	int rc, json_rc = 0;
	if (xs->kind != DHALL_LIST || xs->n == 0 || !(elem = ev_fold_elem(g, nil)) ||
	    maybe_map_list(args[2]))
		return 1;
	DHALL_TRY(jputc(j->out, '['));
	for (size_t i = 0; i < xs->n + nil->n; i++) {
		struct ev_region r;
		ev_region_begin(ev, &r);
		if (i < xs->n)
			rc = ev_fold_item(ev, g, elem, xs->items[i], &v);
		else
			rc = 0, v = nil->items[i - xs->n];
		if (!rc && !json_rc) {
			if (i)
				rc = jputc(j->out, ',');
			if (!rc)
				rc = newline(j, level + 1);
			if (!rc)
				rc = vput(vj, v, level + 1, depth + 1);
			if (rc && rc != DHALL_ENOMEM) { /* e.g. no JSON form: evaluate the rest */
				json_rc = rc;
				if (j->err)
					json_err = *j->err;
				rc = 0;
			}
		}
		ev_region_end(ev, &r);
		if (rc)
			return rc;
	}
	if (json_rc) {
		if (j->err)
			*j->err = json_err;
		return json_rc;
	}
	DHALL_TRY(newline(j, level));
	return jputc(j->out, ']');
}

/* Evaluates e and renders its value, streaming what it can: `let`s and
 * annotations are looked through, and an application at the tail is
 * evaluated up to its last step, which β-reduces into the function's body
 * (the new tail) or is a List/fold that vstream_fold renders element by
 * element: Prelude's List/map and List/generate of a long list. Anything
 * else is evaluated whole and rendered (vput). */
static int vstream(struct vjson *vj, const struct dhall_expr *e, unsigned level, unsigned depth)
{
	struct ev *ev = &vj->ev;
	struct denv *env = NULL;
	struct dv *f, *x, *v;
	int rc;
	for (;;) {
		if ((rc = ev_tick(ev)))
			return rc;
		if (e->kind == DHALL_LET) {
			if ((rc = ev_eval(ev, env, e->a, &x)))
				return rc;
			if (!(env = ev_bind(ev, env, e->label, x)))
				return ev_nomem(ev);
			e = e->b;
			continue;
		}
		if (e->kind == DHALL_ANNOT) {
			e = e->a;
			continue;
		}
		if (e->kind != DHALL_APP || ev->lazy)
			break;
		if ((rc = ev_eval(ev, env, e->a, &f)))
			return rc;
		for (size_t i = 0; i + 1 < e->n; i++)
			if ((rc = ev_eval(ev, env, e->items[i], &x)) || (rc = ev_apply(ev, f, x, &f)))
				return rc;
		if ((rc = ev_eval(ev, env, e->items[e->n - 1], &x)))
			return rc;
		if (f->kind == DHALL_LAMBDA && f->op == 0) { /* β: the body is the tail */
			if (!(env = ev_bind(ev, f->env, f->label, x)))
				return ev_nomem(ev);
			e = f->body;
			continue;
		}
		if (f->kind == DHALL_APP && f->n == 4 && v_is_builtin(f->a, DHALL_B_LIST_FOLD) &&
		    (rc = vstream_fold(vj, f->items, x, level, depth)) <= 0)
			return rc;
		if ((rc = ev_apply(ev, f, x, &v)))
			return rc;
		return vput(vj, v, level, depth);
	}
	if ((rc = ev_eval(ev, env, e, &v)))
		return rc;
	return vput(vj, v, level, depth);
}

static int vjson_main(void *arg)
{
	struct vjson *vj = arg;
	return vstream(vj, vj->in, 0, 0);
}

int dhall_eval_to_json(const struct dhall_ctx *ctx, const struct dhall_expr *e, int indent,
		       struct dhall_buf *out, struct dhall_err *err)
{
	struct vjson vj;
	struct dhall_arena scratch;
	size_t start = out->len, spilled = out->spilled;
	dhall_arena_init(&scratch);
	dhall_arena_init(&vj.quoted);
	ev_setup(&vj.ev, &scratch, err, ctx);
	vj.j = (struct json){e, out, err, indent < 0 ? 0 : indent, NULL};
	vj.in = e;
	int rc = dhall_run_deep(vjson_main, &vj);
	if (rc == DHALL_ENOMEM && err && !err->msg[0])
		dhall_err_set(err, rc, "out of memory");
	if (rc) /* what was spilled is the sink owner's to take back */
		out->len = out->spilled != spilled ? 0 : start;
	dhall_arena_free(&vj.quoted);
	dhall_arena_free(&scratch);
	return rc;
}

int dhall_to_json(const struct dhall_expr *e, int indent, struct dhall_buf *out,
		  struct dhall_err *err)
{
	struct json j = {e, out, err, indent < 0 ? 0 : indent, NULL};
	size_t start = out->len, spilled = out->spilled;
	if (err)
		dhall_err_clear(err);
	int rc = dhall_run_deep(json_main, &j);
	if (rc == DHALL_ENOMEM && err && !err->msg[0])
		dhall_err_set(err, rc, "out of memory");
	if (rc) /* what was spilled is the sink owner's to take back */
		out->len = out->spilled != spilled ? 0 : start;
	return rc;
}
