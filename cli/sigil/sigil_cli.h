/*
 * sigil_cli.h — what the sigil subcommands share: the subcommand table
 * entries (one file per subcommand) and an option parser for options that
 * may be given more than once (--extra, --env, -L) and for commands whose
 * arguments after the first operand belong to someone else (sigil exec).
 */
#ifndef SIGIL_SIGIL_CLI_H
#define SIGIL_SIGIL_CLI_H

#include "common/cli.h"
#include "elf/elf.h"
#include "system/sys.h"

extern const struct cli_cmd sigil_cmd_import, sigil_cmd_exec, sigil_cmd_check, sigil_cmd_build;
extern const struct cli_cmd sigil_cmd_genode, sigil_cmd_graph; /* genode.c, graph.c */
extern const struct cli_cmd sigil_cmd_unit; /* unit.c */
extern const struct cli_cmd sigil_cmd_run, sigil_cmd_status; /* run.c, status.c */
extern const struct cli_cmd sigil_cmd_image; /* image.c */
extern const struct cli_cmd sigil_cmd_boot; /* boot.c */

/* Parsed options: every value of every option, in order. */
struct sigil_args {
	struct cli_args a;      /* the last value per option, as cli_parse gives */
	const char **all[32];   /* all values per option index (malloc'ed array) */
	size_t n_all[32];
};

/* Like cli_parse, but keeps every value of a repeated option, and with
 * `stop` set stops at the first operand (the rest are left for it, options
 * included). Returns 0 to run, 1 with *status set (help, usage error).
 * Release with sigil_args_free. */
int sigil_parse(const struct cli_cmd *cmd, int argc, char **argv, int stop,
		struct sigil_args *a, int *status);

/* Every value given for option `name` (count in *n). */
const char **sigil_all(const struct cli_cmd *cmd, const struct sigil_args *a, const char *name,
		       size_t *n);

void sigil_args_free(struct sigil_args *a);

/* Prints an elf_error as "sigil CMD: msg" (and, for a block at fault,
 * "  block REF of file NAME"); returns the exit status for it. */
int sigil_fail_elf(const struct cli_cmd *cmd, const elf_error *err);

/* sysio.c (for genode.c and graph.c). Each returns an exit status, with
 * the message printed. sigil_read_file: the whole file, NUL-terminated,
 * malloc'd into *out. sigil_load_system: a .json, .cbor or Dhall system
 * into *sys (arena-allocated; *src malloc'd, the caller frees it),
 * loader findings printed. sigil_write_out: data to stdout (path NULL) or
 * atomically to path. */
int sigil_read_file(const struct cli_cmd *cmd, const char *path, char **out, size_t *len);
int sigil_load_system(const struct cli_cmd *cmd, const char *path, struct dhall_arena *arena,
		      struct sys_system *sys, char **src, size_t *len);
int sigil_write_out(const struct cli_cmd *cmd, const char *path, const char *data, size_t len);
/* Reads, loads and checks a system (check, build): findings go to rep and
 * are printed; *loaded = 1 when the description could be loaded at all.
 * Returns EXIT_OK (findings or not) or the status of a read failure. */
/* Where downloaded kernels and the like are kept: $SIGIL_CACHE, else
 * $XDG_CACHE_HOME/sigil, else ~/.cache/sigil. */
void sigil_cache_dir(char *out, size_t size);
int sigil_check_system(const struct cli_cmd *cmd, const char *path, struct dhall_arena *arena,
		       struct sys_system *sys, char **src, struct sys_report *rep, int *loaded);

#endif
