/*
 * check.c — sys_check: every mistake we can find before anything runs.
 *
 * Checks, in order (each finding says which value to change):
 *   names      child names unique, 1..63 characters, no " -> ", '/', control
 *              characters; the system name likewise
 *   binary     every child names one
 *   resources  each child's RAM and caps at least the runtime's overhead
 *              (SYS_CHILD_MIN_RAM / _CAPS); their sums, plus what sigil-init
 *              keeps (SYS_INIT_RAM / _CAPS), within the system's budget;
 *              tmpfs mounts count against their child's RAM
 *   services   a child provides a service name once; every policy has a
 *              selector (no wildcards), and not exact together with
 *              prefix/suffix
 *   routes     every use is served by exactly one server whose policy
 *              matches the client's full label (Genode's strongest-match
 *              rule inside a server); not by the client itself; the full
 *              label fits SYS_LABEL_MAX; a policy no use matches is a warning
 *   cycles     the graph client → server has no cycle (init could not start
 *              the children in any order)
 *   mounts     targets absolute and normalized, not on /rom /dev /proc /tmp,
 *              not overlapping within a child; state directories relative,
 *              without "..", not shared writable between two children
 *   uplinks    an address in CIDR form; host ports unique over the system
 */
#include "sys_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "banned.h"

#define MIB(x) ((double)(x) / (1024.0 * 1024.0))

static int bad_name(const char *n)
{
	size_t len = strlen(n);
	if (len == 0 || len > SYS_NAME_MAX || strstr(n, " -> ") || strchr(n, '/'))
		return 1;
	for (const char *p = n; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return 1;
	return 0;
}

static void check_names(const struct sys_system *s, struct sys_report *r)
{
	if (s->name && bad_name(s->name))
		sys_diag(r, SYS_ERROR, s->pos, "use 1 to 63 characters without \" -> \", '/' or control characters",
			 "the system name '%s' is not a valid name", s->name);
	for (size_t i = 0; i < s->nchildren; i++) {
		const struct sys_child *c = &s->children[i];
		if (bad_name(c->name))
			sys_diag(r, SYS_ERROR, c->pos,
				 "use 1 to 63 characters without \" -> \", '/' or control characters",
				 "child name '%s' is not a valid name", c->name);
		for (size_t j = 0; j < i; j++)
			if (strcmp(s->children[j].name, c->name) == 0)
				sys_diag(r, SYS_ERROR, c->pos, "rename one of them",
					 "two children are named '%s'", c->name);
		if (!c->binary || !c->binary[0])
			sys_diag(r, SYS_ERROR, c->pos, "set binary to the program's path",
				 "child '%s' has no binary", c->name);
	}
}

static void check_resources(const struct sys_system *s, struct sys_report *r)
{
	uint64_t ram = SYS_INIT_RAM, caps = SYS_INIT_CAPS;
	for (size_t i = 0; i < s->nchildren; i++) {
		const struct sys_child *c = &s->children[i];
		char hint[256];
		if (c->ram < SYS_CHILD_MIN_RAM) {
			snprintf(hint, sizeof hint, "raise children.%s.resources.ram to at least %u (%.0f MiB)",
				 c->name, SYS_CHILD_MIN_RAM, MIB(SYS_CHILD_MIN_RAM));
			sys_diag(r, SYS_ERROR, c->ram_pos != SIZE_MAX && c->ram_pos ? c->ram_pos : c->pos, hint,
				 "child '%s' has %llu bytes of RAM, less than the runtime's own overhead",
				 c->name, (unsigned long long)c->ram);
		}
		if (c->caps < SYS_CHILD_MIN_CAPS) {
			snprintf(hint, sizeof hint, "raise children.%s.resources.caps to at least %u", c->name,
				 SYS_CHILD_MIN_CAPS);
			sys_diag(r, SYS_ERROR, c->caps_pos != SIZE_MAX && c->caps_pos ? c->caps_pos : c->pos,
				 hint, "child '%s' has %llu caps, less than the runtime's own overhead",
				 c->name, (unsigned long long)c->caps);
		}
		uint64_t tmpfs = 0;
		for (size_t m = 0; m < c->nmounts; m++)
			if (c->mounts[m].kind == SYS_MOUNT_TMPFS)
				tmpfs += c->mounts[m].size;
		if (tmpfs > c->ram) {
			snprintf(hint, sizeof hint,
				 "raise children.%s.resources.ram to at least %llu or shrink the tmpfs mounts",
				 c->name, (unsigned long long)tmpfs);
			sys_diag(r, SYS_ERROR, c->ram_pos ? c->ram_pos : c->pos, hint,
				 "child '%s': its tmpfs mounts (%llu bytes) exceed its RAM (%llu bytes)",
				 c->name, (unsigned long long)tmpfs, (unsigned long long)c->ram);
		}
		ram += c->ram;
		caps += c->caps;
	}
	if (ram > s->ram) {
		char hint[256];
		snprintf(hint, sizeof hint, "raise the system's ram to at least %llu (%.1f MiB) or lower the children's",
			 (unsigned long long)ram, MIB(ram));
		sys_diag(r, SYS_ERROR, s->ram_pos ? s->ram_pos : s->pos, hint,
			 "the children's RAM (%.1f MiB) plus sigil-init's own (%.0f MiB) exceeds the system's %.1f MiB",
			 MIB(ram - SYS_INIT_RAM), MIB(SYS_INIT_RAM), MIB(s->ram));
	}
	if (caps > s->caps) {
		char hint[256];
		snprintf(hint, sizeof hint, "raise the system's caps to at least %llu or lower the children's",
			 (unsigned long long)caps);
		sys_diag(r, SYS_ERROR, s->caps_pos ? s->caps_pos : s->pos, hint,
			 "the children's caps (%llu) plus sigil-init's own (%u) exceed the system's %llu",
			 (unsigned long long)(caps - SYS_INIT_CAPS), SYS_INIT_CAPS,
			 (unsigned long long)s->caps);
	}
}


struct edge {
	size_t from, to;
};

/* Who provides what: (service name, child, index in its provides) sorted
 * by name, so that a use looks only at the providers of its service. */
struct provider {
	const char *service;
	size_t child, svc;
};

static int provider_cmp(const void *a, const void *b)
{
	const struct provider *x = a, *y = b;
	int c = strcmp(x->service, y->service);
	if (c)
		return c;
	return x->child < y->child ? -1 : x->child > y->child;
}

/* The first provider of `service` in the sorted index (n when none). */
static size_t first_provider(const struct provider *ix, size_t n, const char *service)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(ix[mid].service, service) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Returns the server index for use u of child ci, or SIZE_MAX (reported). */
static size_t route(const struct sys_system *s, const struct provider *ix, size_t nix, size_t ci,
		    const struct sys_use *u, struct sys_report *r)
{
	const struct sys_child *c = &s->children[ci];
	char label[1024];
	sys_full_label(c->name, u->label, label, sizeof label);
	if (strlen(label) > SYS_LABEL_MAX)
		sys_diag(r, SYS_ERROR, u->pos, "shorten the child name or the session label",
			 "child '%s': the label \"%.60s…\" is %zu characters, over the limit of %d",
			 c->name, label, strlen(label), SYS_LABEL_MAX);
	size_t found = SIZE_MAX, nfound = 0, providers = 0;
	char names[512] = "";
	for (size_t x = first_provider(ix, nix, u->service);
	     x < nix && strcmp(ix[x].service, u->service) == 0; x++) {
		size_t k = ix[x].child;
		const struct sys_child *srv = &s->children[k];
		{
			const struct sys_service *sv = &srv->provides[ix[x].svc];
			providers++;
			for (size_t p = 0; p < sv->npolicies; p++) {
				if (!sys_label_matches(&sv->policies[p].label, label))
					continue;
				if (found != k) {
					nfound++;
					size_t n = strlen(names);
					snprintf(names + n, sizeof names - n, "%s'%s'", n ? ", " : "", srv->name);
				}
				found = k;
				break;
			}
		}
	}
	char hint[512];
	if (nfound == 0) {
		if (providers == 0)
			snprintf(hint, sizeof hint, "add a child that provides \"%s\", or drop the use",
				 u->service);
		else
			snprintf(hint, sizeof hint,
				 "add a policy with label exact \"%.200s\" (or a matching prefix) to the server of "
				 "\"%.100s\"",
				 label, u->service);
		sys_diag(r, SYS_ERROR, u->pos, hint, "child '%s' uses \"%s\" (label \"%s\") but %s",
			 c->name, u->service, label,
			 providers ? "no server's policy names it" : "no child provides it");
		return SIZE_MAX;
	}
	if (nfound > 1) {
		snprintf(hint, sizeof hint,
			 "narrow the policies so that exactly one server matches \"%.300s\"", label);
		sys_diag(r, SYS_ERROR, u->pos, hint,
			 "child '%s' uses \"%s\" (label \"%s\"): ambiguous, the policies of %s all match",
			 c->name, u->service, label, names);
		return SIZE_MAX;
	}
	if (found == ci) {
		sys_diag(r, SYS_ERROR, u->pos, "a child cannot use its own service; drop the use",
			 "child '%s' uses \"%s\" from itself", c->name, u->service);
		return SIZE_MAX;
	}
	return found;
}

/* Marks the policies each use selects (for the unused-policy warning). */
static void mark_policy(const struct sys_system *s, size_t server, const struct sys_use *u,
			const char *client, unsigned char *pused_base, size_t *pidx_of_service)
{
	char label[1024];
	sys_full_label(client, u->label, label, sizeof label);
	const struct sys_child *srv = &s->children[server];
	for (size_t j = 0; j < srv->nprovides; j++) {
		const struct sys_service *sv = &srv->provides[j];
		if (strcmp(sv->name, u->service) != 0)
			continue;
		for (size_t p = 0; p < sv->npolicies; p++)
			if (sys_label_matches(&sv->policies[p].label, label)) {
				pused_base[pidx_of_service[j] + p] = 1;
				break;
			}
	}
}

static void check_services(const struct sys_system *s, struct sys_report *r)
{
	size_t n = s->nchildren, nedges = 0, nix = 0, total_prov = 0, total_uses = 0;
	struct edge *edges = NULL;
	struct provider *ix = NULL;
	for (size_t i = 0; i < n; i++)
		total_uses += s->children[i].nuses;
	edges = calloc(total_uses + 1, sizeof *edges);
	for (size_t i = 0; i < n; i++)
		total_prov += s->children[i].nprovides;
	ix = calloc(total_prov + 1, sizeof *ix);
	if (!edges || !ix)
		goto out;
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < s->children[i].nprovides; j++)
			ix[nix++] = (struct provider){s->children[i].provides[j].name, i, j};
	qsort(ix, nix, sizeof *ix, provider_cmp);
	for (size_t i = 0; i < n; i++) {
		const struct sys_child *c = &s->children[i];
		for (size_t j = 0; j < c->nprovides; j++) {
			const struct sys_service *sv = &c->provides[j];
			for (size_t k = 0; k < j; k++)
				if (strcmp(c->provides[k].name, sv->name) == 0)
					sys_diag(r, SYS_ERROR, sv->pos, "merge the two entries' policies",
						 "child '%s' provides \"%s\" twice", c->name, sv->name);
			if (sv->npolicies == 0)
				sys_diag(r, SYS_WARNING, sv->pos,
					 "add a policy naming the clients, or drop the service",
					 "child '%s' provides \"%s\" with no policy: nobody can use it",
					 c->name, sv->name);
			for (size_t p = 0; p < sv->npolicies; p++) {
				const struct sys_label *l = &sv->policies[p].label;
				if (!l->exact && !l->prefix && !l->suffix)
					sys_diag(r, SYS_ERROR, sv->policies[p].pos,
						 "set label.exact, label.prefix or label.suffix",
						 "child '%s', service \"%s\": a policy without a label selector "
						 "(there are no wildcards)",
						 c->name, sv->name);
				else if (l->exact && (l->prefix || l->suffix))
					sys_diag(r, SYS_WARNING, sv->policies[p].pos,
						 "keep only label.exact",
						 "child '%s', service \"%s\": label.exact together with a prefix "
						 "or suffix (legal, but usually a mistake)",
						 c->name, sv->name);
			}
		}
	}
	/* per-policy use marks */
	size_t npol = 0;
	size_t **pidx = calloc(n + 1, sizeof *pidx);
	if (!pidx)
		goto out;
	for (size_t i = 0; i < n; i++) {
		pidx[i] = calloc(s->children[i].nprovides + 1, sizeof **pidx);
		if (!pidx[i])
			goto out2;
		for (size_t j = 0; j < s->children[i].nprovides; j++) {
			pidx[i][j] = npol;
			npol += s->children[i].provides[j].npolicies;
		}
	}
	unsigned char *pused = calloc(npol + 1, 1);
	if (!pused)
		goto out2;
	for (size_t i = 0; i < n; i++) {
		const struct sys_child *c = &s->children[i];
		for (size_t u = 0; u < c->nuses; u++) {
			size_t srv = route(s, ix, nix, i, &c->uses[u], r);
			if (srv == SIZE_MAX)
				continue;
			mark_policy(s, srv, &c->uses[u], c->name, pused, pidx[srv]);
			edges[nedges++] = (struct edge){i, srv};
		}
	}
	for (size_t i = 0; i < n; i++) {
		const struct sys_child *c = &s->children[i];
		for (size_t j = 0; j < c->nprovides; j++)
			for (size_t p = 0; p < c->provides[j].npolicies; p++) {
				const struct sys_policy *pol = &c->provides[j].policies[p];
				char sel[512];
				if (!pused[pidx[i][j] + p] && (pol->label.exact || pol->label.prefix || pol->label.suffix))
					sys_diag(r, SYS_WARNING, pol->pos, "remove the policy or fix its label",
						 "child '%s', service \"%s\": the policy (%s) matches no client",
						 c->name, c->provides[j].name, sys_label_text(&pol->label, sel, sizeof sel));
			}
	}
	/* cycles: depth-first search over client → server edges */
	int *state = calloc(n + 1, sizeof *state);
	size_t *stack = calloc(n + 1, sizeof *stack), *it = calloc(n + 1, sizeof *it);
	if (state && stack && it) {
		for (size_t root = 0; root < n; root++) {
			if (state[root])
				continue;
			size_t sp = 0;
			stack[sp] = root;
			it[sp] = 0;
			state[root] = 1;
			sp++;
			while (sp) {
				size_t v = stack[sp - 1], e = it[sp - 1]++;
				size_t k;
				for (k = e; k < nedges; k++)
					if (edges[k].from == v)
						break;
				it[sp - 1] = k + 1;
				if (k >= nedges) {
					state[v] = 2;
					sp--;
					continue;
				}
				size_t w = edges[k].to;
				if (state[w] == 1) {
					char cyc[512] = "";
					size_t from = 0;
					while (from < sp && stack[from] != w)
						from++;
					for (size_t q = from; q < sp; q++) {
						size_t len = strlen(cyc);
						snprintf(cyc + len, sizeof cyc - len, "'%s' → ", s->children[stack[q]].name);
					}
					size_t len = strlen(cyc);
					snprintf(cyc + len, sizeof cyc - len, "'%s'", s->children[w].name);
					sys_diag(r, SYS_ERROR, s->children[w].pos,
						 "break the cycle: one of these children must not use the next",
						 "the children's services form a cycle: %s", cyc);
					state[w] = 2; /* report each cycle once */
				} else if (state[w] == 0) {
					state[w] = 1;
					stack[sp] = w;
					it[sp] = 0;
					sp++;
				}
			}
		}
	}
	free(state);
	free(stack);
	free(it);
	free(pused);
out2:
	for (size_t i = 0; i < n; i++)
		free(pidx[i]);
	free(pidx);
out:
	free(ix);
	free(edges);
}

static int path_ok(const char *p)
{
	if (p[0] != '/' || (p[1] && p[strlen(p) - 1] == '/'))
		return 0;
	for (const char *q = p; *q; q++)
		if (q[0] == '/' && (q[1] == '/' || (q[1] == '.' && (q[2] == '/' || !q[2] ||
								    (q[2] == '.' && (q[3] == '/' || !q[3]))))))
			return 0;
	return 1;
}

static int under(const char *a, const char *b) /* a == b or a is below b */
{
	size_t n = strlen(b);
	if (strcmp(b, "/") == 0)
		return 1;
	return strncmp(a, b, n) == 0 && (a[n] == 0 || a[n] == '/');
}

static void check_mounts(const struct sys_system *s, struct sys_report *r)
{
	static const char *const reserved[] = {"/rom", "/dev", "/proc", "/tmp", NULL};
	for (size_t i = 0; i < s->nchildren; i++) {
		const struct sys_child *c = &s->children[i];
		for (size_t m = 0; m < c->nmounts; m++) {
			const struct sys_mount *mt = &c->mounts[m];
			if (!path_ok(mt->target)) {
				sys_diag(r, SYS_ERROR, mt->pos, "write an absolute path without '.', '..' or '//'",
					 "child '%s': mount target \"%s\" is not a normalized absolute path",
					 c->name, mt->target);
				continue;
			}
			for (int k = 0; reserved[k]; k++)
				if (under(mt->target, reserved[k]) || under(reserved[k], mt->target))
					sys_diag(r, SYS_ERROR, mt->pos, "mount somewhere else, e.g. under /var",
						 "child '%s': mount target \"%s\" overlaps %s, which the runtime provides",
						 c->name, mt->target, reserved[k]);
			for (size_t o = 0; o < m; o++)
				if (path_ok(c->mounts[o].target) &&
				    (under(mt->target, c->mounts[o].target) || under(c->mounts[o].target, mt->target)))
					sys_diag(r, SYS_ERROR, mt->pos, "give each mount its own directory",
						 "child '%s': mounts \"%s\" and \"%s\" overlap", c->name,
						 c->mounts[o].target, mt->target);
			if (mt->kind != SYS_MOUNT_STATE)
				continue;
			const char *st = mt->state;
			int escape = st[0] == '/' || !st[0] || strcmp(st, "..") == 0 || strncmp(st, "../", 3) == 0 ||
				     strstr(st, "/../") || (strlen(st) >= 3 && strcmp(st + strlen(st) - 3, "/..") == 0);
			if (escape) {
				sys_diag(r, SYS_ERROR, mt->pos, "name a directory relative to the state partition, without '..'",
					 "child '%s': state directory \"%s\" escapes the state partition",
					 c->name, st);
				continue;
			}
			if (!mt->writable)
				continue;
			for (size_t j = 0; j < i; j++)
				for (size_t o = 0; o < s->children[j].nmounts; o++) {
					const struct sys_mount *om = &s->children[j].mounts[o];
					if (om->kind == SYS_MOUNT_STATE && om->writable && strcmp(om->state, st) == 0)
						sys_diag(r, SYS_WARNING, mt->pos,
							 "give each child its own state directory, or make one read-only",
							 "children '%s' and '%s' both mount state \"%s\" writable",
							 s->children[j].name, c->name, st);
				}
		}
	}
}

static void check_uplinks(const struct sys_system *s, struct sys_report *r)
{
	for (size_t i = 0; i < s->nchildren; i++) {
		const struct sys_child *c = &s->children[i];
		if (!c->uplink.present)
			continue;
		unsigned a, b, d, e, pfx;
		char end;
		if (!c->uplink.address ||
		    sscanf(c->uplink.address, "%u.%u.%u.%u/%u%c", &a, &b, &d, &e, &pfx, &end) != 5 ||
		    a > 255 || b > 255 || d > 255 || e > 255 || pfx > 32)
			sys_diag(r, SYS_ERROR, c->uplink.pos, "write the address as A.B.C.D/PREFIX",
				 "child '%s': uplink address \"%s\" is not an IPv4 CIDR address", c->name,
				 c->uplink.address ? c->uplink.address : "");
		for (size_t f = 0; f < c->uplink.nforwards; f++) {
			const struct sys_forward *fw = &c->uplink.forwards[f];
			if (fw->host == 0 || fw->host > 65535 || fw->child == 0 || fw->child > 65535)
				sys_diag(r, SYS_ERROR, fw->pos, "use ports 1 to 65535",
					 "child '%s': port forward %llu → %llu is out of range", c->name,
					 (unsigned long long)fw->host, (unsigned long long)fw->child);
			if (strcmp(fw->proto, "tcp") != 0 && strcmp(fw->proto, "udp") != 0)
				sys_diag(r, SYS_ERROR, fw->pos, "use \"tcp\" or \"udp\"",
					 "child '%s': unknown protocol \"%s\"", c->name, fw->proto);
			for (size_t j = 0; j <= i; j++)
				for (size_t g = 0; g < (j == i ? f : s->children[j].uplink.nforwards); g++) {
					const struct sys_forward *o = &s->children[j].uplink.forwards[g];
					if (o->host == fw->host && strcmp(o->proto, fw->proto) == 0)
						sys_diag(r, SYS_ERROR, fw->pos, "pick another host port",
							 "host port %llu/%s is forwarded twice ('%s' and '%s')",
							 (unsigned long long)fw->host, fw->proto,
							 s->children[j].name, c->name);
				}
		}
	}
}

size_t sys_check(const struct sys_system *s, struct sys_report *r)
{
	size_t before = r->errors;
	check_names(s, r);
	check_resources(s, r);
	check_services(s, r);
	check_mounts(s, r);
	check_uplinks(s, r);
	return r->errors - before;
}
