/*
 * pack_bench.c — the pack store against its physical limits, in one run.
 *
 *   random get   65,536 random 1 KiB blocks (and 2,048 32 KiB ones) read back
 *                in a shuffled order through store_get_raw (index lookup,
 *                record check, copy out), against pread of the same payloads
 *                at offsets known in advance — the limit: the same bytes
 *                from the same page cache with no lookup. Verification
 *                (one BLAKE2b per block, what store_get adds) is timed on
 *                its own and reported beside it. Target >= 0.8.
 *   put          encoding 128 MiB straight into a pack (eris encoder, one
 *                thread, leaves placed in the pack's write buffer ->
 *                store_eris_put -> close, which writes the index and syncs)
 *                against the same encoding with no store at all. Target >= 0.8.
 *
 * Files live in $TMPDIR (default /tmp). Best of 3 for each figure.
 */
#include "eris/eris.h"
#include "store/store.h"

#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "banned.h"

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int missed;

static void report(const char *name, double ours, const char *peer, double limit, double target)
{
	double ratio = ours / limit;
	int pass = ratio >= target;

	missed += !pass;
	printf("%-26s %8.1f MiB/s  %-8s %8.1f MiB/s  ratio %.2f (target >= %.2f)  %s\n", name, ours,
	       peer, limit, ratio, target, pass ? "PASS" : "MISS");
}

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* Random gets of n blocks of size bs. */
static int random_gets(const char *dir, size_t n, size_t bs)
{
	char path[512], spec[520];
	uint8_t(*refs)[ERIS_REF_SIZE] = malloc(n * ERIS_REF_SIZE);
	uint64_t *offs = malloc(n * sizeof *offs);
	size_t *order = malloc(n * sizeof *order);
	uint8_t *block = malloc(bs), *buf = malloc(ERIS_BLOCK_MAX);
	uint8_t key[32] = {7}, nonce[12] = {0};
	eris_error err = {0};
	store *s = NULL;
	uint64_t seed = 0x9e3779b97f4a7c15ull;
	double best_lim = 1e9, best_get = 1e9, best_ver = 1e9;
	int fd = -1, rc = 1;

	snprintf(path, sizeof path, "%s/bench-%zu.pack", dir, bs);
	snprintf(spec, sizeof spec, "pack:%s", path);
	unlink(path);
	if (!refs || !offs || !order || !block || !buf ||
	    store_open(&s, spec, STORE_CREATE, &err) != 0)
		goto out;
	for (size_t i = 0; i < n; i++) {
		crypto_stream_chacha20_ietf_xor_ic(block, (uint8_t[ERIS_BLOCK_32K]){0}, bs, nonce,
						   (uint32_t)(i * (bs / 64)), key);
		crypto_generichash(refs[i], ERIS_REF_SIZE, block, bs, NULL, 0);
		if (store_put(s, refs[i], block, bs, &err) != 0)
			goto out;
		/* records are 64-byte header + payload, back to back from 12288 */
		offs[i] = 12288 + (uint64_t)i * (64 + bs) + 64;
		order[i] = i;
	}
	store_close(s);
	s = NULL;
	for (size_t i = n - 1; i > 0; i--) {
		size_t j = (size_t)(rnd(&seed) % (i + 1)), t = order[i];
		order[i] = order[j];
		order[j] = t;
	}
	fd = open(path, O_RDONLY);
	if (fd < 0 || store_open(&s, spec, STORE_READ, &err) != 0)
		goto out;
	for (int r = 0; r < 3; r++) {
		double t0 = now();
		for (size_t i = 0; i < n; i++)
			if (pread(fd, buf, bs, (off_t)offs[order[i]]) != (ssize_t)bs)
				goto out;
		double t1 = now();
		for (size_t i = 0; i < n; i++) {
			size_t len;
			if (store_get_raw(s, refs[order[i]], buf, ERIS_BLOCK_MAX, &len, &err) != 0)
				goto out;
		}
		double t2 = now();
		for (size_t i = 0; i < n; i++) {
			uint8_t h[32];
			crypto_generichash(h, sizeof h, buf, bs, NULL, 0);
		}
		double t3 = now();
		if (t1 - t0 < best_lim)
			best_lim = t1 - t0;
		if (t2 - t1 < best_get)
			best_get = t2 - t1;
		if (t3 - t2 < best_ver)
			best_ver = t3 - t2;
	}
	double mib = (double)n * (double)bs / 1048576.0;
	char name[64];
	snprintf(name, sizeof name, "pack get %zuKiB random:", bs / 1024);
	report(name, mib / best_get, "pread", mib / best_lim, 0.8);
	printf("#   verification on top (BLAKE2b of each block): %.1f MiB/s alone; get + verify "
	       "%.1f MiB/s\n",
	       mib / best_ver, mib / (best_get + best_ver));
	rc = 0;
out:
	if (rc)
		fprintf(stderr, "pack_bench: %s\n", err.msg[0] ? err.msg : "failed");
	if (fd >= 0)
		close(fd);
	store_close(s);
	unlink(path);
	free(refs);
	free(offs);
	free(order);
	free(block);
	free(buf);
	return rc;
}

/* One encoder thread either way; into a pack, leaves are encrypted straight
 * into its write buffer (store_eris_place), as `eris put` does. */
static int encode_into(const uint8_t *data, size_t len, store *s, eris_error *err)
{
	eris_encoder *enc = NULL;
	eris_cap cap;
	int rc = eris_encoder_new(&enc, ERIS_BLOCK_32K, NULL, 1, s ? store_eris_put : NULL, s);

	if (rc != 0)
		return eris_error_set(err, rc, "cannot create encoder");
	if (s)
		eris_encoder_set_place(enc, store_eris_place);
	rc = eris_encoder_update(enc, data, len, err);
	if (rc == 0)
		rc = eris_encoder_final(enc, &cap, err);
	eris_encoder_free(enc);
	return rc;
}

static int put_throughput(const char *dir)
{
	size_t len = 128u << 20;
	uint8_t *data = malloc(len), key[32] = {9}, nonce[12] = {0};
	char path[512], spec[520];
	double best_raw = 1e9, best_pack = 1e9;
	eris_error err = {0};
	int rc = 1;

	if (!data)
		return 1;
	memset(data, 0, len);
	crypto_stream_chacha20_ietf_xor(data, data, len, nonce, key);
	snprintf(path, sizeof path, "%s/bench-put.pack", dir);
	snprintf(spec, sizeof spec, "pack:%s", path);
	for (int r = 0; r < 3; r++) {
		store *s = NULL;
		unlink(path); /* the last round's file: removing it is no part of a put */
		double t0 = now();
		if (encode_into(data, len, NULL, &err) != 0)
			goto out;
		double t1 = now();
		if (store_open(&s, spec, STORE_CREATE, &err) != 0 || encode_into(data, len, s, &err) != 0)
			goto out;
		store_close(s); /* writes the index and syncs: part of the cost */
		double t2 = now();
		if (t1 - t0 < best_raw)
			best_raw = t1 - t0;
		if (t2 - t1 < best_pack)
			best_pack = t2 - t1;
	}
	report("pack put 32KiB (encode):", 128.0 / best_pack, "encode", 128.0 / best_raw, 0.8);
	rc = 0;
out:
	if (rc)
		fprintf(stderr, "pack_bench: %s\n", err.msg[0] ? err.msg : "failed");
	unlink(path);
	free(data);
	return rc;
}

int main(void)
{
	const char *dir = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";

	if (sodium_init() < 0)
		return 1;
	printf("# pack store: random gets against pread at known offsets; puts against bare "
	       "encoding (best of 3)\n");
	if (random_gets(dir, 65536, ERIS_BLOCK_1K) || random_gets(dir, 2048, ERIS_BLOCK_32K) ||
	    put_throughput(dir))
		return 1;
	if (missed)
		printf("# %d pack target%s MISSED\n", missed, missed == 1 ? "" : "s");
	return 0;
}
