/*
 * encode.c — the binary encoding of standard/binary.md: expression → CBOR,
 * written straight into a byte buffer (no intermediate CBOR tree).
 *
 * The encoding flattens what the AST keeps nested: application chains
 * `(f a) b` become [0, f, a, b] and chains of `let` become one [25, …]
 * array. Record and union fields are sorted by their UTF-8 bytes (code
 * point order) here, since the AST keeps source order.
 *
 * The writers work on a cursor held in a local variable (uint8_t *o) and
 * return it advanced, or NULL on failure (the reason in w->rc): a cursor
 * in the buffer's struct would be reloaded after every byte stored, since
 * a byte store may alias it. Each write checks for room against w->end
 * once; the rare writers shared with other modules (floats, big numbers,
 * byte strings) run on the struct dhall_buf after the cursor is synced
 * back. The last child of a node (a list's last item, a record's last
 * field, a binder's or let's body, an operator's right side) is encoded by
 * looping rather than a call: deep right-nested input does not recurse.
 * The commonest leaves (Bool, small Natural, short Text, variable,
 * builtin) in item positions are written in place without a call (leaf).
 */
#include "dhall_int.h"

#include <stdlib.h>
#include <string.h>

#include "banned.h"

struct enc {
	struct dhall_buf *b;
	uint8_t *end;    /* b->data + b->cap */
	uintptr_t floor; /* the stack floor (dhall_run_guarded), 0: none */
	int rc;          /* why a writer returned NULL */
};

static uint8_t *enc(struct enc *w, uint8_t *o, const struct dhall_expr *e, unsigned depth);

/* Failure: the reason, and NULL for the writer to return. */
static uint8_t *fail(struct enc *w, int rc)
{
	w->rc = rc;
	return NULL;
}

/* Syncs the cursor back into the buffer (its length). */
static inline void sync(struct enc *w, const uint8_t *o)
{
	w->b->len = (size_t)(o - w->b->data);
}

/* The cursor after a writer of dhall_int.h has appended to the buffer (it
 * may have moved the buffer or spilled it); NULL with w->rc on failure. */
static uint8_t *resume(struct enc *w, int rc)
{
	if (rc)
		return fail(w, rc);
	w->end = w->b->data + w->b->cap;
	return w->b->data + w->b->len;
}

static __attribute__((noinline)) uint8_t *grow(struct enc *w, uint8_t *o, size_t k)
{
	sync(w, o);
	return resume(w, dhall_buf_reserve(w->b, k));
}

/* Room for k more bytes at o: o, or where the cursor moved to. */
static inline __attribute__((always_inline)) uint8_t *need(struct enc *w, uint8_t *o, size_t k)
{
	return (size_t)(w->end - o) >= k ? o : grow(w, o, k);
}

/* A head in its shortest form, room known (9 bytes). */
static inline __attribute__((always_inline)) uint8_t *put_hd(uint8_t *o, unsigned major,
							      uint64_t v)
{
	uint8_t m = (uint8_t)(major << 5);
	if (v < 24) {
		o[0] = (uint8_t)(m | v);
		return o + 1;
	}
	if (v <= 0xff) {
		o[0] = m | 24;
		o[1] = (uint8_t)v;
		return o + 2;
	}
	if (v <= 0xffff) {
		o[0] = m | 25;
		o[1] = (uint8_t)(v >> 8);
		o[2] = (uint8_t)v;
		return o + 3;
	}
	if (v <= 0xffffffff) {
		o[0] = m | 26;
		for (int i = 0; i < 4; i++)
			o[1 + i] = (uint8_t)(v >> (24 - 8 * i));
		return o + 5;
	}
	o[0] = m | 27;
	for (int i = 0; i < 8; i++)
		o[1 + i] = (uint8_t)(v >> (56 - 8 * i));
	return o + 9;
}

static inline __attribute__((always_inline)) uint8_t *hd(struct enc *w, uint8_t *o,
							  unsigned major, uint64_t v)
{
	if (!(o = need(w, o, 9)))
		return NULL;
	return put_hd(o, major, v);
}

/* A short string copied with fixed-size moves instead of a byte loop or
 * a memcpy call. */
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

/* A text string (CBOR major 3): short ones inline, the rest here. */
static __attribute__((noinline)) uint8_t *text_long(struct enc *w, uint8_t *o, const char *s,
						    size_t len)
{
	if (!(o = need(w, o, len + 9)))
		return NULL;
	o = put_hd(o, CBOR_TEXT, len);
	memcpy(o, s, len);
	return o + len;
}
static inline __attribute__((always_inline)) uint8_t *text(struct enc *w, uint8_t *o,
							    const char *s, size_t len)
{
	if (len >= 24 || (size_t)(w->end - o) < 24)
		return text_long(w, o, s, len);
	o[0] = (uint8_t)(CBOR_TEXT << 5 | len);
	copy_short(o + 1, s, len);
	return o + 1 + len;
}

static inline __attribute__((always_inline)) uint8_t *label(struct enc *w, uint8_t *o, const struct dhall_str *s)
{
	return text(w, o, s->s, s->len);
}

/* Up to 3 fixed bytes (the start of the commonest nodes). */
static inline __attribute__((always_inline)) uint8_t *put3(struct enc *w, uint8_t *o, uint8_t x,
							    uint8_t y, uint8_t z)
{
	if (!(o = need(w, o, 3)))
		return NULL;
	o[0] = x;
	o[1] = y;
	o[2] = z;
	return o + 3;
}

static inline __attribute__((always_inline)) uint8_t *put2(struct enc *w, uint8_t *o, uint8_t x,
							    uint8_t y)
{
	if (!(o = need(w, o, 2)))
		return NULL;
	o[0] = x;
	o[1] = y;
	return o + 2;
}

/* null, false, true: CBOR simple values 22, 20, 21 */
#define NUL 0xf6
static inline uint8_t *byte(struct enc *w, uint8_t *o, uint8_t x)
{
	if (!(o = need(w, o, 1)))
		return NULL;
	*o = x;
	return o + 1;
}

/* Stops the calling writer when o is NULL (failed). */
#define PUT(x)                                                                                   \
	do {                                                                                     \
		if (!(o = (x)))                                                                  \
			return NULL;                                                             \
	} while (0)

/* The rare writers: through the struct dhall_buf. */
static uint8_t *num(struct enc *w, uint8_t *o, const struct dhall_num *n)
{
	if (!n->big)
		return hd(w, o, CBOR_UINT, n->small);
	sync(w, o);
	return resume(w, dhall_cbor_num(w->b, n));
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

static bool is_underscore(const struct dhall_str *s)
{
	return s->len == 1 && s->s[0] == '_';
}

/* The commonest leaves (Bool, a small Natural, a short plain Text, a
 * variable x@n with n < 24, a builtin), written without a call: the
 * cursor after e, or NULL when e is not one of them (or room is short):
 * then enc writes it. */
static inline __attribute__((always_inline)) uint8_t *leaf(struct enc *w, uint8_t *o,
							    const struct dhall_expr *e)
{
	if ((size_t)(w->end - o) < 32)
		return NULL;
	switch (e->kind) {
	case DHALL_BOOL:
		*o = e->op ? 0xf5 : 0xf4;
		return o + 1;
	case DHALL_NATURAL:
		if (e->u.num.big || e->u.num.small >= 24)
			return NULL;
		o[0] = 0x82;
		o[1] = 15;
		o[2] = (uint8_t)e->u.num.small;
		return o + 3;
	case DHALL_TEXT:
		if (e->n || e->labels[0].len >= 24)
			return NULL;
		o[0] = 0x82;
		o[1] = 18;
		o[2] = (uint8_t)(CBOR_TEXT << 5 | e->labels[0].len);
		copy_short(o + 3, e->labels[0].s, e->labels[0].len);
		return o + 3 + e->labels[0].len;
	case DHALL_VAR:
		if (e->index >= 24 || e->label.len >= 24)
			return NULL;
		if (is_underscore(&e->label)) {
			*o = (uint8_t)e->index;
			return o + 1;
		}
		o[0] = 0x82;
		o[1] = (uint8_t)(CBOR_TEXT << 5 | e->label.len);
		copy_short(o + 2, e->label.s, e->label.len);
		o[2 + e->label.len] = (uint8_t)e->index;
		return o + 3 + e->label.len;
	case DHALL_BUILTIN: {
		size_t len = dhall_builtin_name_len(e->op);
		if (!len)
			return NULL;
		*o = (uint8_t)(CBOR_TEXT << 5 | len);
		copy_short(o + 1, dhall_builtin_name(e->op), len);
		return o + 1 + len;
	}
	default:
		return NULL;
	}
}

/* A subexpression at depth: a leaf right here, else by enc (which also
 * reports a leaf too deep). */
static inline __attribute__((always_inline)) uint8_t *item(struct enc *w, uint8_t *o,
							    const struct dhall_expr *e,
							    unsigned depth)
{
	uint8_t *q = depth <= DHALL_WALK_DEPTH ? leaf(w, o, e) : NULL;
	return q ? q : enc(w, o, e, depth);
}

/* One field: its label and value (null for a union's empty alternative). */
static inline uint8_t *field(struct enc *w, uint8_t *o, const struct dhall_expr *e, size_t i,
			     unsigned depth)
{
	PUT(label(w, o, &e->labels[i]));
	return e->items[i] ? item(w, o, e->items[i], depth + 1) : byte(w, o, NUL);
}

/* The map of a record or union's fields but the last in sorted order (its
 * head already written); *last gets the last one's index. */
static uint8_t *fields(struct enc *w, uint8_t *o, const struct dhall_expr *e, unsigned depth,
		       size_t *last)
{
	if (e->n > 256) {
		struct ix_lab *ix = malloc(e->n * sizeof *ix);
		if (!ix)
			return fail(w, DHALL_ENOMEM);
		for (size_t i = 0; i < e->n; i++)
			ix[i] = (struct ix_lab){&e->labels[i], i};
		qsort(ix, e->n, sizeof *ix, ix_lab_cmp);
		for (size_t k = 0; k + 1 < e->n && o; k++)
			o = field(w, o, e, ix[k].i, depth);
		*last = ix[e->n - 1].i;
		free(ix);
		return o;
	}
	size_t small[32], *ix = e->n <= 32 ? small : malloc(e->n * sizeof *ix);
	if (!ix)
		return fail(w, DHALL_ENOMEM);
	sorted_order(e, ix);
	for (size_t k = 0; k + 1 < e->n && o; k++)
		o = field(w, o, e, ix[k], depth);
	*last = ix[e->n - 1];
	if (ix != small)
		free(ix);
	return o;
}

static uint8_t *import(struct enc *w, uint8_t *o, const struct dhall_import *im, unsigned depth)
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
	PUT(hd(w, o, CBOR_ARRAY, n));
	PUT(hd(w, o, CBOR_UINT, 24));
	if (im->hash) {
		uint8_t mh[34] = {0x12, 0x20};
		memcpy(mh + 2, im->hash, 32);
		sync(w, o);
		PUT(resume(w, dhall_cbor_bytes(w->b, mh, sizeof mh)));
	} else {
		PUT(byte(w, o, NUL));
	}
	PUT(hd(w, o, CBOR_UINT, im->mode));
	PUT(hd(w, o, CBOR_UINT, im->type));
	switch (im->type) {
	case DHALL_IMPORT_HTTP:
	case DHALL_IMPORT_HTTPS:
		PUT(im->headers ? enc(w, o, im->headers, depth + 1) : byte(w, o, NUL));
		PUT(label(w, o, &im->authority));
		for (size_t i = 0; i < im->npath; i++)
			PUT(label(w, o, &im->path[i]));
		return im->has_query ? label(w, o, &im->query) : byte(w, o, NUL);
	case DHALL_IMPORT_ENV:
		return label(w, o, &im->env);
	case DHALL_IMPORT_MISSING:
		return o;
	default:
		for (size_t i = 0; i < im->npath; i++)
			PUT(label(w, o, &im->path[i]));
		return o;
	}
}

/* The arguments of an application chain whose head is written: innermost
 * link first. */
static uint8_t *app_args(struct enc *w, uint8_t *o, const struct dhall_expr *e, size_t links,
			 unsigned depth)
{
	/* collect the chain (on the stack when it is short, as it nearly
	 * always is) */
	const struct dhall_expr *chain0[8];
	const struct dhall_expr **chain = links <= 8 ? chain0 : malloc(links * sizeof *chain);
	if (!chain)
		return fail(w, DHALL_ENOMEM);
	size_t k = links;
	for (const struct dhall_expr *g = e; g->kind == DHALL_APP; g = g->a)
		chain[--k] = g;
	for (k = 0; k < links && o; k++)
		for (size_t i = 0; i < chain[k]->n && o; i++)
			o = item(w, o, chain[k]->items[i], depth + 1);
	if (chain != chain0)
		free(chain);
	return o;
}

static uint8_t *enc(struct enc *w, uint8_t *o, const struct dhall_expr *e, unsigned depth)
{
again:
	if (depth > DHALL_WALK_DEPTH)
		return fail(w, DHALL_ELIMIT);
	if (w->floor && (depth & 15) == 0 && dhall_stack_here() < w->floor)
		return fail(w, DHALL_ESTACK);
	switch (e->kind) {
	case DHALL_VAR:
		if (is_underscore(&e->label))
			return hd(w, o, CBOR_UINT, e->index);
		PUT(byte(w, o, 0x82));
		PUT(label(w, o, &e->label));
		return hd(w, o, CBOR_UINT, e->index);
	case DHALL_BUILTIN: {
		const char *n = dhall_builtin_name(e->op);
		return n ? text(w, o, n, dhall_builtin_name_len(e->op)) : fail(w, DHALL_EBINARY);
	}
	case DHALL_BOOL:
		return byte(w, o, e->op ? 0xf5 : 0xf4);
	case DHALL_NATURAL: /* [15, n] */
		if (!e->u.num.big && e->u.num.small < 24)
			return put3(w, o, 0x82, 15, (uint8_t)e->u.num.small);
		PUT(put2(w, o, 0x82, 15));
		return num(w, o, &e->u.num);
	case DHALL_INTEGER:
		PUT(put2(w, o, 0x82, 16));
		sync(w, o);
		return resume(w, dhall_cbor_int(w->b, e->op, &e->u.num));
	case DHALL_DOUBLE:
		sync(w, o);
		return resume(w, dhall_cbor_double(w->b, e->u.dbl));
	case DHALL_TEXT: /* [18, chunk, e, chunk, …] */
		if (!e->n) {
			PUT(put2(w, o, 0x82, 18));
			return label(w, o, &e->labels[0]);
		}
		PUT(hd(w, o, CBOR_ARRAY, 2 + 2 * e->n));
		PUT(byte(w, o, 18));
		for (size_t i = 0; i < e->n; i++) {
			PUT(label(w, o, &e->labels[i]));
			PUT(enc(w, o, e->items[i], depth + 1));
		}
		return label(w, o, &e->labels[e->n]);
	case DHALL_BYTES:
		PUT(put3(w, o, 0x82, 24, 33));
		sync(w, o);
		return resume(w, dhall_cbor_bytes(w->b, e->label.s, e->label.len));
	case DHALL_DATE:
		PUT(put3(w, o, 0x84, 24, 30));
		PUT(hd(w, o, CBOR_UINT, e->u.date.year));
		PUT(hd(w, o, CBOR_UINT, e->u.date.month));
		return hd(w, o, CBOR_UINT, e->u.date.day);
	case DHALL_TIME:
		PUT(put3(w, o, 0x84, 24, 31));
		PUT(hd(w, o, CBOR_UINT, e->u.time->hour));
		PUT(hd(w, o, CBOR_UINT, e->u.time->minute));
		PUT(put2(w, o, 0xc4, 0x82)); /* tag 4, [exponent, mantissa] */
		if (e->u.time->sec_exp)
			PUT(hd(w, o, CBOR_NEGINT, (uint64_t)e->u.time->sec_exp - 1));
		else
			PUT(byte(w, o, 0));
		return num(w, o, &e->u.time->sec_mantissa);
	case DHALL_TIMEZONE:
		PUT(put3(w, o, 0x84, 24, 32));
		PUT(byte(w, o, e->u.tz.negative ? 0xf4 : 0xf5));
		PUT(hd(w, o, CBOR_UINT, e->u.tz.hour));
		return hd(w, o, CBOR_UINT, e->u.tz.minute);
	case DHALL_LAMBDA:
	case DHALL_PI: { /* [1 | 2, label?, A, b]; no label when it is "_" */
		bool anon = is_underscore(&e->label);
		PUT(put2(w, o, anon ? 0x83 : 0x84, e->kind == DHALL_LAMBDA ? 1 : 2));
		if (!anon)
			PUT(label(w, o, &e->label));
		PUT(item(w, o, e->a, depth + 1));
		e = e->b;
		depth++;
		goto again;
	}
	case DHALL_APP: {
		/* flatten (f a) b: count the arguments along the chain */
		size_t total = 0, links = 0;
		const struct dhall_expr *f = e;
		while (f->kind == DHALL_APP) {
			total += f->n;
			f = f->a;
			if (++links > DHALL_WALK_DEPTH)
				return fail(w, DHALL_ELIMIT);
		}
		PUT(hd(w, o, CBOR_ARRAY, 2 + total));
		PUT(byte(w, o, 0));
		PUT(item(w, o, f, depth + 1));
		return app_args(w, o, e, links, depth);
	}
	case DHALL_LET: {
		size_t n = 0;
		const struct dhall_expr *l = e;
		for (; l->kind == DHALL_LET; l = l->b)
			n++;
		PUT(hd(w, o, CBOR_ARRAY, 2 + 3 * n));
		PUT(put2(w, o, 24, 25));
		for (l = e; l->kind == DHALL_LET; l = l->b) {
			PUT(label(w, o, &l->label));
			PUT(l->c ? enc(w, o, l->c, depth + 1) : byte(w, o, NUL));
			PUT(enc(w, o, l->a, depth + 1));
		}
		e = l;
		depth++;
		goto again;
	}
	case DHALL_ANNOT:
		PUT(put3(w, o, 0x83, 24, 26));
		PUT(enc(w, o, e->a, depth + 1));
		e = e->b;
		depth++;
		goto again;
	case DHALL_IF:
		PUT(put2(w, o, 0x84, 14));
		PUT(enc(w, o, e->a, depth + 1));
		PUT(enc(w, o, e->b, depth + 1));
		e = e->c;
		depth++;
		goto again;
	case DHALL_OP:
		PUT(put2(w, o, 0x84, 3));
		PUT(hd(w, o, CBOR_UINT, e->op));
		PUT(item(w, o, e->a, depth + 1));
		e = e->b;
		depth++;
		goto again;
	case DHALL_LIST:
		if (e->n == 0) {
			const struct dhall_expr *t = e->a;
			PUT(byte(w, o, 0x82));
			if (t->kind == DHALL_APP && t->n == 1 && t->a->kind == DHALL_BUILTIN &&
			    t->a->op == DHALL_B_LIST) {
				PUT(byte(w, o, 4));
				e = t->items[0];
			} else {
				PUT(put2(w, o, 24, 28));
				e = t;
			}
			depth++;
			goto again;
		}
		if (e->n < 22) { /* [4, null, items…] */
			PUT(put3(w, o, (uint8_t)(0x80 | (2 + e->n)), 4, NUL));
		} else {
			PUT(hd(w, o, CBOR_ARRAY, 2 + e->n));
			PUT(put2(w, o, 4, NUL));
		}
		for (size_t i = 0; i + 1 < e->n; i++)
			PUT(item(w, o, e->items[i], depth + 1));
		e = e->items[e->n - 1];
		depth++;
		goto again;
	case DHALL_SOME:
		PUT(put3(w, o, 0x83, 5, NUL));
		e = e->a;
		depth++;
		goto again;
	case DHALL_RECORD_TYPE: /* [7 | 8 | 11, {fields}] */
	case DHALL_RECORD:
	case DHALL_UNION: {
		uint8_t tag = e->kind == DHALL_RECORD_TYPE ? 7 : e->kind == DHALL_RECORD ? 8 : 11;
		size_t last = 0;
		if (e->n < 24) {
			PUT(put3(w, o, 0x82, tag, (uint8_t)(0xa0 | e->n)));
		} else {
			PUT(put2(w, o, 0x82, tag));
			PUT(hd(w, o, CBOR_MAP, e->n));
		}
		if (e->n == 0)
			return o;
		if (e->n > 1)
			PUT(fields(w, o, e, depth, &last));
		PUT(label(w, o, &e->labels[last]));
		if (!e->items[last])
			return byte(w, o, NUL);
		e = e->items[last];
		depth++;
		goto again;
	}
	case DHALL_FIELD:
		PUT(put2(w, o, 0x83, 9));
		PUT(item(w, o, e->a, depth + 1));
		return label(w, o, &e->label);
	case DHALL_PROJECT:
		PUT(hd(w, o, CBOR_ARRAY, 2 + e->n));
		PUT(byte(w, o, 10));
		PUT(enc(w, o, e->a, depth + 1));
		for (size_t i = 0; i < e->n; i++)
			PUT(label(w, o, &e->labels[i]));
		return o;
	case DHALL_PROJECT_TYPE:
		PUT(put2(w, o, 0x83, 10));
		PUT(enc(w, o, e->a, depth + 1));
		PUT(byte(w, o, 0x81));
		e = e->b;
		depth++;
		goto again;
	case DHALL_MERGE:
		PUT(put2(w, o, e->c ? 0x84 : 0x83, 6));
		PUT(enc(w, o, e->a, depth + 1));
		if (!e->c) {
			e = e->b;
		} else {
			PUT(enc(w, o, e->b, depth + 1));
			e = e->c;
		}
		depth++;
		goto again;
	case DHALL_TOMAP:
		PUT(put3(w, o, e->c ? 0x83 : 0x82, 24, 27));
		if (e->c)
			PUT(enc(w, o, e->a, depth + 1));
		e = e->c ? e->c : e->a;
		depth++;
		goto again;
	case DHALL_SHOWCONS:
		PUT(put3(w, o, 0x82, 24, 34));
		e = e->a;
		depth++;
		goto again;
	case DHALL_WITH:
		PUT(put3(w, o, 0x84, 24, 29));
		PUT(enc(w, o, e->a, depth + 1));
		PUT(hd(w, o, CBOR_ARRAY, e->n));
		for (size_t i = 0; i < e->n; i++) {
			if (i < 64 && (e->with_opt >> i & 1))
				PUT(byte(w, o, 0));
			else
				PUT(label(w, o, &e->labels[i]));
		}
		e = e->b;
		depth++;
		goto again;
	case DHALL_ASSERT:
		PUT(put2(w, o, 0x82, 19));
		e = e->a;
		depth++;
		goto again;
	case DHALL_IMPORT:
		return import(w, o, e->u.import, depth);
	}
	return fail(w, DHALL_EBINARY);
}

struct enc_job {
	const struct dhall_expr *e;
	struct dhall_buf *out;
	size_t len0;
};

static int enc_main(void *arg, uintptr_t floor)
{
	struct enc_job *j = arg;
	struct enc w = {j->out, NULL, floor, 0};
	j->out->len = j->len0; /* a retry on the big stack starts over */
	/* a first block (most files fit), so that the cursor is never a null
	 * pointer */
	uint8_t *o = resume(&w, dhall_buf_reserve(j->out, 4096));
	if (o)
		o = enc(&w, o, j->e, 0);
	if (!o)
		return w.rc;
	sync(&w, o);
	return 0;
}

int dhall_encode(const struct dhall_expr *e, struct dhall_buf *out)
{
	struct enc_job j = {e, out, out->len};
	int rc = dhall_run_guarded(enc_main, &j);
	if (rc)
		out->len = j.len0;
	return rc;
}
