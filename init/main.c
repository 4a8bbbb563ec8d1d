/*
 * main.c — sigil-init: run a built system (docs/sigil-init.8).
 *
 *   sigil-init -s STORE [--state DIR] [--report FILE] [--run DIR] URN
 *
 * Phases, each failing closed; a failure before "supervise" starts nothing
 * and undoes what the earlier phases made:
 *   1 load       the description by URN (verified), checked; every child's
 *                closure description (rom.c); the start order (servers
 *                before their clients)
 *   2 namespace  init's own mount namespace, every mount private: nothing
 *                init mounts is seen by the host, and it all goes when init
 *                does; then every closure served at /rom by a FUSE server
 *                of ours, each block verified when first read (rom.c,
 *                lib/romfs; --eager: all of them now, and a missing or
 *                tampered block stops here); as PID 1, then the NIC and
 *                the state partition (pid1.c)
 *   3 signals    SIGCHLD, SIGTERM, SIGINT blocked and read from a signalfd
 *   4 cgroups    the run's memory and pids groups (cgroup.c)
 *   5 prepare    every child's root: /rom, /dev, mounts, services (rom.c);
 *                nothing runs before every child is prepared
 *   6 supervise  the poll loop (supervisor.c) until stopped or all exited
 *   7 teardown   cgroups, mounts, directories, the last report
 *
 * Exit status: 0 after a stop by signal or when every child exited with 0;
 * 1 when a child failed for good or the system could not be loaded or
 * prepared; 2 for a usage error.
 */
#include "init.h"
#include "pid1.h"

#include <errno.h>
#include <getopt.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "banned.h"

static const char usage[] =
	"usage: sigil-init -s STORE [options] URN\n"
	"Runs the system whose description URN names (what `sigil build` printed): each\n"
	"child in its own namespaces and cgroups with its verified closure in /rom.\n"
	"  -s, --store STORE      the block store (e.g. pack:OUT/store.pack)\n"
	"      --state DIR        host directory of the children's state mounts\n"
	"      --report FILE      the JSON state report, rewritten on every change\n"
	"      --report-cbor FILE the same report as CBOR\n"
	"      --run DIR          where the children's roots are mounted (default: a new\n"
	"                         directory under $TMPDIR or /tmp)\n"
	"      --grace-ms N       SIGTERM to SIGKILL on shutdown (default 3000)\n"
	"      --backoff-ms MIN:MAX  restart backoff, doubling (default 100:30000)\n"
	"      --uid-base N       child I of the description runs as uid and gid N+I,\n"
	"                         unless it names a uid (default 1000000000)\n"
	"      --keep             keep running when every child has exited\n"
	"      --proxy            tcp forwards through init's proxy, not the kernel's\n"
	"                         redirect (docs/sigil-init.8)\n"
	"      --eager            verify every block of every closure before anything\n"
	"                         starts (default: each block when first read)\n"
	"      --check            load, verify and prepare everything, start nothing\n"
	"      --trace            print the start-up timeline (\"trace T s: ...\" lines)\n"
	"  -h, --help             this text\n"
	"SIGTERM or SIGINT stops the children in reverse start order.\n";

static int parse_ms(const char *s, unsigned *out)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno || end == s || v > 3600000ul)
		return -1;
	*out = (unsigned)v;
	return *end == 0 || *end == ':' ? 0 : -1;
}

static int parse_args(int argc, char **argv, struct init_opts *o)
{
	static const struct option longs[] = {
		{"store", required_argument, NULL, 's'}, {"state", required_argument, NULL, 'S'},
		{"report", required_argument, NULL, 'r'}, {"run", required_argument, NULL, 'R'},
		{"grace-ms", required_argument, NULL, 'g'}, {"backoff-ms", required_argument, NULL, 'b'},
		{"keep", no_argument, NULL, 'k'}, {"check", no_argument, NULL, 'c'},
		{"uid-base", required_argument, NULL, 'u'}, {"report-cbor", required_argument, NULL, 'C'},
		{"proxy", no_argument, NULL, 'P'}, {"eager", no_argument, NULL, 'E'},
		{"trace", no_argument, NULL, 'T'},
		{"help", no_argument, NULL, 'h'}, {0, 0, 0, 0}};
	int ch;
	o->grace_ms = 3000;
	o->backoff_min_ms = 100;
	o->backoff_max_ms = 30000;
	o->uid_base = INIT_UID_BASE;
	while ((ch = getopt_long(argc, argv, "+s:h", longs, NULL)) != -1) {
		switch (ch) {
		case 's': o->store = optarg; break;
		case 'S': o->state = optarg; break;
		case 'r': o->report = optarg; break;
		case 'C': o->report_cbor = optarg; break;
		case 'R': o->rundir = optarg; break;
		case 'k': o->keep = 1; break;
		case 'P': o->proxy = 1; break;
		case 'E': o->eager = 1; break;
		case 'T': o->trace = 1; break;
		case 'u': {
			char *end;
			errno = 0;
			unsigned long v = strtoul(optarg, &end, 10);
			if (errno || end == optarg || *end || v == 0 || v > 0xfff00000ul)
				goto bad;
			o->uid_base = (uint32_t)v;
			break;
		}
		case 'c': o->check = 1; break;
		case 'g':
			if (parse_ms(optarg, &o->grace_ms) != 0 || strchr(optarg, ':'))
				goto bad;
			break;
		case 'b':
			if (parse_ms(optarg, &o->backoff_min_ms) != 0 || !strchr(optarg, ':') ||
			    parse_ms(strchr(optarg, ':') + 1, &o->backoff_max_ms) != 0 ||
			    o->backoff_min_ms == 0 || o->backoff_max_ms < o->backoff_min_ms)
				goto bad;
			break;
		case 'h': fputs(usage, stdout); return 1;
		default: goto bad;
		}
	}
	if (optind + 1 != argc || !o->store) {
		fputs("sigil-init: expected -s STORE and one URN\n", stderr);
		goto bad;
	}
	o->urn = argv[optind];
	return 0;
bad:
	fputs(usage, stderr);
	return 2;
}

/* Start order: a child after every server it uses (Kahn, stable: the
 * description's order among equals; sys_check has refused cycles). */
static int start_order(struct init *in)
{
	size_t n = in->n, k = 0;
	unsigned char *placed = calloc(n + 1, 1);
	in->order = calloc(n + 1, sizeof *in->order);
	if (!placed || !in->order) {
		free(placed);
		return -1;
	}
	while (k < n) {
		size_t before = k;
		for (size_t i = 0; i < n; i++) {
			if (placed[i])
				continue;
			int ready = 1;
			for (size_t b = 0; b < in->c[i].nbinds; b++)
				if (!placed[in->c[i].binds[b].server])
					ready = 0;
			if (ready) {
				placed[i] = 1;
				in->order[k++] = i;
			}
		}
		if (k == before) /* a cycle after all: the rest in description order */
			for (size_t i = 0; i < n; i++)
				if (!placed[i]) {
					placed[i] = 1;
					in->order[k++] = i;
				}
	}
	free(placed);
	return 0;
}

static int make_rundir(struct init *in)
{
	if (in->o.rundir) {
		snprintf(in->rundir, sizeof in->rundir, "%s", in->o.rundir);
		if (mkdir(in->rundir, 0700) != 0 && errno != EEXIST)
			return -1;
		in->made_rundir = errno != EEXIST;
		return 0;
	}
	const char *tmp = getenv("TMPDIR");
	snprintf(in->rundir, sizeof in->rundir, "%s/sigil-init.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(in->rundir))
		return -1;
	in->made_rundir = 1;
	return 0;
}

static void teardown(struct init *in)
{
	char p[4200];
	for (size_t i = 0; i < in->n; i++) {
		struct init_child *c = &in->c[i];
		if (c->pid > 0) { /* cannot happen after supervise; be sure anyway */
			init_signal(c, SIGKILL);
			c->pid = 0;
		}
		init_cg_remove(c);
		init_unprepare(c);
	}
	init_roots_teardown(in);
	init_net_teardown(in);
	if (in->rundir[0]) {
		snprintf(p, sizeof p, "%s/.svc", in->rundir);
		rmdir(p);
		if (in->made_rundir && rmdir(in->rundir) != 0)
			init_say("cannot remove %s: %s", in->rundir, strerror(errno));
	}
	init_cg_teardown(in);
}

int main(int argc, char **argv)
{
	struct init in;
	store *st = NULL;
	eris_error err = {0};
	sigset_t set;
	int rc = 1, prepared = 0;
	int pid1 = init_pid1_wanted(argc, argv); /* booted from an image: pid1.c */

	if (pid1 && init_pid1_setup(&argc, &argv) != 0)
		return init_pid1_poweroff(1);
	memset(&in, 0, sizeof in);
	in.sigfd = -1;
	in.redirect_fd = -1;
	dhall_arena_init(&in.arena);
	if ((rc = parse_args(argc, argv, &in.o)) != 0) {
		rc = rc == 1 ? 0 : rc;
		goto out;
	}
	rc = 1;
	if (in.o.trace)
		init_trace_start(pid1);

	/* 1 load */
	if (store_open(&st, in.o.store, STORE_READ, &err) != 0) {
		init_say("cannot open the store '%s': %s", in.o.store, err.msg);
		goto out;
	}
	if (init_load(&in, st) != 0 || start_order(&in) != 0)
		goto out;
	init_trace("system '%s' loaded (%zu children)", in.sys.name, in.n);

	/* 2 namespace */
	if (unshare(CLONE_NEWNS) != 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) {
		init_say("cannot make a private mount namespace: %s (needs root)", strerror(errno));
		goto out;
	}
	if (make_rundir(&in) != 0) {
		init_say("cannot create the run directory %s: %s", in.rundir, strerror(errno));
		in.rundir[0] = 0;
		goto out;
	}
	/* 2b every closure at /rom, verified as it is read (as PID 1 the
	 * modules still load meanwhile, pid1.c); then the NIC and the state
	 * partition come up */
	in.o.pid1 = pid1;
	if (init_verify(&in, st) != 0) {
		init_say("nothing started");
		goto out;
	}
	init_trace("/rom mounted");
	if (pid1 && init_pid1_state(&in) != 0)
		goto out;

	/* 3 signals */
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	signal(SIGPIPE, SIG_IGN);
	if (sigprocmask(SIG_BLOCK, &set, NULL) != 0 ||
	    (in.sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK)) < 0) {
		init_say("cannot make a signalfd: %s", strerror(errno));
		goto out;
	}

	/* 4 cgroups */
	if (init_cg_setup(&in) != 0 || init_net_setup(&in) != 0) /* + 4b uplinks, forwards (net.c) */
		goto out;
	init_trace("cgroups, uplinks and forwards set up");

	/* 5 prepare: all or nothing */
	for (size_t k = 0; k < in.n; k++)
		if (init_prepare(&in, &in.c[in.order[k]]) != 0) {
			init_say("nothing started");
			goto out;
		}
	prepared = 1;
	init_trace("every child's root prepared");
	store_close(st);
	st = NULL;
	if (in.o.check) {
		init_say("system '%s': %zu children verified and prepared", in.sys.name, in.n);
		rc = 0;
		goto out;
	}

	/* 6 supervise */
	init_say("system '%s' (%s): starting %zu children", in.sys.name, in.o.urn, in.n);
	rc = init_supervise(&in);
	if (in.stopping)
		init_say("all children stopped");
out:
	/* 7 teardown */
	teardown(&in);
	if (in.n && (in.o.report || in.o.report_cbor) && (prepared || in.stopping))
		init_report(&in, rc == 0 ? "stopped" : "failed");
	if (in.sigfd >= 0)
		close(in.sigfd);
	if (st)
		store_close(st);
	for (size_t i = 0; i < in.n; i++) {
		elf_desc_release(&in.c[i].desc);
		free(in.c[i].binds);
		free(in.c[i].hbinds);
		free(in.c[i].denials);
	}
	free(in.c);
	free(in.order);
	dhall_arena_free(&in.arena);
	return pid1 ? init_pid1_poweroff(rc) : rc;
}
