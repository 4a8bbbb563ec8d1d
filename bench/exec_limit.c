/*
 * exec_limit.c — the least time verifying a closure can take on this machine:
 * the libsodium work `sigil exec` must do for every byte of the files given
 * (as ERIS decoding does it: per block, BLAKE2b-256 of the ciphertext against
 * its reference, then ChaCha20), with no store, tree walk, copy or file
 * system. Block size per file as `sigil import` picks it
 * (eris_auto_block_size); internal nodes (one per 512 or 16 blocks, per
 * level) are counted as blocks too.
 *
 *   exec_limit FILE...   prints "bytes B blocks K ms1 X ms2 Y": best of 7
 *                        rounds with one thread, and with two threads taking
 *                        every other block (the ideal split of the work over
 *                        two cores; bench/exec.sh reads this line).
 */
#include "eris/eris.h"

#include <fcntl.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "banned.h"

struct file {
	uint8_t *data; /* whole blocks, zero padded */
	size_t blocks, bs;
};

struct job {
	struct file *f;
	size_t n, first, step;
};

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void *verify(void *arg)
{
	const struct job *j = arg;
	uint8_t h[32], key[32] = {3}, nonce[12] = {0}, out[ERIS_BLOCK_MAX];

	for (size_t i = 0; i < j->n; i++)
		for (size_t b = j->first; b < j->f[i].blocks; b += j->step) {
			const uint8_t *blk = j->f[i].data + b * j->f[i].bs;
			crypto_generichash(h, sizeof h, blk, j->f[i].bs, NULL, 0);
			crypto_stream_chacha20_ietf_xor(out, blk, j->f[i].bs, nonce, key);
		}
	return NULL;
}

int main(int argc, char **argv)
{
	struct file *f = calloc((size_t)argc, sizeof *f);
	size_t n = 0, bytes = 0, blocks = 0;
	double best1 = 1e9, best2 = 1e9;

	if (sodium_init() < 0 || !f || argc < 2)
		return 2;
	for (int i = 1; i < argc; i++) {
		int fd = open(argv[i], O_RDONLY | O_CLOEXEC);
		struct stat st;
		if (fd < 0 || fstat(fd, &st) != 0) {
			fprintf(stderr, "exec_limit: %s: cannot read\n", argv[i]);
			return 2;
		}
		size_t len = (size_t)st.st_size, bs = eris_auto_block_size(len);
		size_t leaves = len / bs + 1, all = leaves;
		for (size_t level = leaves, arity = bs / 64; level > 1;) {
			level = (level + arity - 1) / arity;
			all += level;
		}
		f[n].bs = bs;
		f[n].blocks = all;
		f[n].data = calloc(all, bs);
		if (!f[n].data || read(fd, f[n].data, len) != (ssize_t)len) {
			fprintf(stderr, "exec_limit: %s: cannot read\n", argv[i]);
			return 2;
		}
		close(fd);
		bytes += len;
		blocks += all;
		n++;
	}
	for (int r = 0; r < 7; r++) {
		struct job one = {f, n, 0, 1}, a = {f, n, 0, 2}, b = {f, n, 1, 2};
		pthread_t t;
		double t0 = now();
		verify(&one);
		double t1 = now();
		if (pthread_create(&t, NULL, verify, &b) != 0)
			return 2;
		verify(&a);
		pthread_join(t, NULL);
		double t2 = now();
		if (t1 - t0 < best1)
			best1 = t1 - t0;
		if (t2 - t1 < best2)
			best2 = t2 - t1;
	}
	printf("bytes %zu blocks %zu ms1 %.2f ms2 %.2f\n", bytes, blocks, best1 * 1e3, best2 * 1e3);
	for (size_t i = 0; i < n; i++)
		free(f[i].data);
	free(f);
	return 0;
}
