/*
 * test_dhall_binary.c — the binary decoder, the formatter and JSON against
 * the Dhall standard's suite (../shared/dhall/tests) and hand-made CBOR:
 *
 *   binary-decode/success  xA.dhallb decodes and re-encodes to the bytes of
 *                          encode(parse(xB.dhall))
 *   binary-decode/failure  every file is rejected with DHALL_EBINARY
 *   decode round trip      for every parser success test, decode(xB.dhallb)
 *                          re-encodes to exactly xB.dhallb
 *   format round trip      parse(format(parse(xA.dhall))) encodes as
 *                          parse(xA.dhall), and formatting is stable
 *   hand-made CBOR         tag 55799, non-shortest heads, bignum
 *                          normalization, floats, strictness (indefinite
 *                          lengths, trailing bytes, duplicate keys, bad
 *                          UTF-8, hostile counts), every truncation of a
 *                          valid input, nesting past DHALL_MAX_DEPTH
 *   JSON                   a few exact renderings and refusals
 *
 * Prints passed/total per category as TAP diagnostics.
 */
#include "suite.h"
#include "tap.h"

#include "dhall/dhall.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "banned.h"






static int same(const struct dhall_buf *a, const void *b, size_t blen)
{
	return a->len == blen && memcmp(a->data, b, blen) == 0;
}

/* ---------------------------------------------------------------- the suite */

static void decode_success(const char *path, const char *cat, void *ctx)
{
	(void)ctx;
	if (!suite_ends_with(path, "A.dhallb"))
		return;
	size_t n = strlen(path), alen = 0, blen = 0;
	char bpath[4096], label[300];
	snprintf(bpath, sizeof bpath, "%.*sB.dhall", (int)(n - 8), path);
	snprintf(label, sizeof label, "binary-decode/success%s", cat + 1);
	char *a = suite_slurp(path, &alen), *b = suite_slurp(bpath, &blen);
	struct dhall_arena arena;
	struct dhall_err err = {0};
	struct dhall_expr *ea = NULL, *eb = NULL;
	struct dhall_buf got = {0}, want = {0};
	dhall_arena_init(&arena);
	int drc = a ? dhall_decode(&arena, (const uint8_t *)a, alen, &ea, &err) : -99;
	int prc = b ? dhall_parse(&arena, b, blen, bpath, &eb, &err) : -99;
	int ok = drc == 0 && prc == 0 && dhall_encode(ea, &got) == 0 &&
		 dhall_encode(eb, &want) == 0 && same(&got, want.data, want.len);
	suite_count(label, ok);
	if (!tap_ok(ok, "%s/%s decodes to its B.dhall", label, strrchr(path, '/') + 1))
		tap_diag("decode %d, parse %d: %s", drc, prc, err.msg);
	dhall_buf_free(&got);
	dhall_buf_free(&want);
	dhall_arena_free(&arena);
	free(a);
	free(b);
}

static void decode_failure(const char *path, const char *cat, void *ctx)
{
	(void)ctx;
	if (!suite_ends_with(path, ".dhallb"))
		return;
	char label[300];
	snprintf(label, sizeof label, "binary-decode/failure%s", cat + 1);
	size_t len = 0;
	char *a = suite_slurp(path, &len);
	struct dhall_arena arena;
	struct dhall_err err = {0};
	struct dhall_expr *e;
	dhall_arena_init(&arena);
	int rc = a ? dhall_decode(&arena, (const uint8_t *)a, len, &e, &err) : 0;
	int ok = rc == DHALL_EBINARY && err.msg[0];
	suite_count(label, ok);
	tap_ok(ok, "%s/%s is rejected: %s", label, strrchr(path, '/') + 1, rc ? err.msg : "accepted");
	dhall_arena_free(&arena);
	free(a);
}

/* decode(xB.dhallb) re-encodes to xB.dhallb; format(parse(xA.dhall)) parses
 * back to the same encoding and formats the same again. */
static void parser_round_trips(const char *path, const char *cat, void *ctx)
{
	(void)ctx;
	if (!suite_ends_with(path, "A.dhall"))
		return;
	size_t n = strlen(path), alen = 0, blen = 0;
	char bpath[4096], label[300];
	snprintf(bpath, sizeof bpath, "%.*sB.dhallb", (int)(n - 7), path);
	const char *base = strrchr(path, '/') + 1;
	char *a = suite_slurp(path, &alen), *b = suite_slurp(bpath, &blen);
	struct dhall_arena arena;
	struct dhall_err err = {0};
	struct dhall_expr *e = NULL, *e2 = NULL;
	struct dhall_buf enc = {0}, fmt = {0}, enc2 = {0}, fmt2 = {0};
	dhall_arena_init(&arena);

	snprintf(label, sizeof label, "decode-roundtrip%s", cat + 1);
	int rc = b ? dhall_decode(&arena, (const uint8_t *)b, blen, &e, &err) : -99;
	int ok = rc == 0 && dhall_encode(e, &enc) == 0 && same(&enc, b, blen);
	suite_count(label, ok);
	if (!tap_ok(ok, "%s/%.*sB.dhallb decodes and re-encodes unchanged", label,
		    (int)strlen(base) - 7, base))
		tap_diag("decode %d: %s", rc, err.msg);

	snprintf(label, sizeof label, "format-roundtrip%s", cat + 1);
	enc.len = 0;
	rc = a ? dhall_parse(&arena, a, alen, path, &e, &err) : -99;
	int frc = -99, prc = -99;
	ok = 0;
	if (rc == 0 && dhall_encode(e, &enc) == 0 && (frc = dhall_format(e, &fmt)) == 0 &&
	    (prc = dhall_parse(&arena, (const char *)fmt.data, fmt.len, "formatted", &e2, &err)) == 0 &&
	    dhall_encode(e2, &enc2) == 0 && dhall_format(e2, &fmt2) == 0)
		ok = same(&enc, enc2.data, enc2.len) && same(&fmt, fmt2.data, fmt2.len);
	suite_count(label, ok);
	if (!tap_ok(ok, "%s/%s: format parses back to the same encoding, stably", label, base)) {
		tap_diag("parse %d, format %d, reparse %d: %s", rc, frc, prc, err.msg);
		tap_diag("formatted: %.*s", (int)(fmt.len > 300 ? 300 : fmt.len),
			 fmt.data ? (const char *)fmt.data : "");
	}
	dhall_buf_free(&enc);
	dhall_buf_free(&enc2);
	dhall_buf_free(&fmt);
	dhall_buf_free(&fmt2);
	dhall_arena_free(&arena);
	free(a);
	free(b);
}

/* ---------------------------------------------------------------- hand-made CBOR */

/* Decodes hex (spaces ignored); returns the rc, and with *out the tree. */
static int decode_hex(struct dhall_arena *arena, const char *hex, struct dhall_expr **out,
		      struct dhall_err *err)
{
	uint8_t buf[256];
	size_t n = 0;
	for (const char *p = hex; *p && n < sizeof buf;) {
		if (*p == ' ') {
			p++;
			continue;
		}
		unsigned v;
		if (sscanf(p, "%2x", &v) != 1)
			break;
		buf[n++] = (uint8_t)v;
		p += 2;
	}
	return dhall_decode(arena, buf, n, out, err);
}

/* The Dhall source of the decoded hex, or the error code in brackets. */
static void check_hex(const char *hex, const char *want, const char *what)
{
	struct dhall_arena arena;
	struct dhall_err err = {0};
	struct dhall_expr *e = NULL;
	struct dhall_buf out = {0};
	char got[300];
	dhall_arena_init(&arena);
	int rc = decode_hex(&arena, hex, &e, &err);
	if (rc == 0 && dhall_format(e, &out) == 0 && out.len > 0)
		snprintf(got, sizeof got, "%.*s", (int)out.len - 1, (const char *)out.data);
	else
		snprintf(got, sizeof got, "[%d]", rc);
	if (!tap_ok(strcmp(got, want) == 0, "%s: %s → %s", what, hex, want))
		tap_diag("got %s (%s)", got, err.msg);
	dhall_buf_free(&out);
	dhall_arena_free(&arena);
}

static void hand_made(void)
{
	char want[64];
	check_hex("d9d9f7 d9d9f7 8261780a", "x@10", "self-describe tags, twice");
	check_hex("84030d 82617800 82616e00", "x::n", "a completion");
	check_hex("84030d 8263656e7600 82616e00", "env ::n",
		  "a completion on a variable named env (env::n would be an import)");
	check_hex("84030d 8263656e7601 82616e00", "env@1::n", "... with an index");
	check_hex("1b0000000000000005", "_@5", "an 8-byte head for a small index");
	check_hex("c2 43 000001", "_@1", "a bignum index with leading zeros");
	check_hex("820f c2 49 010000000000000000", "18446744073709551616", "2^64 as a bignum");
	check_hex("820f c2 48 ffffffffffffffff", "18446744073709551615", "2^64-1 as a bignum");
	check_hex("8210 3bffffffffffffffff", "-18446744073709551616", "-2^64 as a negative int");
	check_hex("8210 c3 49 010000000000000000", "-18446744073709551617", "a tag-3 bignum is -1-n");
	check_hex("8210 c3 40", "-1", "an empty tag-3 bignum is -1");
	check_hex("8210 00", "+0", "integer zero");
	check_hex("f93e00", "1.5", "a half float");
	check_hex("f90001", "5.9604644775390625e-08", "a half subnormal");
	check_hex("f97c00", "Infinity", "half infinity");
	check_hex("faff800000", "-Infinity", "single -infinity");
	check_hex("fb7ff8000000000000", "NaN", "double NaN");
	check_hex("f98000", "-0.0", "negative zero");
	check_hex("84 18 1f 0c 00 c4 82 21 19 0bb8", "12:00:30.00", "seconds 3000e-2");
	check_hex("84 18 1f 17 18 3b c4 82 20 18 3b", "23:59:05.9", "seconds 59e-1");
	check_hex("84 18 20 f4 05 18 1e", "-05:30", "a negative time zone");
	check_hex("84 18 1e 19 07d0 02 18 1d", "2000-02-29", "a leap day");
	check_hex("83 00 83 00 6454797065 01 02", "Type _@1 _@2", "nested applications flatten");
	check_hex("84 18 1d 00 82 00 6161 01", "_ with ?.a = _@1", "with and `?`");
	check_hex("82 07 a2 6162 00 6161 01", "{ b : _, a : _@1 }", "a record type keeps the key order");
	check_hex("83 00 82 6178 00 84 18 18 f6 00 07", "x missing", "missing as an argument");
	check_hex("82 18 1c 64426f6f6c", "[] : Bool", "[28, T]");
	snprintf(want, sizeof want, "[%d]", DHALL_EBINARY);
	check_hex("", want, "empty input");
	check_hex("8261 78 00 00", want, "a trailing byte");
	check_hex("9f 0f 01 ff", want, "an indefinite-length array");
	check_hex("820f 1bffffffffffffffff", "18446744073709551615", "the largest uint");
	check_hex("82 08 a2 6161 00 6161 01", want, "a record literal repeating a key");
	check_hex("82 07 a2 6161 00 6161 01", "{ a : _, a : _@1 }",
		  "a record type repeating a key (a type error, not a binary one)");
	check_hex("82 6278ff 00", want, "a variable name that is not UTF-8");
	check_hex("9b ffffffffffffffff 00", want, "an array claiming 2^64 elements");
	check_hex("82 12 7b ffffffffffffffff", want, "text claiming 2^64 bytes");
	check_hex("6454727565", want, "True as a string");
	check_hex("6e4e61747572616c2f666f6f626172", want, "an unknown builtin");
	check_hex("820c 00", want, "the obsolete label 12");
	check_hex("84 18 1e 19 07d0 02 18 1e", want, "February 30th");
	check_hex("84 18 1f 18 18 00 c4 82 00 00", want, "hour 24");
	check_hex("84 18 1f 00 00 c4 82 00 18 3c", want, "second 60");
	check_hex("83 05 00 00", want, "Some without null");
	check_hex("82 04 f6", want, "an empty list without a type");
	check_hex("84 18 18 f6 04 07", want, "import mode 4");
	check_hex("85 18 18 42 1220 00 07", want, "a short hash");
	check_hex("c5 00", want, "an unknown tag");
	check_hex("f7", want, "undefined");
	check_hex("a0", want, "a bare map");

	/* every truncation of a valid input is an error, never a crash */
	static const uint8_t full[] = {0x88, 0x18, 0x19, 0x61, 0x78, 0x67, 0x4e, 0x61, 0x74, 0x75,
				       0x72, 0x61, 0x6c, 0x82, 0x0f, 0x01, 0x61, 0x79, 0xf6, 0x82,
				       0x0f, 0x02, 0x82, 0x61, 0x78, 0x00};
	int all = 1;
	for (size_t k = 0; k < sizeof full; k++) {
		struct dhall_arena arena;
		struct dhall_err err;
		struct dhall_expr *e;
		dhall_arena_init(&arena);
		all &= dhall_decode(&arena, full, k, &e, &err) == DHALL_EBINARY;
		dhall_arena_free(&arena);
	}
	tap_ok(all, "every proper prefix of a let is rejected");

	/* nesting: [5, null, …] 10,000 deep decodes, formats and encodes; past
	 * the limit it is DHALL_ELIMIT */
	for (int pass = 0; pass < 2; pass++) {
		size_t depth = pass ? DHALL_MAX_DEPTH + 5 : 10000;
		uint8_t *b = malloc(depth * 3 + 1);
		for (size_t i = 0; i < depth; i++)
			memcpy(b + 3 * i, "\x83\x05\xf6", 3);
		b[3 * depth] = 0;
		struct dhall_arena arena;
		struct dhall_err err = {0};
		struct dhall_expr *e;
		struct dhall_buf enc = {0}, fmt = {0};
		dhall_arena_init(&arena);
		int rc = dhall_decode(&arena, b, depth * 3 + 1, &e, &err);
		if (pass)
			tap_ok(rc == DHALL_ELIMIT, "Some nested past the limit: %s", err.msg);
		else
			tap_ok(rc == 0 && dhall_encode(e, &enc) == 0 && same(&enc, b, depth * 3 + 1) &&
				       dhall_format(e, &fmt) == 0,
			       "Some nested 10,000 deep decodes, encodes and formats");
		dhall_buf_free(&enc);
		dhall_buf_free(&fmt);
		dhall_arena_free(&arena);
		free(b);
	}
}

/* ---------------------------------------------------------------- JSON */

static void check_json(const char *src, int indent, const char *want)
{
	struct dhall_arena arena;
	struct dhall_err err = {0};
	struct dhall_expr *e = NULL;
	struct dhall_buf out = {0};
	char got[600];
	dhall_arena_init(&arena);
	int rc = dhall_parse(&arena, src, strlen(src), "json", &e, &err);
	if (rc == 0)
		rc = dhall_to_json(e, indent, &out, &err);
	if (rc == 0)
		snprintf(got, sizeof got, "%.*s", (int)out.len, (const char *)out.data);
	else
		snprintf(got, sizeof got, "[%d]", rc);
	if (!tap_ok(strcmp(got, want) == 0, "json %s", src))
		tap_diag("got %s, want %s (%s)", got, want, err.msg);
	dhall_buf_free(&out);
	dhall_arena_free(&arena);
}

static void json(void)
{
	char err[16];
	snprintf(err, sizeof err, "[%d]", DHALL_ESYNTAX);
	check_json("{ b = 1, a = [ True, False ], c = None Natural }", 0,
		   "{\"a\":[true,false],\"b\":1}");
	check_json("{ b = 1, a = [ 2 ], c = {=}, d = [] : List Bool }", 2,
		   "{\n  \"a\": [\n    2\n  ],\n  \"b\": 1,\n  \"c\": {},\n  \"d\": []\n}");
	check_json("[ { mapKey = \"k\", mapValue = Some -1 }, { mapKey = \"j\", mapValue = None Integer } ]",
		   0, "{\"k\":-1}");
	check_json("< A | B : Text >.B \"x\\ty\\u0001\\\"\"", 0, "\"x\\ty\\u0001\\\"\"");
	check_json("[ < A | B : Text >.A, < A | B : Text >.B \"é\" ]", 0, "[\"A\",\"é\"]");
	check_json("[ 1.0, -0.0, 0.1, 1.5e-3, 1e20, 123456.789 ]", 0,
		   "[1,0,0.1,1.5e-3,100000000000000000000,123456.789]");
	check_json("[ 1e20, 18446744073709551616 ]", 2, "[\n  1.0e20,\n  1.8446744073709551616e19\n]");
	check_json("λ(x : Natural) → x", 0, err);
	check_json("1 + 2", 0, err);
	check_json("NaN", 0, err);
	check_json("Natural", 0, err);
	check_json("\"a${\"b\"}\"", 0, err);
}

int main(void)
{
	char dir[4096];
	snprintf(dir, sizeof dir, "%s/dhall/tests/binary-decode/success", tap_shared());
	suite_walk(dir, ".", decode_success, NULL);
	snprintf(dir, sizeof dir, "%s/dhall/tests/binary-decode/failure", tap_shared());
	suite_walk(dir, ".", decode_failure, NULL);
	snprintf(dir, sizeof dir, "%s/dhall/tests/parser/success", tap_shared());
	suite_walk(dir, ".", parser_round_trips, NULL);
	int ncat = suite_print_counts();
	if (ncat >= 3)
		tap_ok(1, "the suite was found (%d categories)", ncat);
	else
		tap_skip("no Dhall test suite under $SIGIL_SHARED", "the suite was found");
	hand_made();
	json();
	return tap_done();
}
