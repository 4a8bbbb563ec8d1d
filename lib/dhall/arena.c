/*
 * arena.c — the bump allocator every Dhall tree lives in.
 *
 * Chunks grow geometrically (64 KiB doubling to 512 KiB, then 4 MiB: a
 * mapped chunk is two huge pages, not 1 or 2 MiB of small pages, a fault
 * each; a request larger than a chunk gets a chunk of its own), so a tree
 * of N nodes costs O(log N) mallocs and one free pass; dhall_arena_reset
 * empties an arena for reuse but keeps its last chunk. dhall_arena_alloc
 * zeroes what it hands out (nodes start with all fields empty); copies use
 * the _uninit variant.
 * A mmap'd chunk's pages start zero, so memory past its high-water mark
 * (chunk->dirty: the most it ever handed out before a reset) is not
 * zeroed again: the memset would fault in and clear every page twice.
 *
 * Marks (dhall_arena_mark, dhall_arena_release in dhall_int.h) give back
 * what was allocated since a point, for scratch memory with a scope (the
 * evaluator renders a list element or quotes a subtree, then drops its
 * values). A release frees the chunks made since the mark but keeps the
 * largest as the arena's spare, which the next chunk the arena needs
 * reuses: work that crosses a chunk boundary at every step does not map
 * and unmap a chunk per step.
 */
#include "dhall_int.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

/* Under AddressSanitizer a release does not hand its memory out again:
 * it poisons it (the mark's chunk keeps its `used`) and frees the chunks
 * made since, so a value used after its region ended is reported. Only
 * dhall_arena_reset (which unpoisons) makes poisoned memory reusable:
 * the parser bumps into an arena's chunk directly (parse_int.h). */
#if defined(__SANITIZE_ADDRESS__)
#define DHALL_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define DHALL_ASAN 1
#endif
#endif
#ifdef DHALL_ASAN
#include <sanitizer/asan_interface.h>
#define POISON(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#define UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define POISON(p, n) ((void)(p), (void)(n))
#define UNPOISON(p, n) ((void)(p), (void)(n))
#endif

#include "banned.h"

void dhall_arena_init(struct dhall_arena *a)
{
	a->head = NULL;
	a->used = 0;
	a->spare = NULL;
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
#define HUGE_MIN ((size_t)2 << 20)
/* the largest chunk growth makes: with its header, two huge pages */
#define CHUNK_MAX (((size_t)4 << 20) - sizeof(struct dhall_chunk))

static struct dhall_chunk *chunk_new(size_t *wantp)
{
	struct dhall_chunk *n;
	size_t want = *wantp, total = sizeof *n + want;
	if (want >= MAP_MIN) {
		if (want >= HUGE_MIN) { /* whole huge pages: the chunk fills them */
			total = (total + HUGE_MIN - 1) & ~(HUGE_MIN - 1);
			*wantp = total - sizeof *n;
		}
		void *m = mmap(NULL, total, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (m == MAP_FAILED)
			return NULL;
#ifdef MADV_HUGEPAGE
		if (want >= HUGE_MIN)
			(void)madvise(m, total, MADV_HUGEPAGE); /* a hint: failure is harmless */
#endif
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
	size = (size + 7) & ~(size_t)7;
	if ((!c || c->size - c->used < size) && a->spare && a->spare->size >= size) {
		struct dhall_chunk *n = a->spare; /* a release's: reuse it */
		a->spare = NULL;
		n->used = 0;
		n->next = c;
		a->head = c = n;
	} else if (!c || c->size - c->used < size) {
		size_t want = c ? c->size * 2 : 64 * 1024;
		if (want >= MAP_MIN) /* mapped: two huge pages (see above) */
			want = CHUNK_MAX;
		if (want > CHUNK_MAX)
			want = CHUNK_MAX;
		if (want < size)
			want = size;
		struct dhall_chunk *n = chunk_new(&want);
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
	UNPOISON(c->data, c->size); /* a release may have poisoned it */
	if (c->mapped)
		munmap(c, c->mapped);
	else
		free(c);
}

void dhall_arena_reset(struct dhall_arena *a)
{
	struct dhall_chunk *keep = a->head;
	if (a->spare) {
		chunk_free(a->spare);
		a->spare = NULL;
	}
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
		UNPOISON(keep->data, keep->size);
		keep->used = 0;
		keep->next = NULL;
	}
}

void dhall_arena_free(struct dhall_arena *a)
{
	struct dhall_chunk *c = a->head;
	if (a->spare) {
		chunk_free(a->spare);
		a->spare = NULL;
	}
	while (c) {
		struct dhall_chunk *next = c->next;
		chunk_free(c);
		c = next;
	}
	a->head = NULL;
	a->used = 0;
}

void dhall_arena_release(struct dhall_arena *a, const struct dhall_arena_mark *m)
{
	struct dhall_chunk *c = a->head, *next;
	for (; c && c != m->chunk; c = next) {
		next = c->next;
		if (c->used > c->dirty)
			c->dirty = c->used;
#ifdef DHALL_ASAN
		chunk_free(c);
		continue;
#endif
		if (!a->spare || a->spare->size < c->size) {
			if (a->spare)
				chunk_free(a->spare);
			a->spare = c;
		} else {
			chunk_free(c);
		}
	}
	a->head = m->chunk;
	a->used = m->total;
	if (c) {
		if (c->used > c->dirty)
			c->dirty = c->used;
#ifdef DHALL_ASAN
		POISON(c->data + m->used, c->used - m->used);
#else
		c->used = m->used;
#endif
	}
}

int dhall_arena_since(const struct dhall_arena *a, const struct dhall_arena_mark *m, const void *p)
{
	const unsigned char *q = p;
	for (const struct dhall_chunk *c = a->head; c; c = c->next) {
		int in = q >= c->data && q < c->data + c->size;
		if (c == m->chunk)
			return in && q >= c->data + m->used;
		if (in)
			return 1;
	}
	return 0;
}
