/*
 * opts.c — option parsing for sigil subcommands (see sigil_cli.h) and the
 * one place elf_errors become messages and exit codes.
 *
 * cli_parse keeps one value per option; sigil import takes --extra, --env
 * and -L many times, and sigil exec must not read the program's own options
 * ("sigil exec -s S URN -v": -v is nginx's). So sigil_parse is
 * cli_parse_each with every value kept and, when asked, the stop at the
 * first operand. The option table and the generated --help stay cli.h's.
 */
#include "sigil_cli.h"

#include <stdlib.h>
#include <string.h>

#include "banned.h"

static int opt_count(const struct cli_cmd *cmd)
{
	int n = 0;

	while (cmd->opts && cmd->opts[n].name)
		n++;
	return n < 32 ? n : 32;
}

void sigil_args_free(struct sigil_args *a)
{
	for (int i = 0; i < 32; i++)
		free(a->all[i]);
	memset(a, 0, sizeof *a);
}

/* cli_parse_each's callback: value `val` of option i kept in a's list. */
static int keep_value(void *ctx, const struct cli_cmd *cmd, int i, const char *val)
{
	struct sigil_args *a = ctx;
	const char **more = realloc(a->all[i], (a->n_all[i] + 1) * sizeof *more);
	if (!more)
		return cli_fail(cmd, EXIT_SYSTEM, "out of memory");
	a->all[i] = more;
	a->all[i][a->n_all[i]++] = val;
	return 0;
}

int sigil_parse(const struct cli_cmd *cmd, int argc, char **argv, int stop,
		struct sigil_args *a, int *status)
{
	memset(a, 0, sizeof *a);
	if (cli_parse_each(cmd, argc, argv, stop, keep_value, a, &a->a, status) == 0)
		return 0;
	sigil_args_free(a);
	return 1;
}

const char **sigil_all(const struct cli_cmd *cmd, const struct sigil_args *a, const char *name,
		       size_t *n)
{
	for (int i = 0; i < opt_count(cmd); i++)
		if (strcmp(cmd->opts[i].name, name) == 0) {
			*n = a->n_all[i];
			return a->all[i];
		}
	*n = 0;
	return NULL;
}

int sigil_fail_elf(const struct cli_cmd *cmd, const elf_error *err)
{
	int status;

	switch (err->code) {
	case ELF_E_ARG: status = EXIT_USAGE; break;
	case ELF_E_IO:
	case ELF_E_NOMEM:
	case ELF_E_PATCH: status = EXIT_SYSTEM; break;
	case ELF_E_ERIS:
		status = err->eris.code == ERIS_E_IO || err->eris.code == ERIS_E_NOMEM ||
				 err->eris.code == ERIS_E_ARG
			 ? EXIT_SYSTEM
			 : EXIT_DATA;
		break;
	default: status = EXIT_DATA; break;
	}
	cli_fail(cmd, status, "%s", err->msg);
	if (err->code == ELF_E_ERIS && err->eris.has_ref) {
		char ref[ERIS_REF_B32_LEN + 1];
		eris_ref_to_b32(err->eris.ref, ref);
		fprintf(stderr, "  block %s (level %d, node %llu) of file \"%s\"\n", ref,
			err->eris.level, (unsigned long long)err->eris.index, err->file);
	}
	return status;
}
