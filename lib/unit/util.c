/*
 * util.c — small things the lib/unit files share (unit_int.h): the string
 * storage of a unit_file (chunks freed all at once, so entries can point
 * into it), a growable text buffer whose failure sticks (checked once at
 * the end instead of after every append), warnings, and systemd's value
 * grammars for booleans and sizes.
 */
#include "unit_int.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "banned.h"

struct unit_chunk {
	struct unit_chunk *next;
	size_t used, size;
	char data[];
};

char *unit__strndup(unit_file *u, const char *s, size_t n)
{
	struct unit_chunk *c = u->mem;
	if (!c || c->size - c->used < n + 1) {
		size_t size = n + 1 > 16384 ? n + 1 : 16384;
		c = malloc(sizeof *c + size);
		if (!c)
			return NULL;
		c->size = size;
		c->used = 0;
		c->next = u->mem;
		u->mem = c;
	}
	char *p = c->data + c->used;
	memcpy(p, s, n);
	p[n] = '\0';
	c->used += n + 1;
	return p;
}

/* Length of the valid UTF-8 sequence at p (of at most n bytes), 0 if bad. */
size_t unit__utf8_len(const unsigned char *p, size_t n)
{
	if (p[0] < 0x80)
		return 1;
	size_t k;
	unsigned cp;
	if ((p[0] & 0xe0) == 0xc0) {
		k = 2;
		cp = p[0] & 0x1fu;
	} else if ((p[0] & 0xf0) == 0xe0) {
		k = 3;
		cp = p[0] & 0x0fu;
	} else if ((p[0] & 0xf8) == 0xf0) {
		k = 4;
		cp = p[0] & 0x07u;
	} else {
		return 0;
	}
	if (k > n)
		return 0;
	for (size_t i = 1; i < k; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3fu);
	}
	if ((k == 2 && cp < 0x80) || (k == 3 && cp < 0x800) || (k == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return k;
}

void unit_file_init(unit_file *u)
{
	memset(u, 0, sizeof *u);
}

void unit_file_free(unit_file *u)
{
	struct unit_chunk *c = u->mem;
	while (c) {
		struct unit_chunk *next = c->next;
		free(c);
		c = next;
	}
	free(u->name);
	free(u->prefix);
	free(u->instance);
	free(u->type);
	free(u->path);
	for (size_t i = 0; i < u->ndropins; i++)
		free(u->dropins[i]);
	free(u->dropins);
	free(u->e);
	memset(u, 0, sizeof *u);
}

void ubuf_addn(struct ubuf *b, const char *s, size_t n)
{
	if (b->nomem)
		return;
	if (b->cap - b->n < n + 1) {
		size_t cap = b->cap ? b->cap : 256;
		while (cap - b->n < n + 1)
			cap *= 2;
		char *p = realloc(b->p, cap);
		if (!p) {
			b->nomem = 1;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = '\0';
}

void ubuf_add(struct ubuf *b, const char *s)
{
	ubuf_addn(b, s, strlen(s));
}

void ubuf_addc(struct ubuf *b, char c)
{
	ubuf_addn(b, &c, 1);
}

void ubuf_printf(struct ubuf *b, const char *fmt, ...)
{
	char small[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(small, sizeof small, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->nomem = 1;
		return;
	}
	if ((size_t)n < sizeof small) {
		ubuf_addn(b, small, (size_t)n);
		return;
	}
	char *big = malloc((size_t)n + 1);
	if (!big) {
		b->nomem = 1;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	ubuf_addn(b, big, (size_t)n);
	free(big);
}

void ubuf_free(struct ubuf *b)
{
	free(b->p);
	memset(b, 0, sizeof *b);
}

void unit_diags_free(struct unit_diags *w)
{
	for (size_t i = 0; i < w->n; i++) {
		free(w->d[i].file);
		free(w->d[i].msg);
	}
	free(w->d);
	memset(w, 0, sizeof *w);
}

int unit__vwarn(struct unit_diags *w, const char *file, unsigned line, const char *fmt,
		va_list ap)
{
	struct ubuf m = {0};
	char small[512];
	va_list cp;
	va_copy(cp, ap);
	int n = vsnprintf(small, sizeof small, fmt, cp);
	va_end(cp);
	if (n < 0)
		return UNIT_E_NOMEM;
	if ((size_t)n < sizeof small) {
		ubuf_addn(&m, small, (size_t)n);
	} else {
		char *big = malloc((size_t)n + 1);
		if (!big)
			return UNIT_E_NOMEM;
		vsnprintf(big, (size_t)n + 1, fmt, ap);
		ubuf_addn(&m, big, (size_t)n);
		free(big);
	}
	char *f = strdup(file ? file : "");
	if (m.nomem || !f) {
		free(f);
		ubuf_free(&m);
		return UNIT_E_NOMEM;
	}
	if (w->n == w->cap) {
		size_t cap = w->cap ? 2 * w->cap : 16;
		struct unit_diag *d = realloc(w->d, cap * sizeof *d);
		if (!d) {
			free(f);
			ubuf_free(&m);
			return UNIT_E_NOMEM;
		}
		w->d = d;
		w->cap = cap;
	}
	w->d[w->n].file = f;
	w->d[w->n].line = line;
	w->d[w->n].msg = m.p;
	w->n++;
	return 0;
}

int unit__warn(struct unit_diags *w, const char *file, unsigned line, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = unit__vwarn(w, file, line, fmt, ap);
	va_end(ap);
	return rc;
}

void unit__error(unit_error *err, int code, const char *file, unsigned line, const char *fmt,
		 ...)
{
	if (!err)
		return;
	va_list ap;
	err->code = code;
	err->line = line;
	snprintf(err->file, sizeof err->file, "%s", file ? file : "");
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof err->msg, fmt, ap);
	va_end(ap);
}

int unit__bool(const char *s)
{
	static const char *const yes[] = {"1", "yes", "y", "true", "t", "on"};
	static const char *const no[] = {"0", "no", "n", "false", "f", "off"};
	for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
		if (strcasecmp(s, yes[i]) == 0)
			return 1;
		if (strcasecmp(s, no[i]) == 0)
			return 0;
	}
	return -1;
}

int unit__size(const char *s, unsigned long long *out)
{
	static const char units[] = "BKMGTPE";
	if (strcmp(s, "infinity") == 0)
		return 1;
	const char *p = s;
	unsigned long long whole = 0, frac = 0, scale = 1;
	int digits = 0;
	while (*p == ' ')
		p++;
	for (; *p >= '0' && *p <= '9'; p++, digits++) {
		if (whole > (ULLONG_MAX - 9) / 10)
			return -1;
		whole = whole * 10 + (unsigned long long)(*p - '0');
	}
	if (*p == '.') {
		p++;
		for (; *p >= '0' && *p <= '9'; p++, digits++)
			if (scale < 1000000000ULL) {
				frac = frac * 10 + (unsigned long long)(*p - '0');
				scale *= 10;
			}
	}
	if (!digits)
		return -1;
	while (*p == ' ')
		p++;
	unsigned long long mult = 1;
	if (*p) {
		const char *u = strchr(units, *p);
		if (!u || p[1] != '\0')
			return -1;
		for (long i = 0; i < u - units; i++)
			mult *= 1024;
	}
	if (whole > ULLONG_MAX / mult)
		return -1;
	*out = whole * mult + (unsigned long long)((long double)frac / (long double)scale *
						   (long double)mult);
	return 0;
}

char *unit__rooted(const char *root, const char *path)
{
	struct ubuf b = {0};
	if (root && strcmp(root, "/") != 0 && root[0]) {
		size_t n = strlen(root);
		while (n > 1 && root[n - 1] == '/')
			n--;
		ubuf_addn(&b, root, n);
		if (path[0] != '/')
			ubuf_addc(&b, '/');
	}
	ubuf_add(&b, path);
	if (b.nomem) {
		ubuf_free(&b);
		return NULL;
	}
	return b.p;
}

int unit__read(const char *root, const char *path, char **data, size_t *len)
{
	char *full = unit__rooted(root, path);
	struct ubuf b = {0};
	int fd = -1, rc = -1;
	*data = NULL;
	*len = 0;
	if (!full) {
		errno = ENOMEM;
		goto out;
	}
	fd = open(full, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		goto out;
	struct stat st;
	if (fstat(fd, &st) != 0)
		goto out;
	if (S_ISDIR(st.st_mode)) {
		errno = EISDIR;
		goto out;
	}
	ubuf_addn(&b, "", 0);
	for (;;) {
		char tmp[65536];
		ssize_t n = read(fd, tmp, sizeof tmp);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto out;
		if (n == 0)
			break;
		ubuf_addn(&b, tmp, (size_t)n);
		if (b.nomem) {
			errno = ENOMEM;
			goto out;
		}
	}
	if (b.nomem) {
		errno = ENOMEM;
		goto out;
	}
	*data = b.p;
	*len = b.n;
	b.p = NULL;
	rc = 0;
out:;
	int saved = errno;
	if (fd >= 0)
		close(fd);
	free(full);
	ubuf_free(&b);
	errno = saved;
	return rc;
}

int unit__timespan_ms(const char *s, unsigned long long *ms)
{
	static const struct {
		const char *u;
		double ms;
	} units[] = {{"usec", 0.001}, {"us", 0.001}, {"msec", 1}, {"ms", 1}, {"seconds", 1000},
		     {"second", 1000}, {"sec", 1000}, {"s", 1000}, {"minutes", 60000},
		     {"minute", 60000}, {"min", 60000}, {"m", 60000}, {"hours", 3600000},
		     {"hour", 3600000}, {"hr", 3600000}, {"h", 3600000}, {"days", 86400000},
		     {"day", 86400000}, {"d", 86400000}};
	double total = 0;
	int any = 0;
	while (*s == ' ' || *s == '\t')
		s++;
	if (strcmp(s, "infinity") == 0)
		return 1;
	while (*s) {
		if (!(*s >= '0' && *s <= '9') && *s != '.')
			return -1;
		char *end;
		double v = strtod(s, &end);
		if (end == s || v < 0)
			return -1;
		s = end;
		while (*s == ' ')
			s++;
		size_t n = 0;
		while ((s[n] >= 'a' && s[n] <= 'z'))
			n++;
		double mult = n ? -1 : 1000; /* a bare number: seconds */
		for (size_t i = 0; n && i < sizeof units / sizeof units[0]; i++)
			if (strlen(units[i].u) == n && strncmp(s, units[i].u, n) == 0)
				mult = units[i].ms;
		if (mult < 0)
			return -1;
		total += v * mult;
		any = 1;
		s += n;
		while (*s == ' ' || *s == '\t')
			s++;
	}
	if (!any || total > 1e15)
		return -1;
	*ms = (unsigned long long)total;
	return 0;
}
