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
 *
 * Nested inits (children with `init`) become <start>s of binary "init"
 * whose <config> holds their children, rendered the same way, one tab
 * deeper. Routes follow Genode's label stacking (INIT.md §4.1, §5): a
 * use by D of a server X, where A is the innermost init holding both,
 *   - on the way up, at D and at each init between D and A: a rule whose
 *     scoped label is D's path below that start plus the session label
 *     ("bash -> L"; "bash -> " when unlabeled), to <parent/> — and the
 *     service joins that init's <parent-provides>;
 *   - at A's child on the way (D itself, or the init holding D): the rule
 *     goes to <child name=Z/>, Z being X or the init under A holding X;
 *   - on the way down, each init between A and X announces the service
 *     (<provides>) and forwards it (<service name><policy label=FULL>
 *     <child name=NEXT/></policy></service>), FULL being the label as it
 *     arrives: D's path below A, " -> ", the session label.
 * So a server's policies see the label sigil check matched (route.c), and
 * an exact policy for an unlabeled use gets Genode's trailing " -> ".
 * A use of a service of the system's parent goes up all the way: rules to
 * <parent/> at the client and at every init holding it, the service in
 * their <parent-provides> and in the top one.
 */
#include "genode_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "banned.h"

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

/* A route rule of one <start>: service, scoped label selector (NULL: none),
 * and the target (a child's name, or the parent when NULL). */
struct rule {
	const char *service;
	char *label;
	const char *child;
	size_t pos;
};

/* A forwarded service of a nested init: requests for `service` arriving
 * with exactly `label` go to its child `child`. */
struct fwd {
	const char *service;
	char *label;
	const char *child;
	size_t pos;
};

/* What the routes put at each child (indexed like s->children). */
struct at {
	struct rule *rules;
	size_t nrules, caprules;
	struct fwd *fwds; /* init children */
	size_t nfwds, capfwds;
	const char **up; /* init children: services its children get from its parent */
	size_t nup, capup;
	const char **exact_unlabeled; /* servers: labels of unlabeled uses they serve */
	size_t nexact, capexact;
};

struct rctx {
	const struct sys_system *s;
	struct gtext t;
	struct sys_report *r;
	struct at *at;
	int bad, oom;
};

/* Appends one element of size sz to a growing array. */
static void *push(struct rctx *x, void **arr, size_t *n, size_t *cap, size_t sz)
{
	if (*n == *cap) {
		size_t nc = *cap ? *cap * 2 : 4;
		void *na = realloc(*arr, nc * sz);
		if (!na) {
			x->oom = 1;
			return NULL;
		}
		*arr = na;
		*cap = nc;
	}
	void *e = (char *)*arr + (*n)++ * sz;
	memset(e, 0, sz);
	return e;
}

static char *xstrdup(struct rctx *x, const char *a, const char *b)
{
	size_t la = strlen(a), lb = b ? strlen(b) : 0;
	char *p = malloc(la + lb + 1);
	if (!p) {
		x->oom = 1;
		return NULL;
	}
	memcpy(p, a, la);
	if (lb)
		memcpy(p + la, b, lb);
	p[la + lb] = 0;
	return p;
}

/* D's path below init `top` (SIZE_MAX: the system), as Genode writes the
 * label of D's session with session label L at that level ("a -> b -> L";
 * "a -> b -> " when L is empty). */
static char *stacked(struct rctx *x, size_t d, size_t top, const char *L)
{
	const char *name = x->s->children[d].name;
	unsigned skip = top == SIZE_MAX ? 0 : x->s->children[top].depth + 1;
	for (; skip > 0; skip--)
		name = strstr(name, " -> ") + 4;
	char *a = xstrdup(x, name, " -> ");
	char *b = a ? xstrdup(x, a, L) : NULL;
	free(a);
	return b;
}

static void add_rule(struct rctx *x, size_t at, const char *service, char *label, const char *child,
		     size_t pos)
{
	struct at *a = &x->at[at];
	struct rule *r = push(x, (void **)&a->rules, &a->nrules, &a->caprules, sizeof *r);
	if (!r) {
		free(label);
		return;
	}
	*r = (struct rule){service, label, child, pos};
}

static void add_str(struct rctx *x, const char ***arr, size_t *n, size_t *cap, const char *v)
{
	for (size_t i = 0; i < *n; i++)
		if (strcmp((*arr)[i], v) == 0)
			return;
	const char **e = push(x, (void **)arr, n, cap, sizeof *e);
	if (e)
		*e = v;
}

/* The plan of one routed use: rules up from the client to the innermost
 * init holding both, forwards down to the server (see the top comment). */
static void plan_use(struct rctx *x, size_t d, const struct sys_use *u, size_t srv)
{
	const struct sys_system *s = x->s;
	size_t a = s->children[d].parent, z = srv;
	if (srv == SYS_PARENT) { /* up to the top, each init passing it on */
		for (size_t y = d; y != SIZE_MAX; y = s->children[y].parent) {
			char *label = y != d ? stacked(x, d, y, u->label) : u->label[0] ? xstrdup(x, u->label, NULL) : NULL;
			add_rule(x, y, u->service, label, NULL, u->pos);
			if (s->children[y].parent != SIZE_MAX) {
				struct at *p = &x->at[s->children[y].parent];
				add_str(x, &p->up, &p->nup, &p->capup, u->service);
			}
		}
		return;
	}
	/* A: the innermost init holding both; z: its child on the way to srv */
	for (;;) {
		size_t k = srv;
		while (k != SIZE_MAX && s->children[k].parent != a)
			k = s->children[k].parent;
		if (k != SIZE_MAX || a == SIZE_MAX) {
			z = k;
			break;
		}
		a = s->children[a].parent;
	}
	if (z == SIZE_MAX)
		return; /* cannot happen: every child is below the system */
	for (size_t y = d;; y = s->children[y].parent) {
		char *label = NULL;
		if (y != d) {
			label = stacked(x, d, y, u->label);
		} else if (u->label[0]) {
			label = xstrdup(x, u->label, NULL);
		}
		if (s->children[y].parent == a) {
			add_rule(x, y, u->service, label, s->children[z].base, u->pos);
			break;
		}
		add_rule(x, y, u->service, label, NULL, u->pos);
		struct at *p = &x->at[s->children[y].parent];
		add_str(x, &p->up, &p->nup, &p->capup, u->service);
	}
	for (size_t k = z; k != srv;) {
		size_t next = srv;
		while (s->children[next].parent != k)
			next = s->children[next].parent;
		struct at *p = &x->at[k];
		struct fwd *f = push(x, (void **)&p->fwds, &p->nfwds, &p->capfwds, sizeof *f);
		if (f)
			*f = (struct fwd){u->service, stacked(x, d, a, u->label), s->children[next].base, u->pos};
		k = next;
	}
	if (!u->label[0]) {
		char label[SYS_LABEL_MAX * 4 + 8];
		sys_use_label(s, d, u, srv, label, sizeof label);
		char *l = xstrdup(x, label, NULL);
		struct at *p = &x->at[srv];
		const char **e = l ? push(x, (void **)&p->exact_unlabeled, &p->nexact, &p->capexact, sizeof *e) : NULL;
		if (e)
			*e = l;
		else
			free(l);
	}
}

static void plan_free(const struct sys_system *s, struct at *at)
{
	for (size_t i = 0; at && i < s->nchildren; i++) {
		for (size_t k = 0; k < at[i].nrules; k++)
			free(at[i].rules[k].label);
		for (size_t k = 0; k < at[i].nfwds; k++)
			free(at[i].fwds[k].label);
		for (size_t k = 0; k < at[i].nexact; k++)
			free((char *)at[i].exact_unlabeled[k]);
		free(at[i].rules);
		free(at[i].fwds);
		free(at[i].up);
		free(at[i].exact_unlabeled);
	}
	free(at);
}

/* Routes every use; a use no server or several take is warned about and
 * left out. */
static int plan(struct rctx *x)
{
	const struct sys_system *s = x->s;
	struct sys_providers p;
	x->at = calloc(s->nchildren + 1, sizeof *x->at);
	if (!x->at || sys_providers_init(s, &p) != 0)
		return DHALL_ENOMEM;
	for (size_t i = 0; i < s->nchildren; i++) {
		const struct sys_child *c = &s->children[i];
		for (size_t u = 0; u < c->nuses; u++) {
			struct sys_route m;
			size_t n = sys_match_use(s, &p, i, &c->uses[u], &m, 1, NULL);
			if (n == 1 && m.server != i) {
				plan_use(x, i, &c->uses[u], m.server);
				continue;
			}
			char label[SYS_LABEL_MAX * 4 + 8];
			sys_full_label(c->name, c->uses[u].label, label, sizeof label);
			sys_diag(x->r, SYS_WARNING, c->uses[u].pos, "run sigil check on the system",
				 "child '%s' uses \"%s\" (label \"%s\"): %s; the use is left out", c->name,
				 c->uses[u].service, label,
				 n == 0 ? "no server's policy matches" : n > 1 ? "several servers match" : "it serves itself");
		}
	}
	sys_providers_free(&p);
	return x->oom ? DHALL_ENOMEM : 0;
}

static void tabs(struct rctx *x, unsigned n)
{
	static const char t[] = "\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t";
	for (; n > 16; n -= 16)
		gt_put(&x->t, t, 16);
	gt_put(&x->t, t, n);
}

/* Writes ` name="value"`, escaped (without printf: it runs per attribute). */
static void attr(struct rctx *x, const char *name, const char *value, size_t pos)
{
	gt_puts(&x->t, " ");
	gt_puts(&x->t, name);
	gt_puts(&x->t, "=\"");
	if (gt_xml(&x->t, value)) {
		sys_diag(x->r, SYS_ERROR, pos, "remove control characters", "\"%.60s\": a control character XML cannot carry",
			 value);
		x->bad = 1;
	}
	gt_puts(&x->t, "\"");
}

static const char *const env_services[] = {"CPU", "LOG", "PD", "ROM"};

static void env_rule(struct rctx *x, const struct sys_child *c, const char *svc, int exact, unsigned ind)
{
	tabs(x, ind);
	if (!exact) {
		gt_printf(&x->t, "<service name=\"%s\"> <parent/> </service>\n", svc);
		return;
	}
	gt_printf(&x->t, "<service name=\"%s\"", svc);
	attr(x, "unscoped_label", strcmp(svc, "ROM") == 0 ? base_name(c->binary) : c->base, c->pos);
	gt_puts(&x->t, "> <parent/> </service>\n");
	if (strcmp(svc, "ROM") == 0) {
		tabs(x, ind);
		gt_puts(&x->t, "<service name=\"ROM\" label_last=\"ld.lib.so\"> <parent/> </service>\n");
	}
}

static int cmp_rule(const void *p, const void *q)
{
	const struct rule *a = p, *b = q;
	int c = strcmp(a->service, b->service);
	if (c)
		return c;
	if (!a->label != !b->label)
		return a->label ? -1 : 1; /* with a selector first */
	if (a->label && (c = strcmp(a->label, b->label)))
		return c;
	return cmp_str0(a->child, b->child);
}

static int cmp_fwd(const void *p, const void *q)
{
	const struct fwd *a = p, *b = q;
	int c = strcmp(a->service, b->service);
	return c ? c : (c = strcmp(a->label, b->label)) ? c : strcmp(a->child, b->child);
}

static int cmp_cstr(const void *p, const void *q)
{
	return strcmp(*(const char *const *)p, *(const char *const *)q);
}

/* <provides>: the child's own services, or a nested init's forwarded ones. */
static int render_provides(struct rctx *x, size_t i, unsigned ind)
{
	const struct sys_child *c = &x->s->children[i];
	const struct at *a = &x->at[i];
	size_t n = c->init ? a->nfwds : c->nprovides;
	if (!n)
		return 0;
	const char **names = calloc(n, sizeof *names);
	if (!names)
		return DHALL_ENOMEM;
	for (size_t j = 0; j < n; j++)
		names[j] = c->init ? a->fwds[j].service : c->provides[j].name;
	qsort(names, n, sizeof *names, cmp_cstr);
	tabs(x, ind);
	gt_puts(&x->t, "<provides>");
	for (size_t j = 0; j < n; j++) {
		if (j && strcmp(names[j], names[j - 1]) == 0)
			continue;
		gt_puts(&x->t, " <service");
		attr(x, "name", names[j], c->pos);
		gt_puts(&x->t, "/>");
	}
	gt_puts(&x->t, " </provides>\n");
	free(names);
	return 0;
}

static void render_route(struct rctx *x, size_t i, unsigned ind)
{
	const struct sys_child *c = &x->s->children[i];
	struct at *a = &x->at[i];
	if (a->nrules) /* qsort wants an array, even of none */
		qsort(a->rules, a->nrules, sizeof *a->rules, cmp_rule);
	int exact[4] = {0};
	for (size_t k = 0; k < a->nrules; k++)
		for (int e = 0; e < 4 && !c->init; e++)
			if (!a->rules[k].label && strcmp(a->rules[k].service, env_services[e]) == 0)
				exact[e] = 1;
	tabs(x, ind);
	gt_puts(&x->t, "<route>\n");
	for (int e = 0; e < 4; e++)
		if (exact[e])
			env_rule(x, c, env_services[e], 1, ind + 1);
	for (size_t k = 0; k < a->nrules; k++) {
		const struct rule *r = &a->rules[k];
		if (k && cmp_rule(&a->rules[k - 1], r) == 0)
			continue; /* the same rule twice */
		tabs(x, ind + 1);
		gt_puts(&x->t, "<service");
		attr(x, "name", r->service, r->pos);
		if (r->label)
			attr(x, "label", r->label, r->pos);
		if (r->child) {
			gt_puts(&x->t, "> <child");
			attr(x, "name", r->child, r->pos);
			gt_puts(&x->t, "/> </service>\n");
		} else {
			gt_puts(&x->t, "> <parent/> </service>\n");
		}
	}
	for (int e = 0; e < 4; e++)
		if (!exact[e])
			env_rule(x, c, env_services[e], 0, ind + 1);
	tabs(x, ind);
	gt_puts(&x->t, "</route>\n");
}

/* Whether exact policy label l is that of an unlabeled use server i serves. */
static int unlabeled_use(const struct at *a, const char *l)
{
	for (size_t k = 0; k < a->nexact; k++)
		if (strcmp(a->exact_unlabeled[k], l) == 0)
			return 1;
	return 0;
}

/* A server's <config>: the policies of all its services, deduplicated. */
static int render_policies(struct rctx *x, size_t i, unsigned ind)
{
	const struct sys_child *c = &x->s->children[i];
	size_t npol = 0, np = 0;
	for (size_t j = 0; j < c->nprovides; j++)
		npol += c->provides[j].npolicies;
	const struct sys_policy **pol = calloc(npol + 1, sizeof *pol);
	if (!pol)
		return DHALL_ENOMEM;
	for (size_t j = 0; j < c->nprovides; j++)
		for (size_t p = 0; p < c->provides[j].npolicies; p++) {
			const struct sys_policy *pp = &c->provides[j].policies[p];
			if (pp->label.exact || pp->label.prefix || pp->label.suffix)
				pol[np++] = pp;
		}
	qsort(pol, np, sizeof *pol, cmp_pol);
	if (np) {
		tabs(x, ind);
		gt_puts(&x->t, "<config>\n");
	}
	for (size_t p = 0; p < np; p++) {
		const struct sys_policy *pp = pol[p];
		if (p && cmp_pol(&pol[p - 1], &pol[p]) == 0)
			continue;
		tabs(x, ind + 1);
		gt_puts(&x->t, "<policy");
		if (pp->label.exact) {
			char buf[1024];
			int unl = !strstr(pp->label.exact, " -> ") || unlabeled_use(&x->at[i], pp->label.exact);
			snprintf(buf, sizeof buf, "%s%s", pp->label.exact, unl ? " -> " : "");
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
					 "child '%s': policy attribute \"%.60s\" cannot be an XML attribute", c->name,
					 kv[a]->key);
				x->bad = 1;
				continue;
			}
			attr(x, kv[a]->key, kv[a]->value, pp->pos);
		}
		gt_puts(&x->t, "/>\n");
	}
	if (np) {
		tabs(x, ind);
		gt_puts(&x->t, "</config>\n");
	}
	free(pol);
	return 0;
}

static int render_level(struct rctx *x, size_t owner, enum sys_gn_dialect d, unsigned ind);

/* A nested init's <config>: <parent-provides>, forwarded <service>s, its
 * children. */
static int render_nested(struct rctx *x, size_t i, enum sys_gn_dialect d, unsigned ind)
{
	struct at *a = &x->at[i];
	tabs(x, ind);
	gt_puts(&x->t, "<config>\n");
	for (int e = 0; e < 4; e++)
		add_str(x, &a->up, &a->nup, &a->capup, env_services[e]);
	qsort(a->up, a->nup, sizeof *a->up, cmp_cstr);
	tabs(x, ind + 1);
	gt_puts(&x->t, "<parent-provides>\n");
	for (size_t k = 0; k < a->nup; k++) {
		tabs(x, ind + 2);
		gt_puts(&x->t, "<service");
		attr(x, "name", a->up[k], x->s->children[i].pos);
		gt_puts(&x->t, "/>\n");
	}
	tabs(x, ind + 1);
	gt_puts(&x->t, "</parent-provides>\n");
	if (a->nfwds)
		qsort(a->fwds, a->nfwds, sizeof *a->fwds, cmp_fwd);
	for (size_t k = 0; k < a->nfwds; k++) {
		const struct fwd *f = &a->fwds[k];
		if (!k || strcmp(f->service, a->fwds[k - 1].service) != 0) {
			tabs(x, ind + 1);
			gt_puts(&x->t, "<service");
			attr(x, "name", f->service, f->pos);
			gt_puts(&x->t, ">\n");
		}
		if (!k || cmp_fwd(f, &a->fwds[k - 1]) != 0) {
			tabs(x, ind + 2);
			gt_puts(&x->t, "<policy");
			attr(x, "label", f->label, f->pos);
			gt_puts(&x->t, "> <child");
			attr(x, "name", f->child, f->pos);
			gt_puts(&x->t, "/> </policy>\n");
		}
		if (k + 1 == a->nfwds || strcmp(f->service, a->fwds[k + 1].service) != 0) {
			tabs(x, ind + 1);
			gt_puts(&x->t, "</service>\n");
		}
	}
	int rc = render_level(x, i, d, ind + 1);
	tabs(x, ind);
	gt_puts(&x->t, "</config>\n");
	return rc;
}

static int render_child(struct rctx *x, size_t i, enum sys_gn_dialect d, unsigned ind)
{
	const struct sys_child *c = &x->s->children[i];
	int rc;
	tabs(x, ind);
	gt_puts(&x->t, "<start");
	attr(x, "name", c->base, c->pos);
	gt_printf(&x->t, " caps=\"%llu\"", (unsigned long long)c->caps);
	if (d == SYS_GN_CURRENT)
		gt_printf(&x->t, " ram=\"%llu\"", (unsigned long long)c->ram);
	gt_puts(&x->t, ">\n");
	tabs(x, ind + 1);
	gt_puts(&x->t, "<binary");
	attr(x, "name", c->init ? "init" : c->binary && c->binary[0] ? base_name(c->binary) : c->base, c->pos);
	gt_puts(&x->t, "/>\n");
	if (d == SYS_GN_21_05) {
		tabs(x, ind + 1);
		gt_printf(&x->t, "<resource name=\"RAM\" quantum=\"%llu\"/>\n", (unsigned long long)c->ram);
	}
	if ((rc = render_provides(x, i, ind + 1)))
		return rc;
	render_route(x, i, ind + 1);
	rc = c->init ? render_nested(x, i, d, ind + 1) : render_policies(x, i, ind + 1);
	if (rc)
		return rc;
	tabs(x, ind);
	gt_puts(&x->t, "</start>\n");
	return 0;
}

static int cmp_child(const void *p, const void *q)
{
	const struct sys_child *const *a = p, *const *b = q;
	return strcmp((*a)->base, (*b)->base);
}

/* The <start>s of the children of init `owner` (SIZE_MAX: the system),
 * sorted by name. */
static int render_level(struct rctx *x, size_t owner, enum sys_gn_dialect d, unsigned ind)
{
	const struct sys_system *s = x->s;
	const struct sys_child **order = calloc(s->nchildren + 1, sizeof *order);
	size_t n = 0;
	int rc = 0;
	if (!order)
		return DHALL_ENOMEM;
	for (size_t i = 0; i < s->nchildren; i++)
		if (s->children[i].parent == owner)
			order[n++] = &s->children[i];
	qsort(order, n, sizeof *order, cmp_child);
	for (size_t k = 0; k < n && !rc; k++)
		rc = render_child(x, (size_t)(order[k] - s->children), d, ind);
	free(order);
	return rc;
}

int sys_genode_render(const struct sys_system *s, enum sys_gn_dialect d, char **out, size_t *len,
		      struct sys_report *r)
{
	struct rctx x = {.s = s, .r = r};
	int rc = plan(&x);
	if (rc)
		goto out;
	const char **pp = calloc(s->nparent + 5, sizeof *pp);
	size_t npp = 0, cap = s->nparent + 5;
	if (!pp) {
		rc = DHALL_ENOMEM;
		goto out;
	}
	for (int e = 0; e < 4; e++)
		add_str(&x, &pp, &npp, &cap, env_services[e]);
	for (size_t j = 0; j < s->nparent; j++)
		add_str(&x, &pp, &npp, &cap, s->parent[j].name);
	qsort(pp, npp, sizeof *pp, cmp_cstr);
	gt_puts(&x.t, "<config>\n\t<parent-provides>\n");
	for (size_t k = 0; k < npp; k++) {
		gt_puts(&x.t, "\t\t<service");
		attr(&x, "name", pp[k], s->pos);
		gt_puts(&x.t, "/>\n");
	}
	free(pp);
	gt_puts(&x.t, "\t</parent-provides>\n");
	if ((rc = render_level(&x, SIZE_MAX, d, 1)))
		goto out;
	gt_puts(&x.t, "</config>\n");
	if (x.oom) {
		rc = DHALL_ENOMEM;
		goto out;
	}
	if (x.bad) {
		rc = -1;
		goto out;
	}
	rc = gt_take(&x.t, out, len);
out:
	gt_free(&x.t);
	plan_free(s, x.at);
	return rc;
}
