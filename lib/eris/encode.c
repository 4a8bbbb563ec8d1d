/*
 * encode.c — the streaming ERIS encoder.
 *
 * Content arrives through eris_encoder_update in pieces of any size. Whole
 * blocks are gathered into a batch (1 MiB of content); a full batch has its
 * leaves encrypted — split over the worker threads and the caller's thread,
 * since leaves are independent — and then, on the caller's thread and in
 * content order, each leaf is handed to the put callback; then their pairs
 * are pushed into the tree, which hands over the internal nodes they
 * complete. A sink that can take ciphertext where it will keep it (a store's
 * write buffer: eris_encoder_set_place) has each batch encrypted straight
 * there, and no block is copied on its way out.
 *
 * The tree keeps one partial node per level: pending[l] holds the pairs of
 * level-l nodes not yet wrapped into a level-(l+1) node. When it fills (arity
 * pairs) it is encrypted at once and its pair pushed to level l+1. So memory is
 * O(levels × block size) plus the batch, whatever the content length.
 *
 * At the end the content is padded (0x80, zeros: always at least one byte, so
 * content of a whole number of blocks gets one more block), and the tree is
 * collapsed bottom-up: the lowest non-empty level is wrapped (even a single
 * pair) into a node one level up, until one pair remains alone at the top. That
 * pair and its level form the read capability. This reproduces the spec's
 * level-by-level construction exactly (checked against the test vectors).
 *
 * Memory: the batch is 1 MiB, or less when the content is known to be
 * smaller (eris_encode), so encoding a small file costs no large allocation.
 * Pairs (which hold block keys) live in ordinary memory and are wiped with
 * sodium_memzero when freed, like the secret and keyed state: sodium_malloc
 * (guard pages, mlock) cost about twenty system calls per buffer, which
 * dominated the encoding of small files.
 *
 * Threads: workers 1..T-1 wait on a condition variable for a batch, each
 * encrypts its slice [i·n/T, (i+1)·n/T), the caller does slice 0, then waits
 * for all. Blocks reach `put` in the same order whatever T is, so output is
 * identical for any thread count.
 */
#include "eris_int.h"

#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "banned.h"

enum { BATCH_BYTES = 1 << 20 };

struct leaf_job {
	const uint8_t *plain;
	uint8_t *cipher; /* leaf i at cipher + i × stride */
	size_t stride;
	uint8_t *pairs;
	size_t nblocks;
	/* When set, nblocks is a multiple of arity and the level-0 list was empty
	 * before this batch: each group of arity leaves is wrapped into its
	 * level-1 node by the thread that encrypted it (into node_cipher/
	 * node_pairs), taking that 1/arity of the work off the serial path. */
	int level1;
	uint8_t *node_cipher; /* nblocks / arity × bs */
	uint8_t *node_pairs;  /* nblocks / arity × 64 */
};

struct worker {
	struct eris_encoder *enc;
	int slot;
	pthread_t tid;
};

struct eris_encoder {
	uint32_t bs;
	unsigned arity;
	uint8_t secret[ERIS_SECRET_SIZE];
	/* BLAKE2b state keyed with the secret, stored as bytes (calloc does not
	 * give the state's alignment; users copy it to an aligned local) */
	unsigned char keyed[sizeof(crypto_generichash_state)];
	eris_put_fn put;
	eris_place_fn place;
	void *ctx;
	uint64_t bytes;
	int failed;

	/* batch of leaves */
	uint8_t *batch;      /* gathered plaintext */
	size_t batch_fill;   /* bytes in batch */
	size_t batch_dirty;  /* bytes of batch ever written (wiped at free) */
	size_t batch_blocks; /* capacity in blocks */
	uint8_t *cipher;     /* batch_blocks × bs ciphertext */
	uint8_t *pairs;      /* batch_blocks × 64 */
	uint8_t *l1_cipher;  /* level-1 nodes of a batch (see struct leaf_job) */
	uint8_t *l1_pairs;

	/* tree */
	uint8_t *pending[ERIS_MAX_LEVEL + 1];
	unsigned count[ERIS_MAX_LEVEL + 1];
	uint8_t *node_cipher;

	/* threads */
	int threads;
	struct worker *workers;
	int started;
	pthread_mutex_t mu;
	pthread_cond_t go, done;
	unsigned generation;
	int busy;
	int quit;
	struct leaf_job job;
};

uint32_t eris_auto_block_size(uint64_t len)
{
	return len < 16 * 1024 ? ERIS_BLOCK_1K : ERIS_BLOCK_32K;
}

uint64_t eris_encoder_bytes(const eris_encoder *enc)
{
	return enc->bytes;
}

static void encrypt_slice(eris_encoder *enc, const struct leaf_job *job, int slot, int slots)
{
	/* slices hold whole groups of arity leaves when level-1 nodes are made here */
	size_t unit = job->level1 ? enc->arity : 1, units = job->nblocks / unit;
	size_t from = units * (size_t)slot / (size_t)slots * unit;
	size_t to = units * (size_t)(slot + 1) / (size_t)slots * unit;
	crypto_generichash_state keyed;

	memcpy(&keyed, enc->keyed, sizeof keyed);
	for (size_t i = from; i < to; i++) {
		uint8_t *pair = job->pairs + i * ERIS_PAIR_SIZE;
		eris_encrypt_leaf_keyed(&keyed, job->plain + i * enc->bs, job->cipher + i * job->stride,
					enc->bs, pair, pair + ERIS_REF_SIZE);
	}
	sodium_memzero(&keyed, sizeof keyed);
	/* arity pairs are exactly one block: the node's plaintext is in place */
	for (size_t g = from / unit; job->level1 && g < to / unit; g++) {
		uint8_t *pair = job->node_pairs + g * ERIS_PAIR_SIZE;
		eris_encrypt_node(job->pairs + g * enc->bs, job->node_cipher + g * enc->bs, enc->bs, 1,
				  pair, pair + ERIS_REF_SIZE);
	}
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	eris_encoder *enc = w->enc;
	unsigned seen = 0;

	pthread_mutex_lock(&enc->mu);
	for (;;) {
		while (!enc->quit && enc->generation == seen)
			pthread_cond_wait(&enc->go, &enc->mu);
		if (enc->quit)
			break;
		seen = enc->generation;
		struct leaf_job job = enc->job;
		pthread_mutex_unlock(&enc->mu);
		encrypt_slice(enc, &job, w->slot, enc->threads);
		pthread_mutex_lock(&enc->mu);
		if (--enc->busy == 0)
			pthread_cond_signal(&enc->done);
	}
	pthread_mutex_unlock(&enc->mu);
	return NULL;
}

/* Encrypts job's leaves using every thread; returns when all are done. */
static void encrypt_leaves(eris_encoder *enc, const struct leaf_job *job)
{
	if (enc->threads == 1 || job->nblocks < (size_t)enc->threads) {
		encrypt_slice(enc, job, 0, 1);
		return;
	}
	pthread_mutex_lock(&enc->mu);
	enc->job = *job;
	enc->busy = enc->threads - 1;
	enc->generation++;
	pthread_mutex_unlock(&enc->mu);
	pthread_cond_broadcast(&enc->go);

	encrypt_slice(enc, job, 0, enc->threads);

	pthread_mutex_lock(&enc->mu);
	while (enc->busy > 0)
		pthread_cond_wait(&enc->done, &enc->mu);
	pthread_mutex_unlock(&enc->mu);
}

static int emit(eris_encoder *enc, const uint8_t *ref, const uint8_t *block, eris_error *err)
{
	char name[ERIS_REF_B32_LEN + 1];

	if (!enc->put || enc->put(enc->ctx, ref, block, enc->bs) == 0)
		return 0;
	eris_ref_to_b32(ref, name);
	return eris_error_set(err, ERIS_E_IO, "cannot store block %s", name);
}

/* Encrypts pending[level] (count pairs, zero-filled) as a node at level+1 and
 * pushes its pair one level up. */
static int wrap_level(eris_encoder *enc, int level, eris_error *err);

static int push_pair(eris_encoder *enc, int level, const uint8_t *pair, eris_error *err)
{
	if (level > ERIS_MAX_LEVEL)
		return eris_error_set(err, ERIS_E_ARG, "content too large for an eris tree");
	if (!enc->pending[level]) {
		enc->pending[level] = malloc(enc->bs);
		if (!enc->pending[level])
			return eris_error_set(err, ERIS_E_NOMEM, "out of memory");
	}
	memcpy(enc->pending[level] + (size_t)enc->count[level] * ERIS_PAIR_SIZE, pair,
	       ERIS_PAIR_SIZE);
	if (++enc->count[level] == enc->arity)
		return wrap_level(enc, level, err);
	return 0;
}

static int wrap_level(eris_encoder *enc, int level, eris_error *err)
{
	uint8_t pair[ERIS_PAIR_SIZE];
	size_t used = (size_t)enc->count[level] * ERIS_PAIR_SIZE;
	int rc;

	memset(enc->pending[level] + used, 0, enc->bs - used);
	eris_encrypt_node(enc->pending[level], enc->node_cipher, enc->bs, level + 1, pair,
			  pair + ERIS_REF_SIZE);
	enc->count[level] = 0;
	rc = emit(enc, pair, enc->node_cipher, err);
	if (rc == 0)
		rc = push_pair(enc, level + 1, pair, err);
	sodium_memzero(pair, sizeof pair);
	return rc;
}

/* Encrypts nblocks leaves of plain (the batch or the caller's data) where the
 * sink places them (else into enc->cipher), emits them in order, then pushes
 * their pairs, which emits the internal nodes they complete. The order of put
 * calls is the same whatever the thread count and placement. */
static int process_leaves(eris_encoder *enc, const uint8_t *plain, size_t nblocks,
			  eris_error *err)
{
	struct leaf_job job = {plain, enc->cipher, enc->bs, enc->pairs, nblocks, 0, enc->l1_cipher,
			       enc->l1_pairs};
	int rc = 0;

	if (enc->place) {
		size_t stride = 0;
		uint8_t *at = enc->place(enc->ctx, nblocks, enc->bs, &stride);
		if (at && stride >= enc->bs) {
			job.cipher = at;
			job.stride = stride;
		}
	}
	job.level1 = enc->l1_cipher && enc->count[0] == 0 && nblocks % enc->arity == 0;
	encrypt_leaves(enc, &job);
	for (size_t i = 0; i < nblocks && rc == 0; i++)
		rc = emit(enc, enc->pairs + i * ERIS_PAIR_SIZE, job.cipher + i * job.stride, err);
	for (size_t g = 0; job.level1 && g < nblocks / enc->arity && rc == 0; g++) {
		rc = emit(enc, enc->l1_pairs + g * ERIS_PAIR_SIZE, enc->l1_cipher + g * enc->bs, err);
		if (rc == 0)
			rc = push_pair(enc, 1, enc->l1_pairs + g * ERIS_PAIR_SIZE, err);
	}
	for (size_t i = 0; !job.level1 && i < nblocks && rc == 0; i++)
		rc = push_pair(enc, 0, enc->pairs + i * ERIS_PAIR_SIZE, err);
	return rc;
}

void eris_encoder_set_place(eris_encoder *enc, eris_place_fn place)
{
	enc->place = enc->put ? place : NULL;
}

static int start_workers(eris_encoder *enc)
{
	if (enc->threads == 1)
		return 0;
	enc->workers = calloc((size_t)enc->threads, sizeof *enc->workers);
	if (!enc->workers)
		return ERIS_E_NOMEM;
	for (int i = 1; i < enc->threads; i++) {
		enc->workers[i].enc = enc;
		enc->workers[i].slot = i;
		if (pthread_create(&enc->workers[i].tid, NULL, worker_main, &enc->workers[i]) != 0)
			return ERIS_E_THREAD;
		enc->started = i;
	}
	return 0;
}

/* eris_encoder_new for content of at most `hint` bytes (UINT64_MAX: any):
 * the batch holds no more blocks than such content has, padding included. */
static int encoder_create(eris_encoder **out, uint32_t block_size, const uint8_t *secret,
			  int threads, eris_put_fn put, void *ctx, uint64_t hint)
{
	eris_encoder *enc = NULL;
	int rc = ERIS_E_NOMEM;

	*out = NULL;
	if ((block_size != ERIS_BLOCK_1K && block_size != ERIS_BLOCK_32K) || threads < 1 ||
	    threads > 256)
		return ERIS_E_ARG;
	if (sodium_init() < 0)
		return ERIS_E_ARG;
	enc = calloc(1, sizeof *enc);
	if (!enc)
		return ERIS_E_NOMEM;
	enc->bs = block_size;
	enc->arity = block_size / ERIS_PAIR_SIZE;
	if (secret)
		memcpy(enc->secret, secret, ERIS_SECRET_SIZE);
	{
		crypto_generichash_state st;
		crypto_generichash_init(&st, enc->secret, ERIS_SECRET_SIZE, ERIS_KEY_SIZE);
		memcpy(enc->keyed, &st, sizeof st);
		sodium_memzero(&st, sizeof st);
	}
	pthread_mutex_init(&enc->mu, NULL);
	pthread_cond_init(&enc->go, NULL);
	pthread_cond_init(&enc->done, NULL);
	enc->put = put;
	enc->ctx = ctx;
	enc->threads = threads;
	enc->batch_blocks = BATCH_BYTES / block_size;
	if (hint / block_size + 1 < enc->batch_blocks)
		enc->batch_blocks = (size_t)(hint / block_size) + 1;
	enc->batch = malloc(enc->batch_blocks * block_size);
	enc->cipher = malloc(enc->batch_blocks * block_size);
	enc->pairs = malloc(enc->batch_blocks * ERIS_PAIR_SIZE);
	enc->node_cipher = malloc(block_size);
	/* worth it only where a batch holds whole level-1 nodes (1 KiB blocks) */
	if (threads > 1 && enc->batch_blocks % enc->arity == 0) {
		enc->l1_cipher = malloc(enc->batch_blocks / enc->arity * block_size);
		enc->l1_pairs = malloc(enc->batch_blocks / enc->arity * ERIS_PAIR_SIZE);
		if (!enc->l1_cipher || !enc->l1_pairs)
			goto fail;
	}
	if (!enc->batch || !enc->cipher || !enc->pairs || !enc->node_cipher)
		goto fail;
	rc = start_workers(enc);
	if (rc != 0)
		goto fail;
	*out = enc;
	return 0;
fail:
	eris_encoder_free(enc);
	return rc;
}

int eris_encoder_new(eris_encoder **out, uint32_t block_size, const uint8_t *secret,
		     int threads, eris_put_fn put, void *ctx)
{
	return encoder_create(out, block_size, secret, threads, put, ctx, UINT64_MAX);
}

int eris_encoder_update(eris_encoder *enc, const void *data, size_t len, eris_error *err)
{
	const uint8_t *p = data;
	size_t cap = enc->batch_blocks * enc->bs;
	int rc;

	if (enc->failed)
		return eris_error_set(err, ERIS_E_ARG, "encoder already failed");
	enc->bytes += len;
	while (len > 0) {
		if (enc->batch_fill == 0 && len >= cap) {
			/* whole batches straight from the caller's buffer */
			size_t n = len / enc->bs;
			if (n > enc->batch_blocks)
				n = enc->batch_blocks;
			rc = process_leaves(enc, p, n, err);
			if (rc != 0)
				goto fail;
			p += n * enc->bs;
			len -= n * enc->bs;
			continue;
		}
		size_t take = cap - enc->batch_fill;
		if (take > len)
			take = len;
		memcpy(enc->batch + enc->batch_fill, p, take);
		enc->batch_fill += take;
		if (enc->batch_fill > enc->batch_dirty)
			enc->batch_dirty = enc->batch_fill;
		p += take;
		len -= take;
		if (enc->batch_fill == cap) {
			rc = process_leaves(enc, enc->batch, enc->batch_blocks, err);
			if (rc != 0)
				goto fail;
			enc->batch_fill = 0;
		}
	}
	return 0;
fail:
	enc->failed = 1;
	return rc;
}

int eris_encoder_final(eris_encoder *enc, eris_cap *cap, eris_error *err)
{
	size_t whole = enc->batch_fill / enc->bs;
	size_t rem = enc->batch_fill % enc->bs;
	uint8_t *last = enc->batch + whole * enc->bs;
	int rc, top;

	if (enc->failed)
		return eris_error_set(err, ERIS_E_ARG, "encoder already failed");
	/* The batch always has room for the padded block: a full batch is
	 * processed as soon as it fills. */
	last[rem] = 0x80;
	memset(last + rem + 1, 0, enc->bs - rem - 1);
	if ((whole + 1) * enc->bs > enc->batch_dirty)
		enc->batch_dirty = (whole + 1) * enc->bs;
	rc = process_leaves(enc, enc->batch, whole + 1, err);
	if (rc != 0)
		goto fail;
	enc->batch_fill = 0;

	for (;;) {
		int lowest = -1;
		top = -1;
		for (int l = 0; l <= ERIS_MAX_LEVEL; l++) {
			if (enc->count[l] == 0)
				continue;
			if (lowest < 0)
				lowest = l;
			top = l;
		}
		if (lowest == top && enc->count[top] == 1)
			break;
		rc = wrap_level(enc, lowest, err);
		if (rc != 0)
			goto fail;
	}
	cap->block_size = enc->bs;
	cap->level = (uint8_t)top;
	memcpy(cap->ref, enc->pending[top], ERIS_REF_SIZE);
	memcpy(cap->key, enc->pending[top] + ERIS_REF_SIZE, ERIS_KEY_SIZE);
	enc->count[top] = 0;
	return 0;
fail:
	enc->failed = 1;
	return rc;
}

void eris_encoder_free(eris_encoder *enc)
{
	if (!enc)
		return;
	if (enc->workers) {
		pthread_mutex_lock(&enc->mu);
		enc->quit = 1;
		pthread_cond_broadcast(&enc->go);
		pthread_mutex_unlock(&enc->mu);
		for (int i = 1; i <= enc->started; i++)
			pthread_join(enc->workers[i].tid, NULL);
		free(enc->workers);
	}
	pthread_mutex_destroy(&enc->mu);
	pthread_cond_destroy(&enc->go);
	pthread_cond_destroy(&enc->done);
	for (int l = 0; l <= ERIS_MAX_LEVEL; l++) {
		if (enc->pending[l])
			sodium_memzero(enc->pending[l], enc->bs);
		free(enc->pending[l]);
	}
	if (enc->batch) /* plaintext may be secret content */
		sodium_memzero(enc->batch, enc->batch_dirty);
	free(enc->batch);
	free(enc->cipher);
	if (enc->pairs) /* block keys */
		sodium_memzero(enc->pairs, enc->batch_blocks * ERIS_PAIR_SIZE);
	free(enc->pairs);
	free(enc->node_cipher);
	free(enc->l1_cipher);
	if (enc->l1_pairs)
		sodium_memzero(enc->l1_pairs, enc->batch_blocks / enc->arity * ERIS_PAIR_SIZE);
	free(enc->l1_pairs);
	sodium_memzero(enc->secret, sizeof enc->secret);
	sodium_memzero(enc->keyed, sizeof enc->keyed);
	free(enc);
}

int eris_encode(const void *data, size_t len, uint32_t block_size, const uint8_t *secret,
		eris_put_fn put, void *ctx, eris_cap *cap, eris_error *err)
{
	eris_encoder *enc = NULL;
	int rc = encoder_create(&enc, block_size, secret, 1, put, ctx, len);

	if (rc != 0)
		return eris_error_set(err, rc, "cannot create encoder: %s", eris_strerror(rc));
	rc = eris_encoder_update(enc, data, len, err);
	if (rc == 0)
		rc = eris_encoder_final(enc, cap, err);
	eris_encoder_free(enc);
	return rc;
}
