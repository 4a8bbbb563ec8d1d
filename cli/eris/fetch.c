/*
 * fetch.c — `eris fetch -s DEST -f SOURCE URN...`: copies every block of each
 * tree from SOURCE into DEST, many requests in flight (eris_fetch_tree over
 * the chain DEST+SOURCE: blocks DEST already holds are not asked for, every
 * block is verified before it is stored). With an http SOURCE this is the
 * parallel prefetch; `eris get` from a DEST+http:// chain can do the same
 * first through eris_cli_prefetch.
 */
#include "eris_cli.h"

#include "eris/fetch.h"

#include <stdlib.h>
#include <string.h>

#include "banned.h"

static const struct cli_opt fetch_opts[] = {
	{"store", 's', "STORE", "store to fill (created when missing; a directory, dir:PATH, pack:FILE)"},
	{"from", 'f', "SOURCE", "store to copy from (e.g. http://127.0.0.1:8080)"},
	{0},
};

/* store_get_many as an eris_get_many_fn. */
static int store_batch(void *ctx, const uint8_t (*refs)[ERIS_REF_SIZE], size_t n, eris_got_fn got,
		       void *got_ctx, eris_error *err)
{
	return store_get_many(ctx, refs, n, got, got_ctx, err);
}

static int count_block(void *ctx, const uint8_t ref[ERIS_REF_SIZE], const uint8_t *block,
		       size_t bs, int level)
{
	uint64_t *n = ctx;

	(void)ref;
	(void)block;
	(void)bs;
	(void)level;
	(*n)++;
	return 0;
}

/* Fetches the whole tree of `cap` through s in parallel batches — for a
 * chain CACHE+SOURCE, into CACHE — and flushes s. *blocks (may be NULL)
 * counts the blocks fetched. Returns 0 or an ERIS_E* code with err set. */
int eris_cli_prefetch(store *s, const eris_cap *cap, uint64_t *blocks, eris_error *err)
{
	uint64_t n = 0;
	int rc = eris_fetch_tree(cap, store_batch, s, count_block, &n, err);

	if (rc == 0)
		rc = store_flush(s, err);
	if (blocks)
		*blocks = n;
	return rc;
}

static int run_fetch(const struct cli_cmd *cmd, int argc, char **argv)
{
	struct cli_args a;
	const char *dest, *source;
	char *spec = NULL;
	store *s = NULL;
	eris_error err = {0};
	int status;

	if (cli_parse(cmd, argc, argv, &a, &status))
		return status;
	status = EXIT_OK;
	dest = cli_get(cmd, &a, "store");
	source = cli_get(cmd, &a, "from");
	if (!dest || !source)
		return cli_fail(cmd, EXIT_USAGE, "give the store to fill (-s) and the source (-f)");
	if (strchr(dest, '+'))
		return cli_fail(cmd, EXIT_USAGE, "\"%s\": the store to fill cannot be a chain", dest);
	if (a.argc == 0)
		return cli_fail(cmd, EXIT_USAGE, "no urn given");
	size_t len = strlen(dest) + strlen(source) + 2;
	spec = malloc(len);
	if (!spec)
		return cli_fail(cmd, EXIT_SYSTEM, "out of memory");
	snprintf(spec, len, "%s+%s", dest, source);
	if (store_open(&s, spec, STORE_READ, &err) != 0) {
		status = cli_fail(cmd, EXIT_SYSTEM, "%s", err.msg);
		goto out;
	}
	for (int i = 0; i < a.argc; i++) {
		eris_cap cap;
		uint64_t n = 0;
		int rc;
		if (eris_cap_from_urn(&cap, a.argv[i], &err) != 0) {
			int st = cli_fail(cmd, EXIT_USAGE, "\"%s\": %s", a.argv[i], err.msg);
			status = st > status ? st : status;
			continue;
		}
		rc = eris_cli_prefetch(s, &cap, &n, &err);
		if (rc != 0) {
			int st = cli_fail(cmd, rc == ERIS_E_IO || rc == ERIS_E_NOMEM ? EXIT_SYSTEM
										: EXIT_DATA,
					  "%s: %s", a.argv[i], err.msg);
			status = st > status ? st : status;
			continue;
		}
		printf("%s: %llu blocks\n", a.argv[i], (unsigned long long)n);
	}
	if (fflush(stdout) != 0 && status == EXIT_OK)
		status = cli_fail(cmd, EXIT_SYSTEM, "cannot write to standard output");
out:
	store_close(s);
	free(spec);
	return status;
}

const struct cli_cmd eris_cmd_fetch = {
	"fetch", "-s DEST -f SOURCE URN...",
	"Copy the blocks of each URN's tree from SOURCE into DEST, many at a time.",
	"Blocks DEST already holds are not fetched again; every block is verified (hash,\n"
	"tree structure, padding) before it is stored. Prints \"URN: N blocks\" for each.",
	fetch_opts, run_fetch};
