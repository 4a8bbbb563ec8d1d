/*
 * supervisor.c — the state × event table and the one poll loop (after
 * s6-supervise): every change of a child is a table lookup, nothing else
 * moves a child between states.
 *
 *   state \ event  START        DIED_RESTART   DIED_DONE   TIMER        STOP
 *   down           start→running    -              -           -        -→down
 *   running            -        backoff→backoff record→exited  -        term→stopping
 *   backoff            -            -              -       restart→running  -→down
 *   stopping           -        record→down    record→down  kill→stopping   -
 *   exited             -            -              -           -        -→exited
 *
 * ("-" does nothing.) A failed start counts as an exit with a failure (so
 * the restart policy and backoff apply; a start that cannot work, e.g. a
 * missing cgroup, stops at its policy). DIED_RESTART / DIED_DONE come from
 * the restart policy: Always restarts, OnFailure restarts after a non-zero
 * exit or a signal, Never does not; nothing restarts while init stops.
 * Backoff doubles from backoff_min_ms to backoff_max_ms and starts over
 * when the child had run for BACKOFF_RESET_MS; a child with a restartDelay
 * waits exactly that long instead.
 *
 * The loop polls the signalfd (SIGCHLD, SIGTERM, SIGINT), every child's
 * log pipe and the port forwards' sockets (net.c); its timeout is the
 * nearest deadline (backoff or grace, or log lines due in the report). On
 * SIGTERM/SIGINT children stop one at a time in reverse start order
 * (SIGTERM, then SIGKILL after the grace period); a second signal kills
 * what is left at once. Without --keep the loop also ends when every child
 * has exited for good.
 */
#include "init.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "banned.h"

#define BACKOFF_RESET_MS 10000

int64_t init_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

typedef int (*action_fn)(struct init *in, struct init_child *c);

static int act_none(struct init *in, struct init_child *c)
{
	(void)in;
	(void)c;
	return 0;
}

static int act_start(struct init *in, struct init_child *c)
{
	if (!c->cg_mem[0] && init_cg_create(in, c) != 0) {
		snprintf(c->reason, sizeof c->reason, "cannot set up its cgroups");
		return -1;
	}
	if (init_spawn(in, c) != 0) {
		init_say("child '%s': %s", c->name, c->reason);
		return -1;
	}
	c->started = init_now_ms();
	c->deadline = 0;
	init_trace("child '%s' started (pid %d)", c->name, (int)c->pid);
	return 0;
}

static int act_restart(struct init *in, struct init_child *c)
{
	c->restarts++;
	return act_start(in, c);
}

static int act_backoff(struct init *in, struct init_child *c)
{
	int64_t now = init_now_ms();
	if (c->sys->has_restart_delay) { /* restartDelay: fixed, no doubling */
		c->deadline = now + (int64_t)c->sys->restart_delay;
		return 0;
	}
	if (!c->backoff_ms || now - c->started >= BACKOFF_RESET_MS)
		c->backoff_ms = in->o.backoff_min_ms;
	else if (c->backoff_ms < in->o.backoff_max_ms)
		c->backoff_ms = c->backoff_ms * 2 > in->o.backoff_max_ms ? in->o.backoff_max_ms
									 : c->backoff_ms * 2;
	c->deadline = now + c->backoff_ms;
	return 0;
}

static int act_term(struct init *in, struct init_child *c)
{
	init_signal(c, SIGTERM);
	c->deadline = init_now_ms() + in->o.grace_ms;
	return 0;
}

static int act_kill(struct init *in, struct init_child *c)
{
	(void)in;
	init_signal(c, SIGKILL);
	c->killed = 1;
	c->deadline = 0;
	return 0;
}

static int act_clear(struct init *in, struct init_child *c)
{
	(void)in;
	c->deadline = 0;
	return 0;
}

struct cell {
	action_fn act;
	enum init_state next;
};

#define NONE(s) {act_none, s}
static const struct cell table[ST_NSTATES][EV_NEVENTS] = {
	/*               START                       DIED_RESTART               DIED_DONE                 TIMER                        STOP */
	[ST_DOWN] =     {{act_start, ST_RUNNING},    NONE(ST_DOWN),             NONE(ST_DOWN),            NONE(ST_DOWN),               NONE(ST_DOWN)},
	[ST_RUNNING] =  {NONE(ST_RUNNING),           {act_backoff, ST_BACKOFF}, NONE(ST_EXITED),          NONE(ST_RUNNING),            {act_term, ST_STOPPING}},
	[ST_BACKOFF] =  {NONE(ST_BACKOFF),           NONE(ST_BACKOFF),          NONE(ST_BACKOFF),         {act_restart, ST_RUNNING},   {act_clear, ST_DOWN}},
	[ST_STOPPING] = {NONE(ST_STOPPING),          NONE(ST_DOWN),             NONE(ST_DOWN),            {act_kill, ST_STOPPING},     NONE(ST_STOPPING)},
	[ST_EXITED] =   {NONE(ST_EXITED),            NONE(ST_EXITED),           NONE(ST_EXITED),          NONE(ST_EXITED),             NONE(ST_EXITED)},
};

/* The only place a child changes state. A failed start is an exit with a
 * failure, decided by the restart policy like any other. */
static void dispatch(struct init *in, struct init_child *c, enum init_event ev)
{
	const struct cell *cell = &table[c->state][ev];
	enum init_state before = c->state;
	if (cell->act(in, c) == 0) {
		c->state = cell->next;
	} else {
		c->has_status = 1;
		c->status = 127 << 8;
		c->state = ST_EXITED;
		int restart = c->sys->restart != SYS_RESTART_NEVER && !in->stopping;
		if (restart) {
			c->state = ST_RUNNING; /* as if it had started and died at once */
			dispatch(in, c, EV_DIED_RESTART);
		}
	}
	if (c->state != before || ev == EV_TIMER)
		in->dirty = 1;
}

/* The stub of c was reaped with wait status `st`: what happened, then the
 * table. */
static void died(struct init *in, struct init_child *c, int st)
{
	int prog = 0;
	if (c->statusfd >= 0) {
		ssize_t n = read(c->statusfd, &prog, sizeof prog);
		if (n == (ssize_t)sizeof prog)
			st = prog;
		close(c->statusfd);
		c->statusfd = -1;
	}
	if (c->pidfd >= 0)
		close(c->pidfd);
	c->pidfd = -1;
	c->pid = 0;
	init_net_down(c);
	if (c->logfd >= 0)
		init_log_read(c);
	c->has_status = 1;
	c->status = st;
	uint64_t ooms = init_cg_oom_kills(c);
	int failed = !(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	if (ooms > c->oom_before)
		snprintf(c->reason, sizeof c->reason,
			 "out of memory: raise resources.ram of '%s' (now %llu bytes)", c->name,
			 (unsigned long long)c->sys->ram);
	else if (c->state == ST_STOPPING)
		snprintf(c->reason, sizeof c->reason, "%s", c->killed ? "killed after the grace period"
								       : "stopped");
	else if (WIFEXITED(st) && WEXITSTATUS(st))
		snprintf(c->reason, sizeof c->reason, "exited with status %d", WEXITSTATUS(st));
	else if (WIFSIGNALED(st))
		snprintf(c->reason, sizeof c->reason, "killed by signal %d (%s)", WTERMSIG(st),
			 strsignal(WTERMSIG(st)));
	else
		c->reason[0] = 0;
	if (c->reason[0] && c->state == ST_RUNNING)
		init_say("child '%s' %s", c->name, c->reason);
	enum sys_restart pol = c->sys->restart;
	int again = !in->stopping &&
		    (pol == SYS_RESTART_ALWAYS || (pol == SYS_RESTART_ON_FAILURE && failed));
	dispatch(in, c, again ? EV_DIED_RESTART : EV_DIED_DONE);
}

static void reap(struct init *in)
{
	int st;
	pid_t pid;
	while ((pid = waitpid(-1, &st, WNOHANG)) > 0)
		for (size_t i = 0; i < in->n; i++)
			if (in->c[i].pid == pid) {
				died(in, &in->c[i], st);
				break;
			}
}

/* Shutdown: one child at a time, in reverse start order. */
static void stop_next(struct init *in)
{
	for (size_t k = in->n; k-- > 0;) {
		struct init_child *c = &in->c[in->order[k]];
		if (c->state == ST_STOPPING)
			return;
		if (c->state == ST_RUNNING || c->state == ST_BACKOFF) {
			dispatch(in, c, EV_STOP);
			if (c->state == ST_STOPPING)
				return;
		}
	}
}

static int busy(const struct init *in)
{
	for (size_t i = 0; i < in->n; i++) {
		enum init_state s = in->c[i].state;
		if (s == ST_RUNNING || s == ST_BACKOFF || s == ST_STOPPING)
			return 1;
	}
	return 0;
}

static int on_signal(struct init *in)
{
	struct signalfd_siginfo si;
	for (;;) {
		ssize_t n = read(in->sigfd, &si, sizeof si);
		if (n < 0 && errno == EINTR)
			continue;
		if (n != (ssize_t)sizeof si)
			return 0;
		if (si.ssi_signo == SIGCHLD) {
			reap(in);
		} else if (!in->stopping) {
			init_say("%s: stopping the children in reverse start order",
				 strsignal((int)si.ssi_signo));
			in->stopping = 1;
			in->dirty = 1;
		} else { /* asked twice: no more grace */
			init_say("%s again: killing what is left", strsignal((int)si.ssi_signo));
			for (size_t i = 0; i < in->n; i++) {
				if (in->c[i].state == ST_RUNNING)
					dispatch(in, &in->c[i], EV_STOP);
				if (in->c[i].state == ST_STOPPING)
					dispatch(in, &in->c[i], EV_TIMER);
			}
		}
	}
}

int init_supervise(struct init *in)
{
	size_t cap = in->n + 1;
	struct pollfd *pfd = calloc(cap, sizeof *pfd);
	size_t *who = calloc(cap, sizeof *who);
	int rc = 0;
	if (!pfd || !who) {
		init_say("out of memory");
		rc = 1;
		goto out;
	}
	on_signal(in); /* a SIGTERM during the prepare phase: start nothing */
	for (size_t k = 0; k < in->n && !in->stopping; k++) {
		dispatch(in, &in->c[in->order[k]], EV_START);
		on_signal(in); /* a child that died at once, or a signal meanwhile */
	}
	init_report(in, in->stopping ? "stopping" : "running");
	in->dirty = 0;
	for (;;) {
		if (in->stopping)
			stop_next(in);
		init_log_due(in, init_now_ms());
		if (in->dirty) {
			init_report(in, in->stopping ? "stopping" : "running");
			in->dirty = 0;
		}
		if (!busy(in) && (in->stopping || !in->o.keep))
			break;
		size_t np = 0, need = in->n + 1 + init_net_npoll(in);
		if (need > cap) {
			struct pollfd *np2 = realloc(pfd, need * sizeof *pfd);
			size_t *nw = np2 ? realloc(who, need * sizeof *who) : NULL;
			pfd = np2 ? np2 : pfd;
			who = nw ? nw : who;
			if (!np2 || !nw) {
				init_say("out of memory");
				rc = 1;
				break;
			}
			cap = need;
		}
		pfd[np++] = (struct pollfd){in->sigfd, POLLIN, 0};
		for (size_t i = 0; i < in->n; i++)
			if (in->c[i].logfd >= 0) {
				who[np] = i;
				pfd[np++] = (struct pollfd){in->c[i].logfd, POLLIN, 0};
			}
		size_t nlog = np;
		np += init_net_poll(in, pfd + np);
		size_t nnet = np;
		int64_t now = init_now_ms(), next = -1;
		for (size_t i = 0; i < in->n; i++)
			if (in->c[i].deadline && (next < 0 || in->c[i].deadline < next))
				next = in->c[i].deadline;
		int timeout = next < 0 ? -1 : next <= now ? 0 : (int)(next - now);
		int logdue = init_log_due(in, now); /* log lines for the report */
		timeout = logdue >= 0 && (timeout < 0 || logdue < timeout) ? logdue : timeout;
		int n = poll(pfd, np, timeout);
		if (n < 0 && errno != EINTR) {
			init_say("poll: %s", strerror(errno));
			rc = 1;
			in->stopping = 1;
			continue;
		}
		for (size_t p = 1; n > 0 && p < nlog; p++)
			if (pfd[p].revents && in->c[who[p]].logfd == pfd[p].fd)
				init_log_read(&in->c[who[p]]);
		if (n > 0)
			init_net_events(in, pfd + nlog, nnet - nlog);
		if (n > 0 && pfd[0].revents)
			on_signal(in);
		now = init_now_ms();
		for (size_t i = 0; i < in->n; i++)
			if (in->c[i].deadline && in->c[i].deadline <= now) {
				in->c[i].deadline = 0;
				dispatch(in, &in->c[i], EV_TIMER);
			}
	}
	for (size_t i = 0; i < in->n; i++) {
		if (in->c[i].logfd >= 0) {
			init_log_flush(&in->c[i]);
			close(in->c[i].logfd);
			in->c[i].logfd = -1;
		}
		if (!in->stopping && in->c[i].state == ST_EXITED && strcmp(init_state_name(&in->c[i]), "failed") == 0)
			rc = rc ? rc : 1;
	}
out:
	free(pfd);
	free(who);
	return rc;
}
