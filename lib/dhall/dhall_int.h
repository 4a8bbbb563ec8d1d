/*
 * dhall_int.h — what the files of lib/dhall share and nobody else sees:
 * byte-buffer appends, a canonical CBOR writer, the big-stack runner, and
 * error helpers.
 */
#ifndef SIGIL_DHALL_INT_H
#define SIGIL_DHALL_INT_H

#include "dhall/dhall.h"

#include <stdarg.h>
#include <stdbool.h>

/* An arena chunk (arena.c). */
struct dhall_chunk {
	struct dhall_chunk *next;
	size_t size, used;
	size_t mapped; /* bytes mmap'd for the chunk, 0 when malloc'd */
	/* data[dirty..size) has never been handed out, so (mmap'd: zero
	 * pages) needs no memset in dhall_arena_alloc; malloc'd: dirty = size */
	size_t dirty;
	_Alignas(16) unsigned char data[];
};

/* Empties the arena for reuse: everything allocated from it is gone, but
 * its newest chunk (the largest, up to 4 MiB) stays, already paged in, so
 * a scratch arena used over and over (one per imported file) does not map
 * and unmap its memory each time. */
void dhall_arena_reset(struct dhall_arena *a);

/* A position in an arena to go back to: everything allocated after it is
 * released at once (scoped scratch memory: the evaluator's regions). */
struct dhall_arena_mark {
	struct dhall_chunk *chunk; /* the newest chunk then (NULL: none) */
	size_t used;               /* its bytes in use then */
	size_t total;              /* the arena's `used` then */
};
static inline struct dhall_arena_mark dhall_arena_mark(const struct dhall_arena *a)
{
	struct dhall_arena_mark m = {a->head, a->head ? a->head->used : 0, a->used};
	return m;
}
/* Gives back everything allocated since m (marks are released in the
 * reverse order they were taken, with no dhall_arena_reset between): the
 * chunks made since are freed but for one, kept as the arena's spare. */
void dhall_arena_release(struct dhall_arena *a, const struct dhall_arena_mark *m);
/* Whether p points into memory allocated since m (not yet released). */
int dhall_arena_since(const struct dhall_arena *a, const struct dhall_arena_mark *m,
		      const void *p);

/* Like dhall_arena_alloc, but the memory is not zeroed (for copies); the
 * bump itself is inline, a new chunk is arena.c's business. */
void *dhall_arena_alloc_slow(struct dhall_arena *a, size_t size);
static inline void *dhall_arena_alloc_uninit(struct dhall_arena *a, size_t size)
{
	struct dhall_chunk *c = a->head;
	size = (size + 7) & ~(size_t)7;
	if (c && c->size - c->used >= size) {
		void *p = c->data + c->used;
		c->used += size;
		a->used += size;
		return p;
	}
	return dhall_arena_alloc_slow(a, size);
}

/* Returns from the calling function when x (an int status) is non-zero. */
#define DHALL_TRY(x)                                                                             \
	do {                                                                                     \
		int try_rc_ = (x);                                                               \
		if (try_rc_)                                                                     \
			return try_rc_;                                                          \
	} while (0)

/* ---- byte buffer (all return 0 or DHALL_ENOMEM) */
int dhall_buf_reserve(struct dhall_buf *b, size_t extra);
int dhall_buf_put(struct dhall_buf *b, const void *data, size_t len);
int dhall_buf_putc(struct dhall_buf *b, uint8_t c);
int dhall_buf_puts(struct dhall_buf *b, const char *s);
/* v in decimal, without printf */
int dhall_buf_put_u64(struct dhall_buf *b, uint64_t v);
/* n copies of c */
int dhall_buf_put_n(struct dhall_buf *b, uint8_t c, size_t n);
int dhall_buf_printf(struct dhall_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* ---- canonical CBOR writer (RFC 8949 §4.2.1 preferred serialization):
 * heads in their shortest form. All return 0 or DHALL_ENOMEM. */
enum { CBOR_UINT = 0, CBOR_NEGINT = 1, CBOR_BYTES = 2, CBOR_TEXT = 3, CBOR_ARRAY = 4,
       CBOR_MAP = 5, CBOR_TAG = 6, CBOR_SIMPLE = 7 };
int dhall_cbor_head_slow(struct dhall_buf *b, unsigned major, uint64_t value);
static inline int dhall_cbor_head(struct dhall_buf *b, unsigned major, uint64_t value)
{
	if (value < 24 && b->len < b->cap) { /* the commonest head: one byte */
		b->data[b->len++] = (uint8_t)(major << 5 | value);
		return 0;
	}
	return dhall_cbor_head_slow(b, major, value);
}
int dhall_cbor_uint(struct dhall_buf *b, uint64_t v);
int dhall_cbor_text_slow(struct dhall_buf *b, const char *s, size_t len);
static inline int dhall_cbor_text(struct dhall_buf *b, const char *s, size_t len)
{
	if (len < 24 && b->cap - b->len > 24) { /* short labels: the commonest */
		b->data[b->len] = (uint8_t)(CBOR_TEXT << 5 | len);
		for (size_t i = 0; i < len; i++)
			b->data[b->len + 1 + i] = (uint8_t)s[i];
		b->len += 1 + len;
		return 0;
	}
	return dhall_cbor_text_slow(b, s, len);
}
int dhall_cbor_bytes(struct dhall_buf *b, const void *s, size_t len);
int dhall_cbor_bool(struct dhall_buf *b, int v);
int dhall_cbor_null(struct dhall_buf *b);
/* A double in the smallest of half/single/double that holds it exactly
 * (NaN as the half 0x7e00). */
int dhall_cbor_double(struct dhall_buf *b, double d);
/* A natural: an unsigned int, or tag 2 + big-endian bytes when it is big. */
int dhall_cbor_num(struct dhall_buf *b, const struct dhall_num *n);
/* An integer: sign + magnitude (uint, negint, or tag 2/3 bignum). */
int dhall_cbor_int(struct dhall_buf *b, int negative, const struct dhall_num *n);

/* How deep the tree walkers (encode, decode, format, JSON) may recurse:
 * the parser bounds bracket nesting by DHALL_MAX_DEPTH, but loops build
 * deeper trees from flat input (a + b + … + z, long let chains), so the
 * walkers allow more; dhall_run_deep's stack holds this many frames. */
#define DHALL_WALK_DEPTH 1000000

/* ---- running deep recursion on a big stack: calls fn(arg) on a thread
 * whose stack holds DHALL_MAX_DEPTH levels, returns its result (or
 * DHALL_ENOMEM when no thread could be made). */
int dhall_run_deep(int (*fn)(void *), void *arg);

/* The cheaper way for hot entry points: calls fn(arg, floor) right here,
 * where fn must return DHALL_ESTACK as soon as dhall_stack_here() drops
 * below `floor` (checked every few levels); only then is fn called again,
 * from the start, on a big-stack thread with floor 0 (no limit). Shallow
 * input — nearly all of it — costs no thread. */
enum { DHALL_ESTACK = -100 }; /* internal: never returned to callers */
int dhall_run_guarded(int (*fn)(void *, uintptr_t floor), void *arg);
static inline uintptr_t dhall_stack_here(void)
{
	return (uintptr_t)__builtin_frame_address(0);
}

/* ---- errors */
/* Empties err (no error): every string empty, every number 0. Cheaper
 * than zeroing its ~800 bytes, which the parser did twice per file. */
static inline void dhall_err_clear(struct dhall_err *err)
{
	err->file[0] = err->msg[0] = err->context[0] = '\0';
	err->line = err->col = 0;
	err->offset = 0;
}
/* Sets err->msg (and line 0: no source position). Returns `code`. */
int dhall_err_set(struct dhall_err *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Fills file, line, col, offset and context from a source position. */
void dhall_err_locate(struct dhall_err *err, const char *name, const char *src, size_t len,
		      size_t offset);

/* Whether c may appear in an unquoted path component (the grammar's
 * path-character: %x21 / %x24-27 / %x2A-2B / %x2D-2E / %x30-3B / %x3D /
 * %x40-5A / %x5E-7A / %x7C / %x7E): the parser reads, the formatter
 * writes by it. */
static inline bool dhall_is_path_char(int c)
{
	return c == 0x21 || (c >= 0x24 && c <= 0x27) || c == 0x2a || c == 0x2b || c == 0x2d ||
	       c == 0x2e || (c >= 0x30 && c <= 0x3b) || c == 0x3d || (c >= 0x40 && c <= 0x5a) ||
	       (c >= 0x5e && c <= 0x7a) || c == 0x7c || c == 0x7e;
}

/* The length of dhall_builtin_name(b) (0 when out of range). */
size_t dhall_builtin_name_len(unsigned b);

/* Compares two labels as the binary encoding sorts record fields (by
 * UTF-8 bytes, shorter first when one is a prefix). */
int dhall_str_cmp_slow(const struct dhall_str *a, const struct dhall_str *b);
static inline int dhall_str_cmp(const struct dhall_str *a, const struct dhall_str *b)
{
	if (a->len && b->len && a->s[0] != b->s[0])
		return (unsigned char)a->s[0] < (unsigned char)b->s[0] ? -1 : 1;
	return dhall_str_cmp_slow(a, b);
}

#endif
