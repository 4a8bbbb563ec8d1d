/*
 * base32.c — RFC 4648 base32, upper case, without '=' padding.
 *
 * ERIS writes read capabilities (66 bytes → 106 characters) and block
 * references (32 bytes → 52 characters) this way. libsodium has no base32, so
 * it is ours. Decoding is strict: every text has exactly one accepted spelling,
 * so a URN compares equal as a string iff the capabilities are equal. That
 * means: only 'A'–'Z' and '2'–'7'; no lower case, padding or white space; no
 * length that cannot come from whole bytes (1, 3 or 6 characters mod 8); and
 * the unused low bits of the last character must be zero.
 */
#include "eris.h"

#include "banned.h"

static const char b32_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

size_t eris_b32_len(size_t n)
{
	return (n * 8 + 4) / 5;
}

int eris_b32_encode(char *out, size_t out_size, const uint8_t *in, size_t n)
{
	size_t need = eris_b32_len(n);
	size_t o = 0;
	uint32_t acc = 0;
	int bits = 0;

	if (out_size < need + 1)
		return ERIS_E_ARG;
	for (size_t i = 0; i < n; i++) {
		acc = (acc << 8) | in[i];
		bits += 8;
		while (bits >= 5) {
			bits -= 5;
			out[o++] = b32_alphabet[(acc >> bits) & 31];
		}
		acc &= (1u << bits) - 1;
	}
	if (bits > 0)
		out[o++] = b32_alphabet[(acc << (5 - bits)) & 31];
	out[o] = '\0';
	return 0;
}

static int b32_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= '2' && c <= '7')
		return c - '2' + 26;
	return -1;
}

int eris_b32_decode(uint8_t *out, size_t out_size, size_t *out_len, const char *in, size_t len)
{
	size_t rem = len % 8;
	size_t n = len * 5 / 8;
	size_t o = 0;
	uint32_t acc = 0;
	int bits = 0;

	if (rem == 1 || rem == 3 || rem == 6)
		return ERIS_E_URN;
	if (n > out_size)
		return ERIS_E_ARG;
	for (size_t i = 0; i < len; i++) {
		int v = b32_value(in[i]);
		if (v < 0)
			return ERIS_E_URN;
		acc = (acc << 5) | (uint32_t)v;
		bits += 5;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (uint8_t)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	if (acc != 0) /* non-zero trailing bits: a second spelling of the same bytes */
		return ERIS_E_URN;
	*out_len = o;
	return 0;
}
