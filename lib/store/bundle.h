/*
 * bundle.h — ERIS block bundles: every block of some trees, and their read
 * capabilities, in one CBOR file (the ERIS community's "CBOR serialization",
 * https://eris.codeberg.page/eer/cbor.xml):
 *
 *   TaggedERISBlocksAndReadCapabilities = #6.1701996915([ Blocks, * ReadCapability ])
 *   Blocks         = { * bstr(32) => bstr(1024 / 32768) }   ; reference => block
 *   ReadCapability = #6.276(bstr(66))                       ; binary read capability
 *
 * Writing (bundle_export) walks each capability's tree in a store and streams
 * the blocks out as it meets them, each once; memory is O(distinct blocks)
 * for the set of references already written, never the blocks themselves.
 *
 * Reading is three steps over a bundle held in memory (normally a read-only
 * mapping of the file, see bundle_map_fd), so a bundle of any size is read
 * without copying its blocks:
 *
 *   bundle_parse   pass 1: the structure, strictly; every block's length, and
 *                  its hash against its key; an index of where each block is
 *   bundle_check   every capability's tree is complete and well formed,
 *                  from the bundle's blocks, else from a store's
 *   bundle_store   pass 2: put the blocks into a store, in file order
 *
 * so a caller that stores only after both checks passed never stores any
 * block of a bad bundle. bundle.c's top comment has the byte layout.
 *
 * Errors: functions return 0 or a negative code (ERIS_E_* or BUNDLE_E_FORMAT)
 * and fill the caller's eris_error with one lowercase line naming the byte
 * offset, the block or the capability at fault. Nothing here prints, exits or
 * keeps global state.
 */
#ifndef SIGIL_BUNDLE_H
#define SIGIL_BUNDLE_H

#include "store/store.h"

#include <stddef.h>
#include <stdint.h>

enum {
	/* The input is not a bundle: malformed or unexpected CBOR, truncated,
	 * trailing bytes, a duplicate key. (ERIS_E_HASH and ERIS_E_SIZE are used
	 * for blocks that do not match their key or have a wrong length,
	 * ERIS_E_CAP for a malformed capability.) */
	BUNDLE_E_FORMAT = -32,
};

/* The CBOR tags of the format. */
#define BUNDLE_TAG_SELF_DESCRIBED 55799u      /* optional prefix (RFC 9277) */
#define BUNDLE_TAG_ERIS		  1701996915u /* 0x65726973, "eris" */
#define BUNDLE_TAG_CAP		  276u	      /* a binary read capability */

/* A short name for a code: eris_strerror's, plus BUNDLE_E_FORMAT. Never NULL. */
const char *bundle_strerror(int code);

/* ---- writing ------------------------------------------------------------- */

/* Receives the bundle's bytes in order. Return 0, or negative to stop. */
typedef int (*bundle_write_fn)(void *ctx, const void *data, size_t len);

/* What an export wrote. */
typedef struct bundle_stats {
	uint64_t blocks;   /* distinct blocks written */
	uint64_t bytes;	   /* the bundle's length */
	uint32_t caps;	   /* capabilities written (duplicates dropped) */
	size_t failed_cap; /* index into caps of the tree that failed, else SIZE_MAX */
} bundle_stats;

/*
 * Writes a bundle of every block reachable from caps[0..ncaps) in store `s`,
 * streaming it to `write`. Each block is written once, in the order a depth-
 * first walk of the capabilities (in the order given) first meets it; the
 * capabilities follow, in the order given, a repeated one only once. The
 * same capabilities and blocks therefore always give the same bytes.
 *
 * Every block is checked as it is read (length, hash, node layout, root key,
 * last leaf's padding): only valid, complete trees are exported. A shared
 * subtree is walked once, so a tree of repeated content costs its distinct
 * blocks, not its length.
 *
 * Returns 0; ERIS_E_MISSING etc. naming the block when a tree is incomplete
 * or damaged (stats->failed_cap says whose); ERIS_E_IO when `write` failed.
 * On failure some bytes may already have been written, but never the map's
 * end, so the partial output never parses as a bundle. *stats (may be NULL)
 * is filled.
 */
int bundle_export(store *s, const eris_cap *caps, size_t ncaps, bundle_write_fn write, void *ctx,
		  bundle_stats *stats, eris_error *err) ERIS_WARN_UNUSED;

/* A bundle_write_fn for a file descriptor: ctx is an int * holding the fd.
 * Retries short writes and EINTR; -1 with errno on failure. */
int bundle_write_fd(void *ctx, const void *data, size_t len);

/* ---- reading ------------------------------------------------------------- */

typedef struct bundle bundle;

/*
 * Pass 1. Parses data[0..len) as a bundle: the optional tag 55799, tag
 * 1701996915, an array (definite or indefinite) whose first item is the block
 * map (definite or indefinite) and whose other items are tag-276 byte strings
 * of 66 bytes, and nothing after it. Each map key must be a 32-byte byte
 * string, each value a byte string of 1024 or 32768 bytes that hashes to its
 * key, each key unique; each capability must unpack (eris_cap_unpack). Byte
 * strings must be definite-length. Heads may use any well-formed argument
 * length (not only the shortest).
 *
 * On success *out holds an index of the blocks (about 60 bytes per block,
 * whatever the block size) and the capabilities' offsets; `data` is not
 * copied and must stay mapped and unchanged until bundle_free. Memory is
 * bounded by the input: a declared count is never trusted for allocation.
 * Returns 0, or BUNDLE_E_FORMAT / ERIS_E_HASH / ERIS_E_SIZE / ERIS_E_CAP /
 * ERIS_E_NOMEM with a message naming the byte offset. *out is NULL on failure.
 */
int bundle_parse(bundle **out, const uint8_t *data, size_t len, eris_error *err) ERIS_WARN_UNUSED;

/* The number of distinct blocks in the bundle. */
size_t bundle_block_count(const bundle *b);

/* The number of capabilities, and the i-th (0 <= i < count), as written. */
size_t bundle_cap_count(const bundle *b);
void bundle_cap(const bundle *b, size_t i, eris_cap *cap);

/* 1 when the bundle holds block `ref`, else 0. */
int bundle_has(const bundle *b, const uint8_t ref[ERIS_REF_SIZE]);

/*
 * Checks that the tree of every capability is complete and valid, taking
 * each block from the bundle or, when absent there, from `fallback` (may be
 * NULL; its blocks are verified as they are read). The checks are the
 * decoder's (eris_verify): sizes, hashes, the root's key, node layout, the
 * last leaf's padding; but a shared subtree is checked once, so a bundle
 * cannot make the check run for longer than its distinct nodes take.
 * Returns 0, or the first failure (naming the block), with *bad_cap (may be
 * NULL) set to the index of the capability whose tree failed.
 */
int bundle_check(bundle *b, store *fallback, size_t *bad_cap, eris_error *err) ERIS_WARN_UNUSED;

/*
 * Pass 2. Stores every block of the bundle into `dst` in file order (each
 * checked against its key again as store_put does, so a file changed since
 * bundle_parse cannot slip a bad block in), then flushes `dst`. *stored (may
 * be NULL) gets the number of blocks handed to the store. Call it only after
 * bundle_check passed to keep "nothing stored from a bad bundle".
 */
int bundle_store(bundle *b, store *dst, uint64_t *stored, eris_error *err) ERIS_WARN_UNUSED;

/* Releases the index (not the data). NULL is fine. */
void bundle_free(bundle *b);

/* ---- files --------------------------------------------------------------- */

/* A bundle's bytes in memory: a read-only mapping, or nothing (len 0). */
typedef struct bundle_map {
	const uint8_t *data;
	size_t len;
	void *addr; /* what to munmap (NULL: nothing mapped) */
	size_t map_len;
} bundle_map;

/*
 * Maps the whole of `fd` read-only. A regular file is mapped directly; any
 * other input (a pipe, a terminal, a socket) is first copied to an unlinked
 * temporary file in `tmpdir` (NULL: /tmp), so it too is read in two passes
 * without being held in memory. An empty input gives len 0.
 * Caveat: a regular file truncated by another process while mapped makes
 * reads of the lost pages raise SIGBUS; import files nobody is writing.
 * Returns 0, or ERIS_E_IO / ERIS_E_NOMEM with the reason. `fd` is not closed.
 */
int bundle_map_fd(bundle_map *m, int fd, const char *tmpdir, eris_error *err) ERIS_WARN_UNUSED;

/* Unmaps. A zeroed or already released map is fine. */
void bundle_unmap(bundle_map *m);

#endif
