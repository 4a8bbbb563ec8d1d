/*
 * cli.c — option tables, generated help, dispatch and messages (see cli.h).
 * getopt_long does the parsing; its option array is built from the table.
 */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "banned.h"

const char *cli_prog = "sigil";

static int opt_count(const struct cli_cmd *cmd)
{
	int n = 0;

	while (cmd->opts && cmd->opts[n].name)
		n++;
	return n;
}

void cli_help(const struct cli_cmd *cmd, FILE *out)
{
	int n = opt_count(cmd);

	/* a program without subcommands has a command with an empty name */
	fprintf(out, "usage: %s%s%s %s\n\n%s\n", cli_prog, cmd->name[0] ? " " : "", cmd->name,
		cmd->args, cmd->summary);
	if (cmd->details)
		fprintf(out, "\n%s\n", cmd->details);
	fprintf(out, "\noptions:\n");
	for (int i = 0; i < n; i++) {
		const struct cli_opt *o = &cmd->opts[i];
		char left[64];
		int k = 0;
		if (o->short_name)
			k = snprintf(left, sizeof left, "-%c, ", o->short_name);
		else
			k = snprintf(left, sizeof left, "    ");
		snprintf(left + k, sizeof left - (size_t)k, "--%s%s%s", o->name, o->arg ? " " : "",
			 o->arg ? o->arg : "");
		fprintf(out, "  %-28s %s\n", left, o->help);
	}
	fprintf(out, "  %-28s %s\n", "-h, --help", "show this help and exit");
	fprintf(out, "\nexit status: 0 success, 1 bad or missing data, 2 usage error, "
		     "3 system error (see %s(1))\n",
		cli_prog);
}

int cli_fail(const struct cli_cmd *cmd, int status, const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	if (cmd)
		fprintf(stderr, "%s %s: ", cli_prog, cmd->name);
	else
		fprintf(stderr, "%s: ", cli_prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return status;
}

int cli_parse_each(const struct cli_cmd *cmd, int argc, char **argv, int stop,
		   int (*each)(void *ctx, const struct cli_cmd *cmd, int i, const char *val),
		   void *ctx, struct cli_args *a, int *status)
{
	int n = opt_count(cmd);
	struct option lo[34];
	char so[100];
	size_t sk = 0;
	int c, idx;

	if (n > 32)
		n = 32;
	memset(a, 0, sizeof *a);
	if (stop)
		so[sk++] = '+'; /* options end at the first operand */
	so[sk++] = ':';         /* report a missing argument as ':' */
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
			return 1;
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
			return 1;
		}
		int i = c >= 256 ? c - 256 : -1;
		for (int k = 0; i < 0 && k < n; k++)
			if (cmd->opts[k].short_name == c)
				i = k;
		if (i < 0)
			continue;
		a->val[i] = cmd->opts[i].arg ? optarg : "";
		if (each && (*status = each(ctx, cmd, i, a->val[i])) != 0)
			return 1;
	}
	a->argc = argc - optind;
	a->argv = argv + optind;
	return 0;
}

int cli_parse(const struct cli_cmd *cmd, int argc, char **argv, struct cli_args *a, int *status)
{
	return cli_parse_each(cmd, argc, argv, 0, NULL, NULL, a, status);
}

const char *cli_get(const struct cli_cmd *cmd, const struct cli_args *a, const char *name)
{
	for (int i = 0; cmd->opts && cmd->opts[i].name; i++)
		if (strcmp(cmd->opts[i].name, name) == 0)
			return a->val[i];
	return NULL;
}

static void usage_all(const char *prog, const char *summary, const struct cli_cmd *cmds,
		      FILE *out)
{
	int w = 8;
	fprintf(out, "usage: %s COMMAND [OPTIONS] [ARGS]\n\n%s\n\ncommands:\n", prog, summary);
	for (const struct cli_cmd *c = cmds; c->name; c++)
		if ((int)strlen(c->name) > w)
			w = (int)strlen(c->name);
	for (const struct cli_cmd *c = cmds; c->name; c++)
		fprintf(out, "  %-*s %s\n", w, c->name, c->summary);
	fprintf(out, "\n\"%s COMMAND --help\" describes a command; man %s(1) has the details.\n",
		prog, prog);
}

int cli_dispatch(const char *prog, const char *summary, const struct cli_cmd *cmds, int argc,
		 char **argv)
{
	const char *name = argc > 1 ? argv[1] : NULL;

	cli_prog = prog;
	if (!name) {
		usage_all(prog, summary, cmds, stderr);
		return EXIT_USAGE;
	}
	if (strcmp(name, "-h") == 0 || strcmp(name, "--help") == 0) {
		usage_all(prog, summary, cmds, stdout);
		return EXIT_OK;
	}
	if (strcmp(name, "help") == 0 && argc > 2)
		name = argv[2];
	else if (strcmp(name, "help") == 0) {
		usage_all(prog, summary, cmds, stdout);
		return EXIT_OK;
	}
	for (const struct cli_cmd *c = cmds; c->name; c++) {
		if (strcmp(c->name, name) != 0)
			continue;
		if (strcmp(argv[1], "help") == 0) {
			cli_help(c, stdout);
			return EXIT_OK;
		}
		return c->run(c, argc - 1, argv + 1);
	}
	fprintf(stderr, "%s: unknown command \"%s\" (try \"%s --help\")\n", prog, name, prog);
	return EXIT_USAGE;
}

int cli_parse_u64(const char *s, uint64_t *out)
{
	char *end = NULL;
	unsigned long long v;

	if (!s || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0')
		return -1;
	*out = v;
	return 0;
}

int cli_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int cli_temp_open(const char *out, char *tmp, size_t size)
{
	char *dcopy = strdup(out), *bcopy = strdup(out);
	mode_t mask = umask(0);
	int fd = -1;

	umask(mask);
	if (dcopy && bcopy &&
	    snprintf(tmp, size, "%s/.%s.tmp.XXXXXX", dirname(dcopy), basename(bcopy)) < (int)size) {
		fd = mkostemp(tmp, O_CLOEXEC);
		if (fd >= 0)
			fchmod(fd, 0666 & ~mask);
	} else {
		errno = dcopy && bcopy ? ENAMETOOLONG : ENOMEM;
	}
	free(dcopy);
	free(bcopy);
	return fd;
}

int cli_temp_commit(int *fd, char *tmp, const char *out)
{
	int bad = fsync(*fd) != 0;

	if (close(*fd) != 0)
		bad = 1;
	*fd = -1;
	if (bad || rename(tmp, out) != 0)
		return -1;
	tmp[0] = '\0';
	return 0;
}

int cli_show_progress(void)
{
	return isatty(STDERR_FILENO);
}

int cli_read_file(const char *path, char **data, size_t *len)
{
	int fd = 0, err = 0;
	size_t cap = 1 << 16, n = 0;
	char *buf = NULL;

	if (path && strcmp(path, "-") != 0 && (fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	if (!(buf = malloc(cap))) {
		err = ENOMEM;
		goto out;
	}
	for (;;) {
		if (cap - n < 2) {
			char *b = cap > SIZE_MAX / 2 ? NULL : realloc(buf, cap * 2);
			if (!b) {
				err = ENOMEM;
				goto out;
			}
			buf = b;
			cap *= 2;
		}
		ssize_t r = read(fd, buf + n, cap - n - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			err = errno;
			goto out;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	buf[n] = 0;
	*data = buf;
	*len = n;
	buf = NULL;
out:
	free(buf);
	if (fd > 0)
		close(fd);
	if (err) {
		errno = err;
		return -1;
	}
	return 0;
}
