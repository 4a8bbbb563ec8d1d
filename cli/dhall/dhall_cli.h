/*
 * dhall_cli.h — the subcommands of the `dhall` tool (one file each) and
 * what they share: reading the input (--file F or stdin) and reporting
 * errors.
 */
#ifndef SIGIL_DHALL_CLI_H
#define SIGIL_DHALL_CLI_H

#include "common/cli.h"
#include "dhall/dhall.h"

extern const struct cli_cmd dhall_cmd_encode, dhall_cmd_decode, dhall_cmd_format;
/* evaluation (load.c and one file each) */
extern const struct cli_cmd dhall_cmd_normalize, dhall_cmd_type, dhall_cmd_hash, dhall_cmd_resolve;

/* Parses options for a subcommand that takes no operands (input is stdin
 * or --file): 0 to run, or 1 with *status set (help, usage error). */
int dhall_cli_args(const struct cli_cmd *cmd, int argc, char **argv, struct cli_args *a,
		   int *status);

/* Reads all of `file` (NULL or "-": stdin) into a malloc'd buffer with a
 * NUL after the data. Returns 0, or prints the error and returns EXIT_SYSTEM. */
int dhall_cli_read(const struct cli_cmd *cmd, const char *file, char **data, size_t *len);

/* Writes buf to stdout; EXIT_OK or EXIT_SYSTEM (message printed). */
int dhall_cli_write(const struct cli_cmd *cmd, const void *buf, size_t len);

/* Reads and parses `file` (or stdin) into *e. On failure prints the
 * file:line:col error with its caret and returns the exit code (EXIT_DATA for
 * bad Dhall). *src must be freed by the caller (it backs the tree). */
int dhall_cli_parse(const struct cli_cmd *cmd, const char *file, struct dhall_arena *arena,
		    char **src, struct dhall_expr **e);

/* load.c: reads, parses and resolves `file` (or stdin) into *e, with ctx
 * filled for positions. Prints errors; returns the exit code. *src must be
 * freed by the caller. */
int dhall_cli_load(const struct cli_cmd *cmd, const char *file, struct dhall_arena *arena,
		   char **src, struct dhall_ctx *ctx, struct dhall_expr **e);
/* Prints err for a failed evaluation step (rc != 0); returns the exit code
 * (EXIT_OK when rc == 0). */
int dhall_cli_report(const struct cli_cmd *cmd, int rc, const struct dhall_err *err);
/* load, type-check, then print the type (check_only) or the normal form */
int dhall_cli_eval(const struct cli_cmd *cmd, const char *file, int check_only);

#endif
