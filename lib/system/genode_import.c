/*
 * genode_import.c — sys_genode_import: a Genode init config (the raw model
 * of sys.h) as a Sigil system (struct sys_system).
 *
 * The two models route differently: Genode's client-side rules pick a
 * server per request (first match, INIT.md §4.2); Sigil routes a use to
 * the one server whose policy matches the client's full label. The import
 * bridges them so that rendering the result back (genode.c) gives the same
 * starts, quotas and resolved routes:
 *   - children: one per <start>, sorted by name; binary (<binary name> or
 *     the start name), RAM quantum, caps, provided services;
 *   - uses: for each child, the requests its rules speak of are resolved
 *     the way init does (gn_resolve): a rule <service name=S label=L> asks
 *     for (S, L); label_prefix/label_suffix/label_last X for (S, X); a rule
 *     without selector for (S, "") (an unlabeled session, "C -> "); an
 *     <any-service> rule for every service some child provides. Each
 *     request that reaches a sibling becomes a use (S, L), sorted;
 *   - policies: a Genode server's <policy> nodes apply to all of its
 *     services; each becomes a policy of the services whose routed uses it
 *     matches (of every service it provides when it matches none)
 *     (label → exact; "C -> ", the unlabeled session of a client C, as
 *     "C", which is how Sigil writes it; label_prefix/_suffix as they are;
 *     label_last X → suffix " -> X"; the other attributes kept). For each
 *     use no policy of its server matches, an exact policy for the client's
 *     full label is added, so that Sigil's policy routing picks the server
 *     Genode's rules picked. Policies are sorted and deduplicated.
 * Nested inits (a <start> with an init <config>) become init children,
 * their starts children "INIT -> NAME", at any depth. A request is then
 * followed the way the inits route it: up through <parent/> targets (each
 * init puts its name in front of the label), across to a child, down
 * through a nested init's forwarded <service> (its best <policy>, else its
 * <default-policy>) to the child that serves it; the use is the
 * requester's, the server the one reached. Policies added for unmatched
 * uses carry the label as the server sees it (route.c), so the policy
 * routing of the model reaches the same server.
 * A request that leaves the system (<parent/> at the top), other than the
 * env sessions and unlabeled ROMs, uses a service of the system's parent
 * (sys_system.parent), whose policies name each such client exactly.
 * What the Sigil model cannot hold is listed in `notes` (warnings at the
 * node): label rewrites at targets, <default-policy>,
 * policies without selector, the top config's forwarded <service>s,
 * aliases. The system's budget is the top-level children's sums plus
 * sigil-init's own.
 */
#include "genode_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "banned.h"

struct req {
	const char *service, *label;
	size_t pos;
};

static int cmp_str(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "");
}

static int cmp_use(const void *x, const void *y)
{
	const struct sys_use *a = x, *b = y;
	int c = strcmp(a->service, b->service);
	return c ? c : strcmp(a->label, b->label);
}

static int cmp_policy(const void *x, const void *y)
{
	const struct sys_policy *a = x, *b = y;
	int c;
	if ((c = cmp_str(a->label.exact, b->label.exact)) || (c = cmp_str(a->label.prefix, b->label.prefix)) ||
	    (c = cmp_str(a->label.suffix, b->label.suffix)))
		return c;
	if (a->label.exact != b->label.exact && (!a->label.exact || !b->label.exact))
		return a->label.exact ? 1 : -1;
	if (a->label.prefix != b->label.prefix && (!a->label.prefix || !b->label.prefix))
		return a->label.prefix ? 1 : -1;
	if (a->label.suffix != b->label.suffix && (!a->label.suffix || !b->label.suffix))
		return a->label.suffix ? 1 : -1;
	for (size_t i = 0; i < a->nattrs && i < b->nattrs; i++)
		if ((c = strcmp(a->attrs[i].key, b->attrs[i].key)) || (c = strcmp(a->attrs[i].value, b->attrs[i].value)))
			return c;
	return a->nattrs < b->nattrs ? -1 : a->nattrs > b->nattrs;
}

static int cmp_kv(const void *x, const void *y)
{
	const struct sys_kv *a = x, *b = y;
	int c = strcmp(a->key, b->key);
	return c ? c : strcmp(a->value, b->value);
}

/* One <start> of the config tree, in depth-first order with each config's
 * starts sorted by name: the children of the imported system, 1:1. */
struct node {
	const struct sys_gn_config *c;
	size_t start;  /* index in c->starts */
	size_t parent; /* node of the nested init holding it, SIZE_MAX at the top */
	const char *name; /* full: "shell -> bash" */
};

struct ictx {
	struct dhall_arena *a;
	struct sys_report *notes;
	struct node *nodes;
	size_t nnodes, capnodes;
	size_t **server; /* server[n][u]: the node serving use u of node n */
	int oom;
};

static char *dup(struct ictx *x, const char *s, size_t n)
{
	char *d = dhall_arena_strdup(x->a, s, n);
	if (!d)
		x->oom = 1;
	return d;
}

static int is_env_service(const char *s)
{
	return strcmp(s, "PD") == 0 || strcmp(s, "CPU") == 0 || strcmp(s, "LOG") == 0 || strcmp(s, "RM") == 0;
}

/* A Genode server policy as a Sigil policy; 0 when it has no usable selector. */
static int convert_policy(struct ictx *x, const struct sys_gn_start *st, const struct sys_gn_policy *gp,
			  struct sys_policy *out)
{
	memset(out, 0, sizeof *out);
	out->pos = SIZE_MAX;
	if (gp->is_default) {
		sys_diag(x->notes, SYS_WARNING, gp->pos, NULL,
			 "start '%s': <default-policy> is not carried over (Sigil policies have no wildcards)",
			 st->name);
		return 0;
	}
	const struct sys_gn_sel *s = &gp->sel;
	if (s->unscoped || s->label) {
		const char *l = s->unscoped ? s->unscoped : s->label;
		size_t n = strlen(l);
		if (n >= 4 && memcmp(l + n - 4, " -> ", 4) == 0 && strstr(l, " -> ") == l + n - 4)
			n -= 4; /* "C -> " is the unlabeled session of C, which Sigil names "C";
				 * a longer "P -> " only when P is a client (import_policies) */
		out->label.exact = dup(x, l, n);
	}
	if (s->prefix)
		out->label.prefix = s->prefix;
	if (s->suffix)
		out->label.suffix = s->suffix;
	else if (s->last) {
		char buf[400];
		snprintf(buf, sizeof buf, " -> %s", s->last);
		out->label.suffix = dup(x, buf, strlen(buf));
	}
	if (!out->label.exact && !out->label.prefix && !out->label.suffix) {
		sys_diag(x->notes, SYS_WARNING, gp->pos, NULL,
			 "start '%s': a <policy> without label selector is not carried over (it never matches)",
			 st->name);
		return 0;
	}
	out->nattrs = gp->nattrs;
	out->attrs = gp->attrs;
	if (gp->nattrs) {
		out->attrs = dhall_arena_alloc(x->a, gp->nattrs * sizeof *out->attrs);
		if (!out->attrs) {
			x->oom = 1;
			return 0;
		}
		memcpy(out->attrs, gp->attrs, gp->nattrs * sizeof *out->attrs);
		qsort(out->attrs, gp->nattrs, sizeof *out->attrs, cmp_kv);
	}
	return 1;
}

/* The requests start i of config c speaks of in its rules (malloc'd, *n). */
static struct req *requests(struct ictx *x, const struct sys_gn_config *c, size_t i, size_t *n)
{
	size_t nr, nsvc = 0;
	const struct sys_gn_rule *rules = gn_rules(c, i, &nr);
	for (size_t s = 0; s < c->nstarts; s++)
		nsvc += c->starts[s].nprovides;
	struct req *rq = calloc(nr * (nsvc + 1) + 1, sizeof *rq);
	*n = 0;
	if (!rq) {
		x->oom = 1;
		return NULL;
	}
	const char *client = c->starts[i].name;
	for (size_t k = 0; k < nr; k++) {
		const struct sys_gn_rule *ru = &rules[k];
		if (ru->any) {
			for (size_t s = 0; s < c->nstarts; s++)
				for (size_t p = 0; p < c->starts[s].nprovides; p++)
					if (c->starts[s].provides[p].name)
						rq[(*n)++] = (struct req){c->starts[s].provides[p].name, "", ru->pos};
			continue;
		}
		const struct sys_gn_sel *s = &ru->sel;
		const char *l = s->label ? s->label : s->prefix ? s->prefix : s->suffix ? s->suffix : s->last;
		if (s->unscoped) {
			size_t cn = strlen(client);
			if (strncmp(s->unscoped, client, cn) != 0 || strncmp(s->unscoped + cn, " -> ", 4) != 0)
				continue; /* an env session's label, not a use */
			l = s->unscoped + cn + 4;
		}
		rq[(*n)++] = (struct req){ru->service, l ? l : "", ru->pos};
	}
	return rq;
}

/* Adds the starts of config c (sorted by name) and, depth first, those of
 * the nested inits among them. */
static void add_nodes(struct ictx *x, const struct sys_gn_config *c, size_t parent)
{
	size_t *order = calloc(c->nstarts + 1, sizeof *order);
	if (!order) {
		x->oom = 1;
		return;
	}
	for (size_t i = 0; i < c->nstarts; i++) { /* insertion sort: stable */
		size_t j = i;
		while (j > 0 && strcmp(c->starts[order[j - 1]].name, c->starts[i].name) > 0) {
			order[j] = order[j - 1];
			j--;
		}
		order[j] = i;
	}
	for (size_t k = 0; k < c->nstarts && !x->oom; k++) {
		const struct sys_gn_start *st = &c->starts[order[k]];
		if (x->nnodes == x->capnodes) {
			size_t nc = x->capnodes ? x->capnodes * 2 : 16;
			struct node *nn = realloc(x->nodes, nc * sizeof *nn);
			if (!nn) {
				x->oom = 1;
				break;
			}
			x->nodes = nn;
			x->capnodes = nc;
		}
		size_t me = x->nnodes++;
		const char *name = st->name;
		if (parent != SIZE_MAX) {
			char buf[1024];
			snprintf(buf, sizeof buf, "%s -> %s", x->nodes[parent].name, st->name);
			name = dup(x, buf, strlen(buf));
		}
		x->nodes[me] = (struct node){c, order[k], parent, name};
		if (st->sub)
			add_nodes(x, st->sub, me);
	}
	free(order);
}

static size_t node_of(const struct ictx *x, const struct sys_gn_config *c, size_t start)
{
	for (size_t n = 0; n < x->nnodes; n++)
		if (x->nodes[n].c == c && x->nodes[n].start == start)
			return n;
	return SIZE_MAX;
}

/* Whether a <policy>'s selectors accept label l (INIT.md §4.6), and how
 * strongly: 0 no; exact > prefix > suffix, longer beats shorter. */
static size_t policy_strength(const struct sys_gn_sel *s, const char *l)
{
	size_t n = strlen(l);
	if (!s->label && !s->prefix && !s->suffix && !s->last)
		return 0;
	if (s->label && strcmp(s->label, l) != 0)
		return 0;
	if (s->prefix && strncmp(s->prefix, l, strlen(s->prefix)) != 0)
		return 0;
	if (s->suffix && (strlen(s->suffix) > n || strcmp(l + n - strlen(s->suffix), s->suffix) != 0))
		return 0;
	if (s->last && strcmp(gn_last_element(l), s->last) != 0)
		return 0;
	if (s->label)
		return (size_t)3 << 24;
	if (s->prefix)
		return ((size_t)2 << 24) + strlen(s->prefix);
	return ((size_t)1 << 24) + (s->suffix ? strlen(s->suffix) : 0);
}

/* Init's forwarding (INIT.md §5): the node a request for `service`
 * arriving at nested init `owner` with label `full` goes to, by the best
 * policy of its <service> (else its <default-policy>); SIZE_MAX when
 * denied. Label rewrites at the target are noted, not followed. */
static size_t forward(struct ictx *x, size_t owner, const char *service, const char *full)
{
	const struct sys_gn_config *sub = x->nodes[owner].c->starts[x->nodes[owner].start].sub;
	const struct sys_gn_policy *best = NULL, *dflt = NULL;
	size_t best_strength = 0;
	for (size_t i = 0; i < sub->nservices; i++) {
		const struct sys_gn_service *sv = &sub->services[i];
		if (!sv->name || strcmp(sv->name, service) != 0)
			continue;
		for (size_t p = 0; p < sv->npolicies; p++) {
			const struct sys_gn_policy *gp = &sv->policies[p];
			size_t st = gp->is_default ? 0 : policy_strength(&gp->sel, full);
			if (gp->is_default && !dflt)
				dflt = gp;
			if (st > best_strength) {
				best = gp;
				best_strength = st;
			}
		}
	}
	if (!best)
		best = dflt;
	if (!best || !best->target.name)
		return SIZE_MAX;
	if (best->target.label)
		sys_diag(x->notes, SYS_WARNING, best->target.pos, NULL,
			 "'%s': the label rewrite to \"%s\" (service \"%s\") is not carried over",
			 x->nodes[owner].name, best->target.label, service);
	size_t k = gn_find_start(sub, best->target.name);
	return k == SIZE_MAX ? SIZE_MAX : node_of(x, sub, k);
}

/* Follows request (service, label) of node d the way the inits do: up
 * through <parent/> targets (each init puts its name in front), across to
 * a child, down through nested inits' forwarded services. Returns the
 * node serving it, or SIZE_MAX; *res is the last routing decision (its
 * kind GN_TO_PARENT at the top when the request leaves the system). */
static size_t follow(struct ictx *x, size_t d, const char *service, const char *label, struct gn_res *res)
{
	char full[1024];
	size_t n = d;
	snprintf(full, sizeof full, "%s -> %s", x->nodes[d].c->starts[x->nodes[d].start].name, label);
	for (;;) {
		const struct node *nd = &x->nodes[n];
		gn_resolve(nd->c, nd->start, service, full, res);
		if (res->kind == GN_DENIED)
			return SIZE_MAX;
		if (res->kind == GN_TO_PARENT) {
			if (nd->parent == SIZE_MAX)
				return SIZE_MAX;
			char up[sizeof full];
			const struct node *p = &x->nodes[nd->parent];
			if (snprintf(up, sizeof up, "%s -> %s", p->c->starts[p->start].name, full) >= (int)sizeof up)
				return SIZE_MAX; /* a label no init could carry */
			memcpy(full, up, sizeof full);
			n = nd->parent;
			continue;
		}
		break;
	}
	if (res->target && res->target->label)
		sys_diag(x->notes, SYS_WARNING, res->target->pos, NULL,
			 "start '%s': the label rewrite to \"%s\" (service \"%s\") is not carried over",
			 x->nodes[d].name, res->target->label, service);
	size_t m = node_of(x, x->nodes[n].c, res->server);
	while (m != SIZE_MAX && x->nodes[m].c->starts[x->nodes[m].start].sub)
		m = forward(x, m, service, full);
	return m;
}

static int import_child(struct ictx *x, size_t n, struct sys_child *ch)
{
	const struct node *nd = &x->nodes[n];
	const struct sys_gn_start *st = &nd->c->starts[nd->start];
	size_t nrq = 0;
	struct req *rq = NULL;
	memset(ch, 0, sizeof *ch);
	ch->name = nd->name;
	ch->binary = st->sub ? "" : st->binary;
	ch->init = st->sub != NULL;
	ch->ram = st->ram;
	ch->caps = st->caps;
	ch->restart = SYS_RESTART_ON_FAILURE;
	ch->pos = ch->ram_pos = ch->caps_pos = SIZE_MAX;
	ch->uplink.pos = SIZE_MAX;
	if (st->sub)
		return 0; /* a nested init's rules carry its children's requests */
	if (!(rq = requests(x, nd->c, nd->start, &nrq)))
		return DHALL_ENOMEM;
	ch->uses = dhall_arena_alloc(x->a, (nrq + 1) * sizeof *ch->uses);
	x->server[n] = calloc(nrq + 1, sizeof **x->server);
	if (!ch->uses || !x->server[n])
		goto oom;
	for (size_t k = 0; k < nrq; k++) {
		int seen = 0;
		for (size_t q = 0; q < k && !seen; q++)
			seen = strcmp(rq[q].service, rq[k].service) == 0 && strcmp(rq[q].label, rq[k].label) == 0;
		if (seen)
			continue;
		struct gn_res res;
		size_t srv = follow(x, n, rq[k].service, rq[k].label, &res);
		if (srv != SIZE_MAX && srv != n) {
			x->server[n][ch->nuses] = srv;
			ch->uses[ch->nuses++] = (struct sys_use){rq[k].service, rq[k].label, NULL, SIZE_MAX};
		} else if (srv == SIZE_MAX && res.kind == GN_TO_PARENT && !is_env_service(rq[k].service) &&
			   (strcmp(rq[k].service, "ROM") != 0 || rq[k].label[0])) {
			x->server[n][ch->nuses] = SYS_PARENT; /* a service of the system's parent */
			ch->uses[ch->nuses++] = (struct sys_use){rq[k].service, rq[k].label, NULL, SIZE_MAX};
		}
	}
	for (size_t i = 1; i < ch->nuses; i++) /* sorted, the servers alongside */
		for (size_t j = i; j > 0 && cmp_use(&ch->uses[j - 1], &ch->uses[j]) > 0; j--) {
			struct sys_use tu = ch->uses[j];
			size_t ts = x->server[n][j];
			ch->uses[j] = ch->uses[j - 1];
			x->server[n][j] = x->server[n][j - 1];
			ch->uses[j - 1] = tu;
			x->server[n][j - 1] = ts;
		}
	free(rq);
	return 0;
oom:
	free(rq);
	return DHALL_ENOMEM;
}

/* The policies of node i's services. A Genode server matches one list of
 * policies for all its services; Sigil routes by the policies of each
 * service, so a policy goes to the services whose routed uses it matches
 * (to all of them when it matches none: nothing tells which it is for);
 * each use routed to node i that none of its service's policies matches
 * adds an exact one (the label as the server sees it, route.c). */
static int import_policies(struct ictx *x, struct sys_system *s, size_t i)
{
	const struct sys_gn_start *st = &x->nodes[i].c->starts[x->nodes[i].start];
	struct sys_child *ch = &s->children[i];
	size_t nuses = 0, ng = 0;
	for (size_t k = 0; k < s->nchildren; k++)
		nuses += s->children[k].nuses;
	struct sys_policy *gp = dhall_arena_alloc(x->a, (st->npolicies + 1) * sizeof *gp);
	unsigned char *any = dhall_arena_alloc(x->a, st->npolicies + 1);
	if (!gp || !any)
		return DHALL_ENOMEM;
	for (size_t p = 0; p < st->npolicies && !st->sub; p++)
		if (convert_policy(x, st, &st->policies[p], &gp[ng]))
			ng++;
	if (x->oom)
		return DHALL_ENOMEM;
	if (ch->nprovides == 0) {
		if (ng)
			sys_diag(x->notes, SYS_WARNING, st->pos, NULL,
				 "start '%s' has policies but provides no service: they are not carried over", ch->name);
		return 0;
	}
	char label[1024];
	for (size_t k = 0; k < s->nchildren; k++)
		for (size_t u = 0; u < s->children[k].nuses; u++) {
			const struct sys_use *us = &s->children[k].uses[u];
			if (x->server[k][u] != i)
				continue;
			sys_use_label(s, k, us, i, label, sizeof label);
			size_t ll = strlen(label);
			for (size_t p = 0; p < ng; p++) {
				const char *e = gp[p].label.exact;
				/* "P -> ": the unlabeled session of a client at path P */
				if (!us->label[0] && e && strlen(e) == ll + 4 && memcmp(e, label, ll) == 0 &&
				    memcmp(e + ll, " -> ", 4) == 0 && !(gp[p].label.exact = dup(x, label, ll)))
					return DHALL_ENOMEM;
				any[p] |= gn_sigil_matches(&gp[p].label, label);
			}
		}
	for (size_t j = 0; j < ch->nprovides; j++) {
		const char *svc = ch->provides[j].name;
		struct sys_policy *pol = dhall_arena_alloc(x->a, (ng + nuses + 1) * sizeof *pol);
		size_t np = 0;
		if (!pol)
			return DHALL_ENOMEM;
		for (size_t p = 0; p < ng; p++) {
			int mine = !any[p];
			for (size_t k = 0; k < s->nchildren && !mine; k++)
				for (size_t u = 0; u < s->children[k].nuses && !mine; u++) {
					if (x->server[k][u] != i || strcmp(s->children[k].uses[u].service, svc) != 0)
						continue;
					sys_use_label(s, k, &s->children[k].uses[u], i, label, sizeof label);
					mine = gn_sigil_matches(&gp[p].label, label);
				}
			if (mine)
				pol[np++] = gp[p];
		}
		for (size_t k = 0; k < s->nchildren; k++)
			for (size_t u = 0; u < s->children[k].nuses; u++) {
				const struct sys_use *us = &s->children[k].uses[u];
				if (x->server[k][u] != i || strcmp(us->service, svc) != 0)
					continue;
				sys_use_label(s, k, us, i, label, sizeof label);
				int matched = 0;
				for (size_t p = 0; p < np && !matched; p++)
					matched = gn_sigil_matches(&pol[p].label, label);
				if (matched)
					continue;
				memset(&pol[np], 0, sizeof pol[np]);
				pol[np].pos = SIZE_MAX;
				if (!(pol[np++].label.exact = dup(x, label, strlen(label))))
					return DHALL_ENOMEM;
			}
		if (np)
			qsort(pol, np, sizeof *pol, cmp_policy);
		size_t w = 0;
		for (size_t p = 0; p < np; p++)
			if (w == 0 || cmp_policy(&pol[w - 1], &pol[p]) != 0)
				pol[w++] = pol[p];
		ch->provides[j].policies = pol;
		ch->provides[j].npolicies = w;
	}
	return 0;
}

static int cmp_service(const void *a, const void *b)
{
	return strcmp(((const struct sys_service *)a)->name, ((const struct sys_service *)b)->name);
}

/* The system's parent services: one per service some use leaves the
 * system for, with an exact policy per such use (its full label). */
static int import_parent(struct ictx *x, struct sys_system *s)
{
	/* a use some child's policy would also take cannot go to the parent
	 * in Sigil's routing (it would be ambiguous): left out, noted */
	struct sys_providers prov;
	if (sys_providers_init(s, &prov) != 0) /* s->parent is empty yet: children only */
		return DHALL_ENOMEM;
	for (size_t k = 0; k < s->nchildren; k++) {
		struct sys_child *ch = &s->children[k];
		size_t w = 0;
		for (size_t u = 0; u < ch->nuses; u++) {
			struct sys_route m;
			if (x->server[k][u] == SYS_PARENT && sys_match_use(s, &prov, k, &ch->uses[u], &m, 1, NULL)) {
				sys_diag(x->notes, SYS_WARNING, SIZE_MAX, NULL,
					 "start '%s': the route of \"%s\"%s%s%s to the parent is not carried over "
					 "('%s' has a policy that takes it too)",
					 ch->name, ch->uses[u].service, ch->uses[u].label[0] ? " (label \"" : "",
					 ch->uses[u].label, ch->uses[u].label[0] ? "\")" : "", s->children[m.server].name);
				continue;
			}
			x->server[k][w] = x->server[k][u];
			ch->uses[w++] = ch->uses[u];
		}
		ch->nuses = w;
	}
	sys_providers_free(&prov);
	size_t nuses = 0;
	for (size_t k = 0; k < s->nchildren; k++)
		nuses += s->children[k].nuses;
	s->parent = dhall_arena_alloc(x->a, (nuses + 1) * sizeof *s->parent);
	struct sys_policy *pol = dhall_arena_alloc(x->a, (nuses + 1) * sizeof *pol);
	if (!s->parent || !pol)
		return DHALL_ENOMEM;
	for (size_t k = 0; k < s->nchildren; k++) /* the services, sorted */
		for (size_t u = 0; u < s->children[k].nuses; u++) {
			const char *svc = s->children[k].uses[u].service;
			size_t j = 0;
			if (x->server[k][u] != SYS_PARENT)
				continue;
			while (j < s->nparent && strcmp(s->parent[j].name, svc) != 0)
				j++;
			if (j == s->nparent)
				s->parent[s->nparent++] = (struct sys_service){.name = svc, .pos = SIZE_MAX};
		}
	qsort(s->parent, s->nparent, sizeof *s->parent, cmp_service);
	size_t np = 0;
	for (size_t j = 0; j < s->nparent; j++) {
		struct sys_service *sv = &s->parent[j];
		sv->policies = pol + np;
		for (size_t k = 0; k < s->nchildren; k++)
			for (size_t u = 0; u < s->children[k].nuses; u++) {
				const struct sys_use *us = &s->children[k].uses[u];
				char label[1024];
				if (x->server[k][u] != SYS_PARENT || strcmp(us->service, sv->name) != 0)
					continue;
				sys_full_label(s->children[k].name, us->label, label, sizeof label);
				memset(&sv->policies[sv->npolicies], 0, sizeof *sv->policies);
				sv->policies[sv->npolicies].pos = SIZE_MAX;
				if (!(sv->policies[sv->npolicies++].label.exact = dup(x, label, strlen(label))))
					return DHALL_ENOMEM;
			}
		qsort(sv->policies, sv->npolicies, sizeof *sv->policies, cmp_policy);
		np += sv->npolicies;
	}
	return 0;
}

/* The provided services of node n's start, sorted, without duplicates. */
static int import_provides(struct ictx *x, size_t n, struct sys_child *ch)
{
	const struct sys_gn_start *st = &x->nodes[n].c->starts[x->nodes[n].start];
	ch->provides = dhall_arena_alloc(x->a, (st->nprovides + 1) * sizeof *ch->provides);
	if (!ch->provides)
		return DHALL_ENOMEM;
	if (st->sub)
		return 0; /* a nested init's services are its children's */
	for (size_t p = 0; p < st->nprovides; p++) {
		int dupl = 0;
		for (size_t q = 0; q < ch->nprovides; q++)
			dupl |= strcmp(ch->provides[q].name, st->provides[p].name) == 0;
		if (dupl)
			continue;
		size_t j = ch->nprovides++; /* sorted by name */
		while (j > 0 && strcmp(ch->provides[j - 1].name, st->provides[p].name) > 0) {
			ch->provides[j] = ch->provides[j - 1];
			j--;
		}
		memset(&ch->provides[j], 0, sizeof *ch->provides);
		ch->provides[j].pos = SIZE_MAX;
		ch->provides[j].name = st->provides[p].name;
	}
	return 0;
}

/* Notes for what a config holds that the model cannot: aliases, and the
 * top config's forwarded services (nested inits' are followed). */
static void note_config(struct ictx *x, const struct sys_gn_config *c, int top)
{
	for (size_t i = 0; top && i < c->nservices; i++)
		sys_diag(x->notes, SYS_WARNING, c->services[i].pos, NULL,
			 "init's forwarded service \"%s\" is not carried over",
			 c->services[i].name ? c->services[i].name : "");
	for (size_t i = 0; i < c->naliases; i++)
		sys_diag(x->notes, SYS_WARNING, c->aliases[i].pos, NULL,
			 "alias '%s' is not carried over (routes through it are)",
			 c->aliases[i].name ? c->aliases[i].name : "");
}

int sys_genode_import(struct dhall_arena *arena, const struct sys_gn_config *c, const char *name,
		      struct sys_system *out, struct sys_report *notes)
{
	struct ictx x = {.a = arena, .notes = notes};
	int rc = DHALL_ENOMEM;
	memset(out, 0, sizeof *out);
	add_nodes(&x, c, SIZE_MAX);
	if (x.oom)
		goto out;
	out->name = name;
	out->pos = out->ram_pos = out->caps_pos = SIZE_MAX;
	out->children = dhall_arena_alloc(arena, (x.nnodes + 1) * sizeof *out->children);
	x.server = calloc(x.nnodes + 1, sizeof *x.server);
	if (!out->children || !x.server)
		goto out;
	out->ram = SYS_INIT_RAM;
	out->caps = SYS_INIT_CAPS;
	for (size_t n = 0; n < x.nnodes; n++) { /* provides first: follow() looks at them */
		if ((rc = import_provides(&x, n, &out->children[n])))
			goto out;
	}
	for (size_t n = 0; n < x.nnodes; n++) {
		struct sys_child *ch = &out->children[n];
		struct sys_service *prov = ch->provides;
		size_t nprov = ch->nprovides;
		if ((rc = import_child(&x, n, ch)))
			goto out;
		ch->provides = prov;
		ch->nprovides = nprov;
		out->nchildren++;
		if (x.nodes[n].parent == SIZE_MAX) {
			out->ram += ch->ram;
			out->caps += ch->caps;
		}
	}
	rc = DHALL_ENOMEM;
	if (sys_nesting(out, notes) == DHALL_ENOMEM)
		goto out;
	for (size_t n = 0; n < x.nnodes; n++)
		if ((rc = import_policies(&x, out, n)))
			goto out;
	if ((rc = import_parent(&x, out)))
		goto out;
	note_config(&x, c, 1);
	for (size_t n = 0; n < x.nnodes; n++) {
		const struct sys_gn_start *st = &x.nodes[n].c->starts[x.nodes[n].start];
		if (st->sub)
			note_config(&x, st->sub, 0);
	}
	rc = x.oom ? DHALL_ENOMEM : 0;
out:
	for (size_t n = 0; x.server && n < x.nnodes; n++)
		free(x.server[n]);
	free(x.server);
	free(x.nodes);
	return rc;
}
