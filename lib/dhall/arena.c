/*
 * arena.c — the bump allocator every Dhall tree lives in.
 *
 * Chunks grow geometrically (64 KiB doubling to 4 MiB; a request larger than
 * a chunk gets a chunk of its own), so a tree of N nodes costs O(log N)
 * mallocs and one free pass. dhall_arena_alloc zeroes what it hands out
 * (nodes start with all fields empty); copies use the _uninit variant.
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
	void *p = dhall_arena_alloc_uninit(a, size);
	if (p)
		memset(p, 0, size);
	return p;
}

/* Chunks of 1 MiB and more come straight from mmap with MAP_POPULATE: the
 * kernel fills all their pages in one call, where touching them one by one
 * would take a page fault each (tens of thousands for a big file, and
 * faults are slow in a VM). Smaller chunks come from malloc. The chunk
 * records which (mapped != 0) for dhall_arena_free. */
#define MAP_MIN ((size_t)1 << 20)

static struct dhall_chunk *chunk_new(size_t want)
{
	struct dhall_chunk *n;
	size_t total = sizeof *n + want;
	if (want >= MAP_MIN) {
		void *m = mmap(NULL, total, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
		if (m == MAP_FAILED)
			return NULL;
		n = m;
		n->mapped = total;
	} else {
		n = malloc(total);
		if (!n)
			return NULL;
		n->mapped = 0;
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

void dhall_arena_free(struct dhall_arena *a)
{
	struct dhall_chunk *c = a->head;
	while (c) {
		struct dhall_chunk *next = c->next;
		if (c->mapped)
			munmap(c, c->mapped);
		else
			free(c);
		c = next;
	}
	a->head = NULL;
	a->used = 0;
}
