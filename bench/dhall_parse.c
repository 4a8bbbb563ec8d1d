/*
 * dhall_parse.c — Dhall parse + binary-encode throughput on large inputs,
 * single-threaded, against a scan of the same bytes measured in the same run.
 *
 *   build/bench/dhall_parse NAME FILE|DIR [NAME FILE|DIR]...
 *
 * Each input is a file, or a directory whose *.dhall files (recursively)
 * are parsed one by one (the Prelude). Each input is parsed and encoded
 * repeatedly for at least a second (fresh arena every time, as a real run
 * has); the MB/s is source bytes per second. The reference line is a byte
 * scan of the same buffers (counting newlines with memchr): the speed at
 * which the machine can merely look at the input, so the ratio travels
 * between machines better than the absolute figure. Target: >= 100 MB/s.
 */
#include "dhall/dhall.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>

#include "banned.h"

struct input {
	char **buf;
	size_t *len;
	size_t n, cap, total;
};

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* CPU seconds this process has spent in user mode and in the kernel. */
static void cpu_times(double *user, double *sys)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	*user = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6;
	*sys = (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static int add_file(struct input *in, const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return -1;
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	rewind(f);
	char *b = malloc((size_t)n + 1);
	if (!b || fread(b, 1, (size_t)n, f) != (size_t)n) {
		fclose(f);
		free(b);
		return -1;
	}
	fclose(f);
	if (in->n == in->cap) {
		in->cap = in->cap ? in->cap * 2 : 64;
		in->buf = realloc(in->buf, in->cap * sizeof *in->buf);
		in->len = realloc(in->len, in->cap * sizeof *in->len);
	}
	in->buf[in->n] = b;
	in->len[in->n++] = (size_t)n;
	in->total += (size_t)n;
	return 0;
}

static int add_dir(struct input *in, const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	if (!d)
		return -1;
	while ((de = readdir(d))) {
		char path[4096];
		struct stat st;
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
		if (stat(path, &st))
			continue;
		if (S_ISDIR(st.st_mode))
			add_dir(in, path);
		else if (strlen(de->d_name) > 6 && strcmp(de->d_name + strlen(de->d_name) - 6, ".dhall") == 0)
			add_file(in, path);
	}
	closedir(d);
	return 0;
}

int main(int argc, char **argv)
{
	int misses = 0;
	if (argc < 3 || argc % 2 == 0) {
		fprintf(stderr, "usage: dhall_parse NAME FILE|DIR...\n");
		return 2;
	}
	for (int a = 1; a + 1 < argc; a += 2) {
		struct input in = {0};
		struct stat st;
		if (stat(argv[a + 1], &st) ||
		    (S_ISDIR(st.st_mode) ? add_dir(&in, argv[a + 1]) : add_file(&in, argv[a + 1])) ||
		    !in.n) {
			fprintf(stderr, "dhall_parse: cannot read %s\n", argv[a + 1]);
			return 1;
		}
		/* parse + encode */
		size_t bytes = 0, out = 0;
		int rounds = 0;
		double u0, s0k, u1, s1k;
		cpu_times(&u0, &s0k);
		double t0 = now(), t;
		do {
			for (size_t i = 0; i < in.n; i++) {
				struct dhall_arena arena;
				struct dhall_err err;
				struct dhall_expr *e;
				struct dhall_buf b = {0};
				dhall_arena_init(&arena);
				if (dhall_parse(&arena, in.buf[i], in.len[i], "in", &e, &err) ||
				    dhall_encode(e, &b)) {
					fprintf(stderr, "dhall_parse: %s: %u:%u: %s\n", argv[a], err.line, err.col,
						err.msg);
					return 1;
				}
				out += b.len;
				bytes += in.len[i];
				dhall_buf_free(&b);
				dhall_arena_free(&arena);
			}
			rounds++;
			t = now() - t0;
		} while (t < 1.0 || rounds < 3);
		cpu_times(&u1, &s1k);
		double mbs = (double)bytes / t / 1e6;
		/* the scan of the same bytes */
		size_t sbytes = 0, lines = 0;
		double s0 = now(), s;
		do {
			for (size_t i = 0; i < in.n; i++) {
				const char *p = in.buf[i], *end = p + in.len[i];
				while ((p = memchr(p, '\n', (size_t)(end - p)))) {
					lines++;
					p++;
				}
				sbytes += in.len[i];
			}
			s = now() - s0;
		} while (s < 0.3);
		double scan = (double)sbytes / s / 1e6;
		int pass = mbs >= 100.0;
		misses += !pass;
		printf("dhall %-10s %zu files, %.2f MB: parse+encode %.1f MB/s (%d rounds, %zu B of CBOR per "
		       "round) — target >= 100 MB/s %s; a memchr scan of the same bytes: %.0f MB/s "
		       "(ratio %.3f)\n",
		       argv[a], in.n, (double)in.total / 1e6, mbs, rounds, out / (size_t)rounds,
		       pass ? "PASS" : "MISS", scan, mbs / scan);
		/* where the time went: the kernel's part is mostly faulting in
		 * and zeroing fresh pages for the tree (arena chunks) */
		printf("dhall %-10s CPU: user %.2f s, system %.2f s (%.0f%%); at user time alone %.1f MB/s\n",
		       argv[a], u1 - u0, s1k - s0k,
		       100.0 * (s1k - s0k) / (u1 - u0 + s1k - s0k > 0 ? u1 - u0 + s1k - s0k : 1),
		       u1 - u0 > 0 ? (double)bytes / (u1 - u0) / 1e6 : 0.0);
		(void)lines;
		for (size_t i = 0; i < in.n; i++)
			free(in.buf[i]);
		free(in.buf);
		free(in.len);
	}
	(void)misses;
	return 0;
}
