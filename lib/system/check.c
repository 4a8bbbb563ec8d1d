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
 *              label fits SYS_LABEL_MAX; a policy no use matches is a
 *              warning; so is a use whose service exists but no policy
 *              names it: a denial (Genode's semantics), which sigil-init
 *              reports with the candidate policies, the path left empty
 *   cycles     the graph client → server has no cycle (init could not start
 *              the children in any order)
 *   mounts     targets absolute and normalized, not on /rom /dev /proc /tmp,
 *              not overlapping within a child; state directories relative,
 *              without "..", not shared writable between two children
 *   uplinks    an address in CIDR form; host ports unique over the system
 *   grants     seccomp names only calls the default filter denies
 *              (sys_seccomp_denied), capabilities only known capabilities;
 *              syscalls (a strict allow-list) only system calls libseccomp
 *              knows, and not together with seccomp
 */
#include "sys_int.h"

#include <seccomp.h>
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

/* The name check of one child: its own part (base) must be a valid name;
 * what nests it was checked by the loader (sys_nesting). */
static void check_child_name(const struct sys_system *s, size_t i, struct sys_report *r)
{
	const struct sys_child *c = &s->children[i];
	const char *base = c->base ? c->base : c->name;
	if (bad_name(base))
		sys_diag(r, SYS_ERROR, c->pos,
			 "use 1 to 63 characters without \" -> \", '/' or control characters",
			 "child name '%s' is not a valid name", base);
	if (c->init) {
		if (c->binary && c->binary[0])
			sys_diag(r, SYS_ERROR, c->pos, "drop the binary (sigil-init runs the nested init)",
				 "child '%s' is an init and names a binary", c->name);
		if (c->nargs || c->nenv || c->nprovides || c->nuses || c->nroms || c->nmounts ||
		    c->uplink.present)
			sys_diag(r, SYS_ERROR, c->pos,
				 "move args, env, provides, uses, roms, mounts and uplink to its children",
				 "child '%s' is an init: only its resources and children count", c->name);
	} else if (!c->binary || !c->binary[0]) {
		sys_diag(r, SYS_ERROR, c->pos, "set binary to the program's path",
			 "child '%s' has no binary", c->name);
	}
}

static int name_cmp(const void *a, const void *b)
{
	const struct sys_child *const *x = a, *const *y = b;
	int c = strcmp((*x)->name, (*y)->name);
	return c ? c : (*x < *y ? -1 : *x > *y);
}

static void check_names(const struct sys_system *s, struct sys_report *r)
{
	if (s->name && bad_name(s->name))
		sys_diag(r, SYS_ERROR, s->pos, "use 1 to 63 characters without \" -> \", '/' or control characters",
			 "the system name '%s' is not a valid name", s->name);
	for (size_t i = 0; i < s->nchildren; i++)
		check_child_name(s, i, r);
	/* duplicates: sorted, so 1,000 children cost n log n, not n² */
	const struct sys_child **by = calloc(s->nchildren + 1, sizeof *by);
	if (!by)
		return;
	for (size_t i = 0; i < s->nchildren; i++)
		by[i] = &s->children[i];
	qsort(by, s->nchildren, sizeof *by, name_cmp);
	for (size_t i = 1; i < s->nchildren; i++)
		if (strcmp(by[i - 1]->name, by[i]->name) == 0)
			sys_diag(r, SYS_ERROR, by[i]->pos, "rename one of them", "two children are named '%s'",
				 by[i]->name);
	free(by);
}

/* One child's own quota: above the runtime's overhead; its tmpfs mounts
 * within its RAM. */
static void check_child_quota(const struct sys_child *c, struct sys_report *r)
{
	char hint[256];
	if (c->ram < SYS_CHILD_MIN_RAM) {
		snprintf(hint, sizeof hint, "raise children.%s.resources.ram to at least %u (%.0f MiB)",
			 c->name, SYS_CHILD_MIN_RAM, MIB(SYS_CHILD_MIN_RAM));
		sys_diag(r, SYS_ERROR, c->ram_pos != SIZE_MAX && c->ram_pos ? c->ram_pos : c->pos, hint,
			 "child '%s' has %llu bytes of RAM, less than the runtime's own overhead", c->name,
			 (unsigned long long)c->ram);
	}
	if (c->caps < SYS_CHILD_MIN_CAPS) {
		snprintf(hint, sizeof hint, "raise children.%s.resources.caps to at least %u", c->name,
			 SYS_CHILD_MIN_CAPS);
		sys_diag(r, SYS_ERROR, c->caps_pos != SIZE_MAX && c->caps_pos ? c->caps_pos : c->pos, hint,
			 "child '%s' has %llu caps, less than the runtime's own overhead", c->name,
			 (unsigned long long)c->caps);
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
			 "child '%s': its tmpfs mounts (%llu bytes) exceed its RAM (%llu bytes)", c->name,
			 (unsigned long long)tmpfs, (unsigned long long)c->ram);
	}
}

/* The budget of one init: the system's (owner == SIZE_MAX) or a nested
 * init child's. What its children take plus the init's own share must
 * fit. A nested init keeps SYS_NESTED_INIT_RAM / _CAPS for itself. */
static void check_budget(const struct sys_system *s, size_t owner, uint64_t ram, uint64_t caps,
			 struct sys_report *r)
{
	const struct sys_child *o = owner == SIZE_MAX ? NULL : &s->children[owner];
	uint64_t own_ram = o ? SYS_NESTED_INIT_RAM : SYS_INIT_RAM;
	uint64_t own_caps = o ? SYS_NESTED_INIT_CAPS : SYS_INIT_CAPS;
	uint64_t have_ram = o ? o->ram : s->ram, have_caps = o ? o->caps : s->caps;
	size_t ram_pos = o ? (o->ram_pos ? o->ram_pos : o->pos) : (s->ram_pos ? s->ram_pos : s->pos);
	size_t caps_pos = o ? (o->caps_pos ? o->caps_pos : o->pos) : (s->caps_pos ? s->caps_pos : s->pos);
	char what[128], field[160], hint[320];
	if (o) {
		snprintf(what, sizeof what, "what the nested init '%s' has,", o->name);
		snprintf(field, sizeof field, "children.%s.resources.", o->name);
	} else {
		snprintf(what, sizeof what, "the system's");
		snprintf(field, sizeof field, "the system's ");
	}
	ram += own_ram;
	caps += own_caps;
	if (ram > have_ram) {
		snprintf(hint, sizeof hint, "raise %sram to at least %llu (%.1f MiB) or lower the children's",
			 field, (unsigned long long)ram, MIB(ram));
		sys_diag(r, SYS_ERROR, ram_pos, hint,
			 "the children's RAM (%.1f MiB) plus the init's own (%.0f MiB) exceeds %s %.1f MiB",
			 MIB(ram - own_ram), MIB(own_ram), what, MIB(have_ram));
	}
	if (caps > have_caps) {
		snprintf(hint, sizeof hint, "raise %scaps to at least %llu or lower the children's", field,
			 (unsigned long long)caps);
		sys_diag(r, SYS_ERROR, caps_pos, hint,
			 "the children's caps (%llu) plus the init's own (%llu) exceed %s %llu",
			 (unsigned long long)(caps - own_caps), (unsigned long long)own_caps, what,
			 (unsigned long long)have_caps);
	}
}

static void check_resources(const struct sys_system *s, struct sys_report *r)
{
	size_t n = s->nchildren, inits = 0;
	for (size_t i = 0; i < n; i++)
		inits += s->children[i].init != 0;
	/* sums per init: [n] is the system's own, [i] that of init child i */
	uint64_t *ram = inits ? calloc(n + 1, sizeof *ram) : NULL;
	uint64_t *caps = inits ? calloc(n + 1, sizeof *caps) : NULL;
	uint64_t top_ram = 0, top_caps = 0;
	if (inits && (!ram || !caps))
		goto out;
	for (size_t i = 0; i < n; i++) {
		const struct sys_child *c = &s->children[i];
		check_child_quota(c, r);
		if (c->parent == SIZE_MAX) {
			top_ram += c->ram;
			top_caps += c->caps;
		} else {
			ram[c->parent] += c->ram;
			caps[c->parent] += c->caps;
		}
	}
	check_budget(s, SIZE_MAX, top_ram, top_caps, r);
	for (size_t i = 0; inits && i < n; i++)
		if (s->children[i].init)
			check_budget(s, i, ram[i], caps[i], r);
out:
	free(ram);
	free(caps);
}

struct edge {
	size_t from, to;
};

/* Returns the route for use u of child ci (server SIZE_MAX when there is
 * none; the finding is reported). */
static struct sys_route route(const struct sys_system *s, const struct sys_providers *p, size_t ci,
			      const struct sys_use *u, struct sys_report *r, struct sys_route *all,
			      size_t *nall)
{
	const struct sys_child *c = &s->children[ci];
	struct sys_route m[8], none = {ci, SIZE_MAX, SIZE_MAX, SIZE_MAX, SIZE_MAX};
	char label[1024], hint[512], names[512] = "";
	size_t providers = 0;
	sys_full_label(c->name, u->label, label, sizeof label);
	if (strlen(label) > SYS_LABEL_MAX)
		sys_diag(r, SYS_ERROR, u->pos,
			 c->depth ? "shorten the names of the child, of the inits holding it, or the session label"
				  : "shorten the child name or the session label",
			 "child '%s': the label \"%.60s…\" is %zu characters, over the limit of %d", c->name,
			 label, strlen(label), SYS_LABEL_MAX);
	size_t nfound = sys_match_use(s, p, ci, u, m, sizeof m / sizeof *m, &providers);
	*nall = nfound < sizeof m / sizeof *m ? nfound : sizeof m / sizeof *m;
	memcpy(all, m, *nall * sizeof *m);
	if (nfound == 0) {
		if (providers == 0)
			snprintf(hint, sizeof hint, "add a child that provides \"%s\", or drop the use",
				 u->service);
		else
			snprintf(hint, sizeof hint,
				 "add a policy with label exact \"%.200s\" (or a matching prefix) to the server of "
				 "\"%.100s\"",
				 label, u->service);
		sys_diag(r, providers ? SYS_WARNING : SYS_ERROR, u->pos, hint,
			 "child '%s' uses \"%s\" (label \"%s\") but %s", c->name, u->service, label,
			 providers ? "no server's policy names it: denied" : "no child provides it");
		return none;
	}
	if (nfound > 1) {
		for (size_t k = 0; k < nfound && k < sizeof m / sizeof *m; k++) {
			size_t n = strlen(names);
			snprintf(names + n, sizeof names - n, "%s'%s'", n ? ", " : "",
				 m[k].server == SYS_PARENT ? "(the parent)" : s->children[m[k].server].name);
		}
		snprintf(hint, sizeof hint, "narrow the policies so that exactly one server matches \"%.300s\"",
			 label);
		sys_diag(r, SYS_ERROR, u->pos, hint,
			 "child '%s' uses \"%s\" (label \"%s\"): ambiguous, the policies of %s all match",
			 c->name, u->service, label, names);
		return none;
	}
	if (m[0].server == ci) {
		sys_diag(r, SYS_ERROR, u->pos, "a child cannot use its own service; drop the use",
			 "child '%s' uses \"%s\" from itself", c->name, u->service);
		return none;
	}
	return m[0];
}

/* 1 when a service of this name comes before sv[j] in the list: then the
 * list is refused ("provides twice") and sv[j]'s policies are not told
 * apart as unused. */
static int provided_before(const struct sys_service *sv, size_t j)
{
	for (size_t k = 0; k < j; k++)
		if (strcmp(sv[k].name, sv[j].name) == 0)
			return 1;
	return 0;
}

/* The services of one child (`owner`), or of the parent (owner NULL):
 * each name once, policies with selectors. */
static void check_service_list(const struct sys_service *svc, size_t nsvc, const char *owner,
			       struct sys_report *r)
{
	char who[160];
	if (owner)
		snprintf(who, sizeof who, "child '%s'", owner);
	else
		snprintf(who, sizeof who, "the parent");
	for (size_t j = 0; j < nsvc; j++) {
		const struct sys_service *sv = &svc[j];
		for (size_t k = 0; k < j; k++)
			if (strcmp(svc[k].name, sv->name) == 0)
				sys_diag(r, SYS_ERROR, sv->pos, "merge the two entries' policies",
					 "%s provides \"%s\" twice", who, sv->name);
		if (sv->npolicies == 0)
			sys_diag(r, SYS_WARNING, sv->pos, "add a policy naming the clients, or drop the service",
				 "%s provides \"%s\" with no policy: nobody can use it", who, sv->name);
		if (!owner && sv->path && sv->path[0] != '/')
			sys_diag(r, SYS_ERROR, sv->pos, "give the host's socket as an absolute path",
				 "the parent's service \"%s\": path \"%s\" is not absolute", sv->name, sv->path);
		for (size_t p = 0; p < sv->npolicies; p++) {
			const struct sys_label *l = &sv->policies[p].label;
			if (!l->exact && !l->prefix && !l->suffix)
				sys_diag(r, SYS_ERROR, sv->policies[p].pos, "set label.exact, label.prefix or label.suffix",
					 "%s, service \"%s\": a policy without a label selector (there are no wildcards)",
					 who, sv->name);
			else if (l->exact && (l->prefix || l->suffix))
				sys_diag(r, SYS_WARNING, sv->policies[p].pos, "keep only label.exact",
					 "%s, service \"%s\": label.exact together with a prefix or suffix (legal, "
					 "but usually a mistake)",
					 who, sv->name);
		}
	}
}

static void check_services(const struct sys_system *s, struct sys_report *r)
{
	size_t n = s->nchildren, nedges = 0, total_uses = 0;
	struct edge *edges = NULL;
	struct sys_providers prov = {NULL, 0};
	for (size_t i = 0; i < n; i++)
		total_uses += s->children[i].nuses;
	edges = calloc(total_uses + 1, sizeof *edges);
	if (!edges || sys_providers_init(s, &prov) != 0)
		goto out;
	for (size_t i = 0; i < n; i++)
		check_service_list(s->children[i].provides, s->children[i].nprovides, s->children[i].name, r);
	check_service_list(s->parent, s->nparent, NULL, r);
	/* per-policy use marks; [n] is the parent's */
	size_t npol = 0;
	size_t **pidx = calloc(n + 2, sizeof *pidx);
	if (!pidx)
		goto out;
	for (size_t i = 0; i <= n; i++) {
		const struct sys_service *sv = i < n ? s->children[i].provides : s->parent;
		size_t nsv = i < n ? s->children[i].nprovides : s->nparent;
		pidx[i] = calloc(nsv + 1, sizeof **pidx);
		if (!pidx[i])
			goto out2;
		for (size_t j = 0; j < nsv; j++) {
			pidx[i][j] = npol;
			npol += sv[j].npolicies;
		}
	}
	unsigned char *pused = calloc(npol + 1, 1);
	if (!pused)
		goto out2;
	for (size_t i = 0; i < n; i++) {
		const struct sys_child *c = &s->children[i];
		for (size_t u = 0; u < c->nuses; u++) {
			struct sys_route all[8], rt;
			size_t nall = 0;
			rt = route(s, &prov, i, &c->uses[u], r, all, &nall);
			/* a policy that matches a use is not unused, also when the
			 * route fails for another reason (ambiguous, the client itself) */
			for (size_t k = 0; k < nall; k++)
				pused[pidx[all[k].server == SYS_PARENT ? n : all[k].server][all[k].service] +
				      all[k].policy] = 1;
			if (rt.server == SIZE_MAX)
				continue;
			if (rt.server != SYS_PARENT)
				edges[nedges++] = (struct edge){i, rt.server};
		}
	}
	for (size_t i = 0; i <= n; i++) {
		const struct sys_service *sv = i < n ? s->children[i].provides : s->parent;
		size_t nsv = i < n ? s->children[i].nprovides : s->nparent;
		for (size_t j = 0; j < nsv; j++)
			for (size_t p = 0; p < sv[j].npolicies; p++) {
				const struct sys_policy *pol = &sv[j].policies[p];
				char sel[512];
				if (pused[pidx[i][j] + p] || !(pol->label.exact || pol->label.prefix || pol->label.suffix) ||
				    provided_before(sv, j))
					continue;
				if (i < n)
					sys_diag(r, SYS_WARNING, pol->pos, "remove the policy or fix its label",
						 "child '%s', service \"%s\": the policy (%s) matches no client",
						 s->children[i].name, sv[j].name, sys_label_text(&pol->label, sel, sizeof sel));
				else
					sys_diag(r, SYS_WARNING, pol->pos, "remove the policy or fix its label",
						 "the parent's service \"%s\": the policy (%s) matches no client",
						 sv[j].name, sys_label_text(&pol->label, sel, sizeof sel));
			}
	}
	/* cycles: depth-first search over client → server edges; the edges
	 * were added client by client, so those of v are first[v]..first[v+1] */
	int *state = calloc(n + 1, sizeof *state);
	size_t *stack = calloc(n + 1, sizeof *stack), *it = calloc(n + 1, sizeof *it);
	size_t *first = calloc(n + 2, sizeof *first);
	if (state && stack && it && first) {
		for (size_t k = 0; k < nedges; k++)
			first[edges[k].from + 1]++;
		for (size_t v = 0; v < n; v++)
			first[v + 1] += first[v];
		for (size_t root = 0; root < n; root++) {
			if (state[root])
				continue;
			size_t sp = 0;
			stack[sp] = root;
			it[sp] = first[root];
			state[root] = 1;
			sp++;
			while (sp) {
				size_t v = stack[sp - 1], k = it[sp - 1]++;
				if (k >= first[v + 1]) {
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
					it[sp] = first[w];
					sp++;
				}
			}
		}
	}
	free(first);
	free(state);
	free(stack);
	free(it);
	free(pused);
out2:
	for (size_t i = 0; i <= n; i++)
		free(pidx[i]);
	free(pidx);
out:
	sys_providers_free(&prov);
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

static void check_grants(const struct sys_system *s, struct sys_report *r)
{
	for (size_t i = 0; i < s->nchildren; i++) {
		const struct sys_child *c = &s->children[i];
		for (size_t k = 0; k < c->nseccomp; k++)
			if (!sys_seccomp_known(c->seccomp[k]))
				sys_diag(r, SYS_ERROR, c->seccomp_pos,
					 "name a call the default filter denies (docs/sigil-init.8, SECCOMP)",
					 "child '%s': seccomp \"%s\" is not a system call the default filter denies",
					 c->name, c->seccomp[k]);
		if (c->has_syscalls && c->nseccomp)
			sys_diag(r, SYS_ERROR, c->syscalls_pos,
				 "drop seccomp: with syscalls, the list is all the child may call",
				 "child '%s': seccomp and syscalls are both given", c->name);
		for (size_t k = 0; k < c->nsyscalls; k++)
			if (seccomp_syscall_resolve_name(c->syscalls[k]) == __NR_SCMP_ERROR)
				sys_diag(r, SYS_ERROR, c->syscalls_pos,
					 "name a system call as the kernel does (e.g. \"openat\")",
					 "child '%s': syscalls \"%s\" is not a system call", c->name,
					 c->syscalls[k]);
		for (size_t k = 0; k < c->ncapabilities; k++)
			if (sys_cap_number(c->capabilities[k]) < 0)
				sys_diag(r, SYS_ERROR, c->capabilities_pos,
					 "name a capability as CAP_NET_BIND_SERVICE or net_bind_service",
					 "child '%s': \"%s\" is not a capability", c->name,
					 c->capabilities[k]);
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
	check_grants(s, r);
	return r->errors - before;
}
