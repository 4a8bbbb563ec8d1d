/*
 * deny.c — denials: a child that declares a use of a service which exists
 * but whose policies do not name it (sigil check warns: "no server's
 * policy names it: denied") finds nothing at the use's path — connect(2)
 * gets ENOENT, as for a service that does not exist — and the denial is
 * in the state report with the candidate policies.
 *
 * As in Genode, the decision is made from the routes, once, when the
 * system starts: rom.c calls init_deny_record while it prepares a child's
 * root, after its routed services are in place, and every use of the
 * child that neither a server nor the parent serves becomes a record
 * (service, path, full label). Nothing is made at the path, so there is
 * nothing to observe at run time: the report says what was denied, not
 * how often it was tried. report.c adds the candidates: every policy of
 * every child providing the service, one of which would have to match the
 * label for a route. A child reaching for a path it never declared finds
 * nothing there either, and nothing is recorded.
 */
#include "init.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "banned.h"

int init_deny_record(struct init_child *c)
{
	char path[512];
	for (size_t u = 0; u < c->sys->nuses; u++) {
		const struct sys_use *use = &c->sys->uses[u];
		int routed = 0;
		if (use->path && use->path[0])
			snprintf(path, sizeof path, "%s", use->path);
		else
			snprintf(path, sizeof path, "/run/%s.sock", use->service);
		for (size_t k = 0; k < c->nbinds; k++)
			routed |= strcmp(c->binds[k].service, use->service) == 0 &&
				  strcmp(c->binds[k].path, path) == 0;
		for (size_t k = 0; k < c->nhbinds; k++)
			routed |= strcmp(c->hbinds[k].service, use->service) == 0 &&
				  strcmp(c->hbinds[k].path, path) == 0;
		if (routed)
			continue;
		struct init_denial *nd = realloc(c->denials, (c->ndenials + 1) * sizeof *nd);
		if (!nd)
			return -1;
		c->denials = nd;
		struct init_denial *d = &c->denials[c->ndenials++];
		d->service = use->service;
		snprintf(d->path, sizeof d->path, "%s", path);
		snprintf(d->label, sizeof d->label, "%s%s%s", c->name,
			 use->label && use->label[0] ? " -> " : "", use->label ? use->label : "");
		init_say("child '%s': \"%s\" (label \"%s\") is denied: no policy names it, nothing at %s",
			 c->name, d->service, d->label, d->path);
	}
	return 0;
}
