/*
 * import.c — `sigil import`: a program, its libraries and its declared extra
 * files into a store, patched so that every file names its dependencies by
 * URN; prints the URN of the closure description (what `sigil exec` runs)
 * and, with -m, writes eris-manifest.json. The work is lib/elf's; this file
 * turns options into elf_closure_opts / elf_import_opts.
 */
#include "sigil_cli.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "banned.h"

static const struct cli_opt import_opts[] = {
	{"store", 's', "STORE", "block store to write (created when missing)"},
	{"manifest", 'm', "FILE", "also write eris-manifest.json to FILE"},
	{"extra", 'x', "SRC[=TARGET]",
	 "a file or directory (recursively) the program needs at run time, placed at "
	 "/rom/TARGET (default: the base name of SRC); ELF files in it are patched too; "
	 "repeatable"},
	{"env", 'e', "NAME=VALUE", "environment for the program, recorded in the closure; "
				   "repeatable"},
	{"library-path", 'L', "DIRS", "search these ':'-separated directories like "
				      "LD_LIBRARY_PATH; repeatable"},
	{"ld-library-path", 0, NULL, "also search $LD_LIBRARY_PATH (not by default)"},
	{"ld-cache", 0, "FILE", "the ld.so.cache to consult (default /etc/ld.so.cache; "
				"\"none\" for none)"},
	{"no-default-dirs", 0, NULL, "neither ld.so.cache nor the default directories"},
	{"argv0", 0, "NAME", "argv[0] for the program (default: the base name of PATH)"},
	{"secret-file", 0, "FILE", "convergence secret: a file of exactly 32 raw bytes"},
	{"patchelf", 0, "PROG", "rewrite with this patchelf, not the built-in rewriter"},
	{"verbose", 'v', NULL, "list every file of the closure on stderr"},
	{0},
};

static int read_secret(const struct cli_cmd *cmd, const char *path, uint8_t *secret)
{
	uint8_t buf[ERIS_SECRET_SIZE + 1];
	size_t got = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return cli_fail(cmd, EXIT_SYSTEM, "cannot open \"%s\": %s", path, strerror(errno));
	for (;;) {
		ssize_t n = read(fd, buf + got, sizeof buf - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
		if (got == sizeof buf)
			break;
	}
	close(fd);
	if (got != ERIS_SECRET_SIZE) {
		sodium_memzero(buf, sizeof buf);
		return cli_fail(cmd, EXIT_USAGE, "\"%s\" must hold exactly 32 bytes", path);
	}
	memcpy(secret, buf, ERIS_SECRET_SIZE);
	sodium_memzero(buf, sizeof buf);
	return EXIT_OK;
}

/* SRC[=TARGET] -> extra; target strings are malloc'ed into *own. */
static int parse_extra(const struct cli_cmd *cmd, const char *arg, elf_extra *x, char **own)
{
	const char *eq = strchr(arg, '=');
	char *src = eq ? strndup(arg, (size_t)(eq - arg)) : strdup(arg);
	const char *base;

	if (!src)
		return cli_fail(cmd, EXIT_SYSTEM, "out of memory");
	while (strlen(src) > 1 && src[strlen(src) - 1] == '/')
		src[strlen(src) - 1] = '\0';
	base = strrchr(src, '/') ? strrchr(src, '/') + 1 : src;
	x->source = src;
	x->target = eq ? eq + 1 : base;
	*own = src;
	if (!elf_desc_check_name(x->target))
		return cli_fail(cmd, EXIT_USAGE,
				"bad target \"%s\" for \"%s\" (a relative path without . or ..)",
				x->target, src);
	return EXIT_OK;
}

static void list_files(const elf_closure *c)
{
	for (size_t i = 0; i < c->n; i++)
		if (c->nodes[i].reached)
			fprintf(stderr, "%s  %s%s\n", c->nodes[i].urn, c->nodes[i].path,
				c->nodes[i].script ? " (script, #! patched)"
				: c->nodes[i].patch && !c->nodes[i].is_interp ? " (patched)" : "");
	for (size_t i = 0; i < c->n_extras; i++)
		fprintf(stderr, "%s  %s -> /rom/%s\n", c->nodes[c->extras[i].node].urn,
			c->extras[i].source, c->extras[i].target);
	fprintf(stderr, "%s  (closure description)\n", c->desc_urn);
}

static int run_import(const struct cli_cmd *cmd, int argc, char **argv)
{
	struct sigil_args a;
	uint8_t secret[ERIS_SECRET_SIZE];
	const char *spec, *mpath, *tmpdir = getenv("TMPDIR");
	const char **xs, **envs, **libs;
	size_t n_x = 0, n_env = 0, n_libs = 0, n_done = 0;
	elf_extra *extras = NULL;
	char **own = NULL, *manifest = NULL, mtmp[4096] = "";
	const char **libpath = NULL;
	elf_closure *cs = NULL;
	const elf_closure **cps = NULL;
	elf_closure_opts co = {0};
	elf_import_opts io = {0};
	elf_error err;
	store *s = NULL;
	int status = EXIT_OK, mfd = -1;

	memset(&err, 0, sizeof err);
	if (sigil_parse(cmd, argc, argv, 0, &a, &status))
		return status;
	spec = cli_get(cmd, &a.a, "store");
	mpath = cli_get(cmd, &a.a, "manifest");
	if (!spec) {
		status = cli_fail(cmd, EXIT_USAGE, "no store given (use -s STORE)");
		goto out;
	}
	if (a.a.argc == 0) {
		status = cli_fail(cmd, EXIT_USAGE, "no program given");
		goto out;
	}
	xs = sigil_all(cmd, &a, "extra", &n_x);
	envs = sigil_all(cmd, &a, "env", &n_env);
	libs = sigil_all(cmd, &a, "library-path", &n_libs);
	extras = calloc(n_x + 1, sizeof *extras);
	own = calloc(n_x + 1, sizeof *own);
	libpath = calloc(n_libs + 2, sizeof *libpath);
	cs = calloc((size_t)a.a.argc, sizeof *cs);
	cps = calloc((size_t)a.a.argc, sizeof *cps);
	if (!extras || !own || !libpath || !cs || !cps) {
		status = cli_fail(cmd, EXIT_SYSTEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n_x && status == EXIT_OK; i++)
		status = parse_extra(cmd, xs[i], &extras[i], &own[i]);
	for (size_t i = 0; i < n_env && status == EXIT_OK; i++)
		if (!strchr(envs[i], '=') || envs[i][0] == '=')
			status = cli_fail(cmd, EXIT_USAGE, "--env \"%s\" is not NAME=VALUE", envs[i]);
	if (status == EXIT_OK && cli_get(cmd, &a.a, "secret-file")) {
		status = read_secret(cmd, cli_get(cmd, &a.a, "secret-file"), secret);
		io.secret = secret;
	}
	if (status != EXIT_OK)
		goto out;
	for (size_t i = 0; i < n_libs; i++)
		libpath[co.n_library_path++] = libs[i];
	if (cli_get(cmd, &a.a, "ld-library-path") && getenv("LD_LIBRARY_PATH"))
		libpath[co.n_library_path++] = getenv("LD_LIBRARY_PATH");
	co.library_path = libpath;
	co.ldcache = cli_get(cmd, &a.a, "ld-cache");
	if (co.ldcache && strcmp(co.ldcache, "none") == 0)
		co.ldcache = "";
	co.no_default_dirs = cli_get(cmd, &a.a, "no-default-dirs") != NULL;
	io.patchelf = cli_get(cmd, &a.a, "patchelf");
	io.workdir = tmpdir && *tmpdir ? tmpdir : "/tmp";
	io.env = envs;
	io.n_env = n_env;
	io.argv0 = cli_get(cmd, &a.a, "argv0");

	if (store_open(&s, spec, STORE_CREATE, &err.eris) != 0) {
		status = cli_fail(cmd, EXIT_SYSTEM, "%s", err.eris.msg);
		goto out;
	}
	if (mpath && (mfd = cli_temp_open(mpath, mtmp, sizeof mtmp)) < 0) {
		status = cli_fail(cmd, EXIT_SYSTEM, "cannot write \"%s\": %s", mpath,
				  strerror(errno));
		goto out;
	}
	for (int i = 0; i < a.a.argc; i++) {
		if (elf_closure_resolve(&cs[i], a.a.argv[i], extras, n_x, &co, &err) != 0) {
			status = sigil_fail_elf(cmd, &err);
			goto out;
		}
		if (elf_closure_import(&cs[i], s, &io, &err) != 0) {
			status = sigil_fail_elf(cmd, &err);
			elf_closure_release(&cs[i]);
			goto out;
		}
		n_done++;
		cps[i] = &cs[i];
		if (cli_get(cmd, &a.a, "verbose"))
			list_files(&cs[i]);
		printf("%s  %s\n", cs[i].desc_urn, a.a.argv[i]);
	}
	if (mfd >= 0) {
		if (elf_manifest_json(cps, n_done, &manifest, &err) != 0) {
			status = sigil_fail_elf(cmd, &err);
			goto out;
		}
		if (cli_write_all(mfd, manifest, strlen(manifest)) != 0 ||
		    cli_temp_commit(&mfd, mtmp, mpath) != 0) {
			status = cli_fail(cmd, EXIT_SYSTEM, "cannot write \"%s\": %s", mpath,
					  strerror(errno));
			goto out;
		}
	}
	if (fflush(stdout) != 0)
		status = cli_fail(cmd, EXIT_SYSTEM, "cannot write the output");
out:
	if (mfd >= 0)
		close(mfd);
	if (mtmp[0])
		unlink(mtmp);
	free(manifest);
	for (size_t i = 0; cs && i < n_done; i++)
		elf_closure_release(&cs[i]);
	free(cs);
	free(cps);
	for (size_t i = 0; own && i < n_x; i++)
		free(own[i]);
	free(own);
	free(extras);
	free(libpath);
	store_close(s);
	sodium_memzero(secret, sizeof secret);
	sigil_args_free(&a);
	return status;
}

const struct cli_cmd sigil_cmd_import = {
	"import", "-s STORE [-m FILE] [-x SRC[=TARGET]]... [-e NAME=VALUE]... [-L DIRS]... PATH...",
	"import programs with their libraries into a store; print \"URN  PATH\" for each",
	"Each PATH is an ELF program. Its interpreter and every DT_NEEDED library are found\n"
	"as glibc's loader finds them (DT_RPATH, -L/--ld-library-path, DT_RUNPATH with\n"
	"$ORIGIN, ld.so.cache, default directories). Copies are patched bottom-up so that\n"
	"each names its libraries \"urn:eris:...\", its interpreter \"/rom/urn:eris:...\" and\n"
	"its RUNPATH \"/rom\"; originals are not changed. The URN printed names a closure\n"
	"description listing every file (and the extras at /rom/TARGET): give it to\n"
	"\"sigil exec\". The same files and secret always give the same URNs.",
	import_opts, run_import};
