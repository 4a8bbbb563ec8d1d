/*
 * fuzz_dhall_parse.c — libFuzzer target for the Dhall parser
 * (lib/dhall/parse.c, lex.c, lit.c, import.c) and the binary encoding.
 *
 * Input: any bytes, as the text of a Dhall file. Properties (abort() on a
 * violation):
 *   1. dhall_parse returns 0 or one of DHALL_ESYNTAX / DHALL_ELIMIT /
 *      DHALL_ENOMEM; a syntax error has a message and a position inside the
 *      input (line >= 1, offset <= len).
 *   2. Accepted input encodes (dhall_encode), the encoding decodes
 *      (dhall_decode) and re-encodes to the same bytes.
 *   3. Parsing is deterministic: a second parse encodes identically.
 *   4. dhall_format's output parses back to an expression with the same
 *      encoding.
 *
 * Seeds: fuzz/corpus/fuzz_dhall_parse/ (ours) plus the directories named in
 * fuzz/corpus/fuzz_dhall_parse.shared, read from $SIGIL_SHARED at run time
 * (the standard's parser tests), never copied into the tree.
 */
#include "dhall/dhall.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int encode_of(const char *src, size_t len, struct dhall_buf *out, struct dhall_err *err)
{
	struct dhall_arena arena;
	struct dhall_expr *e;
	dhall_arena_init(&arena);
	int rc = dhall_parse(&arena, src, len, "fuzz", &e, err);
	if (rc == 0 && dhall_encode(e, out) != 0)
		rc = 1;
	dhall_arena_free(&arena);
	return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dhall_arena arena, a2;
	struct dhall_err err;
	struct dhall_expr *e, *d;
	struct dhall_buf enc = {0}, enc2 = {0}, enc3 = {0}, txt = {0};
	const char *src = (const char *)data;

	dhall_arena_init(&arena);
	dhall_arena_init(&a2);
	int rc = dhall_parse(&arena, src, size, "fuzz", &e, &err);
	if (rc == DHALL_ESYNTAX) {
		if (!err.msg[0] || err.line < 1 || err.offset > size)
			abort();
		goto out;
	}
	if (rc == DHALL_ELIMIT || rc == DHALL_ENOMEM)
		goto out;
	if (rc != 0)
		abort();
	/* 2: encode, decode, re-encode */
	if (dhall_encode(e, &enc))
		goto out; /* a tree too deep to walk is refused, not a crash */
	if (dhall_decode(&a2, enc.data, enc.len, &d, &err) != 0)
		abort();
	if (dhall_encode(d, &enc2) || enc2.len != enc.len || memcmp(enc.data, enc2.data, enc.len))
		abort();
	/* 3: deterministic */
	enc2.len = 0;
	if (encode_of(src, size, &enc2, &err) || enc2.len != enc.len ||
	    memcmp(enc.data, enc2.data, enc.len))
		abort();
	/* 4: format round trip */
	if (dhall_format(e, &txt) == 0) {
		if (encode_of((const char *)txt.data, txt.len, &enc3, &err) != 0 ||
		    enc3.len != enc.len || memcmp(enc.data, enc3.data, enc.len))
			abort();
	}
out:
	dhall_buf_free(&enc);
	dhall_buf_free(&enc2);
	dhall_buf_free(&enc3);
	dhall_buf_free(&txt);
	dhall_arena_free(&arena);
	dhall_arena_free(&a2);
	return 0;
}
