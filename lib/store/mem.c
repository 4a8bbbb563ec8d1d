/*
 * mem.c — an in-memory block store ("mem:"): an open-addressing hash table
 * keyed by reference (whose first 8 bytes are already uniformly random), for
 * tests, benchmarks and tools that stage blocks before writing them out.
 * Lives as long as the store handle.
 *
 * Blocks are laid out one after another in 4 MiB arena chunks, in the order
 * they were put, so a decoder reading content in order walks memory in order
 * too; a block never moves once stored, which lets gets hand out pointers.
 */
#include "store_int.h"

#include <stdlib.h>
#include <string.h>

#include "banned.h"

struct mem_entry {
	uint8_t ref[ERIS_REF_SIZE];
	uint8_t *block; /* NULL: empty slot */
	size_t len;
};

enum { CHUNK_BYTES = 4 << 20 };

struct chunk {
	struct chunk *next;
	size_t used;
	uint8_t data[];
};

struct mem_store {
	struct store base;
	struct mem_entry *slots;
	size_t cap; /* power of two */
	size_t used;
	struct chunk *chunks; /* newest first */
};

/* Room for len bytes in the newest chunk, or a new chunk. */
static uint8_t *arena_alloc(struct mem_store *m, size_t len)
{
	struct chunk *c = m->chunks;

	if (!c || CHUNK_BYTES - c->used < len) {
		c = malloc(sizeof *c + CHUNK_BYTES);
		if (!c)
			return NULL;
		c->next = m->chunks;
		c->used = 0;
		m->chunks = c;
	}
	c->used += len;
	return c->data + c->used - len;
}

static size_t slot_of(const struct mem_store *m, const uint8_t *ref)
{
	uint64_t h;

	memcpy(&h, ref, sizeof h);
	return (size_t)h & (m->cap - 1);
}

static struct mem_entry *find(struct mem_store *m, const uint8_t *ref)
{
	size_t i = slot_of(m, ref);

	while (m->slots[i].block) {
		if (memcmp(m->slots[i].ref, ref, ERIS_REF_SIZE) == 0)
			return &m->slots[i];
		i = (i + 1) & (m->cap - 1);
	}
	return &m->slots[i];
}

static int grow(struct mem_store *m)
{
	struct mem_entry *old = m->slots;
	size_t oldcap = m->cap;

	m->cap *= 2;
	m->slots = calloc(m->cap, sizeof *m->slots);
	if (!m->slots) {
		m->slots = old;
		m->cap = oldcap;
		return ERIS_E_NOMEM;
	}
	for (size_t i = 0; i < oldcap; i++)
		if (old[i].block)
			*find(m, old[i].ref) = old[i];
	free(old);
	return 0;
}

/* Zero-copy: blocks never move or change once stored, until close. */
static int mem_get(store *s, const uint8_t *ref, uint8_t *buf, size_t size,
		   const uint8_t **block, size_t *len, eris_error *err)
{
	struct mem_entry *e = find((struct mem_store *)s, ref);

	(void)buf;
	if (!e->block)
		return ERIS_E_MISSING;
	if (e->len > size)
		return eris_error_set(err, ERIS_E_SIZE, "block is %zu bytes, more than %zu", e->len,
				      size);
	*block = e->block;
	*len = e->len;
	return 0;
}

static int mem_put(store *s, const uint8_t *ref, const uint8_t *block, size_t len,
		   eris_error *err)
{
	struct mem_store *m = (struct mem_store *)s;
	struct mem_entry *e;

	if ((m->used + 1) * 2 > m->cap && grow(m) != 0)
		return eris_error_set(err, ERIS_E_NOMEM, "mem: out of memory");
	e = find(m, ref);
	if (e->block)
		return 0;
	e->block = arena_alloc(m, len);
	if (!e->block)
		return eris_error_set(err, ERIS_E_NOMEM, "mem: out of memory");
	memcpy(e->ref, ref, ERIS_REF_SIZE);
	memcpy(e->block, block, len);
	e->len = len;
	m->used++;
	return 0;
}

static int mem_has(store *s, const uint8_t *ref, eris_error *err)
{
	(void)err;
	return find((struct mem_store *)s, ref)->block != NULL;
}

static void mem_close(store *s)
{
	struct mem_store *m = (struct mem_store *)s;

	while (m->chunks) {
		struct chunk *next = m->chunks->next;
		free(m->chunks);
		m->chunks = next;
	}
	free(m->slots);
	free(m);
}

static int mem_list(store *s, store_list_fn fn, void *ctx, eris_error *err)
{
	struct mem_store *m = (struct mem_store *)s;

	for (size_t i = 0; i < m->cap; i++)
		if (m->slots[i].block && fn(ctx, m->slots[i].ref, m->slots[i].len) != 0)
			return eris_error_set(err, ERIS_E_IO, "listing stopped");
	return 0;
}

/* Rebuilds the table with the kept entries (arena space is not reused). */
static int mem_retain(store *s, store_keep_fn keep, void *ctx, uint64_t *removed,
		      eris_error *err)
{
	struct mem_store *m = (struct mem_store *)s;
	struct mem_entry *old = m->slots;
	size_t oldcap = m->cap;

	m->slots = calloc(m->cap, sizeof *m->slots);
	if (!m->slots) {
		m->slots = old;
		return eris_error_set(err, ERIS_E_NOMEM, "out of memory");
	}
	m->used = 0;
	for (size_t i = 0; i < oldcap; i++) {
		if (!old[i].block)
			continue;
		if (!keep(ctx, old[i].ref)) {
			(*removed)++;
			continue;
		}
		*find(m, old[i].ref) = old[i];
		m->used++;
	}
	free(old);
	return 0;
}

static const struct store_ops mem_ops = {mem_get, mem_put,  mem_has,   NULL,
					 mem_close, NULL, NULL, mem_list, mem_retain};

int store_mem_open(store **out, eris_error *err)
{
	struct mem_store *m = calloc(1, sizeof *m);

	if (!m)
		return eris_error_set(err, ERIS_E_NOMEM, "out of memory");
	m->cap = 1024;
	m->slots = calloc(m->cap, sizeof *m->slots);
	if (!m->slots) {
		free(m);
		return eris_error_set(err, ERIS_E_NOMEM, "out of memory");
	}
	m->base.ops = &mem_ops;
	*out = &m->base;
	return 0;
}
