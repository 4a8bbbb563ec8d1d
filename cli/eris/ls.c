/*
 * ls.c — `eris ls` (every block a store holds) and `eris stat` (how many,
 * how big). Both enumerate through store_list; neither verifies (that is
 * `eris verify`). For a pack, stat adds what its header and commit say
 * (store_info): format version, the block sizes it may hold, capacity, log
 * end, UUID, index entries, and whether the open mapped it.
 */
#include "eris_cli.h"

#include <stdio.h>

#include "banned.h"

static const struct cli_opt ls_opts[] = {
	{"store", 's', "STORE", "block store (a directory, dir:PATH, pack:FILE or mem:)"},
	{0},
};

static int print_block(void *ctx, const uint8_t *ref, size_t len)
{
	char name[ERIS_REF_B32_LEN + 1];

	(void)ctx;
	eris_ref_to_b32(ref, name);
	return printf("%s %zu\n", name, len) < 0 ? -1 : 0;
}

struct tally {
	uint64_t blocks, bytes, k1, k32, other;
};

static int count_block(void *ctx, const uint8_t *ref, size_t len)
{
	struct tally *t = ctx;

	(void)ref;
	t->blocks++;
	t->bytes += len;
	if (len == ERIS_BLOCK_1K)
		t->k1++;
	else if (len == ERIS_BLOCK_32K)
		t->k32++;
	else
		t->other++;
	return 0;
}

static void print_info(store *s)
{
	struct store_info in;
	char uuid[33];

	if (store_info(s, &in, NULL) != 0 || !in.kind)
		return;
	for (int i = 0; i < 16; i++)
		snprintf(uuid + 2 * i, 3, "%02x", in.uuid[i]);
	printf("format version: %u\nblock sizes:%s%s\ncapacity: %llu\nlog end: %llu\n"
	       "uuid: %s\nindex entries: %llu\nmapped: %s\n",
	       in.format_version, (in.block_sizes & STORE_SIZE_1K) ? " 1KiB" : "",
	       (in.block_sizes & STORE_SIZE_32K) ? " 32KiB" : "", (unsigned long long)in.capacity,
	       (unsigned long long)in.log_end, uuid, (unsigned long long)in.index_entries,
	       in.mapped ? "whole pack" : in.index_mapped ? "index only" : "no");
	if (in.damaged)
		printf("damage seen on open: %llu\n", (unsigned long long)in.damaged);
}

static int run_list(const struct cli_cmd *cmd, int argc, char **argv, int stat)
{
	struct cli_args a;
	struct tally t = {0};
	store *s = NULL;
	eris_error err = {0};
	int status;

	if (cli_parse(cmd, argc, argv, &a, &status))
		return status;
	if (!cli_get(cmd, &a, "store"))
		return cli_fail(cmd, EXIT_USAGE, "no store given (use -s STORE)");
	if (a.argc != 0)
		return cli_fail(cmd, EXIT_USAGE, "unexpected argument \"%s\"", a.argv[0]);
	if (store_open(&s, cli_get(cmd, &a, "store"), STORE_READ, &err) != 0)
		return cli_fail(cmd, EXIT_SYSTEM, "%s", err.msg);
	if (store_list(s, stat ? count_block : print_block, &t, &err) != 0) {
		status = cli_fail(cmd, err.code == ERIS_E_ARG ? EXIT_USAGE : EXIT_SYSTEM, "%s",
				  err.msg);
		goto out;
	}
	if (stat) {
		printf("store: %s\nblocks: %llu\nbytes: %llu\n1KiB blocks: %llu\n32KiB blocks: %llu\n",
		       store_name(s), (unsigned long long)t.blocks, (unsigned long long)t.bytes,
		       (unsigned long long)t.k1, (unsigned long long)t.k32);
		if (t.other)
			printf("damaged (wrong size): %llu\n", (unsigned long long)t.other);
		print_info(s);
	}
	status = fflush(stdout) == 0 ? EXIT_OK : cli_fail(cmd, EXIT_SYSTEM, "cannot write output");
out:
	store_close(s);
	return status;
}

static int run_ls(const struct cli_cmd *cmd, int argc, char **argv)
{
	return run_list(cmd, argc, argv, 0);
}

static int run_stat(const struct cli_cmd *cmd, int argc, char **argv)
{
	return run_list(cmd, argc, argv, 1);
}

const struct cli_cmd eris_cmd_ls = {"ls", "-s STORE", "List every block of a store: \"REF SIZE\".",
				     "References are base32 (52 characters). Nothing is verified: "
				     "use \"eris verify\".",
				     ls_opts, run_ls};

const struct cli_cmd eris_cmd_stat = {"stat", "-s STORE",
				       "Count a store's blocks and bytes, by block size.", NULL,
				       ls_opts, run_stat};
