/*
 * store.h — block stores: where ERIS blocks live, behind one interface.
 *
 * A store maps a 32-byte reference to the block (1 KiB or 32 KiB) whose
 * BLAKE2b-256 it is. It is opened from a store string:
 *
 *   PATH or dir:PATH   a directory, one file per block (dir.c)
 *   pack:FILE          one file or block device: header, block log, index (pack.c)
 *   http://HOST:PORT[/prefix]  an `eris serve` (or any ERIS-over-HTTP) server (http.c)
 *   mem:               a process-local table, for tests and tools (mem.c)
 *   A+B                read-through chain: blocks missing from A are fetched
 *                      from B, verified, and stored in A (chain.c). A itself
 *                      contains no '+'; A+B+C is A+(B+C).
 *
 * Every read through store_get is verified against its reference before it is
 * returned; store_get_raw skips that for callers that verify every block
 * themselves (the ERIS decoder does), so no block is hashed twice. store_put
 * checks the block against its reference too; store_eris_put (the encoder's
 * sink) trusts the encoder, which has just computed the reference.
 *
 * Errors: functions return 0 or a negative ERIS_E* code and fill the
 * caller's eris_error with one line naming the store, path or block.
 */
#ifndef SIGIL_STORE_H
#define SIGIL_STORE_H

#include "eris/eris.h"

typedef struct store store;

enum {
	STORE_READ = 0,    /* open an existing store for reading */
	STORE_WRITE = 1,   /* also allow puts */
	STORE_CREATE = 2,  /* create the store when it does not exist (implies WRITE) */
};

/* Opens the store named by `spec`. Returns 0 and *out (free with store_close). */
int store_open(store **out, const char *spec, int flags, eris_error *err) ERIS_WARN_UNUSED;

/* Reads the block `ref` into buf (size bytes), checks its length is a valid
 * block size and that it hashes to ref. *len gets its length.
 * ERIS_E_MISSING when absent, ERIS_E_HASH/ERIS_E_SIZE when damaged. */
int store_get(store *s, const uint8_t ref[ERIS_REF_SIZE], uint8_t *buf, size_t size,
	      size_t *len, eris_error *err) ERIS_WARN_UNUSED;

/* As store_get without the hash check: the caller must verify. */
int store_get_raw(store *s, const uint8_t ref[ERIS_REF_SIZE], uint8_t *buf, size_t size,
		  size_t *len, eris_error *err) ERIS_WARN_UNUSED;

/* Stores a block after checking it hashes to ref. A block already present is
 * not written again. */
int store_put(store *s, const uint8_t ref[ERIS_REF_SIZE], const uint8_t *block, size_t len,
	      eris_error *err) ERIS_WARN_UNUSED;

/* 1 when the block is present, 0 when not, negative on error. */
int store_has(store *s, const uint8_t ref[ERIS_REF_SIZE], eris_error *err) ERIS_WARN_UNUSED;

/* Batch variants. For each i in [0, n), store_get_many calls
 * got(ctx, i, rc, block, len): rc is 0 with a verified block, or the error
 * code for that block alone (ERIS_E_MISSING, ERIS_E_HASH, ...; block NULL).
 * Calls may come in any order and, for backends that fetch in parallel (http),
 * all n requests are in flight together. Returns 0 when every block was
 * handed to `got` (whatever its rc), or an error that stopped the batch
 * (then `got` may not have been called for every i). `got` returning
 * non-zero stops the batch with ERIS_E_IO. */
typedef int (*store_got_fn)(void *ctx, size_t i, int rc, const uint8_t *block, size_t len);
int store_get_many(store *s, const uint8_t (*refs)[ERIS_REF_SIZE], size_t n, store_got_fn got,
		   void *ctx, eris_error *err) ERIS_WARN_UNUSED;

/* present[i] = 1 when block i is in the store, else 0. */
int store_has_many(store *s, const uint8_t (*refs)[ERIS_REF_SIZE], size_t n, uint8_t *present,
		   eris_error *err) ERIS_WARN_UNUSED;

/* Calls fn for every block the store holds (no order promised; not
 * verified — use store_get for that). Stores that cannot enumerate (http)
 * fail with ERIS_E_ARG. fn returning non-zero stops with ERIS_E_IO. */
typedef int (*store_list_fn)(void *ctx, const uint8_t ref[ERIS_REF_SIZE], size_t len);
int store_list(store *s, store_list_fn fn, void *ctx, eris_error *err) ERIS_WARN_UNUSED;

/* Keeps only the blocks for which keep(ctx, ref) returns 1 (garbage
 * collection). A pack is compacted into a new file that replaces the old one
 * atomically (write, fsync, rename). */
typedef int (*store_keep_fn)(void *ctx, const uint8_t ref[ERIS_REF_SIZE]);
int store_retain(store *s, store_keep_fn keep, void *ctx, uint64_t *removed,
		 eris_error *err) ERIS_WARN_UNUSED;

/* Creates an empty pack in `path` (a new or empty file, or a zeroed device)
 * of `capacity` bytes (0: the device's size, or 1 TiB for a file) with the
 * given UUID (NULL: random). */
int store_pack_format(const char *path, uint64_t capacity, const uint8_t *uuid,
		      eris_error *err) ERIS_WARN_UNUSED;

/* The same, with the block sizes the pack may hold: a set of STORE_SIZE_*
 * bits (0: both). The header records them; a put of another size is refused. */
int store_pack_format_sizes(const char *path, uint64_t capacity, const uint8_t *uuid,
			    uint32_t block_sizes, eris_error *err) ERIS_WARN_UNUSED;

/* Block-size sets (bit n: blocks of 2^n bytes), as a pack header stores them. */
enum {
	STORE_SIZE_1K = 1u << 10,
	STORE_SIZE_32K = 1u << 15,
};

/* What a store says about itself (`eris stat`). Fields a backend does not
 * have are 0. */
struct store_info {
	const char *kind;	  /* "pack", or NULL: no details */
	uint32_t format_version;  /* pack: the header's format version */
	uint32_t block_sizes;	  /* pack: the sizes it may hold (STORE_SIZE_*) */
	uint64_t capacity;	  /* pack: bytes of the region */
	uint8_t uuid[16];	  /* pack */
	uint64_t log_end;	  /* pack: where the next record goes */
	uint64_t index_entries;	  /* pack: entries in the current index */
	uint64_t damaged;	  /* pack: damage seen on open */
	int mapped;		  /* pack: the whole region is mmapped (read-only opens) */
	int index_mapped;	  /* pack: the index is searched in place in a mapping */
	uint64_t open_read_bytes; /* pack: bytes read with pread while opening */
};

/* Fills *info (zeroed first). Returns 0, or ERIS_E_ARG for a store that has
 * no details to give (kind stays NULL). */
int store_info(store *s, struct store_info *info, eris_error *err) ERIS_WARN_UNUSED;

/* Where the block's record lies: 0 and *offset for a pack, ERIS_E_MISSING
 * when the store does not hold it, ERIS_E_ARG for stores without offsets. */
int store_locate(store *s, const uint8_t ref[ERIS_REF_SIZE], uint64_t *offset);

/* Makes every put so far durable. */
int store_flush(store *s, eris_error *err) ERIS_WARN_UNUSED;

/* Flushes (errors are lost: call store_flush first to see them) and frees. */
void store_close(store *s);

/* The store string it was opened with. */
const char *store_name(const store *s);

/* Adapters for the codec: ctx is a store *. store_eris_get is unverified
 * (the decoder verifies); store_eris_put trusts the encoder's reference. The
 * last error of store_eris_put is kept in the store (store_last_error). */
int store_eris_get(void *ctx, const uint8_t ref[ERIS_REF_SIZE], uint8_t *buf, size_t size,
		   const uint8_t **block, size_t *len, eris_error *err);
int store_eris_put(void *ctx, const uint8_t ref[ERIS_REF_SIZE], const uint8_t *block, size_t bs);
/* For eris_encoder_set_place beside store_eris_put: lets stores that buffer
 * writes (pack) have leaves encrypted straight into their write buffer.
 * Returns NULL (the encoder's own buffer) for the others. */
uint8_t *store_eris_place(void *ctx, size_t n, size_t bs, size_t *stride);
const eris_error *store_last_error(const store *s);

#endif
