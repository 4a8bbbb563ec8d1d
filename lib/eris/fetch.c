/*
 * fetch.c — eris_fetch_tree: every block of a tree, fetched in parallel
 * batches and checked as the streaming decoder checks it (see fetch.h).
 *
 * Work is a set of FIFO queues, one per level, of reference-key pairs still
 * to fetch, each with its position (level, index) and whether it lies on the
 * right-most path. A batch takes up to ERIS_FETCH_BATCH pairs, lowest level
 * first: leaves are the bulk of any tree and free their queue entries
 * without adding new ones. An internal node is taken only while the pairs it
 * will add keep the queues under ERIS_FETCH_PENDING (at least one is always
 * taken, so the walk makes progress); memory therefore stays bounded by
 * ERIS_FETCH_PENDING + one node's pairs, whatever the size of the tree.
 *
 * Within a batch a reference is asked for once however often it occurs
 * (content with repeated blocks, zeros above all, repeats references); each
 * occurrence is checked on its own, since the same ciphertext may sit at
 * different positions under different keys.
 *
 * The checks are the decoder's, through the same helpers (eris_fetch_node,
 * eris_node_pairs, eris_unpad_len): a source handing back a block is wrapped
 * as an eris_get_fn returning that block, so lengths, hashes, the root's
 * Verify-Key, node layout (full unless right-most, two pairs in a root) and
 * the last leaf's padding are checked by the code eris_decode uses.
 */
#include "fetch.h"

#include "eris_int.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "banned.h"

enum { TABLE_SIZE = 2 * ERIS_FETCH_BATCH }; /* power of two */

#define NONE ((size_t)-1)

/* A pair waiting to be fetched, or taken into the current batch. */
struct item {
	uint8_t ref[ERIS_REF_SIZE];
	uint8_t key[ERIS_KEY_SIZE];
	uint64_t index; /* position within its level */
	int level;
	int rightmost;
	size_t next; /* in a batch: the next item with the same reference */
};

/* FIFO of items at one level: v[head .. head + len). */
struct queue {
	struct item *v;
	size_t head, len, cap;
};

struct fetch {
	const eris_cap *cap;
	unsigned arity;
	struct queue q[ERIS_MAX_LEVEL + 1];
	size_t pending; /* items over all queues */

	/* the current batch */
	struct item *items; /* ERIS_FETCH_BATCH */
	size_t nitems;
	uint8_t (*refs)[ERIS_REF_SIZE]; /* distinct references */
	size_t nrefs;
	size_t *first;   /* per distinct reference: its first item */
	uint8_t *done;   /* per distinct reference: handed back */
	uint32_t *table; /* reference → 1 + its index in refs; 0 = empty */

	uint8_t *plain, *scratch; /* one block each */
	eris_visit_fn visit;
	void *visit_ctx;
	eris_error *err;
	int failed; /* the error already in err */
};

/* Wipes and frees n items (they hold content keys). */
static void free_items(struct item *v, size_t n)
{
	if (v) {
		sodium_memzero(v, n * sizeof *v);
		free(v);
	}
}

static int push(struct fetch *f, const struct item *it)
{
	struct queue *q = &f->q[it->level];

	if (q->head + q->len == q->cap) {
		if (q->head > 0) { /* slide to the front */
			memmove(q->v, q->v + q->head, q->len * sizeof *q->v);
			sodium_memzero(q->v + q->len, q->head * sizeof *q->v);
			q->head = 0;
		} else {
			size_t cap = q->cap ? q->cap * 2 : 64;
			struct item *v = malloc(cap * sizeof *v);
			if (!v)
				return eris_error_set(f->err, ERIS_E_NOMEM, "out of memory");
			if (q->len)
				memcpy(v, q->v, q->len * sizeof *v);
			free_items(q->v, q->cap);
			q->v = v;
			q->cap = cap;
		}
	}
	q->v[q->head + q->len++] = *it;
	f->pending++;
	return 0;
}

/* Adds an item to the batch, merging it with an earlier one of the same
 * reference. */
static void batch_add(struct fetch *f, const struct item *it)
{
	uint64_t h;
	size_t k = f->nitems++, slot;

	f->items[k] = *it;
	memcpy(&h, it->ref, sizeof h);
	slot = (size_t)h & (TABLE_SIZE - 1);
	while (f->table[slot]) {
		size_t r = f->table[slot] - 1;
		if (memcmp(f->refs[r], it->ref, ERIS_REF_SIZE) == 0) {
			f->items[k].next = f->first[r];
			f->first[r] = k;
			return;
		}
		slot = (slot + 1) & (TABLE_SIZE - 1);
	}
	memcpy(f->refs[f->nrefs], it->ref, ERIS_REF_SIZE);
	f->first[f->nrefs] = k;
	f->items[k].next = NONE;
	f->done[f->nrefs] = 0;
	f->table[slot] = (uint32_t)++f->nrefs;
}

/* Fills the batch: leaves first, then internal nodes while the pairs they
 * will add fit under ERIS_FETCH_PENDING. */
static void take_batch(struct fetch *f)
{
	size_t reserve = 0;

	f->nitems = f->nrefs = 0;
	memset(f->table, 0, TABLE_SIZE * sizeof *f->table);
	for (int l = 0; l <= f->cap->level && f->nitems < ERIS_FETCH_BATCH; l++) {
		struct queue *q = &f->q[l];
		while (q->len > 0 && f->nitems < ERIS_FETCH_BATCH) {
			if (l > 0 && f->nitems > 0 &&
			    f->pending - 1 + reserve + f->arity > ERIS_FETCH_PENDING)
				return;
			if (l > 0)
				reserve += f->arity;
			batch_add(f, &q->v[q->head]);
			sodium_memzero(&q->v[q->head], sizeof q->v[q->head]);
			q->head++;
			q->len--;
			f->pending--;
		}
	}
}

/* The block a batch handed back, as an eris_get_fn, so eris_fetch_node can
 * check it. */
struct handed {
	int rc;
	const uint8_t *block;
	size_t len;
};

static int handed_get(void *ctx, const uint8_t ref[ERIS_REF_SIZE], uint8_t *buf, size_t size,
		      const uint8_t **block, size_t *len, eris_error *err)
{
	const struct handed *h = ctx;

	(void)ref;
	(void)buf;
	(void)size;
	(void)err;
	if (h->rc != 0)
		return h->rc;
	*block = h->block;
	*len = h->len;
	return 0;
}

/* Checks one occurrence of a block; queues an internal node's children. */
static int check_item(struct fetch *f, const struct item *it, int rc, const uint8_t *block,
		      size_t len)
{
	struct handed h = {rc, block, len};
	uint32_t bs = f->cap->block_size;
	eris_pos pos = {it->level, it->index};
	int leaf = it->level == 0, root = it->level == f->cap->level;
	unsigned count;
	size_t unpadded;

	rc = eris_fetch_node(handed_get, &h, it->ref, it->key, pos, bs, f->plain, f->scratch,
			     !leaf || it->rightmost, !leaf && root, f->err);
	if (rc != 0)
		return rc;
	if (leaf) {
		if (it->rightmost && eris_unpad_len(f->plain, bs, &unpadded) != 0) {
			char name[ERIS_REF_B32_LEN + 1];
			eris_ref_to_b32(it->ref, name);
			eris_error_at(f->err, it->ref, pos);
			return eris_error_set(f->err, ERIS_E_PADDING,
					      "last block %s (node %llu) is not padded correctly "
					      "(wrong key, or not eris content)",
					      name, (unsigned long long)pos.index);
		}
		return 0;
	}
	rc = eris_node_pairs(f->plain, bs, pos, it->ref, !it->rightmost, root ? 2 : 1, &count,
			     f->err);
	for (unsigned j = 0; rc == 0 && j < count; j++) {
		const uint8_t *pair = f->plain + (size_t)j * ERIS_PAIR_SIZE;
		struct item child;
		memcpy(child.ref, pair, ERIS_REF_SIZE);
		memcpy(child.key, pair + ERIS_REF_SIZE, ERIS_KEY_SIZE);
		child.index = it->index * f->arity + j;
		child.level = it->level - 1;
		child.rightmost = it->rightmost && j + 1 == count;
		child.next = NONE;
		rc = push(f, &child);
		sodium_memzero(&child, sizeof child);
	}
	return rc;
}

static int got(void *ctx, size_t i, int rc, const uint8_t *block, size_t len)
{
	struct fetch *f = ctx;
	int r;

	if (i >= f->nrefs || f->done[i]) {
		f->failed = eris_error_set(f->err, ERIS_E_IO,
					   "the block source answered for block %zu of %zu twice "
					   "or out of range",
					   i, f->nrefs);
		return -1;
	}
	f->done[i] = 1;
	for (size_t k = f->first[i]; k != NONE; k = f->items[k].next) {
		r = check_item(f, &f->items[k], rc, block, len);
		if (r != 0) {
			f->failed = r;
			return -1;
		}
	}
	if (f->visit && f->visit(f->visit_ctx, f->refs[i], block, f->cap->block_size,
				 f->items[f->first[i]].level) != 0) {
		f->failed = eris_error_set(f->err, ERIS_E_IO, "fetch stopped by its visitor");
		return -1;
	}
	return 0;
}

int eris_fetch_tree(const eris_cap *cap, eris_get_many_fn get_many, void *ctx,
		    eris_visit_fn visit, void *visit_ctx, eris_error *err)
{
	struct fetch f;
	struct item root;
	int rc;

	memset(&f, 0, sizeof f);
	if ((rc = eris_decoder_start(cap, err)) != 0)
		return rc;
	if (!get_many)
		return eris_error_set(err, ERIS_E_ARG, "no block source");
	f.cap = cap;
	f.arity = cap->block_size / ERIS_PAIR_SIZE;
	f.visit = visit;
	f.visit_ctx = visit_ctx;
	f.err = err;
	f.items = malloc(ERIS_FETCH_BATCH * sizeof *f.items);
	f.refs = malloc(ERIS_FETCH_BATCH * sizeof *f.refs);
	f.first = malloc(ERIS_FETCH_BATCH * sizeof *f.first);
	f.done = malloc(ERIS_FETCH_BATCH);
	f.table = malloc(TABLE_SIZE * sizeof *f.table);
	f.plain = malloc(2 * (size_t)cap->block_size);
	if (!f.items || !f.refs || !f.first || !f.done || !f.table || !f.plain) {
		rc = eris_error_set(err, ERIS_E_NOMEM, "out of memory");
		goto out;
	}
	f.scratch = f.plain + cap->block_size;

	memcpy(root.ref, cap->ref, ERIS_REF_SIZE);
	memcpy(root.key, cap->key, ERIS_KEY_SIZE);
	root.index = 0;
	root.level = cap->level;
	root.rightmost = 1;
	root.next = NONE;
	rc = push(&f, &root);
	sodium_memzero(&root, sizeof root);
	while (rc == 0 && f.pending > 0) {
		eris_error src = {0};
		take_batch(&f);
		rc = get_many(ctx, (const uint8_t(*)[ERIS_REF_SIZE])f.refs, f.nrefs, got, &f, &src);
		if (f.failed) {
			rc = f.failed;
			break;
		}
		if (rc != 0) {
			rc = eris_error_set(err, rc < 0 ? rc : ERIS_E_IO, "%s",
					    src.msg[0] ? src.msg : eris_strerror(rc));
			break;
		}
		for (size_t i = 0; i < f.nrefs; i++) {
			if (f.done[i])
				continue;
			char name[ERIS_REF_B32_LEN + 1];
			const struct item *it = &f.items[f.first[i]];
			eris_ref_to_b32(f.refs[i], name);
			eris_error_at(err, it->ref, (eris_pos){it->level, it->index});
			rc = eris_error_set(err, ERIS_E_IO, "the block source skipped block %s", name);
			break;
		}
	}
out:
	for (int l = 0; l <= ERIS_MAX_LEVEL; l++)
		free_items(f.q[l].v, f.q[l].cap);
	free_items(f.items, f.items ? ERIS_FETCH_BATCH : 0);
	free(f.refs);
	free(f.first);
	free(f.done);
	free(f.table);
	if (f.plain)
		sodium_memzero(f.plain, 2 * (size_t)cap->block_size);
	free(f.plain);
	return rc;
}
