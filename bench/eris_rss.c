/*
 * eris_rss.c — peak memory of the `eris` tool streaming large content.
 *
 * The encoder and decoder promise bounded memory: O(levels × block size)
 * plus a fixed batch, whatever the content length. This checks the promise
 * where it matters, in the real tool on real sizes, by running build/bin/eris
 * as a child and reading its peak resident set from wait4() (ru_maxrss, the
 * kernel's high-water mark of that one process, threads included). The
 * limit is a fixed budget, 64 MiB: content is 1 GiB, so any design that
 * buffers content, blocks or the tree's leaves would blow through it.
 *
 *   sum 32KiB / 1KiB  N MiB of pseudo-random content written by this process
 *                     into a pipe on `eris sum -b SIZE -` (default threads)
 *   put 32KiB         `eris put -s DIR/store -b 32KiB DIR/content` of an N MiB
 *                     file (one fdatasync'ed file per block: the slow one)
 *   get 32KiB         `eris get -s DIR/store URN` decoding it back to a pipe;
 *                     this process compares every byte with the content
 *
 * The content is ChaCha20 keystream under a fixed key, 1 MiB at a time with
 * the chunk index as nonce, so it never repeats (a store would deduplicate
 * repeated blocks) and this process never holds more than two chunks. That
 * matters: a forked child inherits its parent's resident pages until exec,
 * and Linux counts them in the child's ru_maxrss, so a large parent would
 * inflate the figure. Throughput is printed too, for information only: it
 * includes the generator, the pipe and, for put, the disk.
 *
 * The URNs of sum and put must agree (same content, block size and secret).
 * Exits 0 whatever the figures; 1 when a child fails or output is wrong.
 *
 * Usage: eris_rss ERIS_BINARY WORKDIR [MiB]   (WORKDIR exists and is empty)
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "eris/eris.h"

#include "banned.h"

enum { CHUNK = 1 << 20, RSS_LIMIT_MIB = 64 };

#define MIB (1024.0 * 1024.0)

static const uint8_t gen_key[crypto_stream_chacha20_KEYBYTES] = {'s', 'i', 'g', 'i', 'l', 'r'};

static const char *g_eris, *g_dir;
static int g_missed;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Chunk `i` of the content: 1 MiB of keystream with nonce = i. */
static void gen_chunk(uint8_t *buf, uint64_t i)
{
	uint8_t nonce[crypto_stream_chacha20_NONCEBYTES] = {0};

	for (size_t b = 0; b < sizeof nonce; b++)
		nonce[b] = (uint8_t)(i >> (8 * b));
	crypto_stream_chacha20(buf, CHUNK, nonce, gen_key);
}

static int write_all(int fd, const uint8_t *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Reads exactly len bytes unless EOF comes first; returns the count or -1. */
static ssize_t read_full(int fd, uint8_t *p, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = read(fd, p + got, len - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

/* A running child: its pid and our ends of its stdin and stdout (-1 when
 * not piped). Its stderr goes to WORKDIR/stderr, shown when it fails. */
struct child {
	pid_t pid;
	int in, out;
	char errpath[4096];
};

static int spawn(struct child *c, char *const argv[], int pipe_in)
{
	int pin[2] = {-1, -1}, pout[2] = {-1, -1}, errfd;

	c->pid = -1;
	c->in = c->out = -1;
	snprintf(c->errpath, sizeof c->errpath, "%s/stderr", g_dir);
	errfd = open(c->errpath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (errfd < 0 || (pipe_in && pipe2(pin, O_CLOEXEC) != 0) || pipe2(pout, O_CLOEXEC) != 0) {
		fprintf(stderr, "eris_rss: %s\n", strerror(errno));
		goto fail;
	}
	fflush(stdout);
	c->pid = fork();
	if (c->pid < 0) {
		fprintf(stderr, "eris_rss: fork: %s\n", strerror(errno));
		goto fail;
	}
	if (c->pid == 0) {
		int devnull = open("/dev/null", O_RDONLY);
		if (dup2(pipe_in ? pin[0] : devnull, STDIN_FILENO) < 0 ||
		    dup2(pout[1], STDOUT_FILENO) < 0 || dup2(errfd, STDERR_FILENO) < 0)
			_exit(127);
		execv(argv[0], argv);
		_exit(127);
	}
	close(errfd);
	if (pipe_in) {
		close(pin[0]);
		c->in = pin[1];
	}
	close(pout[1]);
	c->out = pout[0];
	return 0;
fail:
	if (errfd >= 0)
		close(errfd);
	for (int i = 0; i < 2; i++) {
		if (pin[i] >= 0)
			close(pin[i]);
		if (pout[i] >= 0)
			close(pout[i]);
	}
	return -1;
}

/* Waits for the child; *rss_kib gets its peak RSS. Returns 0 when it exited 0. */
static int reap(struct child *c, long *rss_kib)
{
	struct rusage ru;
	int status = 0;
	pid_t r;

	if (c->in >= 0)
		close(c->in);
	if (c->out >= 0)
		close(c->out);
	c->in = c->out = -1;
	do
		r = wait4(c->pid, &status, 0, &ru);
	while (r < 0 && errno == EINTR);
	if (r < 0) {
		fprintf(stderr, "eris_rss: wait4: %s\n", strerror(errno));
		return -1;
	}
	*rss_kib = ru.ru_maxrss;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFSIGNALED(status))
		fprintf(stderr, "eris_rss: %s died of signal %d; its stderr:\n", g_eris,
			WTERMSIG(status));
	else
		fprintf(stderr, "eris_rss: %s exited %d; its stderr:\n", g_eris, WEXITSTATUS(status));
	FILE *f = fopen(c->errpath, "r");
	if (f) {
		char line[512];
		while (fgets(line, sizeof line, f))
			fputs(line, stderr);
		fclose(f);
	}
	return -1;
}

/* Reads the child's "URN  NAME" line into urn (ERIS_URN_LEN + 1 bytes). */
static int read_urn(struct child *c, char *urn)
{
	char line[512];
	ssize_t n = read_full(c->out, (uint8_t *)line, sizeof line - 1);

	if (n < ERIS_URN_LEN || strncmp(line, "urn:eris:", 9) != 0) {
		fprintf(stderr, "eris_rss: no urn in the output of %s\n", g_eris);
		return -1;
	}
	memcpy(urn, line, ERIS_URN_LEN);
	urn[ERIS_URN_LEN] = '\0';
	return 0;
}

static void report(const char *name, long rss_kib, uint64_t mib, double secs)
{
	double rss = (double)rss_kib / 1024.0, ratio = rss / RSS_LIMIT_MIB;
	int pass = ratio <= 1.0;

	if (!pass)
		g_missed++;
	printf("%-26s %8.1f MiB    limit    %8.1f MiB    ratio %.2f (target <= 1.00)  %s"
	       "  [%llu MiB in %.1f s: %.0f MiB/s]\n",
	       name, rss, (double)RSS_LIMIT_MIB, ratio, pass ? "PASS" : "MISS",
	       (unsigned long long)mib, secs, (double)mib / secs);
	fflush(stdout);
}

static int bench_sum(uint64_t mib, const char *bs, char *urn, uint8_t *buf)
{
	char *argv[] = {(char *)g_eris, "sum", "-b", (char *)bs, "-", NULL};
	char name[64];
	struct child c;
	long rss = 0;
	double t0 = now();
	int ok = 0;

	if (spawn(&c, argv, 1) != 0)
		return -1;
	for (uint64_t i = 0; i < mib; i++) {
		gen_chunk(buf, i);
		if (write_all(c.in, buf, CHUNK) != 0) {
			fprintf(stderr, "eris_rss: writing to eris sum: %s\n", strerror(errno));
			ok = -1;
			break;
		}
	}
	close(c.in);
	c.in = -1;
	if (ok == 0)
		ok = read_urn(&c, urn);
	if (reap(&c, &rss) != 0 || ok != 0)
		return -1;
	snprintf(name, sizeof name, "rss sum %s stdin:", bs);
	report(name, rss, mib, now() - t0);
	return 0;
}

static int make_file(const char *path, uint64_t mib, uint8_t *buf)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	if (fd < 0) {
		fprintf(stderr, "eris_rss: %s: %s\n", path, strerror(errno));
		return -1;
	}
	for (uint64_t i = 0; i < mib; i++) {
		gen_chunk(buf, i);
		if (write_all(fd, buf, CHUNK) != 0) {
			fprintf(stderr, "eris_rss: %s: %s\n", path, strerror(errno));
			close(fd);
			return -1;
		}
	}
	return close(fd);
}

static int bench_put(uint64_t mib, const char *file, const char *store, char *urn)
{
	char *argv[] = {(char *)g_eris, "put", "-s", (char *)store, "-b", "32KiB", (char *)file,
			NULL};
	struct child c;
	long rss = 0;
	double t0 = now();
	int ok;

	if (spawn(&c, argv, 0) != 0)
		return -1;
	ok = read_urn(&c, urn);
	if (reap(&c, &rss) != 0 || ok != 0)
		return -1;
	report("rss put 32KiB dir store:", rss, mib, now() - t0);
	return 0;
}

static int bench_get(uint64_t mib, const char *store, const char *urn, uint8_t *buf,
		     uint8_t *want)
{
	char *argv[] = {(char *)g_eris, "get", "-s", (char *)store, (char *)urn, NULL};
	struct child c;
	long rss = 0;
	double t0 = now();
	ssize_t n = 0;
	int ok = 0;

	if (spawn(&c, argv, 0) != 0)
		return -1;
	for (uint64_t i = 0; i < mib && ok == 0; i++) {
		gen_chunk(want, i);
		n = read_full(c.out, buf, CHUNK);
		if (n != CHUNK || memcmp(buf, want, CHUNK) != 0) {
			fprintf(stderr, "eris_rss: eris get output differs in MiB %llu\n",
				(unsigned long long)i);
			ok = -1;
		}
	}
	if (ok == 0 && read_full(c.out, buf, 1) != 0) {
		fprintf(stderr, "eris_rss: eris get wrote more than %llu MiB\n",
			(unsigned long long)mib);
		ok = -1;
	}
	if (ok != 0)
		kill(c.pid, SIGTERM);
	if (reap(&c, &rss) != 0 || ok != 0)
		return -1;
	report("rss get 32KiB dir store:", rss, mib, now() - t0);
	return 0;
}

int main(int argc, char **argv)
{
	char urn_sum[ERIS_URN_LEN + 1], urn_put[ERIS_URN_LEN + 1], urn_1k[ERIS_URN_LEN + 1];
	char file[4096], store[4096];
	unsigned long mib = 1024;
	uint8_t *buf = NULL, *want = NULL;
	int status = 1;

	if (argc < 3 || argc > 4 ||
	    (argc == 4 && ((mib = strtoul(argv[3], NULL, 10)) == 0 || mib > 65536))) {
		fprintf(stderr, "usage: eris_rss ERIS_BINARY WORKDIR [MiB]\n");
		return 2;
	}
	g_eris = argv[1];
	g_dir = argv[2];
	if (sodium_init() < 0) {
		fprintf(stderr, "eris_rss: libsodium failed to initialise\n");
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	buf = malloc(CHUNK);
	want = malloc(CHUNK);
	if (!buf || !want) {
		fprintf(stderr, "eris_rss: out of memory\n");
		goto out;
	}
	snprintf(file, sizeof file, "%s/content", g_dir);
	snprintf(store, sizeof store, "%s/store", g_dir);
	printf("# %lu MiB of pseudo-random content through build/bin/eris; peak RSS of the child "
	       "from wait4\n",
	       mib);

	if (bench_sum(mib, "32KiB", urn_sum, buf) != 0 || bench_sum(mib, "1KiB", urn_1k, buf) != 0)
		goto out;
	if (make_file(file, mib, buf) != 0 || bench_put(mib, file, store, urn_put) != 0)
		goto out;
	if (strcmp(urn_sum, urn_put) != 0) {
		fprintf(stderr, "eris_rss: sum and put disagree:\n  %s\n  %s\n", urn_sum, urn_put);
		goto out;
	}
	unlink(file);
	if (bench_get(mib, store, urn_put, buf, want) != 0)
		goto out;
	if (g_missed)
		printf("# %d memory target%s MISSED\n", g_missed, g_missed == 1 ? "" : "s");
	status = 0;
out:
	free(buf);
	free(want);
	return status;
}
