/*
 * opts.c — option parsing for sigil subcommands (see sigil_cli.h) and the
 * one place elf_errors become messages and exit codes.
 *
 * cli_parse keeps one value per option; sigil import takes --extra, --env
 * and -L many times, and sigil exec must not read the program's own options
 * ("sigil exec -s S URN -v": -v is nginx's). So this is cli_parse's loop
 * with every value kept and an optional "+" (stop at the first operand).
 * The option table and the generated --help stay cli.h's.
 */
#include "sigil_cli.h"

#include <getopt.h>
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

int sigil_parse(const struct cli_cmd *cmd, int argc, char **argv, int stop,
		struct sigil_args *a, int *status)
{
	int n = opt_count(cmd);
	struct option lo[34];
	char so[100];
	size_t sk = 0;
	int c, idx;

	memset(a, 0, sizeof *a);
	if (stop)
		so[sk++] = '+';
	so[sk++] = ':';
	for (int i = 0; i < n; i++) {
		lo[i].name = cmd->opts[i].name;
		lo[i].has_arg = cmd->opts[i].arg ? required_argument : no_argument;
		lo[i].flag = NULL;
		lo[i].val = 256 + i;
		if (cmd->opts[i].short_name) {
			so[sk++] = (char)cmd->opts[i].short_name;
			if (cmd->opts[i].arg)
				so[sk++] = ':';
		}
	}
	lo[n] = (struct option){"help", no_argument, NULL, 'h'};
	lo[n + 1] = (struct option){0};
	so[sk++] = 'h';
	so[sk] = '\0';

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, so, lo, &idx)) != -1) {
		if (c == 'h') {
			cli_help(cmd, stdout);
			*status = EXIT_OK;
			goto stop;
		}
		if (c == '?' || c == ':') {
			const char *bad = argv[optind - 1];
			if (c == ':')
				cli_fail(cmd, EXIT_USAGE, "option \"%s\" needs an argument", bad);
			else if (optopt)
				cli_fail(cmd, EXIT_USAGE, "unknown option \"-%c\"", optopt);
			else
				cli_fail(cmd, EXIT_USAGE, "unknown option \"%s\"", bad);
			fprintf(stderr, "try \"%s %s --help\"\n", cli_prog, cmd->name);
			*status = EXIT_USAGE;
			goto stop;
		}
		int i = c >= 256 ? c - 256 : -1;
		for (int k = 0; i < 0 && k < n; k++)
			if (cmd->opts[k].short_name == c)
				i = k;
		if (i < 0)
			continue;
		a->a.val[i] = cmd->opts[i].arg ? optarg : "";
		const char **more = realloc(a->all[i], (a->n_all[i] + 1) * sizeof *more);
		if (!more) {
			cli_fail(cmd, EXIT_SYSTEM, "out of memory");
			*status = EXIT_SYSTEM;
			goto stop;
		}
		a->all[i] = more;
		a->all[i][a->n_all[i]++] = a->a.val[i];
	}
	a->a.argc = argc - optind;
	a->a.argv = argv + optind;
	return 0;
stop:
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
