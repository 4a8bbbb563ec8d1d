/*
 * format.c — `dhall format`: parses Dhall source and prints it back in the
 * canonical layout of dhall_format (Unicode spellings, precedence-minimal
 * parentheses, comments dropped). --check prints nothing and exits 1 when
 * the input is not already formatted exactly so.
 */
#include "dhall_cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "banned.h"

static const struct cli_opt opts[] = {
	{"file", 'f', "FILE", "read the expression from FILE instead of stdin"},
	{"check", 0, NULL, "only check: exit 1 (naming the input) when it is not formatted"},
	{0},
};

static int run(const struct cli_cmd *cmd, int argc, char **argv)
{
	struct cli_args a;
	struct dhall_arena arena;
	struct dhall_buf out = {0};
	struct dhall_expr *e = NULL;
	char *src = NULL;
	int status, rc;

	if (dhall_cli_args(cmd, argc, argv, &a, &status))
		return status;
	dhall_arena_init(&arena);
	const char *file = cli_get(cmd, &a, "file");
	status = dhall_cli_parse(cmd, file, &arena, &src, &e);
	if (status)
		goto out;
	rc = dhall_format(e, &out);
	if (rc) {
		status = cli_fail(cmd, rc == DHALL_ENOMEM ? EXIT_SYSTEM : EXIT_DATA, "%s",
				  rc == DHALL_ENOMEM ? "out of memory"
						     : "expression nested too deeply to print");
		goto out;
	}
	if (cli_get(cmd, &a, "check")) {
		if (strlen(src) != out.len || memcmp(src, out.data, out.len) != 0)
			status = cli_fail(cmd, EXIT_DATA, "'%s' is not formatted",
					  file ? file : "(stdin)");
		goto out;
	}
	status = dhall_cli_write(cmd, out.data, out.len);
out:
	dhall_buf_free(&out);
	dhall_arena_free(&arena);
	free(src);
	return status;
}

const struct cli_cmd dhall_cmd_format = {
	.name = "format",
	.args = "[--file FILE] [--check]",
	.summary = "print a Dhall expression in the canonical layout",
	.details = "Parses the expression (stdin, or --file) and prints it back in one\n"
		   "canonical layout: Unicode spellings (λ → ∀ ∧ ⫽ ⩓ ≡), only the\n"
		   "parentheses precedence needs, lines broken at 80 columns. Comments are\n"
		   "not kept. The output parses to the same expression (the same binary\n"
		   "encoding). With --check nothing is printed: the exit status is 0 when\n"
		   "the input is already formatted, 1 when it is not.",
	.opts = opts,
	.run = run,
};
