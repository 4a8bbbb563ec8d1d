/*
 * test_store.c — the block stores: put/get/has, verification on read,
 * missing/damaged blocks, atomic writes, markers and store strings.
 */
#include "tap.h"

#include "store/store.h"

#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "banned.h"

static char root[256];

static void make_block(uint8_t *b, size_t len, uint8_t ref[ERIS_REF_SIZE], uint64_t *seed)
{
	tap_fill_random(b, len, seed);
	crypto_generichash(ref, ERIS_REF_SIZE, b, len, NULL, 0);
}

static void block_file(const uint8_t *ref, char *out, size_t size)
{
	char name[ERIS_REF_B32_LEN + 1];

	eris_ref_to_b32(ref, name);
	snprintf(out, size, "%s/st/%.2s/%s", root, name, name);
}

static void common(const char *spec, const char *what)
{
	uint64_t seed = 7;
	uint8_t b1[1024], b2[32768], ref1[32], ref2[32], buf[32768], bad[32];
	eris_error err = {0};
	store *s = NULL;
	size_t len = 0;

	if (!tap_ok(store_open(&s, spec, STORE_CREATE, &err) == 0, "%s: opens for writing (%s)",
		    what, err.msg))
		return;
	make_block(b1, sizeof b1, ref1, &seed);
	make_block(b2, sizeof b2, ref2, &seed);
	tap_ok(store_has(s, ref1, &err) == 0, "%s: an absent block is not there", what);
	tap_ok(store_get(s, ref1, buf, sizeof buf, &len, &err) == ERIS_E_MISSING,
	       "%s: getting it says missing", what);
	tap_ok(store_put(s, ref1, b1, sizeof b1, &err) == 0 &&
		       store_put(s, ref2, b2, sizeof b2, &err) == 0,
	       "%s: 1 KiB and 32 KiB blocks stored", what);
	tap_ok(store_put(s, ref1, b1, sizeof b1, &err) == 0, "%s: storing it again is fine", what);
	tap_ok(store_has(s, ref1, &err) == 1, "%s: now it is there", what);
	tap_ok(store_get(s, ref1, buf, sizeof buf, &len, &err) == 0 && len == sizeof b1 &&
		       memcmp(buf, b1, len) == 0,
	       "%s: 1 KiB block reads back", what);
	tap_ok(store_get(s, ref2, buf, sizeof buf, &len, &err) == 0 && len == sizeof b2 &&
		       memcmp(buf, b2, len) == 0,
	       "%s: 32 KiB block reads back", what);
	memcpy(bad, ref1, 32);
	bad[5] ^= 1;
	tap_ok(store_put(s, bad, b1, sizeof b1, &err) == ERIS_E_HASH,
	       "%s: a block under the wrong reference is refused: %s", what, err.msg);
	tap_ok(store_put(s, ref1, b1, 1000, &err) == ERIS_E_SIZE,
	       "%s: a 1000-byte block is refused", what);
	tap_ok(store_flush(s, &err) == 0, "%s: flush", what);
	store_close(s);
}

static void dir_specific(void)
{
	char path[512], spec[512];
	uint64_t seed = 7; /* same blocks as common() */
	uint8_t b1[1024], b2[32768], ref1[32], ref2[32], buf[32768];
	eris_error err = {0};
	store *s = NULL;
	size_t len;
	int fd;

	make_block(b1, sizeof b1, ref1, &seed);
	make_block(b2, sizeof b2, ref2, &seed);
	snprintf(spec, sizeof spec, "%s/st", root);

	/* damage the 32 KiB block on disk: verification catches it */
	block_file(ref2, path, sizeof path);
	chmod(path, 0644);
	fd = open(path, O_WRONLY);
	tap_ok(fd >= 0 && pwrite(fd, "X", 1, 100) == 1, "dir: block file %s damaged by hand",
	       path + strlen(root));
	close(fd);
	tap_ok(store_open(&s, spec, STORE_READ, &err) == 0, "dir: reopens read-only");
	tap_ok(store_get(s, ref2, buf, sizeof buf, &len, &err) == ERIS_E_HASH,
	       "dir: damaged block fails verification: %s", err.msg);
	tap_ok(store_get_raw(s, ref2, buf, sizeof buf, &len, &err) == 0 && len == 32768,
	       "dir: the raw read still returns the bytes (the decoder verifies)");
	tap_ok(store_put(s, ref1, b1, sizeof b1, &err) != 0, "dir: read-only store refuses puts");
	/* truncate the 1 KiB block */
	block_file(ref1, path, sizeof path);
	chmod(path, 0644);
	tap_ok(truncate(path, 1000) == 0, "dir: block file truncated by hand");
	tap_ok(store_get(s, ref1, buf, sizeof buf, &len, &err) == ERIS_E_SIZE,
	       "dir: truncated block is the wrong size: %s", err.msg);
	/* reads take no fstat: sizes come from what read() gives */
	tap_ok(truncate(path, 1025) == 0 &&
		       store_get(s, ref1, buf, sizeof buf, &len, &err) == ERIS_E_SIZE,
	       "dir: a block file one byte too long is the wrong size: %s", err.msg);
	block_file(ref2, path, sizeof path);
	tap_ok(truncate(path, 32769) == 0 &&
		       store_get(s, ref2, buf, sizeof buf, &len, &err) == ERIS_E_SIZE,
	       "dir: so is a 32 KiB block file with a byte more: %s", err.msg);
	tap_ok(store_get(s, ref2, buf, 1024, &len, &err) == ERIS_E_SIZE,
	       "dir: a block larger than the caller's buffer: %s", err.msg);
	tap_ok(unlink(path) == 0 && mkfifo(path, 0644) == 0, "dir: a FIFO in place of a block");
	alarm(10); /* a reader that blocks on it fails the test, not hangs it */
	tap_ok(store_get(s, ref2, buf, sizeof buf, &len, &err) != 0,
	       "dir: reading it fails at once: %s", err.msg);
	alarm(0);
	unlink(path);
	store_close(s);

	/* no file in tmp/ after successful puts; stale tmp files of dead writers go */
	snprintf(path, sizeof path, "%s/st/tmp/STALE.999999999.1", root);
	fd = open(path, O_CREAT | O_WRONLY, 0644);
	close(fd);
	snprintf(path, sizeof path, "%s/st/tmp/LIVE.%ld.1", root, (long)getpid());
	fd = open(path, O_CREAT | O_WRONLY, 0644);
	close(fd);
	tap_ok(store_open(&s, spec, STORE_WRITE, &err) == 0, "dir: reopens for writing");
	snprintf(path, sizeof path, "%s/st/tmp/STALE.999999999.1", root);
	tap_ok(access(path, F_OK) != 0, "dir: a dead writer's temporary file is removed");
	snprintf(path, sizeof path, "%s/st/tmp/LIVE.%ld.1", root, (long)getpid());
	tap_ok(access(path, F_OK) == 0, "dir: a live writer's temporary file is kept");
	unlink(path);
	store_close(s);

	/* a directory that is not a store */
	snprintf(path, sizeof path, "%s/plain", root);
	mkdir(path, 0755);
	tap_ok(store_open(&s, path, STORE_READ, &err) != 0 && strstr(err.msg, "not a sigil store"),
	       "dir: a plain directory is not a store: %s", err.msg);
	snprintf(path, sizeof path, "%s/absent", root);
	tap_ok(store_open(&s, path, STORE_READ, &err) == ERIS_E_IO,
	       "dir: a missing store is an error when reading: %s", err.msg);
	snprintf(spec, sizeof spec, "dir:%s/created", root);
	tap_ok(store_open(&s, spec, STORE_CREATE, &err) == 0, "dir: dir:PATH creates a store");
	store_close(s);
	snprintf(path, sizeof path, "%s/created/sigil-store", root);
	tap_ok(access(path, F_OK) == 0, "dir: with its marker file");

	/* an unreadable store (only meaningful when not root) */
	if (geteuid() != 0) {
		snprintf(path, sizeof path, "%s/locked", root);
		mkdir(path, 0);
		tap_ok(store_open(&s, path, STORE_READ, &err) == ERIS_E_IO,
		       "dir: unreadable store: %s", err.msg);
		chmod(path, 0755);
	} else {
		tap_skip("running as root: permissions do not apply", "dir: unreadable store");
	}
}

struct many {
	size_t calls, ok, missing, bad;
	uint8_t seen[8];
};

static int got_one(void *ctx, size_t i, int rc, const uint8_t *block, size_t len)
{
	struct many *m = ctx;

	m->calls++;
	if (i < sizeof m->seen)
		m->seen[i]++;
	if (rc == 0 && block && (len == 1024 || len == 32768))
		m->ok++;
	else if (rc == ERIS_E_MISSING)
		m->missing++;
	else
		m->bad++;
	return 0;
}

/* Batches on every local store, and the read-through chain. */
static void batches_and_chain(void)
{
	uint64_t seed = 99;
	uint8_t b[4][1024], refs[6][32], buf[32768];
	char spec[600], path[600];
	eris_error err = {0};
	store *src = NULL, *c = NULL;
	size_t len;

	for (int i = 0; i < 4; i++)
		make_block(b[i], sizeof b[i], refs[i], &seed);
	tap_fill_random(refs[4], 32, &seed); /* never stored */
	snprintf(spec, sizeof spec, "%s/src", root);
	tap_ok(store_open(&src, spec, STORE_CREATE, &err) == 0, "source store");
	for (int i = 0; i < 4; i++)
		tap_ok(store_put(src, refs[i], b[i], 1024, &err) == 0, "source block %d", i);
	store_close(src);
	/* damage block 3 in the source */
	block_file(refs[3], path, sizeof path);
	{
		char *p = strstr(path, "/st/");
		char fixed[640];
		snprintf(fixed, sizeof fixed, "%.*s/src/%s", (int)(p - path), path, p + 4);
		int fd = open(fixed, O_WRONLY);
		tap_ok(fd >= 0 && pwrite(fd, "Z", 1, 3) == 1, "source block 3 damaged by hand");
		close(fd);
	}
	memcpy(refs[5], refs[0], 32);

	const char *kinds[] = {"dir", "pack"};
	for (int k = 0; k < 2; k++) {
		char one[600];
		if (k == 0)
			snprintf(one, sizeof one, "%s/src", root);
		else
			snprintf(one, sizeof one, "pack:%s/src.pack", root);
		store *t = NULL;
		if (k == 1) {
			tap_ok(store_open(&t, one, STORE_CREATE, &err) == 0, "pack for batches");
			for (int i = 0; i < 3; i++)
				tap_ok(store_put(t, refs[i], b[i], 1024, &err) == 0, "pack block %d", i);
			store_close(t);
		} else {
			tap_ok(store_open(&t, one, STORE_READ, &err) == 0, "dir for batches");
			store_close(t);
		}
		tap_ok(store_open(&t, one, STORE_READ, &err) == 0, "%s: open", kinds[k]);
		struct many m = {0};
		tap_ok(store_get_many(t, (const uint8_t(*)[32])refs, 6, got_one, &m, &err) == 0 &&
			       m.calls == 6 && m.ok == 4 && m.missing == 1 + (k == 1) &&
			       m.bad == (k == 0),
		       "%s: get_many: every index once, 4 good, missing and bad told apart "
		       "(%zu/%zu/%zu)",
		       kinds[k], m.ok, m.missing, m.bad);
		uint8_t present[6];
		tap_ok(store_has_many(t, (const uint8_t(*)[32])refs, 6, present, &err) == 0 &&
			       present[0] && present[1] && present[2] && !present[4] && present[5],
		       "%s: has_many", kinds[k]);
		store_close(t);
	}

	/* chain: mem cache in front of the damaged dir source */
	snprintf(spec, sizeof spec, "%s/cache+%s/src", root, root);
	tap_ok(store_open(&c, spec, STORE_READ, &err) == 0, "chain opens: %s", err.msg);
	tap_ok(store_get(c, refs[1], buf, sizeof buf, &len, &err) == 0 && len == 1024 &&
		       memcmp(buf, b[1], 1024) == 0,
	       "chain: a block from the source");
	tap_ok(store_get(c, refs[3], buf, sizeof buf, &len, &err) != 0,
	       "chain: a damaged source block is refused: %s", err.msg);
	struct many m = {0};
	tap_ok(store_get_many(c, (const uint8_t(*)[32])refs, 5, got_one, &m, &err) == 0 &&
		       m.calls == 5 && m.ok == 3 && m.missing == 1 && m.bad == 1,
	       "chain: get_many answers every index once (%zu ok)", m.ok);
	store_close(c);
	snprintf(spec, sizeof spec, "%s/cache", root);
	tap_ok(store_open(&c, spec, STORE_READ, &err) == 0, "the cache on its own");
	tap_ok(store_has(c, refs[0], &err) == 1 && store_has(c, refs[1], &err) == 1 &&
		       store_has(c, refs[2], &err) == 1,
	       "holds the blocks fetched through the chain");
	tap_ok(store_has(c, refs[3], &err) == 0, "and not the damaged one");
	store_close(c);
}

int main(void)
{
	char spec[300];
	store *s = NULL;
	eris_error err = {0};

	if (sodium_init() < 0)
		return 1;
	snprintf(root, sizeof root, "%s/sigil-test-store.XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(root)) {
		tap_ok(0, "temporary directory");
		return tap_done();
	}
	snprintf(spec, sizeof spec, "%s/st", root);
	common(spec, "dir");
	common("mem:", "mem");
	dir_specific();
	batches_and_chain();
	tap_ok(store_open(&s, "s3:/x", STORE_READ, &err) == ERIS_E_ARG,
	       "unknown store type is an error: %s", err.msg);
	tap_ok(store_open(&s, "", STORE_READ, &err) == ERIS_E_ARG, "empty store name is an error");
	char cmd[400];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
	if (system(cmd) != 0)
		tap_diag("could not remove %s", root);
	return tap_done();
}
