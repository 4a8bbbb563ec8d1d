/*
 * eris_int.h — internals shared by the encoder, the decoders and the reader.
 * Not part of the public interface.
 */
#ifndef SIGIL_ERIS_INT_H
#define SIGIL_ERIS_INT_H

#include "eris.h"

#include <sodium.h>

enum { ERIS_PAIR_SIZE = ERIS_REF_SIZE + ERIS_KEY_SIZE };

/* Encrypts one leaf given BLAKE2b state that has already absorbed the
 * convergence secret as its key (the encoder prepares it once, saving one
 * compression per leaf). `keyed` is copied, not changed. */
void eris_encrypt_leaf_keyed(const crypto_generichash_state *keyed, const uint8_t *plain,
			     uint8_t *cipher, size_t bs, uint8_t ref[ERIS_REF_SIZE],
			     uint8_t key[ERIS_KEY_SIZE]);

/* Where a node sits in the tree, for error messages. */
typedef struct eris_pos {
	int level;
	uint64_t index;
} eris_pos;

/*
 * Fetches the node `ref` at `pos`, checks its length and hash, and decrypts it
 * into `plain` (bs bytes) using `scratch` (bs bytes) for the ciphertext. When
 * `check_key` is set, also checks BLAKE2b-256(plain) == key (internal nodes).
 * With `decrypt` clear only the length and hash are checked.
 */
int eris_fetch_node(eris_get_fn get, void *ctx, const uint8_t *ref, const uint8_t *key,
		    eris_pos pos, uint32_t bs, uint8_t *plain, uint8_t *scratch, int decrypt,
		    int check_key, eris_error *err);

/*
 * Counts the reference-key pairs of a decrypted internal node: pairs run up to
 * the first all-zero reference, and every byte after it must be zero. A node
 * with no pair, or (when `must_be_full`) fewer than arity pairs, is rejected.
 * `min_pairs` is 2 for a root node (a canonical tree never wraps one pair
 * into a root), else 1.
 */
int eris_node_pairs(const uint8_t *plain, uint32_t bs, eris_pos pos, const uint8_t *ref,
		    int must_be_full, unsigned min_pairs, unsigned *count, eris_error *err);

/* What every decoder checks first: a capability it can walk (the block size
 * and level a caller filled in by hand may be anything), and libsodium. */
int eris_decoder_start(const eris_cap *cap, eris_error *err);

/* Sets the block-locating fields of err. */
void eris_error_at(eris_error *err, const uint8_t *ref, eris_pos pos);

#endif
