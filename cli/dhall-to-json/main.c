/*
 * main.c — `dhall-to-json`: Dhall source to JSON, with the common flags of
 * dhall-haskell's tool of that name (--file, --compact, --pretty, --version).
 * The JSON conventions are dhall_to_json's (lib/dhall/json.c): records →
 * objects with sorted keys, Optional → value or null (null fields left out),
 * unions → their payload or constructor name, mapKey/mapValue lists →
 * objects. The input is evaluated first: imports resolved (relative to the
 * file, or the working directory for stdin), type-checked, then evaluated
 * and rendered in one pass (dhall_eval_to_json: the normal form is never
 * built; lib/dhall: resolve.c, typecheck.c, eval.c, json.c). Exit codes as cli.h: 1 bad
 * Dhall (syntax, import, type) or no JSON form, 2 usage, 3 system.
 *
 * Nothing is printed unless all of it can be: the JSON is built in memory
 * and written at the end. When stdout is a regular file (not O_APPEND),
 * output past DHALL_BUF_SPILL bytes is written as it is made instead (the
 * buffer spills), so a large output needs no memory of its size; if the
 * render then fails, the file is cut back to where it stood.
 */
#include "common/cli.h"
#include "dhall/dhall.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "banned.h"

static const struct cli_opt opts[] = {
	{"file", 'f', "FILE", "read the expression from FILE instead of stdin"},
	{"compact", 'c', NULL, "print the JSON on one line"},
	{"pretty", 0, NULL, "indent the JSON by two spaces (the default)"},
	{"version", 'V', NULL, "print the version and exit"},
	{0},
};

/* All of `file` (NULL or "-": stdin) into a malloc'd, NUL-terminated buffer.
 * Returns EXIT_OK, or prints why and returns EXIT_SYSTEM. */
static int read_all(const char *file, char **data, size_t *len)
{
	int fd = 0, status = EXIT_SYSTEM;
	size_t cap = 1 << 16, n = 0;
	char *buf = NULL;
	const char *name = file ? file : "(stdin)";

	if (file && strcmp(file, "-") != 0) {
		fd = open(file, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return cli_fail(NULL, EXIT_SYSTEM, "cannot open '%s': %s", file,
					strerror(errno));
	}
	buf = malloc(cap);
	if (!buf)
		goto nomem;
	for (;;) {
		if (cap - n < 2) {
			char *p = cap > SIZE_MAX / 2 ? NULL : realloc(buf, cap * 2);
			if (!p)
				goto nomem;
			buf = p;
			cap *= 2;
		}
		ssize_t r = read(fd, buf + n, cap - n - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			cli_fail(NULL, EXIT_SYSTEM, "cannot read '%s': %s", name, strerror(errno));
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
	status = EXIT_OK;
	goto out;
nomem:
	cli_fail(NULL, EXIT_SYSTEM, "out of memory reading '%s'", name);
out:
	free(buf);
	if (fd > 0)
		close(fd);
	return status;
}

/* Spilling to stdout: where it started, and why a write failed. */
struct spill_out {
	off_t start;
	int err;
};

static int spill_write(void *ctx, const uint8_t *data, size_t len)
{
	struct spill_out *s = ctx;
	if (cli_write_all(1, data, len) < 0) {
		s->err = errno ? errno : EIO;
		return -1;
	}
	return 0;
}

/* Lets out spill into stdout when it is a regular file we can cut back. */
static void spill_to_stdout(struct dhall_buf *out, struct spill_out *s)
{
	struct stat st;
	int fl = fcntl(1, F_GETFL);
	if (fl < 0 || (fl & O_APPEND) || fstat(1, &st) != 0 || !S_ISREG(st.st_mode))
		return;
	s->start = lseek(1, 0, SEEK_CUR);
	if (s->start < 0)
		return;
	out->spill = spill_write;
	out->spill_ctx = s;
}

static int run(const struct cli_cmd *cmd, int argc, char **argv)
{
	struct cli_args a;
	struct dhall_arena arena;
	struct dhall_buf out = {0};
	struct spill_out spill = {0, 0};
	struct dhall_err err = {0};
	struct dhall_expr *e = NULL;
	char *src = NULL;
	size_t len = 0;
	int status, rc;

	if (cli_parse(cmd, argc, argv, &a, &status))
		return status;
	if (cli_get(cmd, &a, "version")) {
		puts("dhall-to-json (sigil) 0.1 — Dhall standard 23.1.0");
		return EXIT_OK;
	}
	if (a.argc > 0)
		return cli_fail(NULL, EXIT_USAGE, "unexpected argument '%s' (try --help)",
				a.argv[0]);
	if (cli_get(cmd, &a, "compact") && cli_get(cmd, &a, "pretty"))
		return cli_fail(NULL, EXIT_USAGE, "--compact and --pretty exclude each other");
	dhall_arena_init(&arena);
	const char *file = cli_get(cmd, &a, "file");
	status = read_all(file, &src, &len);
	if (status)
		goto out;
	struct dhall_ctx ctx;
	struct dhall_expr *ty;
	dhall_ctx_init(&ctx);
	ctx.name = file ? file : "(stdin)";
	ctx.src = src;
	ctx.len = len;
	rc = dhall_parse(&arena, src, len, ctx.name, &e, &err);
	if (rc == 0)
		rc = dhall_resolve(&ctx, &arena, e, file && strcmp(file, "-") != 0 ? file : NULL, &e,
				   &err);
	if (rc == 0)
		rc = dhall_typeof(&ctx, &arena, e, &ty, &err);
	if (rc == DHALL_ENOMEM) {
		status = cli_fail(NULL, EXIT_SYSTEM, "out of memory");
		goto out;
	}
	if (rc) {
		dhall_err_print(&err, stderr);
		status = EXIT_DATA;
		goto out;
	}
	/* normalized and rendered in one pass: no normal-form tree */
	spill_to_stdout(&out, &spill);
	rc = dhall_eval_to_json(&ctx, e, cli_get(cmd, &a, "compact") ? 0 : 2, &out, &err);
	if (rc && out.spilled && (ftruncate(1, spill.start) != 0 ||
				  lseek(1, spill.start, SEEK_SET) != spill.start))
		cli_fail(NULL, EXIT_SYSTEM, "cannot take back the partial output: %s",
			 strerror(errno));
	if (rc && spill.err) {
		status = cli_fail(NULL, EXIT_SYSTEM, "cannot write output: %s", strerror(spill.err));
		goto out;
	}
	if (rc == DHALL_ENOMEM) {
		status = cli_fail(NULL, EXIT_SYSTEM, "out of memory");
		goto out;
	}
	if (rc == DHALL_ESYNTAX) { /* no JSON form */
		status = cli_fail(NULL, EXIT_DATA, "%s: %s", file ? file : "(stdin)", err.msg);
		goto out;
	}
	if (rc) {
		dhall_err_print(&err, stderr);
		status = EXIT_DATA;
		goto out;
	}
	if (cli_write_all(1, out.data, out.len) < 0 || cli_write_all(1, "\n", 1) < 0)
		status = cli_fail(NULL, EXIT_SYSTEM, "cannot write output: %s", strerror(errno));
out:
	dhall_buf_free(&out);
	dhall_arena_free(&arena);
	free(src);
	return status;
}

int main(int argc, char **argv)
{
	static const struct cli_cmd cmd = {
		.name = "",
		.args = "[--file FILE] [--compact | --pretty] [--version]",
		.summary = "Compile a Dhall value to JSON.",
		.details = "Reads a Dhall expression (stdin, or --file) and prints it as JSON,\n"
			   "as dhall-haskell's dhall-to-json does: records become objects (keys\n"
			   "sorted, null fields left out), lists arrays, `Some x` x, `None T`\n"
			   "null, union values their payload (or the constructor's name), and\n"
			   "lists of { mapKey, mapValue } records objects. The expression is\n"
			   "evaluated first: imports resolved, type-checked, normalized.",
		.opts = opts,
		.run = run,
	};
	cli_prog = "dhall-to-json";
	return run(&cmd, argc, argv);
}
