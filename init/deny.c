/*
 * deny.c — denials: a child that reaches for a service no policy routes to
 * it finds no service, and the attempt is recorded with the policies that
 * would have had to name it.
 *
 * For every service some child provides, init listens on a trap socket of
 * its own, RUNDIR/.trap/SERVICE (mode 0666; one per service name). In every
 * child that neither provides the service nor is routed to it, that socket
 * is bind-mounted at the path a routed use gets by default,
 * /run/SERVICE.sock (rom.c calls init_deny_bind while it prepares the
 * root; a path something else holds already is left alone). A connection
 * there is accepted and closed at once: the client reads end-of-file and
 * nothing reaches any server. The peer's credentials (SO_PEERCRED) name
 * the child: the one whose PID namespace the peer is in (its stub is PID
 * 1 there), else the one whose uid it has. The child's record (service,
 * path, count) goes into the state report (report.c) with the candidate
 * policies, i.e. every policy of every child that provides the service,
 * and the label the child would have had to match (its name).
 *
 * Trap sockets join the one poll loop (supervisor.c) like the forwards;
 * init_deny_teardown closes and removes them (the bind mounts go with the
 * children's roots).
 */
#include "init.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "banned.h"

static int have_trap(const struct init *in, const char *service)
{
	for (size_t t = 0; t < in->ntraps; t++)
		if (strcmp(in->traps[t].service, service) == 0)
			return 1;
	return 0;
}

/* A listening socket bound at dir/name (bound from inside dir, so a long
 * run directory does not hit the 108 bytes of sun_path). -1 on failure. */
static int trap_socket(const char *dir, const char *name)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = -1, cwd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cwd < 0 || strlen(name) >= sizeof sa.sun_path)
		goto fail;
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", name);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || chdir(dir) != 0)
		goto fail;
	unlink(name);
	int rc = bind(fd, (struct sockaddr *)&sa, sizeof sa);
	if (rc == 0)
		rc = chmod(name, 0666);
	if (fchdir(cwd) != 0 || rc != 0 || listen(fd, 16) != 0)
		goto fail;
	close(cwd);
	return fd;
fail:
	if (fd >= 0)
		close(fd);
	if (cwd >= 0)
		close(cwd);
	return -1;
}

int init_deny_setup(struct init *in)
{
	char dir[4110];
	snprintf(dir, sizeof dir, "%s/.trap", in->rundir);
	for (size_t i = 0; i < in->n; i++)
		for (size_t j = 0; j < in->c[i].sys->nprovides; j++) {
			const char *svc = in->c[i].sys->provides[j].name;
			if (have_trap(in, svc) || strchr(svc, '/') || svc[0] == '.')
				continue; /* a bad name is refused by rom.c */
			if (!in->ntraps && mkdir(dir, 0755) != 0 && errno != EEXIST)
				goto fail;
			struct init_trap *nt = realloc(in->traps, (in->ntraps + 1) * sizeof *nt);
			if (!nt)
				goto fail;
			in->traps = nt;
			struct init_trap *t = &in->traps[in->ntraps];
			t->service = svc;
			if ((size_t)snprintf(t->path, sizeof t->path, "%s/%s", dir, svc) >= sizeof t->path) {
				errno = ENAMETOOLONG;
				goto fail;
			}
			if ((t->fd = trap_socket(dir, svc)) < 0)
				goto fail;
			in->ntraps++;
		}
	return 0;
fail:
	init_say("cannot make the denial socket for a service in %s: %s", dir, strerror(errno));
	return -1;
}

int init_deny_bind(struct init *in, struct init_child *c)
{
	char rel[4200], dst[4200];
	struct stat st;
	for (size_t t = 0; t < in->ntraps; t++) {
		const char *svc = in->traps[t].service;
		int skip = 0;
		for (size_t j = 0; j < c->sys->nprovides; j++)
			skip |= strcmp(c->sys->provides[j].name, svc) == 0;
		for (size_t k = 0; k < c->nbinds; k++)
			skip |= strcmp(c->binds[k].service, svc) == 0;
		for (size_t k = 0; k < c->nhbinds; k++)
			skip |= strcmp(c->hbinds[k].service, svc) == 0;
		snprintf(rel, sizeof rel, "/run/%s.sock", svc);
		if ((size_t)snprintf(dst, sizeof dst, "%s%s", c->root, rel) >= sizeof dst)
			return -1;
		if (skip || lstat(dst, &st) == 0)
			continue;
		snprintf(rel, sizeof rel, "%s/run", c->root);
		if (mkdir(rel, 0755) != 0 && errno != EEXIST)
			return -1;
		int fd = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0444);
		if (fd < 0)
			return -1;
		close(fd);
		if (mount(in->traps[t].path, dst, NULL, MS_BIND, NULL) != 0)
			return -1;
	}
	return 0;
}

size_t init_deny_npoll(const struct init *in)
{
	return in->ntraps;
}

size_t init_deny_poll(struct init *in, struct pollfd *pfd)
{
	for (size_t t = 0; t < in->ntraps; t++)
		pfd[t] = (struct pollfd){in->traps[t].fd, POLLIN, 0};
	return in->ntraps;
}

/* The child a peer belongs to: its PID namespace is the one of a child's
 * stub, else its uid is a child's. NULL when neither. */
static struct init_child *peer_child(struct init *in, const struct ucred *cr)
{
	char p[64];
	struct stat pst, cst;
	snprintf(p, sizeof p, "/proc/%ld/ns/pid", (long)cr->pid);
	int have_ns = cr->pid > 0 && stat(p, &pst) == 0;
	for (size_t i = 0; have_ns && i < in->n; i++) {
		if (in->c[i].pid <= 0)
			continue;
		snprintf(p, sizeof p, "/proc/%ld/ns/pid", (long)in->c[i].pid);
		if (stat(p, &cst) == 0 && cst.st_ino == pst.st_ino && cst.st_dev == pst.st_dev)
			return &in->c[i];
	}
	for (size_t i = 0; i < in->n; i++)
		if (in->c[i].uid == cr->uid && cr->uid != 0)
			return &in->c[i];
	return NULL;
}

static void record(struct init *in, struct init_child *c, const char *svc)
{
	for (size_t k = 0; k < c->ndenials; k++)
		if (strcmp(c->denials[k].service, svc) == 0) {
			c->denials[k].count++;
			in->dirty = 1;
			return;
		}
	struct init_denial *nd = realloc(c->denials, (c->ndenials + 1) * sizeof *nd);
	if (!nd)
		return;
	c->denials = nd;
	c->denials[c->ndenials++] = (struct init_denial){svc, 1};
	init_say("child '%s' tried \"%s\" at /run/%s.sock, which no policy routes to it: denied",
		 c->name, svc, svc);
	in->dirty = 1;
}

void init_deny_events(struct init *in, const struct pollfd *pfd, size_t n)
{
	for (size_t t = 0; t < n && t < in->ntraps; t++) {
		if (!(pfd[t].revents & POLLIN))
			continue;
		for (int k = 0; k < 64; k++) { /* a bounded batch per round */
			int s = accept4(in->traps[t].fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
			if (s < 0)
				break;
			struct ucred cr;
			socklen_t len = sizeof cr;
			struct init_child *c = NULL;
			if (getsockopt(s, SOL_SOCKET, SO_PEERCRED, &cr, &len) == 0)
				c = peer_child(in, &cr);
			close(s);
			if (c)
				record(in, c, in->traps[t].service);
		}
	}
}

void init_deny_teardown(struct init *in)
{
	for (size_t t = 0; t < in->ntraps; t++) {
		close(in->traps[t].fd);
		unlink(in->traps[t].path);
	}
	if (in->ntraps) {
		char dir[4200];
		snprintf(dir, sizeof dir, "%s/.trap", in->rundir);
		rmdir(dir);
	}
	free(in->traps);
	in->traps = NULL;
	in->ntraps = 0;
}
