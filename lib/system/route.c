/*
 * route.c — sys_routes: the routing rule of docs/system.md as data, for
 * sigil-init (which must bind each server's service into exactly the
 * clients the checker routes to it).
 *
 * The rule, shared with check.c (which reports; sys_routes only
 * resolves): a use of service S with label L by child C has the label
 * "C -> L" ("C" when L is empty). With nested inits, C is C's path below
 * the innermost init that holds both client and server: a server next to
 * "shell -> bash" inside "shell" sees "bash -> L", a server at the top
 * sees "shell -> bash -> L" (as in Genode, where each init on the way up
 * prefixes its child's name). The use reaches the one child that provides
 * S with a policy matching that label; a policy matches when every
 * selector it has agrees (exact equal, prefix starts, suffix ends) and it
 * has at least one. No match, two or more servers, or the client itself:
 * no route (server = SIZE_MAX). Within the server the strongest matching
 * policy is the one reported: exact, then the longest prefix, then the
 * longest suffix (Genode's session_policy rule).
 *
 * The system's parent is a server too (sys_system.parent, SYS_PARENT):
 * its policies see the full label from the top.
 *
 * Providers are looked up in a sorted index (struct sys_providers), so a
 * use costs O(log providers + its service's providers × policies). No
 * global state, nothing printed.
 */
#include "sys_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "banned.h"

int sys_label_matches(const struct sys_label *l, const char *label)
{
	size_t n = strlen(label);
	if (!l->exact && !l->prefix && !l->suffix)
		return 0;
	if (l->exact && strcmp(l->exact, label) != 0)
		return 0;
	if (l->prefix && strncmp(l->prefix, label, strlen(l->prefix)) != 0)
		return 0;
	if (l->suffix && (strlen(l->suffix) > n || strcmp(label + n - strlen(l->suffix), l->suffix) != 0))
		return 0;
	return 1;
}

void sys_full_label(const char *client, const char *label, char *out, size_t size)
{
	/* by hand, not snprintf: the checker builds one per use and server */
	size_t n = 0;
	const char *parts[3] = {client, label && label[0] ? " -> " : "", label && label[0] ? label : ""};
	for (int i = 0; i < 3; i++)
		for (const char *p = parts[i]; *p && n + 1 < size; p++)
			out[n++] = *p;
	if (size)
		out[n] = 0;
}

const char *sys_label_text(const struct sys_label *l, char *buf, size_t size)
{
	const char *kind[3] = {"exact", "prefix", "suffix"}, *val[3] = {l->exact, l->prefix, l->suffix};
	size_t n = 0;
	buf[0] = 0;
	for (int i = 0; i < 3; i++)
		if (val[i] && n < size)
			n += (size_t)snprintf(buf + n, size - n, "%s%s \"%s\"", n ? ", " : "", kind[i], val[i]);
	return buf;
}

/* A policy's strength: exact beats any prefix, which beats any suffix;
 * longer beats shorter within a kind. */
static size_t strength(const struct sys_label *l)
{
	if (l->exact)
		return (size_t)3 << 24;
	if (l->prefix)
		return ((size_t)2 << 24) + strlen(l->prefix);
	return ((size_t)1 << 24) + (l->suffix ? strlen(l->suffix) : 0);
}

/* The depth of the innermost init holding both children a and b: 0 when
 * that is the system's own init. */
static unsigned common_depth(const struct sys_system *s, size_t a, size_t b)
{
	size_t pa = s->children[a].parent, pb = s->children[b].parent;
	unsigned da = s->children[a].depth, db = s->children[b].depth;
	while (da > db) {
		pa = s->children[pa].parent;
		da--;
	}
	while (db > da) {
		pb = s->children[pb].parent;
		db--;
	}
	while (pa != pb) {
		pa = s->children[pa].parent;
		pb = s->children[pb].parent;
		da--;
	}
	return da;
}

void sys_use_label(const struct sys_system *s, size_t client, const struct sys_use *u,
		   size_t server, char *out, size_t size)
{
	const char *name = s->children[client].name;
	for (unsigned d = common_depth(s, client, server); d > 0; d--)
		name = strstr(name, " -> ") + 4;
	sys_full_label(name, u->label, out, size);
}

static int provider_cmp(const void *a, const void *b)
{
	const struct sys_provider *x = a, *y = b;
	int c = strcmp(x->service, y->service);
	if (c)
		return c;
	return x->child < y->child ? -1 : x->child > y->child;
}

int sys_providers_init(const struct sys_system *s, struct sys_providers *p)
{
	size_t total = 0;
	p->ix = NULL;
	p->n = 0;
	for (size_t i = 0; i < s->nchildren; i++)
		total += s->children[i].nprovides;
	p->ix = calloc(total + s->nparent + 1, sizeof *p->ix);
	if (!p->ix)
		return DHALL_ENOMEM;
	for (size_t i = 0; i < s->nchildren; i++)
		for (size_t j = 0; j < s->children[i].nprovides; j++)
			p->ix[p->n++] = (struct sys_provider){s->children[i].provides[j].name, i, j};
	for (size_t j = 0; j < s->nparent; j++)
		p->ix[p->n++] = (struct sys_provider){s->parent[j].name, SYS_PARENT, j};
	qsort(p->ix, p->n, sizeof *p->ix, provider_cmp);
	return 0;
}

void sys_providers_free(struct sys_providers *p)
{
	free(p->ix);
	p->ix = NULL;
	p->n = 0;
}

size_t sys_match_use(const struct sys_system *s, const struct sys_providers *p, size_t client,
		     const struct sys_use *u, struct sys_route *m, size_t max, size_t *nproviders)
{
	size_t lo = 0, hi = p->n, found = 0, providers = 0;
	char label[SYS_LABEL_MAX * 4 + 8];
	while (lo < hi) { /* the first provider of u->service */
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(p->ix[mid].service, u->service) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t x = lo; x < p->n && strcmp(p->ix[x].service, u->service) == 0; x++) {
		size_t k = p->ix[x].child;
		const struct sys_service *sv = k == SYS_PARENT ? &s->parent[p->ix[x].svc]
							       : &s->children[k].provides[p->ix[x].svc];
		size_t best = SIZE_MAX, best_strength = 0;
		providers++;
		if (k == SYS_PARENT) /* the parent sees labels from the top */
			sys_full_label(s->children[client].name, u->label, label, sizeof label);
		else
			sys_use_label(s, client, u, k, label, sizeof label);
		for (size_t q = 0; q < sv->npolicies; q++) {
			const struct sys_label *l = &sv->policies[q].label;
			if (sys_label_matches(l, label) && (best == SIZE_MAX || strength(l) > best_strength)) {
				best = q;
				best_strength = strength(l);
			}
		}
		if (best == SIZE_MAX)
			continue;
		if (found < max)
			m[found] = (struct sys_route){client, SIZE_MAX, k, p->ix[x].svc, best};
		found++;
	}
	if (nproviders)
		*nproviders = providers;
	return found;
}

int sys_routes(const struct sys_system *s, struct sys_route **out, size_t *n)
{
	struct sys_providers p;
	size_t total = 0, k = 0;
	*out = NULL;
	*n = 0;
	for (size_t i = 0; i < s->nchildren; i++)
		total += s->children[i].nuses;
	if (total == 0)
		return 0;
	struct sys_route *r = calloc(total, sizeof *r);
	if (!r || sys_providers_init(s, &p) != 0) {
		free(r);
		return DHALL_ENOMEM;
	}
	for (size_t i = 0; i < s->nchildren; i++)
		for (size_t u = 0; u < s->children[i].nuses; u++) {
			struct sys_route m;
			if (sys_match_use(s, &p, i, &s->children[i].uses[u], &m, 1, NULL) != 1 ||
			    m.server == i)
				m.server = m.service = m.policy = SIZE_MAX;
			r[k] = m;
			r[k].client = i;
			r[k].use = u;
			k++;
		}
	sys_providers_free(&p);
	*out = r;
	*n = total;
	return 0;
}
