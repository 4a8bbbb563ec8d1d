/*
 * test_pack.c — the pack store: round trips across reopen (read-write and
 * read-only/mmap), checkpoints, a full pack, damaged payloads, commit slots
 * and headers, the header's block sizes and version 1 packs, how opens map
 * the pack (and the pread fallback), the cost of opening (the same bytes
 * read for 1,000 and 200,000 blocks), compaction by store_retain, encoding straight into the write
 * buffer (store_eris_place) with duplicates and reads while writes are in
 * flight, and the crash test: a writer is SIGKILLed at random moments 200
 * times (and 40 more times while it writes megabytes between flushes, so
 * kills land in the background writer's writes), and after each kill every
 * block it had acknowledged (flush returned) must be there and every block
 * the pack serves must verify.
 */
#include "tap.h"

#include "store/store.h"

#include <fcntl.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "banned.h"

/* The pread-fallback test limits the address space, which the sanitizers'
 * shadow memory does not survive: it is skipped under them. */
#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif
#ifndef UNDER_ASAN
#define UNDER_ASAN 0
#endif

static char dir[256];

struct blocks {
	uint8_t (*ref)[ERIS_REF_SIZE];
	size_t n;
};

static void make_block(uint8_t *b, size_t len, uint8_t *ref, uint64_t *seed)
{
	tap_fill_random(b, len, seed);
	crypto_generichash(ref, ERIS_REF_SIZE, b, len, NULL, 0);
}

/* Puts n random blocks (every 7th 32 KiB); remembers their references. */
static int put_random(store *s, size_t n, uint64_t *seed, struct blocks *out, eris_error *err)
{
	uint8_t b[ERIS_BLOCK_32K], ref[ERIS_REF_SIZE];

	for (size_t i = 0; i < n; i++) {
		size_t len = i % 7 == 3 ? ERIS_BLOCK_32K : ERIS_BLOCK_1K;
		make_block(b, len, ref, seed);
		int rc = store_put(s, ref, b, len, err);
		if (rc != 0)
			return rc;
		if (out) {
			out->ref = realloc(out->ref, (out->n + 1) * sizeof *out->ref);
			memcpy(out->ref[out->n++], ref, ERIS_REF_SIZE);
		}
	}
	return 0;
}

/* How many of the blocks are there and verify. */
static size_t count_good(store *s, const struct blocks *b)
{
	uint8_t buf[ERIS_BLOCK_MAX];
	size_t good = 0, len;
	eris_error err = {0};

	for (size_t i = 0; i < b->n; i++)
		good += store_get(s, b->ref[i], buf, sizeof buf, &len, &err) == 0;
	return good;
}

struct listing {
	store *s;
	size_t n, bad;
};

static int check_listed(void *ctx, const uint8_t *ref, size_t len)
{
	struct listing *l = ctx;
	uint8_t buf[ERIS_BLOCK_MAX];
	size_t got;
	eris_error err = {0};

	(void)len;
	l->n++;
	l->bad += store_get(l->s, ref, buf, sizeof buf, &got, &err) != 0;
	return 0;
}

static void round_trips(void)
{
	char spec[320], path[300];
	struct blocks all = {0};
	uint64_t seed = 11;
	eris_error err = {0};
	store *s = NULL;
	struct listing l = {0};

	snprintf(path, sizeof path, "%s/a.pack", dir);
	snprintf(spec, sizeof spec, "pack:%s", path);
	tap_ok(store_open(&s, spec, STORE_CREATE, &err) == 0, "a new pack is created: %s", err.msg);
	tap_ok(put_random(s, 300, &seed, &all, &err) == 0, "300 blocks put");
	tap_ok(count_good(s, &all) == 300, "all readable before any flush (from the write buffer)");
	tap_ok(store_flush(s, &err) == 0, "flush");
	store_close(s);

	struct store_info in = {0};
	tap_ok(store_open(&s, spec, STORE_READ, &err) == 0 && store_info(s, &in, &err) == 0 &&
		       in.mapped,
	       "reopens read-only, mapped (not the pread fallback): store_info says so");
	tap_ok(count_good(s, &all) == 300, "all 300 verify after reopening");
	tap_ok(store_put(s, all.ref[0], (uint8_t[1024]){0}, 1024, &err) != 0,
	       "a read-only pack refuses puts");
	l.s = s;
	tap_ok(store_list(s, check_listed, &l, &err) == 0 && l.n == 300 && l.bad == 0,
	       "listing gives the 300 blocks (%zu, %zu bad)", l.n, l.bad);
	store_close(s);

	tap_ok(store_open(&s, spec, STORE_WRITE, &err) == 0, "reopens for writing");
	tap_ok(put_random(s, 100, &seed, &all, &err) == 0, "100 more");
	store_close(s); /* close writes an index */
	tap_ok(store_open(&s, spec, STORE_READ, &err) == 0 && count_good(s, &all) == 400,
	       "all 400 there after a checkpointing close");
	store_close(s);

	/* damage one payload byte of block 5 */
	store *w = NULL;
	tap_ok(store_open(&w, spec, STORE_READ, &err) == 0, "open to find a block");
	store_close(w);
	{
		int fd = open(path, O_RDWR);
		uint8_t rec[64];
		off_t off = 12288;
		int found = 0;
		/* walk records to the 6th */
		for (int i = 0; fd >= 0 && i < 6 && pread(fd, rec, 64, off) == 64; i++) {
			uint32_t len = rec[4] | rec[5] << 8 | rec[6] << 16 | (uint32_t)rec[7] << 24;
			if (i == 5) {
				uint8_t x;
				found = pread(fd, &x, 1, off + 64 + 100) == 1;
				x ^= 0x40;
				found = found && pwrite(fd, &x, 1, off + 64 + 100) == 1 &&
					memcmp(rec + 8, all.ref[5], 32) == 0;
			}
			off += 64 + ((len + 63) & ~63u);
		}
		if (fd >= 0)
			close(fd);
		tap_ok(found, "a payload byte of block 5 flipped on disk");
	}
	tap_ok(store_open(&s, spec, STORE_READ, &err) == 0, "the damaged pack still opens");
	uint8_t buf[ERIS_BLOCK_MAX];
	size_t len;
	tap_ok(store_get(s, all.ref[5], buf, sizeof buf, &len, &err) == ERIS_E_HASH,
	       "the damaged block is refused: %s", err.msg);
	tap_ok(count_good(s, &all) == 399, "the other 399 still verify");
	store_close(s);

	free(all.ref);
}

static int keep_even(void *ctx, const uint8_t *ref)
{
	(void)ctx;
	return ref[0] % 2 == 0;
}

static void compaction(void)
{
	char spec[320], path[300];
	struct blocks all = {0};
	uint64_t seed = 5, removed = 0;
	eris_error err = {0};
	store *s = NULL;
	struct stat before, after;
	size_t even = 0, good_even = 0, good_odd = 0;
	uint8_t buf[ERIS_BLOCK_MAX];
	size_t len;

	snprintf(path, sizeof path, "%s/gc.pack", dir);
	snprintf(spec, sizeof spec, "pack:%s", path);
	if (store_open(&s, spec, STORE_CREATE, &err) != 0 || put_random(s, 200, &seed, &all, &err))
		tap_ok(0, "gc pack: %s", err.msg);
	store_close(s);
	stat(path, &before);
	tap_ok(store_open(&s, spec, STORE_WRITE, &err) == 0 &&
		       store_retain(s, keep_even, NULL, &removed, &err) == 0,
	       "retain compacts the pack: %s", err.msg);
	for (size_t i = 0; i < all.n; i++) {
		int ok = store_get(s, all.ref[i], buf, sizeof buf, &len, &err) == 0;
		if (all.ref[i][0] % 2 == 0) {
			even++;
			good_even += ok;
		} else {
			good_odd += ok;
		}
	}
	tap_ok(good_even == even && good_odd == 0 && removed == all.n - even,
	       "the same handle serves the kept %zu blocks and none of the %llu removed", even,
	       (unsigned long long)removed);
	tap_ok(put_random(s, 3, &seed, NULL, &err) == 0, "and takes new blocks");
	store_close(s);
	stat(path, &after);
	tap_ok(after.st_size < before.st_size, "the file shrank (%lld -> %lld bytes)",
	       (long long)before.st_size, (long long)after.st_size);
	tap_ok(store_open(&s, spec, STORE_READ, &err) == 0, "the compacted pack reopens");
	good_even = 0;
	for (size_t i = 0; i < all.n; i++)
		good_even += all.ref[i][0] % 2 == 0 &&
			     store_get(s, all.ref[i], buf, sizeof buf, &len, &err) == 0;
	tap_ok(good_even == even, "with every kept block");
	store_close(s);
	free(all.ref);
}

static void full_and_damage(void)
{
	char spec[320], path[300];
	uint64_t seed = 9;
	eris_error err = {0};
	store *s = NULL;
	struct blocks all = {0};

	snprintf(path, sizeof path, "%s/small.pack", dir);
	snprintf(spec, sizeof spec, "pack:%s", path);
	tap_ok(store_pack_format(path, 12288 + 3 * 1088, NULL, &err) == 0,
	       "a pack with room for 3 blocks");
	tap_ok(store_pack_format(path, 0, NULL, &err) != 0, "formatting a pack twice is refused: %s",
	       err.msg);
	tap_ok(store_open(&s, spec, STORE_WRITE, &err) == 0, "opens");
	uint8_t b[1024], ref[32];
	int rc = 0, n = 0;
	while (rc == 0 && n < 10) {
		make_block(b, sizeof b, ref, &seed);
		rc = store_put(s, ref, b, sizeof b, &err);
		if (rc == 0) {
			all.ref = realloc(all.ref, (all.n + 1) * sizeof *all.ref);
			memcpy(all.ref[all.n++], ref, 32);
			n++;
		}
	}
	tap_ok(n == 3 && strstr(err.msg, "full"), "the 4th put says the pack is full: %s", err.msg);
	tap_ok(store_flush(s, &err) == 0, "a full pack still flushes");
	store_close(s);
	tap_ok(store_open(&s, spec, STORE_READ, &err) == 0 && count_good(s, &all) == 3,
	       "and keeps its 3 blocks");
	store_close(s);

	/* a torn commit slot: the other slot (one commit older) is used */
	int fd = open(path, O_RDWR);
	uint8_t slot_a[128], slot_b[128];
	tap_ok(fd >= 0 && pread(fd, slot_a, 128, 4096) == 128 && pread(fd, slot_b, 128, 8192) == 128,
	       "read both commit slots");
	uint64_t sa = 0, sb = 0;
	for (int i = 7; i >= 0; i--) {
		sa = sa << 8 | slot_a[8 + i];
		sb = sb << 8 | slot_b[8 + i];
	}
	off_t newest = sa > sb ? 4096 : 8192;
	uint8_t junk = 0xAA;
	tap_ok(pwrite(fd, &junk, 1, newest + 20) == 1, "tear the newest commit slot");
	close(fd);
	tap_ok(store_open(&s, spec, STORE_READ, &err) == 0 && count_good(s, &all) == 3,
	       "the older slot is used and the blocks are still there");
	store_close(s);

	fd = open(path, O_RDWR);
	tap_ok(fd >= 0 && pwrite(fd, &junk, 1, 33) == 1, "damage the header");
	close(fd);
	tap_ok(store_open(&s, spec, STORE_READ, &err) != 0 && strstr(err.msg, "header"),
	       "a damaged header is refused: %s", err.msg);
	snprintf(path, sizeof path, "%s/notapack", dir);
	fd = open(path, O_CREAT | O_WRONLY, 0644);
	tap_ok(fd >= 0 && write(fd, "hello, this is not a pack at all\n", 33) == 33, "a text file");
	close(fd);
	snprintf(spec, sizeof spec, "pack:%s", path);
	tap_ok(store_open(&s, spec, STORE_READ, &err) != 0, "is not a pack: %s", err.msg);
	free(all.ref);
}

static void put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* Rewrites a pack's header in place: as version 1 (no block-size field,
 * checksum of bytes 0-47 at 48), or as `version` with the version 2 layout. */
static int rewrite_header(const char *path, uint32_t version)
{
	uint8_t h[4096];
	int fd = open(path, O_RDWR), ok;

	ok = fd >= 0 && pread(fd, h, sizeof h, 0) == (ssize_t)sizeof h;
	if (ok) {
		put_le32(h + 8, version);
		if (version == 1) {
			memset(h + 48, 0, sizeof h - 48);
			crypto_generichash(h + 48, 32, h, 48, NULL, 0);
		} else {
			crypto_generichash(h + 64, 32, h, 64, NULL, 0);
		}
		ok = pwrite(fd, h, sizeof h, 0) == (ssize_t)sizeof h;
	}
	if (fd >= 0)
		close(fd);
	return ok ? 0 : -1;
}

/* The header's block sizes (version 2): a pack formatted for 1 KiB blocks
 * refuses 32 KiB ones and says so in store_info; a version 1 pack (no such
 * field) still opens, reads and takes writes, holding both sizes; an
 * unknown version is refused by name. */
static void header_versions(void)
{
	char spec[320], path[300];
	uint64_t seed = 41;
	eris_error err = {0};
	store *s = NULL;
	struct blocks all = {0};
	struct store_info in;
	uint8_t b[ERIS_BLOCK_32K], ref[ERIS_REF_SIZE];

	snprintf(path, sizeof path, "%s/small-only.pack", dir);
	snprintf(spec, sizeof spec, "pack:%s", path);
	tap_ok(store_pack_format_sizes(path, 1 << 20, NULL, STORE_SIZE_1K, &err) == 0,
	       "a pack formatted for 1 KiB blocks only");
	memset(&in, 0, sizeof in);
	int ok = store_open(&s, spec, STORE_WRITE, &err) == 0 && store_info(s, &in, &err) == 0 &&
		 in.format_version == 2 && in.block_sizes == STORE_SIZE_1K;
	tap_ok(ok, "store_info: version %u, block sizes 0x%x", in.format_version, in.block_sizes);
	make_block(b, ERIS_BLOCK_1K, ref, &seed);
	tap_ok(s && store_put(s, ref, b, ERIS_BLOCK_1K, &err) == 0, "takes a 1 KiB block");
	make_block(b, ERIS_BLOCK_32K, ref, &seed);
	tap_ok(s && store_put(s, ref, b, ERIS_BLOCK_32K, &err) == ERIS_E_SIZE &&
		       strstr(err.msg, "1 KiB"),
	       "refuses a 32 KiB block: %s", err.msg);
	store_close(s);
	s = NULL;

	snprintf(path, sizeof path, "%s/v1.pack", dir);
	snprintf(spec, sizeof spec, "pack:%s", path);
	if (store_open(&s, spec, STORE_CREATE, &err) != 0 ||
	    put_random(s, 50, &seed, &all, &err) != 0)
		tap_ok(0, "v1 pack: %s", err.msg);
	store_close(s);
	s = NULL;
	tap_ok(rewrite_header(path, 1) == 0, "its header rewritten as version 1");
	tap_ok(store_open(&s, spec, STORE_READ, &err) == 0 && store_info(s, &in, &err) == 0 &&
		       in.format_version == 1 && in.block_sizes == (STORE_SIZE_1K | STORE_SIZE_32K) &&
		       count_good(s, &all) == 50,
	       "a version 1 pack opens, holds both sizes and serves its 50 blocks: %s", err.msg);
	store_close(s);
	s = NULL;
	tap_ok(store_open(&s, spec, STORE_WRITE, &err) == 0 && put_random(s, 20, &seed, &all, &err) == 0,
	       "and takes writes (1 KiB and 32 KiB)");
	store_close(s);
	s = NULL;
	tap_ok(store_open(&s, spec, STORE_READ, &err) == 0 && store_info(s, &in, &err) == 0 &&
		       in.format_version == 1 && count_good(s, &all) == 70,
	       "reopened: still version 1, all 70 blocks there");
	store_close(s);
	s = NULL;
	tap_ok(rewrite_header(path, 3) == 0 && store_open(&s, spec, STORE_READ, &err) != 0 &&
		       strstr(err.msg, "version 3"),
	       "an unknown format version is refused: %s", err.msg);
	free(all.ref);
}

/* How a pack opens: read-only opens map the whole region (store_info
 * .mapped) — and when the map cannot be made, fall back to pread, which
 * store_info tells too; read-write opens map only the index. */
static void mapping(void)
{
	char spec[320];
	uint64_t seed = 43;
	eris_error err = {0};
	store *s = NULL;
	struct blocks all = {0};
	struct store_info in;
	int status = -1;

	snprintf(spec, sizeof spec, "pack:%s/map.pack", dir);
	if (store_open(&s, spec, STORE_CREATE, &err) != 0 ||
	    put_random(s, 1400, &seed, &all, &err) != 0) /* 200 of 32 KiB: > 8 MiB */
		tap_ok(0, "map pack: %s", err.msg);
	store_close(s);
	s = NULL;
	memset(&in, 0, sizeof in);
	int ok = store_open(&s, spec, STORE_READ, &err) == 0 && store_info(s, &in, &err) == 0 &&
		 in.mapped == 1 && in.index_mapped == 1 && count_good(s, &all) == 1400;
	tap_ok(ok, "a read-only open maps the pack (mapped %d, index mapped %d)", in.mapped,
	       in.index_mapped);
	store_close(s);
	s = NULL;
	memset(&in, 0, sizeof in);
	ok = store_open(&s, spec, STORE_WRITE, &err) == 0 && store_info(s, &in, &err) == 0 &&
	     in.mapped == 0 && in.index_mapped == 1 && count_good(s, &all) == 1400;
	tap_ok(ok, "a read-write open maps only the index (mapped %d, index mapped %d)", in.mapped,
	       in.index_mapped);
	store_close(s);
	s = NULL;

	/* the fallback: a child whose address space has no room for the map */
	if (UNDER_ASAN) {
		tap_skip("the address-space limit does not work under ASan", "pread fallback");
		free(all.ref);
		return;
	}
	pid_t pid = fork();
	if (pid == 0) {
		unsigned long pages = 0;
		FILE *f = fopen("/proc/self/statm", "r");
		if (!f || fscanf(f, "%lu", &pages) != 1)
			_exit(10);
		fclose(f);
		rlim_t room = (rlim_t)pages * (rlim_t)sysconf(_SC_PAGESIZE) + (4u << 20);
		struct rlimit rl = {room, room};
		if (setrlimit(RLIMIT_AS, &rl) != 0)
			_exit(11);
		if (store_open(&s, spec, STORE_READ, &err) != 0 || store_info(s, &in, &err) != 0)
			_exit(12);
		if (in.mapped)
			_exit(13);
		_exit(count_good(s, &all) == 1400 ? 0 : 14);
	}
	if (pid > 0)
		waitpid(pid, &status, 0);
	tap_ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	       "when the map cannot be made, a read-only open says so and reads with pread "
	       "(child status %d)", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	free(all.ref);
}

/* Opening a clean pack costs the same whatever its size: what the open reads
 * (store_info.open_read_bytes) is the same few KiB for 1,000 blocks and for
 * 200,000 (an 8 MB index), read-only or read-write; and the big pack still
 * serves and takes blocks after such an open. */
static void open_cost(void)
{
	size_t sizes[2] = {1000, 200000};
	uint64_t cost[2][2] = {{0}};
	int mapped[2] = {0};
	struct blocks all = {0};
	double secs[2] = {0};

	for (int k = 0; k < 2; k++) {
		char spec[320];
		uint64_t seed = 47;
		eris_error err = {0};
		store *s = NULL;
		struct store_info in;
		uint8_t b[ERIS_BLOCK_1K], ref[ERIS_REF_SIZE];

		snprintf(spec, sizeof spec, "pack:%s/cost-%d.pack", dir, k);
		if (store_open(&s, spec, STORE_CREATE, &err) != 0) {
			tap_ok(0, "cost pack: %s", err.msg);
			return;
		}
		for (size_t i = 0; i < sizes[k]; i++) {
			make_block(b, sizeof b, ref, &seed);
			if (store_put(s, ref, b, sizeof b, &err) != 0)
				break;
			if (k == 1 && i % 997 == 0) {
				all.ref = realloc(all.ref, (all.n + 1) * sizeof *all.ref);
				memcpy(all.ref[all.n++], ref, ERIS_REF_SIZE);
			}
		}
		store_close(s); /* writes the index */
		for (int w = 0; w < 2; w++) {
			struct timespec t0, t1;
			clock_gettime(CLOCK_MONOTONIC, &t0);
			s = NULL;
			if (store_open(&s, spec, w ? STORE_WRITE : STORE_READ, &err) != 0 ||
			    store_info(s, &in, &err) != 0) {
				tap_ok(0, "reopen %s: %s", spec, err.msg);
				store_close(s);
				return;
			}
			clock_gettime(CLOCK_MONOTONIC, &t1);
			cost[k][w] = in.open_read_bytes;
			if (w) {
				mapped[k] = in.index_mapped && in.index_entries == sizes[k];
				secs[k] = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
			}
			if (k == 1 && w) { /* the big pack, opened for writing, still works */
				size_t good = count_good(s, &all);
				int put = put_random(s, 10, &seed, NULL, &err) == 0 &&
					  store_flush(s, &err) == 0;
				tap_ok(good == all.n && put,
				       "after an O(1) read-write open, the %zu-block pack serves "
				       "(%zu of %zu sampled) and takes blocks",
				       sizes[k], good, all.n);
			}
			store_close(s);
		}
	}
	tap_ok(mapped[0] && mapped[1], "read-write opens map the index instead of reading it");
	tap_ok(cost[0][1] == cost[1][1] && cost[1][1] <= 16384,
	       "a read-write open reads %llu bytes of a 1,000-block pack and %llu of a "
	       "200,000-block one", (unsigned long long)cost[0][1], (unsigned long long)cost[1][1]);
	tap_ok(cost[0][0] == cost[1][0] && cost[1][0] <= 16384,
	       "a read-only open reads %llu and %llu bytes", (unsigned long long)cost[0][0],
	       (unsigned long long)cost[1][0]);
	tap_diag("read-write open: %.3f ms (1,000 blocks), %.3f ms (200,000 blocks)",
		 secs[0] * 1e3, secs[1] * 1e3);
	free(all.ref);
}

/* A put sink that reads every block back (verified) the moment it is put,
 * and now and then an earlier one: blocks in the write buffer, in a buffer
 * the background writer is writing, and on file are all served. */
struct echo {
	store *s;
	uint8_t (*refs)[ERIS_REF_SIZE];
	size_t n, cap, bad, placed, calls;
	uint64_t seed;
};

static int echo_put(void *ctx, const uint8_t ref[ERIS_REF_SIZE], const uint8_t *block, size_t bs)
{
	struct echo *e = ctx;
	uint8_t buf[ERIS_BLOCK_MAX];
	size_t len;
	eris_error err = {0};

	if (store_eris_put(e->s, ref, block, bs) != 0)
		return -1;
	e->bad += store_get(e->s, ref, buf, sizeof buf, &len, &err) != 0 || len != bs;
	if (e->n == e->cap) {
		e->cap = e->cap ? 2 * e->cap : 1024;
		e->refs = realloc(e->refs, e->cap * sizeof *e->refs);
	}
	memcpy(e->refs[e->n++], ref, ERIS_REF_SIZE);
	if (tap_rand(&e->seed) % 8 == 0) {
		size_t i = (size_t)(tap_rand(&e->seed) % e->n);
		e->bad += store_get(e->s, e->refs[i], buf, sizeof buf, &len, &err) != 0;
	}
	return 0;
}

static uint8_t *echo_place(void *ctx, size_t n, size_t bs, size_t *stride)
{
	struct echo *e = ctx;
	uint8_t *at = store_eris_place(e->s, n, bs, stride);

	e->calls++;
	e->placed += at != NULL;
	return at;
}

struct sink {
	uint8_t *data;
	size_t len, cap;
};

static int sink_write(void *ctx, const uint8_t *data, size_t len)
{
	struct sink *k = ctx;

	if (k->len + len > k->cap)
		return -1;
	memcpy(k->data + k->len, data, len);
	k->len += len;
	return 0;
}

/* Content with repeats (so the encoder hands the pack duplicate leaves in
 * the middle of a placed batch), encoded at both block sizes and 1 or 2
 * threads straight into a pack's write buffer: the same capability as
 * without placement, every block readable at once, and after reopening the
 * content decodes byte for byte. */
static void placed(void)
{
	size_t len = (5u << 20) + 12345;
	uint8_t *data = malloc(len);
	uint64_t seed = 21;
	struct sink out = {malloc(len), 0, len};
	int ok_cap = 1, ok_read = 1, ok_decode = 1, used = 1;
	size_t blocks = 0;

	tap_fill_random(data, len, &seed);
	for (size_t i = 0; i + 2 * 1024 <= len; i += 9 * 1024) /* a repeated 1 KiB leaf */
		memset(data + i, 0x5A, 1024);
	for (size_t i = 3u << 20; i < (4u << 20); i++) /* a megabyte of repeated 32 KiB leaves */
		data[i] = 0;
	for (int v = 0; v < 3; v++) {
		uint32_t bs = v == 0 ? ERIS_BLOCK_32K : ERIS_BLOCK_1K;
		int threads = v == 2 ? 2 : 1;
		char spec[320];
		eris_error err = {0};
		eris_encoder *enc = NULL;
		eris_cap want, got;
		struct echo e = {0};

		e.seed = 77;
		snprintf(spec, sizeof spec, "pack:%s/placed-%d.pack", dir, v);
		if (eris_encode(data, len, bs, NULL, NULL, NULL, &want, &err) != 0 ||
		    store_open(&e.s, spec, STORE_CREATE, &err) != 0 ||
		    eris_encoder_new(&enc, bs, NULL, threads, echo_put, &e) != 0) {
			tap_ok(0, "placed encoding %d: %s", v, err.msg);
			return;
		}
		eris_encoder_set_place(enc, echo_place);
		int rc = eris_encoder_update(enc, data, len, &err);
		if (rc == 0)
			rc = eris_encoder_final(enc, &got, &err);
		eris_encoder_free(enc);
		uint8_t pw[ERIS_CAP_SIZE], pg[ERIS_CAP_SIZE];
		eris_cap_pack(&want, pw);
		eris_cap_pack(&got, pg);
		ok_cap &= rc == 0 && memcmp(pw, pg, sizeof pw) == 0;
		ok_read &= e.bad == 0;
		used &= e.calls > 0 && e.placed == e.calls;
		blocks += e.n;
		store_close(e.s);
		free(e.refs);

		store *r = NULL;
		uint64_t total = 0;
		out.len = 0;
		ok_decode &= store_open(&r, spec, STORE_READ, &err) == 0 &&
			     eris_decode(&got, store_eris_get, r, sink_write, &out, &total, &err) == 0 &&
			     total == len && memcmp(out.data, data, len) == 0;
		store_close(r);
	}
	tap_ok(used, "the pack took every batch in its write buffer");
	tap_ok(ok_cap, "the same capabilities as encoding without placement (32 KiB, 1 KiB, 1 KiB "
		       "with 2 threads)");
	tap_ok(ok_read, "each of the %zu blocks put verifies when read back at once, and so do "
			"earlier ones", blocks);
	tap_ok(ok_decode, "after reopening, the content decodes byte for byte");
	free(data);
	free(out.data);
}

/* A write that fails in the background writer (the file may not grow past
 * 3 MiB: EFBIG) fails the put or flush that comes next, and every later put
 * and flush too — the log would have a hole — while the blocks flushed
 * before it stay readable. Run in a child, which has the file size limit. */
static void failed_write(void)
{
	char spec[320];
	struct blocks early = {0};
	uint64_t seed = 31;
	int status = -1;

	snprintf(spec, sizeof spec, "pack:%s/efbig.pack", dir);
	pid_t pid = fork();
	if (pid == 0) {
		struct rlimit rl = {3u << 20, 3u << 20};
		eris_error err = {0};
		store *s = NULL;
		uint8_t b[ERIS_BLOCK_32K], ref[ERIS_REF_SIZE];
		int rc = 0, n = 0;
		signal(SIGXFSZ, SIG_IGN);
		if (setrlimit(RLIMIT_FSIZE, &rl) != 0 || store_open(&s, spec, STORE_CREATE, &err) != 0)
			_exit(10);
		for (int i = 0; i < 16; i++) { /* 512 KiB, flushed: acknowledged */
			make_block(b, sizeof b, ref, &seed);
			if (store_put(s, ref, b, sizeof b, &err) != 0)
				_exit(11);
		}
		if (store_flush(s, &err) != 0)
			_exit(12);
		while (rc == 0 && n++ < 400) /* up to 12.5 MiB more */
			rc = store_put(s, (make_block(b, sizeof b, ref, &seed), ref), b, sizeof b, &err);
		if (rc == 0)
			rc = store_flush(s, &err);
		if (rc == 0 || !strstr(err.msg, "write"))
			_exit(13); /* the failure was not seen, or not said */
		make_block(b, sizeof b, ref, &seed);
		if (store_put(s, ref, b, sizeof b, &err) == 0 || store_flush(s, &err) == 0)
			_exit(14); /* not sticky */
		store_close(s);
		_exit(0);
	}
	if (pid > 0)
		waitpid(pid, &status, 0);
	tap_ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	       "a failed background write fails the next put or flush and every later one "
	       "(child status %d)", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	seed = 31;
	{
		uint8_t b[ERIS_BLOCK_32K], ref[ERIS_REF_SIZE];
		for (int i = 0; i < 16; i++) {
			make_block(b, sizeof b, ref, &seed);
			early.ref = realloc(early.ref, (early.n + 1) * sizeof *early.ref);
			memcpy(early.ref[early.n++], ref, ERIS_REF_SIZE);
		}
	}
	store *s = NULL;
	eris_error err = {0};
	struct listing l = {0};
	tap_ok(store_open(&s, spec, STORE_READ, &err) == 0 && count_good(s, &early) == 16,
	       "the 16 blocks flushed before it are all there: %s", err.msg);
	l.s = s;
	int listed = s && store_list(s, check_listed, &l, &err) == 0;
	tap_ok(listed && l.n >= 16 && l.bad == 0,
	       "and nothing the pack lists fails verification (%zu listed)", l.n);
	store_close(s);
	free(early.ref);
}

/* The writer: puts and flushes until killed, reporting each acknowledged
 * reference on the pipe only after its flush returned. A `big` writer puts
 * up to 160 blocks (mostly 32 KiB: several write buffers) between flushes. */
static void writer(const char *spec, int ackfd, uint64_t seed, int big)
{
	eris_error err = {0};
	store *s = NULL;
	uint8_t b[ERIS_BLOCK_32K], refs[160][ERIS_REF_SIZE];

	if (store_open(&s, spec, STORE_CREATE, &err) != 0)
		_exit(3);
	for (;;) {
		int k = (int)(tap_rand(&seed) % (big ? 160 : 16)) + 1;
		for (int i = 0; i < k; i++) {
			size_t len = tap_rand(&seed) % 5 == (big ? 4 : 0) ? ERIS_BLOCK_32K
									   : ERIS_BLOCK_1K;
			if (big && len == ERIS_BLOCK_1K)
				len = tap_rand(&seed) % 5 ? ERIS_BLOCK_32K : ERIS_BLOCK_1K;
			make_block(b, len, refs[i], &seed);
			if (store_put(s, refs[i], b, len, &err) != 0)
				_exit(4);
		}
		if (store_flush(s, &err) != 0)
			_exit(5);
		if (write(ackfd, refs, (size_t)k * ERIS_REF_SIZE) != (ssize_t)(k * ERIS_REF_SIZE))
			_exit(6);
	}
}

static void crash_test(int big, int rounds)
{
	char spec[320];
	struct blocks acked = {0};
	uint64_t seed = (uint64_t)time(NULL) | 1;
	int kills = 0, lost_total = 0, bad_total = 0, open_fail = 0, early = 0, mid = 0;
	long max_ns = big ? 60000000 : 12000000;

	snprintf(spec, sizeof spec, "pack:%s/crash%s.pack", dir, big ? "-big" : "");
	tap_diag("crash test seed %llu", (unsigned long long)seed);
	{
		/* the pack exists before the first writer, which may die before
		 * it gets as far as creating it */
		store *s = NULL;
		eris_error err = {0};
		if (store_open(&s, spec, STORE_CREATE, &err) != 0)
			tap_diag("cannot create %s: %s", spec, err.msg);
		store_close(s);
	}
	for (int round = 0; round < rounds; round++) {
		int fds[2];
		if (pipe(fds) != 0)
			break;
		pid_t pid = fork();
		if (pid == 0) {
			close(fds[0]);
			writer(spec, fds[1], seed + (uint64_t)round * 7919, big);
		}
		close(fds[1]);
		struct timespec ts = {0, (long)(tap_rand(&seed) % (uint64_t)max_ns)};
		nanosleep(&ts, NULL);
		kill(pid, SIGKILL);
		int status = 0;
		if (waitpid(pid, &status, 0) != pid)
			status = 0;
		/* a kill counts only when the writer was alive to take it: a
		 * writer that failed (exit 3..6) or ended early does not */
		if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) {
			kills++;
		} else {
			early++;
			tap_diag("round %d: the writer was not killed but %s %d", round,
				 WIFEXITED(status) ? "exited with" : "ended by signal",
				 WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
		}
		uint8_t ref[ERIS_REF_SIZE];
		size_t before = acked.n;
		while (read(fds[0], ref, sizeof ref) == (ssize_t)sizeof ref) {
			acked.ref = realloc(acked.ref, (acked.n + 1) * sizeof *acked.ref);
			memcpy(acked.ref[acked.n++], ref, sizeof ref);
		}
		mid += acked.n > before; /* killed after at least one flush of its own */
		close(fds[0]);

		store *s = NULL;
		eris_error err = {0};
		if (store_open(&s, spec, STORE_READ, &err) != 0) {
			open_fail++;
			tap_diag("round %d: reopen failed: %s", round, err.msg);
			continue;
		}
		lost_total += (int)(acked.n - count_good(s, &acked));
		struct listing l = {s, 0, 0};
		if (store_list(s, check_listed, &l, &err) != 0)
			open_fail++;
		bad_total += (int)l.bad;
		store_close(s);
	}
	tap_ok(kills == rounds && early == 0 && open_fail == 0,
	       "%d of %d %swriters killed by SIGKILL at random moments (%d after acknowledging "
	       "writes, %d ended otherwise); every reopen worked (%d failed)",
	       kills, rounds, big ? "megabyte " : "", mid, early, open_fail);
	tap_ok(mid > 0, "some kills landed mid-run, after the writer's own flushes (%d of %d)", mid,
	       rounds);
	tap_ok(acked.n > 0 && lost_total == 0, "none of the %zu acknowledged blocks was lost (%d)",
	       acked.n, lost_total);
	tap_ok(bad_total == 0, "no block the pack lists fails verification (%d did)", bad_total);
	free(acked.ref);
}

int main(void)
{
	char cmd[300];

	if (sodium_init() < 0)
		return 1;
	snprintf(dir, sizeof dir, "%s/sigil-pack.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(dir))
		return 1;
	round_trips();
	compaction();
	full_and_damage();
	header_versions();
	mapping();
	open_cost();
	placed();
	failed_write();
	crash_test(0, 200);
	crash_test(1, 40);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		tap_diag("cannot remove %s", dir);
	return tap_done();
}
