/*
 * test_dhall_parser.c — the Dhall standard's parser suite
 * (../shared/dhall/tests/parser): every success test's A.dhall must parse
 * and encode to exactly its B.dhallb; every failure test must be rejected
 * with a syntax error that has a position inside the file. Prints
 * passed/total per category (the directory under success/ or failure/).
 * Also: deep nesting (10,000 brackets parse; far past the limit is a clear
 * error, not a crash), the error format, sha256 hashes and naturals read exactly.
 */
#include "suite.h"
#include "tap.h"

#include "dhall/dhall.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "banned.h"





static void success_test(const char *path, const char *cat, void *ctx)
{
	(void)ctx;
	size_t n = strlen(path);
	if (n < 8 || strcmp(path + n - 7, "A.dhall") != 0)
		return;
	char bpath[4096];
	snprintf(bpath, sizeof bpath, "%.*sB.dhallb", (int)(n - 7), path);
	char label[300];
	snprintf(label, sizeof label, "parser/%s", cat);
	size_t len, blen;
	char *src = suite_slurp(path, &len), *want = suite_slurp(bpath, &blen);
	struct dhall_arena arena;
	struct dhall_err err;
	struct dhall_expr *e;
	struct dhall_buf out = {0};
	dhall_arena_init(&arena);
	int rc = src && want ? dhall_parse(&arena, src, len, path, &e, &err) : -99;
	int ok = 0;
	if (rc == 0 && dhall_encode(e, &out) == 0)
		ok = out.len == blen && memcmp(out.data, want, blen) == 0;
	const char *base = strrchr(path, '/') + 1;
	suite_count(label, ok);
	if (!tap_ok(ok, "%s/%s parses to its B.dhallb", label, base)) {
		if (rc)
			tap_diag("%s:%u:%u: %s", err.file, err.line, err.col, err.msg);
		else
			tap_diag("encoding differs (%zu bytes, want %zu)", out.len, blen);
	}
	dhall_buf_free(&out);
	dhall_arena_free(&arena);
	free(src);
	free(want);
}

static void failure_test(const char *path, const char *cat, void *ctx)
{
	(void)ctx;
	size_t n = strlen(path);
	if (n < 7 || strcmp(path + n - 6, ".dhall") != 0)
		return;
	char label[300];
	snprintf(label, sizeof label, "parser-failure/%s", cat);
	size_t len;
	char *src = suite_slurp(path, &len);
	struct dhall_arena arena;
	struct dhall_err err;
	struct dhall_expr *e;
	dhall_arena_init(&arena);
	int rc = src ? dhall_parse(&arena, src, len, path, &e, &err) : 0;
	int ok = rc == DHALL_ESYNTAX && err.line >= 1 && err.offset <= len && err.msg[0];
	suite_count(label, ok);
	tap_ok(ok, "%s/%s is rejected with a positioned error%s%s", label, strrchr(path, '/') + 1,
	       rc ? ": " : "", rc ? err.msg : "");
	dhall_arena_free(&arena);
	free(src);
}

static void deep_nesting(void)
{
	struct dhall_arena arena;
	struct dhall_err err;
	struct dhall_expr *e;
	struct dhall_buf out = {0};
	size_t depth = 10000;
	char *s = malloc(2 * depth + 2);
	memset(s, '(', depth);
	s[depth] = '1';
	memset(s + depth + 1, ')', depth);
	dhall_arena_init(&arena);
	int rc = dhall_parse(&arena, s, 2 * depth + 1, "deep", &e, &err);
	tap_ok(rc == 0 && e->kind == DHALL_NATURAL, "10,000 nested brackets parse");
	dhall_arena_free(&arena);
	free(s);

	/* 10,000 nested records and lists: the tree is that deep, too */
	size_t k = 10000, m = 0;
	s = malloc(k * 12 + 16);
	for (size_t i = 0; i < k; i++)
		m += (size_t)snprintf(s + m, 12, "{ a = [ ");
	s[m++] = '1';
	for (size_t i = 0; i < k; i++)
		m += (size_t)snprintf(s + m, 12, " ] }");
	dhall_arena_init(&arena);
	rc = dhall_parse(&arena, s, m, "deep", &e, &err);
	int erc = rc == 0 ? dhall_encode(e, &out) : -1;
	tap_ok(rc == 0 && erc == 0 && out.len > 4 * k, "10,000 nested records of lists parse and encode");
	dhall_buf_free(&out);
	dhall_arena_free(&arena);
	free(s);

	/* past the limit: a clear error */
	depth = DHALL_MAX_DEPTH + 10;
	s = malloc(2 * depth + 2);
	memset(s, '[', depth);
	s[depth] = '1';
	memset(s + depth + 1, ']', depth);
	dhall_arena_init(&arena);
	rc = dhall_parse(&arena, s, 2 * depth + 1, "deeper", &e, &err);
	tap_ok(rc == DHALL_ELIMIT && strstr(err.msg, "deeper than"), "nesting past the limit is refused: %s",
	       err.msg);
	dhall_arena_free(&arena);
	free(s);

	/* a long flat chain builds a deep tree; encoding it must not crash */
	size_t terms = 300000;
	s = malloc(terms * 4 + 4);
	m = 0;
	for (size_t i = 0; i < terms; i++) {
		memcpy(s + m, i ? " + 1" : "1", i ? 4 : 1);
		m += i ? 4 : 1;
	}
	dhall_arena_init(&arena);
	rc = dhall_parse(&arena, s, m, "chain", &e, &err);
	erc = rc == 0 ? dhall_encode(e, &out) : -1;
	tap_ok(rc == 0 && erc == 0, "a chain of 300,000 additions parses and encodes");
	dhall_buf_free(&out);
	dhall_arena_free(&arena);
	free(s);
}

static void error_format(void)
{
	const char *src = "let x = 1\nin  x + )\n";
	struct dhall_arena arena;
	struct dhall_err err;
	struct dhall_expr *e;
	dhall_arena_init(&arena);
	int rc = dhall_parse(&arena, src, strlen(src), "f.dhall", &e, &err);
	tap_ok(rc == DHALL_ESYNTAX && err.line == 2 && err.col == 9 &&
		       strcmp(err.context, "in  x + )") == 0,
	       "error position: %s:%u:%u %s [%s]", err.file, err.line, err.col, err.msg, err.context);
	dhall_arena_free(&arena);
}

/* Double literals take a fast path (no strtod) for short decimals: it must
 * give exactly strtod's correctly rounded result. */
static void doubles_match_strtod(void)
{
	uint64_t seed = 42;
	int bad = 0, n = 20000;
	for (int i = 0; i < n && !bad; i++) {
		char buf[64];
		unsigned ip = (unsigned)(tap_rand(&seed) % 100000000u);
		unsigned fd = 1 + (unsigned)(tap_rand(&seed) % 12);
		uint64_t frac = tap_rand(&seed) % 1000000000000ull;
		snprintf(buf, sizeof buf, "%s%u.%0*llu", i % 3 == 0 ? "-" : "", ip % (i % 7 ? 1000 : 100000000u),
			 (int)fd, (unsigned long long)(frac % (uint64_t)(fd >= 12 ? 1000000000000ull : 1ull << (3 * fd))));
		struct dhall_arena arena;
		struct dhall_err err;
		struct dhall_expr *e;
		dhall_arena_init(&arena);
		if (dhall_parse(&arena, buf, strlen(buf), "d", &e, &err) != 0 || e->kind != DHALL_DOUBLE ||
		    memcmp(&e->u.dbl, &(double){strtod(buf, NULL)}, sizeof(double)) != 0) {
			tap_diag("%s parses to %.17g, strtod says %.17g", buf,
				 e && e->kind == DHALL_DOUBLE ? e->u.dbl : 0.0, strtod(buf, NULL));
			bad = 1;
		}
		dhall_arena_free(&arena);
	}
	tap_ok(!bad, "%d random decimal literals parse to exactly strtod's double", n);
}

/* sha256:… hashes: 64 hex digits of either case decode to their 32 bytes
 * (the parser reads them 16 digits at a time); one bad digit anywhere, and
 * 63 or 65 digits, are refused. */
static void import_hashes(void)
{
	static const char hex[] = "0123456789abcdefABCDEF";
	uint64_t seed = 7;
	int bad = 0;
	for (int round = 0; round < 200; round++) {
		char src[128];
		uint8_t want[32];
		int n = snprintf(src, sizeof src, "./x sha256:");
		for (int i = 0; i < 32; i++) {
			unsigned hi = (unsigned)(tap_rand(&seed) % 22), lo = (unsigned)(tap_rand(&seed) % 22);
			src[n++] = hex[hi];
			src[n++] = hex[lo];
			want[i] = (uint8_t)((hi < 16 ? hi : hi - 6) << 4 | (lo < 16 ? lo : lo - 6));
		}
		src[n] = '\0';
		struct dhall_arena arena;
		struct dhall_err err;
		struct dhall_expr *e = NULL;
		dhall_arena_init(&arena);
		int rc = dhall_parse(&arena, src, (size_t)n, "hash", &e, &err);
		if (rc || e->kind != DHALL_IMPORT || !e->u.import->hash ||
		    memcmp(e->u.import->hash, want, 32) != 0) {
			if (!bad++)
				tap_diag("%s: decoded wrongly (rc %d)", src, rc);
		}
		/* one digit spoilt, at every position in turn */
		int at = 11 + round % 64;
		char keep = src[at];
		src[at] = "gG:/ x"[round % 6];
		rc = dhall_parse(&arena, src, (size_t)n, "hash", &e, &err);
		if (rc != DHALL_ESYNTAX) {
			if (!bad++)
				tap_diag("%s: accepted", src);
		}
		src[at] = keep;
		/* 63 and 65 digits */
		if (dhall_parse(&arena, src, (size_t)n - 1, "hash", &e, &err) != DHALL_ESYNTAX ||
		    (src[n] = '0', dhall_parse(&arena, src, (size_t)n + 1, "hash", &e, &err)) !=
			    DHALL_ESYNTAX) {
			if (!bad++)
				tap_diag("%s: a wrong number of digits accepted", src);
		}
		dhall_arena_free(&arena);
	}
	tap_ok(!bad, "200 random sha256 hashes (both cases) decode exactly; bad digits anywhere "
		     "and 63 or 65 digits are refused (%d wrong)", bad);
}

/* Naturals of 1 to 20 digits in a list (the fast path for plain data reads
 * up to 8 digits at once), each followed by a different delimiter: every
 * value exactly as strtoull reads it (those past 2^64 - 1 as big ones). */
static void naturals_exact(void)
{
	static const char *after[] = {",", " ,", "\n,", "  , ", ",\t"};
	uint64_t seed = 9;
	char src[64 * 1024];
	uint64_t want[1000];
	int bad = 0, n = 1000, len = snprintf(src, sizeof src, "[ ");
	for (int i = 0; i < n; i++) {
		int digits = 1 + i % 20;
		char num[32];
		num[0] = (char)('1' + tap_rand(&seed) % 9);
		for (int k = 1; k < digits; k++)
			num[k] = (char)('0' + tap_rand(&seed) % 10);
		num[digits] = '\0';
		if (i % 37 == 0)
			num[0] = '0', num[1] = '\0', digits = 1;
		errno = 0;
		want[i] = strtoull(num, NULL, 10);
		if (errno == ERANGE)
			want[i] = UINT64_MAX; /* a big one */
		len += snprintf(src + len, sizeof src - (size_t)len, "%s%s", num,
				i + 1 < n ? after[i % 5] : " ]");
	}
	struct dhall_arena arena;
	struct dhall_err err;
	struct dhall_expr *e = NULL;
	dhall_arena_init(&arena);
	int rc = dhall_parse(&arena, src, (size_t)len, "naturals", &e, &err);
	if (rc || e->kind != DHALL_LIST || e->n != (size_t)n) {
		tap_diag("the list did not parse: %s", err.msg);
		bad = 1;
	}
	for (int i = 0; i < n && !bad; i++) {
		const struct dhall_expr *x = e->items[i];
		if (x->kind != DHALL_NATURAL || (x->u.num.big ? UINT64_MAX : x->u.num.small) != want[i] ||
		    (x->u.num.big && want[i] != UINT64_MAX)) {
			tap_diag("item %d is wrong (kind %d)", i, x->kind);
			bad = 1;
		}
	}
	dhall_arena_free(&arena);
	tap_ok(!bad, "%d naturals of 1 to 20 digits parse to exactly strtoull's values", n);
}

int main(void)
{
	char dir[4096];
	snprintf(dir, sizeof dir, "%s/dhall/tests/parser/success", tap_shared());
	suite_walk(dir, ".", success_test, NULL);
	snprintf(dir, sizeof dir, "%s/dhall/tests/parser/failure", tap_shared());
	suite_walk(dir, ".", failure_test, NULL);
	int ncat = suite_print_counts();
	tap_ok(ncat >= 6, "the suite was found (%d categories)", ncat);
	deep_nesting();
	error_format();
	doubles_match_strtod();
	import_hashes();
	naturals_exact();
	return tap_done();
}
