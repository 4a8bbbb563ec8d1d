/*
 * put.c — `eris put` (encode files into a store) and `eris sum` (the URN
 * alone, nothing stored). Both print "URN  FILE" per input, like sha256sum.
 */
#include "eris_cli.h"

#include <sodium.h>
#include <string.h>

#include "banned.h"

static const struct cli_opt put_opts[] = {
	{"store", 's', "STORE", "block store to write (a directory, dir:PATH or mem:)"},
	{"block-size", 'b', "SIZE", "1KiB, 32KiB or auto (default: 1KiB below 16 KiB, else 32KiB)"},
	{"secret-file", 0, "FILE", "convergence secret: a file of exactly 32 raw bytes"},
	{"jobs", 'j', "N", "encrypt with N threads (default: the CPUs online, at most 8)"},
	{0},
};

static const struct cli_opt sum_opts[] = {
	{"block-size", 'b', "SIZE", "1KiB, 32KiB or auto (default: 1KiB below 16 KiB, else 32KiB)"},
	{"secret-file", 0, "FILE", "convergence secret: a file of exactly 32 raw bytes"},
	{"jobs", 'j', "N", "encrypt with N threads (default: the CPUs online, at most 8)"},
	{0},
};

static int encode_all(const struct cli_cmd *cmd, int argc, char **argv, int with_store)
{
	struct cli_args a;
	uint8_t secret[ERIS_SECRET_SIZE];
	const uint8_t *sp = NULL;
	const char *store_spec = NULL;
	store *s = NULL;
	eris_error err = {0};
	uint32_t bs = 0;
	int threads = 1, status;

	if (cli_parse(cmd, argc, argv, &a, &status))
		return status;
	store_spec = with_store ? cli_get(cmd, &a, "store") : NULL;
	if (with_store && !store_spec)
		return cli_fail(cmd, EXIT_USAGE, "no store given (use -s STORE)");
	if (a.argc == 0)
		return cli_fail(cmd, EXIT_USAGE, "no files given (use - for standard input)");
	status = eris_cli_block_size(cmd, cli_get(cmd, &a, "block-size"), &bs);
	if (status == EXIT_OK)
		status = eris_cli_threads(cmd, cli_get(cmd, &a, "jobs"), &threads);
	if (status == EXIT_OK && cli_get(cmd, &a, "secret-file")) {
		status = eris_cli_read_secret(cmd, cli_get(cmd, &a, "secret-file"), secret);
		sp = secret;
	}
	if (status != EXIT_OK)
		goto out;
	if (store_spec && store_open(&s, store_spec, STORE_CREATE, &err) != 0) {
		status = cli_fail(cmd, EXIT_SYSTEM, "%s", err.msg);
		goto out;
	}
	for (int i = 0; i < a.argc; i++) {
		int st = eris_cli_encode_file(cmd, a.argv[i], bs, sp, threads, s);
		if (st > status)
			status = st;
	}
out:
	store_close(s);
	sodium_memzero(secret, sizeof secret);
	return status;
}

static int run_put(const struct cli_cmd *cmd, int argc, char **argv)
{
	return encode_all(cmd, argc, argv, 1);
}

static int run_sum(const struct cli_cmd *cmd, int argc, char **argv)
{
	return encode_all(cmd, argc, argv, 0);
}

const struct cli_cmd eris_cmd_put = {
	"put", "-s STORE [-b SIZE] [--secret-file FILE] FILE...",
	"Encode files into a block store and print \"URN  FILE\" for each.",
	"FILE may be - for standard input. The store is created when it does not exist.\n"
	"The same content, block size and secret always give the same URN.",
	put_opts, run_put};

const struct cli_cmd eris_cmd_sum = {
	"sum", "[-b SIZE] [--secret-file FILE] FILE...",
	"Print the URN of each file without storing anything.",
	"FILE may be - for standard input.", sum_opts, run_sum};
