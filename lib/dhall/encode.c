/*
 * encode.c — the binary encoding of standard/binary.md: expression → CBOR,
 * written straight into a byte buffer (no intermediate CBOR tree).
 *
 * The encoding flattens what the AST keeps nested: application chains
 * `(f a) b` become [0, f, a, b] and chains of `let` become one [25, …]
 * array. Record and union fields are sorted by their UTF-8 bytes (code
 * point order) here, since the AST keeps source order. Heads, short labels
 * and the fixed start of the commonest nodes (naturals, texts, lists,
 * records) are written in place after one check for room each.
 */
#include "dhall_int.h"

#include <stdlib.h>
#include <string.h>

#include "banned.h"

struct enc {
	struct dhall_buf *out;
	int rc;
};

static int enc(const struct dhall_expr *e, struct dhall_buf *b, unsigned depth, uintptr_t floor);

/* The fast writers: a head in its shortest form, checked for room once
 * (the most any head takes), and a short label copied with fixed-size
 * moves instead of a byte loop or a memcpy call. */
static inline __attribute__((always_inline)) int hd(struct dhall_buf *b, unsigned major,
						      uint64_t v)
{
	if (b->cap - b->len < 9)
		return dhall_cbor_head_slow(b, major, v);
	uint8_t *o = b->data + b->len, m = (uint8_t)(major << 5);
	if (v < 24) {
		o[0] = (uint8_t)(m | v);
		b->len += 1;
	} else if (v <= 0xff) {
		o[0] = m | 24;
		o[1] = (uint8_t)v;
		b->len += 2;
	} else if (v <= 0xffff) {
		o[0] = m | 25;
		o[1] = (uint8_t)(v >> 8);
		o[2] = (uint8_t)v;
		b->len += 3;
	} else {
		return dhall_cbor_head_slow(b, major, v);
	}
	return 0;
}

static inline void copy_short(uint8_t *d, const char *s, size_t n) /* n < 24 */
{
	if (n >= 8) {
		memcpy(d, s, 8);
		if (n > 16)
			memcpy(d + 8, s + 8, 8);
		memcpy(d + n - 8, s + n - 8, 8);
	} else if (n >= 4) {
		memcpy(d, s, 4);
		memcpy(d + n - 4, s + n - 4, 4);
	} else if (n) {
		d[0] = (uint8_t)s[0];
		d[n / 2] = (uint8_t)s[n / 2];
		d[n - 1] = (uint8_t)s[n - 1];
	}
}

static inline int text(struct dhall_buf *b, const char *s, size_t len)
{
	if (len < 24 && b->cap - b->len > 24) {
		uint8_t *o = b->data + b->len;
		o[0] = (uint8_t)(CBOR_TEXT << 5 | len);
		copy_short(o + 1, s, len);
		b->len += 1 + len;
		return 0;
	}
	return dhall_cbor_text_slow(b, s, len);
}

static int label(struct dhall_buf *b, const struct dhall_str *s)
{
	return text(b, s->s, s->len);
}

/* null, false, true: CBOR simple values 22, 20, 21 */
#define NUL(b) hd(b, CBOR_SIMPLE, 22)
#define BOOL(b, v) hd(b, CBOR_SIMPLE, (v) ? 21 : 20)

/* Room for k more bytes; false when out of memory. */
static inline bool room(struct dhall_buf *b, size_t k)
{
	return b->cap - b->len >= k || dhall_buf_reserve(b, k) == 0;
}

/* Three bytes, the fixed start of the commonest nodes. */
static inline int put3(struct dhall_buf *b, uint8_t x, uint8_t y, uint8_t z)
{
	if (!room(b, 3))
		return DHALL_ENOMEM;
	uint8_t *o = b->data + b->len;
	o[0] = x;
	o[1] = y;
	o[2] = z;
	b->len += 3;
	return 0;
}

static inline int num(struct dhall_buf *b, const struct dhall_num *n)
{
	return n->big ? dhall_cbor_num(b, n) : hd(b, CBOR_UINT, n->small);
}

static bool is_underscore(const struct dhall_str *s)
{
	return s->len == 1 && s->s[0] == '_';
}

/* Record/union fields in sorted order: ix gets a permutation of 0..n-1
 * (insertion sort: records are small, and often already sorted). */
static void sorted_order(const struct dhall_expr *e, size_t *ix)
{
	for (size_t i = 0; i < e->n; i++) {
		size_t j = i;
		while (j > 0 && dhall_str_cmp(&e->labels[ix[j - 1]], &e->labels[i]) > 0) {
			ix[j] = ix[j - 1];
			j--;
		}
		ix[j] = i;
	}
}

/* Large records: (label, index) pairs sorted with qsort. */
struct ix_lab {
	const struct dhall_str *l;
	size_t i;
};
static int ix_lab_cmp(const void *a, const void *b)
{
	const struct ix_lab *x = a, *y = b;
	return dhall_str_cmp(x->l, y->l);
}

/* The map of a record or union's fields (its head already written). */
static int fields(const struct dhall_expr *e, struct dhall_buf *b, unsigned depth, bool nullable,
		  uintptr_t floor)
{
	if (e->n == 1) { /* nothing to sort */
		DHALL_TRY(label(b, &e->labels[0]));
		return nullable && !e->items[0] ? NUL(b) : enc(e->items[0], b, depth + 1, floor);
	}
	if (e->n > 256) {
		struct ix_lab *ix = malloc(e->n * sizeof *ix);
		if (!ix)
			return DHALL_ENOMEM;
		for (size_t i = 0; i < e->n; i++)
			ix[i] = (struct ix_lab){&e->labels[i], i};
		qsort(ix, e->n, sizeof *ix, ix_lab_cmp);
		int rc = 0;
		for (size_t k = 0; k < e->n && !rc; k++) {
			size_t i = ix[k].i;
			rc = label(b, &e->labels[i]);
			if (!rc)
				rc = nullable && !e->items[i] ? NUL(b)
							      : enc(e->items[i], b, depth + 1, floor);
		}
		free(ix);
		return rc;
	}
	size_t small[32], *ix = e->n <= 32 ? small : malloc(e->n * sizeof *ix);
	if (!ix)
		return DHALL_ENOMEM;
	sorted_order(e, ix);
	int rc = 0;
	for (size_t k = 0; k < e->n && !rc; k++) {
		size_t i = ix[k];
		rc = label(b, &e->labels[i]);
		if (!rc)
			rc = nullable && !e->items[i] ? NUL(b)
						      : enc(e->items[i], b, depth + 1, floor);
	}
	if (ix != small)
		free(ix);
	return rc;
}

static int import(const struct dhall_import *im, struct dhall_buf *b, unsigned depth,
		  uintptr_t floor)
{
	size_t n = 3;
	switch (im->type) {
	case DHALL_IMPORT_HTTP:
	case DHALL_IMPORT_HTTPS:
		n += 4 + im->npath;
		break;
	case DHALL_IMPORT_ENV:
		n += 2;
		break;
	case DHALL_IMPORT_MISSING:
		n += 1;
		break;
	default:
		n += 1 + im->npath;
	}
	DHALL_TRY(hd(b, CBOR_ARRAY, n));
	DHALL_TRY(hd(b, CBOR_UINT, 24));
	if (im->hash) {
		uint8_t mh[34] = {0x12, 0x20};
		memcpy(mh + 2, im->hash, 32);
		DHALL_TRY(dhall_cbor_bytes(b, mh, sizeof mh));
	} else {
		DHALL_TRY(NUL(b));
	}
	DHALL_TRY(hd(b, CBOR_UINT, im->mode));
	DHALL_TRY(hd(b, CBOR_UINT, im->type));
	switch (im->type) {
	case DHALL_IMPORT_HTTP:
	case DHALL_IMPORT_HTTPS:
		DHALL_TRY(im->headers ? enc(im->headers, b, depth + 1, floor) : NUL(b));
		DHALL_TRY(label(b, &im->authority));
		for (size_t i = 0; i < im->npath; i++)
			DHALL_TRY(label(b, &im->path[i]));
		return im->has_query ? label(b, &im->query) : NUL(b);
	case DHALL_IMPORT_ENV:
		return label(b, &im->env);
	case DHALL_IMPORT_MISSING:
		return 0;
	default:
		for (size_t i = 0; i < im->npath; i++)
			DHALL_TRY(label(b, &im->path[i]));
		return 0;
	}
}

/* [label, (name,)? A, b] for λ and ∀ */
static int binder(const struct dhall_expr *e, unsigned tag, struct dhall_buf *b, unsigned depth,
		  uintptr_t floor)
{
	bool anon = is_underscore(&e->label);
	DHALL_TRY(hd(b, CBOR_ARRAY, anon ? 3 : 4));
	DHALL_TRY(hd(b, CBOR_UINT, tag));
	if (!anon)
		DHALL_TRY(label(b, &e->label));
	DHALL_TRY(enc(e->a, b, depth + 1, floor));
	return enc(e->b, b, depth + 1, floor);
}

static int enc(const struct dhall_expr *e, struct dhall_buf *b, unsigned depth, uintptr_t floor)
{
	if (depth > DHALL_WALK_DEPTH)
		return DHALL_ELIMIT;
	if (floor && (depth & 15) == 0 && dhall_stack_here() < floor)
		return DHALL_ESTACK;
	switch (e->kind) {
	case DHALL_VAR:
		if (is_underscore(&e->label))
			return hd(b, CBOR_UINT, e->index);
		DHALL_TRY(hd(b, CBOR_ARRAY, 2));
		DHALL_TRY(label(b, &e->label));
		return hd(b, CBOR_UINT, e->index);
	case DHALL_BUILTIN: {
		const char *n = dhall_builtin_name(e->op);
		return n ? text(b, n, strlen(n)) : DHALL_EBINARY;
	}
	case DHALL_BOOL:
		return BOOL(b, e->op);
	case DHALL_NATURAL: /* [15, n] */
		if (!e->u.num.big && e->u.num.small < 24)
			return put3(b, 0x82, 15, (uint8_t)e->u.num.small);
		DHALL_TRY(hd(b, CBOR_ARRAY, 2));
		DHALL_TRY(hd(b, CBOR_UINT, 15));
		return num(b, &e->u.num);
	case DHALL_INTEGER:
		DHALL_TRY(hd(b, CBOR_ARRAY, 2));
		DHALL_TRY(hd(b, CBOR_UINT, 16));
		return dhall_cbor_int(b, e->op, &e->u.num);
	case DHALL_DOUBLE:
		return dhall_cbor_double(b, e->u.dbl);
	case DHALL_TEXT: /* [18, chunk, e, chunk, …] */
		if (!e->n) {
			if (!room(b, 2))
				return DHALL_ENOMEM;
			b->data[b->len++] = 0x82;
			b->data[b->len++] = 18;
			return label(b, &e->labels[0]);
		}
		DHALL_TRY(hd(b, CBOR_ARRAY, 2 + 2 * e->n));
		DHALL_TRY(hd(b, CBOR_UINT, 18));
		for (size_t i = 0; i < e->n; i++) {
			DHALL_TRY(label(b, &e->labels[i]));
			DHALL_TRY(enc(e->items[i], b, depth + 1, floor));
		}
		return label(b, &e->labels[e->n]);
	case DHALL_BYTES:
		DHALL_TRY(hd(b, CBOR_ARRAY, 2));
		DHALL_TRY(hd(b, CBOR_UINT, 33));
		return dhall_cbor_bytes(b, e->label.s, e->label.len);
	case DHALL_DATE:
		DHALL_TRY(hd(b, CBOR_ARRAY, 4));
		DHALL_TRY(hd(b, CBOR_UINT, 30));
		DHALL_TRY(hd(b, CBOR_UINT, e->u.date.year));
		DHALL_TRY(hd(b, CBOR_UINT, e->u.date.month));
		return hd(b, CBOR_UINT, e->u.date.day);
	case DHALL_TIME:
		DHALL_TRY(hd(b, CBOR_ARRAY, 4));
		DHALL_TRY(hd(b, CBOR_UINT, 31));
		DHALL_TRY(hd(b, CBOR_UINT, e->u.time.hour));
		DHALL_TRY(hd(b, CBOR_UINT, e->u.time.minute));
		DHALL_TRY(hd(b, CBOR_TAG, 4));
		DHALL_TRY(hd(b, CBOR_ARRAY, 2));
		if (e->u.time.sec_exp)
			DHALL_TRY(hd(b, CBOR_NEGINT, (uint64_t)e->u.time.sec_exp - 1));
		else
			DHALL_TRY(hd(b, CBOR_UINT, 0));
		return num(b, &e->u.time.sec_mantissa);
	case DHALL_TIMEZONE:
		DHALL_TRY(hd(b, CBOR_ARRAY, 4));
		DHALL_TRY(hd(b, CBOR_UINT, 32));
		DHALL_TRY(BOOL(b, !e->u.tz.negative));
		DHALL_TRY(hd(b, CBOR_UINT, e->u.tz.hour));
		return hd(b, CBOR_UINT, e->u.tz.minute);
	case DHALL_LAMBDA:
		return binder(e, 1, b, depth, floor);
	case DHALL_PI:
		return binder(e, 2, b, depth, floor);
	case DHALL_APP: {
		/* flatten (f a) b: count the arguments along the chain */
		size_t total = 0, links = 0;
		const struct dhall_expr *f = e;
		while (f->kind == DHALL_APP) {
			total += f->n;
			f = f->a;
			if (++links > DHALL_WALK_DEPTH)
				return DHALL_ELIMIT;
		}
		DHALL_TRY(hd(b, CBOR_ARRAY, 2 + total));
		DHALL_TRY(hd(b, CBOR_UINT, 0));
		DHALL_TRY(enc(f, b, depth + 1, floor));
		/* arguments innermost first: collect the chain (on the stack
		 * when it is short, as it nearly always is) */
		const struct dhall_expr *chain0[8];
		const struct dhall_expr **chain =
			links <= 8 ? chain0 : malloc(links * sizeof *chain);
		if (!chain)
			return DHALL_ENOMEM;
		size_t k = links;
		for (const struct dhall_expr *g = e; g->kind == DHALL_APP; g = g->a)
			chain[--k] = g;
		int rc = 0;
		for (k = 0; k < links && !rc; k++)
			for (size_t i = 0; i < chain[k]->n && !rc; i++)
				rc = enc(chain[k]->items[i], b, depth + 1, floor);
		if (chain != chain0)
			free(chain);
		return rc;
	}
	case DHALL_LET: {
		size_t n = 0;
		const struct dhall_expr *l = e;
		for (; l->kind == DHALL_LET; l = l->b)
			n++;
		DHALL_TRY(hd(b, CBOR_ARRAY, 2 + 3 * n));
		DHALL_TRY(hd(b, CBOR_UINT, 25));
		for (l = e; l->kind == DHALL_LET; l = l->b) {
			DHALL_TRY(label(b, &l->label));
			DHALL_TRY(l->c ? enc(l->c, b, depth + 1, floor) : NUL(b));
			DHALL_TRY(enc(l->a, b, depth + 1, floor));
		}
		return enc(l, b, depth + 1, floor);
	}
	case DHALL_ANNOT:
		DHALL_TRY(hd(b, CBOR_ARRAY, 3));
		DHALL_TRY(hd(b, CBOR_UINT, 26));
		DHALL_TRY(enc(e->a, b, depth + 1, floor));
		return enc(e->b, b, depth + 1, floor);
	case DHALL_IF:
		DHALL_TRY(hd(b, CBOR_ARRAY, 4));
		DHALL_TRY(hd(b, CBOR_UINT, 14));
		DHALL_TRY(enc(e->a, b, depth + 1, floor));
		DHALL_TRY(enc(e->b, b, depth + 1, floor));
		return enc(e->c, b, depth + 1, floor);
	case DHALL_OP:
		DHALL_TRY(hd(b, CBOR_ARRAY, 4));
		DHALL_TRY(hd(b, CBOR_UINT, 3));
		DHALL_TRY(hd(b, CBOR_UINT, e->op));
		DHALL_TRY(enc(e->a, b, depth + 1, floor));
		return enc(e->b, b, depth + 1, floor);
	case DHALL_LIST:
		if (e->n == 0) {
			const struct dhall_expr *t = e->a;
			if (t->kind == DHALL_APP && t->n == 1 && t->a->kind == DHALL_BUILTIN &&
			    t->a->op == DHALL_B_LIST) {
				DHALL_TRY(hd(b, CBOR_ARRAY, 2));
				DHALL_TRY(hd(b, CBOR_UINT, 4));
				return enc(t->items[0], b, depth + 1, floor);
			}
			DHALL_TRY(hd(b, CBOR_ARRAY, 2));
			DHALL_TRY(hd(b, CBOR_UINT, 28));
			return enc(t, b, depth + 1, floor);
		}
		if (e->n < 22) { /* [4, null, items…] */
			DHALL_TRY(put3(b, (uint8_t)(0x80 | (2 + e->n)), 4, 0xf6));
		} else {
			DHALL_TRY(hd(b, CBOR_ARRAY, 2 + e->n));
			DHALL_TRY(hd(b, CBOR_UINT, 4));
			DHALL_TRY(NUL(b));
		}
		for (size_t i = 0; i < e->n; i++)
			DHALL_TRY(enc(e->items[i], b, depth + 1, floor));
		return 0;
	case DHALL_SOME:
		DHALL_TRY(hd(b, CBOR_ARRAY, 3));
		DHALL_TRY(hd(b, CBOR_UINT, 5));
		DHALL_TRY(NUL(b));
		return enc(e->a, b, depth + 1, floor);
	case DHALL_RECORD_TYPE: /* [7 | 8 | 11, {fields}] */
	case DHALL_RECORD:
	case DHALL_UNION: {
		uint8_t tag = e->kind == DHALL_RECORD_TYPE ? 7 : e->kind == DHALL_RECORD ? 8 : 11;
		if (e->n < 24) {
			DHALL_TRY(put3(b, 0x82, tag, (uint8_t)(0xa0 | e->n)));
		} else {
			DHALL_TRY(hd(b, CBOR_ARRAY, 2));
			DHALL_TRY(hd(b, CBOR_UINT, tag));
			DHALL_TRY(hd(b, CBOR_MAP, e->n));
		}
		return fields(e, b, depth, e->kind == DHALL_UNION, floor);
	}
	case DHALL_FIELD:
		DHALL_TRY(hd(b, CBOR_ARRAY, 3));
		DHALL_TRY(hd(b, CBOR_UINT, 9));
		DHALL_TRY(enc(e->a, b, depth + 1, floor));
		return label(b, &e->label);
	case DHALL_PROJECT:
		DHALL_TRY(hd(b, CBOR_ARRAY, 2 + e->n));
		DHALL_TRY(hd(b, CBOR_UINT, 10));
		DHALL_TRY(enc(e->a, b, depth + 1, floor));
		for (size_t i = 0; i < e->n; i++)
			DHALL_TRY(label(b, &e->labels[i]));
		return 0;
	case DHALL_PROJECT_TYPE:
		DHALL_TRY(hd(b, CBOR_ARRAY, 3));
		DHALL_TRY(hd(b, CBOR_UINT, 10));
		DHALL_TRY(enc(e->a, b, depth + 1, floor));
		DHALL_TRY(hd(b, CBOR_ARRAY, 1));
		return enc(e->b, b, depth + 1, floor);
	case DHALL_MERGE:
		DHALL_TRY(hd(b, CBOR_ARRAY, e->c ? 4 : 3));
		DHALL_TRY(hd(b, CBOR_UINT, 6));
		DHALL_TRY(enc(e->a, b, depth + 1, floor));
		DHALL_TRY(enc(e->b, b, depth + 1, floor));
		return e->c ? enc(e->c, b, depth + 1, floor) : 0;
	case DHALL_TOMAP:
		DHALL_TRY(hd(b, CBOR_ARRAY, e->c ? 3 : 2));
		DHALL_TRY(hd(b, CBOR_UINT, 27));
		DHALL_TRY(enc(e->a, b, depth + 1, floor));
		return e->c ? enc(e->c, b, depth + 1, floor) : 0;
	case DHALL_SHOWCONS:
		DHALL_TRY(hd(b, CBOR_ARRAY, 2));
		DHALL_TRY(hd(b, CBOR_UINT, 34));
		return enc(e->a, b, depth + 1, floor);
	case DHALL_WITH:
		DHALL_TRY(hd(b, CBOR_ARRAY, 4));
		DHALL_TRY(hd(b, CBOR_UINT, 29));
		DHALL_TRY(enc(e->a, b, depth + 1, floor));
		DHALL_TRY(hd(b, CBOR_ARRAY, e->n));
		for (size_t i = 0; i < e->n; i++) {
			if (i < 64 && (e->with_opt >> i & 1))
				DHALL_TRY(hd(b, CBOR_UINT, 0));
			else
				DHALL_TRY(label(b, &e->labels[i]));
		}
		return enc(e->b, b, depth + 1, floor);
	case DHALL_ASSERT:
		DHALL_TRY(hd(b, CBOR_ARRAY, 2));
		DHALL_TRY(hd(b, CBOR_UINT, 19));
		return enc(e->a, b, depth + 1, floor);
	case DHALL_IMPORT:
		return import(e->u.import, b, depth, floor);
	}
	return DHALL_EBINARY;
}

struct enc_job {
	const struct dhall_expr *e;
	struct dhall_buf *out;
	size_t len0;
};

static int enc_main(void *arg, uintptr_t floor)
{
	struct enc_job *j = arg;
	j->out->len = j->len0; /* a retry on the big stack starts over */
	return enc(j->e, j->out, 0, floor);
}

int dhall_encode(const struct dhall_expr *e, struct dhall_buf *out)
{
	struct enc_job j = {e, out, out->len};
	int rc = dhall_run_guarded(enc_main, &j);
	if (rc)
		out->len = j.len0;
	return rc;
}
