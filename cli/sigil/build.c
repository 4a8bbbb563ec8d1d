/*
 * build.c — `sigil build SYSTEM [-o OUT] [-s STORE]`: turns a system
 * description into content-addressed form and prints its root URN.
 *
 *   1. load and check the system (as `sigil check`; any error stops here);
 *   2. per child, import the binary's closure (lib/elf: resolve, patch to
 *      URN names, encode) and replace `binary` by the URN of its closure
 *      description (a binary that is a URN already, from `sigil import`
 *      into the same store, is kept); encode every ROM module (a file, literal text, or a
 *      Dhall file as its binary encoding) and replace it by its `urn`;
 *      the programs of its preStart/postStart commands join the binary's
 *      closure as extras at /rom/PATH (PATH: the host path without its
 *      leading '/'), and each command's argv[0] becomes /rom/PATH (its
 *      argv0 the path as written, unless it names one);
 *   3. encode the system description (canonical CBOR) into the store; its
 *      URN is the root capability: printed, and written to OUT/system.urn.
 *
 * Relative paths (binaries, ROM files) are relative to the system file's
 * directory. The store is OUT/store.pack unless -s names another. Everything uses the
 * null convergence secret, so the same inputs give the same root URN on any
 * machine (tests/t/sigil_build.sh builds twice from clean stores).
 * Incremental: OUT/build-cache remembers, per input, the size, mtime and
 * inode of every file that went into it and the URN it gave; an input whose
 * files are all unchanged (and whose blocks the store still has) is not
 * imported or encoded again. A terminal gets a progress line per child.
 */
#include "sigil_cli.h"
#include "system/sys.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "banned.h"

static const struct cli_opt opts[] = {
	{"output", 'o', "DIR", "where system.urn, store.pack and build-cache go (default: result)"},
	{"store", 's', "STORE", "the store to fill (default: pack:DIR/store.pack)"},
	{"quiet", 'q', NULL, "print only the root URN"},
	{"library-path", 'L', "DIR[:DIR…]", "also look for libraries here (like LD_LIBRARY_PATH), e.g. for\n"
					   "                               binaries unpacked from a package"},
	{0},
};

/* ---------------------------------------------------------------- cache */

/* One line per input: KEY \t URN \t n \t (path \t size \t mtime_ns \t ino)*n */
struct cache {
	char **lines;
	size_t n, cap;
};

static void cache_load(struct cache *c, const char *path)
{
	char *data;
	size_t len;
	if (cli_read_file(path, &data, &len) < 0)
		return;
	for (char *line = data, *nl; *line; line = nl + 1) {
		if (!(nl = strchr(line, '\n')))
			break;
		*nl = 0;
		if (!*line)
			continue;
		if (c->n == c->cap) {
			size_t cap = c->cap ? c->cap * 2 : 64;
			char **l = realloc(c->lines, cap * sizeof *l);
			if (!l)
				break;
			c->lines = l;
			c->cap = cap;
		}
		if (!(c->lines[c->n] = strdup(line)))
			break;
		c->n++;
	}
	free(data);
}

static void cache_free(struct cache *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->lines[i]);
	free(c->lines);
}

/* "path\tsize\tmtime\tino" of a file, or "" when it cannot be stat'ed. */
static void stamp(const char *path, char *out, size_t size)
{
	struct stat st;
	if (stat(path, &st) != 0) {
		out[0] = 0;
		return;
	}
	snprintf(out, size, "%s\t%lld\t%lld%09ld\t%llu", path, (long long)st.st_size,
		 (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec, (unsigned long long)st.st_ino);
}

/* The cached URN for key when every file stamp still matches, else NULL. */
static const char *cache_find(const struct cache *c, const char *key, char *urn, size_t size)
{
	size_t klen = strlen(key);
	for (size_t i = c->n; i-- > 0;) {
		const char *l = c->lines[i];
		if (strncmp(l, key, klen) != 0 || l[klen] != '\t')
			continue;
		const char *u = l + klen + 1, *tab = strchr(u, '\t');
		if (!tab || (size_t)(tab - u) >= size)
			return NULL;
		memcpy(urn, u, (size_t)(tab - u));
		urn[tab - u] = 0;
		/* then the number of files and, per file, its stamp: path, size,
		 * mtime, inode (four tab-separated fields). Anything else, or any
		 * stamp that differs from the file now, is a miss. */
		char *end;
		unsigned long nfiles = strtoul(tab + 1, &end, 10);
		const char *p = end;
		if (end == tab + 1)
			return NULL;
		for (unsigned long f = 0; f < nfiles; f++) {
			if (*p != '\t')
				return NULL;
			const char *start = p + 1, *q = start;
			for (int k = 0; k < 4; k++) {
				q = strchr(q, '\t');
				if (k < 3 && !q)
					return NULL;
				if (k < 3)
					q++;
			}
			size_t n = q ? (size_t)(q - start) : strlen(start);
			const char *t = memchr(start, '\t', n);
			char path[4200], now[4200];
			if (!t || (size_t)(t - start) >= sizeof path)
				return NULL;
			memcpy(path, start, (size_t)(t - start));
			path[t - start] = 0;
			stamp(path, now, sizeof now);
			if (strlen(now) != n || strncmp(start, now, n) != 0)
				return NULL;
			p = start + n;
		}
		if (*p)
			return NULL;
		return urn;
	}
	return NULL;
}

static int cache_add(struct cache *c, const char *key, const char *urn, const char *const *files,
		     size_t nfiles)
{
	size_t cap = strlen(key) + strlen(urn) + 32;
	char st[4200];
	for (size_t i = 0; i < nfiles; i++)
		cap += strlen(files[i]) + 80;
	char *line = malloc(cap), *p = line;
	if (!line)
		return -1;
	p += snprintf(p, cap, "%s\t%s\t%zu", key, urn, nfiles);
	for (size_t i = 0; i < nfiles; i++) {
		stamp(files[i], st, sizeof st);
		p += snprintf(p, cap - (size_t)(p - line), "\t%s", st);
	}
	if (c->n == c->cap) {
		size_t nc = c->cap ? c->cap * 2 : 64;
		char **l = realloc(c->lines, nc * sizeof *l);
		if (!l) {
			free(line);
			return -1;
		}
		c->lines = l;
		c->cap = nc;
	}
	c->lines[c->n++] = line;
	return 0;
}

static int cache_save(const struct cache *c, const char *path)
{
	char tmp[4096];
	int fd = cli_temp_open(path, tmp, sizeof tmp);
	if (fd < 0)
		return -1;
	for (size_t i = 0; i < c->n; i++)
		if (cli_write_all(fd, c->lines[i], strlen(c->lines[i])) < 0 || cli_write_all(fd, "\n", 1) < 0)
			goto fail;
	if (cli_temp_commit(&fd, tmp, path) < 0)
		goto fail;
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	return -1;
}

/* ---------------------------------------------------------------- encoding */

struct build {
	const char *base; /* directory of the system file: relative paths start here */
	const struct cli_cmd *cmd;
	store *st;
	struct cache cache;
	struct dhall_arena *arena;
	const char *workdir;
	int quiet;
	elf_closure_opts copts; /* --library-path */
};

/* `path` as given when absolute, else relative to the system file's
 * directory (in the arena); NULL when out of memory. */
static const char *rel(struct build *b, const char *path)
{
	if (path[0] == '/' || !b->base[0])
		return path;
	size_t n = strlen(b->base) + strlen(path) + 2;
	char *p = dhall_arena_alloc(b->arena, n);
	if (p)
		snprintf(p, n, "%s/%s", b->base, path);
	return p;
}

/* Encodes bytes into the store; urn gets the capability. */
static int put_bytes(struct build *b, const void *data, size_t len, char *urn)
{
	eris_error err = {0};
	eris_cap cap;
	if (eris_encode(data, len, eris_auto_block_size(len), NULL, store_eris_put, b->st, &cap, &err) ||
	    eris_cap_to_urn(&cap, urn, ERIS_URN_LEN + 1))
		return cli_fail(b->cmd, EXIT_SYSTEM, "cannot store content: %s", err.msg);
	return 0;
}

/* Is the content of urn complete in the store (a cache hit must be)? */
static int have(struct build *b, const char *urn)
{
	eris_cap cap;
	eris_error err = {0};
	uint64_t blocks;
	if (eris_cap_from_urn(&cap, urn, &err))
		return 0;
	return eris_verify(&cap, store_eris_get, b->st, &blocks, &err) == 0;
}

/* The programs of c's preStart/postStart commands, each once, as extras
 * at their host path under /rom. *xs malloc'd (NULL when none). */
static int command_extras(struct sys_child *c, elf_extra **xs, size_t *n)
{
	size_t max = c->npre_start + c->npost_start;
	*xs = NULL;
	*n = 0;
	if (!max)
		return 0;
	if (!(*xs = calloc(max, sizeof **xs)))
		return -1;
	for (size_t i = 0; i < max; i++) {
		const struct sys_command *k =
			i < c->npre_start ? &c->pre_start[i] : &c->post_start[i - c->npre_start];
		int dup = 0;
		for (size_t j = 0; j < *n; j++)
			dup |= strcmp((*xs)[j].source, k->argv[0]) == 0;
		if (!dup)
			(*xs)[(*n)++] = (elf_extra){k->argv[0], k->argv[0] + 1};
	}
	return 0;
}

/* After the import: argv[0] of each command is /rom/PATH. */
static int command_paths(struct build *b, struct sys_child *c)
{
	for (size_t i = 0; i < c->npre_start + c->npost_start; i++) {
		struct sys_command *k =
			i < c->npre_start ? &c->pre_start[i] : &c->post_start[i - c->npre_start];
		size_t n = strlen(k->argv[0]) + 5;
		char *p = dhall_arena_alloc(b->arena, n);
		if (!p)
			return -1;
		snprintf(p, n, "/rom%s", k->argv[0]);
		if (!k->argv0)
			k->argv0 = k->argv[0];
		k->argv[0] = p;
	}
	return 0;
}

static int build_binary(struct build *b, struct sys_child *c)
{
	char key[4200], urn[ERIS_URN_LEN + 1];
	elf_extra *xs = NULL;
	size_t nx = 0;
	if (c->npre_start + c->npost_start && strncmp(c->binary, "urn:eris:", 9) == 0)
		return cli_fail(b->cmd, EXIT_DATA, "child '%s': preStart/postStart commands need the "
				"binary as a path, to import their programs with it", c->name);
	if (strncmp(c->binary, "urn:eris:", 9) == 0) { /* imported already (sigil import -s STORE) */
		if (!have(b, c->binary))
			return cli_fail(b->cmd, EXIT_DATA, "child '%s': binary %s is not in the store "
					"(import it into the same store first)", c->name, c->binary);
		return 0;
	}
	if (!(c->binary = rel(b, c->binary)))
		return cli_fail(b->cmd, EXIT_SYSTEM, "out of memory");
	snprintf(key, sizeof key, "binary:%s", c->binary);
	for (size_t i = 0; i < b->copts.n_library_path; i++) { /* the search path is part of the key */
		size_t n = strlen(key);
		snprintf(key + n, sizeof key - n, "%s%s", i ? ":" : "|L=", b->copts.library_path[i]);
	}
	if (command_extras(c, &xs, &nx) != 0)
		return cli_fail(b->cmd, EXIT_SYSTEM, "out of memory");
	for (size_t i = 0; i < nx; i++) { /* so are the commands' programs */
		size_t n = strlen(key);
		snprintf(key + n, sizeof key - n, "|x=%s", xs[i].source);
	}
	if (cache_find(&b->cache, key, urn, sizeof urn) && have(b, urn))
		goto done;
	elf_closure cl;
	elf_error err = {0};
	elf_import_opts io = {.workdir = b->workdir};
	if (elf_closure_resolve(&cl, c->binary, xs, nx, &b->copts, &err)) {
		free(xs);
		return sigil_fail_elf(b->cmd, &err);
	}
	if (elf_closure_import(&cl, b->st, &io, &err)) {
		elf_closure_release(&cl);
		free(xs);
		return sigil_fail_elf(b->cmd, &err);
	}
	memcpy(urn, cl.desc_urn, sizeof urn);
	const char **files = malloc((cl.n + 1) * sizeof *files);
	if (files) {
		for (size_t i = 0; i < cl.n; i++)
			files[i] = cl.nodes[i].real;
		cache_add(&b->cache, key, urn, files, cl.n);
		free(files);
	}
	elf_closure_release(&cl);
done:
	free(xs);
	if (!(c->binary = dhall_arena_strdup(b->arena, urn, strlen(urn))) ||
	    command_paths(b, c) != 0)
		return cli_fail(b->cmd, EXIT_SYSTEM, "out of memory");
	return 0;
}

static int build_rom(struct build *b, const char *sysfile, struct sys_rom *rom)
{
	char key[4200], urn[ERIS_URN_LEN + 1], *data = NULL;
	size_t len;
	int rc = 0;
	if (rom->kind == SYS_ROM_URN)
		return 0;
	if (rom->kind == SYS_ROM_TEXT) {
		if ((rc = put_bytes(b, rom->value, strlen(rom->value), urn)))
			return rc;
		goto done;
	}
	if (!(rom->value = rel(b, rom->value)))
		return cli_fail(b->cmd, EXIT_SYSTEM, "out of memory");
	snprintf(key, sizeof key, "%s:%s", rom->kind == SYS_ROM_PATH ? "path" : "dhall", rom->value);
	if (cache_find(&b->cache, key, urn, sizeof urn) && have(b, urn))
		goto done;
	if (cli_read_file(rom->value, &data, &len) < 0)
		return cli_fail(b->cmd, EXIT_SYSTEM, "ROM '%s': cannot read '%s': %s", rom->name,
				rom->value, strerror(errno));
	if (rom->kind == SYS_ROM_PATH) {
		rc = put_bytes(b, data, len, urn);
	} else {
		/* a Dhall ROM is handed to the child as its binary encoding */
		struct sys_report rep = {0};
		struct dhall_expr *e;
		struct dhall_buf cb = {0};
		if (sys_dhall_value(b->arena, rom->value, data, len, &e, &rep)) {
			struct sys_system src = {.file = rom->value, .src = data, .srclen = len};
			sys_report_print(&rep, &src, stderr);
			rc = cli_fail(b->cmd, EXIT_DATA, "ROM '%s' (%s) is not valid Dhall (used by %s)",
				      rom->name, rom->value, sysfile);
		} else if (dhall_encode(e, &cb)) {
			rc = cli_fail(b->cmd, EXIT_DATA, "ROM '%s': cannot encode %s", rom->name, rom->value);
		} else {
			rc = put_bytes(b, cb.data, cb.len, urn);
		}
		dhall_buf_free(&cb);
		sys_report_free(&rep);
	}
	free(data);
	if (rc)
		return rc;
	cache_add(&b->cache, key, urn, (const char *const *)&rom->value, 1);
done:
	rom->kind = SYS_ROM_URN;
	if (!(rom->value = dhall_arena_strdup(b->arena, urn, strlen(urn))))
		return cli_fail(b->cmd, EXIT_SYSTEM, "out of memory");
	return 0;
}

static int run(const struct cli_cmd *cmd, int argc, char **argv)
{
	struct cli_args a;
	int status, rc = EXIT_OK;
	if (cli_parse(cmd, argc, argv, &a, &status))
		return status;
	if (a.argc != 1)
		return cli_fail(cmd, EXIT_USAGE, "expected one SYSTEM file (.dhall, .json or .cbor)");
	const char *path = a.argv[0], *outdir = cli_get(cmd, &a, "output");
	if (!outdir)
		outdir = "result";
	char spec[4200], cachep[4200], urnp[4200], work[4200];
	snprintf(cachep, sizeof cachep, "%s/build-cache", outdir);
	snprintf(urnp, sizeof urnp, "%s/system.urn", outdir);
	snprintf(work, sizeof work, "%s/.work", outdir);
	if (cli_get(cmd, &a, "store"))
		snprintf(spec, sizeof spec, "%s", cli_get(cmd, &a, "store"));
	else
		snprintf(spec, sizeof spec, "pack:%s/store.pack", outdir);

	char *src = NULL;
	struct dhall_arena arena;
	struct sys_report rep = {0};
	struct sys_system sys = {0};
	char base[4096];
	const char *slash = strrchr(path, '/');
	snprintf(base, sizeof base, "%.*s", slash ? (int)(slash - path) : 0, path);
	if (slash == path)
		snprintf(base, sizeof base, "/");
	struct build b = {.base = base, .cmd = cmd, .arena = &arena, .workdir = work,
			  .quiet = cli_get(cmd, &a, "quiet") != NULL};
	const char *libpath = cli_get(cmd, &a, "library-path");
	char *libcopy = NULL;
	const char *dirs[64];
	if (libpath) {
		if (!(libcopy = strdup(libpath))) {
			rc = cli_fail(cmd, EXIT_SYSTEM, "out of memory");
			goto out;
		}
		for (char *d = libcopy, *colon; d && b.copts.n_library_path < 64; d = colon ? colon + 1 : NULL) {
			if ((colon = strchr(d, ':')))
				*colon = 0;
			if (*d)
				dirs[b.copts.n_library_path++] = d;
		}
		b.copts.library_path = dirs;
	}
	struct dhall_buf desc = {0};
	dhall_arena_init(&arena);
	int loaded;
	if ((rc = sigil_check_system(cmd, path, &arena, &sys, &src, &rep, &loaded)))
		goto out;
	if (rep.errors) {
		rc = cli_fail(cmd, EXIT_DATA, "%zu error%s in %s: nothing built", rep.errors,
			      rep.errors == 1 ? "" : "s", path);
		goto out;
	}
	if ((mkdir(outdir, 0777) && errno != EEXIST) || (mkdir(work, 0700) && errno != EEXIST)) {
		rc = cli_fail(cmd, EXIT_SYSTEM, "cannot create '%s': %s", outdir, strerror(errno));
		goto out;
	}
	eris_error err = {0};
	if (store_open(&b.st, spec, STORE_CREATE, &err)) {
		rc = cli_fail(cmd, EXIT_SYSTEM, "cannot open store '%s': %s", spec, err.msg);
		goto out;
	}
	cache_load(&b.cache, cachep);
	int progress = cli_show_progress() && !b.quiet;
	for (size_t i = 0; i < sys.nchildren; i++) {
		struct sys_child *c = &sys.children[i];
		if (progress)
			fprintf(stderr, "\rsigil build: child %zu/%zu %-40.40s", i + 1, sys.nchildren, c->name);
		if (c->init)
			continue; /* a nested init: sigil-init runs its children itself */
		if ((rc = build_binary(&b, c)))
			goto out;
		for (size_t k = 0; k < c->nroms; k++)
			if ((rc = build_rom(&b, path, &c->roms[k])))
				goto out;
	}
	if (progress)
		fprintf(stderr, "\r%60s\r", "");
	char root[ERIS_URN_LEN + 1];
	if (sys_encode_cbor(&arena, &sys, &desc) || (rc = put_bytes(&b, desc.data, desc.len, root))) {
		rc = rc ? rc : cli_fail(cmd, EXIT_DATA, "cannot encode the system description");
		goto out;
	}
	if (store_flush(b.st, &err)) {
		rc = cli_fail(cmd, EXIT_SYSTEM, "cannot flush the store: %s", err.msg);
		goto out;
	}
	char line[ERIS_URN_LEN + 2];
	snprintf(line, sizeof line, "%s\n", root);
	if ((rc = sigil_write_out(cmd, urnp, line, strlen(line))))
		goto out;
	if (cache_save(&b.cache, cachep) < 0)
		fprintf(stderr, "sigil build: warning: cannot write %s: %s\n", cachep, strerror(errno));
	printf("%s\n", root);
	if (!b.quiet)
		fprintf(stderr, "sigil build: system '%s', %zu children: %s (store %s)\n", sys.name,
			sys.nchildren, urnp, spec);
out:
	free(libcopy);
	rmdir(work);
	if (b.st)
		store_close(b.st);
	cache_free(&b.cache);
	dhall_buf_free(&desc);
	sys_report_free(&rep);
	dhall_arena_free(&arena);
	free(src);
	return rc;
}

const struct cli_cmd sigil_cmd_build = {
	.name = "build",
	.args = "[-o DIR] [-s STORE] SYSTEM",
	.summary = "import every child's closure and ROM, store the description, print the root URN",
	.details = "Checks SYSTEM like `sigil check` (any error: nothing is built), imports each\n"
		   "child's binary closure and ROM modules into the store, and stores the system\n"
		   "description (CBOR) whose URN names the whole system. Writes DIR/system.urn;\n"
		   "the store is DIR/store.pack unless -s says otherwise. Unchanged inputs are\n"
		   "not imported again (DIR/build-cache). Reproducible: the same inputs give\n"
		   "the same root URN.",
	.opts = opts,
	.run = run,
};
