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
 *     services, so each becomes a policy of every service it provides
 *     (label → exact; "C -> ", the unlabeled session of a client C, as
 *     "C", which is how Sigil writes it; label_prefix/_suffix as they are;
 *     label_last X → suffix " -> X"; the other attributes kept). For each
 *     use no policy of its server matches, an exact policy for the client's
 *     full label is added, so that Sigil's policy routing picks the server
 *     Genode's rules picked. Policies are sorted and deduplicated.
 * What the Sigil model cannot hold is listed in `notes` (warnings at the
 * node): routes to the parent other than env sessions and unlabeled ROMs,
 * label rewrites at targets, <default-policy>, policies without selector,
 * forwarded <service>s, aliases, nested inits' children.
 * The system's budget is the children's sums plus sigil-init's own.
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

struct ictx {
	struct dhall_arena *a;
	const struct sys_gn_config *c;
	struct sys_report *notes;
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
		if (n >= 4 && strstr(l, " -> ") == l + n - 4)
			n -= 4; /* "C -> " is the unlabeled session of C, which Sigil names "C" */
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

/* The requests start i's rules speak of (malloc'd, *n of them). */
static struct req *requests(struct ictx *x, size_t i, size_t *n)
{
	const struct sys_gn_config *c = x->c;
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

static int import_child(struct ictx *x, size_t i, struct sys_child *ch)
{
	const struct sys_gn_config *c = x->c;
	const struct sys_gn_start *st = &c->starts[i];
	size_t nrq = 0;
	struct req *rq = requests(x, i, &nrq);
	if (!rq)
		return DHALL_ENOMEM;
	memset(ch, 0, sizeof *ch);
	ch->name = st->name;
	ch->binary = st->binary;
	ch->ram = st->ram;
	ch->caps = st->caps;
	ch->restart = SYS_RESTART_ON_FAILURE;
	ch->pos = ch->ram_pos = ch->caps_pos = SIZE_MAX;
	ch->uplink.pos = SIZE_MAX;
	ch->uses = dhall_arena_alloc(x->a, (nrq + 1) * sizeof *ch->uses);
	if (!ch->uses)
		goto oom;
	for (size_t k = 0; k < nrq; k++) {
		char full[1024];
		snprintf(full, sizeof full, "%s -> %s", st->name, rq[k].label);
		struct gn_res res;
		gn_resolve(c, i, rq[k].service, full, &res);
		int seen = 0;
		for (size_t u = 0; u < ch->nuses && !seen; u++)
			seen = strcmp(ch->uses[u].service, rq[k].service) == 0 &&
			       strcmp(ch->uses[u].label, rq[k].label) == 0;
		for (size_t q = 0; q < k && !seen; q++)
			seen = strcmp(rq[q].service, rq[k].service) == 0 && strcmp(rq[q].label, rq[k].label) == 0;
		if (seen)
			continue;
		if (res.kind == GN_TO_CHILD && res.server != i) {
			ch->uses[ch->nuses++] = (struct sys_use){rq[k].service, rq[k].label, NULL, SIZE_MAX};
			if (res.target && res.target->label)
				sys_diag(x->notes, SYS_WARNING, res.target->pos, NULL,
					 "start '%s': the label rewrite to \"%s\" (service \"%s\") is not carried over",
					 st->name, res.target->label, rq[k].service);
		} else if (res.kind == GN_TO_PARENT && !is_env_service(rq[k].service) &&
			   (strcmp(rq[k].service, "ROM") != 0 || rq[k].label[0])) {
			sys_diag(x->notes, SYS_WARNING, res.target ? res.target->pos : rq[k].pos, NULL,
				 "start '%s': the route of \"%s\"%s%s%s to the parent is not carried over "
				 "(the Sigil model has no parent services)",
				 st->name, rq[k].service, rq[k].label[0] ? " (label \"" : "", rq[k].label,
				 rq[k].label[0] ? "\")" : "");
		}
	}
	qsort(ch->uses, ch->nuses, sizeof *ch->uses, cmp_use);
	free(rq);
	if (st->sub)
		sys_diag(x->notes, SYS_WARNING, st->pos, NULL,
			 "start '%s' is a nested init: its own children are not carried over", st->name);
	return 0;
oom:
	free(rq);
	return DHALL_ENOMEM;
}

/* Server-wide policies of start i: its own, plus one per use routed to it
 * that none matches; then each provided service gets the list. */
static int import_policies(struct ictx *x, struct sys_system *s, size_t *order, size_t i)
{
	const struct sys_gn_start *st = &x->c->starts[order[i]];
	struct sys_child *ch = &s->children[i];
	size_t nuses = 0;
	for (size_t k = 0; k < s->nchildren; k++)
		nuses += s->children[k].nuses;
	struct sys_policy *pol = dhall_arena_alloc(x->a, (st->npolicies + nuses + 1) * sizeof *pol);
	if (!pol)
		return DHALL_ENOMEM;
	size_t np = 0;
	for (size_t p = 0; p < st->npolicies; p++)
		if (convert_policy(x, st, &st->policies[p], &pol[np]))
			np++;
	if (x->oom)
		return DHALL_ENOMEM;
	if (ch->nprovides == 0) {
		if (np)
			sys_diag(x->notes, SYS_WARNING, st->pos, NULL,
				 "start '%s' has policies but provides no service: they are not carried over", st->name);
		return 0;
	}
	for (size_t k = 0; k < s->nchildren; k++) {
		const struct sys_child *cl = &s->children[k];
		for (size_t u = 0; u < cl->nuses; u++) {
			struct gn_res res;
			char full[1024];
			snprintf(full, sizeof full, "%s -> %s", cl->name, cl->uses[u].label);
			gn_resolve(x->c, order[k], cl->uses[u].service, full, &res);
			if (res.kind != GN_TO_CHILD || res.server != order[i])
				continue;
			char label[1024];
			if (cl->uses[u].label[0])
				snprintf(label, sizeof label, "%s -> %s", cl->name, cl->uses[u].label);
			else
				snprintf(label, sizeof label, "%s", cl->name);
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
	}
	qsort(pol, np, sizeof *pol, cmp_policy);
	size_t w = 0;
	for (size_t p = 0; p < np; p++)
		if (w == 0 || cmp_policy(&pol[w - 1], &pol[p]) != 0)
			pol[w++] = pol[p];
	for (size_t j = 0; j < ch->nprovides; j++) {
		ch->provides[j].policies = pol;
		ch->provides[j].npolicies = w;
	}
	return 0;
}

int sys_genode_import(struct dhall_arena *arena, const struct sys_gn_config *c, const char *name,
		      struct sys_system *out, struct sys_report *notes)
{
	struct ictx x = {.a = arena, .c = c, .notes = notes};
	size_t *order = calloc(c->nstarts + 1, sizeof *order);
	int rc = DHALL_ENOMEM;
	memset(out, 0, sizeof *out);
	if (!order)
		goto out;
	/* sorted by name (insertion sort: stable, no comparator state) */
	for (size_t i = 0; i < c->nstarts; i++) {
		size_t j = i;
		while (j > 0 && strcmp(c->starts[order[j - 1]].name, c->starts[i].name) > 0) {
			order[j] = order[j - 1];
			j--;
		}
		order[j] = i;
	}
	out->name = name;
	out->pos = out->ram_pos = out->caps_pos = SIZE_MAX;
	out->children = dhall_arena_alloc(arena, (c->nstarts + 1) * sizeof *out->children);
	if (!out->children)
		goto out;
	out->ram = SYS_INIT_RAM;
	out->caps = SYS_INIT_CAPS;
	for (size_t i = 0; i < c->nstarts; i++) {
		const struct sys_gn_start *st = &c->starts[order[i]];
		struct sys_child *ch = &out->children[i];
		if ((rc = import_child(&x, order[i], ch)))
			goto out;
		out->nchildren++;
		out->ram += ch->ram;
		out->caps += ch->caps;
		ch->provides = dhall_arena_alloc(arena, (st->nprovides + 1) * sizeof *ch->provides);
		if (!ch->provides)
			goto oom;
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
	}
	for (size_t i = 0; i < c->nstarts; i++)
		if ((rc = import_policies(&x, out, order, i)))
			goto out;
	for (size_t i = 0; i < c->nservices; i++)
		sys_diag(notes, SYS_WARNING, c->services[i].pos, NULL,
			 "init's forwarded service \"%s\" is not carried over",
			 c->services[i].name ? c->services[i].name : "");
	for (size_t i = 0; i < c->naliases; i++)
		sys_diag(notes, SYS_WARNING, c->aliases[i].pos, NULL,
			 "alias '%s' is not carried over (routes through it are)",
			 c->aliases[i].name ? c->aliases[i].name : "");
	rc = x.oom ? DHALL_ENOMEM : 0;
	goto out;
oom:
	rc = DHALL_ENOMEM;
out:
	free(order);
	return rc;
}
