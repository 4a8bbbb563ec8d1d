/*
 * arena.c — the bump allocator every Dhall tree lives in.
 *
 * Chunks grow geometrically (64 KiB doubling to 4 MiB; a request larger than
 * a chunk gets a chunk of its own), so a tree of N nodes costs O(log N)
 * mallocs and one free pass; dhall_arena_reset empties an arena for reuse
 * but keeps its last chunk. dhall_arena_alloc zeroes what it hands out
 * (nodes start with all fields empty); copies use the _uninit variant.
 * A mmap'd chunk's pages start zero, so memory past its high-water mark
 * (chunk->dirty: the most it ever handed out before a reset) is not
 * zeroed again: the memset would fault in and clear every page twice.
 */
#include "dhall_int.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "banned.h"

void dhall_arena_init(struct dhall_arena *a)
{
	a->head = NULL;
	a->used = 0;
}

void *dhall_arena_alloc(struct dhall_arena *a, size_t size)
{
	unsigned char *p = dhall_arena_alloc_uninit(a, size);
	/* the newest chunk holds p: allocation never goes back to older ones */
	if (p && (size_t)(p - a->head->data) < a->head->dirty)
		memset(p, 0, size);
	return p;
}

/* Chunks of 1 MiB and more come straight from mmap (and go back to the
 * system when freed); smaller chunks come from malloc. The chunk records
 * which (mapped != 0) for dhall_arena_free. The pages are not populated
 * up front (MAP_POPULATE): a chunk is often used only in part, and peak
 * resident memory is one of the things the benchmarks measure. */
#define MAP_MIN ((size_t)1 << 20)

static struct dhall_chunk *chunk_new(size_t want)
{
	struct dhall_chunk *n;
	size_t total = sizeof *n + want;
	if (want >= MAP_MIN) {
		void *m = mmap(NULL, total, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (m == MAP_FAILED)
			return NULL;
		n = m;
		n->mapped = total;
		n->dirty = 0;
	} else {
		n = malloc(total);
		if (!n)
			return NULL;
		n->mapped = 0;
		n->dirty = want;
	}
	return n;
}

void *dhall_arena_alloc_slow(struct dhall_arena *a, size_t size)
{
	struct dhall_chunk *c = a->head;
	size = (size + 15) & ~(size_t)15;
	if (!c || c->size - c->used < size) {
		size_t want = c ? c->size * 2 : 64 * 1024;
		if (want > 4 * 1024 * 1024)
			want = 4 * 1024 * 1024;
		if (want < size)
			want = size;
		struct dhall_chunk *n = chunk_new(want);
		if (!n)
			return NULL;
		n->size = want;
		n->used = 0;
		n->next = c;
		a->head = c = n;
	}
	void *p = c->data + c->used;
	c->used += size;
	a->used += size;
	return p;
}

char *dhall_arena_strdup(struct dhall_arena *a, const char *s, size_t len)
{
	char *p = dhall_arena_alloc_uninit(a, len + 1);
	if (!p)
		return NULL;
	if (len)
		memcpy(p, s, len);
	p[len] = 0;
	return p;
}

/* Frees one chunk (however it was obtained). */
static void chunk_free(struct dhall_chunk *c)
{
	if (c->mapped)
		munmap(c, c->mapped);
	else
		free(c);
}

void dhall_arena_reset(struct dhall_arena *a)
{
	struct dhall_chunk *keep = a->head;
	if (keep && keep->size > 4 * 1024 * 1024) /* a one-off big request */
		keep = NULL;
	for (struct dhall_chunk *c = a->head, *next; c; c = next) {
		next = c->next;
		if (c != keep)
			chunk_free(c);
	}
	a->head = keep;
	a->used = 0;
	if (keep) {
		if (keep->used > keep->dirty)
			keep->dirty = keep->used;
		keep->used = 0;
		keep->next = NULL;
	}
}

void dhall_arena_free(struct dhall_arena *a)
{
	struct dhall_chunk *c = a->head;
	while (c) {
		struct dhall_chunk *next = c->next;
		chunk_free(c);
		c = next;
	}
	a->head = NULL;
	a->used = 0;
}
