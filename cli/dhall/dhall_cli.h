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

#endif
