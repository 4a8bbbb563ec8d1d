/*
 * block.c — what happens to one block: encrypting leaves and internal nodes,
 * padding, and fetching a node back with every check the decoders share.
 *
 *   leaf (level 0):  key = BLAKE2b-256(plain, key = convergence secret)
 *   node (level l):  key = BLAKE2b-256(plain)                      (unkeyed)
 *   both:            cipher = ChaCha20-IETF(plain, key, nonce = [l, 0 x 11])
 *                    ref    = BLAKE2b-256(cipher)
 *
 * Internal node plaintext: up to arity = bs / 64 pairs (ref ‖ key), left to
 * right, then zero bytes. A null secret is 32 zero bytes, used as a key.
 * Padding is ISO/IEC 7816-4: 0x80 then zeros, always at least one byte.
 * Nothing here allocates.
 */
#include "eris_int.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "banned.h"

static void crypt_block(const uint8_t *in, uint8_t *out, size_t bs, int level,
			const uint8_t key[ERIS_KEY_SIZE])
{
	uint8_t nonce[crypto_stream_chacha20_ietf_NONCEBYTES] = {0};

	nonce[0] = (uint8_t)level;
	crypto_stream_chacha20_ietf_xor(out, in, bs, nonce, key);
}

void eris_encrypt_leaf_keyed(const crypto_generichash_state *keyed, const uint8_t *plain,
			     uint8_t *cipher, size_t bs, uint8_t ref[ERIS_REF_SIZE],
			     uint8_t key[ERIS_KEY_SIZE])
{
	crypto_generichash_state st;

	memcpy(&st, keyed, sizeof st);
	crypto_generichash_update(&st, plain, bs);
	crypto_generichash_final(&st, key, ERIS_KEY_SIZE);
	crypt_block(plain, cipher, bs, 0, key);
	crypto_generichash(ref, ERIS_REF_SIZE, cipher, bs, NULL, 0);
	sodium_memzero(&st, sizeof st);
}

void eris_encrypt_leaf(const uint8_t *plain, uint8_t *cipher, size_t bs,
		       const uint8_t secret[ERIS_SECRET_SIZE], uint8_t ref[ERIS_REF_SIZE],
		       uint8_t key[ERIS_KEY_SIZE])
{
	crypto_generichash(key, ERIS_KEY_SIZE, plain, bs, secret, ERIS_SECRET_SIZE);
	crypt_block(plain, cipher, bs, 0, key);
	crypto_generichash(ref, ERIS_REF_SIZE, cipher, bs, NULL, 0);
}

void eris_encrypt_node(const uint8_t *plain, uint8_t *cipher, size_t bs, int level,
		       uint8_t ref[ERIS_REF_SIZE], uint8_t key[ERIS_KEY_SIZE])
{
	crypto_generichash(key, ERIS_KEY_SIZE, plain, bs, NULL, 0);
	crypt_block(plain, cipher, bs, level, key);
	crypto_generichash(ref, ERIS_REF_SIZE, cipher, bs, NULL, 0);
}

int eris_unpad_len(const uint8_t *block, size_t bs, size_t *len)
{
	size_t i = bs;

	while (i > 0 && block[i - 1] == 0)
		i--;
	if (i == 0 || block[i - 1] != 0x80)
		return ERIS_E_PADDING;
	*len = i - 1;
	return 0;
}

int eris_decoder_start(const eris_cap *cap, eris_error *err)
{
	if (cap->block_size != ERIS_BLOCK_1K && cap->block_size != ERIS_BLOCK_32K)
		return eris_error_set(err, ERIS_E_CAP, "block size %u is not 1024 or 32768",
				      cap->block_size);
	if (cap->level > ERIS_MAX_LEVEL)
		return eris_error_set(err, ERIS_E_CAP, "level %d is too deep", cap->level);
	if (sodium_init() < 0)
		return eris_error_set(err, ERIS_E_ARG, "libsodium failed to initialise");
	return 0;
}

void eris_error_at(eris_error *err, const uint8_t *ref, eris_pos pos)
{
	if (!err)
		return;
	err->has_ref = 1;
	memcpy(err->ref, ref, ERIS_REF_SIZE);
	err->level = pos.level;
	err->index = pos.index;
}

int eris_fetch_node(eris_get_fn get, void *ctx, const uint8_t *ref, const uint8_t *key,
		    eris_pos pos, uint32_t bs, uint8_t *plain, uint8_t *scratch, int decrypt,
		    int check_key, eris_error *err)
{
	uint8_t h[ERIS_REF_SIZE];
	char name[ERIS_REF_B32_LEN + 1]; /* formatted only on failure */
	const uint8_t *block = scratch;
	size_t len = 0;
	int rc;

	if (err)
		err->msg[0] = '\0';
	rc = get(ctx, ref, scratch, bs, &block, &len, err);
	if (rc != 0 || len != bs)
		eris_ref_to_b32(ref, name);
	if (rc == ERIS_E_MISSING) {
		eris_error_at(err, ref, pos);
		return eris_error_set(err, rc, "missing block %s (level %d, node %llu)", name, pos.level,
				      (unsigned long long)pos.index);
	}
	if (rc == ERIS_E_SIZE) {
		eris_error_at(err, ref, pos);
		return eris_error_set(err, rc, "block %s (level %d, node %llu) has the wrong size",
				      name, pos.level, (unsigned long long)pos.index);
	}
	if (rc != 0) {
		char why[sizeof err->msg];
		snprintf(why, sizeof why, "%s", err && err->msg[0] ? err->msg : eris_strerror(rc));
		eris_error_at(err, ref, pos);
		return eris_error_set(err, rc < 0 ? rc : ERIS_E_IO, "cannot read block %s: %s", name,
				      why);
	}
	if (len != bs) {
		eris_error_at(err, ref, pos);
		return eris_error_set(err, ERIS_E_SIZE,
				      "block %s (level %d, node %llu) is %zu bytes, the capability says %u",
				      name, pos.level, (unsigned long long)pos.index, len, bs);
	}
	crypto_generichash(h, sizeof h, block, bs, NULL, 0);
	if (memcmp(h, ref, ERIS_REF_SIZE) != 0) { /* references are public */
		eris_ref_to_b32(ref, name);
		eris_error_at(err, ref, pos);
		return eris_error_set(err, ERIS_E_HASH,
				      "block %s (level %d, node %llu) does not hash to its reference",
				      name, pos.level, (unsigned long long)pos.index);
	}
	if (!decrypt)
		return 0;
	crypt_block(block, plain, bs, pos.level, key);
	if (check_key) {
		crypto_generichash(h, sizeof h, plain, bs, NULL, 0);
		if (sodium_memcmp(h, key, ERIS_KEY_SIZE) != 0) {
			eris_ref_to_b32(ref, name);
			eris_error_at(err, ref, pos);
			return eris_error_set(err, ERIS_E_KEY,
					      "block %s (level %d, node %llu) does not match its key "
					      "(wrong key or level)",
					      name, pos.level, (unsigned long long)pos.index);
		}
	}
	return 0;
}

/* Zero test for public data (node layout), so no constant-time need; n is a
 * multiple of 8 (pairs and blocks are). */
static int all_zero(const uint8_t *p, size_t n)
{
	uint64_t acc = 0, w;

	for (size_t i = 0; i < n; i += 8) {
		memcpy(&w, p + i, 8);
		acc |= w;
	}
	return acc == 0;
}

int eris_node_pairs(const uint8_t *plain, uint32_t bs, eris_pos pos, const uint8_t *ref,
		    int must_be_full, unsigned min_pairs, unsigned *count, eris_error *err)
{
	unsigned arity = bs / ERIS_PAIR_SIZE, n = 0;
	char name[ERIS_REF_B32_LEN + 1];

	while (n < arity && !all_zero(plain + (size_t)n * ERIS_PAIR_SIZE, ERIS_REF_SIZE))
		n++;
	if (n < arity && !all_zero(plain + (size_t)n * ERIS_PAIR_SIZE,
				   bs - (size_t)n * ERIS_PAIR_SIZE)) {
		eris_ref_to_b32(ref, name);
		eris_error_at(err, ref, pos);
		return eris_error_set(err, ERIS_E_NODE,
				      "internal node %s (level %d, node %llu) has data after its %u "
				      "reference-key pairs",
				      name, pos.level, (unsigned long long)pos.index, n);
	}
	if (n < min_pairs || (must_be_full && n != arity)) {
		eris_ref_to_b32(ref, name);
		eris_error_at(err, ref, pos);
		return eris_error_set(err, ERIS_E_NODE,
				      "internal node %s (level %d, node %llu) holds %u pairs, expected %s%u",
				      name, pos.level, (unsigned long long)pos.index, n,
				      must_be_full ? "" : "at least ", must_be_full ? arity : min_pairs);
	}
	*count = n;
	return 0;
}
