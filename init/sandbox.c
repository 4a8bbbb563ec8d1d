/*
 * sandbox.c — starting one child: clone3 into new mount, PID, IPC, UTS and
 * network namespaces, then narrowing in named phases, each failing closed
 * (a failure writes one line to the child's log and exits 127; nothing
 * of the child's own runs):
 *
 *   init side   pipes (log, status, go), clone3 (a pidfd where the kernel
 *               has one), the cgroups (memory, pids) joined, then "go".
 *   1 wait      for "go": the stub is in its cgroups before anything runs;
 *               EOF (init died or gave up) exits.
 *   2 fds       stdin /dev/null, stdout and stderr the log pipe, fd 3 the
 *               status pipe; every other descriptor closed.
 *   3 mounts    everything private; a new /proc (for the new PID
 *               namespace); every port bindable without a capability
 *               (ip_unprivileged_port_start = 0: the network namespace is
 *               the child's alone); IPv6 off on an uplink's eth0;
 *               /proc/sys read-only and /proc/sysrq-trigger
 *               masked; /tmp a tmpfs sized to the RAM quota; the tmpfs
 *               mounts; pivot_root into the root init prepared (rom.c),
 *               the old root detached.
 *   4 identity  hostname = the child's name; loopback up; with an uplink,
 *               "eth0" (which init moved in before "go", net.c) gets
 *               its address and netmask, goes up, and a default route via
 *               the host side. Without one, loopback is the only interface.
 *   5 split     fork: the stub stays PID 1 of the namespace (reaps, forwards
 *               SIGTERM/SIGINT/SIGHUP/SIGQUIT, reports the program's wait
 *               status on fd 3, and its exit takes the whole namespace with
 *               it); the program goes on. A forking child (readiness =
 *               Forking): the program exiting 0 means "started"; from then
 *               on the child is the daemon its PID file names (read as
 *               soon as it appears, for up to FORK_PIDFILE_MS; a stale one
 *               is removed before the start), or, without a PID file, every
 *               process left in the namespace; signals go to the daemon
 *               (or to all of them) and its exit status (or the last one's)
 *               is the child's. A non-zero exit of the program is a failed
 *               start. A notify child (readiness = Notify) gets
 *               NOTIFY_SOCKET=@sigil-notify, an abstract datagram socket
 *               the stub binds before the split (abstract: the child's
 *               root is read-only, and the network namespace is the
 *               child's alone, so nothing else can reach it); it is
 *               started on READY=1, MAINPID=N makes N its main process,
 *               and exiting before READY=1 is a failed start.
 *               Commands: the stub forks every process it will need up
 *               front, while it may still narrow them (preStart, the
 *               program, postStart); each goes through phases 6-8 and
 *               then waits on its own gate pipe, so none of the child's
 *               code runs before the stub lets it go: the preStart
 *               commands one after the other (a failure, unless ignored,
 *               is the child's status: a failed start), then the
 *               program, then, once it is started (above), the
 *               postStart commands (a failure, unless ignored, kills
 *               the namespace's processes and is the child's status).
 *   6 limits    RLIMIT_NOFILE = caps; signal mask and dispositions reset;
 *               umask 007 (a service socket the program makes is usable
 *               by its clients' group, see identity).
 *   7 privilege securebits locked (no root magic), bounding and ambient
 *               capabilities dropped but those granted (sys
 *               `capabilities`: kept bounding, permitted, effective,
 *               ambient), the child's own identity (below), capset to
 *               them, no_new_privs. The stub takes the same identity
 *               with no capability, so it may signal the program and
 *               nothing else.
 *
 * Identity: each child runs as its own uid and gid, uid_base + its index
 * in the description (sigil-init --uid-base), unless the description
 * names one (uid; 0 is root without any capability). Its supplementary
 * groups are the gids of the servers it is routed to: a server's service
 * directory is group-owned by its gid (rom.c), which is how a client may
 * connect to the socket in it.
 *   8 seccomp   the default filter (seccomp.c), built in init before the
 *               clone: one prctl, the last thing before exec.
 *   9 exec      (after the gate, when there is one) in cwd (default /):
 *               /rom/EXEC with argv0 (the child's, else the closure's) +
 *               args, env = closure env + child env; a command's own
 *               program and argv.
 *
 * Everything the child needs (paths, argv, envp, mount options) is built
 * before clone3, so the child only makes system calls and never allocates.
 * On the init side, between the cgroups and "go", the child's uplink is
 * made (net.c): the veth's peer lands in the stub's network namespace.
 */
#include "init.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <linux/securebits.h>
#include <net/if.h>
#include <net/route.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <grp.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "banned.h"

#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x00001000
#endif

/* The kernel's struct clone_args, version 0 (64 bytes). */
struct clone3_args {
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
};

#define NS_FLAGS (CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWNET)
#define MAX_TMPFS 16
#define MAX_GROUPS 32
#define FORK_PIDFILE_MS 10000 /* a forking child's PID file must appear by then */
#define MAX_CMDS 33           /* preStart + the program + postStart */
#define NOTIFY_NAME "sigil-notify" /* the abstract socket of a notify child */

/* A process to exec: the program, or a preStart/postStart command. */
struct pcmd {
	const char *exec;
	char **argv;
	int ignore;
};

/* What the child side needs, built before the clone. */
struct plan {
	const char *name;
	char root[4096], proc[4200], procsys[4200], sysrq[4200], tmp[4200], ports[4200], ipv6[4200];
	char tmpopt[64];
	char exec[4200];
	char **argv, **envp;
	char tmpfs[MAX_TMPFS][4200];
	char tmpfsopt[MAX_TMPFS][96];
	size_t ntmpfs;
	uint64_t caps;
	uid_t uid;
	gid_t gid, groups[MAX_GROUPS];
	size_t ngroups;
	int forking, notify;
	const char *pid_file; /* in the child's root, or NULL */
	const char *cwd;      /* NULL: / */
	struct pcmd cmd[MAX_CMDS]; /* preStart…, the program, postStart… */
	size_t npre, ncmd;
	int logw, statw, gor;
	int uplink;
	uint32_t addr, mask, gw; /* network byte order */
	struct sock_fprog bpf;
	uint64_t grant; /* capabilities the program keeps (sys `capabilities`) */
};

static void plan_free(struct plan *p)
{
	free(p->argv);
	free(p->envp);
	for (size_t i = 0; i < p->ncmd; i++)
		if (p->cmd[i].argv != p->argv)
			free(p->cmd[i].argv);
}

/* cmd[i] of a preStart/postStart command (pointers into the model). */
static int plan_command(struct plan *p, const struct sys_command *sc)
{
	struct pcmd *k = &p->cmd[p->ncmd];
	k->argv = calloc(sc->nargv + 1, sizeof *k->argv);
	if (!k->argv)
		return -1;
	k->exec = sc->argv[0];
	k->ignore = sc->ignore_failure;
	for (size_t i = 0; i < sc->nargv; i++)
		k->argv[i] = (char *)(uintptr_t)sc->argv[i];
	if (sc->argv0)
		k->argv[0] = (char *)(uintptr_t)sc->argv0;
	p->ncmd++;
	return 0;
}

/* argv = argv0 + args; envp = closure env, then the child's env (a later
 * NAME replaces an earlier one). Pointers into desc/sys (they outlive the
 * child's start). */
static int plan_build(struct init *in, struct init_child *c, struct plan *p)
{
	const struct sys_child *s = c->sys;
	memset(p, 0, sizeof *p);
	p->name = c->name;
	p->logw = p->statw = p->gor = -1;
	snprintf(p->root, sizeof p->root, "%s", c->root);
	snprintf(p->proc, sizeof p->proc, "%s/proc", c->root);
	snprintf(p->procsys, sizeof p->procsys, "%s/proc/sys", c->root);
	snprintf(p->sysrq, sizeof p->sysrq, "%s/proc/sysrq-trigger", c->root);
	snprintf(p->ports, sizeof p->ports, "%s/proc/sys/net/ipv4/ip_unprivileged_port_start", c->root);
	snprintf(p->ipv6, sizeof p->ipv6, "%s/proc/sys/net/ipv6/conf/eth0/disable_ipv6", c->root);
	snprintf(p->tmp, sizeof p->tmp, "%s/tmp", c->root);
	snprintf(p->tmpopt, sizeof p->tmpopt, "size=%llu,mode=1777", (unsigned long long)s->ram);
	snprintf(p->exec, sizeof p->exec, "/rom/%s", c->desc.exec);
	p->caps = s->caps;
	p->uid = c->uid;
	p->gid = c->gid;
	p->forking = s->readiness == SYS_READY_FORKING;
	p->notify = s->readiness == SYS_READY_NOTIFY;
	p->pid_file = s->pid_file;
	p->cwd = s->cwd;
	for (size_t b = 0; b < c->nbinds; b++) {
		gid_t g = in->c[c->binds[b].server].gid;
		int dup = g == c->gid;
		for (size_t k = 0; k < p->ngroups; k++)
			dup |= p->groups[k] == g;
		if (!dup && p->ngroups < MAX_GROUPS)
			p->groups[p->ngroups++] = g;
	}
	p->uplink = c->uplink;
	p->addr = c->net_addr;
	p->mask = c->net_mask;
	p->gw = c->net_gw;
	p->bpf.len = c->nbpf;
	p->bpf.filter = c->bpf;
	for (size_t k = 0; k < s->ncapabilities; k++)
		if (sys_cap_number(s->capabilities[k]) >= 0)
			p->grant |= 1ull << sys_cap_number(s->capabilities[k]);
	for (size_t m = 0; m < s->nmounts; m++) {
		if (s->mounts[m].kind != SYS_MOUNT_TMPFS)
			continue;
		if (p->ntmpfs == MAX_TMPFS) {
			snprintf(c->reason, sizeof c->reason, "more than %d tmpfs mounts", MAX_TMPFS);
			return -1;
		}
		snprintf(p->tmpfs[p->ntmpfs], sizeof p->tmpfs[0], "%s%s", c->root, s->mounts[m].target);
		snprintf(p->tmpfsopt[p->ntmpfs], sizeof p->tmpfsopt[0], "size=%llu,mode=0755,uid=%u,gid=%u",
			 (unsigned long long)s->mounts[m].size, (unsigned)c->uid, (unsigned)c->gid);
		p->ntmpfs++;
	}
	if (s->npre_start + s->npost_start + 1 > MAX_CMDS) {
		snprintf(c->reason, sizeof c->reason, "more than %d preStart and postStart commands",
			 MAX_CMDS - 1);
		return -1;
	}
	p->argv = calloc(s->nargs + 2, sizeof *p->argv);
	p->envp = calloc(c->desc.n_env + s->nenv + 2, sizeof *p->envp);
	if (!p->argv || !p->envp)
		goto nomem;
	p->argv[0] = s->argv0 ? (char *)(uintptr_t)s->argv0 : c->desc.argv0;
	for (size_t i = 0; i < s->nargs; i++)
		p->argv[i + 1] = (char *)(uintptr_t)s->args[i];
	for (size_t i = 0; i < s->npre_start; i++)
		if (plan_command(p, &s->pre_start[i]) != 0)
			goto nomem;
	p->npre = p->ncmd;
	p->cmd[p->ncmd++] = (struct pcmd){p->exec, p->argv, 0};
	for (size_t i = 0; i < s->npost_start; i++)
		if (plan_command(p, &s->post_start[i]) != 0)
			goto nomem;
	size_t ne = 0;
	if (p->notify) /* first, and no other: getenv takes the first */
		p->envp[ne++] = (char *)"NOTIFY_SOCKET=@" NOTIFY_NAME;
	for (size_t i = 0; i < c->desc.n_env; i++) {
		const char *e = c->desc.env[i];
		size_t klen = strcspn(e, "=");
		int overridden = p->notify && klen == 13 && strncmp(e, "NOTIFY_SOCKET", 13) == 0;
		for (size_t k = 0; k < s->nenv; k++)
			if (strlen(s->env[k].key) == klen && strncmp(s->env[k].key, e, klen) == 0)
				overridden = 1;
		if (!overridden)
			p->envp[ne++] = c->desc.env[i];
	}
	for (size_t k = 0; k < s->nenv; k++) {
		if (p->notify && strcmp(s->env[k].key, "NOTIFY_SOCKET") == 0)
			continue;
		size_t len = strlen(s->env[k].key) + strlen(s->env[k].value) + 2;
		char *e = dhall_arena_alloc(&in->arena, len);
		if (!e)
			goto nomem;
		snprintf(e, len, "%s=%s", s->env[k].key, s->env[k].value);
		p->envp[ne++] = e;
	}
	return 0;
nomem:
	snprintf(c->reason, sizeof c->reason, "out of memory");
	return -1;
}

/* ------------------------------------------------------------ child side */

static void die(const char *phase, const char *what)
{
	char msg[512];
	int n = snprintf(msg, sizeof msg, "sigil-init: %s: cannot %s: %s\n", phase, what,
			 strerror(errno));
	if (n > 0 && write(2, msg, (size_t)n) < 0)
		_exit(127);
	_exit(127);
}

/* Everything but the identity goes, in this order: securebits (while
 * CAP_SETPCAP is there; NO_SETUID_FIXUP keeps setuid from touching
 * capabilities), bounding and ambient sets, the identity (while CAP_SETUID
 * and CAP_SETGID are still effective), then every capability, then
 * no_new_privs. The capabilities of `keep` stay in the bounding set, are
 * set permitted, effective and inheritable, and raised ambient, so they
 * survive execve as the child's uid (and nothing else does). */
static void drop_privileges(const struct plan *p, uint64_t keep)
{
	struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct data[2];
	memset(data, 0, sizeof data);
	if (prctl(PR_SET_SECUREBITS, SECBIT_NOROOT | SECBIT_NOROOT_LOCKED | SECBIT_NO_SETUID_FIXUP |
					    SECBIT_NO_SETUID_FIXUP_LOCKED | SECBIT_KEEP_CAPS_LOCKED) != 0)
		die("privilege", "lock the securebits");
	for (int cap = 0; cap < 64; cap++)
		if (!(keep >> cap & 1) && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno == EINVAL)
			break;
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL)
		die("privilege", "clear ambient capabilities");
	if (setgroups(p->ngroups, p->groups) != 0 || setresgid(p->gid, p->gid, p->gid) != 0 ||
	    setresuid(p->uid, p->uid, p->uid) != 0)
		die("privilege", "take the child's uid and gid");
	for (int i = 0; i < 2; i++)
		data[i].effective = data[i].permitted = data[i].inheritable = (uint32_t)(keep >> 32 * i);
	if (syscall(SYS_capset, &hdr, data) != 0)
		die("privilege", "drop capabilities");
	for (int cap = 0; cap < 64; cap++)
		if ((keep >> cap & 1) && prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) != 0)
			die("privilege", "keep a granted capability");
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		die("privilege", "set no_new_privs");
}

/* Process k of p->cmd; waits on `gate` (when >= 0) after narrowing. */
static void program(const struct plan *p, size_t k, int gate)
{
	sigset_t none;
	struct rlimit rl = {p->caps, p->caps};
	/* 6 limits */
	for (int sig = 1; sig < NSIG; sig++)
		signal(sig, SIG_DFL);
	sigemptyset(&none);
	if (sigprocmask(SIG_SETMASK, &none, NULL) != 0)
		die("limits", "reset the signal mask");
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
		die("limits", "set RLIMIT_NOFILE");
	close(3);
	umask(007);
	/* 7 privilege */
	drop_privileges(p, p->grant);
	/* 8 seccomp */
	if (!p->bpf.len || prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &p->bpf, 0, 0) != 0)
		die("seccomp", "install the filter");
	/* 9 exec */
	char go;
	if (gate >= 0 && read(gate, &go, 1) != 1)
		_exit(0); /* not wanted after all */
	if (p->cwd && chdir(p->cwd) != 0)
		die("exec", "enter the working directory");
	execve(p->cmd[k].exec, p->cmd[k].argv, p->envp);
	die("exec", p->cmd[k].exec);
}

/* The stub's books on the processes of p->cmd (forked up front). */
struct procs {
	pid_t pid[MAX_CMDS];
	int gate[MAX_CMDS]; /* write ends, -1 once used (or none) */
	size_t cur;         /* the pre/post command running, SIZE_MAX: none */
};

static void let_go(struct procs *r, size_t k)
{
	if (r->gate[k] >= 0) {
		if (write(r->gate[k], "g", 1) != 1)
			_exit(127);
		close(r->gate[k]);
		r->gate[k] = -1;
	}
}

/* A notify child's messages (sd_notify(3)): READY=1 → *ready, MAINPID=N
 * → *main_pid, STOPPING=1 logged; anything else is ignored. */
static void notify_read(int ns, int *ready, pid_t *main_pid)
{
	char buf[4096];
	ssize_t n;
	while ((n = recv(ns, buf, sizeof buf - 1, MSG_DONTWAIT)) >= 0) {
		buf[n] = 0;
		for (char *l = buf, *e; l && *l; l = e ? e + 1 : NULL) {
			e = strchr(l, '\n');
			if (e)
				*e = 0;
			if (strcmp(l, "READY=1") == 0) {
				*ready = 1;
			} else if (strncmp(l, "MAINPID=", 8) == 0) {
				char *end;
				long v = strtol(l + 8, &end, 10);
				if (end != l + 8 && !*end && v > 1 && v <= 4194304 && kill((pid_t)v, 0) == 0)
					*main_pid = (pid_t)v;
			} else if (strcmp(l, "STOPPING=1") == 0) {
				init_say("the program says it is stopping");
			}
		}
	}
}

/* The PID a daemon wrote to its PID file, 0 when there is none (yet). */
static pid_t read_pid_file(const char *path)
{
	char buf[32];
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	char *end;
	long v = strtol(buf, &end, 10);
	if (end == buf || (*end && *end != '\n') || v <= 1 || v > 4194304)
		return 0;
	return (pid_t)v;
}

/* PID 1 of the child's namespace: lets the processes of p->cmd go in
 * turn (preStart, the program, postStart once it is started), forwards
 * stop signals to the main process, reaps everything, and reports the
 * main process's wait status (or a failed command's) on fd 3. The main
 * process is the program; for a forking child, after the program exited
 * 0, the daemon of the PID file (main_pid > 0), or every process left
 * (main_pid -1; while the PID file is awaited, 0); for a notify child, the
 * one MAINPID= names. `ns` is a notify child's socket, else -1. */
static void stub(const struct plan *p, struct procs *r, int ns)
{
	sigset_t set;
	struct signalfd_siginfo si;
	int sfd, status = 0, started = 0, ready = 0, post_due = 0;
	const size_t mk = p->npre; /* the program's index in p->cmd */
	pid_t main_pid = r->pid[mk];
	int64_t wait_until = 0;
	prctl(PR_SET_NAME, "sigil-init", 0, 0, 0);
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGQUIT);
	sfd = signalfd(-1, &set, SFD_CLOEXEC);
	drop_privileges(p, 0);
	if (sfd < 0) { /* cannot forward or wait for readiness: no start */
		init_say("split: cannot make a signalfd: %s", strerror(errno));
		status = 127 << 8;
		goto report;
	}
	r->cur = SIZE_MAX;
	if (mk > 0) {
		r->cur = 0;
		let_go(r, 0);
	} else {
		let_go(r, mk);
		started = post_due = !p->forking && !p->notify;
	}
	for (;;) {
		pid_t w;
		int st, none_left = 0;
		if (ns >= 0) { /* before the reaping: READY=1 then an exit is a start */
			pid_t mp = 0;
			notify_read(ns, &ready, &mp);
			if (mp > 0)
				main_pid = mp;
			if (ready && !started && r->gate[mk] < 0)
				started = post_due = 1;
		}
		if (post_due) {
			post_due = 0;
			if (mk + 1 < p->ncmd) {
				r->cur = mk + 1;
				let_go(r, r->cur);
			}
		}
		while ((w = waitpid(-1, &st, WNOHANG)) > 0) {
			if (r->cur != SIZE_MAX && w == r->pid[r->cur]) { /* a command ended */
				size_t k = r->cur;
				r->cur = SIZE_MAX;
				if (!(WIFEXITED(st) && WEXITSTATUS(st) == 0) && !p->cmd[k].ignore) {
					init_say("%s command %zu (%s) failed: %s %d",
						 k < mk ? "preStart" : "postStart", k < mk ? k + 1 : k - mk,
						 p->cmd[k].exec, WIFEXITED(st) ? "exit status" : "signal",
						 WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
					status = st;
					goto report;
				}
				if (k + 1 != mk && k + 1 < p->ncmd) {
					r->cur = k + 1;
					let_go(r, r->cur);
				} else if (k + 1 == mk) {
					let_go(r, mk);
					started = post_due = !p->forking && !p->notify;
				}
				continue;
			}
			if (w == main_pid && !started) {
				if (p->forking && r->gate[mk] < 0 && WIFEXITED(st) &&
				    WEXITSTATUS(st) == 0) {
					started = post_due = 1;
					main_pid = p->pid_file ? 0 : -1;
					wait_until = init_now_ms() + FORK_PIDFILE_MS;
					continue;
				}
				if (p->notify && WIFEXITED(st) && WEXITSTATUS(st) == 0) {
					init_say("the program exited before READY=1");
					st = 1 << 8;
				}
				status = st; /* a failed start */
				goto report;
			} else if (w == main_pid) {
				status = st;
				goto report;
			}
			status = st;
		}
		if (w < 0 && errno == ECHILD)
			none_left = 1;
		if (started && main_pid == 0) {
			pid_t d = read_pid_file(p->pid_file);
			if (d > 0 && kill(d, 0) == 0) {
				main_pid = d;
				continue; /* it may have been reaped already: look again */
			}
			if (init_now_ms() >= wait_until) {
				init_say("no PID file appeared; the child lives while any "
					 "of its processes does");
				main_pid = -1;
			}
		}
		if (none_left && (main_pid == -1 || main_pid > 0))
			goto report; /* nothing left (a daemon we do not parent is gone too) */
		if (main_pid > 0 && kill(main_pid, 0) != 0 && errno == ESRCH)
			goto report;
		struct pollfd pf[2] = {{sfd, POLLIN, 0}, {ns, POLLIN, 0}};
		int timeout = !started ? -1 : main_pid == 0 ? 50 : main_pid > 0 ? 1000 : -1;
		if (poll(pf, ns >= 0 ? 2 : 1, timeout) < 0 && errno != EINTR)
			_exit(127);
		if (!(pf[0].revents & POLLIN))
			continue;
		ssize_t n = read(sfd, &si, sizeof si);
		if (n < 0 && errno == EINTR)
			continue;
		if (n != (ssize_t)sizeof si)
			_exit(127);
		if (si.ssi_signo == SIGCHLD)
			continue;
		if (r->cur != SIZE_MAX && r->cur < mk) /* a preStart command runs */
			kill(r->pid[r->cur], (int)si.ssi_signo);
		else
			kill(main_pid > 0 ? main_pid : -1, (int)si.ssi_signo);
	}
report: /* exiting takes every process of the namespace with it */
	if (write(3, &status, sizeof status) != (ssize_t)sizeof status)
		_exit(127);
	_exit(0);
}

static void set_in(struct sockaddr *sa, uint32_t a)
{
	struct sockaddr_in sin;
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = a;
	memcpy(sa, &sin, sizeof sin);
}

/* eth0: address, netmask, up, default route via the host side. */
static void uplink(int s, const struct plan *p)
{
	struct ifreq ifr;
	struct rtentry rt;
	static char eth0[] = "eth0";
	memset(&ifr, 0, sizeof ifr);
	memcpy(ifr.ifr_name, eth0, sizeof eth0);
	set_in(&ifr.ifr_addr, p->addr);
	if (ioctl(s, SIOCSIFADDR, &ifr) != 0)
		die("identity", "set the uplink's address");
	set_in(&ifr.ifr_netmask, p->mask);
	if (ioctl(s, SIOCSIFNETMASK, &ifr) != 0)
		die("identity", "set the uplink's netmask");
	if (ioctl(s, SIOCGIFFLAGS, &ifr) != 0)
		die("identity", "find the uplink");
	ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
	if (ioctl(s, SIOCSIFFLAGS, &ifr) != 0)
		die("identity", "bring up the uplink");
	memset(&rt, 0, sizeof rt);
	set_in(&rt.rt_dst, 0);
	set_in(&rt.rt_genmask, 0);
	set_in(&rt.rt_gateway, p->gw);
	rt.rt_flags = RTF_UP | RTF_GATEWAY;
	rt.rt_dev = eth0;
	if (ioctl(s, SIOCADDRT, &rt) != 0)
		die("identity", "add the default route");
}

static void child_main(const struct plan *p)
{
	char b;
	int fds[3];
	/* 1 wait */
	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	if (read(p->gor, &b, 1) != 1)
		_exit(127);
	/* 2 fds: move what we keep out of the way, then into place */
	fds[0] = open("/dev/null", O_RDONLY | O_CLOEXEC);
	fds[1] = fcntl(p->logw, F_DUPFD_CLOEXEC, 100);
	fds[2] = fcntl(p->statw, F_DUPFD_CLOEXEC, 100);
	if (fds[0] < 0 || fds[1] < 0 || fds[2] < 0 || dup2(fds[0], 0) < 0 || dup2(fds[1], 1) < 0 ||
	    dup2(fds[1], 2) < 0 || dup2(fds[2], 3) < 0)
		_exit(127);
	if (fcntl(3, F_SETFD, FD_CLOEXEC) != 0 || close_range(4, ~0U, 0) != 0)
		die("fds", "close descriptors");
	/* 3 mounts */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0)
		die("mounts", "make mounts private");
	if (mount("proc", p->proc, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) != 0)
		die("mounts", "mount /proc");
	int pfd = open(p->ports, O_WRONLY | O_CLOEXEC);
	if (pfd < 0 || write(pfd, "0", 1) != 1 || close(pfd) != 0)
		die("mounts", "let the program bind every port of its namespace");
	if (p->uplink) { /* IPv4 only: no link-local chatter before eth0 goes up */
		int v6 = open(p->ipv6, O_WRONLY | O_CLOEXEC);
		if (v6 >= 0 && (write(v6, "1", 1) != 1 || close(v6) != 0))
			die("mounts", "turn IPv6 off on the uplink");
	}
	if (mount(p->procsys, p->procsys, NULL, MS_BIND | MS_REC, NULL) != 0 ||
	    mount(NULL, p->procsys, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
		  NULL) != 0)
		die("mounts", "make /proc/sys read-only");
	if (mount("/dev/null", p->sysrq, NULL, MS_BIND, NULL) != 0 && errno != ENOENT)
		die("mounts", "mask /proc/sysrq-trigger");
	if (mount("sigil-tmp", p->tmp, "tmpfs", MS_NOSUID | MS_NODEV, p->tmpopt) != 0)
		die("mounts", "mount /tmp");
	for (size_t i = 0; i < p->ntmpfs; i++)
		if (mount("sigil-tmpfs", p->tmpfs[i], "tmpfs", MS_NOSUID | MS_NODEV, p->tmpfsopt[i]) != 0)
			die("mounts", "mount a tmpfs");
	if (chdir(p->root) != 0 || syscall(SYS_pivot_root, ".", ".") != 0)
		die("mounts", "pivot_root");
	if (umount2(".", MNT_DETACH) != 0 || chdir("/") != 0)
		die("mounts", "detach the old root");
	/* 4 identity */
	if (sethostname(p->name, strlen(p->name)) != 0)
		die("identity", "set the hostname");
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct ifreq ifr;
	memset(&ifr, 0, sizeof ifr);
	memcpy(ifr.ifr_name, "lo", 3);
	if (s < 0 || ioctl(s, SIOCGIFFLAGS, &ifr) != 0)
		die("identity", "find the loopback interface");
	ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
	if (ioctl(s, SIOCSIFFLAGS, &ifr) != 0)
		die("identity", "bring up the loopback interface");
	if (p->uplink)
		uplink(s, p);
	close(s);
	/* 5 split */
	if (p->forking && p->pid_file && unlink(p->pid_file) != 0 && errno != ENOENT &&
	    errno != EROFS)
		die("split", "remove the stale PID file");
	int ns = -1;
	if (p->notify) {
		struct sockaddr_un sa = {.sun_family = AF_UNIX};
		memcpy(sa.sun_path + 1, NOTIFY_NAME, sizeof NOTIFY_NAME - 1);
		ns = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (ns < 0 || bind(ns, (struct sockaddr *)&sa,
				   (socklen_t)(offsetof(struct sockaddr_un, sun_path) + sizeof NOTIFY_NAME)) != 0)
			die("split", "bind the notify socket");
	}
	struct procs r;
	for (size_t k = 0; k < p->ncmd; k++) { /* the program is gated only after preStart */
		int g[2] = {-1, -1};
		if ((k != p->npre || p->npre > 0) && pipe2(g, O_CLOEXEC) != 0)
			die("split", "make a gate");
		pid_t pid = fork();
		if (pid < 0)
			die("split", "fork the program");
		if (pid == 0) {
			if (g[1] >= 0)
				close(g[1]);
			program(p, k, g[0]);
		}
		if (g[0] >= 0)
			close(g[0]);
		r.pid[k] = pid;
		r.gate[k] = g[1];
	}
	stub(p, &r, ns);
}

/* ------------------------------------------------------------ init side */

static pid_t clone_child(int *pidfd)
{
	struct clone3_args ca;
	memset(&ca, 0, sizeof ca);
	ca.flags = NS_FLAGS | CLONE_PIDFD;
	ca.pidfd = (uint64_t)(uintptr_t)pidfd;
	ca.exit_signal = SIGCHLD;
	long pid = syscall(SYS_clone3, &ca, sizeof ca);
	if (pid < 0 && (errno == ENOSYS || errno == E2BIG)) {
		*pidfd = -1;
		pid = syscall(SYS_clone, (unsigned long)(NS_FLAGS | SIGCHLD), NULL, NULL, NULL, NULL);
	}
	return (pid_t)pid;
}

int init_spawn(struct init *in, struct init_child *c)
{
	struct plan p;
	int logp[2] = {-1, -1}, statp[2] = {-1, -1}, gop[2] = {-1, -1}, pidfd = -1, rc = -1;
	pid_t pid = -1;

	c->reason[0] = 0;
	memset(&p, 0, sizeof p);
	if (init_seccomp_build(in, c) != 0) {
		snprintf(c->reason, sizeof c->reason, "no seccomp filter");
		goto out;
	}
	if (plan_build(in, c, &p) != 0)
		goto out;
	if (pipe2(logp, O_CLOEXEC) != 0 || pipe2(statp, O_CLOEXEC) != 0 || pipe2(gop, O_CLOEXEC) != 0) {
		snprintf(c->reason, sizeof c->reason, "cannot make pipes: %s", strerror(errno));
		goto out;
	}
	p.logw = logp[1];
	p.statw = statp[1];
	p.gor = gop[0];
	fflush(NULL);
	pid = clone_child(&pidfd);
	if (pid < 0) {
		snprintf(c->reason, sizeof c->reason, "cannot make its namespaces: %s", strerror(errno));
		goto out;
	}
	if (pid == 0)
		child_main(&p); /* never returns */
	c->oom_before = init_cg_oom_kills(c);
	if (init_cg_attach(c, pid) != 0) {
		snprintf(c->reason, sizeof c->reason, "cannot join its cgroups: %s", strerror(errno));
		kill(pid, SIGKILL);
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		goto out;
	}
	if (c->uplink && init_net_up(in, c, pid) != 0) {
		kill(pid, SIGKILL);
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		goto out;
	}
	if (write(gop[1], "g", 1) != 1) {
		snprintf(c->reason, sizeof c->reason, "cannot start it: %s", strerror(errno));
		kill(pid, SIGKILL);
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		goto out;
	}
	c->pid = pid;
	c->pidfd = pidfd;
	pidfd = -1;
	c->logfd = logp[0];
	logp[0] = -1;
	c->statusfd = statp[0];
	statp[0] = -1;
	fcntl(c->logfd, F_SETFL, O_NONBLOCK);
	fcntl(c->statusfd, F_SETFL, O_NONBLOCK);
	c->has_status = 0;
	c->killed = 0;
	c->linelen = 0;
	rc = 0;
out:
	for (int i = 0; i < 2; i++) {
		if (logp[i] >= 0)
			close(logp[i]);
		if (statp[i] >= 0)
			close(statp[i]);
		if (gop[i] >= 0)
			close(gop[i]);
	}
	if (pidfd >= 0)
		close(pidfd);
	plan_free(&p);
	return rc;
}

void init_signal(struct init_child *c, int sig)
{
	if (c->pid <= 0)
		return;
	if (c->pidfd >= 0 && syscall(SYS_pidfd_send_signal, c->pidfd, sig, NULL, 0) == 0)
		return;
	kill(c->pid, sig);
}
