/*
 * test_romfs.c — the lazy /rom's reads without FUSE (lib/romfs, through
 * romfs_int.h): bytes as encoded, each leaf decoded once when the kernel's
 * page-sized reads come in order, and the read cache's eviction order (a
 * leaf whose pages all went out goes before one still partly unread).
 */
#include "tap.h"

#include "romfs/romfs_int.h"
#include "store/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "banned.h"

enum {
	BS = 32768,                      /* leaf size of the file below */
	LEAVES = ROMFS_CACHE_LEAVES + 8, /* more than the cache holds */
	TAIL = 5000,                     /* a last, partial leaf */
	SIZE = LEAVES * BS + TAIL,
};

static uint64_t leaves(const romfs *fs)
{
	romfs_stats st;
	romfs_get_stats(fs, &st);
	return st.leaves;
}

int main(void)
{
	uint64_t seed = 9;
	uint8_t *data = malloc(SIZE), *buf = malloc(BS);
	store *s = NULL;
	romfs *fs = NULL;
	eris_error e = {0};
	elf_error err = {0};
	eris_cap cap;
	struct romfs_node *f = NULL;

	if (!data || !buf)
		return 1;
	tap_fill_random(data, SIZE, &seed);
	if (!tap_ok(store_open(&s, "mem:", STORE_WRITE, &e) == 0, "a mem: store (%s)", e.msg) ||
	    !tap_ok(eris_encode(data, SIZE, BS, NULL, store_eris_put, s, &cap, &e) == 0,
		    "the file encoded into it at 32 KiB (%s)", e.msg) ||
	    !tap_ok(romfs_new(&fs, s, NULL, NULL, &err) == 0 &&
			    romfs_add_file(fs, "d/f", &cap, 0444, &err) == 0 &&
			    romfs_seal(fs, &err) == 0,
		    "a romfs with d/f (%s)", err.msg))
		goto out;
	struct romfs_node *d = romfs_lookup(fs, &fs->nodes[0], "d");
	f = d ? romfs_lookup(fs, d, "f") : NULL;
	if (!tap_ok(f && !f->is_dir, "d/f is found"))
		goto out;
	f = &fs->nodes[f->same];

	/* page by page, in order: every byte as encoded, each leaf once */
	int same = 1;
	for (uint64_t at = 0; at < SIZE; at += ROMFS_PAGE) {
		ssize_t got = romfs_file_read(fs, f, 0, buf, ROMFS_PAGE, at);
		size_t want = SIZE - at < ROMFS_PAGE ? (size_t)(SIZE - at) : ROMFS_PAGE;
		same &= got == (ssize_t)want && memcmp(buf, data + at, want) == 0;
	}
	tap_ok(same, "page-sized reads give the file's bytes");
	tap_ok(leaves(fs) == LEAVES + 1, "each of its %d leaves decoded once (%llu)", LEAVES + 1,
	       (unsigned long long)leaves(fs));
	tap_ok(romfs_file_read(fs, f, 0, buf, ROMFS_PAGE, SIZE) == 0,
	       "a read at the end gives 0 bytes");

	/* a leaf half read (its first page), then more whole leaves than the
	 * cache holds: those go first, so the rest of the half-read leaf
	 * comes from the cache (a plain LRU decoded it again) */
	uint64_t before = leaves(fs);
	int ok = romfs_file_read(fs, f, 0, buf, ROMFS_PAGE, 0) == ROMFS_PAGE;
	for (uint64_t i = 1; i <= LEAVES - 1; i++)
		ok &= romfs_file_read(fs, f, 0, buf, BS, i * BS) == BS;
	ok &= romfs_file_read(fs, f, 0, buf, BS - ROMFS_PAGE, ROMFS_PAGE) == BS - ROMFS_PAGE &&
	      memcmp(buf, data + ROMFS_PAGE, BS - ROMFS_PAGE) == 0;
	tap_ok(ok, "the reads give the file's bytes");
	tap_ok(leaves(fs) - before == LEAVES, "a half-read leaf outlives %d read whole (%llu decoded, "
	       "want %d)", LEAVES - 1, (unsigned long long)(leaves(fs) - before), LEAVES);

	/* a leaf whose pages went out in reads that were not page-aligned
	 * counts only the pages they covered whole: nothing is evicted
	 * early, and the bytes stay right */
	ok = romfs_file_read(fs, f, 0, buf, 100, 3 * BS + 10) == 100 &&
	     memcmp(buf, data + 3 * BS + 10, 100) == 0;
	ok &= romfs_file_read(fs, f, 0, buf, TAIL, LEAVES * (uint64_t)BS) == TAIL &&
	      memcmp(buf, data + LEAVES * (uint64_t)BS, TAIL) == 0;
	tap_ok(ok, "unaligned reads and the last, partial leaf give the right bytes");
out:
	romfs_free(fs);
	store_close(s);
	free(data);
	free(buf);
	return tap_done();
}
