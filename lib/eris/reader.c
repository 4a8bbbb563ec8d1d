/*
 * reader.c — random access into ERIS content.
 *
 * Byte offset o lies in leaf o / bs; the leaf's path from the root is the
 * base-arity digits of that index, most significant first. The reader keeps
 * one decrypted node per level (the path of the last read) and refetches a
 * level only when the path changes, so sequential reads cost about one block
 * fetch per block of content.
 *
 * Opening walks the right-most path once: it yields the index of the last
 * leaf and, after unpadding that leaf, the content length. It also records
 * the pair count of each right-most node. Every node met later is checked as
 * the streaming decoder checks it (length, hash, key, layout); a node that is
 * not right-most must be full, so the offset arithmetic cannot be fooled by a
 * tree whose nodes are short in the middle.
 */
#include "eris_int.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "banned.h"

struct eris_reader {
	eris_cap cap;
	eris_get_fn get;
	void *get_ctx;
	unsigned arity;
	uint64_t size;
	uint64_t last_leaf;                     /* index of the last leaf */
	size_t last_len;                        /* content bytes in the last leaf */
	uint8_t *node[ERIS_MAX_LEVEL + 1];        /* decrypted node per level; [0] = leaf */
	int valid[ERIS_MAX_LEVEL + 1];
	uint64_t index[ERIS_MAX_LEVEL + 1];       /* which node node[l] holds */
	unsigned count[ERIS_MAX_LEVEL + 1];
	uint8_t *scratch;
	uint8_t *mem;
};

uint64_t eris_reader_size(const eris_reader *r)
{
	return r->size;
}

/* index of the level-l node on the path to leaf `leaf` */
static uint64_t node_index(const eris_reader *r, uint64_t leaf, int l)
{
	for (int i = 0; i < l; i++)
		leaf /= r->arity;
	return leaf;
}

/* Makes node[l] hold node `idx` of level l, fetching it through its parent
 * (node[l + 1] must already hold the parent). */
static int load_child(eris_reader *r, int l, uint64_t idx, int rightmost, eris_error *err)
{
	uint32_t bs = r->cap.block_size;
	unsigned slot = (unsigned)(idx % r->arity);
	const uint8_t *pair = r->node[l + 1] + (size_t)slot * ERIS_PAIR_SIZE;
	eris_pos pos = {l, idx};
	int rc;

	if (slot >= r->count[l + 1])
		return eris_error_set(err, ERIS_E_RANGE, "node %llu at level %d is past the content",
				      (unsigned long long)idx, l);
	r->valid[l] = 0;
	rc = eris_fetch_node(r->get, r->get_ctx, pair, pair + ERIS_REF_SIZE, pos, bs, r->node[l],
			     r->scratch, 1, 0, err); /* key checked at the root only, as in decode.c */
	if (rc != 0)
		return rc;
	if (l > 0) {
		rc = eris_node_pairs(r->node[l], bs, pos, pair, !rightmost, 1, &r->count[l], err);
		if (rc != 0)
			return rc;
	}
	r->index[l] = idx;
	r->valid[l] = 1;
	return 0;
}

/* Loads the path from the root to leaf `leaf`. */
static int load_path(eris_reader *r, uint64_t leaf, eris_error *err)
{
	for (int l = r->cap.level - 1; l >= 0; l--) {
		uint64_t idx = node_index(r, leaf, l);
		if (r->valid[l] && r->index[l] == idx)
			continue;
		/* a changed node invalidates everything below it */
		for (int k = l; k >= 0; k--)
			r->valid[k] = 0;
		int rc = load_child(r, l, idx, idx == node_index(r, r->last_leaf, l), err);
		if (rc != 0)
			return rc;
	}
	return 0;
}

int eris_reader_open(eris_reader **out, const eris_cap *cap, eris_get_fn get, void *get_ctx,
		     eris_error *err)
{
	eris_reader *r = NULL;
	uint32_t bs = cap->block_size;
	int top = cap->level, rc;
	eris_pos pos = {top, 0};

	*out = NULL;
	if ((rc = eris_decoder_start(cap, err)) != 0)
		return rc;
	r = calloc(1, sizeof *r);
	if (!r)
		return eris_error_set(err, ERIS_E_NOMEM, "out of memory");
	r->cap = *cap;
	r->get = get;
	r->get_ctx = get_ctx;
	r->arity = bs / ERIS_PAIR_SIZE;
	r->mem = malloc((size_t)(top + 2) * bs);
	if (!r->mem) {
		rc = eris_error_set(err, ERIS_E_NOMEM, "out of memory");
		goto fail;
	}
	for (int l = 0; l <= top; l++)
		r->node[l] = r->mem + (size_t)l * bs;
	r->scratch = r->mem + (size_t)(top + 1) * bs;

	rc = eris_fetch_node(get, get_ctx, cap->ref, cap->key, pos, bs, r->node[top], r->scratch, 1,
			     top > 0, err);
	if (rc != 0)
		goto fail;
	r->valid[top] = 1;
	if (top > 0) {
		rc = eris_node_pairs(r->node[top], bs, pos, cap->ref, 0, 2, &r->count[top], err);
		if (rc != 0)
			goto fail;
		/* walk the right-most path: the last pair at every level */
		uint64_t idx = 0;
		for (int l = top - 1; l >= 0; l--) {
			if (__builtin_mul_overflow(idx, (uint64_t)r->arity, &idx) ||
			    __builtin_add_overflow(idx, (uint64_t)(r->count[l + 1] - 1), &idx)) {
				rc = eris_error_set(err, ERIS_E_RANGE,
						    "content would be 2^64 bytes or more");
				goto fail;
			}
			rc = load_child(r, l, idx, 1, err);
			if (rc != 0)
				goto fail;
		}
		r->last_leaf = idx;
	}
	rc = eris_unpad_len(r->node[0], bs, &r->last_len);
	if (rc != 0) {
		rc = eris_error_set(err, ERIS_E_PADDING,
				    "last block (node %llu) is not padded correctly (wrong key, or not "
				    "eris content)",
				    (unsigned long long)r->last_leaf);
		goto fail;
	}
	if (__builtin_mul_overflow(r->last_leaf, (uint64_t)bs, &r->size) ||
	    __builtin_add_overflow(r->size, (uint64_t)r->last_len, &r->size)) {
		rc = eris_error_set(err, ERIS_E_RANGE, "content would be 2^64 bytes or more");
		goto fail;
	}
	*out = r;
	return 0;
fail:
	eris_reader_free(r);
	return rc;
}

int eris_reader_pread(eris_reader *r, void *buf, size_t len, uint64_t offset, size_t *got,
		      eris_error *err)
{
	uint8_t *out = buf;
	uint32_t bs = r->cap.block_size;
	size_t done = 0;
	int rc;

	*got = 0;
	if (offset > r->size)
		return eris_error_set(err, ERIS_E_RANGE,
				      "offset %llu is past the end of the content (%llu bytes)",
				      (unsigned long long)offset, (unsigned long long)r->size);
	if (len > r->size - offset)
		len = (size_t)(r->size - offset);
	while (done < len) {
		uint64_t at = offset + done;
		uint64_t leaf = at / bs;
		size_t in = (size_t)(at % bs);
		size_t n = bs - in;
		if (r->cap.level > 0) {
			rc = load_path(r, leaf, err);
			if (rc != 0)
				return rc;
		}
		if (n > len - done)
			n = len - done;
		memcpy(out + done, r->node[0] + in, n);
		done += n;
	}
	*got = done;
	return 0;
}

void eris_reader_free(eris_reader *r)
{
	if (!r)
		return;
	if (r->mem) {
		sodium_memzero(r->mem, (size_t)(r->cap.level + 2) * r->cap.block_size);
		free(r->mem);
	}
	free(r);
}
