/*
 * suite.c — the directory-walking and counting helpers of suite.h, shared by
 * the conformance tests (test_dhall_parser, test_dhall_binary, …).
 */
#include "suite.h"
#include "tap.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "banned.h"

char *suite_slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap);
	while (buf) {
		if (n + 1 >= cap) {
			char *b = realloc(buf, cap *= 2);
			if (!b) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = b;
		}
		size_t r = fread(buf + n, 1, cap - n - 1, f);
		if (r == 0)
			break;
		n += r;
	}
	fclose(f);
	if (!buf)
		return NULL;
	buf[n] = 0;
	*len = n;
	return buf;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void suite_walk(const char *dir, const char *cat,
		void (*fn)(const char *path, const char *cat, void *ctx), void *ctx)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	size_t n = 0, cap = 256;
	char **names = malloc(cap * sizeof *names);
	struct dirent *de;
	while (names && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		if (n == cap) {
			char **nn = realloc(names, (cap *= 2) * sizeof *names);
			if (!nn)
				break;
			names = nn;
		}
		names[n++] = strdup(de->d_name);
	}
	closedir(d);
	if (!names)
		return;
	qsort(names, n, sizeof *names, cmp_str);
	for (size_t i = 0; i < n; i++) {
		char path[4096], sub[512];
		snprintf(path, sizeof path, "%s/%s", dir, names[i]);
		struct stat st;
		if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
			snprintf(sub, sizeof sub, "%s/%s", cat, names[i]);
			suite_walk(path, sub, fn, ctx);
		} else {
			fn(path, cat, ctx);
		}
		free(names[i]);
	}
	free(names);
}

int suite_ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);
	return n >= k && strcmp(s + n - k, suffix) == 0;
}

static struct {
	char name[320];
	int pass, total;
} counts[64];
static int ncounts;

void suite_count(const char *category, int passed)
{
	int i;
	for (i = 0; i < ncounts; i++)
		if (strcmp(counts[i].name, category) == 0)
			break;
	if (i == ncounts) {
		if (ncounts == 64)
			i = 63;
		else
			snprintf(counts[ncounts++].name, sizeof counts[0].name, "%s", category);
	}
	counts[i].total++;
	counts[i].pass += passed != 0;
}

int suite_print_counts(void)
{
	for (int i = 0; i < ncounts; i++)
		tap_diag("%-36s %d/%d", counts[i].name, counts[i].pass, counts[i].total);
	return ncounts;
}
