/*
 * init.h — sigil-init: what its files share.
 *
 * sigil-init runs a built system (docs/sigil-init.8): it reads the system
 * description by URN from a store, serves every child's closure at /rom
 * in a root of its own (each block verified when first read), then starts
 * each child in new mount, PID, IPC, UTS and network namespaces under
 * memory and pids cgroups, captures its output as "[name] line", restarts
 * it as its policy says, and keeps a JSON state report. The files:
 *
 *   main.c        options, the load and prepare phases, the run, teardown
 *   supervisor.c  the state × event table and the one poll loop
 *   sandbox.c     clone3 into namespaces; the child side (mounts,
 *                 pivot_root, capabilities, exec) and its PID-1 stub
 *   rom.c         the system description and each child's root: /rom
 *                 (closure + ROM modules), /dev, state and service mounts
 *   cgroup.c      memory (v2 memory.max or v1 limit_in_bytes) and pids
 *   net.c         uplinks (veth pairs by rtnetlink) and port forwards (a
 *                 TCP proxy in the poll loop)
 *   redirect.c    tcp forwards in the kernel: a cgroup connect4 BPF program
 *   deny.c        denials: declared uses no policy names (nothing at the path)
 *   seccomp.c     the default seccomp filter (libseccomp, exported as BPF)
 *   log.c         child output, line by line, prefixed with the label; a
 *                 ring of each child's last lines for the report
 *   report.c      the state report, rewritten atomically on change
 *
 * Invariants: no byte of a child's /rom reaches it unverified (lib/romfs:
 * a bad block fails that read and is named on the console; eagerly,
 * nothing starts); every mount is made in init's own private
 * mount namespace (the host never sees one); every cgroup, mount and
 * directory init made is removed on the way out, also after a failure.
 * The supervisor's state lives in one struct init (owned by main).
 */
#ifndef SIGIL_INIT_H
#define SIGIL_INIT_H

#include "elf/elf.h"
#include "system/sys.h"

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct sock_filter;
struct init_net;

#define INIT_LOG_LINE 4096 /* a longer line is split */
#define INIT_RING 8192     /* bytes of a child's last lines kept for the report */
#define INIT_RING_LINES 100 /* and at most this many lines of them reported */
#define INIT_UID_BASE 1000000000u /* children's uids and gids: base + index */

/* The state of a child (the rows of the table in supervisor.c). */
enum init_state {
	ST_DOWN,     /* not running, not scheduled (initially, and after a stop) */
	ST_RUNNING,  /* its stub is alive */
	ST_BACKOFF,  /* exited; restarts when its deadline passes */
	ST_STOPPING, /* SIGTERM sent; SIGKILL when the grace period ends */
	ST_EXITED,   /* exited for good (restart policy) */
	ST_NSTATES
};

/* Events (the columns). */
enum init_event {
	EV_START,        /* start it now */
	EV_DIED_RESTART, /* it exited and its policy wants it back */
	EV_DIED_DONE,    /* it exited and stays down */
	EV_TIMER,        /* its deadline passed */
	EV_STOP,         /* shut it down */
	EV_NEVENTS
};

/* A use of this child no policy names (deny.c): nothing at its path. */
struct init_denial {
	const char *service;
	char path[512];
	char label[1024]; /* its full label, which a policy would have to match */
};

/* A use routed into this child: the server's service directory appears at
 * /run/sigil/SERVICE, and `path` is a symbolic link to its socket. */
struct init_bind {
	const char *service;
	size_t server;
	char path[512];
};

/* A use routed to a service of the system's parent: the host's socket
 * `host` bind-mounted at `path` in the child. */
struct init_hostbind {
	const char *service, *host;
	char path[512];
};

struct init_child {
	const struct sys_child *sys;
	const char *name;
	size_t index;     /* in the description */
	elf_desc desc;    /* its closure: exec, argv0, env, files */
	char root[4096];  /* its root on the host side (in init's namespace) */
	char svcdir[4096];/* host directory holding its services' directories */
	struct init_bind *binds;
	size_t nbinds;
	struct init_hostbind *hbinds; /* services of the parent (rom.c) */
	size_t nhbinds;
	int prepared;     /* root mounted and filled */
	uid_t uid;        /* it runs as uid/gid (sys uid, or uid_base + index) */
	struct init_denial *denials; /* deny.c */
	size_t ndenials;
	gid_t gid;

	/* supervision */
	enum init_state state;
	pid_t pid;        /* the stub (PID 1 of its namespace), 0 when none */
	int pidfd, logfd, statusfd;
	int64_t deadline; /* ms, CLOCK_MONOTONIC; 0 when none */
	int64_t started;  /* ms */
	unsigned restarts;
	unsigned backoff_ms;
	int killed;       /* SIGKILL sent */
	int has_status;
	int status;       /* the program's wait status (or the stub's) */
	char reason[512]; /* why it stopped, "" when nothing to say */
	uint64_t oom_before;

	/* uplink (net.c): addresses in network byte order */
	int uplink;       /* it has one */
	uint32_t net_addr, net_mask, net_gw;
	char veth[16];    /* the host side's name */

	/* cgroups: memory and pids directories ("" when none) */
	char cg_mem[512], cg_pids[512];

	/* log line assembly */
	char line[INIT_LOG_LINE];
	size_t linelen;
	/* its last lines (log.c): ringlen bytes of the ring end at ringend
	 * (in->c is calloc'd: the pages of a child that prints nothing stay
	 * untouched) */
	char ring[INIT_RING];
	size_t ringend, ringlen;
	int log_new;      /* lines not yet in the report */
	struct sock_filter *bpf; /* its seccomp filter (seccomp.c) */
	unsigned short nbpf;
};

struct init_opts {
	const char *store;   /* store spec */
	const char *urn;     /* the system's root capability */
	const char *state;   /* host directory of state mounts, NULL when none */
	const char *report;  /* JSON report path, NULL when none */
	const char *report_cbor; /* the same report as CBOR, NULL when none */
	const char *rundir;  /* where children's roots are mounted (a new temporary dir) */
	unsigned grace_ms;   /* SIGTERM → SIGKILL */
	unsigned backoff_min_ms, backoff_max_ms;
	int keep;            /* keep running when every child has exited */
	int check;           /* prepare everything, start nothing, exit */
	uint32_t uid_base;   /* child i runs as uid/gid uid_base + i unless it names one */
	uint32_t fwd_addr;   /* forwards listen on this IPv4 address (network
	                      * order); 0: 127.0.0.1. As PID 1: the VM's NIC */
	const char *fwd_dev; /* and take only what arrives on this interface
	                      * (SO_BINDTODEVICE); NULL: any */
	int proxy;           /* tcp forwards through the proxy only (no redirect.c) */
	int eager;           /* every block verified before anything starts */
	int pid1;            /* as PID 1: the /rom server keeps the store open */
	int trace;           /* the start-up timeline on stderr (trace.c) */
};

struct init {
	struct init_opts o;
	struct dhall_arena arena;
	struct sys_system sys;
	struct init_child *c;
	size_t n;
	size_t *order;       /* start order: servers before their clients */
	int sigfd;
	int stopping;        /* shutdown requested */
	int dirty;           /* the report is out of date */
	int cg_v2;
	char cg_name[128];   /* "sigil/SYSTEM-PID" under each hierarchy */
	char rundir[4096];
	int made_rundir;
	struct init_net *net;        /* forwards and their connections (net.c) */
	struct sock_filter *bpf;     /* the seccomp filter (seccomp.c), in the arena */
	unsigned short nbpf;
	/* the shared tmpfs RUNDIR/.roots and the children's /rom (rom.c) */
	int roots_mounted;
	pid_t rom_server;            /* serves RUNDIR/.roots/rom; 0 when none */
	int redirect_fd;             /* the BPF link of redirect.c, -1 when none */
	int64_t log_at;              /* ms: when log lines last made the report dirty */
	int64_t loaded_us;           /* µs, CLOCK_MONOTONIC: the description was read */
};

/* ---- rom.c ---- */
/* Loads the description named by o->urn (every block verified), checks it
 * is a built system (binaries and ROMs are URNs) and passes sys_check, and
 * loads every child's closure description. Prints what is wrong; 0 or -1. */
int init_load(struct init *in, store *st);
/* Mounts every child's /rom (closure and ROM modules) at RUNDIR/.roots/rom
 * and forks its server (lib/romfs), which verifies each block when it is
 * first read; with o.eager or o.check, every block first. Needs
 * in->rundir. 0 or -1 (printed, naming the child, the file and the block). */
int init_verify(struct init *in, store *st);
/* Builds child c's root under in->rundir: /rom (a bind of its part of the
 * romfs), /dev, /proc, /tmp, mount targets, state and service binds; then
 * makes it read-only. 0 or -1 (printed). */
int init_prepare(struct init *in, struct init_child *c);
/* Unmounts everything under c->root and removes it. */
void init_unprepare(struct init_child *c);
/* Unmounts the shared tmpfs of the roots and /rom, ends the /rom server
 * (after every child's init_unprepare). Idempotent. */
void init_roots_teardown(struct init *in);

/* ---- cgroup.c ---- */
int init_cg_first(void);                                  /* v2: the first group, sigil/ */
int init_cg_setup(struct init *in);                       /* the run's parent groups */
int init_cg_create(struct init *in, struct init_child *c);/* a child's groups + limits */
int init_cg_attach(const struct init_child *c, pid_t pid);
uint64_t init_cg_oom_kills(const struct init_child *c);
uint64_t init_cg_mem_used(const struct init_child *c);
uint64_t init_cg_pids_used(const struct init_child *c); /* pids.current */
unsigned init_cg_fds_used(const struct init_child *c);  /* most open fds of one process */
void init_cg_remove(struct init_child *c);
void init_cg_teardown(struct init *in);

/* ---- sandbox.c ---- */
/* Starts child c: pipes, clone3 into its namespaces, cgroups, go. Sets
 * c->pid, pidfd, logfd, statusfd. 0 or -1 (reason in c->reason). */
int init_spawn(struct init *in, struct init_child *c);
/* Sends sig to c's stub (pidfd when there is one). */
void init_signal(struct init_child *c, int sig);

/* ---- net.c ---- */
struct pollfd;
/* Checks every uplink (address, not a host address, not twice), names the
 * host sides, and listens on 127.0.0.1:HOST for every tcp forward. Prints
 * what is wrong; 0 or -1 (init_net_teardown undoes a part done). */
int init_net_setup(struct init *in);
/* The veth of child c, whose stub is pid (not yet let go): peer "eth0" in
 * its network namespace, host side addressed and up. 0 or -1 (c->reason). */
int init_net_up(struct init *in, struct init_child *c, pid_t pid);
/* Deletes c's host side (and so its peer), if there is one. */
void init_net_down(struct init_child *c);
/* The proxy in the poll loop: how many pollfds it may fill, fills them
 * (returns how many), then handles their events. */
size_t init_net_npoll(const struct init *in);
size_t init_net_poll(struct init *in, struct pollfd *pfd);
void init_net_events(struct init *in, const struct pollfd *pfd, size_t n);
/* Closes every connection and listener, deletes every veth. Idempotent. */
void init_net_teardown(struct init *in);

/* ---- redirect.c ---- */
/* The kernel's redirect of the tcp forwards host[k] -> child[k]:port[k]
 * (sock: any socket of init's network namespace). Falls back to the proxy
 * (says why) and returns 0 when it cannot; sets in->redirect_fd. */
int init_redirect_setup(struct init *in, int sock, const uint16_t *host, const size_t *child,
			const uint16_t *port, size_t nf);
/* Detaches it. Idempotent. */
void init_redirect_teardown(struct init *in);

/* ---- deny.c ---- */
/* Records c's uses that no route serves as its denials (prepare phase);
 * nothing is put at their paths. 0 or -1 with errno. */
int init_deny_record(struct init_child *c);

/* ---- seccomp.c ---- */
/* Sets c->bpf/nbpf: the default filter (built once into in->bpf, shared),
 * or, when c grants calls (sys `seccomp`) or names its only calls (sys
 * `syscalls`: a strict allow-list), its own. 0 or -1 (printed). */
int init_seccomp_build(struct init *in, struct init_child *c);

/* ---- log.c ---- */
/* Reads what is there on c->logfd and prints whole lines; at EOF prints
 * the rest and closes it. */
void init_log_read(struct init_child *c);
void init_log_flush(struct init_child *c);
/* Log lines wait for the report at most INIT_LOG_REPORT_MS: marks the
 * report dirty when some are due; returns the ms until the next are due,
 * -1 when none wait. */
#define INIT_LOG_REPORT_MS 250
int init_log_due(struct init *in, int64_t now);
/* c's last lines, whole, oldest first, into out (INIT_RING bytes); the length. */
size_t init_log_copy(const struct init_child *c, char *out);
/* "sigil-init: ..." on stderr. */
void init_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- trace.c ---- */
/* Turns the timeline on (once; as PID 1 its times count from the kernel's
 * start, otherwise from this call). */
void init_trace_start(int pid1);
int init_tracing(void);
/* "sigil-init: trace T s: ..." on stderr when tracing, else nothing. */
void init_trace(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- report.c ---- */
void init_report(const struct init *in, const char *overall);
const char *init_state_name(const struct init_child *c);

/* ---- supervisor.c ---- */
/* Runs the poll loop until every child is down (or exited, unless keep).
 * Returns init's exit status. */
int init_supervise(struct init *in);
int64_t init_now_ms(void);

#endif
