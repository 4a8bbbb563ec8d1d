/*
 * decode.c — the decoding judgment of standard/binary.md: CBOR bytes to a
 * Dhall expression tree (dhall_decode).
 *
 * The CBOR reader is hand-rolled rather than libcbor's. libcbor would first
 * build a tree of cbor_item_t (one malloc per item, freed afterwards) that we
 * would then walk a second time; here the bytes are read once, by recursive
 * descent, straight into arena nodes. Dhall uses a small subset of CBOR
 * (unsigned/negative ints, byte and text strings, arrays, maps, tags 2, 3, 4
 * and 55799, false/true/null and the three float widths), so the reader is a
 * few dozen lines, and it never allocates except from the caller's arena.
 *
 * What is accepted (strictness first: anything not listed is DHALL_EBINARY):
 *   - heads in any width (a decoder MUST accept non-shortest integers), but
 *     never indefinite lengths (major types 2-5 with additional info 31):
 *     Dhall's encoding is definite, and cborg (dhall-haskell) rejects them too;
 *   - tag 55799 (self-describe) before any item, ignored;
 *   - every expression label 0-34 of the standard with its exact arities;
 *     12, 13, 17 and 20-23 (obsolete or unused) are errors;
 *   - the keys of a record *literal* must be distinct (the parser folds
 *     duplicate literal fields into `∧`, so no encoding of a parsed
 *     expression repeats one; map_dups_ok refuses it). Record and union
 *     *types* may repeat a key: the standard makes `{ x : T, x : U }` and
 *     `< y | y >` type errors, not syntax errors, so the parser keeps them,
 *     their encoding repeats the key, and decoding that gives back the same
 *     tree for the type checker to reject;
 *   - text strings must be valid UTF-8.
 *
 * Tree shapes produced (dhall.h is the contract): [0, f, a…] with f itself
 * an application is flattened into one DHALL_APP; a flattened let
 * [25, x, A|null, a, …, body] becomes nested DHALL_LET nodes; [4, T] is
 * `[] : List T` (a = App(List, T)), [28, T] is `[] : T`; Natural/Integer
 * magnitudes are small when below 2^64, else big-endian bytes without
 * leading zeros (tag 3 and major 1 mean -1-n, so the magnitude is n+1).
 *
 * Limits: nesting (arrays inside arrays, plus one level per let binding)
 * counts against DHALL_MAX_DEPTH; bignums longer than DECODE_MAX_BIG bytes
 * and time fractions with more than DECODE_MAX_FRAC digits are DHALL_ELIMIT,
 * because printing them in decimal is quadratic / unbounded in the output.
 * Element counts are checked against the bytes left before anything is
 * allocated, so a hostile length costs nothing.
 */
#include "print_int.h"
#include "cbor/cbor_head.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "banned.h"

#define DECODE_MAX_BIG 8192
#define DECODE_MAX_FRAC 4096

struct dec {
	const uint8_t *start, *p, *end;
	struct dhall_arena *arena;
	struct dhall_err *err;
	struct dhall_expr *out;
	int rc;
};

struct head {
	uint8_t major, ai;
	uint64_t val; /* argument; for floats the raw bits */
	size_t off;   /* offset of the head (after any 55799 tags) */
};

__attribute__((format(printf, 4, 5))) static int fail(struct dec *d, int code, size_t off,
						       const char *fmt, ...)
{
	char msg[200];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (d->err) {
		d->err->offset = off;
		d->err->line = 0;
		d->err->col = 0;
	}
	dhall_err_set(d->err, code, "binary: %s (at byte %zu)", msg, off);
	return code;
}

static size_t off_of(const struct dec *d)
{
	return (size_t)(d->p - d->start);
}

static int nomem(struct dec *d)
{
	dhall_err_set(d->err, DHALL_ENOMEM, "out of memory");
	return DHALL_ENOMEM;
}

/* ---------------------------------------------------------------- CBOR */

/* Reads one head, skipping any self-describe tags (55799) before it. */
static int rd_head(struct dec *d, struct head *h)
{
	for (;;) {
		h->off = off_of(d);
		struct cbor_head c;
		int n = cbor_head_get(d->p, (size_t)(d->end - d->p), &c);
		if (n == CBOR_HEAD_TRUNCATED)
			return fail(d, DHALL_EBINARY, h->off, "unexpected end of input");
		if (n < 0)
			return fail(d, DHALL_EBINARY, h->off, "malformed CBOR head 0x%02x", *d->p);
		if (c.indefinite)
			return fail(d, DHALL_EBINARY, h->off,
				    "indefinite-length CBOR items are not allowed");
		d->p += n;
		h->major = (uint8_t)c.major;
		h->ai = (uint8_t)c.ai;
		h->val = c.arg;
		if (h->major == CBOR_TAG && h->val == 55799)
			continue;
		return 0;
	}
}

static size_t left(const struct dec *d)
{
	return (size_t)(d->end - d->p);
}

/* The payload of a byte or text string whose head is h. */
static int rd_payload(struct dec *d, const struct head *h, const uint8_t **s, size_t *len)
{
	if (h->val > left(d))
		return fail(d, DHALL_EBINARY, h->off, "string runs past the end of the input");
	*s = d->p;
	*len = (size_t)h->val;
	d->p += *len;
	return 0;
}

static int utf8_ok(const uint8_t *s, size_t n)
{
	size_t i = 0;
	while (i < n) {
		uint8_t c = s[i];
		if (c < 0x80) {
			i++;
			continue;
		}
		size_t k;
		uint32_t cp, min;
		if ((c & 0xe0) == 0xc0) {
			k = 1, cp = c & 0x1f, min = 0x80;
		} else if ((c & 0xf0) == 0xe0) {
			k = 2, cp = c & 0x0f, min = 0x800;
		} else if ((c & 0xf8) == 0xf0) {
			k = 3, cp = c & 0x07, min = 0x10000;
		} else {
			return 0;
		}
		if (n - i <= k)
			return 0;
		for (size_t j = 1; j <= k; j++) {
			if ((s[i + j] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (s[i + j] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += k + 1;
	}
	return 1;
}

/* A text string (head already read) copied into the arena. */
static int text_of(struct dec *d, const struct head *h, struct dhall_str *out)
{
	const uint8_t *s = NULL;
	size_t len = 0;
	if (h->major != CBOR_TEXT)
		return fail(d, DHALL_EBINARY, h->off, "expected a text string");
	int rc = rd_payload(d, h, &s, &len);
	if (rc)
		return rc;
	if (!utf8_ok(s, len))
		return fail(d, DHALL_EBINARY, h->off, "text string is not valid UTF-8");
	char *c = dhall_arena_strdup(d->arena, (const char *)s, len);
	if (!c)
		return nomem(d);
	out->s = c;
	out->len = len;
	return 0;
}

static int rd_text(struct dec *d, struct dhall_str *out)
{
	struct head h;
	int rc = rd_head(d, &h);
	return rc ? rc : text_of(d, &h, out);
}

static int rd_uint(struct dec *d, uint64_t *v, const char *what)
{
	struct head h;
	*v = 0;
	int rc = rd_head(d, &h);
	if (rc)
		return rc;
	if (h.major != CBOR_UINT)
		return fail(d, DHALL_EBINARY, h.off, "%s must be an unsigned integer", what);
	*v = h.val;
	return 0;
}

/* 1 (and consumes it) when the next item is null; 0 (consuming nothing)
 * otherwise. */
static int rd_null(struct dec *d, int *is_null)
{
	const uint8_t *save = d->p;
	struct head h;
	int rc = rd_head(d, &h);
	if (rc)
		return rc;
	*is_null = h.major == CBOR_SIMPLE && h.ai == 22;
	if (!*is_null)
		d->p = save;
	return 0;
}

/* Big-endian magnitude bytes b[0..len) (+1 when plus_one) as a dhall_num. */
static int make_num(struct dec *d, size_t off, const uint8_t *b, size_t len, int plus_one,
		    struct dhall_num *out)
{
	while (len && b[0] == 0)
		b++, len--;
	if (len > DECODE_MAX_BIG)
		return fail(d, DHALL_ELIMIT, off, "number of %zu bytes is too large (limit %d)", len,
			    DECODE_MAX_BIG);
	uint8_t *m = dhall_arena_alloc(d->arena, len + 1);
	if (!m)
		return nomem(d);
	/* m[0] is room for a carry */
	memcpy(m + 1, b, len);
	size_t n = len + 1;
	if (plus_one) {
		for (size_t i = n; i-- > 0;)
			if (++m[i])
				break;
	}
	size_t skip = 0;
	while (skip < n && m[skip] == 0)
		skip++;
	memset(out, 0, sizeof *out);
	if (n - skip <= 8) {
		for (size_t i = skip; i < n; i++)
			out->small = out->small << 8 | m[i];
	} else {
		out->big = m + skip;
		out->big_len = n - skip;
	}
	return 0;
}

/* An integer: major 0 or 1, or a tag 2/3 bignum. *neg is set for negative
 * values; out holds the magnitude. */
static int rd_integer(struct dec *d, const struct head *h, int *neg, struct dhall_num *out)
{
	memset(out, 0, sizeof *out);
	*neg = 0;
	if (h->major == CBOR_UINT) {
		out->small = h->val;
		return 0;
	}
	if (h->major == CBOR_NEGINT) {
		*neg = 1;
		if (h->val < UINT64_MAX) {
			out->small = h->val + 1;
			return 0;
		}
		static const uint8_t max[8] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
		return make_num(d, h->off, max, 8, 1, out);
	}
	if (h->major == CBOR_TAG && (h->val == 2 || h->val == 3)) {
		struct head b;
		const uint8_t *s = NULL;
		size_t len = 0;
		int rc = rd_head(d, &b);
		if (rc)
			return rc;
		if (b.major != CBOR_BYTES)
			return fail(d, DHALL_EBINARY, b.off, "a bignum must hold a byte string");
		rc = rd_payload(d, &b, &s, &len);
		if (rc)
			return rc;
		*neg = h->val == 3;
		return make_num(d, h->off, s, len, *neg, out);
	}
	return fail(d, DHALL_EBINARY, h->off, "expected an integer");
}

/* A natural number that must fit in 64 bits (variable indexes). */
static int rd_index(struct dec *d, const struct head *h, uint64_t *v)
{
	int neg;
	struct dhall_num n;
	int rc = rd_integer(d, h, &neg, &n);
	if (rc)
		return rc;
	if (neg)
		return fail(d, DHALL_EBINARY, h->off, "a variable index cannot be negative");
	if (n.big)
		return fail(d, DHALL_EBINARY, h->off, "variable index does not fit in 64 bits");
	*v = n.small;
	return 0;
}

/* IEEE half to double by moving the fields (no libm: the library is linked
 * without -lm). */
static double half_to_double(uint16_t h)
{
	uint64_t sign = (uint64_t)(h >> 15) << 63, bits;
	unsigned e = (h >> 10) & 0x1f, m = h & 0x3ff;
	double v;
	if (e == 0) { /* zero and subnormals: m * 2^-24, exact */
		v = (double)m / 16777216.0;
		return sign ? -v : v;
	}
	if (e == 31)
		bits = sign | (uint64_t)0x7ff << 52 | (uint64_t)m << 42;
	else
		bits = sign | (uint64_t)(e - 15 + 1023) << 52 | (uint64_t)m << 42;
	memcpy(&v, &bits, 8);
	return v;
}

/* ---------------------------------------------------------------- tree */

static struct dhall_expr *node(struct dec *d, int kind)
{
	struct dhall_expr *e = dhall_arena_alloc(d->arena, sizeof *e);
	if (e)
		e->kind = (uint8_t)kind;
	return e;
}

static void *alloc_array(struct dec *d, size_t n, size_t size)
{
	return dhall_arena_alloc(d->arena, (n ? n : 1) * size);
}

static int decode_expr(struct dec *d, unsigned depth, struct dhall_expr **out);

static int rd_opt_expr(struct dec *d, unsigned depth, struct dhall_expr **out)
{
	int is_null, rc = rd_null(d, &is_null);
	if (rc)
		return rc;
	if (is_null) {
		*out = NULL;
		return 0;
	}
	return decode_expr(d, depth, out);
}

static int cmp_label(const void *a, const void *b)
{
	return dhall_str_cmp(a, b);
}

/* 1 when the n labels are distinct. Canonical input is sorted, checked in
 * one pass; anything else is sorted in a scratch copy. */
static int map_dups_ok(struct dec *d, const struct dhall_str *l, size_t n, int *ok)
{
	int sorted = 1;
	for (size_t i = 1; i < n && sorted; i++)
		sorted = dhall_str_cmp(&l[i - 1], &l[i]) < 0;
	if (sorted) {
		*ok = 1;
		return 0;
	}
	struct dhall_str *c = alloc_array(d, n, sizeof *c);
	if (!c)
		return nomem(d);
	memcpy(c, l, n * sizeof *c);
	qsort(c, n, sizeof *c, cmp_label);
	*ok = 1;
	for (size_t i = 1; i < n; i++)
		if (dhall_str_cmp(&c[i - 1], &c[i]) == 0)
			*ok = 0;
	return 0;
}

/* { "k" = e | null, … } into labels/items of e (items NULL where null,
 * which only unions allow). A repeated key is refused unless allow_dups
 * (record and union *types*: see the design comment). */
static int rd_map(struct dec *d, unsigned depth, int allow_null, int allow_dups,
		  struct dhall_expr *e)
{
	struct head h;
	int rc = rd_head(d, &h);
	if (rc)
		return rc;
	if (h.major != CBOR_MAP)
		return fail(d, DHALL_EBINARY, h.off, "expected a map of fields");
	if (h.val > left(d) / 2)
		return fail(d, DHALL_EBINARY, h.off, "map runs past the end of the input");
	size_t n = (size_t)h.val;
	e->n = n;
	e->labels = alloc_array(d, n, sizeof *e->labels);
	e->items = alloc_array(d, n, sizeof *e->items);
	if (!e->labels || !e->items)
		return nomem(d);
	for (size_t i = 0; i < n; i++) {
		rc = rd_text(d, &e->labels[i]);
		if (!rc)
			rc = allow_null ? rd_opt_expr(d, depth, &e->items[i])
					: decode_expr(d, depth, &e->items[i]);
		if (rc)
			return rc;
	}
	if (allow_dups)
		return 0;
	int ok = 0;
	rc = map_dups_ok(d, e->labels, n, &ok);
	if (rc)
		return rc;
	if (!ok)
		return fail(d, DHALL_EBINARY, h.off, "a map repeats a key");
	return 0;
}

static const struct dhall_str str_underscore = {"_", 1};
static const struct dhall_str str_question = {"?", 1};

static int is_underscore(const struct dhall_str *s)
{
	return s->len == 1 && s->s[0] == '_';
}

/* [name, index] after the array head and the name's head. */
static int decode_variable(struct dec *d, const struct head *name, uint64_t n,
			   struct dhall_expr **out)
{
	struct dhall_expr *e = node(d, DHALL_VAR);
	struct head h;
	if (!e)
		return nomem(d);
	if (n != 2)
		return fail(d, DHALL_EBINARY, name->off, "a variable is [name, index]");
	int rc = text_of(d, name, &e->label);
	if (rc)
		return rc;
	if (is_underscore(&e->label))
		return fail(d, DHALL_EBINARY, name->off,
			    "a variable named \"_\" must be encoded as its index alone");
	rc = rd_head(d, &h);
	if (!rc)
		rc = rd_index(d, &h, &e->index);
	if (rc)
		return rc;
	*out = e;
	return 0;
}

static int decode_import(struct dec *d, unsigned depth, size_t off, uint64_t n,
			 struct dhall_expr *e)
{
	struct dhall_import *im = dhall_arena_alloc(d->arena, sizeof *im);
	struct head h;
	uint64_t v;
	int rc, is_null;
	if (!im)
		return nomem(d);
	e->u.import = im;
	if (n < 4)
		return fail(d, DHALL_EBINARY, off, "an import needs at least 4 elements");
	/* hash */
	if ((rc = rd_null(d, &is_null)))
		return rc;
	if (!is_null) {
		const uint8_t *s = NULL;
		size_t len = 0;
		if ((rc = rd_head(d, &h)))
			return rc;
		if (h.major != CBOR_BYTES)
			return fail(d, DHALL_EBINARY, h.off, "an import hash must be bytes or null");
		if ((rc = rd_payload(d, &h, &s, &len)))
			return rc;
		if (len != 34 || s[0] != 0x12 || s[1] != 0x20)
			return fail(d, DHALL_EBINARY, h.off,
				    "an import hash must be a sha256 multihash (0x12 0x20 + 32 bytes)");
		uint8_t *hash = dhall_arena_alloc(d->arena, 32);
		if (!hash)
			return nomem(d);
		memcpy(hash, s + 2, 32);
		im->hash = hash;
	}
	if ((rc = rd_uint(d, &v, "an import mode")))
		return rc;
	if (v > DHALL_AS_BYTES)
		return fail(d, DHALL_EBINARY, off, "unknown import mode %llu", (unsigned long long)v);
	im->mode = (uint8_t)v;
	if ((rc = rd_uint(d, &v, "an import scheme")))
		return rc;
	if (v > DHALL_IMPORT_MISSING)
		return fail(d, DHALL_EBINARY, off, "unknown import type %llu", (unsigned long long)v);
	im->type = (uint8_t)v;
	size_t rest = (size_t)n - 4, npath;
	switch (im->type) {
	case DHALL_IMPORT_HTTP:
	case DHALL_IMPORT_HTTPS:
		/* headers, authority, path…, file, query */
		if (rest < 4)
			return fail(d, DHALL_EBINARY, off, "a URL import is too short");
		if ((rc = rd_opt_expr(d, depth, &im->headers)))
			return rc;
		if ((rc = rd_text(d, &im->authority)))
			return rc;
		npath = rest - 3;
		break;
	case DHALL_IMPORT_ENV:
		if (rest != 1)
			return fail(d, DHALL_EBINARY, off, "an env: import is [24, h, m, 6, name]");
		return rd_text(d, &im->env);
	case DHALL_IMPORT_MISSING:
		if (rest != 0)
			return fail(d, DHALL_EBINARY, off, "missing is [24, h, m, 7]");
		return 0;
	default:
		if (rest < 1)
			return fail(d, DHALL_EBINARY, off, "a path import needs a file name");
		npath = rest;
		break;
	}
	im->npath = npath;
	im->path = alloc_array(d, npath, sizeof *im->path);
	if (!im->path)
		return nomem(d);
	for (size_t i = 0; i < npath; i++)
		if ((rc = rd_text(d, &im->path[i])))
			return rc;
	if (im->type == DHALL_IMPORT_HTTP || im->type == DHALL_IMPORT_HTTPS) {
		if ((rc = rd_null(d, &is_null)))
			return rc;
		if (!is_null) {
			if ((rc = rd_text(d, &im->query)))
				return rc;
			im->has_query = 1;
		}
	}
	return 0;
}

static int days_in_month(unsigned y, unsigned m)
{
	static const unsigned char days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return days[m - 1];
}

/* seconds = mantissa * 10^-exp must be below 60: compared in decimal */
static int seconds_ok(struct dec *d, const struct dhall_num *m, uint64_t exp, int *ok)
{
	struct dhall_buf digits = {0};
	if (dhall_print_num(&digits, m))
		return nomem(d);
	size_t n = digits.len;
	*ok = n < exp + 2 || (n == exp + 2 && digits.data[0] < '6');
	dhall_buf_free(&digits);
	return 0;
}

static int decode_time(struct dec *d, size_t off, struct dhall_expr *e)
{
	uint64_t hh, mm;
	struct head h;
	int rc, neg;
	if (!(e->u.time = dhall_arena_alloc(d->arena, sizeof *e->u.time)))
		return nomem(d);
	if ((rc = rd_uint(d, &hh, "an hour")) || (rc = rd_uint(d, &mm, "a minute")))
		return rc;
	if (hh > 23 || mm > 59)
		return fail(d, DHALL_EBINARY, off, "time %llu:%llu out of range",
			    (unsigned long long)hh, (unsigned long long)mm);
	e->u.time->hour = (uint8_t)hh;
	e->u.time->minute = (uint8_t)mm;
	if ((rc = rd_head(d, &h)))
		return rc;
	if (h.major != CBOR_TAG || h.val != 4)
		return fail(d, DHALL_EBINARY, h.off, "seconds must be a decimal fraction (tag 4)");
	if ((rc = rd_head(d, &h)))
		return rc;
	if (h.major != CBOR_ARRAY || h.val != 2)
		return fail(d, DHALL_EBINARY, h.off, "a decimal fraction is [exponent, mantissa]");
	if ((rc = rd_head(d, &h)))
		return rc;
	uint64_t exp;
	if (h.major == CBOR_UINT && h.val == 0)
		exp = 0;
	else if (h.major == CBOR_NEGINT)
		exp = h.val + 1; /* -1-val */
	else
		return fail(d, DHALL_EBINARY, h.off, "the seconds' exponent must be 0 or negative");
	if (h.major == CBOR_NEGINT && h.val == UINT64_MAX)
		return fail(d, DHALL_ELIMIT, h.off, "seconds precision too large");
	if (exp > DECODE_MAX_FRAC)
		return fail(d, DHALL_ELIMIT, h.off, "seconds with %llu fractional digits (limit %d)",
			    (unsigned long long)exp, DECODE_MAX_FRAC);
	if ((rc = rd_head(d, &h)))
		return rc;
	if ((rc = rd_integer(d, &h, &neg, &e->u.time->sec_mantissa)))
		return rc;
	if (neg)
		return fail(d, DHALL_EBINARY, h.off, "seconds cannot be negative");
	int ok = 0;
	if ((rc = seconds_ok(d, &e->u.time->sec_mantissa, exp, &ok)))
		return rc;
	if (!ok)
		return fail(d, DHALL_EBINARY, h.off, "seconds must be below 60");
	e->u.time->sec_exp = (uint32_t)exp;
	return 0;
}

/* An array whose head h (count n) is read and whose first element is the
 * label `label`. */
static int decode_labelled(struct dec *d, unsigned depth, size_t off, uint64_t label, uint64_t n,
			   struct dhall_expr **out)
{
	struct dhall_expr *e = NULL;
	struct head h;
	uint64_t v = 0;
	int rc = 0, is_null;

#define ARITY(cond, what)                                                                      \
	do {                                                                                   \
		if (!(cond))                                                                   \
			return fail(d, DHALL_EBINARY, off, "%s", what);                        \
	} while (0)
#define NEW(k)                                                                                 \
	do {                                                                                   \
		if (!(e = node(d, k)))                                                         \
			return nomem(d);                                                       \
	} while (0)
#define SUB(dst)                                                                               \
	do {                                                                                   \
		if ((rc = decode_expr(d, depth, &(dst))))                                     \
			return rc;                                                             \
	} while (0)

	switch (label) {
	case 0: { /* application */
		ARITY(n >= 3, "an application [0, f, a, …] needs at least one argument");
		struct dhall_expr *f;
		SUB(f);
		size_t extra = f->kind == DHALL_APP ? f->n : 0;
		size_t nargs = (size_t)n - 2;
		NEW(DHALL_APP);
		e->items = alloc_array(d, extra + nargs, sizeof *e->items);
		if (!e->items)
			return nomem(d);
		if (extra) { /* [0, [0, f, a], b] is f a b */
			memcpy(e->items, f->items, extra * sizeof *e->items);
			f = f->a;
		}
		e->a = f;
		e->n = extra + nargs;
		for (size_t i = 0; i < nargs; i++)
			SUB(e->items[extra + i]);
		break;
	}
	case 1:
	case 2: /* λ, ∀ */
		ARITY(n == 3 || n == 4, label == 1 ? "a function is [1, x?, A, b]"
						  : "a forall is [2, x?, A, B]");
		NEW(label == 1 ? DHALL_LAMBDA : DHALL_PI);
		if (n == 4) {
			if ((rc = rd_head(d, &h)) || (rc = text_of(d, &h, &e->label)))
				return rc;
			if (is_underscore(&e->label))
				return fail(d, DHALL_EBINARY, h.off,
					    "a binder named \"_\" must use the short form");
		} else {
			e->label = str_underscore;
		}
		SUB(e->a);
		SUB(e->b);
		break;
	case 3: /* operators */
		ARITY(n == 4, "an operator is [3, op, l, r]");
		if ((rc = rd_uint(d, &v, "an operator")))
			return rc;
		if (v >= DHALL_OP_COUNT)
			return fail(d, DHALL_EBINARY, off, "unknown operator %llu",
				    (unsigned long long)v);
		NEW(DHALL_OP);
		e->op = (uint8_t)v;
		SUB(e->a);
		SUB(e->b);
		break;
	case 4: /* lists */
		ARITY(n >= 2, "a list is [4, T] or [4, null, a, …]");
		if ((rc = rd_null(d, &is_null)))
			return rc;
		NEW(DHALL_LIST);
		if (n == 2) {
			if (is_null)
				return fail(d, DHALL_EBINARY, off, "an empty list needs a type");
			struct dhall_expr *list = node(d, DHALL_BUILTIN), *app = node(d, DHALL_APP);
			struct dhall_expr **args = alloc_array(d, 1, sizeof *args);
			if (!list || !app || !args)
				return nomem(d);
			list->op = DHALL_B_LIST;
			SUB(args[0]);
			app->a = list;
			app->items = args;
			app->n = 1;
			e->a = app;
			break;
		}
		if (!is_null)
			return fail(d, DHALL_EBINARY, off,
				    "a non-empty list must have null as its type");
		e->n = (size_t)n - 2;
		e->items = alloc_array(d, e->n, sizeof *e->items);
		if (!e->items)
			return nomem(d);
		for (size_t i = 0; i < e->n; i++)
			SUB(e->items[i]);
		break;
	case 5: /* Some */
		ARITY(n == 3, "Some is [5, null, e]");
		if ((rc = rd_null(d, &is_null)))
			return rc;
		if (!is_null)
			return fail(d, DHALL_EBINARY, off, "Some is [5, null, e]");
		NEW(DHALL_SOME);
		SUB(e->a);
		break;
	case 6: /* merge */
		ARITY(n == 3 || n == 4, "merge is [6, t, u, T?]");
		NEW(DHALL_MERGE);
		SUB(e->a);
		SUB(e->b);
		if (n == 4)
			SUB(e->c);
		break;
	case 7:
	case 8: /* record type, record literal */
		ARITY(n == 2, "a record is [7|8, {fields}]");
		NEW(label == 7 ? DHALL_RECORD_TYPE : DHALL_RECORD);
		if ((rc = rd_map(d, depth, 0, label == 7, e)))
			return rc;
		break;
	case 9: /* field access */
		ARITY(n == 3, "a field access is [9, e, \"x\"]");
		NEW(DHALL_FIELD);
		SUB(e->a);
		if ((rc = rd_text(d, &e->label)))
			return rc;
		break;
	case 10: /* projection */
		ARITY(n >= 2, "a projection is [10, e, \"x\", …] or [10, e, [T]]");
		{
			struct dhall_expr *subject;
			SUB(subject);
			if (n == 3) {
				const uint8_t *save = d->p;
				if ((rc = rd_head(d, &h)))
					return rc;
				if (h.major == CBOR_ARRAY) {
					if (h.val != 1)
						return fail(d, DHALL_EBINARY, h.off,
							    "a projection by type is [10, e, [T]]");
					NEW(DHALL_PROJECT_TYPE);
					e->a = subject;
					SUB(e->b);
					break;
				}
				d->p = save;
			}
			NEW(DHALL_PROJECT);
			e->a = subject;
			e->n = (size_t)n - 2;
			e->labels = alloc_array(d, e->n, sizeof *e->labels);
			if (!e->labels)
				return nomem(d);
			for (size_t i = 0; i < e->n; i++)
				if ((rc = rd_text(d, &e->labels[i])))
					return rc;
		}
		break;
	case 11: /* union type */
		ARITY(n == 2, "a union is [11, {alternatives}]");
		NEW(DHALL_UNION);
		if ((rc = rd_map(d, depth, 1, 1, e)))
			return rc;
		break;
	case 14:
		ARITY(n == 4, "if is [14, c, t, f]");
		NEW(DHALL_IF);
		SUB(e->a);
		SUB(e->b);
		SUB(e->c);
		break;
	case 15:
	case 16: { /* Natural, Integer */
		ARITY(n == 2, label == 15 ? "a Natural is [15, n]" : "an Integer is [16, n]");
		int neg;
		NEW(label == 15 ? DHALL_NATURAL : DHALL_INTEGER);
		if ((rc = rd_head(d, &h)) || (rc = rd_integer(d, &h, &neg, &e->u.num)))
			return rc;
		if (neg && label == 15)
			return fail(d, DHALL_EBINARY, h.off, "a Natural cannot be negative");
		e->op = (uint8_t)neg;
		break;
	}
	case 18: /* text */
		ARITY(n >= 2 && n % 2 == 0, "text is [18, \"a\", e, \"b\", …, \"z\"]");
		NEW(DHALL_TEXT);
		e->n = ((size_t)n - 2) / 2;
		e->labels = alloc_array(d, e->n + 1, sizeof *e->labels);
		e->items = alloc_array(d, e->n, sizeof *e->items);
		if (!e->labels || !e->items)
			return nomem(d);
		for (size_t i = 0; i <= e->n; i++) {
			if ((rc = rd_text(d, &e->labels[i])))
				return rc;
			if (i < e->n)
				SUB(e->items[i]);
		}
		break;
	case 19:
		ARITY(n == 2, "assert is [19, T]");
		NEW(DHALL_ASSERT);
		SUB(e->a);
		break;
	case 24:
		NEW(DHALL_IMPORT);
		if ((rc = decode_import(d, depth, off, n, e)))
			return rc;
		break;
	case 25: { /* let x : A = a … in body, as nested lets */
		ARITY(n >= 5 && (n - 2) % 3 == 0, "let is [25, x, A|null, a, …, body]");
		size_t k = ((size_t)n - 2) / 3;
		if (k > DHALL_MAX_DEPTH - depth)
			return fail(d, DHALL_ELIMIT, off, "let nesting deeper than %d",
				    DHALL_MAX_DEPTH);
		struct dhall_expr *first = NULL, *prev = NULL;
		for (size_t i = 0; i < k; i++) {
			NEW(DHALL_LET);
			if ((rc = rd_text(d, &e->label)))
				return rc;
			/* binding i sits i levels deep in the nested lets */
			unsigned di = depth + (unsigned)i;
			if ((rc = rd_opt_expr(d, di, &e->c)) || (rc = decode_expr(d, di, &e->a)))
				return rc;
			if (prev)
				prev->b = e;
			else
				first = e;
			prev = e;
		}
		if ((rc = decode_expr(d, depth + (unsigned)k, &prev->b)))
			return rc;
		e = first;
		break;
	}
	case 26:
		ARITY(n == 3, "an annotation is [26, e, T]");
		NEW(DHALL_ANNOT);
		SUB(e->a);
		SUB(e->b);
		break;
	case 27:
		ARITY(n == 2 || n == 3, "toMap is [27, e, T?]");
		NEW(DHALL_TOMAP);
		SUB(e->a);
		if (n == 3)
			SUB(e->c);
		break;
	case 28:
		ARITY(n == 2, "an empty list is [28, T]");
		NEW(DHALL_LIST);
		SUB(e->a);
		break;
	case 29: /* with */
		ARITY(n == 4, "with is [29, e, [k, …], v]");
		NEW(DHALL_WITH);
		SUB(e->a);
		if ((rc = rd_head(d, &h)))
			return rc;
		if (h.major != CBOR_ARRAY || h.val == 0)
			return fail(d, DHALL_EBINARY, h.off, "a with path is a non-empty array");
		if (h.val > left(d))
			return fail(d, DHALL_EBINARY, h.off, "array runs past the end of the input");
		e->n = (size_t)h.val;
		e->labels = alloc_array(d, e->n, sizeof *e->labels);
		if (!e->labels)
			return nomem(d);
		for (size_t i = 0; i < e->n; i++) {
			struct head k;
			if ((rc = rd_head(d, &k)))
				return rc;
			if (k.major == CBOR_UINT && k.val == 0) {
				if (i >= 64)
					return fail(d, DHALL_ELIMIT, k.off,
						    "`?` beyond the 64th with component");
				e->labels[i] = str_question;
				e->with_opt |= (uint64_t)1 << i;
			} else if ((rc = text_of(d, &k, &e->labels[i]))) {
				return rc;
			}
		}
		SUB(e->b);
		break;
	case 30: { /* date */
		uint64_t y, m, dd;
		ARITY(n == 4, "a date is [30, y, m, d]");
		if ((rc = rd_uint(d, &y, "a year")) || (rc = rd_uint(d, &m, "a month")) ||
		    (rc = rd_uint(d, &dd, "a day")))
			return rc;
		if (y > 9999 || m < 1 || m > 12 || dd < 1 ||
		    dd > (uint64_t)days_in_month((unsigned)y, (unsigned)m))
			return fail(d, DHALL_EBINARY, off, "invalid date");
		NEW(DHALL_DATE);
		e->u.date.year = (uint16_t)y;
		e->u.date.month = (uint8_t)m;
		e->u.date.day = (uint8_t)dd;
		break;
	}
	case 31:
		ARITY(n == 4, "a time is [31, h, m, 4([e, m])]");
		NEW(DHALL_TIME);
		if ((rc = decode_time(d, off, e)))
			return rc;
		break;
	case 32: { /* time zone */
		uint64_t hh, mm;
		ARITY(n == 4, "a time zone is [32, sign, h, m]");
		if ((rc = rd_head(d, &h)))
			return rc;
		if (h.major != CBOR_SIMPLE || (h.ai != 20 && h.ai != 21))
			return fail(d, DHALL_EBINARY, h.off, "a time zone's sign is a boolean");
		if ((rc = rd_uint(d, &hh, "an hour")) || (rc = rd_uint(d, &mm, "a minute")))
			return rc;
		if (hh > 23 || mm > 59)
			return fail(d, DHALL_EBINARY, off, "time zone out of range");
		NEW(DHALL_TIMEZONE);
		e->u.tz.negative = h.ai == 20;
		e->u.tz.hour = (uint8_t)hh;
		e->u.tz.minute = (uint8_t)mm;
		break;
	}
	case 33: { /* bytes */
		const uint8_t *s = NULL;
		size_t len = 0;
		ARITY(n == 2, "bytes are [33, b\"…\"]");
		if ((rc = rd_head(d, &h)))
			return rc;
		if (h.major != CBOR_BYTES)
			return fail(d, DHALL_EBINARY, h.off, "bytes are [33, b\"…\"]");
		if ((rc = rd_payload(d, &h, &s, &len)))
			return rc;
		NEW(DHALL_BYTES);
		char *c = dhall_arena_strdup(d->arena, (const char *)s, len);
		if (!c)
			return nomem(d);
		e->label.s = c;
		e->label.len = len;
		break;
	}
	case 34:
		ARITY(n == 2, "showConstructor is [34, e]");
		NEW(DHALL_SHOWCONS);
		SUB(e->a);
		break;
	default:
		return fail(d, DHALL_EBINARY, off, "unknown expression label %llu",
			    (unsigned long long)label);
	}
#undef ARITY
#undef NEW
#undef SUB
	*out = e;
	return 0;
}

static int decode_expr(struct dec *d, unsigned depth, struct dhall_expr **out)
{
	struct head h;
	struct dhall_expr *e;
	int rc;

	if (++depth > DHALL_MAX_DEPTH)
		return fail(d, DHALL_ELIMIT, off_of(d), "nesting deeper than %d", DHALL_MAX_DEPTH);
	if ((rc = rd_head(d, &h)))
		return rc;
	switch (h.major) {
	case CBOR_UINT:
	case CBOR_TAG:
		if (h.major == CBOR_TAG && h.val != 2)
			return fail(d, DHALL_EBINARY, h.off, "unexpected CBOR tag %llu",
				    (unsigned long long)h.val);
		if (!(e = node(d, DHALL_VAR)))
			return nomem(d);
		e->label = str_underscore;
		if ((rc = rd_index(d, &h, &e->index)))
			return rc;
		*out = e;
		return 0;
	case CBOR_TEXT: {
		struct dhall_str s;
		if ((rc = text_of(d, &h, &s)))
			return rc;
		int b = dhall_builtin_lookup(s.s, s.len);
		if (b < 0)
			return fail(d, DHALL_EBINARY, h.off, "\"%.*s\" is not a builtin",
				    (int)(s.len > 40 ? 40 : s.len), s.s);
		if (!(e = node(d, DHALL_BUILTIN)))
			return nomem(d);
		e->op = (uint8_t)b;
		*out = e;
		return 0;
	}
	case CBOR_ARRAY: {
		if (h.val == 0)
			return fail(d, DHALL_EBINARY, h.off, "an empty array is not an expression");
		if (h.val > left(d))
			return fail(d, DHALL_EBINARY, h.off, "array runs past the end of the input");
		struct head first;
		if ((rc = rd_head(d, &first)))
			return rc;
		if (first.major == CBOR_TEXT)
			return decode_variable(d, &first, h.val, out);
		if (first.major != CBOR_UINT)
			return fail(d, DHALL_EBINARY, first.off,
				    "an expression array starts with a label or a name");
		return decode_labelled(d, depth, h.off, first.val, h.val, out);
	}
	case CBOR_SIMPLE:
		if (h.ai == 20 || h.ai == 21) {
			if (!(e = node(d, DHALL_BOOL)))
				return nomem(d);
			e->op = h.ai == 21;
		} else if (h.ai >= 25 && h.ai <= 27) {
			if (!(e = node(d, DHALL_DOUBLE)))
				return nomem(d);
			if (h.ai == 25) {
				e->u.dbl = half_to_double((uint16_t)h.val);
			} else if (h.ai == 26) {
				uint32_t x = (uint32_t)h.val;
				float f;
				memcpy(&f, &x, 4);
				e->u.dbl = f;
			} else {
				memcpy(&e->u.dbl, &h.val, 8);
			}
		} else {
			return fail(d, DHALL_EBINARY, h.off, "%s is not an expression",
				    h.ai == 22 ? "null" : "this CBOR simple value");
		}
		*out = e;
		return 0;
	case CBOR_NEGINT:
		return fail(d, DHALL_EBINARY, h.off, "a negative integer is not an expression");
	case CBOR_BYTES:
		return fail(d, DHALL_EBINARY, h.off, "a byte string is not an expression");
	default:
		return fail(d, DHALL_EBINARY, h.off, "a map is not an expression");
	}
}

static int decode_main(void *arg)
{
	struct dec *d = arg;
	int rc = decode_expr(d, 0, &d->out);
	if (!rc && d->p != d->end)
		rc = fail(d, DHALL_EBINARY, off_of(d), "%zu trailing bytes after the expression",
			  left(d));
	return rc;
}

int dhall_decode(struct dhall_arena *arena, const uint8_t *data, size_t len,
		 struct dhall_expr **out, struct dhall_err *err)
{
	struct dec d = {data, data, data + len, arena, err, NULL, 0};
	if (err) {
		dhall_err_clear(err);
		snprintf(err->file, sizeof err->file, "(binary)");
	}
	int rc = dhall_run_deep(decode_main, &d);
	if (rc == DHALL_ENOMEM && err && !err->msg[0])
		dhall_err_set(err, rc, "out of memory");
	if (rc)
		return rc;
	*out = d.out;
	return 0;
}
