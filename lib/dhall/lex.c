/*
 * lex.c — the parser's character level: one up-front check of the whole
 * input (UTF-8, allowed code points, control characters), whitespace and
 * comments, labels and keywords, errors and the shared allocation stacks.
 *
 * The up-front check lets the rest of the parser treat bytes >= 0x80 as
 * opaque parts of valid characters: every terminal of the grammar allows
 * exactly the same set of non-ASCII code points (valid-non-ascii) or none.
 * It reads 16 bytes at a time (SSE2) and stops only at the bytes that need
 * a look: non-ASCII, CR and control characters. Character classes are one
 * table (ps_cc); whitespace runs skip indentation eight spaces at a time
 * and comments with memchr.
 */
#include "parse_int.h"

#include <stdio.h>
#include <stdlib.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "banned.h"

void *ps_fail_at(struct ps *p, size_t offset, const char *fmt, ...)
{
	if (p->rc)
		return NULL;
	p->rc = DHALL_ESYNTAX;
	if (p->err) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(p->err->msg, sizeof p->err->msg, fmt, ap);
		va_end(ap);
		dhall_err_locate(p->err, p->name, p->src, p->len, offset);
	}
	return NULL;
}

void *ps_fail(struct ps *p, const char *fmt, ...)
{
	if (p->rc)
		return NULL;
	p->rc = DHALL_ESYNTAX;
	if (p->err) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(p->err->msg, sizeof p->err->msg, fmt, ap);
		va_end(ap);
		dhall_err_locate(p->err, p->name, p->src, p->len, p->pos);
	}
	return NULL;
}

void *ps_nomem(struct ps *p)
{
	if (!p->rc) {
		p->rc = DHALL_ENOMEM;
		if (p->err)
			snprintf(p->err->msg, sizeof p->err->msg, "out of memory");
	}
	return NULL;
}

bool ps_enter_slow(struct ps *p)
{
	if (dhall_stack_here() < p->stack_floor) {
		if (!p->rc)
			p->rc = DHALL_ESTACK; /* start over on a bigger stack */
		return false;
	}
	if (p->depth < DHALL_MAX_DEPTH)
		return true;
	if (!p->rc) {
		ps_fail(p, "expression nested deeper than %d levels", DHALL_MAX_DEPTH);
		p->rc = DHALL_ELIMIT;
	}
	return false;
}

struct dhall_expr *ps_node_slow(struct ps *p, enum dhall_kind kind, size_t pos)
{
	struct dhall_expr *e = dhall_arena_alloc(p->arena, sizeof *e);
	if (!e)
		return ps_nomem(p);
	e->kind = (uint8_t)kind;
	e->pos = pos > UINT32_MAX ? UINT32_MAX : (uint32_t)pos;
	return e;
}

int ps_push_slow(struct ps *p, struct ps_stack *s, const void *elem)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;
		void *v = s->v == s->fixed ? malloc(cap * s->elem) : realloc(s->v, cap * s->elem);
		if (!v) {
			ps_nomem(p);
			return -1;
		}
		if (s->v == s->fixed && s->n)
			memcpy(v, s->v, s->n * s->elem);
		s->v = v;
		s->cap = cap;
	}
	memcpy((char *)s->v + s->n * s->elem, elem, s->elem);
	s->n++;
	return 0;
}

void *ps_take(struct ps *p, struct ps_stack *s, size_t base)
{
	size_t n = s->n - base;
	void *out = dhall_arena_alloc_uninit(p->arena, n ? n * s->elem : 1);
	if (!out)
		return ps_nomem(p);
	if (n)
		memcpy(out, (char *)s->v + base * s->elem, n * s->elem);
	s->n = base;
	return out;
}

/* ---------------------------------------------------------------- characters */

/* CC_LABEL_FIRST: A-Z a-z _; CC_LABEL_NEXT: those, 0-9, - and /;
 * CC_TEXT_STOP: what ends the plain run of a "…" literal (" \ $ and the
 * control characters); CC_WS: space, tab, CR, LF, '-' and '{'; CC_BLANK:
 * space, tab, CR, LF; CC_LEAF: '"', digits, A-Z a-z _. */
#define LF (CC_LABEL_FIRST | CC_LABEL_NEXT)
#define LN CC_LABEL_NEXT
#define TS CC_TEXT_STOP
#define WS CC_WS
#define BL CC_BLANK
#define LE CC_LEAF
const uint8_t ps_cc[256] = {
	[0 ... 8] = TS, ['\t'] = TS | WS | BL, ['\n'] = TS | WS | BL, [11 ... 12] = TS,
	['\r'] = TS | WS | BL, [14 ... 31] = TS, [' '] = WS | BL,
	['"'] = TS | LE, ['$'] = TS, ['\\'] = TS,
	['-'] = LN | WS, ['/'] = LN, ['{'] = WS,
	['0' ... '9'] = LN | LE,
	['A' ... 'Z'] = LF | LE, ['_'] = LF | LE, ['a' ... 'z'] = LF | LE,
};
#undef LF
#undef LN
#undef TS
#undef WS
#undef BL
#undef LE

size_t dhall_utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	size_t len;
	uint32_t c, min;
	if ((s[0] & 0xe0) == 0xc0) {
		len = 2, c = s[0] & 0x1f, min = 0x80;
	} else if ((s[0] & 0xf0) == 0xe0) {
		len = 3, c = s[0] & 0x0f, min = 0x800;
	} else if ((s[0] & 0xf8) == 0xf0) {
		len = 4, c = s[0] & 0x07, min = 0x10000;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

bool ps_check_chars(struct ps *p)
{
	const unsigned char *s = (const unsigned char *)p->src;
	size_t n = p->len;
	for (size_t i = 0; i < n;) {
		/* fast path: printable ASCII (no byte >= 0x80 and none < 0x20),
		 * 16 bytes at a time where SSE2 is there, then 8 */
#ifdef __SSE2__
		while (n - i >= 16) {
			__m128i v = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
			/* bytes < 0x20 or >= 0x80 are the signed bytes < 0x20;
			 * of those, tab and line feed are fine */
			__m128i bad = _mm_cmplt_epi8(v, _mm_set1_epi8(0x20));
			__m128i ok = _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('\n')),
						  _mm_cmpeq_epi8(v, _mm_set1_epi8('\t')));
			unsigned m = (unsigned)_mm_movemask_epi8(_mm_andnot_si128(ok, bad));
			if (m) { /* straight to the first byte to look at */
				i += (size_t)__builtin_ctz(m);
				break;
			}
			i += 16;
		}
#endif
		while (n - i >= 8) {
			uint64_t w;
			memcpy(&w, s + i, 8);
			const uint64_t hi = 0x8080808080808080ull, k20 = 0x2020202020202020ull;
			if ((w | ((w - k20) & ~w)) & hi)
				break;
			i += 8;
		}
		if (i >= n)
			break;
		unsigned char c = s[i];
		if (c >= 0x20 && c < 0x80) {
			i++;
			continue;
		}
		if (c == '\t' || c == '\n') {
			i++;
			continue;
		}
		if (c == '\r') {
			if (i + 1 < n && s[i + 1] == '\n') {
				i += 2;
				continue;
			}
			ps_fail_at(p, i, "a carriage return not followed by a line feed");
			return false;
		}
		if (c < 0x20) {
			ps_fail_at(p, i, "control character U+%04X is not allowed here", c);
			return false;
		}
		/* the commonest non-ASCII characters (λ, →, ∀, ≡ …) inline: two
		 * bytes from C2, or three from E1-EC (neither surrogates nor
		 * U+FFFE/FFFF are among them); the rest in full below */
		if (c >= 0xc2 && c <= 0xdf && i + 1 < n && (s[i + 1] & 0xc0) == 0x80) {
			i += 2;
			continue;
		}
		if (c >= 0xe1 && c <= 0xec && i + 2 < n && (s[i + 1] & 0xc0) == 0x80 &&
		    (s[i + 2] & 0xc0) == 0x80) {
			i += 3;
			continue;
		}
		uint32_t cp;
		size_t l = dhall_utf8_decode(s + i, n - i, &cp);
		if (!l) {
			ps_fail_at(p, i, "invalid UTF-8");
			return false;
		}
		if ((cp & 0xfffe) == 0xfffe) {
			ps_fail_at(p, i, "non-character U+%04X is not allowed", (unsigned)cp);
			return false;
		}
		i += l;
	}
	return true;
}

/* ---------------------------------------------------------------- whitespace */

/* Skips a block comment starting at "{-" (nested); false on error. Both
 * "{-" and "-}" hold a '-', so the scan jumps from one '-' to the next. */
static bool block_comment(struct ps *p)
{
	const char *s = p->src;
	size_t start = p->pos, n = p->len, i = p->pos + 2, depth = 1;
	while (i < n) {
		const char *q = memchr(s + i, '-', n - i);
		if (!q)
			break;
		size_t j = (size_t)(q - s);
		if (j > i && s[j - 1] == '{') { /* "{-" from j - 1 */
			depth++;
			i = j + 1;
		} else if (j + 1 < n && s[j + 1] == '}') { /* "-}" */
			i = j + 2;
			if (--depth == 0) {
				p->pos = i;
				return true;
			}
		} else {
			i = j + 1;
		}
	}
	ps_fail_at(p, start, "unterminated block comment");
	return false;
}

/* The rest of ps_ws_slow once a comment starts at p->pos: comments and
 * blanks up to the next token; start is where the run began. */
static __attribute__((noinline)) long ws_comments(struct ps *p, size_t start)
{
	const char *s = p->src;
	size_t i = p->pos, n = p->len;
	while (i + 1 < n) {
		if (s[i] == '-' && s[i + 1] == '-') {
			/* a line comment, to the line feed; one that reaches
			 * the end of the file is accepted by the caller that
			 * meets it there (complete-dhall-file) */
			const char *lf = memchr(s + i, '\n', n - i);
			i = lf ? (size_t)(lf - s) : n;
		} else if (s[i] == '{' && s[i + 1] == '-') {
			p->pos = i;
			if (!block_comment(p))
				return -1;
			i = p->pos;
		} else {
			break;
		}
		i = ps_blanks_end(s, n, i);
	}
	p->pos = i;
	p->ws_from = start;
	p->ws_to = i;
	return (long)(i - start);
}

long ps_ws_slow(struct ps *p)
{
	size_t start = p->pos, n = p->len;
	if (start == p->ws_from && p->ws_to > start) {
		p->pos = p->ws_to;
		return (long)(p->pos - start);
	}
	const char *s = p->src;
	size_t i = ps_blanks_end(s, n, start);
	if (i + 1 < n && s[i + 1] == '-' && (s[i] == '-' || s[i] == '{')) {
		p->pos = i;
		return ws_comments(p, start);
	}
	p->pos = i;
	p->ws_from = start;
	p->ws_to = i;
	return (long)(i - start);
}

bool ps_ws1(struct ps *p)
{
	long n = ps_ws(p);
	if (n < 0)
		return false;
	if (n == 0) {
		ps_fail(p, "expected whitespace");
		return false;
	}
	return true;
}

/* ---------------------------------------------------------------- labels */


/* Bit n of ps_kw_lens[c]: some keyword of length n starts with c (the
 * filter for ps_keyword; keep it in step with the list there). */
#define L(n) (1u << (n))
const uint16_t ps_kw_lens[128] = {
	['i'] = L(2), ['a'] = L(2) | L(6), ['l'] = L(3), ['N'] = L(3), ['t'] = L(4) | L(5),
	['e'] = L(4), ['S'] = L(4), ['w'] = L(4), ['u'] = L(5), ['m'] = L(5) | L(7),
	['f'] = L(6), ['I'] = L(8), ['s'] = L(15),
};
#undef L

enum ps_kw ps_keyword(const char *s, size_t len)
{
	/* By length, then one comparison per candidate: this runs for every
	 * label the parser meets. */
#define IS(lit, kw)                                                                              \
	if (s[0] == (lit)[0] && memcmp(s, lit, sizeof(lit) - 1) == 0)                              \
		return kw;
	switch (len) {
	case 2:
		IS("if", KW_IF) IS("in", KW_IN) IS("as", KW_AS) break;
	case 3:
		IS("let", KW_LET) IS("NaN", KW_NAN) break;
	case 4:
		IS("then", KW_THEN) IS("else", KW_ELSE) IS("Some", KW_SOME) IS("with", KW_WITH) break;
	case 5:
		IS("using", KW_USING) IS("merge", KW_MERGE) IS("toMap", KW_TOMAP) break;
	case 6:
		IS("assert", KW_ASSERT) IS("forall", KW_FORALL) break;
	case 7:
		IS("missing", KW_MISSING) break;
	case 8:
		IS("Infinity", KW_INFINITY) break;
	case 15:
		IS("showConstructor", KW_SHOWCONSTRUCTOR) break;
	}
#undef IS
	return KW_NONE;
}

size_t ps_simple_label_len(const struct ps *p)
{
	size_t i = p->pos;
	if (i >= p->len || !ps_is_label_first((unsigned char)p->src[i]))
		return 0;
	return ps_label_end(p->src, p->len, i + 1) - p->pos;
}

enum ps_kw ps_word_slow(struct ps *p, size_t *len)
{
	if (p->word_kw < 0 || p->word_pos != p->pos) {
		p->word_pos = p->pos;
		p->word_len = ps_simple_label_len(p);
		p->word_kw = ps_maybe_kw(p->src + p->pos, p->word_len)
				     ? (int)ps_keyword(p->src + p->pos, p->word_len)
				     : KW_NONE;
	}
	*len = p->word_len;
	return (enum ps_kw)p->word_kw;
}


bool ps_label_slow(struct ps *p, struct dhall_str *out, int kind)
{
	size_t start = p->pos;
	if (ps_peek(p, 0) == '`') {
		size_t i = p->pos + 1;
		while (i < p->len && p->src[i] != '`') {
			unsigned char c = (unsigned char)p->src[i];
			if (c < 0x20 || c > 0x7e) {
				ps_fail_at(p, i, "this character is not allowed in a quoted label");
				return false;
			}
			i++;
		}
		if (i >= p->len) {
			ps_fail_at(p, start, "unterminated quoted label");
			return false;
		}
		out->s = p->src + p->pos + 1;
		out->len = i - p->pos - 1;
		p->pos = i + 1;
		return true;
	}
	size_t n;
	enum ps_kw kw = ps_word(p, &n);
	if (!n) {
		ps_fail(p, "expected a label");
		return false;
	}
	if (kw != KW_NONE && !(kind == 2 && kw == KW_SOME)) {
		ps_fail(p, "'%.*s' is a keyword; quote it with backticks to use it as a label",
			(int)n, p->src + p->pos);
		return false;
	}
	if (kind == 1 && (dhall_builtin_lookup(p->src + p->pos, n) >= 0 ||
			  (n == 4 && memcmp(p->src + p->pos, "True", 4) == 0) ||
			  (n == 5 && memcmp(p->src + p->pos, "False", 5) == 0))) {
		ps_fail(p, "'%.*s' is a builtin and cannot be bound; quote it with backticks",
			(int)n, p->src + p->pos);
		return false;
	}
	out->s = p->src + p->pos;
	out->len = n;
	p->pos += n;
	return true;
}
