/*
 * genode_util.c — the helpers of genode_int.h: the text buffer the
 * renderers write into, XML attribute escaping, the label-matching rules
 * of Genode's init (route selectors, INIT.md §4.2) and of Sigil (policies,
 * §4.6 without wildcards), and route resolution over the raw Genode model.
 *
 * Resolution follows the sandbox library of Genode 21.05: the rules of the
 * child's <route> (or, when it has none, of <default-route>) in document
 * order; the first rule whose service name and selectors match decides;
 * its targets are tried in order (a <parent/> works when the service is in
 * <parent-provides>, a <child> when it announces the service, <any-child/>
 * when exactly one child does); a matched <service> rule whose targets all
 * fail denies, a matched <any-service> rule falls through to the next rule.
 */
#include "genode_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "banned.h"

static int gt_grow(struct gtext *t, size_t n)
{
	if (t->oom)
		return -1;
	if (t->len + n + 1 <= t->cap)
		return 0;
	size_t cap = t->cap ? t->cap : 256;
	while (cap < t->len + n + 1) {
		if (cap > SIZE_MAX / 2)
			goto fail;
		cap *= 2;
	}
	char *s = realloc(t->s, cap);
	if (!s)
		goto fail;
	t->s = s;
	t->cap = cap;
	return 0;
fail:
	t->oom = 1;
	return -1;
}

void gt_put(struct gtext *t, const char *s, size_t n)
{
	if (gt_grow(t, n))
		return;
	memcpy(t->s + t->len, s, n);
	t->len += n;
	t->s[t->len] = 0;
}

void gt_puts(struct gtext *t, const char *s)
{
	gt_put(t, s, strlen(s));
}

void gt_printf(struct gtext *t, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || gt_grow(t, (size_t)n))
		return;
	va_start(ap, fmt);
	vsnprintf(t->s + t->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	t->len += (size_t)n;
}

int gt_take(struct gtext *t, char **out, size_t *len)
{
	if (!t->oom && gt_grow(t, 0) == 0) {
		*out = t->s;
		if (len)
			*len = t->len;
		memset(t, 0, sizeof *t);
		return 0;
	}
	gt_free(t);
	return DHALL_ENOMEM;
}

void gt_free(struct gtext *t)
{
	free(t->s);
	memset(t, 0, sizeof *t);
}

int gt_xml(struct gtext *t, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 && *p != '\t' && *p != '\n' && *p != '\r')
			return -1;
	for (const char *p = s; *p; p++) {
		switch (*p) {
		case '&': gt_puts(t, "&amp;"); break;
		case '<': gt_puts(t, "&lt;"); break;
		case '"': gt_puts(t, "&quot;"); break;
		case '\t': gt_puts(t, "&#9;"); break;
		case '\n': gt_puts(t, "&#10;"); break;
		case '\r': gt_puts(t, "&#13;"); break;
		default: gt_put(t, p, 1);
		}
	}
	return 0;
}

const char *gn_last_element(const char *label)
{
	const char *last = label;
	for (const char *p = strstr(label, " -> "); p; p = strstr(p + 1, " -> "))
		last = p + 4;
	return last;
}

static int starts_with(const char *s, const char *p)
{
	return strncmp(s, p, strlen(p)) == 0;
}

static int ends_with(const char *s, const char *x)
{
	size_t n = strlen(s), m = strlen(x);
	return n >= m && strcmp(s + n - m, x) == 0;
}

int gn_rule_matches(const struct sys_gn_sel *sel, const char *client, const char *full)
{
	if (sel->unscoped)
		return strcmp(full, sel->unscoped) == 0;
	if (sel->last)
		return strcmp(gn_last_element(full), sel->last) == 0;
	if (!sel->label && !sel->prefix && !sel->suffix)
		return 1;
	size_t n = strlen(client);
	if (strncmp(full, client, n) != 0 || strncmp(full + n, " -> ", 4) != 0)
		return 0; /* no scoped label: env sessions never match scoped selectors */
	const char *scoped = full + n + 4;
	if (sel->label && strcmp(scoped, sel->label) != 0)
		return 0;
	if (sel->prefix && !starts_with(scoped, sel->prefix))
		return 0;
	if (sel->suffix && !ends_with(scoped, sel->suffix))
		return 0;
	return 1;
}

int gn_sigil_matches(const struct sys_label *l, const char *label)
{
	return sys_label_matches(l, label);
}

size_t gn_find_start(const struct sys_gn_config *c, const char *name)
{
	if (!name)
		return SIZE_MAX;
	for (size_t i = 0; i < c->nstarts; i++)
		if (strcmp(c->starts[i].name, name) == 0)
			return i;
	for (size_t i = 0; i < c->naliases; i++)
		if (c->aliases[i].name && strcmp(c->aliases[i].name, name) == 0 && c->aliases[i].child) {
			for (size_t k = 0; k < c->nstarts; k++)
				if (strcmp(c->starts[k].name, c->aliases[i].child) == 0)
					return k;
			return SIZE_MAX;
		}
	return SIZE_MAX;
}

int gn_provides(const struct sys_gn_start *st, const char *s)
{
	for (size_t i = 0; i < st->nprovides; i++)
		if (st->provides[i].name && strcmp(st->provides[i].name, s) == 0)
			return 1;
	return 0;
}

int gn_parent_provides(const struct sys_gn_config *c, const char *s)
{
	for (size_t i = 0; i < c->nparent; i++)
		if (c->parent_provides[i].name && strcmp(c->parent_provides[i].name, s) == 0)
			return 1;
	return 0;
}

const struct sys_gn_rule *gn_rules(const struct sys_gn_config *c, size_t i, size_t *n)
{
	if (c->starts[i].has_route) {
		*n = c->starts[i].nroute;
		return c->starts[i].route;
	}
	*n = c->ndefault_route;
	return c->default_route;
}

void gn_resolve(const struct sys_gn_config *c, size_t i, const char *service, const char *full,
		struct gn_res *res)
{
	size_t n;
	const struct sys_gn_rule *rules = gn_rules(c, i, &n);
	memset(res, 0, sizeof *res);
	res->kind = GN_DENIED;
	for (size_t k = 0; k < n; k++) {
		const struct sys_gn_rule *ru = &rules[k];
		if (!ru->any && (!ru->service || strcmp(ru->service, service) != 0))
			continue;
		if (!gn_rule_matches(&ru->sel, c->starts[i].name, full))
			continue;
		res->rule = ru;
		for (size_t t = 0; t < ru->ntargets; t++) {
			const struct sys_gn_target *tg = &ru->targets[t];
			if (tg->kind == SYS_GN_PARENT && gn_parent_provides(c, service)) {
				res->kind = GN_TO_PARENT;
				res->target = tg;
				return;
			}
			if (tg->kind == SYS_GN_CHILD) {
				size_t s = gn_find_start(c, tg->name);
				if (s != SIZE_MAX && gn_provides(&c->starts[s], service)) {
					res->kind = GN_TO_CHILD;
					res->server = s;
					res->target = tg;
					return;
				}
			}
			if (tg->kind == SYS_GN_ANY_CHILD) {
				size_t found = SIZE_MAX, nfound = 0;
				for (size_t s = 0; s < c->nstarts; s++)
					if (gn_provides(&c->starts[s], service)) {
						found = s;
						nfound++;
					}
				if (nfound == 1) {
					res->kind = GN_TO_CHILD;
					res->server = found;
					res->target = tg;
					return;
				}
				if (nfound > 1)
					res->ambiguous = 1;
			}
		}
		if (!ru->any)
			return;
	}
}
