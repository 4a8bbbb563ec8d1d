/*
 * net.c — uplinks: a veth pair per child that declares one, and its port
 * forwards as a small TCP proxy inside the supervisor's poll loop.
 *
 * Addressing (a child's `address = "A/N"`, 1 <= N <= 30):
 *
 *   child side  "eth0" in the child's network namespace, A/N, up, and a
 *               default route via G (set by the child itself, sandbox.c
 *               phase 4, with ioctls: it still has CAP_NET_ADMIN there)
 *   host side   "sgPID-I" (init's PID, the child's index) in init's
 *               namespace: G peer A/32 (point to point), up, IPv6 off.
 *               G is the first host address of A/N (.1 of a /24), or the
 *               second when A is the first.
 *
 * The /32 peer route means several children may share a subnet (each
 * host side holds the same G, each routes only its child's A), and the
 * host gains no route to the rest of A/N. Init neither enables IP
 * forwarding nor adds NAT: traffic of the child reaches the host side
 * and ends there unless the host forwards by its own configuration.
 *
 * The veth is made with rtnetlink on a raw socket (no iproute2 needed at
 * run time): one RTM_NEWLINK creates both ends, the peer directly in the
 * namespace of the child's stub (IFLA_NET_NS_PID), before the stub is let
 * go; then RTM_NEWADDR and RTM_NEWLINK (up) on the host side. When the
 * child's namespace goes, the kernel deletes both ends; init also deletes
 * the host side (RTM_DELLINK) when the child died, before a restart makes
 * a new one, and at teardown, so nothing is left.
 *
 * Forwards (`host → child`), tcp: init listens on 127.0.0.1:HOST (only
 * loopback; as PID 1 of a VM, on its NIC's address and that interface
 * only: init_opts.fwd_addr, pid1.c) from the network phase on, so a
 * port in use stops the system before anything starts. Each accepted
 * connection gets an upstream socket bound to the host-side veth (SO_BINDTODEVICE: it can go nowhere else)
 * connecting to A:CHILD; bytes are copied both ways through one buffer per
 * direction, half-closes passed on, and both sockets closed on an error or
 * when both directions ended. A connection while the child is not running
 * is closed at once. Where it can, redirect.c also makes every tcp forward
 * in the kernel (a connect() to 127.0.0.1:HOST goes to A:CHILD itself), and
 * this proxy serves only what that does not reach.
 *
 * udp: init's socket bound to 127.0.0.1:HOST keeps one session per client
 * address (at most NET_MAX_UDP; idle ones expire after NET_UDP_IDLE_MS),
 * each with its own upstream socket, bound to the veth likewise and
 * connected to A:CHILD; the child's replies go back to that client.
 * Datagrams while the child is not running are dropped.
 *
 * Every socket sits in one epoll instance (level triggered; a tcp socket's
 * interest changes only when a buffer fills or empties) and the supervisor
 * polls just its descriptor: a wake-up costs what is ready, not the number
 * of connections.
 *
 * Checks, failing closed before anything starts: an address that does not
 * parse, a prefix outside 1..30, an address that is already one of this
 * host's, or two children with the same address.
 */
#include "init.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "banned.h"

#define NET_BUF 16384      /* per direction and connection */
#define NET_MAX_CONNS 1024 /* more are accepted and closed at once */
#define NET_MAX_UDP 256    /* udp sessions; the least recent goes for a new one */
#define NET_UDP_IDLE_MS 60000

struct conn;

/* What an epoll event points at: a listener (k NULL) or one socket of a
 * connection. */
struct usess;

struct handle {
	struct conn *k;
	struct fwd *f;
	struct usess *u; /* a udp session's upstream socket */
	int client;      /* the client's socket (else the upstream's) */
};

struct fwd {
	int fd;          /* listening (tcp) or bound (udp) on 127.0.0.1:host */
	int udp;
	size_t child;
	uint16_t host, port;
	struct handle h;
};

/* udp: one session per client address, its own upstream socket connected
 * to the child; idle ones expire. */
struct usess {
	struct sockaddr_in peer;
	struct fwd *f;
	int fd;
	int64_t last;    /* ms, last datagram either way */
	struct handle h;
};

struct dir {
	char b[NET_BUF];
	size_t off, len;
	int eof, shut;
	int drained;     /* the last read was short: read again after POLLIN */
};

struct conn {
	int cfd, ufd;    /* client, upstream */
	int connecting;
	int dead;
	uint32_t cmask, umask; /* the events registered for each */
	struct handle hc, hu;
	struct dir up, down; /* client → child, child → client */
};

struct init_net {
	int ep;          /* epoll: every listener and connection socket */
	struct fwd *f;
	size_t nf;
	struct conn **conns;
	size_t nconns;
	struct usess *us[NET_MAX_UDP];
};

/* ------------------------------------------------------------ rtnetlink */

struct nlreq {
	struct nlmsghdr n;
	char buf[1024];
};

static struct rtattr *nl_put(struct nlreq *r, unsigned short type, const void *data, size_t len)
{
	size_t at = NLMSG_ALIGN(r->n.nlmsg_len);
	if (at + RTA_SPACE(len) > sizeof *r)
		return NULL;
	struct rtattr *a = (struct rtattr *)(void *)((char *)r + at);
	a->rta_type = type;
	a->rta_len = (unsigned short)RTA_LENGTH(len);
	if (len)
		memcpy(RTA_DATA(a), data, len);
	r->n.nlmsg_len = (uint32_t)(at + RTA_ALIGN(a->rta_len));
	return a;
}

static void nl_end(struct nlreq *r, struct rtattr *nest)
{
	nest->rta_len = (unsigned short)((char *)r + r->n.nlmsg_len - (char *)nest);
}

/* Sends one request and waits for its acknowledgement: 0, or -1 with errno. */
static int nl_talk(struct nlreq *r)
{
	static uint32_t seq;
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK};
	char ans[4096];
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE), rc = -1, e = EIO;
	if (fd < 0)
		return -1;
	r->n.nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	r->n.nlmsg_seq = ++seq;
	if (sendto(fd, r, r->n.nlmsg_len, 0, (struct sockaddr *)&sa, sizeof sa) < 0) {
		e = errno;
		goto out;
	}
	for (;;) {
		ssize_t n = recv(fd, ans, sizeof ans, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			e = errno;
			goto out;
		}
		for (struct nlmsghdr *h = (struct nlmsghdr *)(void *)ans; NLMSG_OK(h, (size_t)n);
		     h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_seq != r->n.nlmsg_seq || h->nlmsg_type != NLMSG_ERROR)
				continue;
			const struct nlmsgerr *er = NLMSG_DATA(h);
			e = -er->error;
			rc = er->error == 0 ? 0 : -1;
			goto out;
		}
	}
out:
	close(fd);
	errno = rc == 0 ? 0 : e;
	return rc;
}

static void nl_start(struct nlreq *r, uint16_t type, uint16_t flags, const void *hdr, size_t len)
{
	memset(r, 0, sizeof *r);
	r->n.nlmsg_len = (uint32_t)NLMSG_LENGTH(len);
	r->n.nlmsg_type = type;
	r->n.nlmsg_flags = flags;
	memcpy(NLMSG_DATA(&r->n), hdr, len);
}

static int link_del(const char *name)
{
	struct nlreq r;
	struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC};
	nl_start(&r, RTM_DELLINK, 0, &ifi, sizeof ifi);
	if (!nl_put(&r, IFLA_IFNAME, name, strlen(name) + 1))
		return -1;
	return nl_talk(&r);
}

/* host side `host` in init's namespace, peer "eth0" in the namespace of pid. */
static int veth_add(const char *host, pid_t pid)
{
	struct nlreq r;
	struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC};
	uint32_t p = (uint32_t)pid;
	nl_start(&r, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, &ifi, sizeof ifi);
	struct rtattr *info, *data, *peer;
	if (!nl_put(&r, IFLA_IFNAME, host, strlen(host) + 1) ||
	    !(info = nl_put(&r, IFLA_LINKINFO, NULL, 0)) ||
	    !nl_put(&r, IFLA_INFO_KIND, "veth", 5) ||
	    !(data = nl_put(&r, IFLA_INFO_DATA, NULL, 0)) ||
	    !(peer = nl_put(&r, VETH_INFO_PEER, &ifi, sizeof ifi)) ||
	    !nl_put(&r, IFLA_IFNAME, "eth0", 5) || !nl_put(&r, IFLA_NET_NS_PID, &p, sizeof p)) {
		errno = ENOBUFS;
		return -1;
	}
	nl_end(&r, peer);
	nl_end(&r, data);
	nl_end(&r, info);
	return nl_talk(&r);
}

static int host_side_up(const char *host, uint32_t gw, uint32_t addr)
{
	struct nlreq r;
	unsigned idx = if_nametoindex(host);
	if (!idx)
		return -1;
	struct ifaddrmsg ifa = {.ifa_family = AF_INET, .ifa_prefixlen = 32, .ifa_index = idx};
	nl_start(&r, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, &ifa, sizeof ifa);
	if (!nl_put(&r, IFA_LOCAL, &gw, 4) || !nl_put(&r, IFA_ADDRESS, &addr, 4) || nl_talk(&r) != 0)
		return -1;
	struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC, .ifi_index = (int)idx, .ifi_flags = IFF_UP,
				.ifi_change = IFF_UP};
	nl_start(&r, RTM_NEWLINK, 0, &ifi, sizeof ifi);
	return nl_talk(&r);
}

static void ipv6_off(const char *host)
{
	char p[128];
	snprintf(p, sizeof p, "/proc/sys/net/ipv6/conf/%s/disable_ipv6", host);
	int fd = open(p, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	if (write(fd, "1", 1) != 1)
		init_say("cannot turn IPv6 off on %s: %s", host, strerror(errno));
	close(fd);
}

/* ------------------------------------------------------------ set up */

static int parse_cidr(struct init_child *c)
{
	char a[64];
	const char *s = c->sys->uplink.address, *slash = strchr(s, '/');
	struct in_addr in4;
	char *end;
	if (!slash || (size_t)(slash - s) >= sizeof a)
		goto bad;
	memcpy(a, s, (size_t)(slash - s));
	a[slash - s] = 0;
	long n = strtol(slash + 1, &end, 10);
	if (inet_pton(AF_INET, a, &in4) != 1 || *end || end == slash + 1 || n < 1 || n > 30)
		goto bad;
	uint32_t h = ntohl(in4.s_addr), mask = n ? ~0u << (32 - n) : 0;
	uint32_t net = h & mask, bcast = net | ~mask;
	if (h == net || h == bcast)
		goto bad;
	uint32_t gw = net + 1 == h ? net + 2 : net + 1;
	c->net_addr = in4.s_addr;
	c->net_mask = htonl(mask);
	c->net_gw = htonl(gw);
	return 0;
bad:
	init_say("child '%s': uplink address \"%s\" is not IPv4 A/N with N in 1..30 (a host "
		 "address, not the subnet's or its broadcast)", c->name, s);
	return -1;
}

/* 1 when `a` is already an address of this host (bind succeeds). */
static int is_local(uint32_t a)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = a};
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), r = 0;
	if (fd < 0)
		return 1; /* cannot tell: refuse */
	r = bind(fd, (struct sockaddr *)&sin, sizeof sin) == 0;
	close(fd);
	return r;
}

/* On 127.0.0.1:port, or on in->o.fwd_addr (and fwd_dev) when set: as PID
 * 1 of a VM the forwards listen on its NIC, which QEMU's user network
 * reaches only from the host's 127.0.0.1 (pid1.c). */
static int listen_on(const struct init *in, uint16_t port, int udp)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(port),
				  .sin_addr.s_addr = in->o.fwd_addr ? in->o.fwd_addr
								    : htonl(INADDR_LOOPBACK)};
	int one = 1, fd = socket(AF_INET, (udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -1;
	if ((in->o.fwd_dev && setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, in->o.fwd_dev,
					 (socklen_t)strlen(in->o.fwd_dev)) != 0) ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
	    bind(fd, (struct sockaddr *)&sin, sizeof sin) != 0 || (!udp && listen(fd, 128) != 0)) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

int init_net_setup(struct init *in)
{
	struct init_net *net = calloc(1, sizeof *net);
	size_t total = 0;
	if (!net)
		goto nomem;
	in->net = net;
	if ((net->ep = epoll_create1(EPOLL_CLOEXEC)) < 0) {
		init_say("cannot make an epoll instance: %s", strerror(errno));
		return -1;
	}
	for (size_t i = 0; i < in->n; i++) {
		struct init_child *c = &in->c[i];
		if (!c->sys->uplink.present)
			continue;
		if (parse_cidr(c) != 0)
			return -1;
		if (is_local(c->net_addr)) {
			init_say("child '%s': uplink address %s is already an address of this host",
				 c->name, c->sys->uplink.address);
			return -1;
		}
		for (size_t k = 0; k < i; k++)
			if (in->c[k].uplink && in->c[k].net_addr == c->net_addr) {
				init_say("children '%s' and '%s' have the same uplink address %s",
					 in->c[k].name, c->name, c->sys->uplink.address);
				return -1;
			}
		c->uplink = 1;
		snprintf(c->veth, sizeof c->veth, "sg%u-%u", (unsigned)getpid() % 10000000u, (unsigned)(i % 10000));
		total += c->sys->uplink.nforwards;
	}
	net->f = calloc(total + 1, sizeof *net->f);
	if (!net->f)
		goto nomem;
	for (size_t i = 0; i < in->n; i++) {
		const struct sys_uplink *u = &in->c[i].sys->uplink;
		for (size_t k = 0; in->c[i].uplink && k < u->nforwards; k++) {
			const struct sys_forward *fw = &u->forwards[k];
			struct fwd *f = &net->f[net->nf];
			f->child = i;
			f->host = (uint16_t)fw->host;
			f->port = (uint16_t)fw->child;
			f->udp = strcmp(fw->proto, "udp") == 0;
			if ((f->fd = listen_on(in, f->host, f->udp)) < 0) {
				char a[INET_ADDRSTRLEN] = "127.0.0.1";
				if (in->o.fwd_addr)
					inet_ntop(AF_INET, &in->o.fwd_addr, a, sizeof a);
				init_say("child '%s': cannot listen on %s:%u for its forward: %s",
					 in->c[i].name, a, f->host, strerror(errno));
				return -1;
			}
			net->nf++;
			f->h.f = f;
			struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &f->h};
			if (epoll_ctl(net->ep, EPOLL_CTL_ADD, f->fd, &ev) != 0) {
				init_say("cannot watch port %u: %s", f->host, strerror(errno));
				return -1;
			}
		}
	}
	/* the tcp forwards also in the kernel (redirect.c), where it can */
	uint16_t *host = calloc(net->nf + 1, sizeof *host), *port = calloc(net->nf + 1, sizeof *port);
	size_t *child = calloc(net->nf + 1, sizeof *child), ntcp = 0;
	int rc = host && port && child ? 0 : -1;
	for (size_t k = 0; rc == 0 && k < net->nf; k++)
		if (!net->f[k].udp) {
			host[ntcp] = net->f[k].host;
			port[ntcp] = net->f[k].port;
			child[ntcp++] = net->f[k].child;
		}
	if (rc == 0 && ntcp)
		rc = init_redirect_setup(in, net->f[0].fd, host, child, port, ntcp);
	free(host);
	free(port);
	free(child);
	if (rc != 0)
		goto nomem;
	return 0;
nomem:
	init_say("out of memory");
	return -1;
}

int init_net_up(struct init *in, struct init_child *c, pid_t pid)
{
	(void)in;
	int tries = 0;
	link_del(c->veth); /* the last run's, if the kernel has not yet */
	while (veth_add(c->veth, pid) != 0) {
		if (errno != EEXIST || ++tries > 50)
			goto fail;
		struct timespec ts = {0, 10 * 1000000};
		nanosleep(&ts, NULL);
		link_del(c->veth);
	}
	ipv6_off(c->veth);
	if (host_side_up(c->veth, c->net_gw, c->net_addr) != 0)
		goto fail;
	return 0;
fail:
	snprintf(c->reason, sizeof c->reason, "cannot make its uplink %s: %s", c->veth,
		 strerror(errno));
	link_del(c->veth);
	return -1;
}

void init_net_down(struct init_child *c)
{
	if (c->uplink && link_del(c->veth) != 0 && errno != ENODEV)
		init_say("cannot delete %s: %s", c->veth, strerror(errno));
}

/* ------------------------------------------------------------ the proxy */

/* An upstream socket to child c's addr:port over its veth (nonblocking,
 * connect started); -1 when it cannot be made. */
static int upstream(const struct init_child *c, uint16_t port, int udp)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(port),
				  .sin_addr.s_addr = c->net_addr};
	int fd = socket(AF_INET, (udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -1;
	if (setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, c->veth, (socklen_t)strlen(c->veth)) != 0 ||
	    (connect(fd, (struct sockaddr *)&sin, sizeof sin) != 0 && errno != EINPROGRESS)) {
		close(fd);
		return -1;
	}
	return fd;
}

static void usess_free(struct init_net *net, size_t i)
{
	if (!net->us[i])
		return;
	close(net->us[i]->fd);
	free(net->us[i]);
	net->us[i] = NULL;
}

/* Datagrams from clients on f's socket go to each client's session. */
static void on_udp(struct init *in, struct fwd *f)
{
	struct init_net *net = in->net;
	char buf[65536];
	for (int round = 0; round < 64; round++) {
		struct sockaddr_in peer;
		socklen_t plen = sizeof peer;
		ssize_t n = recvfrom(f->fd, buf, sizeof buf, 0, (struct sockaddr *)&peer, &plen);
		if (n < 0)
			return;
		const struct init_child *c = &in->c[f->child];
		if (c->state != ST_RUNNING)
			continue;
		struct usess *u = NULL;
		size_t slot = 0, oldest = 0;
		for (size_t i = 0; i < NET_MAX_UDP && !u; i++) {
			struct usess *x = net->us[i];
			if (x && x->f == f && x->peer.sin_port == peer.sin_port &&
			    x->peer.sin_addr.s_addr == peer.sin_addr.s_addr)
				u = x;
			else if (!x)
				slot = i + 1; /* a free slot (+1: 0 means none) */
			else if (!net->us[oldest] || x->last < net->us[oldest]->last)
				oldest = i;
		}
		if (!u) {
			size_t i = slot ? slot - 1 : oldest;
			usess_free(net, i);
			if (!(u = calloc(1, sizeof *u)))
				continue;
			u->f = f;
			u->peer = peer;
			u->h = (struct handle){NULL, NULL, u, 0};
			struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &u->h};
			if ((u->fd = upstream(c, f->port, 1)) < 0 ||
			    epoll_ctl(net->ep, EPOLL_CTL_ADD, u->fd, &ev) != 0) {
				if (u->fd >= 0)
					close(u->fd);
				free(u);
				continue;
			}
			net->us[i] = u;
		}
		u->last = init_now_ms();
		if (send(u->fd, buf, (size_t)n, 0) < 0 && errno != EAGAIN)
			continue; /* a datagram lost, as udp may */
	}
}

/* Datagrams from the child go back to the session's client. */
static void on_udp_reply(struct init_net *net, struct usess *u)
{
	char buf[65536];
	for (int round = 0; round < 64; round++) {
		ssize_t n = recv(u->fd, buf, sizeof buf, 0);
		if (n < 0)
			return;
		u->last = init_now_ms();
		sendto(u->f->fd, buf, (size_t)n, 0, (struct sockaddr *)&u->peer, sizeof u->peer);
	}
	(void)net;
}

/* Sessions idle for NET_UDP_IDLE_MS, or whose child is not running. */
static void udp_expire(struct init *in)
{
	int64_t now = init_now_ms();
	for (size_t i = 0; i < NET_MAX_UDP; i++) {
		struct usess *u = in->net->us[i];
		if (u && (now - u->last > NET_UDP_IDLE_MS || in->c[u->f->child].state != ST_RUNNING))
			usess_free(in->net, i);
	}
}

static void conn_close(struct conn *k)
{
	if (k->cfd >= 0)
		close(k->cfd);
	if (k->ufd >= 0)
		close(k->ufd);
	k->cfd = k->ufd = -1;
	k->dead = 1;
}

/* What each socket of k waits for now; registers changes (level
 * triggered: a socket ready and wanted is reported until it is served). */
static void conn_watch(struct init_net *net, struct conn *k, int add)
{
	uint32_t cm = 0, um;
	if (k->connecting) {
		um = EPOLLOUT;
	} else {
		cm = (!k->up.eof && !k->up.len ? EPOLLIN : 0) | (k->down.off < k->down.len ? EPOLLOUT : 0);
		um = (!k->down.eof && !k->down.len ? EPOLLIN : 0) | (k->up.off < k->up.len ? EPOLLOUT : 0);
	}
	struct epoll_event ev = {.events = cm, .data.ptr = &k->hc};
	if ((add || cm != k->cmask) &&
	    epoll_ctl(net->ep, add ? EPOLL_CTL_ADD : EPOLL_CTL_MOD, k->cfd, &ev) != 0)
		goto fail;
	k->cmask = cm;
	ev = (struct epoll_event){.events = um, .data.ptr = &k->hu};
	if ((add || um != k->umask) &&
	    epoll_ctl(net->ep, add ? EPOLL_CTL_ADD : EPOLL_CTL_MOD, k->ufd, &ev) != 0)
		goto fail;
	k->umask = um;
	return;
fail:
	conn_close(k);
}

static void on_accept(struct init *in, struct fwd *f)
{
	struct init_net *net = in->net;
	for (int round = 0; round < 64; round++) {
		int cfd = accept4(f->fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (cfd < 0)
			return;
		struct init_child *c = &in->c[f->child];
		struct conn *k = NULL, **nk;
		if (c->state != ST_RUNNING || net->nconns >= NET_MAX_CONNS ||
		    !(k = calloc(1, sizeof *k)) ||
		    !(nk = realloc(net->conns, (net->nconns + 1) * sizeof *nk))) {
			free(k);
			close(cfd);
			continue;
		}
		net->conns = nk;
		k->cfd = cfd;
		k->ufd = upstream(c, f->port, 0);
		if (k->ufd < 0) {
			conn_close(k);
			free(k);
			continue;
		}
		int one = 1;
		setsockopt(k->ufd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		setsockopt(k->cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		k->connecting = 1;
		k->hc = (struct handle){k, NULL, NULL, 1};
		k->hu = (struct handle){k, NULL, NULL, 0};
		net->conns[net->nconns++] = k;
		conn_watch(net, k, 1);
	}
}

/* Moves what it can from src to dst through d: 0, or -1 on an error. */
static int pump(int src, int dst, struct dir *d)
{
	for (;;) {
		if (d->off < d->len) {
			ssize_t n = send(dst, d->b + d->off, d->len - d->off, MSG_NOSIGNAL);
			if (n < 0)
				return errno == EAGAIN || errno == EINTR ? 0 : -1;
			d->off += (size_t)n;
			if (d->off == d->len)
				d->off = d->len = 0;
			continue;
		}
		if (d->eof) {
			if (!d->shut && shutdown(dst, SHUT_WR) != 0 && errno != ENOTCONN)
				return -1;
			d->shut = 1;
			return 0;
		}
		if (d->drained) /* a short read emptied the queue: poll says when more came */
			return 0;
		ssize_t n = recv(src, d->b, sizeof d->b, 0);
		if (n > 0) {
			d->len = (size_t)n;
			d->off = 0;
			d->drained = (size_t)n < sizeof d->b;
		} else if (n == 0) {
			d->eof = 1;
		} else {
			return errno == EAGAIN || errno == EINTR ? 0 : -1;
		}
	}
}

/* An event on one of k's sockets (ev: its revents, client: which one):
 * each direction moves when its source is readable or its destination
 * writable; a short read needs a POLLIN before the next (no EAGAIN reads). */
static void on_conn(struct conn *k, short ev, int client)
{
	if (k->dead)
		return;
	if (ev & (POLLIN | POLLHUP | POLLERR)) {
		if (client)
			k->up.drained = 0;
		else
			k->down.drained = 0;
	}
	if (k->connecting) {
		int err = 0;
		socklen_t len = sizeof err;
		if (getsockopt(k->ufd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err) {
			conn_close(k);
			return;
		}
		struct pollfd p = {k->ufd, POLLOUT, 0};
		if (poll(&p, 1, 0) != 1 || !(p.revents & POLLOUT))
			return;
		k->connecting = 0;
	}
	if (pump(k->cfd, k->ufd, &k->up) != 0 || pump(k->ufd, k->cfd, &k->down) != 0 ||
	    (k->up.shut && k->down.shut))
		conn_close(k);
}

size_t init_net_npoll(const struct init *in)
{
	return in->net && in->net->ep >= 0 ? 1 : 0;
}

size_t init_net_poll(struct init *in, struct pollfd *pfd)
{
	if (!in->net || in->net->ep < 0)
		return 0;
	pfd[0] = (struct pollfd){in->net->ep, POLLIN, 0};
	return 1;
}

void init_net_events(struct init *in, const struct pollfd *pfd, size_t n)
{
	struct init_net *net = in->net;
	struct epoll_event ev[128];
	if (!net || n < 1 || !pfd[0].revents)
		return;
	int got = epoll_wait(net->ep, ev, (int)(sizeof ev / sizeof *ev), 0);
	for (int i = 0; i < got; i++) {
		struct handle *h = ev[i].data.ptr;
		if (h->u) {
			on_udp_reply(net, h->u);
			continue;
		}
		if (!h->k) {
			if (h->f->udp)
				on_udp(in, h->f);
			else
				on_accept(in, h->f);
			continue;
		}
		short re = (short)((ev[i].events & EPOLLIN ? POLLIN : 0) |
				   (ev[i].events & EPOLLOUT ? POLLOUT : 0) |
				   (ev[i].events & EPOLLHUP ? POLLHUP : 0) |
				   (ev[i].events & EPOLLERR ? POLLERR : 0));
		on_conn(h->k, re, h->client);
		if (!h->k->dead)
			conn_watch(net, h->k, 0);
	}
	udp_expire(in);
	/* closed ones go after the batch: a later event may still name them */
	size_t k = 0;
	for (size_t i = 0; i < net->nconns; i++) {
		if (net->conns[i]->dead)
			free(net->conns[i]);
		else
			net->conns[k++] = net->conns[i];
	}
	net->nconns = k;
}

void init_net_teardown(struct init *in)
{
	struct init_net *net = in->net;
	init_redirect_teardown(in); /* first: no connect() may outlive the veth's route */
	for (size_t i = 0; i < in->n; i++)
		init_net_down(&in->c[i]);
	if (!net)
		return;
	for (size_t i = 0; i < net->nconns; i++) {
		conn_close(net->conns[i]);
		free(net->conns[i]);
	}
	for (size_t i = 0; i < net->nf; i++)
		if (net->f[i].fd >= 0)
			close(net->f[i].fd);
	for (size_t i = 0; i < NET_MAX_UDP; i++)
		usess_free(net, i);
	if (net->ep >= 0)
		close(net->ep);
	free(net->conns);
	free(net->f);
	free(net);
	in->net = NULL;
}
