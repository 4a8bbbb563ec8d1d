/*
 * unit.c — `sigil unit FILE|NAME [--instance I] [-o child.dhall]`: a systemd
 * service as a Sigil child (lib/unit).
 *
 * FILE (anything with a '/') is read as is, with drop-ins from its own
 * directory (and, with --root, from the unit directories under it); a NAME
 * is looked up in the standard unit directories (/etc/systemd/system,
 * /run/systemd/system, /usr/local/lib/systemd/system, /lib/systemd/system,
 * /usr/lib/systemd/system) under --root (default /); a NAME found in none
 * of them that names a file in the current directory is read as ./NAME
 * (with a note saying so), as `sigil unit foo.service` beside foo.service
 * means. The socket unit of the
 * same name (or the first one Sockets= names) is read with it when found.
 *
 * The package the child imports is --package, else the first of
 *   <dir of sigil>/../share/sigil/dhall/Sigil/package.dhall   (installed)
 *   <dir of sigil>/../../dhall/Sigil/package.dhall            (build/bin)
 *   <dir of sigil>/../../../dhall/Sigil/package.dhall         (build/asan/bin)
 * that exists, as an absolute path.
 *
 * Warnings print as "file:line: warning: …" on stderr (and are comments in
 * the output); --strict turns any warning into failure (exit 1, nothing
 * written). Exit: 0 written, 1 the unit cannot be translated (or --strict),
 * 2 usage, 3 a file cannot be read or written.
 */
#include "sigil_cli.h"
#include "unit/unit.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "banned.h"

static const struct cli_opt opts[] = {
	{"output", 'o', "FILE", "write the child (Dhall) to FILE instead of stdout"},
	{"instance", 'i', "I", "the instance of a template unit (NAME@.service)"},
	{"root", 'r', "DIR", "read unit directories, EnvironmentFile= and programs under DIR"},
	{"package", 'p', "PATH", "the Sigil package the child imports (default: the installed one)"},
	{"strict", 0, NULL, "fail on any warning (a directive that is not translated)"},
	{"quiet", 'q', NULL, "do not print warnings (they stay comments in the output)"},
	{0},
};

static int status_of(int code)
{
	switch (code) {
	case UNIT_E_ARG: return EXIT_USAGE;
	case UNIT_E_IO:
	case UNIT_E_NOMEM: return EXIT_SYSTEM;
	default: return EXIT_DATA;
	}
}

/* The default package path (malloc'd), or NULL. */
static char *default_package(void)
{
	static const char *const rel[] = {"/../share/sigil/dhall/Sigil/package.dhall",
					  "/../../dhall/Sigil/package.dhall",
					  "/../../../dhall/Sigil/package.dhall"};
	char exe[PATH_MAX], cand[PATH_MAX + 64], real[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n <= 0)
		return NULL;
	exe[n] = '\0';
	char *slash = strrchr(exe, '/');
	if (!slash)
		return NULL;
	*slash = '\0';
	for (size_t i = 0; i < sizeof rel / sizeof rel[0]; i++) {
		snprintf(cand, sizeof cand, "%s%s", exe, rel[i]);
		if (realpath(cand, real))
			return strdup(real);
	}
	return NULL;
}

static void print_diags(const struct unit_diags *w, size_t from)
{
	for (size_t i = from; i < w->n; i++) {
		if (w->d[i].line)
			fprintf(stderr, "%s:%u: warning: %s\n", w->d[i].file, w->d[i].line,
				w->d[i].msg);
		else
			fprintf(stderr, "%s: warning: %s\n", w->d[i].file, w->d[i].msg);
	}
}

static int fail_unit(const struct cli_cmd *cmd, const unit_error *err)
{
	if (err->line)
		fprintf(stderr, "%s:%u: error: %s\n", err->file, err->line, err->msg);
	else if (err->file[0])
		fprintf(stderr, "%s: error: %s\n", err->file, err->msg);
	else
		cli_fail(cmd, status_of(err->code), "%s", err->msg);
	return status_of(err->code);
}

/* Loads the socket unit that goes with svc into sock; 1 found, 0 none,
 * negative on an error (in err). */
static int load_socket(const unit_file *svc, const char *root, const char *const *dirs,
		       size_t ndirs, unit_file *sock, struct unit_diags *w, unit_error *err)
{
	char name[512], path[PATH_MAX + 600];
	const struct unit_entry *s = unit_last(svc, "Service", "Sockets");
	if (s && *s->value) {
		size_t n = strcspn(s->value, " \t");
		snprintf(name, sizeof name, "%.*s", (int)n, s->value);
	} else if (svc->instance) {
		snprintf(name, sizeof name, "%s@%s.socket", svc->prefix, svc->instance);
	} else {
		snprintf(name, sizeof name, "%s.socket", svc->prefix);
	}
	/* beside the service's own file first */
	const char *slash = strrchr(svc->path, '/');
	snprintf(path, sizeof path, "%.*s/%s", slash ? (int)(slash - svc->path) : 1,
		 slash ? svc->path : ".", name);
	const char *tmpl_at = strchr(name, '@');
	if (access(path, F_OK) != 0 && tmpl_at) { /* the socket template beside it */
		const char *dot = strrchr(name, '.');
		snprintf(path, sizeof path, "%.*s/%.*s@%s", slash ? (int)(slash - svc->path) : 1,
			 slash ? svc->path : ".", (int)(tmpl_at - name), name, dot);
	}
	int rc;
	if (access(path, F_OK) == 0)
		rc = unit_load(sock, NULL, NULL, 0, path, svc->instance, w, err);
	else if (ndirs)
		rc = unit_load(sock, root, dirs, ndirs, name, NULL, w, err);
	else
		return 0;
	if (rc == UNIT_E_NOTFOUND)
		return 0;
	return rc ? rc : 1;
}

static int run(const struct cli_cmd *cmd, int argc, char **argv)
{
	struct cli_args a;
	int status;
	if (cli_parse(cmd, argc, argv, &a, &status))
		return status;
	if (a.argc != 1)
		return cli_fail(cmd, EXIT_USAGE, "expected one unit FILE or NAME");
	const char *what = a.argv[0];
	const char *root = cli_get(cmd, &a, "root");
	const char *outp = cli_get(cmd, &a, "output");
	int is_path = strchr(what, '/') != NULL;
	const char *const *dirs = (!is_path || root) ? unit_system_dirs : NULL;
	size_t ndirs = (!is_path || root) ? unit_system_ndirs : 0;
	char here[PATH_MAX];
	unit_file svc, sock;
	struct unit_diags w = {0};
	unit_error err = {0};
	char *text = NULL, *pkg = NULL;
	int rc = EXIT_OK, has_sock = 0;
	unit_file_init(&svc);
	unit_file_init(&sock);

	if (cli_get(cmd, &a, "package"))
		pkg = strdup(cli_get(cmd, &a, "package"));
	else if (!(pkg = default_package())) {
		rc = cli_fail(cmd, EXIT_USAGE,
			      "cannot find dhall/Sigil/package.dhall beside this program; give --package");
		goto out;
	}
	if (!pkg) {
		rc = cli_fail(cmd, EXIT_SYSTEM, "out of memory");
		goto out;
	}
	int urc = unit_load(&svc, root, dirs, ndirs, what, cli_get(cmd, &a, "instance"), &w, &err);
	if (urc == UNIT_E_NOTFOUND && !is_path && access(what, F_OK) == 0 &&
	    (size_t)snprintf(here, sizeof here, "./%s", what) < sizeof here) {
		fprintf(stderr, "sigil unit: note: '%s' is in no unit directory; reading the file %s\n",
			what, here);
		unit_file_free(&svc);
		unit_file_init(&svc);
		what = here;
		dirs = root ? unit_system_dirs : NULL;
		ndirs = root ? unit_system_ndirs : 0;
		urc = unit_load(&svc, root, dirs, ndirs, what, cli_get(cmd, &a, "instance"), &w, &err);
	}
	if (urc) {
		print_diags(&w, 0);
		rc = fail_unit(cmd, &err);
		goto out;
	}
	int src = load_socket(&svc, root, dirs, ndirs, &sock, &w, &err);
	if (src < 0) {
		print_diags(&w, 0);
		rc = fail_unit(cmd, &err);
		goto out;
	}
	has_sock = src == 1;
	struct unit_translate_opts o = {.package = pkg, .root = root};
	urc = unit_translate(&svc, has_sock ? &sock : NULL, &o, &text, &w, &err);
	if (!cli_get(cmd, &a, "quiet") || urc || cli_get(cmd, &a, "strict"))
		print_diags(&w, 0);
	if (urc) {
		rc = fail_unit(cmd, &err);
		goto out;
	}
	if (w.n)
		fprintf(stderr, "%s: %zu warning%s (directives not translated)\n", svc.name, w.n,
			w.n == 1 ? "" : "s");
	if (cli_get(cmd, &a, "strict") && w.n) {
		rc = cli_fail(cmd, EXIT_DATA, "--strict: %zu warning%s, nothing written", w.n,
			      w.n == 1 ? "" : "s");
		goto out;
	}
	if (outp) {
		char tmp[4096];
		int fd = -1;
		if ((fd = cli_temp_open(outp, tmp, sizeof tmp)) < 0 ||
		    cli_write_all(fd, text, strlen(text)) < 0 || cli_temp_commit(&fd, tmp, outp) < 0) {
			rc = cli_fail(cmd, EXIT_SYSTEM, "cannot write '%s': %s", outp, strerror(errno));
			if (fd >= 0) {
				close(fd);
				unlink(tmp);
			}
		}
	} else if (fputs(text, stdout) == EOF || fflush(stdout) != 0) {
		rc = cli_fail(cmd, EXIT_SYSTEM, "cannot write the output: %s", strerror(errno));
	}
out:
	free(text);
	free(pkg);
	unit_file_free(&svc);
	unit_file_free(&sock);
	unit_diags_free(&w);
	return rc;
}

const struct cli_cmd sigil_cmd_unit = {
	"unit",
	"FILE|NAME [--instance I] [-o child.dhall]",
	"translate a systemd service (with its socket) into a Sigil child (Dhall)",
	"Every directive is translated, written as a note in the output, or\n"
	"reported as FILE:LINE: warning (and kept as a comment). NAME is looked\n"
	"up in the unit directories under --root (default /), then in the current\n"
	"directory (a FILE is anything with a '/'); drop-ins\n"
	"(NAME.service.d/*.conf) and specifiers (%i %n %p %t …) apply as in\n"
	"systemd. EnvironmentFile= is read now, under --root. The child imports\n"
	"--package (default: dhall/Sigil/package.dhall installed with sigil).",
	opts,
	run,
};
