/*
 * eris_cli.h — pieces the eris subcommands share: reading the secret file,
 * choosing the block size, and encoding one input file.
 */
#ifndef SIGIL_ERIS_CLI_H
#define SIGIL_ERIS_CLI_H

#include "common/cli.h"
#include "eris/eris.h"
#include "store/store.h"

extern const struct cli_cmd eris_cmd_put, eris_cmd_get, eris_cmd_sum, eris_cmd_verify;
extern const struct cli_cmd eris_cmd_serve, eris_cmd_export, eris_cmd_import, eris_cmd_gc;
extern const struct cli_cmd eris_cmd_ls, eris_cmd_stat, eris_cmd_fetch;

/* Fetches the whole tree of `cap` through s in parallel batches (for a chain
 * CACHE+SOURCE: into CACHE) and flushes s (fetch.c). */
int eris_cli_prefetch(store *s, const eris_cap *cap, uint64_t *blocks, eris_error *err);

/* Block size choice: 1024, 32768, or 0 for auto. */
int eris_cli_block_size(const struct cli_cmd *cmd, const char *arg, uint32_t *bs);

/* Reads exactly 32 bytes from `path` into secret. Returns an exit status. */
int eris_cli_read_secret(const struct cli_cmd *cmd, const char *path,
			 uint8_t secret[ERIS_SECRET_SIZE]);

/* Threads for encoding: -j value, or the online CPUs (at most 8). */
int eris_cli_threads(const struct cli_cmd *cmd, const char *arg, int *threads);

/* Encodes file `path` ("-" = stdin) into store `s` (NULL: only compute),
 * prints "URN  path". Returns an exit status. */
int eris_cli_encode_file(const struct cli_cmd *cmd, const char *path, uint32_t bs,
			 const uint8_t *secret, int threads, store *s);

#endif
