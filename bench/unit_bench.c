/*
 * unit_bench.c — lib/unit throughput: every unit file of a directory
 * (default /lib/systemd/system) loaded (drop-ins included) and, for each
 * .service, translated with its socket, in one process, ROUNDS times; the
 * best round is reported as files/s with the peak RSS (getrusage) against
 * the goal of all files in under 1 s. Called by bench/unit.sh.
 *
 *   build/bench/unit_bench PACKAGE [DIR] [ROUNDS]
 *
 * Units the translator refuses because of their own content (masked, no
 * ExecStart=, a non-service type) are counted, not failures.
 */
#include "unit/unit.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "banned.h"

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: unit_bench PACKAGE [DIR] [ROUNDS]\n");
		return 2;
	}
	const char *pkg = argv[1], *dir = argc > 2 ? argv[2] : "/lib/systemd/system";
	int rounds = argc > 3 ? (int)strtol(argv[3], NULL, 10) : 5;
	char **names = NULL;
	size_t n = 0;
	DIR *d = opendir(dir);
	if (!d) {
		printf("unit: no %s; skipped\n", dir);
		return 0;
	}
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' || !strchr(de->d_name, '.'))
			continue;
		size_t l = strlen(de->d_name);
		if (l > 2 && !strcmp(de->d_name + l - 2, ".d"))
			continue; /* drop-in directories are read with their unit */
		if (l > 6 && !strcmp(de->d_name + l - 6, ".wants"))
			continue;
		if (l > 9 && !strcmp(de->d_name + l - 9, ".requires"))
			continue;
		char **nn = realloc(names, (n + 1) * sizeof *nn);
		if (!nn || !(nn[n] = strdup(de->d_name)))
			return 3;
		names = nn;
		n++;
	}
	closedir(d);
	qsort(names, n, sizeof *names, cmp);
	double best = 1e9;
	size_t translated = 0, refused = 0, parsed = 0, warnings = 0, bytes = 0;
	for (int r = 0; r < rounds; r++) {
		translated = refused = parsed = warnings = bytes = 0;
		double t0 = now();
		for (size_t i = 0; i < n; i++) {
			char path[4096];
			snprintf(path, sizeof path, "%s/%s", dir, names[i]);
			unit_file u, s;
			struct unit_diags w = {0};
			unit_error err = {0};
			unit_file_init(&u);
			unit_file_init(&s);
			const char *at = strchr(names[i], '@');
			int is_tmpl = at && at[1] == '.';
			if (unit_load(&u, NULL, NULL, 0, path, is_tmpl ? "bench" : NULL, &w, &err) != 0) {
				refused++;
			} else if (!strcmp(u.type, "service")) {
				char sp[4200];
				if (u.instance)
					snprintf(sp, sizeof sp, "%s/%s@.socket", dir, u.prefix);
				else
					snprintf(sp, sizeof sp, "%s/%s.socket", dir, u.prefix);
				int has = unit_load(&s, NULL, NULL, 0, sp, u.instance, &w, &err) == 0;
				char *out = NULL;
				struct unit_translate_opts o = {pkg, NULL};
				if (unit_translate(&u, has ? &s : NULL, &o, &out, &w, &err) == 0) {
					translated++;
					bytes += strlen(out);
				} else {
					refused++;
				}
				free(out);
			} else {
				parsed++;
			}
			warnings += w.n;
			unit_diags_free(&w);
			unit_file_free(&u);
			unit_file_free(&s);
		}
		double t = now() - t0;
		if (t < best)
			best = t;
	}
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	printf("unit: %zu unit files in %s in one process (%zu services translated, %zu other units "
	       "parsed, %zu refused by their content; %zu warnings, %zu KB of Dhall): best of %d "
	       "%.1f ms, %.0f files/s (target: all in < 1 s) %s, peak RSS %.1f MiB\n",
	       n, dir, translated, parsed, refused, warnings, bytes / 1000, rounds, best * 1000,
	       best > 0 ? (double)n / best : 0.0, best < 1.0 ? "PASS" : "MISS",
	       (double)ru.ru_maxrss / 1024);
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return 0;
}
