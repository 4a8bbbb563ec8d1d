/*
 * driver.c — runs a libFuzzer target over files, without libFuzzer.
 *
 * Every fuzz/fuzz_*.c defines LLVMFuzzerTestOneInput. Built by clang with
 * -fsanitize=fuzzer it becomes a real fuzzer (build/libfuzzer/, `make fuzz`);
 * linked with this file by any C compiler it becomes a replay tool
 * (build/fuzz/, and build/asan/fuzz/ with ASan+UBSan) that `make check` runs
 * over the seed corpus fuzz/corpus/fuzz_X/, so every seed is a regression
 * test on every build.
 *
 *   build/fuzz/fuzz_X FILE|DIR...
 *
 * Each argument is a file, or a directory whose regular files are all run
 * (sorted by name with strcmp, so the order does not depend on the locale;
 * sub-directories are not entered). Each input is read into a heap buffer of
 * exactly its size, as libFuzzer does, so the sanitizers see any read past its
 * end. Output is TAP: "ok N - fuzz_X: FILE" per input, then "1..N".
 *
 * A target reports a failed property by crashing (abort(), a sanitizer
 * report): the process dies and the runner sees a non-zero exit. The driver
 * itself fails only when an input cannot be read: it prints "not ok", goes on
 * with the rest and exits 1.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct run {
	const char *name; /* the target, for the TAP lines */
	unsigned n;       /* inputs so far */
	int failed;
};

/* Reads the whole of `path` into a fresh buffer of exactly its size (at least
 * one byte is allocated, so an empty file still gets a valid pointer).
 * Returns 0, or -1 with errno set. The caller frees *out. */
static int read_file(const char *path, uint8_t **out, size_t *len)
{
	uint8_t *buf = NULL;
	struct stat st;
	size_t size, got = 0;
	int fd = -1, rc = -1, saved;

	*out = NULL;
	*len = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		goto out;
	if (fstat(fd, &st) != 0)
		goto out;
	if (!S_ISREG(st.st_mode)) {
		errno = EINVAL;
		goto out;
	}
	size = (size_t)st.st_size;
	buf = malloc(size ? size : 1);
	if (!buf)
		goto out;
	while (got < size) {
		ssize_t n = read(fd, buf + got, size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto out;
		if (n == 0) { /* shrank under us */
			errno = EIO;
			goto out;
		}
		got += (size_t)n;
	}
	*out = buf;
	*len = size;
	buf = NULL;
	rc = 0;
out:
	saved = errno;
	free(buf);
	if (fd >= 0)
		close(fd);
	errno = saved;
	return rc;
}

static void run_one(struct run *r, const char *path)
{
	uint8_t *data = NULL;
	size_t len = 0;

	r->n++;
	if (read_file(path, &data, &len) != 0) {
		printf("not ok %u - %s: %s: cannot read: %s\n", r->n, r->name, path,
		       strerror(errno));
		r->failed = 1;
		return;
	}
	/* flush first: if the target crashes, the log shows which input did it */
	printf("# %s: %s (%zu bytes)\n", r->name, path, len);
	fflush(stdout);
	LLVMFuzzerTestOneInput(data, len);
	free(data);
	printf("ok %u - %s: %s\n", r->n, r->name, path);
	fflush(stdout);
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Runs every regular file directly inside `dir`, in strcmp order. */
static void run_dir(struct run *r, const char *dir)
{
	DIR *d = NULL;
	struct dirent *e;
	char **names = NULL, *path = NULL;
	size_t n = 0, cap = 0;

	d = opendir(dir);
	if (!d)
		goto fail;
	while ((errno = 0, e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 64;
			char **nn = realloc(names, ncap * sizeof *nn);
			if (!nn)
				goto fail;
			names = nn;
			cap = ncap;
		}
		names[n] = strdup(e->d_name);
		if (!names[n])
			goto fail;
		n++;
	}
	if (errno != 0)
		goto fail;
	if (n) /* qsort wants a non-NULL array even for none */
		qsort(names, n, sizeof *names, cmp_names);
	for (size_t i = 0; i < n; i++) {
		struct stat st;
		size_t plen = strlen(dir) + strlen(names[i]) + 2;
		free(path);
		path = malloc(plen);
		if (!path)
			goto fail;
		snprintf(path, plen, "%s/%s", dir, names[i]);
		if (stat(path, &st) == 0 && !S_ISREG(st.st_mode))
			continue; /* sub-directories, fifos: not inputs */
		run_one(r, path);
	}
	goto out;
fail:
	r->n++;
	printf("not ok %u - %s: %s: cannot list: %s\n", r->n, r->name, dir,
	       strerror(errno ? errno : ENOMEM));
	r->failed = 1;
out:
	free(path);
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	if (d)
		closedir(d);
}

int main(int argc, char **argv)
{
	struct run r = {"fuzz", 0, 0};
	const char *slash;

	if (argc > 0 && argv[0]) {
		slash = strrchr(argv[0], '/');
		r.name = slash ? slash + 1 : argv[0];
	}
	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE|DIR...\n", r.name);
		return 2;
	}
	for (int i = 1; i < argc; i++) {
		struct stat st;
		if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode))
			run_dir(&r, argv[i]);
		else
			run_one(&r, argv[i]);
	}
	printf("1..%u\n", r.n);
	return r.failed ? 1 : 0;
}
