/*
 * genode_check.c — sys_genode_check: the checks of shared/genode/INIT.md §9
 * over a Genode init config (the raw model of sys.h), stricter than the
 * XSD. Every finding points at the node's line and says what to change.
 *
 * Checks, per config (a nested init's config too, and every step of a
 * test-init script; messages then name the step or the nesting start):
 *   names       <start>/<alias> names unique over both; an alias names a start
 *   targets     <child name> names a start or alias that provides the service
 *               of a <service> rule (and of a forwarded <service>'s policy);
 *               <parent/> of a <service> rule: the service is in
 *               <parent-provides>; <any-child/> of a <service> rule: exactly
 *               one child provides it (error when several, warning when none)
 *   any-child   an <any-service> rule's <any-child/> that a child's request
 *               for a service two children provide reaches (warning)
 *   env         every start's env sessions (PD, CPU, LOG with its name, ROM
 *               with its binary name, ROM "ld.lib.so" unless ld="no") are
 *               routed somewhere (§4.5, §6), else it is stuck forever (error);
 *               a PD/CPU rule with scoped selectors, or a ROM rule with
 *               label="ld.lib.so"/the binary's name, never matches an env
 *               session (warning)
 *   dead rules  a <service> rule after an <any-service> rule (no selector)
 *               whose targets always serve it, or after a <service> rule for
 *               the same service without selectors or with the same ones
 *   selectors   label with label_prefix on one rule; unscoped_label with
 *               scoped selectors (init warns and ignores them)
 *   resources   RAM below the env overhead (248 KiB) or none at all, caps
 *               below 34 (error: the child cannot start); in a nested init,
 *               children's quanta summing over what that init has (warning:
 *               later children are silently clamped)
 *   priorities  prio_levels a power of two; priority 0 or negative and
 *               within -(prio_levels-1) (warning: init clamps or ignores)
 *   affinity    <affinity> without <affinity-space> (warning)
 *   labels      a start's labels (its name, or name -> the label of a route
 *               rule), with the names of the inits holding it in front,
 *               over Genode's 160 characters (error)
 *   top level   a node init does not know: it stops applying the config
 */
#include "genode_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "banned.h"

#define ENV_RAM (248u << 10)  /* PD 192 + CPU 36 + LOG 8 + 2 x ROM 6 KiB (64-bit, 21.05) */
#define ENV_CAPS 34u          /* 28 env caps + 6 of init's per-child cost */
#define PRESERVE_RAM (320u << 10)
#define PRESERVE_CAPS 20u

struct cctx {
	const struct sys_gn_config *c;
	struct sys_report *r;
	char where[256]; /* "" or "step 3 (x): " / "in the config of 'init.1': " */
	const struct sys_gn_start *owner; /* the start of a nested init, NULL at top */
	char chain[512]; /* the names of the inits holding this config: "a -> b -> " */
};

#define FIND(cx, sev, pos, hint, fmt, ...) \
	sys_diag((cx)->r, (sev), (pos), (hint), "%s" fmt, (cx)->where, __VA_ARGS__)

static void check_names(struct cctx *x)
{
	const struct sys_gn_config *c = x->c;
	for (size_t i = 0; i < c->nstarts; i++) {
		const struct sys_gn_start *st = &c->starts[i];
		if (strlen(st->name) > SYS_NAME_MAX)
			FIND(x, SYS_ERROR, st->pos, "shorten the name", "start '%.40s…': a name of %zu characters, over %d",
			     st->name, strlen(st->name), SYS_NAME_MAX);
		for (size_t j = 0; j < i; j++)
			if (strcmp(c->starts[j].name, st->name) == 0) {
				FIND(x, SYS_ERROR, st->pos, "rename one of them",
				     "two <start> nodes are named '%s'", st->name);
				break;
			}
	}
	for (size_t i = 0; i < c->naliases; i++) {
		const struct sys_gn_alias *al = &c->aliases[i];
		if (!al->name || !al->child)
			continue;
		int dup = 0;
		for (size_t j = 0; j < c->nstarts; j++)
			dup |= strcmp(c->starts[j].name, al->name) == 0;
		for (size_t j = 0; j < i; j++)
			dup |= c->aliases[j].name && strcmp(c->aliases[j].name, al->name) == 0;
		if (dup)
			FIND(x, SYS_ERROR, al->pos, "rename the alias (starts and aliases share one namespace)",
			     "alias '%s' is already the name of a start or alias", al->name);
		int found = 0;
		for (size_t j = 0; j < c->nstarts; j++)
			found |= strcmp(c->starts[j].name, al->child) == 0;
		if (!found)
			FIND(x, SYS_ERROR, al->pos, "name an existing <start>",
			     "alias '%s' names child '%s', which no <start> defines", al->name, al->child);
	}
}

static size_t providers(const struct sys_gn_config *c, const char *service, char *names, size_t size)
{
	size_t n = 0;
	if (names)
		names[0] = 0;
	for (size_t i = 0; i < c->nstarts; i++)
		if (gn_provides(&c->starts[i], service)) {
			if (names) {
				size_t l = strlen(names);
				snprintf(names + l, size - l, "%s'%s'", l ? ", " : "", c->starts[i].name);
			}
			n++;
		}
	return n;
}

static int has_scoped(const struct sys_gn_sel *s)
{
	return s->label || s->prefix || s->suffix;
}

static int no_selector(const struct sys_gn_sel *s)
{
	return !has_scoped(s) && !s->last && !s->unscoped;
}

static int same_str(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static int same_sel(const struct sys_gn_sel *a, const struct sys_gn_sel *b)
{
	return same_str(a->label, b->label) && same_str(a->prefix, b->prefix) &&
	       same_str(a->suffix, b->suffix) && same_str(a->last, b->last) &&
	       same_str(a->unscoped, b->unscoped);
}

/* Whether some target of rule ru always serves `service`. */
static int always_serves(const struct sys_gn_config *c, const struct sys_gn_rule *ru, const char *service)
{
	for (size_t t = 0; t < ru->ntargets; t++) {
		const struct sys_gn_target *tg = &ru->targets[t];
		if (tg->kind == SYS_GN_PARENT && gn_parent_provides(c, service))
			return 1;
		if (tg->kind == SYS_GN_CHILD) {
			size_t s = gn_find_start(c, tg->name);
			if (s != SIZE_MAX && gn_provides(&c->starts[s], service))
				return 1;
		}
		if (tg->kind == SYS_GN_ANY_CHILD && providers(c, service, NULL, 0) == 1)
			return 1;
	}
	return 0;
}

/* The checks of one rule list (a start's <route> or <default-route>). */
static void check_rules(struct cctx *x, const struct sys_gn_rule *rules, size_t n, const char *whose,
			const struct sys_gn_start *st)
{
	const struct sys_gn_config *c = x->c;
	for (size_t k = 0; k < n; k++) {
		const struct sys_gn_rule *ru = &rules[k];
		const char *svc = ru->service;
		char what[200];
		snprintf(what, sizeof what, "%s, rule <%s%s%s%s>", whose, ru->any ? "any-service" : "service",
			 svc ? " name=\"" : "", svc ? svc : "", svc ? "\"" : "");
		if (ru->sel.label && ru->sel.prefix)
			FIND(x, SYS_WARNING, ru->pos, "keep one of them",
			     "%s: label together with label_prefix (legal, but usually a mistake)", what);
		if (ru->sel.unscoped && (has_scoped(&ru->sel) || ru->sel.last))
			FIND(x, SYS_WARNING, ru->pos, "drop the other selectors or unscoped_label",
			     "%s: unscoped_label together with other selectors: init ignores the others", what);
		if (svc && (strcmp(svc, "PD") == 0 || strcmp(svc, "CPU") == 0) && has_scoped(&ru->sel) &&
		    !ru->sel.last && !ru->sel.unscoped)
			FIND(x, SYS_WARNING, ru->pos, "use no selector (or unscoped_label) for env sessions",
			     "%s: a scoped selector never matches the %s env session (its label has no \" -> \")",
			     what, svc);
		if (svc && strcmp(svc, "ROM") == 0 && ru->sel.label && !ru->sel.last && !ru->sel.unscoped &&
		    (strcmp(ru->sel.label, "ld.lib.so") == 0 || (st && strcmp(ru->sel.label, st->binary) == 0)))
			FIND(x, SYS_WARNING, ru->pos, "use label_last=\"…\" (or unscoped_label) instead",
			     "%s: label=\"%s\" is scoped and never matches the env ROM session of that name",
			     what, ru->sel.label);
		/* dead rule */
		for (size_t i = 0; svc && i < k; i++) {
			const struct sys_gn_rule *e = &rules[i];
			int dead = 0;
			if (e->any && no_selector(&e->sel) && always_serves(c, e, svc))
				dead = 1;
			if (!e->any && e->service && strcmp(e->service, svc) == 0 &&
			    (no_selector(&e->sel) || same_sel(&e->sel, &ru->sel)))
				dead = 2;
			if (dead) {
				FIND(x, SYS_WARNING, ru->pos, "move it up, or remove it",
				     "%s is dead: an earlier <%s> rule already %s every such request", what,
				     e->any ? "any-service" : "service", dead == 1 ? "serves" : "decides");
				break;
			}
		}
		for (size_t t = 0; t < ru->ntargets; t++) {
			const struct sys_gn_target *tg = &ru->targets[t];
			if (tg->kind == SYS_GN_CHILD && tg->name) {
				size_t s = gn_find_start(c, tg->name);
				if (s == SIZE_MAX)
					FIND(x, SYS_ERROR, tg->pos, "name an existing <start> or <alias>",
					     "%s: <child name=\"%s\"> names no start or alias", what, tg->name);
				else if (svc && !gn_provides(&c->starts[s], svc))
					FIND(x, SYS_ERROR, tg->pos, "add the service to that start's <provides> or route elsewhere",
					     "%s: child '%s' does not provide \"%s\"", what, tg->name, svc);
			}
			if (tg->kind == SYS_GN_PARENT && svc && !gn_parent_provides(c, svc))
				FIND(x, SYS_ERROR, tg->pos, "add it to <parent-provides> or route elsewhere",
				     "%s: <parent/> target, but \"%s\" is not in <parent-provides>", what, svc);
			if (tg->kind == SYS_GN_ANY_CHILD && svc) {
				char names[512];
				size_t np = providers(c, svc, names, sizeof names);
				if (np > 1)
					FIND(x, SYS_ERROR, tg->pos, "name the server with <child name=\"…\"/>",
					     "%s: <any-child/> is ambiguous: %s all provide \"%s\"", what, names, svc);
				else if (np == 0)
					FIND(x, SYS_WARNING, tg->pos, "remove the target, or add a child that provides it",
					     "%s: <any-child/>, but no child provides \"%s\"", what, svc);
			}
			if (tg->kind == SYS_GN_LOCAL)
				FIND(x, SYS_WARNING, tg->pos, "route to <parent/> or a <child>",
				     "%s: <local/> works only inside sandbox-API embedders, not in init", what);
		}
	}
}

/* Per start: env sessions, any-service/any-child ambiguity. */
static void check_routing(struct cctx *x)
{
	const struct sys_gn_config *c = x->c;
	const struct sys_gn_rule **seen = calloc(c->nstarts * 4 + 1, sizeof *seen);
	const char **seen_svc = calloc(c->nstarts * 4 + 1, sizeof *seen_svc);
	size_t nseen = 0, seen_cap = c->nstarts * 4;
	for (size_t i = 0; i < c->nstarts; i++) {
		const struct sys_gn_start *st = &c->starts[i];
		struct {
			const char *svc, *label;
		} env[5] = {{"PD", st->name}, {"CPU", st->name}, {"LOG", st->name}, {"ROM", st->binary},
			    {"ROM", "ld.lib.so"}};
		char missing[512] = "";
		for (int e = 0; e < (st->ld ? 5 : 4); e++) {
			struct gn_res res;
			gn_resolve(c, i, env[e].svc, env[e].label, &res);
			if (res.kind != GN_DENIED)
				continue;
			size_t l = strlen(missing);
			snprintf(missing + l, sizeof missing - l, "%s%s \"%s\"", l ? ", " : "", env[e].svc,
				 env[e].label);
		}
		if (missing[0]) {
			char hint[300];
			snprintf(hint, sizeof hint,
				 "route them, e.g. <service name=\"…\"> <parent/> </service> with the service in "
				 "<parent-provides>%s",
				 st->has_route || c->has_default_route ? "" : " (it has no <route> and there is no <default-route>)");
			FIND(x, SYS_ERROR, st->pos, hint,
			     "start '%s': no route for its env session%s %s: it would be stuck", st->name,
			     strchr(missing, ',') ? "s" : "", missing);
		}
		/* any-service → any-child reached by a request two children could serve */
		for (size_t s = 0; s < c->nstarts; s++) {
			for (size_t p = 0; p < c->starts[s].nprovides; p++) {
				const char *svc = c->starts[s].provides[p].name;
				char names[512];
				if (!svc || providers(c, svc, names, sizeof names) < 2)
					continue;
				int first = 1; /* only at the first provider, once per service */
				for (size_t q = 0; q < s && first; q++)
					first = !gn_provides(&c->starts[q], svc);
				for (size_t q = 0; q < p && first; q++)
					first = !c->starts[s].provides[q].name || strcmp(c->starts[s].provides[q].name, svc) != 0;
				if (!first)
					continue;
				char full[300];
				snprintf(full, sizeof full, "%s -> ", st->name);
				struct gn_res res;
				gn_resolve(c, i, svc, full, &res);
				if (!res.ambiguous || !res.rule || !res.rule->any)
					continue;
				size_t k;
				for (k = 0; k < nseen; k++)
					if (seen[k] == res.rule && strcmp(seen_svc[k], svc) == 0)
						break;
				if (k < nseen || !seen)
					continue;
				if (nseen < seen_cap) {
					seen[nseen] = res.rule;
					seen_svc[nseen++] = svc;
				}
				int dflt = !st->has_route;
				FIND(x, SYS_WARNING, res.rule->pos,
				     "route the service with <service name=…> <child name=…/> before this rule",
				     "%s%s'%s': a request for \"%s\" reaches <any-child/> of an <any-service> "
				     "rule, which is ambiguous: %s all provide it%s",
				     dflt ? "<default-route>, used by " : "start ", dflt ? "e.g. " : "", st->name, svc,
				     names, res.kind == GN_DENIED ? " (denied)" : "");
			}
		}
	}
	free(seen);
	free(seen_svc);
}

static int pow2(long v)
{
	return v > 0 && (v & (v - 1)) == 0;
}

static void check_resources(struct cctx *x)
{
	const struct sys_gn_config *c = x->c;
	uint64_t ram = 0, caps = 0;
	for (size_t i = 0; i < c->nstarts; i++) {
		const struct sys_gn_start *st = &c->starts[i];
		if (!st->has_ram)
			FIND(x, SYS_ERROR, st->pos, "add <resource name=\"RAM\" quantum=\"…\"/>",
			     "start '%s' has no RAM quantum: init refuses it (\"no valid RAM quota defined\")",
			     st->name);
		else if (st->ram < ENV_RAM)
			FIND(x, SYS_ERROR, st->ram_pos, "raise the quantum to at least 248K (plus what the child needs)",
			     "start '%s': RAM quantum %llu is below the env sessions' overhead of %u bytes",
			     st->name, (unsigned long long)st->ram, ENV_RAM);
		if (st->caps < ENV_CAPS)
			FIND(x, SYS_ERROR, st->caps_pos,
			     "raise caps=\"…\" (or <default caps>) to at least 34 (plus what the child needs)",
			     "start '%s': %llu caps, below the env sessions' overhead of %u", st->name,
			     (unsigned long long)st->caps, ENV_CAPS);
		ram += st->ram;
		caps += st->caps;
		if (st->has_priority) {
			long levels = c->has_prio_levels && pow2(c->prio_levels) ? c->prio_levels : 1;
			if (st->priority > 0 || st->priority < -(levels - 1))
				FIND(x, SYS_WARNING, st->prio_pos,
				     levels > 1 ? "use a priority between 0 and -(prio_levels-1)"
						: "set prio_levels on <config>, or drop the priority",
				     "start '%s': priority %ld is out of range (0..%ld): init clamps it", st->name,
				     st->priority, -(levels - 1));
		}
		if (st->has_affinity && !c->has_affinity_space)
			FIND(x, SYS_WARNING, st->affinity_pos, "add <affinity-space width=… height=…/>",
			     "start '%s': <affinity> without <affinity-space>: the space is 1x1", st->name);
	}
	if (c->has_prio_levels && !pow2(c->prio_levels))
		FIND(x, SYS_WARNING, c->prio_pos, "use 1, 2, 4, 8, …",
		     "prio_levels=\"%ld\" is not a power of two: init disables priorities", c->prio_levels);
	if (x->owner && x->owner->has_ram) {
		uint64_t pres = c->has_preserve_ram ? c->preserve_ram : PRESERVE_RAM;
		uint64_t avail = x->owner->ram > ENV_RAM + pres ? x->owner->ram - ENV_RAM - pres : 0;
		if (ram > avail)
			FIND(x, SYS_WARNING, x->owner->ram_pos, "raise this init's RAM quantum or lower its children's",
			     "the children's RAM quanta (%llu bytes) exceed the %llu bytes this init has "
			     "(quantum minus env overhead and preserve): later children are silently clamped",
			     (unsigned long long)ram, (unsigned long long)avail);
	}
	if (x->owner && x->owner->has_caps) {
		uint64_t pres = c->has_preserve_caps ? c->preserve_caps : PRESERVE_CAPS;
		uint64_t avail = x->owner->caps > ENV_CAPS + pres ? x->owner->caps - ENV_CAPS - pres : 0;
		if (caps > avail)
			FIND(x, SYS_WARNING, x->owner->caps_pos, "raise this init's caps or lower its children's",
			     "the children's caps (%llu) exceed the %llu this init has: later children are "
			     "silently clamped",
			     (unsigned long long)caps, (unsigned long long)avail);
	}
}

static void check_forwarding(struct cctx *x)
{
	const struct sys_gn_config *c = x->c;
	for (size_t i = 0; i < c->nservices; i++) {
		const struct sys_gn_service *sv = &c->services[i];
		for (size_t p = 0; p < sv->npolicies; p++) {
			const struct sys_gn_policy *pol = &sv->policies[p];
			const char *n = pol->target.name;
			if (pol->sel.label && pol->sel.prefix)
				FIND(x, SYS_WARNING, pol->pos, "keep one of them",
				     "forwarded service \"%s\": a policy with label and label_prefix", sv->name ? sv->name : "");
			if (!n) {
				FIND(x, SYS_ERROR, pol->pos, "add <child name=\"…\"/> to the policy",
				     "forwarded service \"%s\": a policy without a <child> target", sv->name ? sv->name : "");
				continue;
			}
			size_t s = gn_find_start(c, n);
			if (s == SIZE_MAX)
				FIND(x, SYS_ERROR, pol->target.pos, "name an existing <start> or <alias>",
				     "forwarded service \"%s\": <child name=\"%s\"> names no start or alias",
				     sv->name ? sv->name : "", n);
			else if (sv->name && !gn_provides(&c->starts[s], sv->name))
				FIND(x, SYS_ERROR, pol->target.pos, "add the service to that start's <provides>",
				     "forwarded service \"%s\": child '%s' does not provide it", sv->name, n);
		}
	}
}

/* Genode caps labels at 160 characters and each init on the way up puts
 * its child's name in front (INIT.md §4.1, §12.5): a session of a nested
 * child that reaches the top carries every enclosing init's name. */
static void check_label_lengths(struct cctx *x)
{
	const struct sys_gn_config *c = x->c;
	size_t chain = strlen(x->chain);
	for (size_t i = 0; i < c->nstarts; i++) {
		const struct sys_gn_start *st = &c->starts[i];
		size_t nr, own = chain + strlen(st->name);
		const struct sys_gn_rule *rules = gn_rules(c, i, &nr);
		size_t worst = own;
		const char *what = NULL, *svc = NULL;
		for (size_t k = 0; k < nr; k++) {
			const char *l = rules[k].sel.label ? rules[k].sel.label : rules[k].sel.prefix;
			if (l && own + 4 + strlen(l) > worst) {
				worst = own + 4 + strlen(l);
				what = l;
				svc = rules[k].service;
			}
		}
		if (worst <= SYS_LABEL_MAX)
			continue;
		if (what)
			FIND(x, SYS_ERROR, st->pos, "shorten the names of the start, of the inits holding it, or the label",
			     "start '%s': its \"%s\" session \"%s%s -> %s\" is %zu characters with the names of the "
			     "inits holding it, over Genode's %d (it is cut, and routing fails in unrelated ways)",
			     st->name, svc ? svc : "any", x->chain, st->name, what, worst, SYS_LABEL_MAX);
		else
			FIND(x, SYS_ERROR, st->pos, "shorten the names of the start or of the inits holding it",
			     "start '%s': its label \"%s%s\" is %zu characters with the names of the inits holding "
			     "it, over Genode's %d",
			     st->name, x->chain, st->name, worst, SYS_LABEL_MAX);
	}
}

static void check_config(struct cctx *x)
{
	const struct sys_gn_config *c = x->c;
	for (size_t i = 0; i < c->nunknown; i++)
		FIND(x, SYS_ERROR, c->unknown[i].pos, "remove it, or move it where it belongs",
		     "unknown top-level node <%s>: init stops applying the config here", c->unknown[i].name);
	check_names(x);
	if (c->has_default_route)
		check_rules(x, c->default_route, c->ndefault_route, "<default-route>", NULL);
	for (size_t i = 0; i < c->nstarts; i++)
		if (c->starts[i].has_route) {
			char whose[128];
			snprintf(whose, sizeof whose, "start '%s'", c->starts[i].name);
			check_rules(x, c->starts[i].route, c->starts[i].nroute, whose, &c->starts[i]);
		}
	check_forwarding(x);
	check_routing(x);
	check_resources(x);
	check_label_lengths(x);
	for (size_t i = 0; i < c->nstarts; i++) {
		if (!c->starts[i].sub)
			continue;
		struct cctx sub = {.c = c->starts[i].sub, .r = x->r, .owner = &c->starts[i]};
		if (snprintf(sub.chain, sizeof sub.chain, "%s%s -> ", x->chain, c->starts[i].name) >=
		    (int)sizeof sub.chain)
			sub.chain[sizeof sub.chain - 1] = 0; /* already far over any label limit */
		if (snprintf(sub.where, sizeof sub.where, "%sin the config of '%s': ", x->where,
			     c->starts[i].name) >= (int)sizeof sub.where)
			sub.where[sizeof sub.where - 2] = ' '; /* truncated, still readable */
		check_config(&sub);
	}
}

size_t sys_genode_check(const struct sys_gn_file *f, struct sys_report *r)
{
	size_t before = r->errors;
	for (size_t i = 0; i < f->nconfigs; i++) {
		struct cctx x = {.c = f->configs[i], .r = r};
		if (f->configs[i]->step)
			snprintf(x.where, sizeof x.where, "%s: ", f->configs[i]->step);
		check_config(&x);
	}
	return r->errors - before;
}
