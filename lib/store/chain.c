/*
 * chain.c — "A+B": a read-through cache. Reads try A first; a block A lacks
 * is fetched from B, verified against its reference, written to A, and
 * returned. Puts go to A. B is never written. Batches (get_many) ask A for
 * all, then B for what A lacked, so an http source gets the whole remainder
 * as one parallel batch.
 */
#include "store_int.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "banned.h"

struct chain_store {
	struct store base;
	store *cache, *source;
};

/* Fetches from the source with verification (store_get), then keeps a copy. */
static int chain_get(store *s, const uint8_t *ref, uint8_t *buf, size_t size,
		     const uint8_t **block, size_t *len, eris_error *err)
{
	struct chain_store *c = (struct chain_store *)s;
	int rc = c->cache->ops->get(c->cache, ref, buf, size, block, len, err);

	if (rc != ERIS_E_MISSING)
		return rc;
	rc = store_get(c->source, ref, buf, size, len, err);
	if (rc != 0)
		return rc;
	*block = buf;
	return c->cache->ops->put(c->cache, ref, buf, *len, err);
}

static int chain_put(store *s, const uint8_t *ref, const uint8_t *block, size_t len,
		     eris_error *err)
{
	struct chain_store *c = (struct chain_store *)s;

	return c->cache->ops->put(c->cache, ref, block, len, err);
}

static int chain_has(store *s, const uint8_t *ref, eris_error *err)
{
	struct chain_store *c = (struct chain_store *)s;
	int rc = c->cache->ops->has(c->cache, ref, err);

	return rc == 0 ? store_has(c->source, ref, err) : rc;
}

/* Batches: the cache answers what it holds; the rest goes to the source as
 * one batch (parallel for http), and each block it returns is kept in the
 * cache. Blocks pass store.c's verification on the way out as well, so a
 * source block is hashed twice: cheap next to a network fetch. */
struct chain_batch {
	struct chain_store *c;
	const uint8_t (*refs)[ERIS_REF_SIZE]; /* the caller's */
	store_got_fn got;
	void *ctx;
	uint8_t *missing; /* per caller index */
	size_t *map;      /* source batch index → caller index */
	eris_error *err;
};

static int from_cache(void *ctx, size_t i, int rc, const uint8_t *block, size_t len)
{
	struct chain_batch *b = ctx;

	if (rc == ERIS_E_MISSING) {
		b->missing[i] = 1;
		return 0;
	}
	return b->got(b->ctx, i, rc, block, len);
}

static int from_source(void *ctx, size_t i, int rc, const uint8_t *block, size_t len)
{
	struct chain_batch *b = ctx;
	size_t orig = b->map[i];

	/* verified by store_get_many on the source */
	if (rc == 0 && b->c->cache->ops->put(b->c->cache, b->refs[orig], block, len, b->err) != 0)
		return -1;
	return b->got(b->ctx, orig, rc, block, len);
}

static int chain_get_many(store *s, const uint8_t (*refs)[ERIS_REF_SIZE], size_t n,
			  store_got_fn got, void *ctx, eris_error *err)
{
	struct chain_store *c = (struct chain_store *)s;
	struct chain_batch b = {c, refs, got, ctx, NULL, NULL, err};
	uint8_t(*rest)[ERIS_REF_SIZE] = NULL;
	size_t k = 0;
	int rc = ERIS_E_NOMEM;

	b.missing = calloc(n ? n : 1, 1);
	b.map = calloc(n ? n : 1, sizeof *b.map);
	rest = calloc(n ? n : 1, sizeof *rest);
	if (!b.missing || !b.map || !rest) {
		eris_error_set(err, rc, "out of memory");
		goto out;
	}
	rc = store_get_many(c->cache, refs, n, from_cache, &b, err);
	if (rc != 0)
		goto out;
	for (size_t i = 0; i < n; i++) {
		if (!b.missing[i])
			continue;
		memcpy(rest[k], refs[i], ERIS_REF_SIZE);
		b.map[k++] = i;
	}
	if (k > 0)
		rc = store_get_many(c->source, (const uint8_t(*)[ERIS_REF_SIZE])rest, k, from_source,
				    &b, err);
out:
	free(b.missing);
	free(b.map);
	free(rest);
	return rc;
}

static int chain_flush(store *s, eris_error *err)
{
	struct chain_store *c = (struct chain_store *)s;

	return store_flush(c->cache, err);
}

static void chain_close(store *s)
{
	struct chain_store *c = (struct chain_store *)s;

	store_close(c->cache);
	store_close(c->source);
	free(c);
}

static const struct store_ops chain_ops = {chain_get, chain_put,      chain_has, chain_flush,
					   chain_close, chain_get_many, NULL};

int store_chain_open(store **out, store *cache, store *source, eris_error *err)
{
	struct chain_store *c = calloc(1, sizeof *c);

	*out = NULL;
	if (!c) {
		store_close(cache);
		store_close(source);
		return eris_error_set(err, ERIS_E_NOMEM, "out of memory");
	}
	c->base.ops = &chain_ops;
	c->cache = cache;
	c->source = source;
	*out = &c->base;
	return 0;
}
