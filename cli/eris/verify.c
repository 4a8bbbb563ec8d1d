/*
 * verify.c — `eris verify`: are all blocks of each URN present and valid?
 * Walks each tree as the decoder does (length, hash, key, node layout,
 * padding of the last leaf) without writing content, and does not stop at
 * a bad block (eris_check): every bad block it can reach is named on
 * stderr, one line each — reference, position in the tree, what is wrong,
 * and for a pack the offset of its record — and a bad internal node is
 * said to hide the blocks below it, which cannot be checked.
 */
#include "eris_cli.h"

#include <stdio.h>

#include "banned.h"

static const struct cli_opt verify_opts[] = {
	{"store", 's', "STORE", "block store to check (a directory, dir:PATH or mem:)"},
	{"quiet", 'q', NULL, "print nothing; only the exit status tells"},
	{0},
};

struct bad_ctx {
	const char *urn;
	store *s;
	int quiet;
};

static int print_bad(void *ctx, const eris_error *bad)
{
	const struct bad_ctx *b = ctx;
	char where[64] = "";
	uint64_t off;

	if (b->quiet)
		return 0;
	if (store_locate(b->s, bad->ref, &off) == 0)
		snprintf(where, sizeof where, " [pack offset %llu]", (unsigned long long)off);
	fprintf(stderr, "eris verify: %s: bad block: %s%s%s\n", b->urn, bad->msg, where,
		bad->level > 0 ? "; the blocks below it cannot be checked" : "");
	return 0;
}

static int run_verify(const struct cli_cmd *cmd, int argc, char **argv)
{
	struct cli_args a;
	store *s = NULL;
	eris_error err = {0};
	const char *spec;
	int status, quiet;

	if (cli_parse(cmd, argc, argv, &a, &status))
		return status;
	spec = cli_get(cmd, &a, "store");
	quiet = cli_get(cmd, &a, "quiet") != NULL;
	if (!spec)
		return cli_fail(cmd, EXIT_USAGE, "no store given (use -s STORE)");
	if (a.argc == 0)
		return cli_fail(cmd, EXIT_USAGE, "no urn given");
	if (store_open(&s, spec, STORE_READ, &err) != 0)
		return cli_fail(cmd, EXIT_SYSTEM, "%s", err.msg);
	status = EXIT_OK;
	for (int i = 0; i < a.argc; i++) {
		eris_cap cap;
		uint64_t blocks = 0, nbad = 0;
		struct bad_ctx b = {a.argv[i], s, quiet};
		int rc = eris_cap_from_urn(&cap, a.argv[i], &err), st = EXIT_OK;
		if (rc != 0)
			st = quiet ? EXIT_USAGE
				   : cli_fail(cmd, EXIT_USAGE, "\"%s\": %s", a.argv[i], err.msg);
		else if ((rc = eris_check(&cap, store_eris_get, s, print_bad, &b, &blocks, &nbad,
					  &err)) != 0 && nbad > 0)
			st = quiet ? EXIT_DATA
				   : cli_fail(cmd, EXIT_DATA, "%s: %llu bad block%s (%llu good)",
					      a.argv[i], (unsigned long long)nbad, nbad == 1 ? "" : "s",
					      (unsigned long long)blocks);
		else if (rc != 0)
			st = quiet ? EXIT_SYSTEM
				   : cli_fail(cmd, EXIT_SYSTEM, "%s: %s", a.argv[i], err.msg);
		else if (!quiet)
			printf("%s: ok (%llu blocks)\n", a.argv[i], (unsigned long long)blocks);
		if (st > status)
			status = st;
	}
	store_close(s);
	return status;
}

const struct cli_cmd eris_cmd_verify = {
	"verify", "-s STORE URN...",
	"Check that every block of each URN is present and valid.",
	"Every bad block is named (for a pack, with its record's offset); checking goes on past "
	"it. Exit status 0 when all are complete and valid, 1 when a block is missing or bad.",
	verify_opts, run_verify};
