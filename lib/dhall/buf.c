/*
 * buf.c — growable byte buffers and the canonical CBOR writer the binary
 * encoding uses.
 *
 * The CBOR writer is ours rather than libcbor's: Dhall's encoding needs
 * exactly the shortest heads, the shortest float that round-trips and
 * bignums, all of which are a few lines each here, while libcbor would first
 * build a tree of cbor_item_t (one malloc per item) and then serialize it —
 * several times slower for the parse+encode path the bench measures.
 */
#include "dhall_int.h"

#include "cbor/cbor_head.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "banned.h"

void dhall_buf_free(struct dhall_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

int dhall_buf_reserve(struct dhall_buf *b, size_t extra)
{
	if (b->cap - b->len >= extra)
		return 0;
	if (b->spill && b->len >= DHALL_BUF_SPILL) {
		if (b->spill(b->spill_ctx, b->data, b->len))
			return DHALL_ENOMEM;
		b->spilled += b->len;
		b->len = 0;
		if (b->cap >= extra)
			return 0;
	}
	size_t cap = b->cap ? b->cap : 256;
	while (cap - b->len < extra) {
		if (cap > SIZE_MAX / 2)
			return DHALL_ENOMEM;
		cap *= 2;
	}
	uint8_t *p = realloc(b->data, cap);
	if (!p)
		return DHALL_ENOMEM;
	b->data = p;
	b->cap = cap;
	return 0;
}

int dhall_buf_put(struct dhall_buf *b, const void *data, size_t len)
{
	if (dhall_buf_reserve(b, len))
		return DHALL_ENOMEM;
	if (len)
		memcpy(b->data + b->len, data, len);
	b->len += len;
	return 0;
}

int dhall_buf_putc(struct dhall_buf *b, uint8_t c)
{
	if (b->len == b->cap && dhall_buf_reserve(b, 1))
		return DHALL_ENOMEM;
	b->data[b->len++] = c;
	return 0;
}

int dhall_buf_put_u64(struct dhall_buf *b, uint64_t v)
{
	char tmp[20];
	size_t n = 0;
	do {
		tmp[sizeof tmp - 1 - n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	return dhall_buf_put(b, tmp + sizeof tmp - n, n);
}

int dhall_buf_put_n(struct dhall_buf *b, uint8_t c, size_t n)
{
	if (dhall_buf_reserve(b, n))
		return DHALL_ENOMEM;
	memset(b->data + b->len, c, n);
	b->len += n;
	return 0;
}

int dhall_buf_puts(struct dhall_buf *b, const char *s)
{
	return dhall_buf_put(b, s, strlen(s));
}

int dhall_buf_printf(struct dhall_buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || dhall_buf_reserve(b, (size_t)n + 1))
		return DHALL_ENOMEM;
	va_start(ap, fmt);
	vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

int dhall_cbor_head_slow(struct dhall_buf *b, unsigned major, uint64_t v)
{
	if (dhall_buf_reserve(b, CBOR_HEAD_MAX))
		return DHALL_ENOMEM;
	b->len += cbor_head_put(b->data + b->len, major, v);
	return 0;
}

int dhall_cbor_uint(struct dhall_buf *b, uint64_t v)
{
	return dhall_cbor_head(b, CBOR_UINT, v);
}

int dhall_cbor_text_slow(struct dhall_buf *b, const char *s, size_t len)
{
	if (dhall_cbor_head(b, CBOR_TEXT, len))
		return DHALL_ENOMEM;
	return dhall_buf_put(b, s, len);
}

int dhall_cbor_bytes(struct dhall_buf *b, const void *s, size_t len)
{
	if (dhall_cbor_head(b, CBOR_BYTES, len))
		return DHALL_ENOMEM;
	return dhall_buf_put(b, s, len);
}

int dhall_cbor_bool(struct dhall_buf *b, int v)
{
	return dhall_buf_putc(b, v ? 0xf5 : 0xf4);
}

int dhall_cbor_null(struct dhall_buf *b)
{
	return dhall_buf_putc(b, 0xf6);
}

/* The IEEE half-precision bits of f when f converts to half exactly. */
static int to_half(float f, uint16_t *out)
{
	uint32_t x;
	memcpy(&x, &f, 4);
	uint32_t sign = (x >> 16) & 0x8000, exp = (x >> 23) & 0xff, man = x & 0x7fffff;
	if (exp == 0xff) { /* infinities (NaN handled by the caller) */
		if (man)
			return 0;
		*out = (uint16_t)(sign | 0x7c00);
		return 1;
	}
	if (exp == 0 && man == 0) {
		*out = (uint16_t)sign;
		return 1;
	}
	int e = (int)exp - 127;
	if (e >= -14 && e <= 15) { /* normal half */
		if (man & 0x1fff)
			return 0;
		*out = (uint16_t)(sign | (uint32_t)(e + 15) << 10 | man >> 13);
		return 1;
	}
	if (e >= -24 && e < -14) { /* subnormal half: value = m * 2^-24 */
		uint32_t full = man | 0x800000; /* 24-bit significand */
		int shift = 13 + (-14 - e);
		if (full & ((1u << shift) - 1))
			return 0;
		*out = (uint16_t)(sign | full >> shift);
		return 1;
	}
	return 0;
}

int dhall_cbor_double(struct dhall_buf *b, double d)
{
	uint8_t tmp[9];
	size_t n;
	if (isnan(d)) {
		tmp[0] = 0xf9;
		tmp[1] = 0x7e;
		tmp[2] = 0x00;
		n = 3;
	} else {
		float f = (float)d;
		uint16_t h;
		if ((double)f == d && to_half(f, &h)) {
			tmp[0] = 0xf9;
			tmp[1] = (uint8_t)(h >> 8);
			tmp[2] = (uint8_t)h;
			n = 3;
		} else if ((double)f == d) {
			uint32_t x;
			memcpy(&x, &f, 4);
			tmp[0] = 0xfa;
			for (int i = 0; i < 4; i++)
				tmp[1 + i] = (uint8_t)(x >> (24 - 8 * i));
			n = 5;
		} else {
			uint64_t x;
			memcpy(&x, &d, 8);
			tmp[0] = 0xfb;
			for (int i = 0; i < 8; i++)
				tmp[1 + i] = (uint8_t)(x >> (56 - 8 * i));
			n = 9;
		}
	}
	return dhall_buf_put(b, tmp, n);
}

int dhall_cbor_num(struct dhall_buf *b, const struct dhall_num *n)
{
	if (!n->big)
		return dhall_cbor_uint(b, n->small);
	if (dhall_cbor_head(b, CBOR_TAG, 2))
		return DHALL_ENOMEM;
	return dhall_cbor_bytes(b, n->big, n->big_len);
}

int dhall_cbor_int(struct dhall_buf *b, int negative, const struct dhall_num *n)
{
	if (!negative || (!n->big && n->small == 0))
		return dhall_cbor_num(b, n);
	if (!n->big)
		return dhall_cbor_head(b, CBOR_NEGINT, n->small - 1);
	/* -m is encoded as tag 3 of (m - 1); m >= 2^64 here. If m - 1 fits in
	 * 64 bits (m == 2^64) it is a plain negative integer. */
	uint8_t tmp[64];
	uint8_t *m = n->big_len <= sizeof tmp ? tmp : malloc(n->big_len);
	if (!m)
		return DHALL_ENOMEM;
	memcpy(m, n->big, n->big_len);
	for (size_t i = n->big_len; i-- > 0;) {
		if (m[i]--)
			break;
	}
	size_t skip = 0;
	while (skip < n->big_len && m[skip] == 0)
		skip++;
	int rc;
	if (n->big_len - skip <= 8) {
		uint64_t v = 0;
		for (size_t i = skip; i < n->big_len; i++)
			v = v << 8 | m[i];
		rc = dhall_cbor_head(b, CBOR_NEGINT, v);
	} else {
		rc = dhall_cbor_head(b, CBOR_TAG, 3);
		if (!rc)
			rc = dhall_cbor_bytes(b, m + skip, n->big_len - skip);
	}
	if (m != tmp)
		free(m);
	return rc;
}

int dhall_str_cmp_slow(const struct dhall_str *a, const struct dhall_str *b)
{
	size_t n = a->len < b->len ? a->len : b->len;
	int c = n ? memcmp(a->s, b->s, n) : 0;
	if (c)
		return c;
	return a->len < b->len ? -1 : a->len > b->len;
}
