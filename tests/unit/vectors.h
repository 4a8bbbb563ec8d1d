/*
 * vectors.h — the ERIS test vectors of ../shared/eris/test-vectors, loaded
 * with jansson into plain structs for the tests.
 */
#ifndef SIGIL_TEST_VECTORS_H
#define SIGIL_TEST_VECTORS_H

#include "eris/eris.h"

struct tv_block {
	uint8_t ref[ERIS_REF_SIZE];
	uint8_t *data;
	size_t len;
};

struct tv {
	int id;
	int positive;
	char name[128];
	uint8_t *content;
	size_t content_len;
	uint8_t secret[ERIS_SECRET_SIZE];
	uint32_t block_size;
	eris_cap cap;       /* from the read-capability object */
	char urn[256];
	struct tv_block *blocks;
	size_t nblocks;
};

/* Loads every vector file in DIR, sorted by id. Returns the count or -1. */
int tv_load_all(const char *dir, struct tv **out);
void tv_free_all(struct tv *v, int n);

/* A get callback over a vector's block map (ctx is a struct tv *). */
int tv_get(void *ctx, const uint8_t ref[ERIS_REF_SIZE], uint8_t *buf, size_t size,
	   const uint8_t **block, size_t *len, eris_error *err);

#endif
