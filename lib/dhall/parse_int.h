/*
 * parse_int.h — the parser's state and the functions its files share
 * (parse.c: expressions; parse_fast.c: the fast path for plain records and
 * lists; lex.c: whitespace, labels, keywords; lit.c: numbers, text,
 * temporal literals; import.c: imports). The small helpers every level
 * calls (character classes, whitespace, labels, node and stack bumps) are
 * inline here, their rare cases out of line.
 *
 * Conventions: every parse_* function starts at the first character of its
 * construct (whitespace already skipped) and stops right after it, without
 * consuming trailing whitespace. On failure it returns NULL (or -1) with the
 * first error recorded in p->rc / p->err; later errors never overwrite it.
 */
#ifndef SIGIL_DHALL_PARSE_INT_H
#define SIGIL_DHALL_PARSE_INT_H

#include "dhall_int.h"

#include <stdbool.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

/* A growable stack of pointers or labels that nested constructs share:
 * each construct pushes above its base and pops back to it. */
struct ps_stack {
	void *v;
	size_t n, cap, elem;
	void *fixed; /* the first buffer, not malloc'd (dhall_parse's), or NULL */
};

struct ps {
	struct dhall_arena *arena;
	const char *src;
	size_t len, pos;
	const char *name;
	struct dhall_err *err;
	int rc;
	unsigned depth;
	struct ps_stack exprs;  /* struct dhall_expr * */
	struct ps_stack labels; /* struct dhall_str */
	struct ps_stack bytes;  /* char: unescaped text being built */
	/* The node a bare `merge a b` / `toMap a` produced, so that a following
	 * `: T` makes it a typed merge/toMap rather than an annotation. */
	struct dhall_expr *bare_kw;
	/* The node a lone import-expression produced (may take `with`). */
	struct dhall_expr *lone_ie;
	/* The last whitespace run ps_ws skipped: [ws_from, ws_to). The parser
	 * looks ahead past the same whitespace at several levels (selector,
	 * completion, application, operators, annotation); this makes every
	 * look after the first O(1). */
	size_t ws_from, ws_to;
	/* Likewise for the word (simple label) at word_pos: its length and
	 * whether it is a keyword; word_len == 0 means no word there. */
	size_t word_pos, word_len;
	int word_kw; /* enum ps_kw; -1 when word_pos is not valid */
	uintptr_t stack_floor; /* dhall_run_guarded's floor; 0: no limit */
};

/* ---- errors (lex.c) */
/* Records a syntax error at `offset` (first one wins); returns NULL. */
void *ps_fail_at(struct ps *p, size_t offset, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void *ps_fail(struct ps *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void *ps_nomem(struct ps *p);
/* The depth check before one more level of nesting: false (error set)
 * when too deep, or when the stack is (then p->rc is DHALL_ESTACK). */
bool ps_enter_slow(struct ps *p);
static inline bool ps_enter(struct ps *p)
{
	if (p->depth < DHALL_MAX_DEPTH && dhall_stack_here() >= p->stack_floor)
		return true;
	return ps_enter_slow(p);
}

/* ---- allocation */
struct dhall_expr *ps_node_slow(struct ps *p, enum dhall_kind kind, size_t pos);
int ps_push_slow(struct ps *p, struct ps_stack *s, const void *elem);
/* Copies s[base..n) into the arena and pops back to base; NULL on no memory
 * (an empty slice gets a non-NULL pointer). */
void *ps_take(struct ps *p, struct ps_stack *s, size_t base);
/* The same for the two typed stacks, inline for the short slices of most
 * records and lists (the longer ones go through ps_take). */
static inline struct dhall_expr **ps_take_exprs(struct ps *p, size_t base)
{
	size_t n = p->exprs.n - base;
	if (n > 8)
		return ps_take(p, &p->exprs, base);
	struct dhall_expr **out = dhall_arena_alloc_uninit(p->arena, n ? n * sizeof *out : 1);
	if (!out)
		return ps_nomem(p);
	struct dhall_expr **from = (struct dhall_expr **)p->exprs.v + base;
	if (n == 1)
		out[0] = from[0];
	else if (n)
		memcpy(out, from, n * sizeof *out);
	p->exprs.n = base;
	return out;
}
static inline struct dhall_str *ps_take_labels(struct ps *p, size_t base)
{
	size_t n = p->labels.n - base;
	if (n > 8)
		return ps_take(p, &p->labels, base);
	struct dhall_str *out = dhall_arena_alloc_uninit(p->arena, n ? n * sizeof *out : 1);
	if (!out)
		return ps_nomem(p);
	struct dhall_str *from = (struct dhall_str *)p->labels.v + base;
	if (n == 1)
		out[0] = from[0];
	else if (n)
		memcpy(out, from, n * sizeof *out);
	p->labels.n = base;
	return out;
}

/* A zeroed node from the arena (inline bump; the rest in lex.c). */
static inline struct dhall_expr *ps_node(struct ps *p, enum dhall_kind kind, size_t pos)
{
	struct dhall_chunk *c = p->arena->head;
	size_t size = (sizeof(struct dhall_expr) + 7) & ~(size_t)7;
	if (pos > UINT32_MAX || !c || c->size - c->used < size)
		return ps_node_slow(p, kind, pos);
	struct dhall_expr *e = (struct dhall_expr *)(void *)(c->data + c->used);
	c->used += size;
	p->arena->used += size;
	*e = (struct dhall_expr){.kind = (uint8_t)kind, .pos = (uint32_t)pos};
	return e;
}

/* A node's only item or label kept in the node itself (see "one item or
 * label" at struct dhall_expr): no arrays of one to allocate. */
static inline void ps_one_item(struct dhall_expr *e, struct dhall_expr *item)
{
	e->b = item;
	e->items = &e->b;
	e->n = 1;
}
static inline void ps_one_label(struct dhall_expr *e, const char *s, size_t len)
{
	e->label = (struct dhall_str){s, len};
	e->labels = &e->label;
}

/* Pushes one element (its size is the stack's elem); 0 or -1 (no memory,
 * error set). The typed ones copy inline. */
static inline int ps_push(struct ps *p, struct ps_stack *s, const void *elem)
{
	return ps_push_slow(p, s, elem);
}
static inline int ps_push_expr(struct ps *p, struct dhall_expr *e)
{
	struct ps_stack *s = &p->exprs;
	if (s->n == s->cap)
		return ps_push_slow(p, s, &e);
	((struct dhall_expr **)s->v)[s->n++] = e;
	return 0;
}
static inline int ps_push_label(struct ps *p, const struct dhall_str *l)
{
	struct ps_stack *s = &p->labels;
	if (s->n == s->cap)
		return ps_push_slow(p, s, l);
	((struct dhall_str *)s->v)[s->n++] = *l;
	return 0;
}

/* ---- characters and whitespace (lex.c) */
static inline int ps_peek(const struct ps *p, size_t k)
{
	return p->pos + k < p->len ? (unsigned char)p->src[p->pos + k] : -1;
}
static inline bool ps_at(const struct ps *p, const char *s, size_t n)
{
	return p->len - p->pos >= n && memcmp(p->src + p->pos, s, n) == 0;
}
/* Character classes, one table lookup each (lex.c; c may be -1 for the
 * end of input in the functions). CC_WS: what can start whitespace (a
 * space, tab, line ending, or the '-' / '{' of a comment); CC_BLANK: the
 * whitespace characters themselves; CC_LEAF: what can start a leaf of
 * parse_fast.c (a digit, '"', a label's first letter). */
enum { CC_LABEL_FIRST = 1, CC_LABEL_NEXT = 2, CC_TEXT_STOP = 4, CC_WS = 8, CC_BLANK = 16,
       CC_LEAF = 32 };

/* Skips whitespace and comments; returns the number of bytes skipped, or
 * -1 on a malformed comment (error set). The inline part answers the
 * commonest case (no whitespace here) without a call. */
long ps_ws_slow(struct ps *p);
extern const uint8_t ps_cc[256];
static inline long ps_ws(struct ps *p)
{
	if (p->pos < p->len) {
		unsigned char c = (unsigned char)p->src[p->pos];
		if (!(ps_cc[c] & CC_WS))
			return 0;
		/* one space before a token: the next commonest case */
		if (c == ' ' && p->pos + 1 < p->len &&
		    !(ps_cc[(unsigned char)p->src[p->pos + 1]] & CC_WS)) {
			p->pos++;
			return 1;
		}
	}
	return ps_ws_slow(p);
}

/* Skips at least one whitespace chunk; false (error "expected whitespace"). */
bool ps_ws1(struct ps *p);
/* Checks the whole input once: valid UTF-8, allowed code points, no control
 * characters but tab and line endings. */
bool ps_check_chars(struct ps *p);

static inline bool ps_is_label_first(int c)
{
	return c >= 0 && (ps_cc[c] & CC_LABEL_FIRST);
}
static inline bool ps_is_label_next(int c)
{
	return c >= 0 && (ps_cc[c] & CC_LABEL_NEXT);
}
static inline bool ps_is_digit(int c)
{
	return c >= '0' && c <= '9';
}

/* Scans of a run of one class of bytes, 16 bytes at a time with SSE2: the
 * end of a label, a text's plain part or a run of blanks is found without
 * a branch per byte, whose exit the CPU would guess wrong at nearly every
 * token. ps_scan steps over the bytes from s[j] (j <= n) whose ps_cc
 * classes masked with `cc` equal `want`, and returns where the first other
 * one is (or n); `keep` (PS_KEEP16: one of the classifiers below, or
 * nothing without SSE2) marks the same bytes 0xff in a 16-byte block. */
#ifdef __SSE2__
typedef __m128i ps_keep16(__m128i v);
#define PS_KEEP16(f) (f)
#else
typedef void ps_keep16(void);
#define PS_KEEP16(f) NULL
#endif
static inline __attribute__((always_inline)) size_t ps_scan(const char *s, size_t n, size_t j,
							     ps_keep16 *keep, unsigned cc,
							     unsigned want)
{
#ifdef __SSE2__
	for (; n - j >= 16; j += 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)(s + j));
		unsigned m = ~(unsigned)_mm_movemask_epi8(keep(v)) & 0xffff;
		if (m)
			return j + (size_t)__builtin_ctz(m);
	}
#else
	(void)keep;
#endif
	while (j < n && (ps_cc[(unsigned char)s[j]] & cc) == want)
		j++;
	return j;
}

#ifdef __SSE2__
/* x <= max, unsigned, bytewise */
static inline __m128i ps_le16(__m128i x, char max)
{
	return _mm_cmpeq_epi8(_mm_min_epu8(x, _mm_set1_epi8(max)), x);
}
static inline __m128i ps_eq16(__m128i v, char c)
{
	return _mm_cmpeq_epi8(v, _mm_set1_epi8(c));
}
/* CC_LABEL_NEXT: letters ((v | 0x20) - 'a' <= 25), digits, _ - / */
static inline __m128i ps_label16(__m128i v)
{
	__m128i l = _mm_sub_epi8(_mm_or_si128(v, _mm_set1_epi8(0x20)), _mm_set1_epi8('a'));
	__m128i d = _mm_sub_epi8(v, _mm_set1_epi8('0'));
	return _mm_or_si128(_mm_or_si128(ps_le16(l, 25), ps_le16(d, 9)),
			    _mm_or_si128(ps_eq16(v, '_'), _mm_or_si128(ps_eq16(v, '-'), ps_eq16(v, '/'))));
}
/* not CC_TEXT_STOP: not a control character, '"', '\\' or '$' */
static inline __m128i ps_text16(__m128i v)
{
	__m128i stop = _mm_or_si128(_mm_or_si128(ps_le16(v, 0x1f), ps_eq16(v, '"')),
				    _mm_or_si128(ps_eq16(v, '\\'), ps_eq16(v, '$')));
	return _mm_cmpeq_epi8(stop, _mm_setzero_si128());
}
/* CC_BLANK: space, tab, CR, LF */
static inline __m128i ps_blank16(__m128i v)
{
	return _mm_or_si128(_mm_or_si128(ps_eq16(v, ' '), ps_eq16(v, '\n')),
			    _mm_or_si128(ps_eq16(v, '\t'), ps_eq16(v, '\r')));
}
#endif

/* The end of the label characters (CC_LABEL_NEXT: A-Z a-z 0-9 _ - /)
 * from s[j], j <= n. */
static inline size_t ps_label_end(const char *s, size_t n, size_t j)
{
	/* a one-letter label ends at once */
	if (j < n && !(ps_cc[(unsigned char)s[j]] & CC_LABEL_NEXT))
		return j;
	return ps_scan(s, n, j, PS_KEEP16(ps_label16), CC_LABEL_NEXT, CC_LABEL_NEXT);
}

/* The first byte from s[j] (j <= n) that a double-quoted text cannot hold
 * as it is (CC_TEXT_STOP: '"', '\\', '$', control characters), or n. */
static inline size_t ps_text_stop(const char *s, size_t n, size_t j)
{
	return ps_scan(s, n, j, PS_KEEP16(ps_text16), CC_TEXT_STOP, 0);
}

/* The end of the blanks (CC_BLANK) from s[j], j <= n (a CR is always
 * followed by a LF, ps_check_chars made sure: both are blanks). */
static inline size_t ps_blanks_end(const char *s, size_t n, size_t j)
{
	return ps_scan(s, n, j, PS_KEEP16(ps_blank16), CC_BLANK, CC_BLANK);
}

/* Keywords of the `keyword` rule. */
enum ps_kw {
	KW_NONE = 0, KW_IF, KW_THEN, KW_ELSE, KW_LET, KW_IN, KW_USING, KW_MISSING, KW_ASSERT,
	KW_AS, KW_INFINITY, KW_NAN, KW_MERGE, KW_SOME, KW_TOMAP, KW_FORALL, KW_WITH,
	KW_SHOWCONSTRUCTOR
};
/* The keyword spelled by s[0..len), or KW_NONE. */
enum ps_kw ps_keyword(const char *s, size_t len);
/* Length of the simple-label characters at the cursor (0 if none). */
size_t ps_simple_label_len(const struct ps *p);
/* The simple label at the cursor: returns its keyword (KW_NONE when it is
 * an ordinary label or there is none) and its length in *len (0 if none).
 * Remembered per position, so the levels that all look at the same word
 * scan it once. */
enum ps_kw ps_word_slow(struct ps *p, size_t *len);
static inline enum ps_kw ps_word(struct ps *p, size_t *len)
{
	if (p->pos >= p->len || !(ps_cc[(unsigned char)p->src[p->pos]] & CC_LABEL_FIRST)) {
		*len = 0; /* not a word: nothing to remember */
		return KW_NONE;
	}
	if (p->word_kw >= 0 && p->word_pos == p->pos) {
		*len = p->word_len;
		return (enum ps_kw)p->word_kw;
	}
	return ps_word_slow(p, len);
}

/* True when the cursor is at keyword `kw` (a string literal), not followed
 * by a label character. */
static inline bool ps_at_kw_n(const struct ps *p, const char *kw, size_t n)
{
	return ps_at(p, kw, n) &&
	       (p->pos + n >= p->len || !ps_is_label_next((unsigned char)p->src[p->pos + n]));
}
#define ps_at_kw(p, kw) ps_at_kw_n(p, kw, sizeof(kw) - 1)

/* Could s[0..len) (a simple label) be a keyword? One table lookup, by
 * first letter and length, answers "no" for nearly every label. */
extern const uint16_t ps_kw_lens[128];
static inline bool ps_maybe_kw(const char *s, size_t len)
{
	return len < 16 && (ps_kw_lens[(unsigned char)s[0] & 127] >> len & 1);
}

/* Parses a label (simple or `quoted`) into *out. `kind`: 0 = any-label,
 * 1 = nonreserved (binders: no builtin names unless quoted), 2 =
 * any-label-or-some. Returns false with the error set. The inline part
 * takes the commonest case: a simple label that cannot be a keyword (nor,
 * for kind 1, a builtin: those all start with a capital). */
bool ps_label_slow(struct ps *p, struct dhall_str *out, int kind);
static inline bool ps_label(struct ps *p, struct dhall_str *out, int kind)
{
	const unsigned char *s = (const unsigned char *)p->src;
	size_t i = p->pos, n = p->len;
	if (i < n && (ps_cc[s[i]] & CC_LABEL_FIRST) &&
	    (kind != 1 || !(s[i] >= 'A' && s[i] <= 'Z'))) {
		size_t j = ps_label_end(p->src, n, i + 1);
		if (!ps_maybe_kw(p->src + i, j - i) || ps_keyword(p->src + i, j - i) == KW_NONE) {
			out->s = p->src + i;
			out->len = j - i;
			p->pos = j;
			return true;
		}
	}
	return ps_label_slow(p, out, kind);
}

/* ---- literals (lit.c): each is tried at the cursor; returns the node,
 * or NULL with p->rc set (error) or NULL with p->rc == 0 (not this form). */
struct dhall_expr *ps_number(struct ps *p);   /* natural, integer, double, temporal */
struct dhall_expr *ps_text(struct ps *p);     /* "…" or ''…'' */
struct dhall_expr *ps_bytes(struct ps *p);    /* 0x"…" */
/* The value of the double literal q[0..len) when it is [+-]digits.digits
 * with at most 15 digits (exact, as strtod would round it); false when it
 * is of another form (the caller then uses strtod). */
bool ps_plain_double(const char *q, size_t len, double *out);

/* ---- imports (import.c) */
/* True when the cursor starts an import (path, URL, env:, missing). */
bool ps_at_import_slow(const struct ps *p);
static inline bool ps_at_import(const struct ps *p)
{
	int c = ps_peek(p, 0);
	/* the common case, decided by one byte: imports start with / . ~ h e m */
	if (c != '/' && c != '.' && c != '~' && c != 'h' && c != 'e' && c != 'm')
		return false;
	return ps_at_import_slow(p);
}
struct dhall_expr *ps_import(struct ps *p);

/* ---- expressions (parse.c) */
struct dhall_expr *ps_expression(struct ps *p);
struct dhall_expr *ps_import_expression(struct ps *p);
/* The rest of an expression whose first primitive (at pos) a fast path
 * has parsed, the cursor after it: that primitive when a delimiter
 * follows, else what the grammar makes of it (operators, application,
 * selectors, annotation, …), as ps_expression would have. */
struct dhall_expr *ps_expression_from(struct ps *p, size_t pos, struct dhall_expr *first);
/* The general loops of a record and a list, resumed from just after an
 * entry or element (pushed on p->labels / p->exprs above lbase / ebase,
 * the separator not yet read) up to and including the closing bracket;
 * pos is the opening one. The fast paths hand over to these. */
struct dhall_expr *ps_record_rest(struct ps *p, size_t pos, size_t lbase, size_t ebase,
				  bool is_type);
struct dhall_expr *ps_list_rest(struct ps *p, size_t pos, size_t ebase);
/* The list literal at pos whose items are the expressions pushed since
 * ebase (taken off the stack); p->pos is past its `]`. */
struct dhall_expr *ps_list_node(struct ps *p, size_t pos, size_t ebase);
/* The record node of the entries above lbase / ebase (popped), duplicate
 * fields of a literal combined; the cursor is past the closing brace. */
struct dhall_expr *ps_record_node(struct ps *p, size_t pos, size_t lbase, size_t ebase,
				  bool is_type);

/* ---- the fast path for plain data (parse_fast.c): a record literal or a
 * non-empty list at the cursor. Returns the node, or NULL with p->rc set
 * (error), or NULL with p->rc == 0 and the cursor where it was: not taken
 * (its first entry is not of the plain form), parse it the general way. */
struct dhall_expr *ps_fast_record(struct ps *p);
struct dhall_expr *ps_fast_list(struct ps *p);

#endif
