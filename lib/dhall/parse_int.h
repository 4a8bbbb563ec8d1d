/*
 * parse_int.h — the parser's state and the functions its files share
 * (parse.c: expressions; lex.c: whitespace, labels, keywords; lit.c:
 * numbers, text, temporal literals; import.c: imports).
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

/* A growable stack of pointers or labels that nested constructs share:
 * each construct pushes above its base and pops back to it. */
struct ps_stack {
	void *v;
	size_t n, cap, elem;
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
bool ps_enter(struct ps *p); /* depth check; false (error set) when too deep */

/* ---- allocation */
struct dhall_expr *ps_node_slow(struct ps *p, enum dhall_kind kind, size_t pos);
int ps_push_slow(struct ps *p, struct ps_stack *s, const void *elem);
/* Copies s[base..n) into the arena and pops back to base; NULL on no memory
 * (or when the slice is empty, with *ok set). */
void *ps_take(struct ps *p, struct ps_stack *s, size_t base);

/* A zeroed node from the arena (inline bump; the rest in lex.c). */
static inline struct dhall_expr *ps_node(struct ps *p, enum dhall_kind kind, size_t pos)
{
	struct dhall_chunk *c = p->arena->head;
	size_t size = (sizeof(struct dhall_expr) + 15) & ~(size_t)15;
	if (pos > UINT32_MAX || !c || c->size - c->used < size)
		return ps_node_slow(p, kind, pos);
	struct dhall_expr *e = (struct dhall_expr *)(void *)(c->data + c->used);
	c->used += size;
	p->arena->used += size;
	*e = (struct dhall_expr){.kind = (uint8_t)kind, .pos = (uint32_t)pos};
	return e;
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
/* Skips whitespace and comments; returns the number of bytes skipped, or
 * -1 on a malformed comment (error set). The inline part answers the
 * commonest case (no whitespace here) without a call. */
long ps_ws_slow(struct ps *p);
static inline long ps_ws(struct ps *p)
{
	if (p->pos < p->len) {
		unsigned char c = (unsigned char)p->src[p->pos];
		if (c != ' ' && c != '\t' && c != '\n' && c != '\r' && c != '-' && c != '{')
			return 0;
		/* one space before a token: the next commonest case */
		if (c == ' ' && p->pos + 1 < p->len) {
			unsigned char d = (unsigned char)p->src[p->pos + 1];
			if (d != ' ' && d != '\t' && d != '\n' && d != '\r' && d != '-' && d != '{') {
				p->pos++;
				return 1;
			}
		}
	}
	return ps_ws_slow(p);
}
/* Skips at least one whitespace chunk; false (error "expected whitespace"). */
bool ps_ws1(struct ps *p);
/* Checks the whole input once: valid UTF-8, allowed code points, no control
 * characters but tab and line endings. */
bool ps_check_chars(struct ps *p);

/* Character classes, one table lookup each (lex.c; c may be -1 for the
 * end of input). */
enum { CC_LABEL_FIRST = 1, CC_LABEL_NEXT = 2, CC_TEXT_STOP = 4 };
extern const uint8_t ps_cc[256];
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

/* True when the cursor is at keyword `kw` (not followed by a label char). */
bool ps_at_kw(const struct ps *p, const char *kw);

/* Parses a label (simple or `quoted`) into *out. `kind`: 0 = any-label,
 * 1 = nonreserved (binders: no builtin names unless quoted), 2 =
 * any-label-or-some. Returns false with the error set. */
bool ps_label(struct ps *p, struct dhall_str *out, int kind);

/* ---- literals (lit.c): each is tried at the cursor; returns the node,
 * or NULL with p->rc set (error) or NULL with p->rc == 0 (not this form). */
struct dhall_expr *ps_number(struct ps *p);   /* natural, integer, double, temporal */
struct dhall_expr *ps_text(struct ps *p);     /* "…" or ''…'' */
struct dhall_expr *ps_bytes(struct ps *p);    /* 0x"…" */

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

#endif
