/*
 * closure.c — the files a program loads, found the way glibc's ld.so finds
 * them, plus the extra files the user declares.
 *
 * Search for a DT_NEEDED name N of object O (glibc's _dl_map_object order):
 *   - N containing '/': that path (relative to the current directory).
 *   - O's DT_RPATH when O has no DT_RUNPATH, then the program's DT_RPATH when
 *     the program has no DT_RUNPATH (glibc walks the whole loader chain; the
 *     program is its end, and the two agree on every closure we have seen).
 *   - the library path given by the caller (LD_LIBRARY_PATH when asked).
 *   - O's DT_RUNPATH.
 *   - unless O has DF_1_NODEFLIB or the caller said no: /etc/ld.so.cache
 *     (entries for this class and machine, glibc-hwcaps variants skipped),
 *     then the default directories, then the interpreter's own directory
 *     (where a Nix glibc's loader looks by default).
 * "$ORIGIN" and "${ORIGIN}" expand to the directory O was found in (for the
 * program: the directory of its real path, as /proc/self/exe gives it).
 * Path elements with other "$" tokens ($LIB, $PLATFORM) and empty elements
 * are skipped. A candidate must be an ELF file of O's class and machine, as
 * the loader requires; others are passed over.
 *
 * Nodes are identified by real path, so a library reached under two names is
 * one node. The walk is breadth-first over a growing node array (indices,
 * never pointers, since the array moves). A DT_NEEDED that reaches a node
 * which is some node's PT_INTERP gets ELF_NONE instead of a node index: that
 * entry is the dynamic linker's soname and must stay one (see elf.h).
 *
 * Scripts: a program starting with "#!" is a data node marked `script`;
 * its "#!" line names the interpreter (which must be an ELF program: the
 * kernel's nesting of interpreters is not followed) and at most one
 * argument, as the kernel splits it. "#!/usr/bin/env NAME" names NAME as
 * found on $PATH (the child has no env and no PATH to search). The
 * interpreter is reached like a library, so its own closure follows.
 *
 * Extras: a directory is walked recursively in sorted order (deterministic),
 * symbolic links followed (depth-limited), every file placed at
 * TARGET/relative-path. ELF extras join the walk, so their libraries are
 * found and they are patched like any library.
 */
#include "elf_int.h"

#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "banned.h"

const char *const elf_default_dirs[] = {
	"/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib64", "/usr/lib64",
	"/lib", "/usr/lib",
};
const size_t elf_n_default_dirs = sizeof elf_default_dirs / sizeof elf_default_dirs[0];

enum { MAX_DEPTH = 32 };

void elf_copy(char *dst, size_t size, const char *src)
{
	size_t n = strlen(src);

	if (size == 0)
		return;
	if (n >= size)
		n = size - 1;
	memmove(dst, src, n);
	dst[n] = '\0';
}

void elf_error_prefix(elf_error *err, const char *fmt, ...)
{
	char buf[sizeof err->msg];
	va_list ap;
	int k;

	if (!err)
		return;
	va_start(ap, fmt);
	k = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (k < 0 || (size_t)k + 3 >= sizeof buf)
		return;
	buf[k] = ':';
	buf[k + 1] = ' ';
	elf_copy(buf + k + 2, sizeof buf - (size_t)k - 2, err->msg);
	elf_copy(err->msg, sizeof err->msg, buf);
}

int elf_grow(void *p, size_t *cap, size_t n, size_t sz)
{
	void **pp = p;
	size_t nc = *cap ? *cap : 8;
	void *q;

	if (n <= *cap)
		return 0;
	while (nc < n)
		nc *= 2;
	q = realloc(*pp, nc * sz);
	if (!q)
		return -1;
	*pp = q;
	*cap = nc;
	return 0;
}

void elf_closure_release(elf_closure *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++) {
		free(c->nodes[i].path);
		free(c->nodes[i].real);
		free(c->nodes[i].deps);
		free(c->nodes[i].script_arg);
		elf_info_release(&c->nodes[i].info);
	}
	free(c->nodes);
	for (size_t i = 0; i < c->n_extras; i++) {
		free(c->extras[i].target);
		free(c->extras[i].source);
	}
	free(c->extras);
	free(c->program_path);
	free(c->argv0);
	for (size_t i = 0; i < c->n_env; i++)
		free(c->env[i]);
	free(c->env);
	memset(c, 0, sizeof *c);
}

struct walk {
	elf_closure *c;
	const elf_closure_opts *o;
	elf_ldcache cache;
	size_t extras_cap;
	elf_error *err;
};

static size_t find_real(const elf_closure *c, const char *real)
{
	for (size_t i = 0; i < c->n; i++)
		if (strcmp(c->nodes[i].real, real) == 0)
			return i;
	return ELF_NONE;
}

/* Adds (or finds) the node for the file at `path`. want_class/want_machine
 * (0: any) select ELF files the loader would accept; a file that does not
 * match gives ELF_NONE with rc 0. `data_ok`: a non-ELF file becomes a data
 * node (extras) rather than a mismatch. */
static int add_node(struct walk *w, const char *path, int want_class, int want_machine,
		    int data_ok, size_t *out)
{
	elf_closure *c = w->c;
	char real[PATH_MAX];
	elf_node n;
	struct stat st;
	size_t i;
	int rc;

	*out = ELF_NONE;
	if (!realpath(path, real) || stat(real, &st) != 0 || !S_ISREG(st.st_mode))
		return 0;
	i = find_real(c, real);
	if (i != ELF_NONE) {
		const elf_node *e = &c->nodes[i];
		if (want_class && (!e->is_elf || e->info.elf_class != want_class ||
				   e->info.machine != want_machine))
			return 0;
		*out = i;
		return 0;
	}
	memset(&n, 0, sizeof n);
	n.interp = ELF_NONE;
	rc = elf_info_read(&n.info, real, w->err);
	if (rc == ELF_E_NOMEM)
		return rc;
	if (rc == 0) {
		n.is_elf = 1;
		n.patch = (n.info.type == ET_EXEC || n.info.type == ET_DYN) &&
			  (n.info.has_dynamic || n.info.interp);
	}
	if (want_class && (!n.is_elf || n.info.elf_class != want_class ||
			   n.info.machine != want_machine)) {
		elf_info_release(&n.info);
		return 0;
	}
	if (!n.is_elf && !data_ok) {
		elf_info_release(&n.info);
		return 0;
	}
	n.path = strdup(path);
	n.real = strdup(real);
	if (!n.path || !n.real || elf_grow(&c->nodes, &c->cap, c->n + 1, sizeof *c->nodes) != 0) {
		free(n.path);
		free(n.real);
		elf_info_release(&n.info);
		return elf_error_set(w->err, ELF_E_NOMEM, "out of memory");
	}
	c->nodes[c->n] = n;
	*out = c->n++;
	return 0;
}

static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		return strdup(".");
	if (slash == path)
		return strdup("/");
	return strndup(path, (size_t)(slash - path));
}

/* Expands $ORIGIN in one path element; NULL (with *skip) for elements we do
 * not search. */
static char *expand(const char *elem, size_t len, const char *origin, int *skip)
{
	char buf[PATH_MAX];
	size_t k = 0;

	*skip = 0;
	if (len == 0) {
		*skip = 1;
		return NULL;
	}
	for (size_t i = 0; i < len;) {
		const char *tok = NULL;
		size_t tl = 0;
		if (len - i >= 9 && memcmp(elem + i, "${ORIGIN}", 9) == 0)
			tok = origin, tl = 9;
		else if (len - i >= 7 && memcmp(elem + i, "$ORIGIN", 7) == 0 &&
			 (len - i == 7 || elem[i + 7] == '/'))
			tok = origin, tl = 7;
		if (tok) {
			size_t ol = strlen(tok);
			if (k + ol >= sizeof buf)
				goto skip;
			memcpy(buf + k, tok, ol);
			k += ol;
			i += tl;
			continue;
		}
		if (elem[i] == '$')
			goto skip;
		if (k + 1 >= sizeof buf)
			goto skip;
		buf[k++] = elem[i++];
	}
	buf[k] = '\0';
	return strdup(buf);
skip:
	*skip = 1;
	return NULL;
}

/* Tries NAME in every element of a ':' list; *out gets the node or stays. */
static int try_list(struct walk *w, const char *list, const char *origin, const char *name,
		    const elf_node *o, size_t *out)
{
	const char *p = list;

	while (*out == ELF_NONE && p) {
		const char *colon = strchr(p, ':');
		size_t len = colon ? (size_t)(colon - p) : strlen(p);
		int skip = 0, rc;
		char *dir = expand(p, len, origin, &skip), cand[PATH_MAX];
		p = colon ? colon + 1 : NULL;
		if (skip)
			continue;
		if (!dir)
			return elf_error_set(w->err, ELF_E_NOMEM, "out of memory");
		if (snprintf(cand, sizeof cand, "%s/%s", dir, name) >= (int)sizeof cand) {
			free(dir);
			continue;
		}
		free(dir);
		rc = add_node(w, cand, o->info.elf_class, o->info.machine, 0, out);
		if (rc != 0)
			return rc;
	}
	return 0;
}

static int find_needed(struct walk *w, size_t oi, const char *name, size_t *out)
{
	elf_closure *c = w->c;
	const elf_node *o = &c->nodes[oi], *prog = &c->nodes[c->program];
	char *origin = NULL, *porigin = NULL;
	int rc = 0;

	*out = ELF_NONE;
	if (strchr(name, '/'))
		return add_node(w, name, o->info.elf_class, o->info.machine, 0, out);
	origin = dir_of(o->path);
	porigin = dir_of(prog->path);
	if (!origin || !porigin) {
		rc = elf_error_set(w->err, ELF_E_NOMEM, "out of memory");
		goto out;
	}
	/* strings of o may move when nodes grow: copy what we use */
	{
		char *rpath = o->info.rpath && !o->info.runpath ? strdup(o->info.rpath) : NULL;
		char *prpath = oi != c->program && prog->info.rpath && !prog->info.runpath
				       ? strdup(prog->info.rpath) : NULL;
		char *runpath = o->info.runpath ? strdup(o->info.runpath) : NULL;
		int nodeflib = o->info.nodeflib;
		int cls = o->info.elf_class, mach = o->info.machine;
		size_t interp = prog->interp;
		elf_node probe;

		memset(&probe, 0, sizeof probe);
		probe.info.elf_class = cls;
		probe.info.machine = mach;
		if (rpath)
			rc = try_list(w, rpath, origin, name, &probe, out);
		if (rc == 0 && prpath)
			rc = try_list(w, prpath, porigin, name, &probe, out);
		for (size_t i = 0; rc == 0 && *out == ELF_NONE && i < w->o->n_library_path; i++)
			rc = try_list(w, w->o->library_path[i], origin, name, &probe, out);
		if (rc == 0 && runpath)
			rc = try_list(w, runpath, origin, name, &probe, out);
		if (rc == 0 && *out == ELF_NONE && !nodeflib && !w->o->no_default_dirs) {
			int32_t want = elf_ldcache_flags_for(cls, mach);
			size_t pos = 0;
			const char *path;
			while (rc == 0 && *out == ELF_NONE &&
			       (path = elf_ldcache_next(&w->cache, name, want, &pos)))
				rc = add_node(w, path, cls, mach, 0, out);
			const char *const *dd = w->o->default_dirs ? w->o->default_dirs
								   : elf_default_dirs;
			size_t nd = w->o->default_dirs ? w->o->n_default_dirs : elf_n_default_dirs;
			for (size_t i = 0; rc == 0 && *out == ELF_NONE && i < nd; i++)
				rc = try_list(w, dd[i], origin, name, &probe, out);
			if (rc == 0 && *out == ELF_NONE && interp != ELF_NONE) {
				char *idir = dir_of(c->nodes[interp].real);
				if (!idir)
					rc = elf_error_set(w->err, ELF_E_NOMEM, "out of memory");
				else
					rc = try_list(w, idir, origin, name, &probe, out);
				free(idir);
			}
		}
		free(rpath);
		free(prpath);
		free(runpath);
	}
out:
	free(origin);
	free(porigin);
	return rc;
}

/* Resolves the interpreter and the DT_NEEDED entries of node i. */
static int visit(struct walk *w, size_t i)
{
	elf_closure *c = w->c;
	size_t nn = c->nodes[i].info.n_needed, j;
	int rc;

	if (!c->nodes[i].is_elf)
		return 0;
	if (c->nodes[i].info.interp) {
		char *ip = strdup(c->nodes[i].info.interp);
		if (!ip)
			return elf_error_set(w->err, ELF_E_NOMEM, "out of memory");
		rc = add_node(w, ip, 0, 0, 0, &j);
		if (rc == 0 && j == ELF_NONE)
			rc = elf_error_set(w->err, ELF_E_NOTFOUND,
					   "interpreter \"%s\" of \"%s\" not found", ip,
					   c->nodes[i].path);
		free(ip);
		if (rc != 0)
			return rc;
		c->nodes[i].interp = j;
		c->nodes[j].is_interp = 1;
		c->nodes[j].reached = 1;
	}
	if (nn == 0)
		return 0;
	c->nodes[i].deps = calloc(nn, sizeof *c->nodes[i].deps);
	if (!c->nodes[i].deps)
		return elf_error_set(w->err, ELF_E_NOMEM, "out of memory");
	for (size_t k = 0; k < nn; k++) {
		char *name = strdup(c->nodes[i].info.needed[k]);
		if (!name)
			return elf_error_set(w->err, ELF_E_NOMEM, "out of memory");
		rc = find_needed(w, i, name, &j);
		if (rc == 0 && j == ELF_NONE)
			rc = elf_error_set(w->err, ELF_E_NOTFOUND,
					   "library \"%s\" needed by \"%s\" not found", name,
					   c->nodes[i].path);
		free(name);
		if (rc != 0)
			return rc;
		c->nodes[i].deps[k] = j;
		c->nodes[j].reached = 1;
	}
	return 0;
}

static int place(struct walk *w, const char *target, const char *source)
{
	elf_closure *c = w->c;
	size_t n;
	int rc;

	if (!elf_desc_check_name(target))
		return elf_error_set(w->err, ELF_E_ARG, "bad target path \"%s\"", target);
	rc = add_node(w, source, 0, 0, 1, &n);
	if (rc != 0)
		return rc;
	if (n == ELF_NONE)
		return elf_error_set(w->err, ELF_E_IO, "cannot read \"%s\"", source);
	if (elf_grow(&c->extras, &w->extras_cap, c->n_extras + 1, sizeof *c->extras) != 0)
		return elf_error_set(w->err, ELF_E_NOMEM, "out of memory");
	c->extras[c->n_extras].target = strdup(target);
	c->extras[c->n_extras].source = strdup(source);
	c->extras[c->n_extras].node = n;
	c->n_extras++;
	if (!c->extras[c->n_extras - 1].target || !c->extras[c->n_extras - 1].source)
		return elf_error_set(w->err, ELF_E_NOMEM, "out of memory");
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int walk_extra(struct walk *w, const char *source, const char *target, int depth)
{
	struct stat st;
	DIR *d = NULL;
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, cap = 0;
	int rc = 0;

	if (stat(source, &st) != 0)
		return elf_error_set(w->err, ELF_E_IO, "cannot read \"%s\": %s", source,
				     strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return place(w, target, source);
	if (depth > MAX_DEPTH)
		return elf_error_set(w->err, ELF_E_ARG, "\"%s\": directories nested too deep",
				     source);
	d = opendir(source);
	if (!d)
		return elf_error_set(w->err, ELF_E_IO, "cannot read \"%s\": %s", source,
				     strerror(errno));
	while ((de = readdir(d))) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (elf_grow(&names, &cap, n + 1, sizeof *names) != 0 ||
		    !(names[n] = strdup(de->d_name))) {
			rc = elf_error_set(w->err, ELF_E_NOMEM, "out of memory");
			goto out;
		}
		n++;
	}
	if (n > 1)
		qsort(names, n, sizeof *names, cmp_str);
	for (size_t i = 0; rc == 0 && i < n; i++) {
		char s[PATH_MAX], t[PATH_MAX];
		if (snprintf(s, sizeof s, "%s/%s", source, names[i]) >= (int)sizeof s ||
		    snprintf(t, sizeof t, "%s/%s", target, names[i]) >= (int)sizeof t) {
			rc = elf_error_set(w->err, ELF_E_ARG, "path too long under \"%s\"", source);
			break;
		}
		rc = walk_extra(w, s, t, depth + 1);
	}
out:
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	closedir(d);
	return rc;
}

enum { SHEBANG_MAX = 256 }; /* the kernel's BINPRM_BUF_SIZE: the "#!" line fits */

/* The "#!" line of the file at path: 1 with interp (and *arg, malloc'ed or
 * NULL) filled when it is a script, 0 when it is not one, or an error. */
static int read_shebang(const char *path, char *interp, size_t isize, char **arg, elf_error *err)
{
	char buf[SHEBANG_MAX + 1];
	size_t got = 0;
	FILE *f = fopen(path, "rb");
	*arg = NULL;
	if (!f)
		return elf_error_set(err, ELF_E_IO, "cannot open \"%s\": %s", path, strerror(errno));
	got = fread(buf, 1, SHEBANG_MAX, f);
	fclose(f);
	buf[got] = '\0';
	if (got < 2 || buf[0] != '#' || buf[1] != '!')
		return 0;
	char *nl = memchr(buf, '\n', got);
	if (!nl)
		return elf_error_set(err, ELF_E_FORMAT, "the \"#!\" line of \"%s\" is longer than %d bytes",
				     path, SHEBANG_MAX - 1);
	*nl = '\0';
	char *p = buf + 2, *end = nl;
	while (*p == ' ' || *p == '\t')
		p++;
	while (end > p && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
		*--end = '\0';
	size_t ilen = strcspn(p, " \t");
	if (ilen == 0 || ilen >= isize)
		return elf_error_set(err, ELF_E_FORMAT, "the \"#!\" line of \"%s\" names no interpreter",
				     path);
	memcpy(interp, p, ilen);
	interp[ilen] = '\0';
	p += ilen;
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p && !(*arg = strdup(p)))
		return elf_error_set(err, ELF_E_NOMEM, "out of memory");
	return 1;
}

/* "#!/usr/bin/env NAME": NAME on $PATH into interp, and no argument left. */
static int resolve_env(const char *script, char *interp, size_t isize, char **arg, elf_error *err)
{
	const char *base = strrchr(interp, '/') ? strrchr(interp, '/') + 1 : interp;
	if (strcmp(base, "env") != 0 || !*arg)
		return 0;
	if ((*arg)[0] == '-' || strpbrk(*arg, " \t/"))
		return elf_error_set(err, ELF_E_FORMAT,
				     "\"%s\": \"#!%s %s\" is not \"env NAME\"; name the interpreter",
				     script, interp, *arg);
	const char *path = getenv("PATH");
	path = path && *path ? path : "/usr/local/bin:/usr/bin:/bin";
	for (const char *d = path; d;) {
		const char *colon = strchr(d, ':');
		size_t len = colon ? (size_t)(colon - d) : strlen(d);
		char cand[PATH_MAX];
		if (len && snprintf(cand, sizeof cand, "%.*s/%s", (int)len, d, *arg) < (int)sizeof cand &&
		    access(cand, X_OK) == 0 && strlen(cand) < isize) {
			elf_copy(interp, isize, cand);
			free(*arg);
			*arg = NULL;
			return 0;
		}
		d = colon ? colon + 1 : NULL;
	}
	return elf_error_set(err, ELF_E_NOTFOUND, "interpreter \"%s\" of \"%s\" not found on $PATH",
			     *arg, script);
}

/* The program at `real` is a script: its node, then its interpreter's. */
static int add_script(struct walk *w, const char *real, char *interp, size_t isize, char *arg,
		      size_t *pi)
{
	elf_closure *c = w->c;
	size_t j;
	int rc = resolve_env(real, interp, isize, &arg, w->err);
	if (rc == 0)
		rc = add_node(w, real, 0, 0, 1, pi);
	if (rc == 0 && *pi == ELF_NONE)
		rc = elf_error_set(w->err, ELF_E_IO, "cannot read \"%s\"", real);
	if (rc != 0) {
		free(arg);
		return rc;
	}
	c->nodes[*pi].script = 1;
	c->nodes[*pi].script_arg = arg;
	rc = add_node(w, interp, 0, 0, 0, &j);
	if (rc == 0 && j == ELF_NONE)
		rc = elf_error_set(w->err, ELF_E_NOTFOUND,
				   "interpreter \"%s\" of script \"%s\" not found (or not an ELF program)",
				   interp, real);
	if (rc != 0)
		return rc;
	c->nodes[*pi].interp = j;
	c->nodes[j].reached = 1;
	return 0;
}

static int cmp_placed(const void *a, const void *b)
{
	return strcmp(((const elf_placed *)a)->target, ((const elf_placed *)b)->target);
}

int elf_closure_resolve(elf_closure *c, const char *program, const elf_extra *extras,
			size_t n_extras, const elf_closure_opts *opts, elf_error *err)
{
	static const elf_closure_opts none;
	struct walk w = {c, opts ? opts : &none, {0}, 0, err};
	char cwd[PATH_MAX], abs[PATH_MAX];
	const char *base;
	int rc;

	memset(c, 0, sizeof *c);
	if (!program || (n_extras && !extras))
		return elf_error_set(err, ELF_E_ARG, "no program given");
	if (!w.o->no_default_dirs && !(w.o->ldcache && !w.o->ldcache[0])) {
		rc = elf_ldcache_load(&w.cache, w.o->ldcache ? w.o->ldcache : "/etc/ld.so.cache", err);
		if (rc != 0)
			return rc;
	}
	if (program[0] == '/')
		snprintf(abs, sizeof abs, "%s", program);
	else if (!getcwd(cwd, sizeof cwd) ||
		 snprintf(abs, sizeof abs, "%s/%s", cwd, program) >= (int)sizeof abs) {
		rc = elf_error_set(err, ELF_E_IO, "cannot make \"%s\" absolute", program);
		goto fail;
	}
	base = strrchr(program, '/') ? strrchr(program, '/') + 1 : program;
	c->program_path = strdup(abs);
	c->argv0 = strdup(base);
	if (!c->program_path || !c->argv0) {
		rc = elf_error_set(err, ELF_E_NOMEM, "out of memory");
		goto fail;
	}
	{
		char real[PATH_MAX], interp[PATH_MAX], *arg = NULL;
		size_t pi;
		elf_info probe;
		if (!realpath(abs, real)) {
			rc = elf_error_set(err, ELF_E_IO, "cannot open \"%s\": %s", program,
					   strerror(errno));
			goto fail;
		}
		rc = read_shebang(real, interp, sizeof interp, &arg, err);
		if (rc < 0)
			goto fail;
		if (rc == 1) {
			rc = add_script(&w, real, interp, sizeof interp, arg, &pi);
			if (rc != 0)
				goto fail;
			c->program = pi;
			c->nodes[pi].reached = 1;
			goto extras;
		}
		rc = elf_info_read(&probe, real, err);
		if (rc != 0)
			goto fail;
		elf_info_release(&probe);
		/* the program's $ORIGIN is the directory of its real path */
		rc = add_node(&w, real, 0, 0, 0, &pi);
		if (rc != 0)
			goto fail;
		c->program = pi;
		c->nodes[pi].reached = 1;
	}
extras:
	for (size_t i = 0; i < n_extras; i++) {
		rc = walk_extra(&w, extras[i].source, extras[i].target, 0);
		if (rc != 0)
			goto fail;
	}
	for (size_t i = 0; i < c->n; i++) {
		rc = visit(&w, i);
		if (rc != 0)
			goto fail;
	}
	/* the entry naming the dynamic linker keeps its soname */
	for (size_t i = 0; i < c->n; i++)
		for (size_t k = 0; c->nodes[i].deps && k < c->nodes[i].info.n_needed; k++) {
			size_t j = c->nodes[i].deps[k];
			if (j != ELF_NONE && c->nodes[j].is_interp)
				c->nodes[i].deps[k] = ELF_NONE;
		}
	if (c->n_extras > 1)
		qsort(c->extras, c->n_extras, sizeof *c->extras, cmp_placed);
	for (size_t i = 1; i < c->n_extras; i++)
		if (strcmp(c->extras[i - 1].target, c->extras[i].target) == 0) {
			rc = elf_error_set(err, ELF_E_ARG, "two extra files at \"%s\"",
					   c->extras[i].target);
			goto fail;
		}
	elf_ldcache_release(&w.cache);
	return 0;
fail:
	elf_ldcache_release(&w.cache);
	elf_closure_release(c);
	return rc;
}
