/*
 * eris.h — the ERIS codec (Encoding for Robust Immutable Storage, v1.0.0).
 *
 * Content is split into padded blocks of 1 KiB or 32 KiB, each block encrypted
 * with ChaCha20 under a key derived from its own plaintext, and stored under the
 * BLAKE2b-256 hash of its ciphertext (its "reference"). Reference-key pairs are
 * collected into internal nodes, level by level, until one root remains. The
 * 66-byte read capability (block size, level, root reference, root key) is all a
 * reader needs; `urn:eris:` + base32(capability) is its printable form.
 *
 * This module holds:
 *   - base32 (RFC 4648, upper case, no padding), strict in both directions;
 *   - read capabilities and URNs, parsed and formatted strictly;
 *   - a streaming encoder (init / update / final) with bounded memory that can
 *     spread leaf work over several threads;
 *   - a streaming decoder and a random-access reader, both verifying every block
 *     they touch and failing with a precise error (which block, which check).
 *
 * Blocks leave the encoder through a callback and reach decoders through a
 * callback, so the codec knows nothing of stores. Functions return 0 or a
 * negative ERIS_E* code; details go to a caller-supplied eris_error.
 * Nothing here prints, exits or keeps global state.
 */
#ifndef SIGIL_ERIS_H
#define SIGIL_ERIS_H

#include <stddef.h>
#include <stdint.h>

#define ERIS_WARN_UNUSED __attribute__((warn_unused_result))

enum {
	ERIS_REF_SIZE = 32,
	ERIS_KEY_SIZE = 32,
	ERIS_SECRET_SIZE = 32,
	ERIS_CAP_SIZE = 66,
	ERIS_BLOCK_1K = 1024,
	ERIS_BLOCK_32K = 32768,
	ERIS_BLOCK_MAX = ERIS_BLOCK_32K,
	/* urn:eris: (9) + 106 base32 characters */
	ERIS_URN_LEN = 115,
	/* base32 of a 32-byte reference */
	ERIS_REF_B32_LEN = 52,
	/* Deepest tree we accept: 2^64 bytes need 14 levels at 1 KiB. */
	ERIS_MAX_LEVEL = 16,
};

/* Error codes (negative returns). */
enum {
	ERIS_OK = 0,
	ERIS_E_ARG = -1,      /* bad argument from the caller */
	ERIS_E_NOMEM = -2,    /* allocation failed */
	ERIS_E_URN = -3,      /* malformed URN or base32 text */
	ERIS_E_CAP = -4,      /* malformed read capability */
	ERIS_E_MISSING = -5,  /* a block is not in the store */
	ERIS_E_SIZE = -6,     /* a block has the wrong length */
	ERIS_E_HASH = -7,     /* a block does not hash to its reference */
	ERIS_E_KEY = -8,      /* a node does not hash to its key (tampered level or key) */
	ERIS_E_NODE = -9,     /* a malformed internal node */
	ERIS_E_PADDING = -10, /* the last leaf is not padded correctly */
	ERIS_E_IO = -11,      /* the block source or sink failed */
	ERIS_E_RANGE = -12,   /* a read past the end of the content */
	ERIS_E_THREAD = -13,  /* a worker thread could not be started */
};

/* Details of a failure. `msg` is one lowercase line without a trailing newline.
 * When `has_ref` is set, `ref` names the block at fault, `level` its level in the
 * tree and `index` its position within that level (0 = left-most). */
typedef struct eris_error {
	int code;
	int has_ref;
	uint8_t ref[ERIS_REF_SIZE];
	int level;
	uint64_t index;
	char msg[256];
} eris_error;

/* The parsed form of a read capability. */
typedef struct eris_cap {
	uint32_t block_size; /* 1024 or 32768 */
	uint8_t level;       /* level of the root node, 0 = the root is a leaf */
	uint8_t ref[ERIS_REF_SIZE];
	uint8_t key[ERIS_KEY_SIZE];
} eris_cap;

/* A short name for an error code ("missing block", ...). Never NULL. */
const char *eris_strerror(int code);

/* Fill `err` (may be NULL) with a formatted message; returns `code`. */
int eris_error_set(eris_error *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* ---- base32 ------------------------------------------------------------ */

/* Length of the unpadded base32 text for n bytes. */
size_t eris_b32_len(size_t n);

/* Writes eris_b32_len(n) characters and a NUL to out (out_size must hold them). */
int eris_b32_encode(char *out, size_t out_size, const uint8_t *in, size_t n) ERIS_WARN_UNUSED;

/* Decodes exactly `len` characters of upper-case unpadded base32 into out.
 * Rejects lower case, '=', characters outside the alphabet, impossible lengths
 * and non-zero trailing bits. *out_len receives the byte count. */
int eris_b32_decode(uint8_t *out, size_t out_size, size_t *out_len, const char *in,
		    size_t len) ERIS_WARN_UNUSED;

/* ---- capabilities and URNs -------------------------------------------- */

/* 66-byte binary form of `cap`. */
void eris_cap_pack(const eris_cap *cap, uint8_t out[ERIS_CAP_SIZE]);

/* Parses exactly 66 bytes: block-size code 0x0A or 0x0F, then level, ref, key. */
int eris_cap_unpack(eris_cap *cap, const uint8_t *in, size_t len, eris_error *err) ERIS_WARN_UNUSED;

/* Writes "urn:eris:" + 106 base32 chars + NUL (out_size >= ERIS_URN_LEN + 1). */
int eris_cap_to_urn(const eris_cap *cap, char *out, size_t out_size) ERIS_WARN_UNUSED;

/* Parses a URN of exactly ERIS_URN_LEN characters (NUL-terminated string). */
int eris_cap_from_urn(eris_cap *cap, const char *urn, eris_error *err) ERIS_WARN_UNUSED;

/* Formats a 32-byte reference as 52 base32 characters + NUL (out_size >= 53). */
void eris_ref_to_b32(const uint8_t ref[ERIS_REF_SIZE], char out[ERIS_REF_B32_LEN + 1]);

/* Parses 52 base32 characters into a reference. */
int eris_ref_from_b32(uint8_t ref[ERIS_REF_SIZE], const char *s, size_t len) ERIS_WARN_UNUSED;

/* ---- block primitives (no allocation) ---------------------------------- */

/* Encrypts one leaf: key = BLAKE2b-256(plain, secret), cipher = ChaCha20(plain),
 * ref = BLAKE2b-256(cipher). `plain` and `cipher` may be the same buffer. */
void eris_encrypt_leaf(const uint8_t *plain, uint8_t *cipher, size_t bs,
		       const uint8_t secret[ERIS_SECRET_SIZE], uint8_t ref[ERIS_REF_SIZE],
		       uint8_t key[ERIS_KEY_SIZE]);

/* Encrypts one internal node at `level` (>= 1): key = BLAKE2b-256(plain). */
void eris_encrypt_node(const uint8_t *plain, uint8_t *cipher, size_t bs, int level,
		       uint8_t ref[ERIS_REF_SIZE], uint8_t key[ERIS_KEY_SIZE]);

/* ERIS padding: the length of the unpadded content of a final block, or
 * ERIS_E_PADDING when the block does not end in 0x80 0x00*. */
int eris_unpad_len(const uint8_t *block, size_t bs, size_t *len) ERIS_WARN_UNUSED;

/* ---- encoder ------------------------------------------------------------ */

/* Receives every block the encoder produces, leaves in content order and
 * internal nodes as they complete: the leaves of a batch (up to 1 MiB of
 * content) come first, then the nodes those leaves complete. The same block
 * may come more than once (identical content). `block` is valid during the
 * call only. Return 0, or a negative value to abort encoding. */
typedef int (*eris_put_fn)(void *ctx, const uint8_t ref[ERIS_REF_SIZE], const uint8_t *block,
			   size_t bs);

/* Optionally (eris_encoder_set_place), says where the encoder should write
 * the ciphertext of its next n leaves: returns n slots of bs bytes, *stride
 * (>= bs) apart, or NULL for the encoder's own buffer. The encoder writes
 * them (from any of its threads), then hands exactly those n leaves to put,
 * in order, each `block` pointing into its slot, before any other block and
 * before the next place call. The sink keeps the slots valid and untouched
 * until then; it may keep a slot's bytes where they are instead of copying
 * them. ctx is the put callback's. */
typedef uint8_t *(*eris_place_fn)(void *ctx, size_t n, size_t bs, size_t *stride);

typedef struct eris_encoder eris_encoder;

/* Creates an encoder. block_size is 1024 or 32768; secret may be NULL (the
 * null convergence secret, 32 zero bytes). `put` may be NULL to only compute
 * the capability. threads >= 1 spreads leaf encryption over that many threads
 * (the caller's included). The encoder holds O(levels × block size) plus
 * threads × batch memory; it never buffers the whole content.
 * Returns 0 and *out, which eris_encoder_free releases. */
int eris_encoder_new(eris_encoder **out, uint32_t block_size, const uint8_t *secret,
		     int threads, eris_put_fn put, void *ctx) ERIS_WARN_UNUSED;

/* Lets `place` (NULL: none) choose where leaves are encrypted, so that a sink
 * such as a store's write buffer receives them without a copy. Ignored for an
 * encoder without a put callback. Call before the first update. */
void eris_encoder_set_place(eris_encoder *enc, eris_place_fn place);

/* Feeds content. After an error the encoder only accepts eris_encoder_free. */
int eris_encoder_update(eris_encoder *enc, const void *data, size_t len,
			eris_error *err) ERIS_WARN_UNUSED;

/* Pads, flushes the tree and writes the read capability. */
int eris_encoder_final(eris_encoder *enc, eris_cap *cap, eris_error *err) ERIS_WARN_UNUSED;

/* Total content bytes seen so far. */
uint64_t eris_encoder_bytes(const eris_encoder *enc);

/* Releases the encoder and wipes its key material. NULL is fine. */
void eris_encoder_free(eris_encoder *enc);

/* One-shot convenience: encodes `len` bytes of `data`. */
int eris_encode(const void *data, size_t len, uint32_t block_size, const uint8_t *secret,
		eris_put_fn put, void *ctx, eris_cap *cap, eris_error *err) ERIS_WARN_UNUSED;

/* The block size `auto` picks for content of `len` bytes: 1 KiB below 16 KiB,
 * else 32 KiB. */
uint32_t eris_auto_block_size(uint64_t len);

/* ---- decoding ----------------------------------------------------------- */

/* Fetches the block named by `ref`. The source either copies it into buf
 * (buf_size bytes available) and sets *block = buf, or — zero-copy, for
 * sources that hold blocks in memory — points *block at its own copy, which
 * must stay valid and unchanged until the source's next call. *len gets the
 * length. Returns 0, ERIS_E_MISSING when the source does not hold the block,
 * ERIS_E_SIZE when it does not fit, or another negative code (ERIS_E_IO ...)
 * filling err->msg. The decoder checks length and hash itself. */
typedef int (*eris_get_fn)(void *ctx, const uint8_t ref[ERIS_REF_SIZE], uint8_t *buf,
			   size_t buf_size, const uint8_t **block, size_t *len, eris_error *err);

/* Receives decoded content in order. Return 0, or negative to stop. */
typedef int (*eris_write_fn)(void *ctx, const uint8_t *data, size_t len);

/* An eris_write_fn that writes everything to the file descriptor *(int *)ctx
 * (retrying short writes and EINTR); -1 when a write fails (errno set). */
int eris_write_fd(void *ctx, const uint8_t *data, size_t len);

/* Decodes the whole content of `cap`, streaming it to `write` in order. Uses
 * O(level × block size) memory. Every block is length-, hash- and structure-
 * checked before any of its content is written; on error some earlier content
 * may already have been written (callers that must not expose partial output
 * write to a temporary file). *total (may be NULL) gets the content length. */
int eris_decode(const eris_cap *cap, eris_get_fn get, void *get_ctx, eris_write_fn write,
		void *write_ctx, uint64_t *total, eris_error *err) ERIS_WARN_UNUSED;

/* Checks that every block of `cap` is present and valid without producing
 * content. *blocks (may be NULL) counts the blocks visited. */
int eris_verify(const eris_cap *cap, eris_get_fn get, void *get_ctx, uint64_t *blocks,
		eris_error *err) ERIS_WARN_UNUSED;

/* Receives each bad block eris_check finds: bad->code and bad->msg say what
 * is wrong, bad->ref, level and index which block (bad->has_ref is 1). A bad
 * internal node (level > 0) hides its whole subtree, which is not checked.
 * Return 0 to go on, non-zero to stop the check with ERIS_E_IO. */
typedef int (*eris_bad_fn)(void *ctx, const eris_error *bad);

/* eris_verify that does not stop at the first bad block: every bad block it
 * can reach goes to `bad`, and the walk goes on. Returns 0 when the tree is
 * whole; else the code of the first bad block (err says how many), or the
 * error that stopped the walk (out of memory, `bad` asking to stop). *blocks
 * counts the good blocks visited, *nbad the bad ones (either may be NULL). */
int eris_check(const eris_cap *cap, eris_get_fn get, void *get_ctx, eris_bad_fn bad,
	       void *bad_ctx, uint64_t *blocks, uint64_t *nbad, eris_error *err) ERIS_WARN_UNUSED;

/* Receives each block of a tree as eris_walk verifies it: its reference, its
 * (encrypted) bytes and its level. Blocks shared within the tree come once
 * per use. Return 0 to go on, or negative to stop the walk with ERIS_E_IO. */
typedef int (*eris_visit_fn)(void *ctx, const uint8_t ref[ERIS_REF_SIZE], const uint8_t *block,
			     size_t bs, int level);

/* eris_verify, handing every verified block to `visit` (for copying a tree
 * between stores, exporting it, or marking it live). */
int eris_walk(const eris_cap *cap, eris_get_fn get, void *get_ctx, eris_visit_fn visit,
	      void *visit_ctx, uint64_t *blocks, eris_error *err) ERIS_WARN_UNUSED;

/* A random-access reader: each read fetches and verifies the path from the root
 * to the leaves it touches (the path of the last read is cached). */
typedef struct eris_reader eris_reader;

/* Opens a reader; finds the content length by walking the right-most path. */
int eris_reader_open(eris_reader **out, const eris_cap *cap, eris_get_fn get, void *get_ctx,
		     eris_error *err) ERIS_WARN_UNUSED;

/* The content length. */
uint64_t eris_reader_size(const eris_reader *r);

/* Reads up to len bytes at offset into buf; *got receives the count, which is
 * short only at the end of content. Offset past the end is ERIS_E_RANGE. */
int eris_reader_pread(eris_reader *r, void *buf, size_t len, uint64_t offset, size_t *got,
		      eris_error *err) ERIS_WARN_UNUSED;

void eris_reader_free(eris_reader *r);

#endif
