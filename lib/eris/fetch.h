/*
 * fetch.h — walking an ERIS tree in parallel batches (lib/eris/fetch.c).
 *
 * eris_walk (eris.h) asks for one block at a time, which over a network costs
 * one round trip per block. eris_fetch_tree asks a batch source for many
 * blocks at once — a level of the tree, or a few hundred leaves — so a
 * source that fetches in parallel (the http store, or a chain in front of
 * it) keeps many requests in flight. It checks every block exactly as the
 * streaming decoder does and hands each one to a visitor: the way to copy a
 * whole tree into a local store before decoding it.
 *
 * The batch callback has the shape of store_get_many (store/store.h), so a
 * store can be passed through a one-line adapter; the codec itself knows
 * nothing of stores.
 */
#ifndef SIGIL_ERIS_FETCH_H
#define SIGIL_ERIS_FETCH_H

#include "eris.h"

/* Receives block i of a batch: rc 0 with the block (valid only during the
 * call), or the error for that block alone (ERIS_E_MISSING, ERIS_E_HASH,
 * ERIS_E_SIZE; block NULL). Returns 0 to go on, non-zero to stop the batch. */
typedef int (*eris_got_fn)(void *ctx, size_t i, int rc, const uint8_t *block, size_t len);

/* Fetches refs[0..n) and calls got once for each i, in any order. Returns 0
 * when every block was handed to got, or a negative code (filling err) when
 * the source itself failed or got asked to stop. store_get_many has this
 * shape with a store * as ctx. */
typedef int (*eris_get_many_fn)(void *ctx, const uint8_t (*refs)[ERIS_REF_SIZE], size_t n,
				eris_got_fn got, void *got_ctx, eris_error *err);

enum {
	/* Most distinct references handed to get_many at once. */
	ERIS_FETCH_BATCH = 512,
	/* Most reference-key pairs waiting to be fetched (plus one node's worth):
	 * bounds memory to well under a MiB whatever the size of the tree. */
	ERIS_FETCH_PENDING = 4096,
};

/*
 * Fetches every block of the tree named by `cap` through get_many, in batches
 * of at most ERIS_FETCH_BATCH distinct references, the leaves first so that
 * pending references stay bounded (O(ERIS_FETCH_PENDING) memory). Each block
 * is checked as eris_decode checks it — length, hash, the root's key when the
 * root is an internal node, internal-node layout, and the padding of the last
 * leaf — and then handed to `visit` (may be NULL) with its level. A block
 * used more than once in a batch is fetched and visited once for that batch;
 * visiting order is not content order.
 *
 * Returns 0 when the whole tree was fetched and verified; otherwise the first
 * error, with err naming the block at fault (err->has_ref, level, index) as
 * the decoder would. A visitor returning non-zero stops the fetch with
 * ERIS_E_IO. Nothing is allocated that outlives the call.
 */
int eris_fetch_tree(const eris_cap *cap, eris_get_many_fn get_many, void *ctx,
		    eris_visit_fn visit, void *visit_ctx, eris_error *err) ERIS_WARN_UNUSED;

#endif
