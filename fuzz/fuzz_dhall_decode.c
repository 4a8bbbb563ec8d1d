/*
 * fuzz_dhall_decode.c — libFuzzer target for the Dhall binary decoder
 * (lib/dhall/decode.c) and the printers that take its output.
 *
 * Input: arbitrary bytes, given to dhall_decode. Properties (a violation is
 * an abort()):
 *   1. Rejected input fails with DHALL_EBINARY or DHALL_ELIMIT (never a
 *      crash, leak or other code) and a terminated, non-empty message.
 *   2. Accepted input encodes (dhall_encode); that encoding decodes again
 *      and re-encodes to the same bytes (decode∘encode is a fixed point).
 *   3. dhall_format succeeds on it (or says DHALL_ELIMIT) and its output
 *      ends with a newline; so it does on the re-decoded tree (whose record
 *      fields are sorted, so its text may differ). When the text parses, it parses without crashing (labels
 *      decoded from CBOR may hold characters Dhall source cannot spell, so
 *      the round trip itself is checked by tests/unit/test_dhall_binary.c).
 *   4. dhall_to_json succeeds or fails with DHALL_ESYNTAX and a message,
 *      in both layouts.
 *
 * Seeds: fuzz/corpus/fuzz_dhall_decode/, written by this file built as a
 * program with -DFUZZ_DHALL_SEEDS (the command is at the end): encodings of
 * hand-written Dhall expressions covering every expression label, plus
 * hand-made CBOR for the decoder's edge cases. Extra seeds: the standard's
 * binary-decode tests and parser successes (their .dhallb), listed in
 * fuzz/corpus/fuzz_dhall_decode.shared and read from $SIGIL_SHARED at run
 * time, never copied into the tree.
 */
#include "dhall/dhall.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                            \
	do {                                                                                   \
		if (!(cond))                                                                   \
			abort();                                                               \
	} while (0)

static int msg_ok(const struct dhall_err *err)
{
	return memchr(err->msg, '\0', sizeof err->msg) != NULL && err->msg[0] != '\0';
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dhall_arena arena;
	struct dhall_err err;
	struct dhall_expr *e = NULL, *e2 = NULL, *e3 = NULL;
	struct dhall_buf enc = {0}, enc2 = {0}, fmt = {0}, fmt2 = {0}, json = {0};
	int rc;

	if (size > 65536)
		return 0;
	dhall_arena_init(&arena);
	memset(&err, 0, sizeof err);
	rc = dhall_decode(&arena, data, size, &e, &err);
	if (rc != 0) {
		CHECK(rc == DHALL_EBINARY || rc == DHALL_ELIMIT || rc == DHALL_ENOMEM);
		CHECK(msg_ok(&err));
		goto out;
	}
	/* 2: decode∘encode is a fixed point */
	rc = dhall_encode(e, &enc);
	CHECK(rc == 0 || rc == DHALL_ELIMIT || rc == DHALL_ENOMEM);
	if (rc == 0) {
		CHECK(dhall_decode(&arena, enc.data, enc.len, &e2, &err) == 0);
		CHECK(dhall_encode(e2, &enc2) == 0);
		CHECK(enc.len == enc2.len && memcmp(enc.data, enc2.data, enc.len) == 0);
	}
	/* 3: format */
	rc = dhall_format(e, &fmt);
	CHECK(rc == 0 || rc == DHALL_ELIMIT || rc == DHALL_ENOMEM);
	if (rc == 0) {
		CHECK(fmt.len > 0 && fmt.data[fmt.len - 1] == '\n');
		if (e2)
			CHECK(dhall_format(e2, &fmt2) == 0);
		if (dhall_parse(&arena, (const char *)fmt.data, fmt.len, "formatted", &e3, &err) !=
		    0)
			CHECK(msg_ok(&err));
	}
	/* 4: JSON, both layouts */
	for (int indent = 0; indent <= 2; indent += 2) {
		json.len = 0;
		rc = dhall_to_json(e, indent, &json, &err);
		CHECK(rc == 0 || rc == DHALL_ELIMIT || rc == DHALL_ENOMEM ||
		      (rc == DHALL_ESYNTAX && msg_ok(&err)));
	}
out:
	dhall_buf_free(&enc);
	dhall_buf_free(&enc2);
	dhall_buf_free(&fmt);
	dhall_buf_free(&fmt2);
	dhall_buf_free(&json);
	dhall_arena_free(&arena);
	return 0;
}

#ifdef FUZZ_DHALL_SEEDS
/* Writes the seed corpus into argv[1] (default fuzz/corpus/fuzz_dhall_decode). */
static const char *dir = "fuzz/corpus/fuzz_dhall_decode";

static void save(const char *name, const void *p, size_t n)
{
	char path[512];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(p, 1, n, f) != n || fclose(f) != 0) {
		perror(path);
		exit(1);
	}
}

static const struct {
	const char *name, *src;
} exprs[] = {
	{"var", "x@2"},
	{"var-underscore", "_@3"},
	{"builtins", "[ Natural/fold, List/indexed, Text/replace, TimeZone/show, Type, Kind, Sort ]"},
	{"app", "f a b c"},
	{"lambda", "λ(x : Natural) → λ(_ : Bool) → x"},
	{"pi", "∀(a : Type) → a → List a"},
	{"operators", "a || b && c == d != e + f * g ++ h # i ∧ j ⫽ k ⩓ l ? m ≡ n"},
	{"completion", "T::{ x = 1 }"},
	{"lists", "[ [ 1, 2 ], [] : List Natural ] # ([] : Optional Bool)"},
	{"some-merge", "merge { A = Some 1, B = λ(x : Bool) → None Natural } u : Optional Natural"},
	{"records", "{ a = { b = 1 }, c = {=} } ∧ { d : Text, e : {} }.{ d }"},
	{"field-project", "r.a.b.{ c, d }.(T)"},
	{"union", "< A | B : Natural | C : < > >.B 2"},
	{"if", "if True then False else b"},
	{"naturals", "[ 0, 1, 23, 24, 255, 256, 65536, 4294967296, 18446744073709551616 ]"},
	{"integers", "[ +0, -1, +24, -25, -18446744073709551616, -18446744073709551617 ]"},
	{"doubles", "[ 1.0, -0.0, 1.5e300, 5e-324, NaN, Infinity, -Infinity, 0.1 ]"},
	{"text", "\"a\\n${x}b\\u0000c${\"d\"}é\""},
	{"bytes", "0x\"00ff10\""},
	{"assert", "assert : 1 + 1 ≡ 2"},
	{"imports", "[ ./a/b, ../c, ~/d, /e/\"f g\", env:HOME, env:\"A B\", missing, "
		    "https://u@h:1/p/q?r using (x) sha256:"
		    "0000000000000000000000000000000000000000000000000000000000000000 as Text, "
		    "http://h/ as Location, ./x as Bytes ] ? y"},
	{"let", "let x = 1 let y : Natural = x in let z = y in z"},
	{"annot", "(x : T) : Type"},
	{"tomap", "[ toMap r, toMap r : List { mapKey : Text, mapValue : Natural } ]"},
	{"with", "r with a.b = 1 with ?.c = 2"},
	{"temporal", "[ 2000-02-29, 23:59:59.123456789, -05:30, 2020-01-01T00:00:00+01:00 ]"},
	{"showconstructor", "showConstructor (< A >.A)"},
	{"json-like", "{ a = [ { mapKey = \"k\", mapValue = Some 1 } ], b = < X | Y : Text >.Y \"y\", "
		      "c = None Natural, d = -1.5e-3 }"},
};

/* hand-made CBOR for the decoder's own edge cases */
static const struct {
	const char *name;
	const char *bytes;
	size_t n;
} raw[] = {
	{"raw-self-describe-nested", "\xd9\xd9\xf7\x82\xd9\xd9\xf7\x61\x78\xd9\xd9\xf7\x00", 13},
	{"raw-oversized-heads", "\x82\x61\x78\x1b\x00\x00\x00\x00\x00\x00\x00\x01", 12},
	{"raw-bignum-index", "\xc2\x43\x00\x00\x05", 5},
	{"raw-half-float", "\xf9\x3c\x00", 3},
	{"raw-single-float", "\xfa\x3f\xc0\x00\x00", 5},
	{"raw-nested-app", "\x83\x00\x83\x00\x61\x66\x01\x02", 8},
	{"raw-empty-list-28", "\x82\x18\x1c\x64\x42\x6f\x6f\x6c", 8},
	{"raw-unsorted-map", "\x82\x07\xa2\x61\x62\x00\x61\x61\x01", 9},
	{"bad-indefinite-array", "\x9f\x0f\x01\xff", 4},
	{"bad-duplicate-key", "\x82\x07\xa2\x61\x61\x00\x61\x61\x01", 9},
	{"bad-huge-count", "\x9b\xff\xff\xff\xff\xff\xff\xff\xff\x00", 10},
	{"bad-utf8", "\x82\x62\x78\xff\x00", 5},
	{"bad-trailing", "\x82\x0f\x01\x00", 4},
	{"bad-time-60s", "\x84\x18\x1f\x00\x00\xc4\x82\x00\x18\x3c", 10},
};

int main(int argc, char **argv)
{
	if (argc > 1)
		dir = argv[1];
	for (size_t i = 0; i < sizeof exprs / sizeof exprs[0]; i++) {
		struct dhall_arena arena;
		struct dhall_err err;
		struct dhall_expr *e;
		struct dhall_buf out = {0};
		char name[128];
		dhall_arena_init(&arena);
		if (dhall_parse(&arena, exprs[i].src, strlen(exprs[i].src), exprs[i].name, &e,
				&err) != 0 ||
		    dhall_encode(e, &out) != 0) {
			fprintf(stderr, "seed %s: %s\n", exprs[i].name, err.msg);
			return 1;
		}
		snprintf(name, sizeof name, "enc-%s", exprs[i].name);
		save(name, out.data, out.len);
		dhall_buf_free(&out);
		dhall_arena_free(&arena);
	}
	for (size_t i = 0; i < sizeof raw / sizeof raw[0]; i++)
		save(raw[i].name, raw[i].bytes, raw[i].n);
	return 0;
}
/* cc -std=c11 -D_GNU_SOURCE -Ilib -DFUZZ_DHALL_SEEDS fuzz/fuzz_dhall_decode.c \
 *     build/lib/libsigil.a -lpthread -o /tmp/seeds && mkdir -p fuzz/corpus/fuzz_dhall_decode \
 *     && /tmp/seeds */
#endif
