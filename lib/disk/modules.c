/*
 * modules.c — which kernel modules to put in the core image, and in what
 * order sigil-init loads them, from depmod's text files in
 * lib/modules/VERSION:
 *
 *   modules.dep      "kernel/fs/ext4/ext4.ko: kernel/lib/crc16.ko ..." — a
 *                    module and every module it needs, transitively, the
 *                    most basic last (modprobe loads the list backwards)
 *   modules.softdep  "softdep ext4 pre: crypto-crc32c" — loaded before it,
 *                    though no symbol says so (ext4 needs a crc32c driver)
 *   modules.alias    "alias crypto-crc32c crc32c_generic" — for soft deps
 *   modules.builtin  "kernel/lib/crc32.ko" — built into the kernel: skipped
 *
 * Module names compare with '-' and '_' the same, as in the kernel. The
 * order is a depth-first post-order: for each wanted module, its soft
 * dependencies, then its dependencies from the last listed to the first,
 * then the module — so every module comes after all it needs, and the
 * same inputs always give the same list. Groups: modules joined by any
 * dependency, hard or soft, are one group (union-find over the edges the
 * walk follows); modules of different groups need nothing of each other
 * and may load at the same time (sigil-init loads each group in a process
 * of its own when it has more than one CPU).
 *
 * Signatures: img_module_unsigned_len finds where a module's appended
 * signature starts (the trailer scripts/sign-file writes):
 *
 *   offset from the end   size        what
 *   -28                   28          "~Module signature appended~\n"
 *   -40                   12          struct module_signature: algo, hash,
 *                                     id_type, signer_len, key_id_len,
 *                                     3 bytes of padding, sig_len (BE32)
 *   -40 - S               S           signer, key id and the PKCS#7 data,
 *                                     S = signer_len + key_id_len + sig_len
 *
 * so that `sigil image` can put the module without them into the core
 * image (docs/image-format.md, "Module signatures").
 */
#include "disk/disk.h"

#include <stdlib.h>
#include <string.h>

#include "banned.h"

struct mod {
	char *name; /* normalised: '_' for '-' */
	char *path;
	char **deps;
	size_t ndeps;
	int state; /* 0 new, 1 visiting, 2 done */
	size_t up; /* union-find: the module's group is that of c->m[up] (itself: a root) */
};

struct ctx {
	struct mod *m;
	size_t n;
	char **builtin; /* normalised names */
	size_t nbuiltin;
	const char *softdep, *alias; /* the callers texts */
	char **out;
	size_t nout, cap;
	disk_error *err;
};

/* the module name of a path or name: basename, up to ".ko", '-' -> '_' */
static char *norm(const char *s, size_t len)
{
	const char *b = s;
	for (size_t i = 0; i < len; i++)
		if (s[i] == '/')
			b = s + i + 1;
	size_t n = len - (size_t)(b - s);
	for (size_t i = 0; i + 3 <= n; i++)
		if (memcmp(b + i, ".ko", 3) == 0 && (i + 3 == n || b[i + 3] == '.')) {
			n = i;
			break;
		}
	char *r = strndup(b, n);
	if (r)
		for (char *p = r; *p; p++)
			if (*p == '-')
				*p = '_';
	return r;
}

static int name_eq(const char *a, const char *b, size_t blen)
{
	size_t i = 0;
	for (; i < blen && a[i]; i++) {
		char x = a[i] == '-' ? '_' : a[i], y = b[i] == '-' ? '_' : b[i];
		if (x != y)
			return 0;
	}
	return i == blen && a[i] == 0;
}

static struct mod *find(struct ctx *c, const char *name, size_t len)
{
	for (size_t i = 0; i < c->n; i++)
		if (name_eq(c->m[i].name, name, len))
			return &c->m[i];
	return NULL;
}

static int is_builtin(struct ctx *c, const char *name, size_t len)
{
	for (size_t i = 0; i < c->nbuiltin; i++)
		if (name_eq(c->builtin[i], name, len))
			return 1;
	return 0;
}

static struct mod *find_path(struct ctx *c, const char *path)
{
	for (size_t i = 0; i < c->n; i++)
		if (strcmp(c->m[i].path, path) == 0)
			return &c->m[i];
	return NULL;
}

static int parse_dep(struct ctx *c, const char *text)
{
	size_t cap = 0;
	for (const char *l = text; *l;) {
		const char *nl = strchr(l, '\n');
		size_t len = nl ? (size_t)(nl - l) : strlen(l);
		const char *colon = memchr(l, ':', len);
		if (len && !colon)
			return disk_error_set(c->err, DISK_E_FORMAT, "modules.dep: a line without ':'");
		if (len) {
			if (c->n == cap) {
				size_t nc = cap ? cap * 2 : 256;
				struct mod *p = realloc(c->m, nc * sizeof *p);
				if (!p)
					goto nomem;
				c->m = p, cap = nc;
			}
			struct mod *m = &c->m[c->n];
			memset(m, 0, sizeof *m);
			m->up = c->n;
			c->n++;
			if (!(m->path = strndup(l, (size_t)(colon - l))) ||
			    !(m->name = norm(l, (size_t)(colon - l))))
				goto nomem;
			const char *p = colon + 1, *end = l + len;
			while (p < end) {
				while (p < end && (*p == ' ' || *p == '\t'))
					p++;
				const char *s = p;
				while (p < end && *p != ' ' && *p != '\t')
					p++;
				if (p == s)
					continue;
				char **d = realloc(m->deps, (m->ndeps + 1) * sizeof *d);
				if (!d)
					goto nomem;
				m->deps = d;
				if (!(d[m->ndeps] = strndup(s, (size_t)(p - s))))
					goto nomem;
				m->ndeps++;
			}
		}
		l += len + (nl != NULL);
	}
	return 0;
nomem:
	return disk_error_set(c->err, DISK_E_NOMEM, "out of memory");
}

static int parse_builtin(struct ctx *c, const char *text)
{
	for (const char *l = text; l && *l;) {
		const char *nl = strchr(l, '\n');
		size_t len = nl ? (size_t)(nl - l) : strlen(l);
		if (len) {
			char **b = realloc(c->builtin, (c->nbuiltin + 1) * sizeof *b);
			if (!b)
				return disk_error_set(c->err, DISK_E_NOMEM, "out of memory");
			c->builtin = b;
			if (!(b[c->nbuiltin] = norm(l, len)))
				return disk_error_set(c->err, DISK_E_NOMEM, "out of memory");
			c->nbuiltin++;
		}
		l += len + (nl != NULL);
	}
	return 0;
}

/* The next whitespace-separated word of [*p, end); NULL at the end. */
static const char *word(const char **p, const char *end, size_t *len)
{
	const char *s = *p;
	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	const char *e = s;
	while (e < end && *e != ' ' && *e != '\t')
		e++;
	*p = e;
	*len = (size_t)(e - s);
	return e > s ? s : NULL;
}

/* the module an alias names: one ending in _generic if any, else the
 * smallest name; NULL when none */
static struct mod *by_alias(struct ctx *c, const char *a, size_t alen)
{
	struct mod *best = NULL;
	for (const char *l = c->alias; l && *l;) {
		const char *nl = strchr(l, '\n');
		const char *end = nl ? nl : l + strlen(l), *p = l;
		size_t n1, n2, n3;
		const char *w1 = word(&p, end, &n1), *w2 = word(&p, end, &n2),
			   *w3 = word(&p, end, &n3);
		if (w1 && w2 && w3 && n1 == 5 && memcmp(w1, "alias", 5) == 0 && n2 == alen &&
		    memcmp(w2, a, alen) == 0) {
			struct mod *m = find(c, w3, n3);
			if (m) {
				size_t ml = strlen(m->name);
				int gen = ml > 8 && strcmp(m->name + ml - 8, "_generic") == 0;
				int bgen = best && strlen(best->name) > 8 &&
					   strcmp(best->name + strlen(best->name) - 8, "_generic") == 0;
				if (!best || (gen && !bgen) ||
				    (gen == bgen && strcmp(m->name, best->name) < 0))
					best = m;
			}
		}
		l = nl ? nl + 1 : end;
	}
	return best;
}

static int visit(struct ctx *c, struct mod *m, int depth);

/* The root of m's group. */
static size_t group_of(struct ctx *c, size_t i)
{
	while (c->m[i].up != i)
		i = c->m[i].up = c->m[c->m[i].up].up;
	return i;
}

/* m needs d (a dependency or a soft one): one group. */
static void join(struct ctx *c, const struct mod *m, const struct mod *d)
{
	size_t a = group_of(c, (size_t)(m - c->m)), b = group_of(c, (size_t)(d - c->m));
	c->m[a > b ? a : b].up = a < b ? a : b;
}

/* softdep "pre:" modules of m */
static int visit_soft(struct ctx *c, struct mod *m, int depth)
{
	size_t mlen = strlen(m->name);
	for (const char *l = c->softdep; l && *l;) {
		const char *nl = strchr(l, '\n');
		const char *end = nl ? nl : l + strlen(l), *p = l;
		size_t n1, n2;
		const char *w1 = word(&p, end, &n1), *w2 = word(&p, end, &n2);
		if (w1 && w2 && n1 == 7 && memcmp(w1, "softdep", 7) == 0 && n2 == mlen &&
		    name_eq(m->name, w2, n2)) {
			int pre = 0;
			size_t n;
			for (const char *w; (w = word(&p, end, &n));) {
				if (n && w[n - 1] == ':') {
					pre = n == 4 && memcmp(w, "pre:", 4) == 0;
					continue;
				}
				if (!pre || is_builtin(c, w, n))
					continue;
				struct mod *d = find(c, w, n);
				if (!d)
					d = by_alias(c, w, n);
				int rc;
				if (d && (rc = visit(c, d, depth + 1)))
					return rc;
				if (d)
					join(c, m, d);
			}
		}
		l = nl ? nl + 1 : end;
	}
	return 0;
}

static int visit(struct ctx *c, struct mod *m, int depth)
{
	int rc;
	if (m->state == 2)
		return 0;
	if (m->state == 1 || depth > 64)
		return disk_error_set(c->err, DISK_E_FORMAT, "module dependency cycle at '%s'",
				      m->name);
	m->state = 1;
	if ((rc = visit_soft(c, m, depth)))
		return rc;
	for (size_t i = m->ndeps; i-- > 0;) {
		struct mod *d = find_path(c, m->deps[i]);
		if (!d)
			return disk_error_set(c->err, DISK_E_FORMAT,
					      "modules.dep: '%s' needs '%s', which has no line",
					      m->path, m->deps[i]);
		if ((rc = visit(c, d, depth + 1)))
			return rc;
		join(c, m, d);
	}
	m->state = 2;
	if (c->nout == c->cap) {
		size_t nc = c->cap ? c->cap * 2 : 16;
		char **o = realloc(c->out, nc * sizeof *o);
		if (!o)
			return disk_error_set(c->err, DISK_E_NOMEM, "out of memory");
		c->out = o, c->cap = nc;
	}
	if (!(c->out[c->nout] = strdup(m->path)))
		return disk_error_set(c->err, DISK_E_NOMEM, "out of memory");
	c->nout++;
	return 0;
}

int img_modules_resolve(const char *dep, const char *softdep, const char *alias,
			const char *builtin, const char *const *want, size_t nwant, char ***out,
			size_t *nout, disk_error *err)
{
	return img_modules_resolve_groups(dep, softdep, alias, builtin, want, nwant, out, nout,
					  NULL, err);
}

int img_modules_resolve_groups(const char *dep, const char *softdep, const char *alias,
			       const char *builtin, const char *const *want, size_t nwant,
			       char ***out, size_t *nout, size_t **groups, disk_error *err)
{
	struct ctx c = {.err = err};
	size_t *g = NULL;
	int rc = 0;
	*out = NULL;
	*nout = 0;
	if (groups)
		*groups = NULL;
	if (!dep)
		return disk_error_set(err, DISK_E_ARG, "no modules.dep");
	c.softdep = softdep;
	c.alias = alias;
	if ((rc = parse_dep(&c, dep)) || (rc = parse_builtin(&c, builtin)))
		goto out;
	for (size_t i = 0; i < nwant; i++) {
		size_t len = strlen(want[i]);
		struct mod *m = find(&c, want[i], len);
		if (!m) {
			if (is_builtin(&c, want[i], len))
				continue;
			rc = disk_error_set(err, DISK_E_NOTFOUND,
					    "kernel module '%s' is neither in modules.dep nor built in",
					    want[i]);
			goto out;
		}
		if ((rc = visit(&c, m, 0)))
			goto out;
	}
	if (groups) { /* numbered 0, 1, ... by their first module in the order */
		size_t *root = NULL, ng = 0;
		if (!(g = calloc(c.nout + 1, sizeof *g)) ||
		    !(root = calloc(c.nout + 1, sizeof *root))) {
			free(root);
			rc = disk_error_set(err, DISK_E_NOMEM, "out of memory");
			goto out;
		}
		for (size_t i = 0; i < c.nout; i++) {
			size_t r = group_of(&c, (size_t)(find_path(&c, c.out[i]) - c.m)), k = 0;
			while (k < ng && root[k] != r)
				k++;
			if (k == ng)
				root[ng++] = r;
			g[i] = k;
		}
		free(root);
		*groups = g;
		g = NULL;
	}
	*out = c.out;
	*nout = c.nout;
	c.out = NULL;
out:
	free(g);
	img_modules_free(c.out, c.nout);
	for (size_t i = 0; i < c.n; i++) {
		free(c.m[i].name);
		free(c.m[i].path);
		img_modules_free(c.m[i].deps, c.m[i].ndeps);
	}
	free(c.m);
	img_modules_free(c.builtin, c.nbuiltin);
	return rc;
}

void img_modules_free(char **paths, size_t n)
{
	if (!paths)
		return;
	for (size_t i = 0; i < n; i++)
		free(paths[i]);
	free(paths);
}

int img_module_unsigned_len(const uint8_t *data, size_t len, size_t *out)
{
	static const char marker[] = "~Module signature appended~\n";
	const size_t mlen = sizeof marker - 1, slen = 12;
	const uint8_t *ms;
	uint64_t sig;

	*out = len;
	if (len < mlen || memcmp(data + len - mlen, marker, mlen) != 0)
		return 0; /* not signed */
	if (len < mlen + slen)
		return DISK_E_FORMAT;
	ms = data + len - mlen - slen;
	sig = (uint64_t)ms[3] + ms[4] +
	      ((uint64_t)ms[8] << 24 | (uint64_t)ms[9] << 16 | (uint64_t)ms[10] << 8 | ms[11]);
	if (sig == 0 || sig > len - mlen - slen)
		return DISK_E_FORMAT;
	*out = len - mlen - slen - (size_t)sig;
	return 0;
}
