/*
 * genode.c — sys_genode_render: a Sigil system as a Genode init <config>
 * (shared/notes/sigil-original.md §3–4: routes are derived from the
 * servers' policies, written once).
 *
 * The output, for the 21.05 dialect (current: ram="N" on <start> instead
 * of the RAM <resource>):
 *   <config>
 *     <parent-provides> CPU LOG PD ROM </parent-provides>   (the env sessions)
 *     <start name caps>                                     (children sorted by name)
 *       <binary name>                                       (basename of the binary)
 *       <resource name="RAM" quantum/>
 *       <provides> <service name/>… </provides>             (sorted)
 *       <route>
 *         <service name="S" label="L"> <child name="SERVER"/> </service>  one per use,
 *         <service name="S"> <child name="SERVER"/> </service>            sorted; labeled
 *         <service name="CPU|LOG|PD|ROM"> <parent/> </service>            before unlabeled
 *       </route>
 *       <config> <policy label|label_prefix|label_suffix attrs…/>… </config>  (attrs sorted)
 *     </start>
 *   </config>
 * A use goes to the one server whose policy for its service matches the
 * client's full label (check.c's rule); a use with a session label gets a
 * rule with that (scoped) label, one without gets a rule without selector,
 * which INIT.md §4.2 matches for any label, so labeled rules of the same
 * service come first. Env sessions (PD, CPU, LOG labeled with the child's
 * name, ROM with its binary's name and "ld.lib.so") go to the parent by
 * rules without selector placed last; when the child has an unlabeled use
 * of one of those services, that env rule moves first and selects the env
 * session exactly (unscoped_label, label_last), so neither catches the other.
 * A server's policies are those of all its services, deduplicated: Genode
 * servers match one policy list for every service. Sigil writes a client's
 * unlabeled session as exact "C"; the server sees "C -> ", so an exact label
 * without " -> " is written with it.
 * A use that no server or several take is left out with a warning in r
 * (sigil check reports it as an error).
 */
#include "genode_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "banned.h"

static int cmp_child(const void *x, const void *y)
{
	const struct sys_child *const *a = x, *const *b = y;
	return strcmp((*a)->name, (*b)->name);
}

/* A routed use: the use and its server's name. */
struct ruse {
	const struct sys_use *u;
	const char *server;
};

static int cmp_ruse(const void *x, const void *y)
{
	const struct ruse *a = x, *b = y;
	int c = strcmp(a->u->service, b->u->service);
	if (c)
		return c;
	if (!a->u->label[0] != !b->u->label[0])
		return a->u->label[0] ? -1 : 1; /* labeled first */
	return strcmp(a->u->label, b->u->label);
}

static int cmp_str0(const char *a, const char *b)
{
	if (!a || !b)
		return (a != NULL) - (b != NULL);
	return strcmp(a, b);
}

static int cmp_pol(const void *x, const void *y)
{
	const struct sys_policy *const *pa = x, *const *pb = y;
	const struct sys_policy *a = *pa, *b = *pb;
	int c;
	if ((c = cmp_str0(a->label.exact, b->label.exact)) || (c = cmp_str0(a->label.prefix, b->label.prefix)) ||
	    (c = cmp_str0(a->label.suffix, b->label.suffix)))
		return c;
	for (size_t i = 0; i < a->nattrs && i < b->nattrs; i++)
		if ((c = strcmp(a->attrs[i].key, b->attrs[i].key)) || (c = strcmp(a->attrs[i].value, b->attrs[i].value)))
			return c;
	return a->nattrs < b->nattrs ? -1 : a->nattrs > b->nattrs;
}

static const char *base_name(const char *p)
{
	const char *s = strrchr(p, '/');
	return s && s[1] ? s + 1 : p;
}

static int xml_name_ok(const char *k)
{
	if (!((*k >= 'a' && *k <= 'z') || (*k >= 'A' && *k <= 'Z') || *k == '_'))
		return 0;
	for (const char *p = k; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		      *p == '_' || *p == '-' || *p == '.'))
			return 0;
	return strcmp(k, "label") && strcmp(k, "label_prefix") && strcmp(k, "label_suffix") &&
	       strcmp(k, "label_last") && strcmp(k, "unscoped_label");
}

struct rctx {
	const struct sys_system *s;
	struct gtext t;
	struct sys_report *r;
	int bad;
};

/* Writes ` name="value"`, escaped. */
static void attr(struct rctx *x, const char *name, const char *value, size_t pos)
{
	gt_printf(&x->t, " %s=\"", name);
	if (gt_xml(&x->t, value)) {
		sys_diag(x->r, SYS_ERROR, pos, "remove control characters", "\"%.60s\": a control character XML cannot carry",
			 value);
		x->bad = 1;
	}
	gt_puts(&x->t, "\"");
}

/* The one server of use u of child c: its name, or NULL (warned). */
static const char *server_of(struct rctx *x, const struct sys_child *c, const struct sys_use *u)
{
	const struct sys_system *s = x->s;
	char label[1024];
	if (u->label[0])
		snprintf(label, sizeof label, "%s -> %s", c->name, u->label);
	else
		snprintf(label, sizeof label, "%s", c->name);
	const char *found = NULL;
	size_t n = 0;
	for (size_t k = 0; k < s->nchildren; k++) {
		const struct sys_child *srv = &s->children[k];
		int match = 0;
		for (size_t j = 0; j < srv->nprovides && !match; j++) {
			if (strcmp(srv->provides[j].name, u->service) != 0)
				continue;
			for (size_t p = 0; p < srv->provides[j].npolicies && !match; p++)
				match = gn_sigil_matches(&srv->provides[j].policies[p].label, label);
		}
		if (match) {
			found = srv->name;
			n++;
		}
	}
	if (n != 1 || strcmp(found, c->name) == 0) {
		sys_diag(x->r, SYS_WARNING, u->pos, "run sigil check on the system",
			 "child '%s' uses \"%s\" (label \"%s\"): %s; the use is left out", c->name, u->service,
			 label, n == 0 ? "no server's policy matches" : n > 1 ? "several servers match" : "it serves itself");
		return NULL;
	}
	return found;
}

static const char *const env_services[] = {"CPU", "LOG", "PD", "ROM"};

static void env_rule(struct rctx *x, const struct sys_child *c, const char *svc, int exact)
{
	if (!exact) {
		gt_printf(&x->t, "\t\t\t<service name=\"%s\"> <parent/> </service>\n", svc);
		return;
	}
	gt_printf(&x->t, "\t\t\t<service name=\"%s\"", svc);
	attr(x, "unscoped_label", strcmp(svc, "ROM") == 0 ? base_name(c->binary) : c->name, c->pos);
	gt_puts(&x->t, "> <parent/> </service>\n");
	if (strcmp(svc, "ROM") == 0)
		gt_puts(&x->t, "\t\t\t<service name=\"ROM\" label_last=\"ld.lib.so\"> <parent/> </service>\n");
}

static int render_child(struct rctx *x, const struct sys_child *c, enum sys_gn_dialect d)
{
	struct ruse *ru = calloc(c->nuses + 1, sizeof *ru);
	size_t npol = 0, nr = 0;
	for (size_t j = 0; j < c->nprovides; j++)
		npol += c->provides[j].npolicies;
	const struct sys_policy **pol = calloc(npol + 1, sizeof *pol);
	if (!ru || !pol) {
		free(ru);
		free(pol);
		return DHALL_ENOMEM;
	}
	gt_puts(&x->t, "\t<start");
	attr(x, "name", c->name, c->pos);
	gt_printf(&x->t, " caps=\"%llu\"", (unsigned long long)c->caps);
	if (d == SYS_GN_CURRENT)
		gt_printf(&x->t, " ram=\"%llu\"", (unsigned long long)c->ram);
	gt_puts(&x->t, ">\n\t\t<binary");
	attr(x, "name", c->binary && c->binary[0] ? base_name(c->binary) : c->name, c->pos);
	gt_puts(&x->t, "/>\n");
	if (d == SYS_GN_21_05)
		gt_printf(&x->t, "\t\t<resource name=\"RAM\" quantum=\"%llu\"/>\n", (unsigned long long)c->ram);
	if (c->nprovides) {
		const char **names = calloc(c->nprovides, sizeof *names);
		if (!names) {
			free(ru);
			free(pol);
			return DHALL_ENOMEM;
		}
		for (size_t j = 0; j < c->nprovides; j++)
			names[j] = c->provides[j].name;
		for (size_t j = 1; j < c->nprovides; j++) /* insertion sort, few entries */
			for (size_t k = j; k > 0 && strcmp(names[k - 1], names[k]) > 0; k--) {
				const char *t = names[k];
				names[k] = names[k - 1];
				names[k - 1] = t;
			}
		gt_puts(&x->t, "\t\t<provides>");
		for (size_t j = 0; j < c->nprovides; j++) {
			if (j && strcmp(names[j], names[j - 1]) == 0)
				continue;
			gt_puts(&x->t, " <service");
			attr(x, "name", names[j], c->provides[j].pos);
			gt_puts(&x->t, "/>");
		}
		gt_puts(&x->t, " </provides>\n");
		free(names);
	}
	for (size_t u = 0; u < c->nuses; u++) {
		const char *srv = server_of(x, c, &c->uses[u]);
		if (srv)
			ru[nr++] = (struct ruse){&c->uses[u], srv};
	}
	qsort(ru, nr, sizeof *ru, cmp_ruse);
	int exact[4] = {0};
	for (size_t k = 0; k < nr; k++)
		for (int e = 0; e < 4; e++)
			if (!ru[k].u->label[0] && strcmp(ru[k].u->service, env_services[e]) == 0)
				exact[e] = 1;
	gt_puts(&x->t, "\t\t<route>\n");
	for (int e = 0; e < 4; e++)
		if (exact[e])
			env_rule(x, c, env_services[e], 1);
	for (size_t k = 0; k < nr; k++) {
		if (k && strcmp(ru[k].u->service, ru[k - 1].u->service) == 0 &&
		    strcmp(ru[k].u->label, ru[k - 1].u->label) == 0)
			continue; /* the same use twice */
		gt_puts(&x->t, "\t\t\t<service");
		attr(x, "name", ru[k].u->service, ru[k].u->pos);
		if (ru[k].u->label[0])
			attr(x, "label", ru[k].u->label, ru[k].u->pos);
		gt_puts(&x->t, "> <child");
		attr(x, "name", ru[k].server, ru[k].u->pos);
		gt_puts(&x->t, "/> </service>\n");
	}
	for (int e = 0; e < 4; e++)
		if (!exact[e])
			env_rule(x, c, env_services[e], 0);
	gt_puts(&x->t, "\t\t</route>\n");
	size_t np = 0;
	for (size_t j = 0; j < c->nprovides; j++)
		for (size_t p = 0; p < c->provides[j].npolicies; p++) {
			const struct sys_policy *pp = &c->provides[j].policies[p];
			if (pp->label.exact || pp->label.prefix || pp->label.suffix)
				pol[np++] = pp;
		}
	qsort(pol, np, sizeof *pol, cmp_pol);
	if (np) {
		gt_puts(&x->t, "\t\t<config>\n");
		for (size_t p = 0; p < np; p++) {
			const struct sys_policy *pp = pol[p];
			if (p && cmp_pol(&pol[p - 1], &pol[p]) == 0)
				continue;
			gt_puts(&x->t, "\t\t\t<policy");
			if (pp->label.exact) {
				char buf[1024];
				int sep = strstr(pp->label.exact, " -> ") != NULL;
				snprintf(buf, sizeof buf, "%s%s", pp->label.exact, sep ? "" : " -> ");
				attr(x, "label", buf, pp->pos);
			}
			if (pp->label.prefix)
				attr(x, "label_prefix", pp->label.prefix, pp->pos);
			if (pp->label.suffix)
				attr(x, "label_suffix", pp->label.suffix, pp->pos);
			const struct sys_kv *kv[64]; /* sorted by key (the first 64) */
			size_t nkv = pp->nattrs < 64 ? pp->nattrs : 64;
			if (pp->nattrs > 64) {
				sys_diag(x->r, SYS_ERROR, pp->pos, "split the policy", "child '%s': a policy with over 64 attributes",
					 c->name);
				x->bad = 1;
			}
			for (size_t a = 0; a < nkv; a++) {
				size_t k = a;
				for (; k > 0 && strcmp(kv[k - 1]->key, pp->attrs[a].key) > 0; k--)
					kv[k] = kv[k - 1];
				kv[k] = &pp->attrs[a];
			}
			for (size_t a = 0; a < nkv; a++) {
				if (!xml_name_ok(kv[a]->key)) {
					sys_diag(x->r, SYS_ERROR, pp->pos, "use letters, digits, '_', '-' and '.' (not a selector's name)",
						 "child '%s': policy attribute \"%.60s\" cannot be an XML attribute",
						 c->name, kv[a]->key);
					x->bad = 1;
					continue;
				}
				attr(x, kv[a]->key, kv[a]->value, pp->pos);
			}
			gt_puts(&x->t, "/>\n");
		}
		gt_puts(&x->t, "\t\t</config>\n");
	}
	gt_puts(&x->t, "\t</start>\n");
	free(ru);
	free(pol);
	return 0;
}

int sys_genode_render(const struct sys_system *s, enum sys_gn_dialect d, char **out, size_t *len,
		      struct sys_report *r)
{
	struct rctx x = {.s = s, .r = r};
	const struct sys_child **order = calloc(s->nchildren + 1, sizeof *order);
	int rc = DHALL_ENOMEM;
	if (!order)
		goto out;
	for (size_t i = 0; i < s->nchildren; i++)
		order[i] = &s->children[i];
	qsort(order, s->nchildren, sizeof *order, cmp_child);
	gt_puts(&x.t, "<config>\n\t<parent-provides>\n");
	for (int e = 0; e < 4; e++)
		gt_printf(&x.t, "\t\t<service name=\"%s\"/>\n", env_services[e]);
	gt_puts(&x.t, "\t</parent-provides>\n");
	for (size_t i = 0; i < s->nchildren; i++)
		if ((rc = render_child(&x, order[i], d)))
			goto out;
	gt_puts(&x.t, "</config>\n");
	if (x.bad) {
		rc = -1;
		goto out;
	}
	rc = gt_take(&x.t, out, len);
out:
	gt_free(&x.t);
	free(order);
	return rc;
}
