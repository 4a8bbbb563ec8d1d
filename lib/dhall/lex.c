/*
 * lex.c — the parser's character level: one up-front check of the whole
 * input (UTF-8, allowed code points, control characters), whitespace and
 * comments, labels and keywords, errors and the shared allocation stacks.
 *
 * The up-front check lets the rest of the parser treat bytes >= 0x80 as
 * opaque parts of valid characters: every terminal of the grammar allows
 * exactly the same set of non-ASCII code points (valid-non-ascii) or none.
 */
#include "parse_int.h"

#include <stdio.h>
#include <stdlib.h>

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

bool ps_enter(struct ps *p)
{
	if (p->stack_floor && dhall_stack_here() < p->stack_floor) {
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
		void *v = realloc(s->v, cap * s->elem);
		if (!v) {
			ps_nomem(p);
			return -1;
		}
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
 * control characters). */
#define LF (CC_LABEL_FIRST | CC_LABEL_NEXT)
#define LN CC_LABEL_NEXT
#define TS CC_TEXT_STOP
const uint8_t ps_cc[256] = {
	[0 ... 31] = TS,
	['"'] = TS, ['$'] = TS, ['\\'] = TS,
	['-'] = LN, ['/'] = LN,
	['0' ... '9'] = LN,
	['A' ... 'Z'] = LF, ['_'] = LF, ['a' ... 'z'] = LF,
};
#undef LF
#undef LN
#undef TS

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
		/* fast path: 8 bytes of printable ASCII (no byte >= 0x80 and
		 * none < 0x20) at a time */
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

/* Skips a block comment starting at "{-" (nested); false on error. */
static bool block_comment(struct ps *p)
{
	size_t start = p->pos, depth = 0;
	while (p->pos < p->len) {
		if (ps_at(p, "{-", 2)) {
			depth++;
			p->pos += 2;
		} else if (ps_at(p, "-}", 2)) {
			p->pos += 2;
			if (--depth == 0)
				return true;
		} else {
			p->pos++;
		}
	}
	ps_fail_at(p, start, "unterminated block comment");
	return false;
}

long ps_ws_slow(struct ps *p)
{
	size_t start = p->pos;
	const char *s = p->src;
	if (start == p->ws_from && p->ws_to > start) {
		p->pos = p->ws_to;
		return (long)(p->pos - start);
	}
	for (;;) {
		if (p->pos >= p->len)
			break;
		char c = s[p->pos];
		if (c == ' ' || c == '\t' || c == '\n') {
			p->pos++;
		} else if (c == '\r') { /* checked: always followed by \n */
			p->pos += 2;
		} else if (c == '-' && ps_peek(p, 1) == '-') {
			while (p->pos < p->len && s[p->pos] != '\n' && s[p->pos] != '\r')
				p->pos++;
			/* a line comment must end with a line ending, except at the
			 * very end of the file (complete-dhall-file); the caller
			 * that reaches EOF accepts that */
		} else if (c == '{' && ps_peek(p, 1) == '-') {
			if (!block_comment(p))
				return -1;
		} else {
			break;
		}
	}
	p->ws_from = start;
	p->ws_to = p->pos;
	return (long)(p->pos - start);
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


enum ps_kw ps_keyword(const char *s, size_t len)
{
	/* By length, then one comparison per candidate: this runs for every
	 * label the parser meets. */
#define IS(lit, kw)                                                                              \
	if (s[0] == (lit)[0] && memcmp(s, lit, len) == 0)                                         \
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
	i++;
	while (i < p->len && ps_is_label_next((unsigned char)p->src[i]))
		i++;
	return i - p->pos;
}

enum ps_kw ps_word_slow(struct ps *p, size_t *len)
{
	if (p->word_kw < 0 || p->word_pos != p->pos) {
		p->word_pos = p->pos;
		p->word_len = ps_simple_label_len(p);
		p->word_kw = (int)ps_keyword(p->src + p->pos, p->word_len);
	}
	*len = p->word_len;
	return (enum ps_kw)p->word_kw;
}

bool ps_at_kw(const struct ps *p, const char *kw)
{
	size_t n = strlen(kw);
	return ps_at(p, kw, n) &&
	       (p->pos + n >= p->len || !ps_is_label_next((unsigned char)p->src[p->pos + n]));
}

bool ps_label(struct ps *p, struct dhall_str *out, int kind)
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
