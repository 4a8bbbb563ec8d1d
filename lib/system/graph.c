/*
 * graph.c — sys_graph_dot: a system as a Graphviz digraph, for `sigil
 * graph`. Nodes are the children (name, RAM in MiB, caps, provided
 * services); an edge client → server per use, labelled with the service
 * and the session label, going to the server whose policy matches the
 * client's label as that server sees it (route.c's rule, sys_match_use). Problems are drawn, not
 * hidden: a use no server takes goes to a red "?" node, one several
 * servers take gets a red edge to each; a policy no use matches is a
 * dashed red note attached to its server. Services of the system's parent
 * hang off a "(parent)" node. Output is deterministic (model
 * order), every string quoted and escaped for DOT.
 */
#include "genode_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "banned.h"

static void dot_str(struct gtext *t, const char *s)
{
	gt_puts(t, "\"");
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			gt_printf(t, "\\%c", *p);
		else if (*p == '\n')
			gt_puts(t, "\\n");
		else if (*p < 0x20 || *p == 0x7f)
			gt_puts(t, " ");
		else
			gt_put(t, (const char *)p, 1);
	}
	gt_puts(t, "\"");
}



int sys_graph_dot(const struct sys_system *s, char **out, size_t *len)
{
	struct gtext t = {0};
	size_t npol = 0;
	for (size_t i = 0; i < s->nchildren; i++)
		for (size_t j = 0; j < s->children[i].nprovides; j++)
			npol += s->children[i].provides[j].npolicies;
	for (size_t j = 0; j < s->nparent; j++)
		npol += s->parent[j].npolicies;
	unsigned char *used = calloc(npol + 1, 1);
	if (!used)
		return DHALL_ENOMEM;
	gt_puts(&t, "digraph ");
	dot_str(&t, s->name ? s->name : "system");
	gt_puts(&t, " {\n\trankdir=LR;\n\tnode [shape=box, fontname=\"monospace\"];\n"
		    "\tedge [fontname=\"monospace\", fontsize=10];\n");
	for (size_t i = 0; i < s->nchildren; i++) {
		const struct sys_child *c = &s->children[i];
		char lab[1024];
		int n = snprintf(lab, sizeof lab, "%s\nRAM %.1f MiB, %llu caps", c->name,
				 (double)c->ram / (1024.0 * 1024.0), (unsigned long long)c->caps);
		for (size_t j = 0; j < c->nprovides && n > 0 && (size_t)n < sizeof lab; j++)
			n += snprintf(lab + n, sizeof lab - (size_t)n, "%s%s", j ? ", " : "\nprovides ",
				      c->provides[j].name);
		gt_puts(&t, "\t");
		dot_str(&t, c->name);
		gt_puts(&t, " [label=");
		dot_str(&t, lab);
		gt_puts(&t, "];\n");
	}
	if (s->nparent) {
		char lab[1024];
		int n = snprintf(lab, sizeof lab, "(parent)");
		for (size_t j = 0; j < s->nparent && n > 0 && (size_t)n < sizeof lab; j++)
			n += snprintf(lab + n, sizeof lab - (size_t)n, "%s%s", j ? ", " : "\nprovides ",
				      s->parent[j].name);
		gt_puts(&t, "\t\"(parent)\" [shape=house, label=");
		dot_str(&t, lab);
		gt_puts(&t, "];\n");
	}
	struct sys_providers prov;
	/* first policy index per child; [nchildren] is the parent's */
	size_t *first = calloc(s->nchildren + 2, sizeof *first);
	if (!first || sys_providers_init(s, &prov) != 0) {
		free(first);
		free(used);
		free(t.s);
		return DHALL_ENOMEM;
	}
	for (size_t i = 0, k = 0; i <= s->nchildren; i++) {
		first[i] = k;
		for (size_t j = 0; i < s->nchildren && j < s->children[i].nprovides; j++)
			k += s->children[i].provides[j].npolicies;
	}
	for (size_t i = 0; i < s->nchildren; i++) {
		const struct sys_child *c = &s->children[i];
		for (size_t u = 0; u < c->nuses; u++) {
			const struct sys_use *us = &c->uses[u];
			struct sys_route m[16];
			char elab[1200];
			snprintf(elab, sizeof elab, "%s%s%s%s", us->service, us->label[0] ? " \"" : "",
				 us->label, us->label[0] ? "\"" : "");
			size_t nsrv = sys_match_use(s, &prov, i, us, m, sizeof m / sizeof *m, NULL);
			for (size_t k = 0; k < nsrv && k < sizeof m / sizeof *m; k++) {
				int up = m[k].server == SYS_PARENT;
				const struct sys_service *svc = up ? s->parent : s->children[m[k].server].provides;
				size_t pol = first[up ? s->nchildren : m[k].server];
				for (size_t j = 0; j < m[k].service; j++)
					pol += svc[j].npolicies;
				used[pol + m[k].policy] = 1;
				gt_puts(&t, "\t");
				dot_str(&t, c->name);
				gt_puts(&t, " -> ");
				dot_str(&t, up ? "(parent)" : s->children[m[k].server].name);
				gt_puts(&t, " [label=");
				dot_str(&t, elab);
				gt_puts(&t, nsrv > 1 ? ", color=red, fontcolor=red];\n" : "];\n");
			}
			if (nsrv == 0) {
				char id[1200];
				snprintf(id, sizeof id, "?%s:%zu", c->name, u);
				gt_puts(&t, "\t");
				dot_str(&t, id);
				gt_puts(&t, " [label=\"?\", shape=circle, color=red, fontcolor=red];\n\t");
				dot_str(&t, c->name);
				gt_puts(&t, " -> ");
				dot_str(&t, id);
				gt_puts(&t, " [label=");
				dot_str(&t, elab);
				gt_puts(&t, ", color=red, fontcolor=red, style=bold];\n");
			}
		}
	}
	sys_providers_free(&prov);
	free(first);
	size_t base = 0;
	for (size_t i = 0; i <= s->nchildren; i++) {
		const char *owner = i < s->nchildren ? s->children[i].name : "(parent)";
		const struct sys_service *svc = i < s->nchildren ? s->children[i].provides : s->parent;
		size_t nsvc = i < s->nchildren ? s->children[i].nprovides : s->nparent;
		for (size_t j = 0; j < nsvc; j++)
			for (size_t p = 0; p < svc[j].npolicies; p++, base++) {
				if (used[base])
					continue;
				char id[300], sel[1024], lab[1200];
				snprintf(id, sizeof id, "policy:%s:%zu:%zu", owner, j, p);
				sys_label_text(&svc[j].policies[p].label, sel, sizeof sel);
				snprintf(lab, sizeof lab, "%s policy %s\nmatches no use", svc[j].name,
					 sel[0] ? sel : "(no selector)");
				gt_puts(&t, "\t");
				dot_str(&t, id);
				gt_puts(&t, " [shape=note, style=dashed, color=red, fontcolor=red, label=");
				dot_str(&t, lab);
				gt_puts(&t, "];\n\t");
				dot_str(&t, id);
				gt_puts(&t, " -> ");
				dot_str(&t, owner);
				gt_puts(&t, " [style=dashed, color=red, arrowhead=none];\n");
			}
	}
	gt_puts(&t, "}\n");
	free(used);
	return gt_take(&t, out, len);
}
