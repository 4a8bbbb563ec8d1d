/*
 * gc.c — `eris gc`: keep exactly the blocks reachable from the given
 * capabilities. Marking walks every tree with full verification first; if
 * any tree is incomplete or damaged nothing is removed (a collection must
 * never be the thing that loses data). Then the store sweeps (dir: unlink;
 * pack: compaction into a new file that replaces the old one atomically).
 */
#include "eris_cli.h"

#include "store/refset.h"

#include <stdio.h>

#include "banned.h"

static const struct cli_opt gc_opts[] = {
	{"store", 's', "STORE", "block store to collect (a directory, dir:PATH, pack:FILE)"},
	{"keep", 'k', NULL, "the arguments are the capabilities to keep (required, as a guard)"},
	{"dry-run", 'n', NULL, "only say how many blocks would go"},
	{0},
};

static int mark(void *ctx, const uint8_t *ref, const uint8_t *block, size_t bs, int level)
{
	(void)block;
	(void)bs;
	(void)level;
	return refset_add(ctx, ref) < 0 ? -1 : 0;
}

static int is_live(void *ctx, const uint8_t *ref)
{
	return refset_has(ctx, ref);
}

static int count_dead(void *ctx, const uint8_t *ref, size_t len)
{
	uint64_t *dead = ((uint64_t **)ctx)[0];
	const refset *live = ((const refset **)ctx)[1];

	(void)len;
	*dead += !refset_has(live, ref);
	return 0;
}

static int run_gc(const struct cli_cmd *cmd, int argc, char **argv)
{
	struct cli_args a;
	refset live;
	store *s = NULL;
	eris_error err = {0};
	uint64_t removed = 0;
	int status;

	refset_init(&live);
	if (cli_parse(cmd, argc, argv, &a, &status))
		return status;
	if (!cli_get(cmd, &a, "store"))
		return cli_fail(cmd, EXIT_USAGE, "no store given (use -s STORE)");
	if (!cli_get(cmd, &a, "keep"))
		return cli_fail(cmd, EXIT_USAGE,
				"say what to keep: --keep URN... (with no URN, every block goes)");
	if (store_open(&s, cli_get(cmd, &a, "store"),
		       cli_get(cmd, &a, "dry-run") ? STORE_READ : STORE_WRITE, &err) != 0)
		return cli_fail(cmd, EXIT_SYSTEM, "%s", err.msg);
	status = EXIT_OK;
	for (int i = 0; i < a.argc; i++) {
		eris_cap cap;
		int rc;
		if (eris_cap_from_urn(&cap, a.argv[i], &err) != 0) {
			status = cli_fail(cmd, EXIT_USAGE, "\"%s\": %s", a.argv[i], err.msg);
			goto out;
		}
		rc = eris_walk(&cap, store_eris_get, s, mark, &live, NULL, &err);
		if (rc != 0) {
			status = cli_fail(cmd, rc == ERIS_E_IO ? EXIT_SYSTEM : EXIT_DATA,
					  "%s: %s; nothing was removed", a.argv[i], err.msg);
			goto out;
		}
	}
	if (cli_get(cmd, &a, "dry-run")) {
		void *ctx[2] = {&removed, &live};
		if (store_list(s, count_dead, ctx, &err) != 0) {
			status = cli_fail(cmd, EXIT_SYSTEM, "%s", err.msg);
			goto out;
		}
		printf("would remove %llu blocks, keep %zu\n", (unsigned long long)removed, live.used);
		goto out;
	}
	if (store_retain(s, is_live, &live, &removed, &err) != 0) {
		status = cli_fail(cmd, err.code == ERIS_E_ARG ? EXIT_USAGE : EXIT_SYSTEM, "%s",
				  err.msg);
		goto out;
	}
	printf("removed %llu blocks, kept %zu\n", (unsigned long long)removed, live.used);
out:
	store_close(s);
	refset_free(&live);
	return status;
}

const struct cli_cmd eris_cmd_gc = {
	"gc", "-s STORE --keep URN...",
	"Remove every block not reachable from the given capabilities.",
	"Every kept tree is walked and verified first; when one is incomplete or damaged,\n"
	"nothing is removed. A pack is compacted into a new file that replaces the old one\n"
	"atomically.",
	gc_opts, run_gc};
