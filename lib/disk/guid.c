/*
 * guid.c — GUIDs as GPT stores them, and the GUIDs of an image.
 *
 * On disk a GUID is 16 bytes whose first three fields (4, 2 and 2 bytes)
 * are little-endian and whose last 8 bytes are in text order:
 *
 *   text   00112233-4455-6677-8899-aabbccddeeff
 *   disk   33 22 11 00 | 55 44 | 77 66 | 88 99 | aa bb cc dd ee ff
 *
 * Partition GUIDs of an image are not random: they are derived from the
 * system's root capability, so that the same system gives the same disk
 * and sigil-init, given only the URN on its command line, knows the GUID
 * of its store partition. Derivation: BLAKE2b with a 16-byte output of
 * "sigil-partition:" ROLE ":" URN, read as the GUID's text-order bytes,
 * then the version nibble set to 4 and the variant bits to 10 (so it reads
 * as a random, RFC 4122 version 4 GUID).
 */
#include "disk/disk.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "banned.h"

/* text-order byte i is stored at disk byte order_map[i] */
static const uint8_t order_map[16] = {3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15};

#define G(a, b, c, d, e, f, g, h, i, j, k, l, m, n, o, p)                                          \
	{                                                                                          \
		{ d, c, b, a, f, e, h, g, i, j, k, l, m, n, o, p }                                 \
	}

/* C12A7328-F81F-11D2-BA4B-00A0C93EC93B (UEFI: EFI System Partition) */
const gpt_guid gpt_type_efi = G(0xC1, 0x2A, 0x73, 0x28, 0xF8, 0x1F, 0x11, 0xD2, 0xBA, 0x4B, 0x00,
				0xA0, 0xC9, 0x3E, 0xC9, 0x3B);
/* 0FC63DAF-8483-4772-8E79-3D69D8477DE4 (Linux filesystem data) */
const gpt_guid gpt_type_linux = G(0x0F, 0xC6, 0x3D, 0xAF, 0x84, 0x83, 0x47, 0x72, 0x8E, 0x79,
				  0x3D, 0x69, 0xD8, 0x47, 0x7D, 0xE4);
/* ED0D3E17-888C-465F-B3CC-245A5D6F2FF4 (ours: a Sigil pack store) */
const gpt_guid gpt_type_sigil_store = G(0xED, 0x0D, 0x3E, 0x17, 0x88, 0x8C, 0x46, 0x5F, 0xB3,
					0xCC, 0x24, 0x5A, 0x5D, 0x6F, 0x2F, 0xF4);

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int gpt_guid_parse(gpt_guid *g, const char *text)
{
	uint8_t t[16];
	size_t k = 0;
	if (!text || strlen(text) != 36)
		return DISK_E_FORMAT;
	for (size_t i = 0; i < 36;) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (text[i] != '-')
				return DISK_E_FORMAT;
			i++;
			continue;
		}
		int hi = hexval((unsigned char)text[i]), lo = hexval((unsigned char)text[i + 1]);
		if (hi < 0 || lo < 0)
			return DISK_E_FORMAT;
		t[k++] = (uint8_t)(hi << 4 | lo);
		i += 2;
	}
	for (size_t i = 0; i < 16; i++)
		g->b[order_map[i]] = t[i];
	return 0;
}

void gpt_guid_format(const gpt_guid *g, char out[GPT_GUID_TEXT])
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;
	for (size_t i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[o++] = '-';
		uint8_t v = g->b[order_map[i]];
		out[o++] = hex[v >> 4];
		out[o++] = hex[v & 15];
	}
	out[o] = 0;
}

int gpt_guid_equal(const gpt_guid *a, const gpt_guid *b)
{
	return memcmp(a->b, b->b, 16) == 0;
}

int gpt_guid_is_zero(const gpt_guid *g)
{
	static const uint8_t zero[16];
	return memcmp(g->b, zero, 16) == 0;
}

void gpt_guid_derive(gpt_guid *g, const char *role, const char *urn)
{
	crypto_generichash_state st;
	uint8_t t[16];
	static const char prefix[] = "sigil-partition:";

	crypto_generichash_init(&st, NULL, 0, sizeof t);
	crypto_generichash_update(&st, (const uint8_t *)prefix, sizeof prefix - 1);
	crypto_generichash_update(&st, (const uint8_t *)role, strlen(role));
	crypto_generichash_update(&st, (const uint8_t *)":", 1);
	crypto_generichash_update(&st, (const uint8_t *)urn, strlen(urn));
	crypto_generichash_final(&st, t, sizeof t);
	t[6] = (uint8_t)((t[6] & 0x0f) | 0x40); /* version 4 */
	t[8] = (uint8_t)((t[8] & 0x3f) | 0x80); /* variant 10 */
	for (size_t i = 0; i < 16; i++)
		g->b[order_map[i]] = t[i];
}
