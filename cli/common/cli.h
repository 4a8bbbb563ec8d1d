/*
 * cli.h — what every command-line tool of ours shares: subcommands declared
 * as a table, options declared as a table (so --help is generated from the
 * same text the parser uses), one-line error messages, and exit codes.
 *
 * Exit codes (documented in docs/eris.1):
 *   0  success
 *   1  the data is bad: a block is missing or invalid, content fails to decode
 *   2  usage: unknown option, bad argument, malformed urn
 *   3  system: a file or store cannot be opened, read or written
 */
#ifndef SIGIL_CLI_H
#define SIGIL_CLI_H

#include <stdint.h>
#include <stdio.h>

enum { EXIT_OK = 0, EXIT_DATA = 1, EXIT_USAGE = 2, EXIT_SYSTEM = 3 };

struct cli_opt {
	const char *name;  /* long name without "--" */
	int short_name;    /* 0 when none */
	const char *arg;   /* argument placeholder, NULL for a flag */
	const char *help;
};

struct cli_cmd {
	const char *name;
	const char *args;    /* e.g. "-s STORE FILE..." */
	const char *summary; /* one line */
	const char *details; /* paragraph(s) for --help, may be NULL */
	const struct cli_opt *opts; /* ends with {0} */
	int (*run)(const struct cli_cmd *cmd, int argc, char **argv);
};

/* Parsed options: value per option index (NULL when absent; "" for a set flag). */
struct cli_args {
	const char *val[32];
	int argc;    /* remaining positional arguments */
	char **argv;
};

/* The program name used in messages ("eris"). */
extern const char *cli_prog;

/* Parses argv (argv[0] is the subcommand name) against cmd->opts. Handles
 * --help (prints help, returns 1 with *status = 0) and bad options (message,
 * returns 1 with *status = EXIT_USAGE). Returns 0 when the command should run. */
int cli_parse(const struct cli_cmd *cmd, int argc, char **argv, struct cli_args *a, int *status);

/* cli_parse with two more things: with `stop`, options end at the first
 * operand (what follows is a program's own command line); and each option
 * met is also handed to each(ctx, cmd, index in cmd->opts, value), in
 * order, which returns 0 or an exit status (it prints its own message):
 * then parsing ends, returning 1 with *status set. */
int cli_parse_each(const struct cli_cmd *cmd, int argc, char **argv, int stop,
		   int (*each)(void *ctx, const struct cli_cmd *cmd, int i, const char *val),
		   void *ctx, struct cli_args *a, int *status);

/* The value of option `name`, or NULL. */
const char *cli_get(const struct cli_cmd *cmd, const struct cli_args *a, const char *name);

void cli_help(const struct cli_cmd *cmd, FILE *out);

/* Prints "PROG CMD: message" on stderr and returns `status`. */
int cli_fail(const struct cli_cmd *cmd, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Runs the subcommand named by argv[1] from the table (ends with {0}). */
int cli_dispatch(const char *prog, const char *summary, const struct cli_cmd *cmds, int argc,
		 char **argv);

/* Parses a non-negative decimal integer (no sign, no junk). */
int cli_parse_u64(const char *s, uint64_t *out);

/* Writes all of buf to fd; -1 with errno on failure. */
int cli_write_all(int fd, const void *buf, size_t len);

/* Output that appears whole or not at all: cli_temp_open makes a temporary
 * file beside `out` (mode as a new file would get; its name goes to tmp),
 * cli_temp_commit syncs and closes *fd (setting it to -1) and renames tmp
 * over out (clearing tmp). Both return -1 with errno on failure. */
int cli_temp_open(const char *out, char *tmp, size_t size);
int cli_temp_commit(int *fd, char *tmp, const char *out);

/* Reads all of `path` (NULL or "-": stdin) into a malloc'd buffer with a
 * NUL after the data (*len without it). Returns 0, or -1 with errno set. */
int cli_read_file(const char *path, char **data, size_t *len);

/* 1 when progress lines should be shown (stderr is a terminal). */
int cli_show_progress(void);

#endif
