/*
 * fuzz_urn.c — libFuzzer target for the text forms of ERIS: base32, read
 * capabilities and URNs (lib/eris/base32.c, lib/eris/cap.c).
 *
 * The parsers are strict so that one capability has exactly one spelling
 * (a URN compares equal as a string iff the capabilities are equal). This
 * target checks that as a round-trip property on arbitrary input and abort()s
 * on any violation:
 *
 *   1. The input as a NUL-terminated string (a copy; an embedded NUL ends it)
 *      goes to eris_cap_from_urn. Accepted: eris_cap_to_urn must give back
 *      exactly that string. Rejected: the code is ERIS_E_URN or ERIS_E_CAP and
 *      the message is a terminated line.
 *   2. The raw bytes go to eris_cap_unpack. Accepted: eris_cap_pack gives the
 *      same 66 bytes, and the URN of the capability parses back to it.
 *   3. The raw bytes, read as base32 text, go to eris_b32_decode into a heap
 *      buffer of exactly len*5/8 bytes (so ASan sees a write past it).
 *      Accepted: eris_b32_encode gives the text back, and a buffer one byte
 *      short is refused. The same for eris_ref_from_b32.
 *   4. The raw bytes are encoded with eris_b32_encode into a buffer of exactly
 *      eris_b32_len+1 bytes; decoding that must give the bytes back, and a
 *      buffer one byte short must be refused.
 *
 * Seeds: fuzz/corpus/fuzz_urn/, written by fuzz/gen-seeds.py. Replayed by `make check`
 * through fuzz/driver.c; fuzzed by `make fuzz`.
 */
#include "eris/eris.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                            \
	do {                                                                                   \
		if (!(cond))                                                                   \
			abort();                                                               \
	} while (0)

static int cap_equal(const eris_cap *a, const eris_cap *b)
{
	return a->block_size == b->block_size && a->level == b->level &&
	       memcmp(a->ref, b->ref, ERIS_REF_SIZE) == 0 &&
	       memcmp(a->key, b->key, ERIS_KEY_SIZE) == 0;
}

/* An error struct after a failure: a known code and a terminated message. */
static void check_error(const eris_error *err, int rc)
{
	CHECK(rc < 0);
	CHECK(err->code == rc);
	CHECK(memchr(err->msg, '\0', sizeof err->msg) != NULL);
	CHECK(eris_strerror(rc) != NULL);
}

/* 1: the input as a URN string. */
static void fuzz_urn_text(const char *text)
{
	eris_cap cap, back;
	eris_error err;
	char urn[ERIS_URN_LEN + 1];
	int rc;

	memset(&err, 0, sizeof err);
	rc = eris_cap_from_urn(&cap, text, &err);
	if (rc != 0) {
		check_error(&err, rc);
		CHECK(rc == ERIS_E_URN || rc == ERIS_E_CAP);
		return;
	}
	CHECK(cap.block_size == ERIS_BLOCK_1K || cap.block_size == ERIS_BLOCK_32K);
	CHECK(cap.level <= ERIS_MAX_LEVEL);
	CHECK(eris_cap_to_urn(&cap, urn, sizeof urn) == 0);
	CHECK(strcmp(urn, text) == 0);
	CHECK(eris_cap_from_urn(&back, urn, NULL) == 0);
	CHECK(cap_equal(&cap, &back));
	/* a buffer without room for the NUL is refused */
	CHECK(eris_cap_to_urn(&cap, urn, ERIS_URN_LEN) == ERIS_E_ARG);
}

/* 2: the raw bytes as a binary read capability. */
static void fuzz_cap_binary(const uint8_t *data, size_t size)
{
	eris_cap cap, back;
	eris_error err;
	uint8_t packed[ERIS_CAP_SIZE];
	char urn[ERIS_URN_LEN + 1];
	int rc;

	memset(&err, 0, sizeof err);
	rc = eris_cap_unpack(&cap, data, size, &err);
	if (rc != 0) {
		check_error(&err, rc);
		CHECK(rc == ERIS_E_CAP);
		return;
	}
	CHECK(size == ERIS_CAP_SIZE);
	eris_cap_pack(&cap, packed);
	CHECK(memcmp(packed, data, ERIS_CAP_SIZE) == 0);
	CHECK(eris_cap_to_urn(&cap, urn, sizeof urn) == 0);
	CHECK(strlen(urn) == ERIS_URN_LEN);
	CHECK(eris_cap_from_urn(&back, urn, NULL) == 0);
	CHECK(cap_equal(&cap, &back));
}

/* 3: the raw bytes as base32 text. */
static void fuzz_b32_decode(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	size_t n = size * 5 / 8, got = 0, len;
	uint8_t *out = NULL, ref[ERIS_REF_SIZE];
	char *back = NULL, refname[ERIS_REF_B32_LEN + 1];
	int rc;

	out = malloc(n ? n : 1);
	if (!out)
		goto out;
	rc = eris_b32_decode(out, n, &got, text, size);
	if (rc != 0) {
		CHECK(rc == ERIS_E_URN);
	} else {
		CHECK(got == n);
		len = eris_b32_len(got);
		CHECK(len == size);
		back = malloc(len + 1);
		if (!back)
			goto out;
		CHECK(eris_b32_encode(back, len + 1, out, got) == 0);
		CHECK(memcmp(back, text, size) == 0 && back[len] == '\0');
		if (n > 0)
			CHECK(eris_b32_decode(out, n - 1, &got, text, size) == ERIS_E_ARG);
	}

	rc = eris_ref_from_b32(ref, text, size);
	if (rc == 0) {
		CHECK(size == ERIS_REF_B32_LEN);
		eris_ref_to_b32(ref, refname);
		CHECK(memcmp(refname, text, size) == 0);
	} else {
		CHECK(rc == ERIS_E_URN);
	}
out:
	free(back);
	free(out);
}

/* 4: the raw bytes as data to encode. */
static void fuzz_b32_encode(const uint8_t *data, size_t size)
{
	size_t len = eris_b32_len(size), got = 0;
	char *text = NULL;
	uint8_t *back = NULL;

	text = malloc(len + 1);
	back = malloc(size ? size : 1);
	if (!text || !back)
		goto out;
	CHECK(eris_b32_encode(text, len, data, size) == ERIS_E_ARG);
	CHECK(eris_b32_encode(text, len + 1, data, size) == 0);
	CHECK(strlen(text) == len);
	for (size_t i = 0; i < len; i++)
		CHECK((text[i] >= 'A' && text[i] <= 'Z') || (text[i] >= '2' && text[i] <= '7'));
	CHECK(eris_b32_decode(back, size, &got, text, len) == 0);
	CHECK(got == size && memcmp(back, data, size) == 0);
out:
	free(back);
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = NULL;

	/* Bound the work: nothing longer than a URN can be accepted as one, and
	 * base32 is linear, so 4 KiB covers every interesting case. */
	if (size > 4096)
		return 0;
	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	fuzz_urn_text(text);
	fuzz_cap_binary(data, size);
	fuzz_b32_decode(data, size);
	fuzz_b32_encode(data, size);
	free(text);
	return 0;
}
