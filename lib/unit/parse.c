/*
 * parse.c — the unit file syntax of systemd.syntax(7), and finding a unit
 * with its drop-ins the way systemd does.
 *
 * Syntax, line by line (a UTF-8 BOM at the start is skipped):
 *   - leading and trailing whitespace is stripped; empty lines and lines
 *     starting with '#' or ';' are comments;
 *   - "[Section]" starts a section; a '[' line without the closing ']' is
 *     an error (systemd refuses the file);
 *   - "Key=Value" is an assignment (whitespace around '=' stripped); a line
 *     ending in a backslash continues on the next line, the backslash
 *     becoming a space; comment lines inside a continuation are skipped;
 *   - anything else (no '=', an assignment before any section, a line that
 *     is not UTF-8) is skipped with a warning, as systemd skips it.
 * Values are stored as written: quoting and specifiers depend on the
 * directive, so translate.c applies them. Lines longer than 1 MiB and NUL
 * bytes make the file unreadable (as in systemd).
 *
 * Finding a unit: the first directory (in precedence order) holding the
 * exact name; for an instance foo@bar.service not found as such, the
 * template foo@.service. Drop-ins: every "*.conf" in NAME.d/, the
 * template's foo@.service.d/, each dash prefix's "foo-.service.d/" and the
 * type's "service.d/", in every directory; for one file name the first
 * directory wins; all are applied sorted by file name, after the fragment.
 */
#include "unit_int.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "banned.h"

const char *const unit_system_dirs[] = {
	"/etc/systemd/system",     "/run/systemd/system", "/usr/local/lib/systemd/system",
	"/lib/systemd/system",     "/usr/lib/systemd/system",
};
const size_t unit_system_ndirs = sizeof unit_system_dirs / sizeof unit_system_dirs[0];

#define LINE_MAX_BYTES (1024 * 1024)

static int utf8_valid(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	for (size_t i = 0; i < n;) {
		size_t k = unit__utf8_len(p + i, n - i);
		if (!k)
			return 0;
		i += k;
	}
	return 1;
}

static int is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

/* Trims whitespace off [*s, *s + *n). */
static void trim(const char **s, size_t *n)
{
	while (*n && is_ws(**s)) {
		(*s)++;
		(*n)--;
	}
	while (*n && is_ws((*s)[*n - 1]))
		(*n)--;
}

static int add_entry(unit_file *u, const char *section, const char *key, size_t klen,
		     const char *val, size_t vlen, const char *file, unsigned line)
{
	if (u->n == u->cap) {
		size_t cap = u->cap ? 2 * u->cap : 32;
		struct unit_entry *e = realloc(u->e, cap * sizeof *e);
		if (!e)
			return UNIT_E_NOMEM;
		u->e = e;
		u->cap = cap;
	}
	struct unit_entry *e = &u->e[u->n];
	e->section = section;
	e->file = file;
	e->line = line;
	e->key = unit__strndup(u, key, klen);
	e->value = unit__strndup(u, val, vlen);
	if (!e->key || !e->value)
		return UNIT_E_NOMEM;
	u->n++;
	return 0;
}

int unit_parse(unit_file *u, const char *file, const char *text, size_t len,
	       struct unit_diags *w, unit_error *err)
{
	const char *section = NULL, *fname = unit__strndup(u, file, strlen(file));
	struct ubuf logical = {0};
	size_t pos = 0;
	unsigned line = 0, start_line = 0;
	int rc = 0, continuing = 0;

	if (!fname)
		return UNIT_E_NOMEM;
	if (memchr(text, '\0', len)) {
		size_t at = (size_t)((const char *)memchr(text, '\0', len) - text);
		unsigned l = 1;
		for (size_t i = 0; i < at; i++)
			l += text[i] == '\n';
		unit__error(err, UNIT_E_SYNTAX, file, l, "a NUL byte: not a unit file");
		return UNIT_E_SYNTAX;
	}
	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
		pos = 3;
	while (pos < len || continuing) {
		const char *l = text + pos;
		const char *nl = pos < len ? memchr(l, '\n', len - pos) : NULL;
		size_t n = nl ? (size_t)(nl - l) : len - pos;
		int at_end = pos >= len;
		pos = nl ? pos + n + 1 : len;
		if (!at_end)
			line++;
		if (n > LINE_MAX_BYTES) {
			unit__error(err, UNIT_E_SYNTAX, file, line, "line longer than 1 MiB");
			rc = UNIT_E_SYNTAX;
			goto out;
		}
		const char *s = l;
		size_t sn = n;
		trim(&s, &sn);
		if (continuing) {
			/* comment lines inside a continuation are skipped */
			if (!at_end && sn && (s[0] == '#' || s[0] == ';'))
				continue;
			if (!at_end)
				ubuf_addn(&logical, l, n);
		} else {
			if (!sn || s[0] == '#' || s[0] == ';')
				continue;
			logical.n = 0;
			ubuf_addn(&logical, s, sn);
			start_line = line;
		}
		if (logical.nomem) {
			rc = UNIT_E_NOMEM;
			goto out;
		}
		/* a trailing backslash continues the line */
		const char *ls = logical.p;
		size_t ln = logical.n;
		while (ln && is_ws(ls[ln - 1]))
			ln--;
		if (!at_end && ln && ls[ln - 1] == '\\') {
			logical.n = ln - 1;
			ubuf_addc(&logical, ' ');
			continuing = 1;
			if (logical.n > LINE_MAX_BYTES) {
				unit__error(err, UNIT_E_SYNTAX, file, start_line,
					    "line longer than 1 MiB");
				rc = UNIT_E_SYNTAX;
				goto out;
			}
			continue;
		}
		continuing = 0;
		if (at_end && !logical.n)
			break;
		s = logical.p;
		sn = logical.n;
		trim(&s, &sn);
		if (!sn)
			continue;
		if (!utf8_valid(s, sn)) {
			if ((rc = unit__warn(w, fname, start_line,
					     "line is not valid UTF-8; skipped")) != 0)
				goto out;
			continue;
		}
		if (s[0] == '[') {
			if (s[sn - 1] != ']' || sn < 3) {
				unit__error(err, UNIT_E_SYNTAX, file, start_line,
					    "invalid section header \"%.*s\"", (int)(sn > 80 ? 80 : sn),
					    s);
				rc = UNIT_E_SYNTAX;
				goto out;
			}
			section = unit__strndup(u, s + 1, sn - 2);
			if (!section) {
				rc = UNIT_E_NOMEM;
				goto out;
			}
			continue;
		}
		const char *eq = memchr(s, '=', sn);
		if (!eq) {
			if ((rc = unit__warn(w, fname, start_line,
					     "\"%.*s\" is not an assignment (no '='); skipped",
					     (int)(sn > 80 ? 80 : sn), s)) != 0)
				goto out;
			continue;
		}
		const char *k = s, *v = eq + 1;
		size_t kn = (size_t)(eq - s), vn = sn - kn - 1;
		trim(&k, &kn);
		trim(&v, &vn);
		if (!kn) {
			if ((rc = unit__warn(w, fname, start_line,
					     "an assignment without a name; skipped")) != 0)
				goto out;
			continue;
		}
		if (!section) {
			if ((rc = unit__warn(w, fname, start_line,
					     "%.*s= outside of any section; skipped", (int)kn, k)) != 0)
				goto out;
			continue;
		}
		if ((rc = add_entry(u, section, k, kn, v, vn, fname, start_line)) != 0)
			goto out;
	}
out:
	if (rc == UNIT_E_NOMEM)
		unit__error(err, UNIT_E_NOMEM, file, line, "out of memory");
	ubuf_free(&logical);
	return rc;
}

int unit_name_split(const char *name, char **prefix, char **instance, char **type)
{
	*prefix = *instance = *type = NULL;
	const char *dot = strrchr(name, '.');
	size_t len = strlen(name);
	if (!dot || dot == name || !dot[1] || strchr(name, '/') || len > 255)
		return UNIT_E_ARG;
	const char *at = memchr(name, '@', (size_t)(dot - name));
	const char *pend = at ? at : dot;
	if (pend == name)
		return UNIT_E_ARG;
	*prefix = strndup(name, (size_t)(pend - name));
	*type = strdup(dot + 1);
	if (at)
		*instance = strndup(at + 1, (size_t)(dot - at - 1));
	if (!*prefix || !*type || (at && !*instance)) {
		free(*prefix);
		free(*type);
		free(*instance);
		*prefix = *instance = *type = NULL;
		return UNIT_E_NOMEM;
	}
	return 0;
}

const struct unit_entry *unit_last(const unit_file *u, const char *section, const char *key)
{
	for (size_t i = u->n; i-- > 0;)
		if (strcmp(u->e[i].key, key) == 0 && strcmp(u->e[i].section, section) == 0)
			return &u->e[i];
	return NULL;
}

/* A found drop-in: its file name and full path. */
struct dropin {
	char *name, *path;
};

static int cmp_dropin(const void *a, const void *b)
{
	return strcmp(((const struct dropin *)a)->name, ((const struct dropin *)b)->name);
}

/* Adds every *.conf of dir (unless one of the same name is there) to *ds. */
static int scan_dropins(const char *dir, struct dropin **ds, size_t *n, size_t *cap)
{
	DIR *d = opendir(dir);
	if (!d)
		return 0;
	struct dirent *de;
	int rc = 0;
	while ((de = readdir(d)) != NULL) {
		size_t l = strlen(de->d_name);
		if (l < 6 || strcmp(de->d_name + l - 5, ".conf") != 0 || de->d_name[0] == '.')
			continue;
		int dup = 0;
		for (size_t i = 0; i < *n && !dup; i++)
			dup = strcmp((*ds)[i].name, de->d_name) == 0;
		if (dup)
			continue;
		if (*n == *cap) {
			size_t c = *cap ? 2 * *cap : 8;
			struct dropin *nd = realloc(*ds, c * sizeof *nd);
			if (!nd) {
				rc = UNIT_E_NOMEM;
				break;
			}
			*ds = nd;
			*cap = c;
		}
		struct ubuf p = {0};
		ubuf_printf(&p, "%s/%s", dir, de->d_name);
		char *nm = strdup(de->d_name);
		if (p.nomem || !nm) {
			ubuf_free(&p);
			free(nm);
			rc = UNIT_E_NOMEM;
			break;
		}
		(*ds)[*n].name = nm;
		(*ds)[*n].path = p.p;
		(*n)++;
	}
	closedir(d);
	return rc;
}

/* Is path a masked unit (empty, or a symlink to /dev/null)? */
static int masked(const char *path, size_t len)
{
	char target[PATH_MAX];
	ssize_t n = readlink(path, target, sizeof target - 1);
	if (n > 0) {
		target[n] = '\0';
		if (strcmp(target, "/dev/null") == 0)
			return 1;
	}
	return len == 0;
}

static int load_file(unit_file *u, const char *path, const char *shown, struct unit_diags *w,
		     unit_error *err, int fragment)
{
	char *data = NULL;
	size_t len = 0;
	int rc;
	if (unit__read(NULL, path, &data, &len) != 0) {
		unit__error(err, errno == ENOMEM ? UNIT_E_NOMEM : UNIT_E_IO, shown, 0,
			    "cannot read \"%s\": %s", path, strerror(errno));
		return errno == ENOMEM ? UNIT_E_NOMEM : UNIT_E_IO;
	}
	if (fragment && masked(path, len)) {
		free(data);
		unit__error(err, UNIT_E_UNSUPPORTED, shown, 0, "unit \"%s\" is masked", u->name);
		return UNIT_E_UNSUPPORTED;
	}
	rc = unit_parse(u, shown, data, len, w, err);
	free(data);
	return rc;
}

static int exists_file(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && !S_ISDIR(st.st_mode);
}

int unit_load(unit_file *u, const char *root, const char *const *dirs, size_t ndirs,
	      const char *what, const char *instance, struct unit_diags *w, unit_error *err)
{
	char *prefix = NULL, *inst = NULL, *type = NULL, *frag = NULL, *fragdir = NULL;
	char **alldirs = NULL;
	size_t nall = 0;
	struct dropin *ds = NULL;
	size_t nds = 0, cds = 0;
	struct ubuf nb = {0};
	int rc;
	const char *base = strrchr(what, '/') ? strrchr(what, '/') + 1 : what;

	if ((rc = unit_name_split(base, &prefix, &inst, &type)) != 0) {
		unit__error(err, rc, what, 0,
			    rc == UNIT_E_NOMEM ? "out of memory"
					       : "\"%s\" is not a unit name (NAME.TYPE)",
			    base);
		goto out;
	}
	if (instance && *instance) {
		if (!inst || (*inst && strcmp(inst, instance) != 0)) {
			unit__error(err, UNIT_E_ARG, what, 0,
				    inst ? "\"%s\" already names instance \"%s\""
					 : "\"%s\" is not a template (NAME@.TYPE): no instance applies",
				    base, inst ? inst : "");
			rc = UNIT_E_ARG;
			goto out;
		}
		free(inst);
		if (!(inst = strdup(instance))) {
			rc = UNIT_E_NOMEM;
			goto out;
		}
	}
	alldirs = calloc(ndirs + 1, sizeof *alldirs);
	if (!alldirs) {
		rc = UNIT_E_NOMEM;
		goto out;
	}
	if (strchr(what, '/')) {
		if (!(frag = strdup(what)) || !(fragdir = strndup(what, (size_t)(base - what - 1)))) {
			rc = UNIT_E_NOMEM;
			goto out;
		}
		if (!*fragdir) {
			free(fragdir);
			fragdir = strdup("/");
		}
		alldirs[nall++] = fragdir;
		fragdir = NULL;
	}
	for (size_t i = 0; i < ndirs; i++)
		if (!(alldirs[nall++] = unit__rooted(root, dirs[i]))) {
			rc = UNIT_E_NOMEM;
			goto out;
		}
	if (!frag) {
		/* the exact name first, in every directory; then the template */
		for (int pass = 0; pass < 2 && !frag; pass++) {
			if (pass == 1 && !(inst && *inst))
				break;
			for (size_t i = 0; i < nall && !frag; i++) {
				nb.n = 0;
				if (pass == 0)
					ubuf_printf(&nb, "%s/%s", alldirs[i], base);
				else
					ubuf_printf(&nb, "%s/%s@.%s", alldirs[i], prefix, type);
				if (nb.nomem) {
					rc = UNIT_E_NOMEM;
					goto out;
				}
				if (exists_file(nb.p) || (pass == 0 && access(nb.p, F_OK) == 0 &&
							  masked(nb.p, 1)))
					frag = strdup(nb.p);
			}
		}
		if (!frag) {
			unit__error(err, UNIT_E_NOTFOUND, what, 0,
				    "no unit \"%s\" in %s%s%s", base, root && *root ? root : "",
				    root && *root ? ": " : "",
				    "the unit directories");
			rc = UNIT_E_NOTFOUND;
			goto out;
		}
	}
	nb.n = 0;
	if (inst)
		ubuf_printf(&nb, "%s@%s.%s", prefix, inst, type);
	else
		ubuf_printf(&nb, "%s.%s", prefix, type);
	if (nb.nomem) {
		rc = UNIT_E_NOMEM;
		goto out;
	}
	u->name = strdup(nb.p);
	u->prefix = prefix;
	u->instance = inst;
	u->type = type;
	u->path = frag;
	prefix = inst = type = frag = NULL;
	if (!u->name) {
		rc = UNIT_E_NOMEM;
		goto out;
	}
	if ((rc = load_file(u, u->path, u->path, w, err, 1)) != 0)
		goto out;

	/* drop-in directory names, most specific first */
	{
		char *names[64];
		size_t nn = 0;
		struct ubuf t = {0};
		ubuf_printf(&t, "%s.d", u->name);
		if (u->instance)
			ubuf_printf(&t, "%c%s@.%s.d", 0, u->prefix, u->type);
		for (const char *d = strchr(u->prefix, '-'); d && nn < 40; d = strchr(d + 1, '-'))
			ubuf_printf(&t, "%c%.*s-.%s.d", 0, (int)(d - u->prefix), u->prefix, u->type);
		ubuf_printf(&t, "%c%s.d", 0, u->type);
		if (t.nomem) {
			ubuf_free(&t);
			rc = UNIT_E_NOMEM;
			goto out;
		}
		for (size_t off = 0; off < t.n && nn < 64; off += strlen(t.p + off) + 1)
			names[nn++] = t.p + off;
		for (size_t i = 0; i < nall && rc == 0; i++)
			for (size_t k = 0; k < nn && rc == 0; k++) {
				nb.n = 0;
				ubuf_printf(&nb, "%s/%s", alldirs[i], names[k]);
				rc = nb.nomem ? UNIT_E_NOMEM : scan_dropins(nb.p, &ds, &nds, &cds);
			}
		ubuf_free(&t);
		if (rc)
			goto out;
	}
	if (nds > 1)
		qsort(ds, nds, sizeof *ds, cmp_dropin);
	if (nds) {
		u->dropins = calloc(nds, sizeof *u->dropins);
		if (!u->dropins) {
			rc = UNIT_E_NOMEM;
			goto out;
		}
	}
	for (size_t i = 0; i < nds; i++) {
		u->dropins[u->ndropins++] = ds[i].path;
		ds[i].path = NULL;
		if ((rc = load_file(u, u->dropins[i], u->dropins[i], w, err, 0)) != 0)
			goto out;
	}
	if (u->instance && !*u->instance) {
		const struct unit_entry *di = unit_last(u, "Install", "DefaultInstance");
		if (!di || !*di->value) {
			unit__error(err, UNIT_E_ARG, u->path, 0,
				    "\"%s\" is a template: give an instance (--instance I)", u->name);
			rc = UNIT_E_ARG;
			goto out;
		}
		free(u->instance);
		free(u->name);
		u->instance = strdup(di->value);
		nb.n = 0;
		ubuf_printf(&nb, "%s@%s.%s", u->prefix, di->value, u->type);
		u->name = nb.nomem ? NULL : strdup(nb.p);
		if (!u->instance || !u->name) {
			rc = UNIT_E_NOMEM;
			goto out;
		}
	}
out:
	if (rc == UNIT_E_NOMEM)
		unit__error(err, UNIT_E_NOMEM, what, 0, "out of memory");
	for (size_t i = 0; i < nds; i++) {
		free(ds[i].name);
		free(ds[i].path);
	}
	free(ds);
	for (size_t i = 0; i < nall; i++)
		free(alldirs[i]);
	free(alldirs);
	ubuf_free(&nb);
	free(prefix);
	free(inst);
	free(type);
	free(frag);
	free(fragdir);
	return rc;
}
