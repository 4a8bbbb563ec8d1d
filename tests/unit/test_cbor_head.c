/*
 * test_cbor_head.c — lib/cbor: every argument width at its boundaries
 * round-trips in its shortest form; longer forms, reserved bytes, indefinite
 * lengths and truncated heads are reported as such.
 */
#include "tap.h"

#include "cbor/cbor_head.h"

#include <string.h>

#include "banned.h"

static void boundaries(void)
{
	static const struct {
		uint64_t arg;
		size_t len;
	} cases[] = {{0, 1},          {23, 1},          {24, 2},          {255, 2},
		     {256, 3},        {65535, 3},       {65536, 5},       {0xffffffffu, 5},
		     {0x100000000ull, 9}, {UINT64_MAX, 9}};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		for (unsigned major = 0; major < 8; major += 7) {
			uint8_t h[CBOR_HEAD_MAX];
			struct cbor_head got;
			size_t n = cbor_head_put(h, major, cases[i].arg);
			int r = cbor_head_get(h, n, &got);
			tap_ok(n == cases[i].len && r == (int)n && got.major == major &&
				       got.arg == cases[i].arg && got.shortest && !got.indefinite &&
				       cbor_head_get(h, n - 1, &got) == CBOR_HEAD_TRUNCATED,
			       "major %u, argument %llu: %zu bytes, read back, shorter input is "
			       "truncated",
			       major, (unsigned long long)cases[i].arg, cases[i].len);
		}
	}
}

static void odd_forms(void)
{
	struct cbor_head h;
	static const uint8_t long1[] = {0x18, 0x17}, long2[] = {0x19, 0x00, 0xff},
			     long4[] = {0x1a, 0x00, 0x00, 0xff, 0xff},
			     long8[] = {0x1b, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff};
	tap_ok(cbor_head_get(long1, 2, &h) == 2 && h.arg == 23 && !h.shortest,
	       "23 in one extra byte is read but not shortest");
	tap_ok(cbor_head_get(long2, 3, &h) == 3 && h.arg == 255 && !h.shortest,
	       "255 in two bytes is not shortest");
	tap_ok(cbor_head_get(long4, 5, &h) == 5 && h.arg == 65535 && !h.shortest,
	       "65535 in four bytes is not shortest");
	tap_ok(cbor_head_get(long8, 9, &h) == 9 && h.arg == 0xffffffffu && !h.shortest,
	       "2^32-1 in eight bytes is not shortest");
	for (uint8_t ai = 28; ai <= 30; ai++) {
		uint8_t b = (uint8_t)(4 << 5 | ai);
		tap_ok(cbor_head_get(&b, 1, &h) == CBOR_HEAD_RESERVED && h.major == 4 && h.ai == ai,
		       "additional information %u is reserved", ai);
	}
	uint8_t indef = 0x9f;
	tap_ok(cbor_head_get(&indef, 1, &h) == 1 && h.indefinite && h.major == 4,
	       "0x9f: an indefinite-length array");
	tap_ok(cbor_head_get(&indef, 0, &h) == CBOR_HEAD_TRUNCATED, "no input is truncated");
}

int main(void)
{
	boundaries();
	odd_forms();
	return tap_done();
}
