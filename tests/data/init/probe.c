/*
 * probe.c — a test child for tests/t/sigil_run.sh: runs the operations
 * its arguments name, in order, printing one line per result (so a test
 * can grep "[child] ..." in sigil-init's log). One binary, so each
 * child's closure is just it and libc.
 *
 *   say TEXT       print TEXT
 *   ls DIR         "ls DIR: a b c" (sorted) or "ls DIR: error ENOENT-text"
 *   cat FILE       "cat FILE: first line" or "cat FILE: error ..."
 *   pid            "pid N" (as the child sees itself)
 *   mono           "mono US": CLOCK_MONOTONIC in microseconds
 *   comm N         "comm N: NAME" from /proc/N/comm
 *   status KEY     "status KEY: VALUE" from /proc/self/status
 *   hostname       "hostname NAME"
 *   alloc MIB      allocate and touch MIB MiB, 1 MiB at a time; "allocated N MiB"
 *   sleep MS       sleep
 *   exit CODE      exit now with CODE
 *   serve PATH     listen on a Unix socket at PATH; answer each connection
 *                  with "hello from HOSTNAME" (forever)
 *   connect PATH   "connect PATH: REPLY" or "connect PATH: error ..."
 *   fork N         fork N sleeping children; "forked K of N"
 *   syscall NAME   calls NAME (keyctl add_key request_key perf_event_open
 *                  bpf ptrace umount2 unshare getppid) with harmless arguments:
 *                  "syscall NAME: ok" or "syscall NAME: error ERRNO-NAME"
 *   net            "net IF ADDR/PREFIX" per IPv4 address (sorted by
 *                  interface), "net links: a b" (every interface), and
 *                  "net default via GW" or "net default: none"
 *   tcpserve PORT  listen on 0.0.0.0:PORT (tcp); each connection gets
 *                  "hello from HOSTNAME\n", then whatever it sends back
 *                  until it closes (forever; one connection at a time)
 *   udpserve PORT  bind 0.0.0.0:PORT (udp); answer each datagram D with
 *                  "udp D from HOSTNAME" (forever)
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#ifdef VARIANT /* another program (another closure) for the /rom isolation test */
__attribute__((used)) static const char variant[] = "probe variant";
#endif

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void op_ls(const char *dir)
{
	DIR *d = opendir(dir);
	char *names[512];
	size_t n = 0;
	if (!d) {
		printf("ls %s: error %s\n", dir, strerror(errno));
		return;
	}
	struct dirent *e;
	while ((e = readdir(d)) && n < 512)
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			names[n++] = strdup(e->d_name);
	closedir(d);
	qsort(names, n, sizeof *names, cmp);
	printf("ls %s:", dir);
	for (size_t i = 0; i < n; i++) {
		printf(" %s", names[i]);
		free(names[i]);
	}
	printf("\n");
}

static void op_cat(const char *file)
{
	char line[1024];
	FILE *f = fopen(file, "r");
	if (!f) {
		printf("cat %s: error %s\n", file, strerror(errno));
		return;
	}
	if (!fgets(line, sizeof line, f))
		line[0] = 0;
	line[strcspn(line, "\n")] = 0;
	printf("cat %s: %s\n", file, line);
	fclose(f);
}

static void op_status(const char *key)
{
	char line[512];
	FILE *f = fopen("/proc/self/status", "r");
	while (f && fgets(line, sizeof line, f))
		if (strncmp(line, key, strlen(key)) == 0 && line[strlen(key)] == ':') {
			char *v = line + strlen(key) + 1;
			v += strspn(v, " \t");
			v[strcspn(v, "\n")] = 0;
			printf("status %s: %s\n", key, v);
		}
	if (f)
		fclose(f);
}

static void msleep(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

static void op_serve(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char host[64] = "", msg[128];
	gethostname(host, sizeof host - 1);
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
	unlink(path);
	int s = socket(AF_UNIX, SOCK_STREAM, 0);
	if (s < 0 || bind(s, (struct sockaddr *)&sa, sizeof sa) || listen(s, 8)) {
		printf("serve %s: error %s\n", path, strerror(errno));
		exit(1);
	}
	printf("serving %s\n", path);
	fflush(stdout);
	for (;;) {
		int c = accept(s, NULL, NULL);
		if (c < 0)
			continue;
		int n = snprintf(msg, sizeof msg, "hello from %s", host);
		if (write(c, msg, (size_t)n) < 0)
			perror("write");
		close(c);
	}
}

static void op_connect(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char buf[128];
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
	for (int tries = 0; tries < 50; tries++) { /* the server may still be starting */
		int s = socket(AF_UNIX, SOCK_STREAM, 0);
		if (s >= 0 && connect(s, (struct sockaddr *)&sa, sizeof sa) == 0) {
			ssize_t n = read(s, buf, sizeof buf - 1);
			buf[n > 0 ? n : 0] = 0;
			printf("connect %s: %s\n", path, buf);
			close(s);
			return;
		}
		int e = errno;
		if (s >= 0)
			close(s);
		if (e == ENOENT && tries > 3) {
			printf("connect %s: error %s\n", path, strerror(e));
			return;
		}
		msleep(50);
		errno = e;
	}
	printf("connect %s: error %s\n", path, strerror(errno));
}

static void op_syscall(const char *name)
{
	static const struct {
		const char *name;
		long nr;
	} calls[] = {
		{"keyctl", SYS_keyctl}, {"add_key", SYS_add_key}, {"request_key", SYS_request_key},
		{"perf_event_open", SYS_perf_event_open}, {"bpf", SYS_bpf}, {"ptrace", SYS_ptrace},
		{"umount2", SYS_umount2}, {"unshare", SYS_unshare}, {"getppid", SYS_getppid},
	};
	for (size_t i = 0; i < sizeof calls / sizeof *calls; i++) {
		if (strcmp(calls[i].name, name))
			continue;
		long r;
		errno = 0;
		if (calls[i].nr == SYS_ptrace) /* PTRACE_PEEKDATA of pid 0: no such process */
			r = syscall(calls[i].nr, 2L, 0L, 0L, 0L);
		else if (calls[i].nr == SYS_unshare) /* no flags: changes nothing */
			r = syscall(calls[i].nr, 0L);
		else if (calls[i].nr == SYS_keyctl) /* KEYCTL_GET_KEYRING_ID of key 0 */
			r = syscall(calls[i].nr, 0L, 0L, 0L);
		else /* NULL pointers: EFAULT or EINVAL when allowed */
			r = syscall(calls[i].nr, 0L, 0L, 0L, 0L, 0L);
		if (r < 0)
			printf("syscall %s: error %s\n", name, strerrorname_np(errno));
		else
			printf("syscall %s: ok\n", name);
		return;
	}
	printf("syscall %s: unknown\n", name);
}

static int cmp_line(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void op_net(void)
{
	struct ifaddrs *ifa, *i;
	char *lines[64], links[1024] = "";
	size_t n = 0;
	if (getifaddrs(&ifa) != 0) {
		printf("net: error %s\n", strerror(errno));
		return;
	}
	struct if_nameindex *ni = if_nameindex(), *k;
	for (k = ni; k && k->if_index; k++)
		snprintf(links + strlen(links), sizeof links - strlen(links), " %s", k->if_name);
	if (ni)
		if_freenameindex(ni);
	for (i = ifa; i && n < 64; i = i->ifa_next) {
		if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET)
			continue;
		char a[32], line[128];
		uint32_t m = ntohl(((struct sockaddr_in *)(void *)i->ifa_netmask)->sin_addr.s_addr);
		int prefix = 0;
		while (m & 0x80000000u) {
			prefix++;
			m <<= 1;
		}
		inet_ntop(AF_INET, &((struct sockaddr_in *)(void *)i->ifa_addr)->sin_addr, a, sizeof a);
		snprintf(line, sizeof line, "net %s %s/%d", i->ifa_name, a, prefix);
		lines[n++] = strdup(line);
	}
	freeifaddrs(ifa);
	qsort(lines, n, sizeof *lines, cmp_line);
	for (size_t j = 0; j < n; j++) {
		printf("%s\n", lines[j]);
		free(lines[j]);
	}
	printf("net links:%s\n", links);
	FILE *f = fopen("/proc/net/route", "r");
	char l[256], dev[32];
	unsigned dst, gw;
	int found = 0;
	while (f && fgets(l, sizeof l, f))
		if (sscanf(l, "%31s %x %x", dev, &dst, &gw) == 3 && dst == 0) {
			struct in_addr g = {gw};
			printf("net default via %s dev %s\n", inet_ntoa(g), dev);
			found = 1;
		}
	if (f)
		fclose(f);
	if (!found)
		printf("net default: none\n");
}

static void op_tcpserve(const char *port)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(port))};
	int one = 1, fd = socket(AF_INET, SOCK_STREAM, 0);
	char host[64] = "", buf[65536];
	gethostname(host, sizeof host - 1);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) ||
	    bind(fd, (struct sockaddr *)&sin, sizeof sin) || listen(fd, 16)) {
		printf("tcpserve %s: error %s\n", port, strerror(errno));
		return;
	}
	printf("tcpserve %s: listening\n", port);
	for (;;) {
		int c = accept(fd, NULL, NULL);
		if (c < 0)
			continue;
		int n = snprintf(buf, sizeof buf, "hello from %s\n", host);
		ssize_t r = write(c, buf, (size_t)n);
		while (r >= 0 && (r = read(c, buf, sizeof buf)) > 0)
			for (ssize_t off = 0, w; off < r; off += w)
				if ((w = write(c, buf + off, (size_t)(r - off))) <= 0) {
					r = -1;
					break;
				}
		close(c);
	}
}

static void op_udpserve(const char *port)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(port))};
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	char host[64] = "", buf[2048], out[2200];
	gethostname(host, sizeof host - 1);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sin, sizeof sin)) {
		printf("udpserve %s: error %s\n", port, strerror(errno));
		return;
	}
	printf("udpserve %s: listening\n", port);
	for (;;) {
		struct sockaddr_in peer;
		socklen_t plen = sizeof peer;
		ssize_t n = recvfrom(fd, buf, sizeof buf - 1, 0, (struct sockaddr *)&peer, &plen);
		if (n < 0)
			continue;
		buf[n] = 0;
		int m = snprintf(out, sizeof out, "udp %s from %s", buf, host);
		sendto(fd, out, (size_t)m, 0, (struct sockaddr *)&peer, plen);
	}
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (int i = 1; i < argc; i++) {
		const char *op = argv[i], *arg = i + 1 < argc ? argv[i + 1] : "";
		if (!strcmp(op, "pid")) {
			printf("pid %d\n", (int)getpid());
			continue;
		}
		if (!strcmp(op, "net")) {
			op_net();
			continue;
		}
		if (!strcmp(op, "mono")) {
			struct timespec ts;
			clock_gettime(CLOCK_MONOTONIC, &ts);
			printf("mono %lld\n", (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000);
			continue;
		}
		if (!strcmp(op, "hostname")) {
			char h[64] = "";
			gethostname(h, sizeof h - 1);
			printf("hostname %s\n", h);
			continue;
		}
		i++;
		if (!strcmp(op, "say"))
			printf("%s\n", arg);
		else if (!strcmp(op, "ls"))
			op_ls(arg);
		else if (!strcmp(op, "cat"))
			op_cat(arg);
		else if (!strcmp(op, "comm")) {
			char p[64];
			snprintf(p, sizeof p, "/proc/%s/comm", arg);
			op_cat(p);
		} else if (!strcmp(op, "status"))
			op_status(arg);
		else if (!strcmp(op, "alloc")) {
			long mib = strtol(arg, NULL, 10);
			for (long k = 1; k <= mib; k++) {
				char *p = malloc(1 << 20);
				if (!p) {
					printf("malloc failed at %ld MiB\n", k);
					break;
				}
				memset(p, (int)k, 1 << 20);
				if (k % 4 == 0)
					printf("allocated %ld MiB\n", k);
			}
		} else if (!strcmp(op, "sleep"))
			msleep(strtol(arg, NULL, 10));
		else if (!strcmp(op, "exit"))
			exit((int)strtol(arg, NULL, 10));
		else if (!strcmp(op, "serve"))
			op_serve(arg);
		else if (!strcmp(op, "connect"))
			op_connect(arg);
		else if (!strcmp(op, "syscall"))
			op_syscall(arg);
		else if (!strcmp(op, "tcpserve"))
			op_tcpserve(arg);
		else if (!strcmp(op, "udpserve"))
			op_udpserve(arg);
		else if (!strcmp(op, "fork")) {
			long n = strtol(arg, NULL, 10), k = 0;
			for (; k < n; k++) {
				pid_t p = fork();
				if (p < 0)
					break;
				if (p == 0) {
					msleep(60000);
					_exit(0);
				}
			}
			printf("forked %ld of %ld\n", k, n);
		} else {
			printf("unknown op %s\n", op);
			return 2;
		}
	}
	return 0;
}
