/*
 * cgroup.c — a child's RAM and caps quotas, enforced by the kernel.
 *
 *   RAM   the memory controller: cgroup v2 memory.max (+ memory.swap.max 0)
 *         when the unified hierarchy has it; otherwise v1
 *         memory.limit_in_bytes (Debian VMs with the v1 memory hierarchy,
 *         as in ../shared/notes/boot-and-sandbox.md §4). The kernel's OOM
 *         killer acts inside the group only; init reads the group's
 *         oom_kill counter to say why a child died.
 *   caps  pids.max = caps (processes and threads); sandbox.c also sets
 *         RLIMIT_NOFILE = caps (file descriptors).
 *
 * Layout: HIER/sigil/SYSTEM-INITPID/CHILD, where HIER is /sys/fs/cgroup
 * (v2) or /sys/fs/cgroup/memory and /sys/fs/cgroup/pids (v1). One group per
 * child for the whole run (restarts reuse it); all removed at teardown
 * (the shared "sigil" parent too, when empty). No memory controller at
 * all: init refuses to start anything (quotas are declared, so enforced).
 *
 * Use, for the report: memory.current (v1 usage_in_bytes), pids.current,
 * and the most descriptors one of the child's processes has open (its
 * RLIMIT_NOFILE is per process): /proc/PID/fd of each PID in cgroup.procs.
 * init_cg_setup also stamps in->loaded_us: it is the first step after the
 * description was read and checked (the start of bench/init.sh's latency).
 */
#include "init.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "banned.h"

#define CG "/sys/fs/cgroup"

static int put(const char *dir, const char *file, const char *value)
{
	char p[700];
	snprintf(p, sizeof p, "%s/%s", dir, file);
	int fd = open(p, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = write(fd, value, strlen(value));
	int e = errno;
	close(fd);
	errno = e;
	return n == (ssize_t)strlen(value) ? 0 : -1;
}

static int get(const char *dir, const char *file, char *buf, size_t size)
{
	char p[700];
	snprintf(p, sizeof p, "%s/%s", dir, file);
	int fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = 0;
	return 0;
}

static int has_word(const char *text, const char *word)
{
	size_t n = strlen(word);
	for (const char *p = strstr(text, word); p; p = strstr(p + 1, word))
		if ((p == text || p[-1] == ' ') && (p[n] == 0 || p[n] == ' ' || p[n] == '\n'))
			return 1;
	return 0;
}

static int mkdir_ok(const char *p)
{
	return mkdir(p, 0755) == 0 || errno == EEXIST ? 0 : -1;
}

/* v2: CG/sigil, with memory and pids enabled below the root. The first
 * memory cgroup turns the kernel's memcg static keys on, so PID 1 calls
 * this before anything else runs (pid1.c says why); init_cg_setup calls
 * it again. 0, or -1 with errno when the directory cannot be made. */
int init_cg_first(void)
{
	if (mkdir_ok(CG "/sigil") != 0)
		return -1;
	put(CG, "cgroup.subtree_control", "+memory +pids"); /* may be on already */
	return 0;
}

int init_cg_setup(struct init *in)
{
	char ctl[512] = "", p[600];
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	in->loaded_us = (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
	snprintf(in->cg_name, sizeof in->cg_name, "%.60s-%ld", in->sys.name, (long)getpid());
	if (get(CG, "cgroup.controllers", ctl, sizeof ctl) == 0 && has_word(ctl, "memory")) {
		in->cg_v2 = 1;
		if (init_cg_first() != 0)
			goto fail;
		if (put(CG "/sigil", "cgroup.subtree_control", "+memory +pids") != 0)
			goto fail;
		snprintf(p, sizeof p, CG "/sigil/%s", in->cg_name);
		if (mkdir_ok(p) != 0 || put(p, "cgroup.subtree_control", "+memory +pids") != 0)
			goto fail;
		return 0;
	}
	struct stat st;
	if (stat(CG "/memory/memory.limit_in_bytes", &st) != 0 || stat(CG "/pids", &st) != 0) {
		init_say("no memory and pids cgroup controllers (neither cgroup v2 memory.max nor v1 "
			 "memory.limit_in_bytes): cannot enforce quotas, nothing started");
		return -1;
	}
	const char *hier[2] = {CG "/memory", CG "/pids"};
	for (int i = 0; i < 2; i++) {
		snprintf(p, sizeof p, "%s/sigil", hier[i]);
		if (mkdir_ok(p) != 0)
			goto fail;
		snprintf(p, sizeof p, "%s/sigil/%s", hier[i], in->cg_name);
		if (mkdir_ok(p) != 0)
			goto fail;
	}
	return 0;
fail:
	init_say("cannot set up cgroups under " CG ": %s", strerror(errno));
	return -1;
}

int init_cg_create(struct init *in, struct init_child *c)
{
	char v[64];
	if (in->cg_v2) {
		snprintf(c->cg_mem, sizeof c->cg_mem, CG "/sigil/%s/%s", in->cg_name, c->name);
		snprintf(c->cg_pids, sizeof c->cg_pids, "%s", c->cg_mem);
	} else {
		snprintf(c->cg_mem, sizeof c->cg_mem, CG "/memory/sigil/%s/%s", in->cg_name, c->name);
		snprintf(c->cg_pids, sizeof c->cg_pids, CG "/pids/sigil/%s/%s", in->cg_name, c->name);
	}
	if (mkdir_ok(c->cg_mem) != 0 || mkdir_ok(c->cg_pids) != 0)
		goto fail;
	snprintf(v, sizeof v, "%llu", (unsigned long long)c->sys->ram);
	if (in->cg_v2) {
		if (put(c->cg_mem, "memory.max", v) != 0)
			goto fail;
		put(c->cg_mem, "memory.swap.max", "0"); /* absent without swap accounting */
	} else {
		if (put(c->cg_mem, "memory.limit_in_bytes", v) != 0)
			goto fail;
		put(c->cg_mem, "memory.memsw.limit_in_bytes", v);
	}
	snprintf(v, sizeof v, "%llu", (unsigned long long)c->sys->caps);
	if (put(c->cg_pids, "pids.max", v) != 0)
		goto fail;
	return 0;
fail:
	init_say("child '%s': cannot set up its cgroups: %s", c->name, strerror(errno));
	return -1;
}

int init_cg_attach(const struct init_child *c, pid_t pid)
{
	char v[32];
	snprintf(v, sizeof v, "%ld", (long)pid);
	if (put(c->cg_mem, "cgroup.procs", v) != 0)
		return -1;
	if (strcmp(c->cg_pids, c->cg_mem) != 0 && put(c->cg_pids, "cgroup.procs", v) != 0)
		return -1;
	return 0;
}

static uint64_t field(const char *text, const char *name)
{
	size_t n = strlen(name);
	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (strncmp(p, name, n) == 0 && p[n] == ' ')
			return strtoull(p + n + 1, NULL, 10);
	return 0;
}

uint64_t init_cg_oom_kills(const struct init_child *c)
{
	char buf[1024];
	if (!c->cg_mem[0])
		return 0;
	if (get(c->cg_mem, "memory.events", buf, sizeof buf) == 0)
		return field(buf, "oom_kill");
	if (get(c->cg_mem, "memory.oom_control", buf, sizeof buf) == 0)
		return field(buf, "oom_kill");
	return 0;
}

uint64_t init_cg_mem_used(const struct init_child *c)
{
	char buf[64];
	if (!c->cg_mem[0])
		return 0;
	if (get(c->cg_mem, "memory.current", buf, sizeof buf) == 0 ||
	    get(c->cg_mem, "memory.usage_in_bytes", buf, sizeof buf) == 0)
		return strtoull(buf, NULL, 10);
	return 0;
}

uint64_t init_cg_pids_used(const struct init_child *c)
{
	char buf[64];
	if (!c->cg_pids[0] || get(c->cg_pids, "pids.current", buf, sizeof buf) != 0)
		return 0;
	return strtoull(buf, NULL, 10);
}

unsigned init_cg_fds_used(const struct init_child *c)
{
	char buf[4096], p[64];
	unsigned most = 0;
	if (!c->cg_pids[0] || get(c->cg_pids, "cgroup.procs", buf, sizeof buf) != 0)
		return 0;
	for (char *s = buf, *end; *s; s = end) {
		long pid = strtol(s, &end, 10);
		if (end == s)
			break;
		snprintf(p, sizeof p, "/proc/%ld/fd", pid);
		DIR *d = opendir(p);
		unsigned n = 0;
		for (struct dirent *e; d && (e = readdir(d));)
			n += e->d_name[0] != '.';
		if (d)
			closedir(d);
		most = n > most ? n : most;
	}
	return most;
}

/* rmdir, retrying while the last processes finish leaving (EBUSY). */
static void rmdir_wait(const char *p)
{
	struct timespec ts = {0, 10 * 1000 * 1000};
	for (int i = 0; i < 200; i++) {
		if (rmdir(p) == 0 || errno == ENOENT)
			return;
		if (errno != EBUSY)
			break;
		nanosleep(&ts, NULL);
	}
	init_say("cannot remove cgroup %s: %s", p, strerror(errno));
}

void init_cg_remove(struct init_child *c)
{
	if (c->cg_mem[0])
		rmdir_wait(c->cg_mem);
	if (c->cg_pids[0] && strcmp(c->cg_pids, c->cg_mem) != 0)
		rmdir_wait(c->cg_pids);
	c->cg_mem[0] = c->cg_pids[0] = 0;
}

void init_cg_teardown(struct init *in)
{
	char p[600];
	if (!in->cg_name[0])
		return;
	if (in->cg_v2) {
		snprintf(p, sizeof p, CG "/sigil/%s", in->cg_name);
		rmdir_wait(p);
		rmdir(CG "/sigil"); /* shared with other inits: only when empty */
		return;
	}
	const char *hier[2] = {CG "/memory", CG "/pids"};
	for (int i = 0; i < 2; i++) {
		snprintf(p, sizeof p, "%s/sigil/%s", hier[i], in->cg_name);
		rmdir_wait(p);
		snprintf(p, sizeof p, "%s/sigil", hier[i]);
		rmdir(p);
	}
}
