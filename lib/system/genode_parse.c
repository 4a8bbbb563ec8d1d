/*
 * genode_parse.c — reads the XML of a Genode init <config> (libxml2) into
 * the raw Genode model of sys.h (struct sys_gn_config): every top-level
 * node init knows (INIT.md §2), each <start> (§3) with its route rules
 * (§4), and of each start's <config> the <policy>/<default-policy> nodes a
 * server matches labels with (§4.6). A nested init (a start running the
 * binary "init" whose <config> holds init nodes) is read recursively, up
 * to SYS_GN_MAX_NESTING levels, so its config is checked too.
 *
 * A test-init script (a <config> of <init_config> steps, as in
 * shared/genode/configs/07-*) gives one config per step.
 *
 * Input safety: at most SYS_GN_MAX_INPUT bytes; a document type
 * declaration (and with it every entity definition) is refused before
 * libxml2 sees the text; libxml2 runs with XML_PARSE_NONET, without entity
 * substitution or DTD loading, and silently (its errors are taken from the
 * parser context into the report, never printed). No global state: each
 * call has its own parser context.
 *
 * Positions: libxml2 gives each node its line (xmlGetLineNo, with
 * XML_PARSE_BIG_LINES past 65535); a position is the byte offset of that
 * line's start, from a line table built once per call.
 */
#include "genode_int.h"

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "banned.h"

struct pctx {
	struct dhall_arena *a;
	struct sys_report *r;
	size_t *lines; /* offset of each line's start */
	size_t nlines;
	int oom;
};

static size_t pos_of(const struct pctx *p, xmlNodePtr n)
{
	long l = n ? xmlGetLineNo(n) : -1;
	if (l < 1 || (size_t)l > p->nlines)
		return SIZE_MAX;
	return p->lines[l - 1];
}

static int is(xmlNodePtr n, const char *name)
{
	return n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, name) == 0;
}

static size_t count_elems(xmlNodePtr n, const char *name)
{
	size_t k = 0;
	for (xmlNodePtr c = n->children; c; c = c->next)
		if (c->type == XML_ELEMENT_NODE && (!name || is(c, name)))
			k++;
	return k;
}

/* The attribute `name` of n copied into the arena, NULL when absent. */
static const char *get(struct pctx *p, xmlNodePtr n, const char *name)
{
	xmlChar *v = xmlGetNoNsProp(n, (const xmlChar *)name);
	if (!v)
		return NULL;
	const char *s = dhall_arena_strdup(p->a, (const char *)v, strlen((const char *)v));
	xmlFree(v);
	if (!s)
		p->oom = 1;
	return s;
}

static void *alloc(struct pctx *p, size_t n, size_t size)
{
	void *v = dhall_arena_alloc(p->a, (n + 1) * size);
	if (!v)
		p->oom = 1;
	else
		memset(v, 0, (n + 1) * size);
	return v;
}

/* Genode's Number_of_bytes: decimal with an optional K, M or G suffix. */
static int parse_bytes(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	const char *q = s;
	if (*q < '0' || *q > '9')
		return -1;
	for (; *q >= '0' && *q <= '9'; q++) {
		if (v > (UINT64_MAX - 9) / 10)
			return -1;
		v = v * 10 + (uint64_t)(*q - '0');
	}
	unsigned shift = *q == 'K' ? 10 : *q == 'M' ? 20 : *q == 'G' ? 30 : 0;
	if (shift) {
		if (v > (UINT64_MAX >> shift))
			return -1;
		v <<= shift;
		q++;
	}
	if (*q)
		return -1;
	*out = v;
	return 0;
}

static int parse_long(const char *s, long *out)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (!*s || *end || errno)
		return -1;
	*out = v;
	return 0;
}

static int parse_bool(const char *s, int *out)
{
	if (strcmp(s, "yes") == 0 || strcmp(s, "true") == 0)
		*out = 1;
	else if (strcmp(s, "no") == 0 || strcmp(s, "false") == 0)
		*out = 0;
	else
		return -1;
	return 0;
}

static void get_bytes(struct pctx *p, xmlNodePtr n, const char *attr, uint64_t *out, int *has)
{
	const char *v = get(p, n, attr);
	if (!v)
		return;
	if (parse_bytes(v, out))
		sys_diag(p->r, SYS_ERROR, pos_of(p, n), "write a decimal number, optionally with K, M or G",
			 "<%s %s=\"%s\">: not a number of bytes", (const char *)n->name, attr, v);
	else if (has)
		*has = 1;
}

static void get_sel(struct pctx *p, xmlNodePtr n, struct sys_gn_sel *s)
{
	s->label = get(p, n, "label");
	s->prefix = get(p, n, "label_prefix");
	s->suffix = get(p, n, "label_suffix");
	s->last = get(p, n, "label_last");
	s->unscoped = get(p, n, "unscoped_label");
}

static int parse_target(struct pctx *p, xmlNodePtr n, struct sys_gn_target *t)
{
	t->pos = pos_of(p, n);
	if (is(n, "parent"))
		t->kind = SYS_GN_PARENT;
	else if (is(n, "child"))
		t->kind = SYS_GN_CHILD;
	else if (is(n, "any-child"))
		t->kind = SYS_GN_ANY_CHILD;
	else if (is(n, "local"))
		t->kind = SYS_GN_LOCAL;
	else
		return sys_diag(p->r, SYS_ERROR, t->pos, "use <parent/>, <child name=…/> or <any-child/>",
				"unknown route target <%s>", (const char *)n->name);
	t->name = get(p, n, "name");
	t->label = get(p, n, "label");
	if (t->kind == SYS_GN_CHILD && !t->name)
		sys_diag(p->r, SYS_ERROR, t->pos, "add name=\"…\" naming a <start>", "<child> target without a name");
	return 0;
}

/* The rules of a <route> or <default-route> node. */
static void parse_rules(struct pctx *p, xmlNodePtr n, struct sys_gn_rule **out, size_t *nout)
{
	size_t k = count_elems(n, NULL);
	struct sys_gn_rule *rules = alloc(p, k, sizeof *rules);
	*out = rules;
	*nout = 0;
	if (!rules)
		return;
	for (xmlNodePtr c = n->children; c; c = c->next) {
		if (c->type != XML_ELEMENT_NODE)
			continue;
		struct sys_gn_rule *ru = &rules[*nout];
		ru->pos = pos_of(p, c);
		if (is(c, "any-service")) {
			ru->any = 1;
		} else if (is(c, "service")) {
			ru->service = get(p, c, "name");
			if (!ru->service) {
				sys_diag(p->r, SYS_ERROR, ru->pos, "add name=\"…\"", "route rule <service> without a name");
				continue;
			}
		} else {
			sys_diag(p->r, SYS_ERROR, ru->pos, "use <service name=…> or <any-service>",
				 "unknown route rule <%s>", (const char *)c->name);
			continue;
		}
		get_sel(p, c, &ru->sel);
		ru->targets = alloc(p, count_elems(c, NULL), sizeof *ru->targets);
		if (!ru->targets)
			return;
		for (xmlNodePtr t = c->children; t; t = t->next)
			if (t->type == XML_ELEMENT_NODE && parse_target(p, t, &ru->targets[ru->ntargets]) == 0)
				ru->ntargets++;
		(*nout)++;
	}
}

static int is_selector(const char *name)
{
	static const char *const sel[] = {"label", "label_prefix", "label_suffix", "label_last",
					  "unscoped_label", NULL};
	for (int i = 0; sel[i]; i++)
		if (strcmp(name, sel[i]) == 0)
			return 1;
	return 0;
}

/* A <policy> or <default-policy>; `forward`: of init's own <service>. */
static void parse_policy(struct pctx *p, xmlNodePtr n, struct sys_gn_policy *pol, int forward)
{
	pol->pos = pos_of(p, n);
	pol->is_default = is(n, "default-policy");
	get_sel(p, n, &pol->sel);
	size_t na = 0;
	for (xmlAttrPtr at = n->properties; at; at = at->next)
		na++;
	pol->attrs = alloc(p, na, sizeof *pol->attrs);
	if (!pol->attrs)
		return;
	for (xmlAttrPtr at = n->properties; at; at = at->next) {
		const char *key = (const char *)at->name;
		if (is_selector(key))
			continue;
		xmlChar *v = xmlNodeListGetString(n->doc, at->children, 1);
		const char *val = dhall_arena_strdup(p->a, v ? (const char *)v : "", v ? strlen((const char *)v) : 0);
		const char *k = dhall_arena_strdup(p->a, key, strlen(key));
		xmlFree(v);
		if (!val || !k) {
			p->oom = 1;
			return;
		}
		pol->attrs[pol->nattrs].key = k;
		pol->attrs[pol->nattrs++].value = val;
	}
	if (!forward)
		return;
	pol->target.kind = SYS_GN_CHILD;
	pol->target.pos = pol->pos;
	for (xmlNodePtr c = n->children; c; c = c->next)
		if (c->type == XML_ELEMENT_NODE)
			parse_target(p, c, &pol->target);
}

static struct sys_gn_config *parse_config(struct pctx *p, xmlNodePtr n, unsigned depth);

static int looks_like_init(xmlNodePtr cfg)
{
	for (xmlNodePtr c = cfg->children; c; c = c->next)
		if (is(c, "start") || is(c, "parent-provides") || is(c, "default-route"))
			return 1;
	return 0;
}

static void parse_named_list(struct pctx *p, xmlNodePtr n, struct sys_gn_named **out, size_t *nout)
{
	*out = alloc(p, count_elems(n, NULL), sizeof **out);
	*nout = 0;
	if (!*out)
		return;
	for (xmlNodePtr c = n->children; c; c = c->next) {
		if (c->type != XML_ELEMENT_NODE)
			continue;
		size_t pos = pos_of(p, c);
		const char *name = get(p, c, "name");
		if (!is(c, "service") || !name) {
			sys_diag(p->r, SYS_ERROR, pos, "write <service name=\"…\"/>",
				 "<%s> holds <%s>%s where a named <service> belongs", (const char *)n->name,
				 (const char *)c->name, name ? "" : " without a name");
			continue;
		}
		(*out)[*nout].name = name;
		(*out)[(*nout)++].pos = pos;
	}
}

static int parse_start(struct pctx *p, struct sys_gn_config *cfg, xmlNodePtr n, struct sys_gn_start *st)
{
	st->pos = pos_of(p, n);
	st->name = get(p, n, "name");
	if (!st->name) {
		sys_diag(p->r, SYS_WARNING, st->pos, "add name=\"…\"",
			 "a <start> without a name: init skips it");
		return -1;
	}
	st->ld = 1;
	st->caps = cfg->default_caps;
	st->ram = cfg->default_ram;
	st->has_ram = cfg->default_ram != 0;
	const char *v;
	if ((v = get(p, n, "caps"))) {
		uint64_t caps;
		if (parse_bytes(v, &caps) || strpbrk(v, "KMG"))
			sys_diag(p->r, SYS_ERROR, st->pos, "write a decimal number",
				 "start '%s': caps=\"%s\" is not a number", st->name, v);
		else
			st->caps = caps, st->has_caps = 1;
	}
	st->caps_pos = st->ram_pos = st->prio_pos = st->affinity_pos = st->pos;
	get_bytes(p, n, "ram", &st->ram, &st->has_ram);
	if ((v = get(p, n, "priority"))) {
		if (parse_long(v, &st->priority))
			sys_diag(p->r, SYS_ERROR, st->pos, "write 0 or a negative number",
				 "start '%s': priority=\"%s\" is not a number", st->name, v);
		else
			st->has_priority = 1;
	}
	if ((v = get(p, n, "ld")) && parse_bool(v, &st->ld))
		sys_diag(p->r, SYS_ERROR, st->pos, "write yes or no", "start '%s': ld=\"%s\" is not a boolean",
			 st->name, v);
	xmlNodePtr config = NULL;
	for (xmlNodePtr c = n->children; c && !p->oom; c = c->next) {
		if (c->type != XML_ELEMENT_NODE)
			continue;
		size_t pos = pos_of(p, c);
		if (is(c, "binary")) {
			st->binary = get(p, c, "name");
		} else if (is(c, "resource")) {
			const char *rn = get(p, c, "name");
			if (rn && strcmp(rn, "RAM") == 0) {
				st->ram_pos = pos;
				get_bytes(p, c, "quantum", &st->ram, &st->has_ram);
			} else if (rn && strcmp(rn, "CAP") == 0) {
				st->caps_pos = pos;
				get_bytes(p, c, "quantum", &st->caps, &st->has_caps);
			} else if (!rn || strcmp(rn, "CPU") != 0) {
				sys_diag(p->r, SYS_ERROR, pos, "use RAM, CAP or CPU",
					 "start '%s': unknown resource \"%s\"", st->name, rn ? rn : "");
			}
		} else if (is(c, "provides")) {
			parse_named_list(p, c, &st->provides, &st->nprovides);
		} else if (is(c, "route")) {
			st->has_route = 1;
			parse_rules(p, c, &st->route, &st->nroute);
		} else if (is(c, "config")) {
			st->has_config = 1;
			config = c;
		} else if (is(c, "affinity")) {
			st->has_affinity = 1;
			st->affinity_pos = pos;
		} else if (!is(c, "exit") && !is(c, "heartbeat")) {
			sys_diag(p->r, SYS_WARNING, pos, "remove it (init ignores it)",
				 "start '%s': unknown node <%s>", st->name, (const char *)c->name);
		}
	}
	if (!st->binary)
		st->binary = st->name;
	if (config) {
		size_t np = count_elems(config, "policy") + count_elems(config, "default-policy");
		st->policies = alloc(p, np, sizeof *st->policies);
		for (xmlNodePtr c = config->children; c && st->policies; c = c->next)
			if (is(c, "policy") || is(c, "default-policy"))
				parse_policy(p, c, &st->policies[st->npolicies++], 0);
		if (strcmp(st->binary, "init") == 0 && looks_like_init(config)) {
			if (cfg->depth + 1 >= SYS_GN_MAX_NESTING)
				sys_diag(p->r, SYS_WARNING, pos_of(p, config), NULL,
					 "start '%s': nested init configs deeper than %u levels are not checked",
					 st->name, SYS_GN_MAX_NESTING);
			else
				st->sub = parse_config(p, config, cfg->depth + 1);
		}
	}
	return 0;
}

static struct sys_gn_config *parse_config(struct pctx *p, xmlNodePtr n, unsigned depth)
{
	struct sys_gn_config *c = alloc(p, 0, sizeof *c);
	if (!c)
		return NULL;
	c->depth = depth;
	c->pos = c->prio_pos = pos_of(p, n);
	const char *v;
	if ((v = get(p, n, "prio_levels"))) {
		if (parse_long(v, &c->prio_levels))
			sys_diag(p->r, SYS_ERROR, c->pos, "write a power of two",
				 "prio_levels=\"%s\" is not a number", v);
		else
			c->has_prio_levels = 1;
	}
	/* <default> first: start nodes take its caps wherever it stands */
	for (xmlNodePtr d = n->children; d; d = d->next)
		if (is(d, "default")) {
			int has = 0;
			get_bytes(p, d, "caps", &c->default_caps, &has);
			get_bytes(p, d, "ram", &c->default_ram, &has);
		}
	size_t ns = count_elems(n, "start"), na = count_elems(n, "alias"), nv = count_elems(n, "service");
	size_t nu = count_elems(n, NULL);
	c->starts = alloc(p, ns, sizeof *c->starts);
	c->aliases = alloc(p, na, sizeof *c->aliases);
	c->services = alloc(p, nv, sizeof *c->services);
	c->unknown = alloc(p, nu, sizeof *c->unknown);
	if (p->oom)
		return NULL;
	for (xmlNodePtr e = n->children; e && !p->oom; e = e->next) {
		if (e->type != XML_ELEMENT_NODE)
			continue;
		size_t pos = pos_of(p, e);
		if (is(e, "parent-provides")) {
			c->has_parent_provides = 1;
			parse_named_list(p, e, &c->parent_provides, &c->nparent);
		} else if (is(e, "default-route")) {
			c->has_default_route = 1;
			parse_rules(p, e, &c->default_route, &c->ndefault_route);
		} else if (is(e, "default") || is(e, "report") || is(e, "heartbeat")) {
			/* read above, or nothing to check */
		} else if (is(e, "affinity-space")) {
			c->has_affinity_space = 1;
		} else if (is(e, "resource")) {
			const char *rn = get(p, e, "name");
			if (rn && strcmp(rn, "RAM") == 0)
				get_bytes(p, e, "preserve", &c->preserve_ram, &c->has_preserve_ram);
			else if (rn && strcmp(rn, "CAP") == 0)
				get_bytes(p, e, "preserve", &c->preserve_caps, &c->has_preserve_caps);
			else
				sys_diag(p->r, SYS_ERROR, pos, "use RAM or CAP",
					 "<resource name=\"%s\" preserve>: init knows only RAM and CAP", rn ? rn : "");
		} else if (is(e, "alias")) {
			struct sys_gn_alias *al = &c->aliases[c->naliases++];
			al->pos = pos;
			al->name = get(p, e, "name");
			al->child = get(p, e, "child");
			if (!al->name || !al->child)
				sys_diag(p->r, SYS_ERROR, pos, "write <alias name=\"…\" child=\"…\"/>",
					 "<alias> without %s", al->name ? "child" : "name");
		} else if (is(e, "service")) {
			struct sys_gn_service *sv = &c->services[c->nservices++];
			sv->pos = pos;
			sv->name = get(p, e, "name");
			sv->policies = alloc(p, count_elems(e, NULL), sizeof *sv->policies);
			for (xmlNodePtr q = e->children; q && sv->policies; q = q->next)
				if (is(q, "policy") || is(q, "default-policy"))
					parse_policy(p, q, &sv->policies[sv->npolicies++], 1);
		} else if (is(e, "start")) {
			if (parse_start(p, c, e, &c->starts[c->nstarts]) == 0)
				c->nstarts++;
		} else {
			c->unknown[c->nunknown].name = dhall_arena_strdup(p->a, (const char *)e->name,
									  strlen((const char *)e->name));
			c->unknown[c->nunknown++].pos = pos;
		}
	}
	return p->oom ? NULL : c;
}

static int build_lines(struct pctx *p, const char *text, size_t len)
{
	size_t n = 1;
	for (size_t i = 0; i < len; i++)
		n += text[i] == '\n';
	p->lines = malloc(n * sizeof *p->lines);
	if (!p->lines)
		return DHALL_ENOMEM;
	p->lines[0] = 0;
	p->nlines = 1;
	for (size_t i = 0; i < len; i++)
		if (text[i] == '\n')
			p->lines[p->nlines++] = i + 1;
	return 0;
}

int sys_genode_parse(struct dhall_arena *arena, const char *text, size_t len, struct sys_gn_file *out,
		     struct sys_report *r)
{
	struct pctx p = {.a = arena, .r = r};
	xmlParserCtxtPtr ctxt = NULL;
	xmlDocPtr doc = NULL;
	int rc = -1;
	memset(out, 0, sizeof *out);
	if (len > SYS_GN_MAX_INPUT || len > INT_MAX) {
		sys_diag(r, SYS_ERROR, SIZE_MAX, NULL, "the config is %zu bytes, over the limit of %u", len,
			 SYS_GN_MAX_INPUT);
		goto out;
	}
	if (memchr(text, 0, len)) {
		sys_diag(r, SYS_ERROR, SIZE_MAX, NULL, "the config holds a NUL byte");
		goto out;
	}
	if ((rc = build_lines(&p, text, len)))
		goto out;
	rc = -1;
	const char *dt = memmem(text, len, "<!DOCTYPE", 9);
	if (dt) {
		size_t at = (size_t)(dt - text);
		while (at > 0 && text[at - 1] != '\n')
			at--;
		sys_diag(r, SYS_ERROR, at, "remove the <!DOCTYPE …> declaration",
			 "a document type declaration is not allowed in an init config");
		goto out;
	}
	ctxt = xmlNewParserCtxt();
	if (!ctxt) {
		rc = DHALL_ENOMEM;
		goto out;
	}
	doc = xmlCtxtReadMemory(ctxt, text, (int)len, NULL, NULL,
				XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING |
					XML_PARSE_BIG_LINES);
	if (!doc) {
		xmlErrorPtr e = xmlCtxtGetLastError(ctxt);
		char msg[300];
		snprintf(msg, sizeof msg, "%s", e && e->message ? e->message : "not well-formed");
		size_t n = strlen(msg);
		while (n && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
			msg[--n] = 0;
		size_t pos = e && e->line >= 1 && (size_t)e->line <= p.nlines ? p.lines[e->line - 1] : SIZE_MAX;
		sys_diag(r, SYS_ERROR, pos, NULL, "not well-formed XML: %s", msg);
		goto out;
	}
	xmlNodePtr root = xmlDocGetRootElement(doc);
	if (!root || !is(root, "config")) {
		sys_diag(r, SYS_ERROR, root ? pos_of(&p, root) : SIZE_MAX, "an init config is one <config> node",
			 "the top-level node is <%s>, not <config>", root ? (const char *)root->name : "");
		goto out;
	}
	size_t nsteps = count_elems(root, "init_config");
	out->harness = nsteps > 0;
	out->configs = alloc(&p, nsteps ? nsteps : 1, sizeof *out->configs);
	if (!out->configs)
		goto oom;
	if (!out->harness) {
		out->configs[0] = parse_config(&p, root, 0);
		out->nconfigs = out->configs[0] != NULL;
	} else {
		for (xmlNodePtr c = root->children; c && !p.oom; c = c->next) {
			if (!is(c, "init_config"))
				continue;
			struct sys_gn_config *cfg = parse_config(&p, c, 0);
			if (!cfg)
				break;
			const char *ver = get(&p, c, "version");
			char step[200];
			snprintf(step, sizeof step, "step %zu%s%s%s", out->nconfigs + 1, ver ? " (" : "",
				 ver ? ver : "", ver ? ")" : "");
			cfg->step = dhall_arena_strdup(arena, step, strlen(step));
			out->configs[out->nconfigs++] = cfg;
		}
	}
	if (p.oom)
		goto oom;
	rc = 0;
	goto out;
oom:
	rc = DHALL_ENOMEM;
out:
	if (doc)
		xmlFreeDoc(doc);
	if (ctxt)
		xmlFreeParserCtxt(ctxt);
	free(p.lines);
	return rc;
}
