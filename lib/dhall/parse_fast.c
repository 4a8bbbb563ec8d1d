/*
 * parse_fast.c — the parser's fast path for plain data: record literals
 * `{ a = v, … }` and lists `[ v, … ]` whose separators are surrounded by
 * blanks only (spaces, tabs, line endings: no comments), as generated and
 * hand-written configuration mostly is.
 *
 * The loops here read the source through a local cursor and skip blanks
 * with a plain loop, instead of the general parser's per-call checks and
 * whitespace memo. A value that is a plain leaf (fast_leaf: a number, a
 * plain text, a Bool, a variable, then a separator) becomes its node right
 * here; a nested record or list recurses here, counted against
 * DHALL_MAX_DEPTH and the stack as ps_expression counts it; anything else
 * goes to ps_expression, and a nested bracket followed by more than a
 * separator (an operator, a selector, …) to ps_expression_from. The loops
 * give up in two ways, both without parsing anything twice:
 *
 *   - before the first entry (`{}`, `{=}`, a record type, a quoted label,
 *     a comment, …): nothing has been consumed; the caller parses the whole
 *     bracket the general way;
 *   - later (a comment, a punned or dotted field, anything unusual after a
 *     value): what has been parsed stays pushed, and the general loop
 *     (ps_record_rest / ps_list_rest in parse.c) takes over from the end of
 *     the last entry. Errors are therefore found and reported by the same
 *     code, at the same positions, as without this file.
 */
#include "parse_int.h"

#include <string.h>

#include "banned.h"

/* Blanks from i: the whitespace that cannot start a comment (CR is always
 * followed by LF: ps_check_chars). */
static inline size_t blanks(const char *s, size_t n, size_t i)
{
	/* one space before a token: the commonest case */
	if (i + 1 < n && s[i] == ' ' && !(ps_cc[(unsigned char)s[i + 1]] & CC_BLANK))
		return i + 1;
	while (i < n && (ps_cc[(unsigned char)s[i]] & CC_BLANK))
		i++;
	return i;
}

/* A simple label at s[i..) that is not a keyword: its end, or i. */
static inline __attribute__((always_inline)) size_t plain_label(const char *s, size_t n, size_t i)
{
	size_t j = i;
	if (j >= n || !(ps_cc[(unsigned char)s[j]] & CC_LABEL_FIRST))
		return i;
	j = ps_label_end(s, n, j + 1);
	if (ps_maybe_kw(s + i, j - i) && ps_keyword(s + i, j - i) != KW_NONE)
		return i;
	return j;
}

/* The run of digits at s[i] (there is one) when it is 1 to 8 long and 16
 * bytes can be read from s[i]: its length, with its value in *v, found
 * without a branch per digit (SSE2 for the length; the value in one
 * 64-bit word: pairs, then quads, then the eight combined by multiplying
 * and shifting). Else 0 (the caller reads it digit by digit). */
static inline size_t short_natural(const char *s, size_t n, size_t i, uint64_t *v)
{
#ifdef __SSE2__
	if (n - i < 16)
		return 0;
	__m128i x = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
	__m128i d = _mm_sub_epi8(x, _mm_set1_epi8('0'));
	unsigned m = ~(unsigned)_mm_movemask_epi8(
			     _mm_cmpeq_epi8(_mm_min_epu8(d, _mm_set1_epi8(9)), d)) &
		     0xffff;
	size_t len = m ? (size_t)__builtin_ctz(m) : 16;
	if (len > 8)
		return 0;
	/* the digits in the low bytes (the first is the most significant),
	 * moved to the top of the word so that zeros lead */
	uint64_t w;
	memcpy(&w, s + i, 8);
	w = (w - 0x3030303030303030ull) << ((8 - len) * 8);
	w = ((w & 0x0f0f0f0f0f0f0f0full) * 2561) >> 8;
	w = ((w & 0x00ff00ff00ff00ffull) * 6553601) >> 16;
	*v = ((w & 0x0000ffff0000ffffull) * 42949672960001ull) >> 32;
	return len;
#else
	(void)s, (void)n, (void)i, (void)v;
	return 0;
#endif
}

/* A leaf value at s[i..) that ',' '}' or ']' follows after blanks: a
 * natural of up to 19 digits, a plain double (digits.digits), a "…" text
 * without escapes or interpolation, True or False, or a variable without
 * index. These are
 * what ps_expression would make of the same bytes (its primitive and leaf
 * fast paths), without its calls. Returns the node with *end just after
 * it, or NULL when the value is anything else (or on no memory, with
 * p->rc set): ps_expression then parses it. */
static __attribute__((noinline)) struct dhall_expr *fast_leaf(struct ps *p, size_t i,
							       size_t *end)
{
	const char *s = p->src;
	size_t n = p->len, j = i;
	if (i >= n)
		return NULL;
	unsigned char c = (unsigned char)s[i];
	struct dhall_expr *e;
	if (c >= '0' && c <= '9') {
		uint64_t v = 0;
		size_t len = short_natural(s, n, i, &v);
		if (len)
			j = i + len;
		else
			while (j < n && j - i < 20 && ps_is_digit((unsigned char)s[j]))
				v = v * 10 + (uint64_t)(s[j++] - '0');
		int next = j < n ? (unsigned char)s[j] : -1;
		if (next == '.' && j - i <= 19) {
			/* digits.digits without an exponent, as ps_number's
			 * own fast path reads it */
			size_t f = j + 1;
			while (f < n && ps_is_digit((unsigned char)s[f]))
				f++;
			double d;
			if (f == j + 1 || (f < n && (s[f] == 'e' || s[f] == 'E')) ||
			    !ps_plain_double(s + i, f - i, &d))
				return NULL;
			size_t k = blanks(s, n, f);
			if (k >= n || (s[k] != ',' && s[k] != '}' && s[k] != ']'))
				return NULL;
			if (!(e = ps_node(p, DHALL_DOUBLE, i)))
				return NULL;
			e->u.dbl = d;
			*end = f;
			return e;
		}
		/* not "0" followed by digits, not too long, not the start of
		 * a double, a date or time, 0x… or 0b… (as ps_number) */
		if (j - i > 19 || (j - i > 1 && c == '0') || next == '.' || next == 'e' ||
		    next == 'E' || next == '-' || next == ':' || next == 'x' || next == 'b' ||
		    ps_is_digit(next))
			return NULL;
		size_t k = blanks(s, n, j);
		if (k >= n || (s[k] != ',' && s[k] != '}' && s[k] != ']'))
			return NULL;
		if (!(e = ps_node(p, DHALL_NATURAL, i)))
			return NULL;
		e->u.num.small = v;
	} else if (c == '"') {
		j = ps_text_stop(s, n, j + 1);
		if (j >= n || s[j] != '"')
			return NULL;
		j++;
		size_t k = blanks(s, n, j);
		if (k >= n || (s[k] != ',' && s[k] != '}' && s[k] != ']'))
			return NULL;
		if (!(e = ps_node(p, DHALL_TEXT, i)))
			return NULL;
		ps_one_label(e, s + i + 1, j - i - 2);
	} else if (ps_cc[c] & CC_LABEL_FIRST) {
		size_t k = plain_label(s, n, i);
		if (k == i)
			return NULL; /* a keyword */
		j = k;
		k = blanks(s, n, j);
		if (k >= n || (s[k] != ',' && s[k] != '}' && s[k] != ']'))
			return NULL;
		size_t len = j - i;
		if (len == 4 && memcmp(s + i, "True", 4) == 0) {
			if (!(e = ps_node(p, DHALL_BOOL, i)))
				return NULL;
			e->op = 1;
		} else if (len == 5 && memcmp(s + i, "False", 5) == 0) {
			if (!(e = ps_node(p, DHALL_BOOL, i)))
				return NULL;
		} else if (c >= 'A' && c <= 'Z') {
			return NULL; /* perhaps a builtin: the general way */
		} else {
			if (!(e = ps_node(p, DHALL_VAR, i)))
				return NULL;
			e->label.s = s + i;
			e->label.len = len;
		}
	} else {
		return NULL;
	}
	*end = j;
	return e;
}

/* Where a comment starts at s[i] ("--" or "{-"). */
static inline bool comment_at(const char *s, size_t n, size_t i)
{
	return (s[i] == '-' || s[i] == '{') && i + 1 < n && s[i + 1] == '-';
}

/* The value at s[i] (an expression position, whitespace skipped): a
 * leaf, or a record or list by the fast paths here
 * (one nesting level, counted as ps_expression counts it), else
 * ps_expression. The cursor ends after it. */
static inline __attribute__((always_inline)) struct dhall_expr *fast_value(struct ps *p,
									     size_t i)
{
	const char *s = p->src;
	size_t n = p->len, end;
	struct dhall_expr *e;
	unsigned char c = i < n ? (unsigned char)s[i] : 0;
	if ((ps_cc[c] & CC_LEAF) && p->depth < DHALL_MAX_DEPTH) { /* as ps_enter would */
		if ((e = fast_leaf(p, i, &end))) {
			p->pos = end;
			return e;
		}
		if (p->rc)
			return NULL;
	} else if (c == '{' || c == '[') {
		if (!ps_enter(p))
			return NULL;
		p->depth++;
		p->pos = i;
		e = c == '{' ? ps_fast_record(p) : ps_fast_list(p);
		if (e) {
			/* a delimiter right after it (or one space): done */
			size_t k = p->pos < n && s[p->pos] == ' ' ? p->pos + 1 : p->pos;
			if (k >= n || (s[k] != ',' && s[k] != '}' && s[k] != ']'))
				e = ps_expression_from(p, i, e);
		}
		p->depth--;
		if (e || p->rc)
			return e;
	}
	p->pos = i;
	return ps_expression(p);
}

/* The record literal { l = v } at pos: one field, so no duplicates to
 * look for, and its label and value are kept in the node. */
static struct dhall_expr *record1(struct ps *p, size_t pos, const struct dhall_str *l,
				  struct dhall_expr *v)
{
	struct dhall_expr *r = ps_node(p, DHALL_RECORD, pos);
	if (!r)
		return NULL;
	ps_one_label(r, l->s, l->len);
	ps_one_item(r, v);
	return r;
}

/* The list [ e ] at pos: one element, kept in the node. */
static struct dhall_expr *list1(struct ps *p, size_t pos, struct dhall_expr *e)
{
	struct dhall_expr *l = ps_node(p, DHALL_LIST, pos);
	if (!l)
		return NULL;
	ps_one_item(l, e);
	return l;
}

struct dhall_expr *ps_fast_record(struct ps *p)
{
	const char *s = p->src;
	size_t n = p->len, pos = p->pos, lbase = p->labels.n, ebase = p->exprs.n;
	size_t i = blanks(s, n, pos + 1), resume = pos;
	for (;;) {
		/* at an entry: label blanks '=' blanks value */
		size_t l0 = i, l1 = plain_label(s, n, i);
		if (l1 == l0)
			goto other;
		i = blanks(s, n, l1);
		if (i >= n || s[i] != '=')
			goto other;
		size_t v0 = blanks(s, n, i + 1);
		if (v0 < n && comment_at(s, n, v0)) { /* the rest of the whitespace */
			p->pos = v0;
			if (ps_ws(p) < 0)
				return NULL;
			v0 = p->pos;
		}
		struct dhall_expr *v = fast_value(p, v0);
		struct dhall_str l = {s + l0, l1 - l0};
		if (!v)
			return NULL;
		/* after the value: '}', or ',' and the next entry */
		resume = p->pos;
		i = blanks(s, n, resume);
		if (i < n && s[i] == '}' && p->labels.n == lbase) { /* { l = v } */
			p->pos = i + 1;
			return record1(p, pos, &l, v);
		}
		if (ps_push_label(p, &l) || ps_push_expr(p, v))
			return NULL;
		if (i < n && s[i] == '}')
			goto done;
		if (i >= n || s[i] != ',')
			goto rest;
		resume = i;
		i = blanks(s, n, i + 1);
		if (i < n && s[i] == '}')
			goto done;
	}
other:
	/* not a plain entry: untouched if it is the first, else the general
	 * loop from the separator before it */
	if (p->labels.n == lbase) {
		p->pos = pos;
		return NULL;
	}
rest:
	p->pos = resume;
	return ps_record_rest(p, pos, lbase, ebase, false);
done:
	p->pos = i + 1;
	return ps_record_node(p, pos, lbase, ebase, false); /* one field too: `{ l = v, }` */
}

struct dhall_expr *ps_fast_list(struct ps *p)
{
	const char *s = p->src;
	size_t n = p->len, pos = p->pos, ebase = p->exprs.n, resume;
	size_t i = blanks(s, n, pos + 1);
	if (i >= n || s[i] == ',' || s[i] == ']' || comment_at(s, n, i)) {
		p->pos = pos; /* not taken */
		return NULL;
	}
	for (;;) {
		struct dhall_expr *e = fast_value(p, i);
		if (!e)
			return NULL;
		/* after the element: ']', or ',' and the next element */
		resume = p->pos;
		i = blanks(s, n, resume);
		if (i < n && s[i] == ']' && p->exprs.n == ebase) { /* [ e ] */
			p->pos = i + 1;
			return list1(p, pos, e);
		}
		if (ps_push_expr(p, e))
			return NULL;
		if (i < n && s[i] == ']')
			break;
		if (i >= n || s[i] != ',')
			goto rest;
		resume = i;
		i = blanks(s, n, i + 1);
		if (i < n && s[i] == ']')
			break;
		if (i >= n || s[i] == ',' || comment_at(s, n, i))
			goto rest;
	}
	p->pos = i + 1;
	return ps_list_node(p, pos, ebase);
rest:
	p->pos = resume;
	return ps_list_rest(p, pos, ebase);
}
