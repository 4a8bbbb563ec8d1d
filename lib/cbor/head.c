/*
 * head.c — reading and writing CBOR heads (cbor_head.h has the layout).
 *
 * "Shortest form" is RFC 8949 §4.2.1's preferred serialization of the
 * argument: below 24 in the initial byte, else in the fewest of 1, 2, 4 or 8
 * bytes. Writers always produce it; readers report whether they saw it, so
 * that strict formats (Dhall's, closure descriptions) can refuse the rest.
 */
#include "cbor/cbor_head.h"

#include "banned.h"

size_t cbor_head_put(uint8_t out[CBOR_HEAD_MAX], unsigned major, uint64_t arg)
{
	if (arg < 24) {
		out[0] = (uint8_t)(major << 5 | arg);
		return 1;
	}
	unsigned ai = arg <= 0xff ? 24 : arg <= 0xffff ? 25 : arg <= 0xffffffffu ? 26 : 27;
	unsigned n = 1u << (ai - 24);
	out[0] = (uint8_t)(major << 5 | ai);
	for (unsigned i = 0; i < n; i++)
		out[1 + i] = (uint8_t)(arg >> (8 * (n - 1 - i)));
	return 1 + n;
}

int cbor_head_get(const uint8_t *p, size_t len, struct cbor_head *h)
{
	if (len == 0)
		return CBOR_HEAD_TRUNCATED;
	h->major = p[0] >> 5;
	h->ai = p[0] & 31;
	h->arg = 0;
	h->indefinite = 0;
	h->shortest = 1;
	if (h->ai < 24) {
		h->arg = h->ai;
		return 1;
	}
	if (h->ai == 31) {
		h->indefinite = 1;
		return 1;
	}
	if (h->ai > 27)
		return CBOR_HEAD_RESERVED;
	unsigned n = 1u << (h->ai - 24);
	if (len - 1 < n)
		return CBOR_HEAD_TRUNCATED;
	for (unsigned i = 0; i < n; i++)
		h->arg = h->arg << 8 | p[1 + i];
	h->shortest = n == 1   ? h->arg >= 24
		      : n == 2 ? h->arg > 0xff
		      : n == 4 ? h->arg > 0xffff
			       : h->arg > 0xffffffffu;
	return (int)(1 + n);
}
