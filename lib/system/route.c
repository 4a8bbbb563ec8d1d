/*
 * route.c — sys_routes: the routing rule of docs/system.md as data, for
 * sigil-init (which must bind each server's service into exactly the
 * clients the checker routes to it).
 *
 * The rule, the same as check.c's (which reports; this one only resolves):
 * a use of service S with label L by child C has the full label "C -> L"
 * ("C" when L is empty). It reaches the one child that provides S with a
 * policy matching that label; a policy matches when every selector it has
 * agrees (exact equal, prefix starts, suffix ends) and it has at least one.
 * No match, two or more servers, or the client itself: no route
 * (server = SIZE_MAX). Within the server the strongest matching policy
 * is the one reported: exact, then the longest prefix, then the longest
 * suffix (Genode's session_policy rule).
 *
 * O(uses × providers × policies); no global state, nothing printed.
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
	if (label && label[0])
		snprintf(out, size, "%s -> %s", client, label);
	else
		snprintf(out, size, "%s", client);
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

static void resolve(const struct sys_system *s, size_t ci, const struct sys_use *u,
		    struct sys_route *r)
{
	char label[SYS_LABEL_MAX * 2 + 8];
	size_t nfound = 0;
	const char *client = s->children[ci].name;
	sys_full_label(client, u->label, label, sizeof label);
	r->server = r->service = r->policy = SIZE_MAX;
	for (size_t k = 0; k < s->nchildren; k++) {
		const struct sys_child *srv = &s->children[k];
		size_t best = SIZE_MAX, best_svc = SIZE_MAX, best_strength = 0;
		for (size_t j = 0; j < srv->nprovides; j++) {
			const struct sys_service *sv = &srv->provides[j];
			if (strcmp(sv->name, u->service) != 0)
				continue;
			for (size_t p = 0; p < sv->npolicies; p++) {
				const struct sys_label *l = &sv->policies[p].label;
				if (!sys_label_matches(l, label))
					continue;
				if (best == SIZE_MAX || strength(l) > best_strength) {
					best = p;
					best_svc = j;
					best_strength = strength(l);
				}
			}
		}
		if (best == SIZE_MAX)
			continue;
		nfound++;
		r->server = k;
		r->service = best_svc;
		r->policy = best;
	}
	if (nfound != 1 || r->server == ci)
		r->server = r->service = r->policy = SIZE_MAX;
}

int sys_routes(const struct sys_system *s, struct sys_route **out, size_t *n)
{
	size_t total = 0, k = 0;
	*out = NULL;
	*n = 0;
	for (size_t i = 0; i < s->nchildren; i++)
		total += s->children[i].nuses;
	if (total == 0)
		return 0;
	struct sys_route *r = calloc(total, sizeof *r);
	if (!r)
		return DHALL_ENOMEM;
	for (size_t i = 0; i < s->nchildren; i++)
		for (size_t u = 0; u < s->children[i].nuses; u++) {
			r[k].client = i;
			r[k].use = u;
			resolve(s, i, &s->children[i].uses[u], &r[k]);
			k++;
		}
	*out = r;
	*n = total;
	return 0;
}
