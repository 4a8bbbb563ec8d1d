/*
 * suite.h — helpers for the conformance tests that walk a directory of test
 * files (the Dhall standard's suite): reading a file whole, visiting every
 * file under a directory in a stable order, and per-category pass counts.
 */
#ifndef SIGIL_SUITE_H
#define SIGIL_SUITE_H

#include <stddef.h>

/* The whole file, NUL-terminated (malloc'd; *len without the NUL), or NULL. */
char *suite_slurp(const char *path, size_t *len);

/* Calls fn(path, category, ctx) for every file under dir, recursively, in
 * strcmp order of names; category is `cat` extended by the sub-directory
 * names ("./unit/import"). Names starting with '.' are skipped. */
void suite_walk(const char *dir, const char *cat,
		void (*fn)(const char *path, const char *cat, void *ctx), void *ctx);

/* True when s ends with suffix. */
int suite_ends_with(const char *s, const char *suffix);

/* Per-category counts: suite_count(name, passed) records one test;
 * suite_print_counts() prints "name  passed/total" lines as TAP
 * diagnostics and returns how many categories there were. */
void suite_count(const char *category, int passed);
int suite_print_counts(void);

#endif
