/*
 * rom.c — what sigil-init reads and what each child's root holds.
 *
 * Load (init_load), before anything is mounted or started:
 *   1. the system description: decoded by URN from the store, every block
 *      verified, then read strictly (sys_load_cbor) and checked (sys_check);
 *   2. it must be a built system: every binary and every ROM module a
 *      urn:eris: capability (sigil build makes them so);
 *   3. every child's closure description (elf_desc_load, verified);
 *   4. the routes (sys_routes): which server's service each use reaches.
 *
 * Verify (init_verify), once, in init's private mount namespace: every
 * closure and ROM module mounted at RUNDIR/.roots/rom, a FUSE file system
 * whose server (a process of ours, lib/romfs) verifies each block when it
 * is first read (see "/rom" below).
 *
 * Prepare (init_prepare), once per child, after that; the child later
 * pivots into its root. Every root is a directory RUNDIR/.roots/INDEX of
 * a tmpfs (nosuid, nodev). Layout of RUNDIR/NAME, a bind of the child's
 * directory:
 *
 *   /            made read-only when filled (nosuid, nodev)
 *   /rom         a bind of RUNDIR/.roots/rom/INDEX (read-only, nosuid, nodev):
 *   /rom/URN...  the closure, 0555
 *   /rom/NAME    each ROM module by its name (e.g. /rom/config), 0444
 *   /dev/{null,zero,full,random,urandom}  bind mounts of the host's
 *   /dev/{fd,stdin,stdout,stderr}          links into /proc/self/fd
 *   /etc/passwd, /etc/group  root and the child itself (its name, uid and
 *                gid), and as groups the servers it is routed to with the
 *                child as member (unless the closure declares its own)
 *   /proc /tmp   empty: the child mounts its own proc and a sized tmpfs
 *   TARGET       each mount: a state directory (bind of STATE/DIR,
 *                read-only unless writable; a writable one is owned by the
 *                child's uid and gid, chowned through when it is not) or a
 *                tmpfs (mounted by the child, owned by it)
 *   /run/sigil/SERVICE          (a server) the directory of each service it
 *                               provides: it listens on /run/sigil/SERVICE/socket
 *   /run/sigil/from/SERVER/SERVICE  (a client) that directory, read-only,
 *                               and PATH (the use's path, default
 *                               /run/SERVICE.sock) a link to its socket
 *   /PATH        each file the closure declares at a path (sigil import -x
 *                SRC=usr/bin/x, perl modules of a script) is also seen at
 *                its own path: a symbolic link /usr -> /rom/usr at the
 *                first level that does not exist yet; a mount, a service
 *                or anything else already there wins (link_declared)
 *
 * A service directory lives on the host at RUNDIR/.svc/SERVER/SERVICE, owned
 * by the server's uid and gid, mode 0750: its clients, whose supplementary
 * groups hold the server's gid (sandbox.c), may enter it. So a
 * restarted server's new socket reaches its clients without a remount. Only
 * clients whose use the checker routes to the server get the directory.
 */
#include "init.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "romfs/romfs.h"
#include "banned.h"

#define DESC_MAX (16u << 20)

struct membuf {
	uint8_t *data;
	size_t len, cap;
};

static int mem_write(void *ctx, const uint8_t *data, size_t len)
{
	struct membuf *m = ctx;
	if (len > DESC_MAX - m->len)
		return -1;
	if (m->len + len > m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 4096;
		while (cap < m->len + len)
			cap *= 2;
		uint8_t *d = realloc(m->data, cap);
		if (!d)
			return -1;
		m->data = d;
		m->cap = cap;
	}
	memcpy(m->data + m->len, data, len);
	m->len += len;
	return 0;
}

static void say_block(const eris_error *e)
{
	if (e->has_ref) {
		char b32[ERIS_REF_B32_LEN + 1];
		eris_ref_to_b32(e->ref, b32);
		init_say("  block %s", b32);
	}
}

/* Where use u appears in the child: its path, else /run/SERVICE.sock. */
static void use_path(const struct sys_use *u, char *out, size_t size)
{
	if (u->path && u->path[0])
		snprintf(out, size, "%s", u->path);
	else
		snprintf(out, size, "/run/%s.sock", u->service);
}

/* The routes r[0..nr) (computed on the whole tree, nested inits included)
 * as binds of the children to run; map[i] is the index in in->c of
 * description child i. */
static int load_routes(struct init *in, const struct sys_route *r, size_t nr, const size_t *map)
{
	for (size_t i = 0; i < nr; i++) {
		struct init_child *c = &in->c[map[r[i].client]];
		const struct sys_use *u = &c->sys->uses[r[i].use];
		if (r[i].server == SIZE_MAX)
			continue; /* sys_check refused this already */
		if (r[i].server == SYS_PARENT) {
			const struct sys_service *ps = &in->sys.parent[r[i].service];
			if (!ps->path) {
				init_say("child '%s': the parent's service \"%s\" has no path on this host",
					 c->name, ps->name);
				return -1;
			}
			struct init_hostbind *nh = realloc(c->hbinds, (c->nhbinds + 1) * sizeof *nh);
			if (!nh) {
				init_say("out of memory");
				return -1;
			}
			c->hbinds = nh;
			struct init_hostbind *h = &c->hbinds[c->nhbinds++];
			h->service = u->service;
			h->host = ps->path;
			use_path(u, h->path, sizeof h->path);
			continue;
		}
		struct init_bind *nb = realloc(c->binds, (c->nbinds + 1) * sizeof *nb);
		if (!nb) {
			init_say("out of memory");
			return -1;
		}
		c->binds = nb;
		struct init_bind *b = &c->binds[c->nbinds++];
		b->service = u->service;
		b->server = map[r[i].server];
		use_path(u, b->path, sizeof b->path);
	}
	return 0;
}

int init_load(struct init *in, store *st)
{
	struct membuf m = {0};
	struct sys_report rep = {0};
	struct sys_route *routes = NULL;
	struct sys_child *run = NULL;
	size_t nroutes = 0, *map = NULL;
	eris_error err = {0};
	eris_cap cap;
	int rc = -1;

	if (eris_cap_from_urn(&cap, in->o.urn, &err) != 0) {
		init_say("'%s' is not a read capability: %s", in->o.urn, err.msg);
		goto out;
	}
	if (eris_decode(&cap, store_eris_get, st, mem_write, &m, NULL, &err) != 0) {
		init_say("cannot load the system description %s: %s", in->o.urn, err.msg);
		say_block(&err);
		goto out;
	}
	uint8_t *copy = dhall_arena_alloc(&in->arena, m.len + 1);
	if (!copy) {
		init_say("out of memory");
		goto out;
	}
	memcpy(copy, m.data, m.len);
	int lrc = sys_load_cbor(&in->arena, copy, m.len, in->o.urn, &in->sys, &rep);
	if (lrc == 0)
		sys_check(&in->sys, &rep);
	if (rep.errors || lrc != 0) {
		sys_report_print(&rep, &in->sys, stderr);
		init_say("the system description %s is not valid: nothing started", in->o.urn);
		goto out;
	}
	/* Nested inits run no program: their children are init's own, each
	 * with its quota (sys_check enforced the nested budgets). The routes
	 * are computed on the whole tree, then the inits are dropped from the
	 * children to run (map: description index -> index in in->c). */
	if (sys_routes(&in->sys, &routes, &nroutes) != 0 ||
	    !(map = calloc(in->sys.nchildren + 1, sizeof *map)) ||
	    !(run = dhall_arena_alloc(&in->arena, (in->sys.nchildren + 1) * sizeof *run))) {
		init_say("out of memory");
		goto out;
	}
	in->n = 0;
	for (size_t i = 0; i < in->sys.nchildren; i++) {
		map[i] = in->n;
		if (!in->sys.children[i].init)
			run[in->n++] = in->sys.children[i];
	}
	in->sys.children = run;
	in->sys.nchildren = in->n;
	in->c = calloc(in->n + 1, sizeof *in->c);
	if (!in->c) {
		init_say("out of memory");
		goto out;
	}
	for (size_t i = 0; i < in->n; i++) {
		struct init_child *c = &in->c[i];
		c->sys = &in->sys.children[i];
		c->name = c->sys->name;
		c->index = i;
		c->pidfd = c->logfd = c->statusfd = -1;
		c->state = ST_DOWN;
		if (c->sys->has_uid) {
			c->uid = (uid_t)c->sys->uid;
		} else if ((uint64_t)in->o.uid_base + i > 0xfffffffeu) {
			init_say("child '%s': uid %u + %zu is past the last uid", c->name,
				 (unsigned)in->o.uid_base, i);
			goto out;
		} else {
			c->uid = (uid_t)(in->o.uid_base + i);
		}
		c->gid = (gid_t)c->uid;
	}
	for (size_t i = 0; i < in->n; i++) {
		struct init_child *c = &in->c[i];
		if (strncmp(c->sys->binary, "urn:eris:", 9) != 0) {
			init_say("child '%s': binary \"%s\" is not a capability (run sigil build first)",
				 c->name, c->sys->binary);
			goto out;
		}
		for (size_t k = 0; k < c->sys->nroms; k++)
			if (c->sys->roms[k].kind != SYS_ROM_URN) {
				init_say("child '%s': ROM '%s' is not a capability (run sigil build first)",
					 c->name, c->sys->roms[k].name);
				goto out;
			}
		elf_error ee;
		memset(&ee, 0, sizeof ee);
		if (elf_desc_load(&c->desc, st, c->sys->binary, &ee) != 0) {
			init_say("child '%s': cannot load its closure %s: %s", c->name, c->sys->binary,
				 ee.msg);
			say_block(&ee.eris);
			goto out;
		}
	}
	rc = load_routes(in, routes, nroutes, map);
out:
	free(routes);
	free(map);
	free(m.data);
	sys_report_free(&rep);
	return rc;
}

/* ------------------------------------------------------------ prepare */

/* snprintf for paths: -1 with ENAMETOOLONG instead of a truncated path. */
static int pathf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int pathf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= size) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

/* mkdir -p of root + rel (rel absolute inside the child). */
static int mkdirs(const char *root, const char *rel, mode_t mode)
{
	char p[4096];
	if ((size_t)snprintf(p, sizeof p, "%s%s", root, rel) >= sizeof p) {
		errno = ENAMETOOLONG;
		return -1;
	}
	for (char *s = p + strlen(root) + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = 0;
		if (mkdir(p, mode) != 0 && errno != EEXIST)
			return -1;
		*s = '/';
	}
	if (mkdir(p, mode) != 0 && errno != EEXIST)
		return -1;
	return 0;
}

/* Bind-mounts src at root+rel (created as a directory or an empty file,
 * like src), then remounts it with flags (MS_RDONLY, MS_NOSUID, ...). */
static int bind_at(const char *src, const char *root, const char *rel, unsigned long flags)
{
	char dst[4096];
	struct stat st;
	if (stat(src, &st) != 0)
		return -1;
	if ((size_t)snprintf(dst, sizeof dst, "%s%s", root, rel) >= sizeof dst) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (S_ISDIR(st.st_mode)) {
		if (mkdirs(root, rel, 0755) != 0)
			return -1;
	} else {
		char parent[4096];
		if (pathf(parent, sizeof parent, "%s", rel) != 0)
			return -1;
		char *slash = strrchr(parent, '/');
		if (slash && slash != parent) {
			*slash = 0;
			if (mkdirs(root, parent, 0755) != 0)
				return -1;
		}
		int fd = open(dst, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0444);
		if (fd < 0)
			return -1;
		close(fd);
	}
	if (mount(src, dst, NULL, MS_BIND, NULL) != 0)
		return -1;
	if (mount(NULL, dst, NULL, MS_REMOUNT | MS_BIND | flags, NULL) != 0)
		return -1;
	return 0;
}

/* ------------------------------------------------------------ /rom
 *
 * init_verify builds one romfs (lib/romfs) over every closure and ROM
 * module: child INDEX's files under INDEX/ (closure 0555, modules 0444; a
 * capability named twice is one inode), mounts it at RUNDIR/.roots/rom
 * (FUSE, read-only, nosuid, nodev) and forks its server, which decodes and
 * verifies each block when a child first reads it and answers EIO for a
 * bad one, printing the child, the file and the block. init_prepare binds
 * INDEX/ at the child's /rom. With o.eager (sigil.verify=eager, --check)
 * every block is verified first, and a bad one starts nothing. */

static int make_dev(const char *dir);

/* Verify-ahead (romfs_set_ahead) as PID 1 on a VM with more than one vCPU
 * (not with --eager, which has verified every block already), only when
 * asked for with SIGIL_VERIFY_AHEAD=1 on the kernel command line (the
 * kernel hands it to init as an environment variable): with two vCPUs
 * under TCG some boots hung (the kernel patching its memcg code while the
 * other vCPU ran it; pid1.c now turns that on first, see
 * cli/sigil/boot.c), and one vCPU stays sigil boot's default. When on,
 * the server's second thread decodes the closures' leaves while the boot
 * goes on and the children start, holding at most an eighth of RAM, 64 MiB
 * at most, of them until the children's reads take them. Under TCG
 * verifying is much of a child's start (kv: 444 leaves, 14.5 MB, of
 * redis's closure, 0.3 to 1.4 s of one vCPU by the host); on the second
 * vCPU it is off the children's path: their reads mostly find their
 * leaves decoded. */
#define AHEAD_SHARE 8
#define AHEAD_MAX   ((uint64_t)64 << 20)

/* The run's shared tmpfs RUNDIR/.roots: dev, every child's /dev; rom, the
 * romfs mount point; INDEX, each child's root (a bind mount of itself).
 * Mounted on first use; 0 or -1 with errno. */
static int roots_setup(struct init *in)
{
	char p[4200];
	if (in->roots_mounted)
		return 0;
	if (pathf(p, sizeof p, "%s/.roots", in->rundir) != 0 || mkdir(p, 0700) != 0)
		return -1;
	/* not nodev: it holds /dev's nodes; every root is bound nodev */
	if (mount("sigil-roots", p, "tmpfs", MS_NOSUID, "mode=0700") != 0) {
		int e = errno;
		rmdir(p);
		errno = e;
		return -1;
	}
	in->roots_mounted = 1;
	if (pathf(p, sizeof p, "%s/.roots/dev", in->rundir) != 0 || make_dev(p) != 0 ||
	    pathf(p, sizeof p, "%s/.roots/rom", in->rundir) != 0 || mkdir(p, 0755) != 0)
		return -1;
	return 0;
}

void init_roots_teardown(struct init *in)
{
	char p[4200];
	if (!in->roots_mounted || pathf(p, sizeof p, "%s/.roots", in->rundir) != 0)
		return;
	if (umount2(p, MNT_DETACH) != 0) /* takes the romfs mount with it */
		init_say("cannot unmount %s: %s", p, strerror(errno));
	/* in our namespace, the server keeps the mount: ended here (unless the
	 * supervisor reaped it already) */
	if (in->rom_server > 0 && init_tracing()) { /* its last trace line: up to 1 s */
		for (int i = 0; i < 100 && waitpid(in->rom_server, NULL, WNOHANG) == 0; i++)
			usleep(10000);
	}
	if (in->rom_server > 0 && waitpid(in->rom_server, NULL, WNOHANG) == 0) {
		kill(in->rom_server, SIGKILL);
		waitpid(in->rom_server, NULL, 0);
	}
	in->rom_server = 0;
	rmdir(p);
	in->roots_mounted = 0;
}

/* What the /rom server's callbacks see. */
struct rom_srv {
	const struct init *in;
	romfs *fs;
	uint64_t traced; /* requests when the last trace line was printed */
};

/* A failed read: the child (the file's INDEX/), the file and the block. */
static void rom_report(void *ctx, int pid, const elf_error *err)
{
	const struct init *in = ((const struct rom_srv *)ctx)->in;
	char *end;
	unsigned long k = strtoul(err->file, &end, 10);
	(void)pid;
	if (*end != '/' || k >= in->n)
		init_say("%s", err->msg);
	else
		init_say("child '%s': /rom/%s: %s", in->c[k].name, end + 1, err->eris.msg);
}

/* With --trace, about once a second while it serves: what it has done
 * since it started, and its CPU time (the decoding is most of it). */
static void rom_tick(void *ctx)
{
	struct rom_srv *sv = ctx;
	romfs_stats st;
	struct rusage ru;
	romfs_get_stats(sv->fs, &st);
	if (st.lookups + st.reads == sv->traced || getrusage(RUSAGE_SELF, &ru) != 0)
		return;
	sv->traced = st.lookups + st.reads;
	init_trace("/rom: %llu files opened, %llu reads (%.1f MB) from %llu leaves decoded"
		   "%s; CPU %.2f s user, %.2f s system",
		   (unsigned long long)st.files_opened, (unsigned long long)st.reads,
		   (double)st.read_bytes / 1e6, (unsigned long long)(st.leaves + st.ahead_leaves),
		   st.ahead_leaves ? " (some ahead)" : "",
		   (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6,
		   (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6);
}

/* The files of every child's /rom into fs (see above). 0 or -1 (printed). */
static int rom_files(struct init *in, romfs *fs)
{
	char name[4200];
	elf_error err = {0};
	for (size_t i = 0; i < in->n; i++) {
		const struct init_child *c = &in->c[i];
		for (size_t f = 0; f < c->desc.n_files; f++)
			if (pathf(name, sizeof name, "%zu/%s", i, c->desc.files[f].name) != 0 ||
			    romfs_add_file(fs, name, &c->desc.files[f].cap, 0555, &err) != 0)
				goto fail;
		for (size_t k = 0; k < c->sys->nroms; k++) {
			const struct sys_rom *r = &c->sys->roms[k];
			eris_cap cap;
			if (!elf_desc_check_name(r->name) || strchr(r->name, '/')) {
				init_say("child '%s': ROM name '%s' is not a plain file name",
					 c->name, r->name);
				return -1;
			}
			if (eris_cap_from_urn(&cap, r->value, &err.eris) != 0 ||
			    pathf(name, sizeof name, "%zu/%s", i, r->name) != 0 ||
			    romfs_add_file(fs, name, &cap, 0444, &err) != 0) {
				init_say("child '%s': ROM '%s': %s", c->name, r->name,
					 err.msg[0] ? err.msg : err.eris.msg);
				return -1;
			}
		}
		continue;
	fail:
		init_say("child '%s': cannot make its /rom: %s", c->name,
			 err.msg[0] ? err.msg : strerror(errno));
		return -1;
	}
	return 0;
}

/* /dev/fuse, waited for up to 10 s while it does not exist (as PID 1 the
 * fuse module may still be loading). */
static int open_fuse(void)
{
	struct timespec ts = {0, 5 * 1000 * 1000};
	for (int i = 0;; i++) {
		int fd = open("/dev/fuse", O_RDWR | O_CLOEXEC);
		if (fd >= 0 || (errno != ENOENT && errno != ENODEV && errno != ENXIO) || i == 2000)
			return fd;
		nanosleep(&ts, NULL);
	}
}

int init_verify(struct init *in, store *st)
{
	romfs *fs = NULL;
	elf_error err = {0};
	char p[4200], opts[128];
	int fd = -1, rc = -1;

	if (roots_setup(in) != 0 || pathf(p, sizeof p, "%s/.roots/rom", in->rundir) != 0) {
		init_say("cannot make the roots' directory under %s: %s", in->rundir,
			 strerror(errno));
		return -1;
	}
	/* hosted, the server lets go of an idle store (a pack locks writers out) */
	if (romfs_new(&fs, st, in->o.pid1 ? NULL : in->o.store, NULL, &err) != 0) {
		init_say("%s", err.msg);
		goto out;
	}
	if (rom_files(in, fs) != 0)
		goto out;
	/* as PID 1 with a second CPU, the server verifies ahead on it: see
	 * AHEAD_SHARE */
	const char *ahead = getenv("SIGIL_VERIFY_AHEAD");
	if (in->o.pid1 && !in->o.eager && sysconf(_SC_NPROCESSORS_ONLN) > 1 && ahead &&
	    strcmp(ahead, "1") == 0) {
		long pages = sysconf(_SC_PHYS_PAGES), psize = sysconf(_SC_PAGESIZE);
		uint64_t ram = pages > 0 && psize > 0 ? (uint64_t)pages * (uint64_t)psize : 0;
		uint64_t budget = ram / AHEAD_SHARE < AHEAD_MAX ? ram / AHEAD_SHARE : AHEAD_MAX;
		romfs_set_ahead(fs, (size_t)budget);
	}
	struct rom_srv sv = {in, fs, 0};
	if ((in->o.eager || in->o.check) && romfs_verify_all(fs, &err) != 0) {
		rom_report(&sv, getpid(), &err);
		goto out;
	}
	if ((fd = open_fuse()) < 0 || romfs_mount_options(fd, opts, sizeof opts) != 0 ||
	    mount("sigil-rom", p, "fuse.sigil-rom", MS_RDONLY | MS_NOSUID | MS_NODEV, opts) != 0) {
		init_say("cannot mount the children's /rom (FUSE) at %s: %s", p, strerror(errno));
		goto out;
	}
	if ((in->rom_server = fork()) < 0) {
		init_say("cannot fork the /rom server: %s", strerror(errno));
		goto out;
	}
	if (in->rom_server == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		prctl(PR_SET_NAME, "sigil-rom", 0, 0, 0);
		signal(SIGINT, SIG_IGN); /* a ^C is init's to handle: it stops the children */
		signal(SIGTERM, SIG_IGN);
		rc = romfs_serve(fs, fd, rom_report, init_tracing() ? rom_tick : NULL, &sv, &err);
		if (init_tracing())
			rom_tick(&sv); /* the last of it, when the mount ends */
		if (rc != 0)
			init_say("%s", err.msg);
		_exit(rc == 0 ? 0 : 1);
	}
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	romfs_free(fs); /* the server has its own */
	return rc;
}

/* RUNDIR/.roots/dev, which every child's root binds read-only at /dev
 * (one mount a child): the host's null, zero, full, random and urandom
 * (the same device numbers and modes) and links into /proc/self/fd. */
static int make_dev(const char *dir)
{
	static const char *const nodes[] = {"null", "zero", "full", "random", "urandom"};
	static const char *const links[][2] = {{"fd", "/proc/self/fd"},
					       {"stdin", "/proc/self/fd/0"},
					       {"stdout", "/proc/self/fd/1"},
					       {"stderr", "/proc/self/fd/2"}};
	char p[4200];
	struct stat st;
	if (mkdir(dir, 0755) != 0 || chmod(dir, 0755) != 0)
		return -1;
	for (size_t i = 0; i < sizeof nodes / sizeof nodes[0]; i++) {
		snprintf(p, sizeof p, "/dev/%s", nodes[i]);
		if (stat(p, &st) != 0 || !S_ISCHR(st.st_mode))
			return -1;
		if (pathf(p, sizeof p, "%s/%s", dir, nodes[i]) != 0 ||
		    mknod(p, S_IFCHR | (st.st_mode & 0777), st.st_rdev) != 0 ||
		    chmod(p, st.st_mode & 0777) != 0)
			return -1;
	}
	for (size_t i = 0; i < sizeof links / sizeof links[0]; i++)
		if (pathf(p, sizeof p, "%s/%s", dir, links[i][0]) != 0 || symlink(links[i][1], p) != 0)
			return -1;
	return 0;
}

/* A name as a passwd/group entry field: [A-Za-z0-9._-], else '_'. */
static void account_name(char *out, size_t size, const char *name)
{
	size_t k = 0;
	for (; name[k] && k + 1 < size && k < 32; k++) {
		char ch = name[k];
		int ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
			 ch == '.' || ch == '_' || ch == '-';
		out[k] = ok ? ch : '_';
	}
	out[k] = 0;
}

static int declares(const struct init_child *c, const char *name)
{
	for (size_t i = 0; i < c->desc.n_files; i++)
		if (strcmp(c->desc.files[i].name, name) == 0)
			return 1;
	return 0;
}

static int write_text(const char *root, const char *rel, const char *text)
{
	char p[4200];
	if (pathf(p, sizeof p, "%s%s", root, rel) != 0)
		return -1;
	int fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0444);
	if (fd < 0)
		return -1;
	size_t len = strlen(text);
	int rc = write(fd, text, len) == (ssize_t)len ? 0 : -1;
	if (close(fd) != 0)
		rc = -1;
	return rc;
}

static void append(char *buf, size_t size, const char *s)
{
	size_t n = strlen(buf);
	snprintf(buf + n, size - n, "%s", s);
}

/* /etc/passwd and /etc/group: who the child is (see the top). */
static int make_accounts(const struct init *in, const struct init_child *c)
{
	char me[40], srv[40], line[256], pw[1024], gr[4096];
	if (declares(c, "etc/passwd") || declares(c, "etc/group"))
		return 0;
	account_name(me, sizeof me, c->name);
	pw[0] = gr[0] = 0;
	if (c->uid != 0) { /* the child first, then root */
		snprintf(pw, sizeof pw, "%s:x:%u:%u:sigil child:/:/usr/sbin/nologin\n", me,
			 (unsigned)c->uid, (unsigned)c->gid);
		snprintf(gr, sizeof gr, "%s:x:%u:\n", me, (unsigned)c->gid);
	}
	append(pw, sizeof pw, "root:x:0:0:root:/:/usr/sbin/nologin\n");
	append(gr, sizeof gr, "root:x:0:\n");
	for (size_t k = 0; k < c->nbinds; k++) {
		const struct init_child *s = &in->c[c->binds[k].server];
		int seen = s->gid == 0 || s->gid == c->gid;
		for (size_t j = 0; j < k; j++)
			seen |= in->c[c->binds[j].server].gid == s->gid;
		if (seen)
			continue;
		account_name(srv, sizeof srv, s->name);
		snprintf(line, sizeof line, "%s:x:%u:%s\n", srv, (unsigned)s->gid, me);
		append(gr, sizeof gr, line);
	}
	if (mkdirs(c->root, "/etc", 0755) != 0 || write_text(c->root, "/etc/passwd", pw) != 0 ||
	    write_text(c->root, "/etc/group", gr) != 0)
		return -1;
	return 0;
}

/* chown -R of the directory open at fd (closed here), not following
 * links, staying on its file system; depth-limited. */
static int chown_tree(int fd, uid_t uid, gid_t gid, int depth)
{
	int rc = 0;
	DIR *d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -1;
	}
	if (fchown(fd, uid, gid) != 0 || depth > 64)
		rc = -1;
	struct stat top;
	if (rc == 0 && fstat(fd, &top) != 0)
		rc = -1;
	for (struct dirent *e; rc == 0 && (e = readdir(d));) {
		struct stat st;
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (fstatat(fd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
			rc = -1;
		} else if (S_ISDIR(st.st_mode) && st.st_dev == top.st_dev) {
			int sub = openat(fd, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			rc = sub < 0 ? -1 : chown_tree(sub, uid, gid, depth + 1);
		} else if ((st.st_uid != uid || st.st_gid != gid) &&
			   fchownat(fd, e->d_name, uid, gid, AT_SYMLINK_NOFOLLOW) != 0) {
			rc = -1;
		}
	}
	closedir(d);
	return rc;
}

/* A writable state directory belongs to the child: chowned through when
 * its top is not the child's already (a new uid, or made by init). */
static int own_state(const struct init_child *c, const char *dir)
{
	struct stat st;
	if (stat(dir, &st) != 0)
		return -1;
	if (st.st_uid == c->uid && st.st_gid == c->gid)
		return 0;
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	return fd < 0 ? -1 : chown_tree(fd, c->uid, c->gid, 0);
}

static int make_services(struct init *in, struct init_child *c)
{
	char p[4200], rel[1024];
	const struct sys_child *s = c->sys;
	if (s->nprovides) {
		if (pathf(c->svcdir, sizeof c->svcdir, "%s/.svc/%s", in->rundir, c->name) != 0)
			return -1;
		if (mkdirs(in->rundir, "/.svc", 0755) != 0 ||
		    mkdirs(in->rundir, c->svcdir + strlen(in->rundir), 0755) != 0)
			return -1;
		for (size_t j = 0; j < s->nprovides; j++) {
			if (strchr(s->provides[j].name, '/') || s->provides[j].name[0] == '.') {
				init_say("child '%s': service name \"%s\" cannot be a directory name",
					 c->name, s->provides[j].name);
				errno = EINVAL;
				return -1;
			}
			if (pathf(p, sizeof p, "%s/%s", c->svcdir, s->provides[j].name) != 0)
				return -1;
			if ((mkdir(p, 0750) != 0 && errno != EEXIST) || chown(p, c->uid, c->gid) != 0 ||
			    chmod(p, 0750) != 0)
				return -1;
			if (pathf(rel, sizeof rel, "/run/sigil/%s", s->provides[j].name) != 0)
				return -1;
			if (bind_at(p, c->root, rel, MS_NOSUID | MS_NODEV | MS_NOEXEC) != 0)
				return -1;
		}
	}
	for (size_t k = 0; k < c->nbinds; k++) {
		const struct init_bind *b = &c->binds[k];
		const struct init_child *srv = &in->c[b->server];
		char target[1024];
		if (pathf(p, sizeof p, "%s/.svc/%s/%s", in->rundir, srv->name, b->service) != 0)
			return -1;
		if (pathf(rel, sizeof rel, "/run/sigil/from/%s/%s", srv->name, b->service) != 0)
			return -1;
		if (bind_at(p, c->root, rel, MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC) != 0)
			return -1;
		if (pathf(target, sizeof target, "%s/socket", rel) != 0)
			return -1;
		if (b->path[0] != '/' || strstr(b->path, "/../") || strcmp(b->path, target) == 0)
			continue;
		char dir[1024];
		if (pathf(dir, sizeof dir, "%s", b->path) != 0)
			return -1;
		*strrchr(dir, '/') = 0;
		if (dir[0] && mkdirs(c->root, dir, 0755) != 0)
			return -1;
		if (pathf(p, sizeof p, "%s%s", c->root, b->path) != 0)
			return -1;
		if (symlink(target, p) != 0 && errno != EEXIST)
			return -1;
	}
	for (size_t k = 0; k < c->nhbinds; k++) { /* the parent's: the host's socket itself */
		const struct init_hostbind *h = &c->hbinds[k];
		if (h->path[0] != '/' || strstr(h->path, "/../")) {
			init_say("child '%s': \"%s\" is not an absolute path", c->name, h->path);
			errno = EINVAL;
			return -1;
		}
		if (bind_at(h->host, c->root, h->path, MS_NOSUID | MS_NODEV | MS_NOEXEC) != 0) {
			init_say("child '%s': cannot bind the parent's \"%s\" (%s) at %s: %s", c->name,
				 h->service, h->host, h->path, strerror(errno));
			return -1;
		}
	}
	return 0;
}

static int make_mounts(struct init *in, struct init_child *c)
{
	char host[4200];
	for (size_t m = 0; m < c->sys->nmounts; m++) {
		const struct sys_mount *mt = &c->sys->mounts[m];
		if (mkdirs(c->root, mt->target, 0755) != 0)
			return -1;
		if (mt->kind != SYS_MOUNT_STATE)
			continue; /* a tmpfs: the child mounts it, sized, in its namespace */
		if (!in->o.state) {
			init_say("child '%s' mounts state \"%s\" but there is no state directory "
				 "(--state DIR)", c->name, mt->state);
			errno = EINVAL;
			return -1;
		}
		if (mkdirs(in->o.state, "", 0755) != 0)
			return -1;
		char rel[4200];
		snprintf(rel, sizeof rel, "/%s", mt->state);
		if (mkdirs(in->o.state, rel, 0755) != 0)
			return -1;
		snprintf(host, sizeof host, "%s/%s", in->o.state, mt->state);
		if (mt->writable && own_state(c, host) != 0)
			return -1;
		if (bind_at(host, c->root, mt->target,
			    (mt->writable ? 0 : MS_RDONLY) | MS_NOSUID | MS_NODEV) != 0)
			return -1;
	}
	return 0;
}

/* Declared files at their own paths (see the top): for every file name of
 * the closure that is not a URN, walk its directories from the root; at the
 * first one missing, link it to the same path under /rom. A directory on
 * another file system (a mount) or a non-directory stops the walk. */
static int link_declared(const struct init_child *c)
{
	struct stat rootst, st;
	char p[4200], target[4200];
	if (stat(c->root, &rootst) != 0)
		return -1;
	for (size_t i = 0; i < c->desc.n_files; i++) {
		const char *name = c->desc.files[i].name;
		size_t top = strcspn(name, "/");
		if (strncmp(name, "urn:", 4) == 0 || (top == 3 && (!strncmp(name, "rom", 3) ||
								  !strncmp(name, "dev", 3))) ||
		    (top == 4 && !strncmp(name, "proc", 4)))
			continue;
		for (size_t k = 0;;) {
			size_t len = k + strcspn(name + k, "/");
			if (pathf(p, sizeof p, "%s/%.*s", c->root, (int)len, name) != 0 ||
			    pathf(target, sizeof target, "/rom/%.*s", (int)len, name) != 0)
				return -1;
			if (lstat(p, &st) != 0) {
				if (errno != ENOENT || symlink(target, p) != 0)
					return -1;
				break;
			}
			if (!S_ISDIR(st.st_mode) || st.st_dev != rootst.st_dev || !name[len])
				break;
			k = len + 1;
		}
	}
	return 0;
}

/* Phases, each failing closed (the caller unprepares on failure): the
 * root, /rom (the romfs's INDEX/), /dev, the empty mount points, mounts,
 * services, declared files, then read-only. */
int init_prepare(struct init *in, struct init_child *c)
{
	const char *step = "create its root";
	char p[4200];

	if (roots_setup(in) != 0 ||
	    pathf(c->root, sizeof c->root, "%s/.roots/%zu", in->rundir, c->index) != 0 ||
	    mkdir(c->root, 0755) != 0 || chmod(c->root, 0755) != 0 ||
	    mount(c->root, c->root, NULL, MS_BIND, NULL) != 0)
		goto fail;
	c->prepared = 1;

	step = "bind its /rom";
	if (pathf(p, sizeof p, "%s/.roots/rom/%zu", in->rundir, c->index) != 0 ||
	    bind_at(p, c->root, "/rom", MS_RDONLY | MS_NOSUID | MS_NODEV) != 0)
		goto fail;
	step = "make /dev";
	if (pathf(p, sizeof p, "%s/.roots/dev", in->rundir) != 0 ||
	    bind_at(p, c->root, "/dev", MS_RDONLY | MS_NOSUID | MS_NOEXEC) != 0)
		goto fail;
	step = "make /proc and /tmp";
	if (mkdirs(c->root, "/proc", 0555) != 0 || mkdirs(c->root, "/tmp", 01777) != 0)
		goto fail;
	step = "write /etc/passwd and /etc/group";
	if (make_accounts(in, c) != 0)
		goto fail;
	step = "make its mounts";
	if (make_mounts(in, c) != 0)
		goto fail;
	step = "make its services";
	if (make_services(in, c) != 0)
		goto fail;
	step = "record its denials";
	if (init_deny_record(c) != 0)
		goto fail;
	step = "link its declared files";
	if (link_declared(c) != 0)
		goto fail;
	step = "seal its root";
	if (mount(NULL, c->root, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV,
		  NULL) != 0)
		goto fail;
	return 0;
fail:
	init_say("child '%s': cannot %s: %s", c->name, step, strerror(errno));
	return -1;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (flag == FTW_DP || flag == FTW_D)
		rmdir(path);
	else
		unlink(path);
	return 0;
}

void init_unprepare(struct init_child *c)
{
	if (c->prepared) {
		/* MNT_DETACH takes every mount below the root with it */
		if (umount2(c->root, MNT_DETACH) != 0)
			init_say("child '%s': cannot unmount %s: %s", c->name, c->root, strerror(errno));
		c->prepared = 0;
	}
	if (c->root[0])
		rmdir(c->root);
	if (c->svcdir[0])
		nftw(c->svcdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}
