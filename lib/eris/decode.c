/*
 * decode.c — the streaming ERIS decoder and the verifier.
 *
 * A depth-first walk of the tree with an explicit stack: one decrypted node
 * per level (O(level × block size) memory), leaves written in order as they
 * are reached. Every block is checked before use:
 *
 *   1. the source has it                           → ERIS_E_MISSING
 *   2. its length is the capability's block size   → ERIS_E_SIZE
 *   3. BLAKE2b-256(block) equals its reference     → ERIS_E_HASH
 *   4. the root, when an internal node: BLAKE2b-256(plaintext) equals the
 *      capability's key (the spec's Verify-Key; it catches a tampered level
 *      or key)                                     → ERIS_E_KEY
 *      Below the root the check would add nothing: a child's reference and
 *      key come from a parent already verified, and its ciphertext is checked
 *      against that reference. Skipping it saves a hash per internal node
 *      (~4.5% of decoding at 1 KiB). A tree whose inner keys are not the
 *      hashes of their nodes is not one our encoder makes, but it names its
 *      content just as firmly.
 *   5. internal nodes: pairs up to the first null reference, zeros after it;
 *      at least one pair (two in the root); every node that is not right-most
 *      in its level is full, so offsets computed by the random-access reader
 *      agree with this walk                        → ERIS_E_NODE
 *   6. the last leaf is padded 0x80 0x00*          → ERIS_E_PADDING
 *
 * A leaf's key cannot be checked (it is keyed with the convergence secret,
 * which readers do not have); at level 0 only the padding guards the key.
 *
 * eris_check walks the same way but does not stop at a bad block: each one
 * (any of the failures above, naming its reference and position) goes to a
 * callback, and the walk goes on with the next sibling; below a bad internal
 * node nothing can be reached, so its subtree is skipped (the callback sees
 * its level). Only a failure that is not a block's (out of memory) stops it.
 */
#include "eris_int.h"

#include <errno.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "banned.h"

struct walk {
	const eris_cap *cap;
	eris_get_fn get;
	void *get_ctx;
	eris_write_fn write; /* NULL: verify only */
	void *write_ctx;
	uint64_t total;
	uint64_t blocks;
	eris_visit_fn visit; /* NULL unless walking */
	void *visit_ctx;
	const uint8_t *last_block; /* what the source returned last (for visit) */
	eris_bad_fn bad; /* eris_check: each bad block, and go on */
	void *bad_ctx;
	uint64_t nbad;
	int first_bad; /* the code of the first */
};

/* In eris_check, hands the bad block err names to the callback and returns
 * 0 so the walk goes on; otherwise (or for a failure that is not a block's)
 * returns rc. */
static int bad_block(struct walk *w, int rc, eris_error *err)
{
	if (!w->bad || rc == 0 || rc == ERIS_E_NOMEM || !err->has_ref)
		return rc;
	if (w->nbad++ == 0)
		w->first_bad = rc;
	err->code = rc;
	if (w->bad(w->bad_ctx, err) != 0)
		return eris_error_set(err, ERIS_E_IO, "check stopped by its caller");
	err->has_ref = 0; /* the next failure names its own block */
	return 0;
}

/* Stands between the decoder and the source when visiting, to see the bytes. */
static int visiting_get(void *ctx, const uint8_t ref[ERIS_REF_SIZE], uint8_t *buf, size_t size,
			const uint8_t **block, size_t *len, eris_error *err)
{
	struct walk *w = ctx;
	int rc = w->get(w->get_ctx, ref, buf, size, block, len, err);

	w->last_block = rc == 0 ? *block : NULL;
	return rc;
}

/* Counts a fetched block and hands it to the visitor. */
static int fetched(struct walk *w, const uint8_t *ref, int level, eris_error *err)
{
	w->blocks++;
	if (w->visit && w->visit(w->visit_ctx, ref, w->last_block, w->cap->block_size, level) != 0)
		return eris_error_set(err, ERIS_E_IO, "walk stopped by its visitor");
	return 0;
}

/* Per-level state of the walk. */
struct frame {
	unsigned next;   /* next pair to visit */
	unsigned count;  /* pairs in this node */
	int rightmost;   /* on the right-most path */
	uint64_t index;  /* node index within its level */
};

static int write_leaf(struct walk *w, const uint8_t *plain, int last, const uint8_t *ref,
		      eris_pos pos, eris_error *err)
{
	size_t len = w->cap->block_size;

	if (last && eris_unpad_len(plain, len, &len) != 0) {
		char name[ERIS_REF_B32_LEN + 1];
		eris_ref_to_b32(ref, name);
		eris_error_at(err, ref, pos);
		return eris_error_set(err, ERIS_E_PADDING,
				      "last block %s (node %llu) is not padded correctly "
				      "(wrong key, or not eris content)",
				      name, (unsigned long long)pos.index);
	}
	w->total += len;
	if (w->write && len > 0 && w->write(w->write_ctx, plain, len) != 0)
		return eris_error_set(err, ERIS_E_IO, "cannot write decoded content");
	return 0;
}

static int walk_tree(struct walk *w, eris_error *err)
{
	const eris_cap *cap = w->cap;
	uint32_t bs = cap->block_size;
	unsigned arity = bs / ERIS_PAIR_SIZE;
	int top = cap->level;
	struct frame fr[ERIS_MAX_LEVEL + 1];
	uint8_t *mem = NULL, *scratch, *node[ERIS_MAX_LEVEL + 1];
	eris_get_fn get = w->visit ? visiting_get : w->get;
	void *get_ctx = w->visit ? (void *)w : w->get_ctx;
	int rc, l;

	if ((rc = eris_decoder_start(cap, err)) != 0)
		return rc;
	mem = malloc((size_t)(top + 2) * bs);
	if (!mem)
		return eris_error_set(err, ERIS_E_NOMEM, "out of memory");
	scratch = mem + (size_t)(top + 1) * bs;
	for (l = 0; l <= top; l++)
		node[l] = mem + (size_t)l * bs;

	/* The root: at level 0 it is the only leaf. */
	eris_pos pos = {top, 0};
	rc = eris_fetch_node(get, get_ctx, cap->ref, cap->key, pos, bs, node[top], scratch, 1,
			     top > 0, err);
	if (rc == 0)
		rc = fetched(w, cap->ref, top, err);
	else if ((rc = bad_block(w, rc, err)) == 0)
		rc = 1; /* reported (eris_check); nothing below it can be reached */
	if (rc != 0)
		goto out;
	if (top == 0) {
		rc = bad_block(w, write_leaf(w, node[0], 1, cap->ref, pos, err), err);
		goto out;
	}
	rc = eris_node_pairs(node[top], bs, pos, cap->ref, 0, 2, &fr[top].count, err);
	if (rc != 0) {
		rc = bad_block(w, rc, err);
		goto out;
	}
	fr[top].next = 0;
	fr[top].rightmost = 1;
	fr[top].index = 0;

	l = top;
	while (l <= top) {
		struct frame *f = &fr[l];
		if (f->next == f->count) {
			l++;
			continue;
		}
		const uint8_t *pair = node[l] + (size_t)f->next * ERIS_PAIR_SIZE;
		int last = f->rightmost && f->next + 1 == f->count;
		eris_pos cpos = {l - 1, f->index * arity + f->next};
		f->next++;
		if (l - 1 == 0) {
			/* Verify-only walks need a leaf's plaintext only for the padding. */
			int decrypt = w->write != NULL || last;
			rc = eris_fetch_node(get, get_ctx, pair, pair + ERIS_REF_SIZE, cpos, bs, node[0],
					     scratch, decrypt, 0, err);
			if (rc == 0 && (rc = fetched(w, pair, 0, err)) == 0) {
				rc = decrypt ? write_leaf(w, node[0], last, pair, cpos, err) : 0;
				if (!decrypt)
					w->total += bs;
			}
			if (rc != 0 && (rc = bad_block(w, rc, err)) != 0)
				goto out;
			continue;
		}
		rc = eris_fetch_node(get, get_ctx, pair, pair + ERIS_REF_SIZE, cpos, bs, node[l - 1],
				     scratch, 1, 0, err);
		if (rc == 0)
			rc = fetched(w, pair, l - 1, err);
		else if ((rc = bad_block(w, rc, err)) == 0)
			continue; /* a bad node: its subtree cannot be reached */
		if (rc != 0)
			goto out;
		l--;
		rc = eris_node_pairs(node[l], bs, cpos, pair, !last, 1, &fr[l].count, err);
		if (rc != 0 && (rc = bad_block(w, rc, err)) == 0)
			fr[l].count = 0; /* reported: skip what it names */
		if (rc != 0)
			goto out;
		fr[l].next = 0;
		fr[l].rightmost = last;
		fr[l].index = cpos.index;
	}
	rc = 0;
out:
	sodium_memzero(mem, (size_t)(top + 2) * bs);
	free(mem);
	return rc;
}

int eris_decode(const eris_cap *cap, eris_get_fn get, void *get_ctx, eris_write_fn write,
		void *write_ctx, uint64_t *total, eris_error *err)
{
	struct walk w = {cap, get, get_ctx, write, write_ctx, 0, 0, NULL, NULL, NULL};
	int rc;

	if (!write)
		return eris_error_set(err, ERIS_E_ARG, "no output for decoded content");
	rc = walk_tree(&w, err);
	if (total)
		*total = w.total;
	return rc;
}

int eris_verify(const eris_cap *cap, eris_get_fn get, void *get_ctx, uint64_t *blocks,
		eris_error *err)
{
	return eris_walk(cap, get, get_ctx, NULL, NULL, blocks, err);
}

int eris_check(const eris_cap *cap, eris_get_fn get, void *get_ctx, eris_bad_fn bad,
	       void *bad_ctx, uint64_t *blocks, uint64_t *nbad, eris_error *err)
{
	struct walk w = {cap, get, get_ctx, NULL, NULL, 0, 0, NULL, NULL, NULL, bad, bad_ctx, 0, 0};
	eris_error one = {0};
	int rc;

	if (!bad)
		return eris_error_set(err, ERIS_E_ARG, "eris_check needs a callback");
	rc = walk_tree(&w, &one);
	if (rc == 1)
		rc = 0; /* a bad root, reported */
	if (blocks)
		*blocks = w.blocks;
	if (nbad)
		*nbad = w.nbad;
	if (rc != 0) {
		if (err)
			*err = one;
		return rc;
	}
	if (w.nbad > 0)
		return eris_error_set(err, w.first_bad, "%llu bad block%s",
				      (unsigned long long)w.nbad, w.nbad == 1 ? "" : "s");
	return 0;
}

int eris_walk(const eris_cap *cap, eris_get_fn get, void *get_ctx, eris_visit_fn visit,
	      void *visit_ctx, uint64_t *blocks, eris_error *err)
{
	struct walk w = {cap, get, get_ctx, NULL, NULL, 0, 0, visit, visit_ctx, NULL};
	int rc = walk_tree(&w, err);

	if (blocks)
		*blocks = w.blocks;
	return rc;
}

int eris_write_fd(void *ctx, const uint8_t *data, size_t len)
{
	int fd = *(int *)ctx;
	while (len > 0) {
		ssize_t n = write(fd, data, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		data += n;
		len -= (size_t)n;
	}
	return 0;
}
