/*
 * cap.c — read capabilities, URNs and error formatting.
 *
 * Binary read capability (66 bytes):
 *
 *   offset  size  field
 *   0       1     block size code: 0x0A = 1 KiB, 0x0F = 32 KiB (log2 of the size)
 *   1       1     level of the root node
 *   2       32    root reference (BLAKE2b-256 of the encrypted root block)
 *   34      32    root key (ChaCha20 key of the root block)
 *
 * URN: "urn:eris:" followed by the unpadded upper-case base32 of those 66
 * bytes, always 106 characters. Parsing is exact: the prefix is matched case-
 * sensitively, the length must be 115, and base32 decoding is strict, so one
 * capability has exactly one URN. A level above ERIS_MAX_LEVEL cannot describe
 * content of less than 2^64 bytes and is rejected as malformed.
 */
#include "eris.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "banned.h"

static const char urn_prefix[] = "urn:eris:";

const char *eris_strerror(int code)
{
	switch (code) {
	case ERIS_OK: return "success";
	case ERIS_E_ARG: return "invalid argument";
	case ERIS_E_NOMEM: return "out of memory";
	case ERIS_E_URN: return "malformed urn";
	case ERIS_E_CAP: return "malformed read capability";
	case ERIS_E_MISSING: return "missing block";
	case ERIS_E_SIZE: return "block has the wrong size";
	case ERIS_E_HASH: return "block does not match its reference";
	case ERIS_E_KEY: return "node does not match its key";
	case ERIS_E_NODE: return "malformed internal node";
	case ERIS_E_PADDING: return "invalid padding";
	case ERIS_E_IO: return "i/o error";
	case ERIS_E_RANGE: return "read past the end of the content";
	case ERIS_E_THREAD: return "cannot start a thread";
	default: return "unknown error";
	}
}

int eris_error_set(eris_error *err, int code, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return code;
	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof err->msg, fmt, ap);
	va_end(ap);
	return code;
}

void eris_cap_pack(const eris_cap *cap, uint8_t out[ERIS_CAP_SIZE])
{
	out[0] = cap->block_size == ERIS_BLOCK_1K ? 0x0A : 0x0F;
	out[1] = cap->level;
	memcpy(out + 2, cap->ref, ERIS_REF_SIZE);
	memcpy(out + 2 + ERIS_REF_SIZE, cap->key, ERIS_KEY_SIZE);
}

int eris_cap_unpack(eris_cap *cap, const uint8_t *in, size_t len, eris_error *err)
{
	if (len != ERIS_CAP_SIZE)
		return eris_error_set(err, ERIS_E_CAP, "read capability is %zu bytes, not %d", len,
				      ERIS_CAP_SIZE);
	if (in[0] == 0x0A)
		cap->block_size = ERIS_BLOCK_1K;
	else if (in[0] == 0x0F)
		cap->block_size = ERIS_BLOCK_32K;
	else
		return eris_error_set(err, ERIS_E_CAP,
				      "read capability has block size code 0x%02x (want 0x0a or 0x0f)",
				      in[0]);
	if (in[1] > ERIS_MAX_LEVEL)
		return eris_error_set(err, ERIS_E_CAP, "read capability has level %u (at most %d)",
				      in[1], ERIS_MAX_LEVEL);
	cap->level = in[1];
	memcpy(cap->ref, in + 2, ERIS_REF_SIZE);
	memcpy(cap->key, in + 2 + ERIS_REF_SIZE, ERIS_KEY_SIZE);
	return 0;
}

int eris_cap_to_urn(const eris_cap *cap, char *out, size_t out_size)
{
	uint8_t bin[ERIS_CAP_SIZE];

	if (out_size < ERIS_URN_LEN + 1)
		return ERIS_E_ARG;
	eris_cap_pack(cap, bin);
	memcpy(out, urn_prefix, sizeof urn_prefix - 1);
	return eris_b32_encode(out + sizeof urn_prefix - 1, out_size - (sizeof urn_prefix - 1), bin,
			       sizeof bin);
}

int eris_cap_from_urn(eris_cap *cap, const char *urn, eris_error *err)
{
	uint8_t bin[ERIS_CAP_SIZE];
	size_t len = strlen(urn), n = 0;
	size_t plen = sizeof urn_prefix - 1;

	if (len < plen || memcmp(urn, urn_prefix, plen) != 0)
		return eris_error_set(err, ERIS_E_URN, "not an eris urn (must start with \"urn:eris:\")");
	if (len != ERIS_URN_LEN)
		return eris_error_set(err, ERIS_E_URN, "eris urn is %zu characters long, not %d", len,
				      ERIS_URN_LEN);
	if (eris_b32_decode(bin, sizeof bin, &n, urn + plen, len - plen) != 0)
		return eris_error_set(err, ERIS_E_URN,
				      "eris urn is not upper-case unpadded base32 (A-Z, 2-7)");
	return eris_cap_unpack(cap, bin, n, err);
}

void eris_ref_to_b32(const uint8_t ref[ERIS_REF_SIZE], char out[ERIS_REF_B32_LEN + 1])
{
	/* cannot fail: the size is fixed */
	(void)!eris_b32_encode(out, ERIS_REF_B32_LEN + 1, ref, ERIS_REF_SIZE);
}

int eris_ref_from_b32(uint8_t ref[ERIS_REF_SIZE], const char *s, size_t len)
{
	size_t n = 0;

	if (len != ERIS_REF_B32_LEN || eris_b32_decode(ref, ERIS_REF_SIZE, &n, s, len) != 0 ||
	    n != ERIS_REF_SIZE)
		return ERIS_E_URN;
	return 0;
}
