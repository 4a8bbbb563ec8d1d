/*
 * exec.c — `sigil exec`: run an imported program from verified bytes.
 *
 * Phases, each failing closed (nothing is run unless every phase passed):
 *   1. load: decode the closure description named by URN (every block
 *      verified) and check it (lib/elf/desc.c).
 *   2. server (lazy mode, the default): a /rom server (lib/romfs: FUSE,
 *      each block decoded and verified when first read) is forked off as a
 *      grandchild, so that it is nobody's child the program could wait for:
 *      it leaves the caller's session (setsid: no terminal signal reaches
 *      it), drops stdin and stdout, stays in the host's mount namespace
 *      (were it in the program's, it would keep that alive) and waits for
 *      a byte on a pipe before serving. Two kinds:
 *      - shared (--linger N > 0, the default 30, for a dir or pack store):
 *        one server per (store, closure), mounted on the host at
 *        /run/sigil/rom/<hash> (a 0700 tmpfs of its own) and found again by
 *        the next exec of the same closure from the same store (same path,
 *        device, inode and change time), under a lock file whose mtime
 *        each exec stamps. The pages it verified stay in the kernel's page
 *        cache, so later runs read no block again — fs-verity's semantics:
 *        a page is verified when it is read from the store, then cached.
 *        After N seconds without an exec it detaches the host mount; it
 *        serves the namespaces still using it until the last one ends.
 *        Its reports go to the stderr of the process whose read failed
 *        (pidfd_getfd), its own stderr being /dev/null.
 *      - private (--linger 0, or mem:, http and chained stores): one
 *        server for this run, reporting on our stderr; it exits when the
 *        program's mount namespace goes away (the program and whatever it
 *        left running).
 *      Either closes the store when idle for 10 ms (a pack is locked
 *      against writers while open) and opens it again when a read needs a
 *      block.
 *   3. namespace: unshare(CLONE_NEWNS), then make every mount private
 *      (MS_REC|MS_PRIVATE) so nothing we mount leaks to the host; create /rom
 *      on the host root if it does not exist (an empty directory, once).
 *   4. rom, lazy: bind the shared mount at /rom (read-only, nosuid, nodev),
 *      or mount the private server there and tell it to go; then detach
 *      the copies of every shared /rom unshare brought along. The
 *      closure's files appear under the names the tmpfs would give them
 *      (files 0555, directories 0555); a block is verified when first read
 *      and a bad one fails that read with EIO while the server names the
 *      block and the file. If FUSE is unavailable (no /dev/fuse, or the
 *      mount is refused) a message says so and the eager mode runs
 *      instead.
 *   4. rom, eager (--eager, --check, or the fallback): mount a fresh tmpfs at
 *      /rom (nosuid, nodev) and decode every file of the description into
 *      it (lib/elf/rom.c): files named by URN (or by their declared target
 *      path), mode 0555. A missing or tampered block stops here with the
 *      block and the file named; the tmpfs dies with us. Then remount /rom
 *      read-only.
 *   5. exec: environment = ours + the description's env + --env, argv[0] =
 *      the description's argv0 (or --argv0), then execv /rom/<exec> in this
 *      very process: its pid, exit status, signals and terminal are the
 *      program's, unchanged. The stock glibc loader finds everything in
 *      /rom through the patched PT_INTERP, DT_NEEDED and DT_RUNPATH.
 * The host root stays visible otherwise (this is not a sandbox; sigil-init's
 * children get one). Needs CAP_SYS_ADMIN (root). With SIGIL_EXEC_STATS set
 * in the environment, a private server prints what it served when it exits
 * (bench/exec.sh reads it).
 */
#include "sigil_cli.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sodium.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "romfs/romfs.h"

#include "banned.h"

static const struct cli_opt exec_opts[] = {
	{"store", 's', "STORE", "block store to read"},
	{"env", 'e', "NAME=VALUE", "set an environment variable for the program (after the "
				   "closure's own); repeatable"},
	{"argv0", 0, "NAME", "argv[0] for the program (default: the name recorded at import)"},
	{"jobs", 'j', "N", "decode N files at a time (default: the CPUs online, at most 4)"},
	{"check", 0, NULL, "decode and verify the whole closure, then exit 0 without running "
			   "anything"},
	{"eager", 0, NULL, "decode and verify the whole closure into a tmpfs before running (by "
			   "default /rom is served lazily, each block verified when first read)"},
	{"linger", 0, "SECONDS", "keep a lazy /rom mounted (its verified pages cached) this long "
				 "after its last exec, for the next exec of the same closure from "
				 "the same store (default 30; 0: a private /rom for this run only)"},
	{0},
};

enum {
	LINGER_DEFAULT = 30, /* seconds a shared /rom stays mounted after its last exec */
	FUSE_MAGIC = 0x65735546,
};

#define SHARED_DIR "/run/sigil/rom"

/* A /rom server: private (lock < 0: serves one exec's namespace) or shared
 * (mounted at mnt on the host, found again by later execs of the same
 * closure from the same store; lock is its lock file, whose mtime is the
 * time of the last exec that attached). */
struct server {
	const struct cli_cmd *cmd;
	int lock;
	char mnt[128], lock_path[140];
	long linger;
	int detached;
};

/* A descriptor for the stderr of process (or thread) pid, sharing its open
 * file (and offset), or -1. */
static int stderr_of(int pid)
{
	int pfd, fd = -1;

	pfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pfd < 0)
		pfd = (int)syscall(SYS_pidfd_open, pid, O_EXCL); /* PIDFD_THREAD (Linux 6.9) */
	if (pfd >= 0) {
		fd = (int)syscall(SYS_pidfd_getfd, pfd, STDERR_FILENO, 0);
		close(pfd);
	}
	return fd;
}

/* The /rom server's report of a failed lookup or read: the file and the
 * block, as sigil_fail_elf prints them — on our stderr for a private
 * server, on the stderr of the process that read for a shared one (ours
 * belongs to whichever exec started it). */
static void report_block(void *ctx, int pid, const elf_error *err)
{
	struct server *sv = ctx;
	int fd = sv->lock >= 0 ? stderr_of(pid) : -1, saved = -1;

	if (fd >= 0) {
		fflush(stderr);
		saved = dup(STDERR_FILENO);
		dup2(fd, STDERR_FILENO);
	}
	(void)sigil_fail_elf(sv->cmd, err);
	if (fd >= 0) {
		fflush(stderr);
		if (saved >= 0) {
			dup2(saved, STDERR_FILENO);
			close(saved);
		}
		close(fd);
	}
}

/* A shared server's housekeeping: once no exec attached for `linger`
 * seconds, detach the host mount (under the lock, so that no exec is
 * attaching meanwhile). Namespaces still using it keep it; when the last
 * one ends, so does the connection, and the server. */
static void server_tick(void *ctx)
{
	struct server *sv = ctx;
	struct stat st;

	if (sv->lock < 0 || sv->detached)
		return;
	if (fstat(sv->lock, &st) != 0 || time(NULL) - st.st_mtime < sv->linger)
		return;
	if (flock(sv->lock, LOCK_EX | LOCK_NB) != 0)
		return; /* an exec is attaching: later */
	if (fstat(sv->lock, &st) == 0 && time(NULL) - st.st_mtime >= sv->linger) {
		umount2(sv->mnt, MNT_DETACH);
		rmdir(sv->mnt);
		sv->detached = 1;
	}
	flock(sv->lock, LOCK_UN);
}

/* The /rom server process (phase 2). Never returns. */
static void serve_rom(struct server *sv, romfs *fs, int fuse_fd, int go)
{
	elf_error err;
	char c;
	int null;

	memset(&err, 0, sizeof err);
	setsid();
	signal(SIGPIPE, SIG_IGN);
	prctl(PR_SET_NAME, "sigil-rom", 0, 0, 0);
	null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null >= 0) {
		dup2(null, STDIN_FILENO);
		dup2(null, STDOUT_FILENO);
		/* a shared server outlives the exec that started it: not its stderr */
		if (sv->lock >= 0)
			dup2(null, STDERR_FILENO);
		close(null);
	}
	if (sv->lock >= 0) {
		/* our own open file: the inherited one holds the exec's lock for as
		 * long as any descriptor of it is open */
		close(sv->lock);
		sv->lock = open(sv->lock_path, O_RDWR | O_CLOEXEC);
		if (sv->lock < 0)
			_exit(EXIT_SYSTEM);
	}
	if (read(go, &c, 1) != 1)
		_exit(EXIT_OK); /* the mount never happened */
	close(go);
	if (romfs_serve(fs, fuse_fd, report_block, sv->lock >= 0 ? server_tick : NULL, sv, &err) !=
	    0) {
		cli_fail(sv->cmd, EXIT_SYSTEM, "%s", err.msg);
		_exit(EXIT_SYSTEM);
	}
	if (getenv("SIGIL_EXEC_STATS")) {
		romfs_stats st;
		romfs_get_stats(fs, &st);
		fprintf(stderr, "sigil exec: /rom served %llu lookups, %llu files opened, %llu reads, %llu bytes\n",
			(unsigned long long)st.lookups, (unsigned long long)st.files_opened,
			(unsigned long long)st.reads, (unsigned long long)st.read_bytes);
	}
	_exit(EXIT_OK);
}

/* Forks the /rom server off as a grandchild (reparented away from us) that
 * serves fuse_fd once a byte arrives on *go (its write end; closing it
 * unwritten makes the server exit). 0, or -1 with errno set. */
static int start_server(struct server *sv, romfs *fs, int fuse_fd, int *go)
{
	int p[2], st = 0;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) != 0)
		return -1;
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		int e = errno;
		close(p[0]);
		close(p[1]);
		errno = e;
		return -1;
	}
	if (pid == 0) {
		pid_t server;
		close(p[1]);
		server = fork();
		if (server == 0)
			serve_rom(sv, fs, fuse_fd, p[0]);
		_exit(server < 0 ? EXIT_SYSTEM : EXIT_OK);
	}
	close(p[0]);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(st) || WEXITSTATUS(st) != EXIT_OK) {
		close(p[1]);
		errno = EAGAIN;
		return -1;
	}
	*go = p[1];
	return 0;
}

/* Starts a server for d over s, not yet serving: *fuse_fd is its
 * /dev/fuse, *go the pipe that starts it. Called in the host's mount
 * namespace, so that the server is not in the one it serves (it would keep
 * it alive). 0, or -1 with why filled. */
static int server_start(struct server *sv, store *s, const char *spec, const elf_desc *d,
			int *fuse_fd, int *go, char *why, size_t why_size)
{
	elf_error err;
	romfs *fs = NULL;
	int rc = -1;

	memset(&err, 0, sizeof err);
	*fuse_fd = open("/dev/fuse", O_RDWR | O_CLOEXEC);
	if (*fuse_fd < 0) {
		snprintf(why, why_size, "cannot open /dev/fuse: %s", strerror(errno));
		goto out;
	}
	if (romfs_new(&fs, s, strncmp(spec, "mem:", 4) == 0 ? NULL : spec, d, &err) != 0) {
		snprintf(why, why_size, "%.400s", err.msg);
		goto out;
	}
	if (start_server(sv, fs, *fuse_fd, go) != 0) {
		snprintf(why, why_size, "cannot start the /rom server: %s", strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (rc != 0 && *fuse_fd >= 0) {
		close(*fuse_fd);
		*fuse_fd = -1;
	}
	romfs_free(fs); /* the server has its own copy */
	return rc;
}

/* Mounts the server of fuse_fd at mnt and lets it go; closes both
 * descriptors (the server then exits if the mount failed). 0, or -1 with
 * why filled. */
static int server_mount(int fuse_fd, int go, const char *mnt, char *why, size_t why_size)
{
	char opts[128];
	int rc = -1;

	if (romfs_mount_options(fuse_fd, opts, sizeof opts) != 0 ||
	    mount("sigil-rom", mnt, "fuse.sigil", MS_RDONLY | MS_NOSUID | MS_NODEV, opts) != 0) {
		snprintf(why, why_size, "cannot mount it at %s: %s", mnt, strerror(errno));
		goto out;
	}
	if (write(go, "g", 1) != 1) {
		snprintf(why, why_size, "cannot start the /rom server: %s", strerror(errno));
		umount2(mnt, MNT_DETACH);
		goto out;
	}
	rc = 0;
out:
	close(go);
	close(fuse_fd);
	return rc;
}

/* The shared mount point for (store, description) when the store is a
 * local directory or pack: its path, device, inode and change time (a
 * store replaced or written since gets a new server) and the URN, hashed.
 * 0, or -1 when the store cannot be shared (mem:, http, chains). */
static int shared_name(const char *spec, const char *urn, char *out, size_t size)
{
	const char *path = spec;
	struct stat st;
	char buf[4096 + 256];
	uint8_t h[16];
	int n;

	if (strncmp(spec, "dir:", 4) == 0)
		path = spec + 4;
	else if (strncmp(spec, "pack:", 5) == 0)
		path = spec + 5;
	else if (strchr(spec, ':') || strchr(spec, '+'))
		return -1;
	if (stat(path, &st) != 0)
		return -1;
	n = snprintf(buf, sizeof buf, "%s\n%llu %llu %lld.%09ld\n%s", spec,
		     (unsigned long long)st.st_dev, (unsigned long long)st.st_ino,
		     (long long)st.st_ctim.tv_sec, st.st_ctim.tv_nsec, urn);
	if (n < 0 || (size_t)n >= sizeof buf)
		return -1;
	crypto_generichash(h, sizeof h, (const uint8_t *)buf, (size_t)n, NULL, 0);
	n = snprintf(out, size, "%s/", SHARED_DIR);
	for (size_t i = 0; i < sizeof h && (size_t)n + 3 < size; i++)
		n += snprintf(out + n, size - (size_t)n, "%02x", h[i]);
	return 0;
}

/* SHARED_DIR as its own small tmpfs (0700), so that a new mount namespace
 * can drop every shared /rom copied into it with one detach. 0 or -1. */
static int shared_dir_ready(void)
{
	struct stat a, b;
	int lock = -1, rc = -1;

	if (stat(SHARED_DIR, &a) == 0 && stat("/run/sigil", &b) == 0 && a.st_dev != b.st_dev)
		return 0;
	if ((mkdir("/run/sigil", 0700) != 0 && errno != EEXIST) ||
	    (mkdir(SHARED_DIR, 0700) != 0 && errno != EEXIST))
		return -1;
	lock = open("/run/sigil/lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (lock < 0 || flock(lock, LOCK_EX) != 0)
		goto out;
	if (stat(SHARED_DIR, &a) == 0 && stat("/run/sigil", &b) == 0 && a.st_dev != b.st_dev)
		rc = 0;
	else if (mount("sigil-rom-shared", SHARED_DIR, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
		       "mode=0700,size=1m") == 0)
		rc = 0;
out:
	if (lock >= 0)
		close(lock);
	return rc;
}

/* 1 when mnt is a live FUSE mount (a shared /rom), 0 when not mounted; a
 * dead one (its server gone) is detached and counts as not mounted. */
static int shared_alive(const char *mnt)
{
	struct statfs sf;

	if (statfs(mnt, &sf) != 0) {
		if (errno == ENOTCONN)
			umount2(mnt, MNT_DETACH);
		return 0;
	}
	return sf.f_type == FUSE_MAGIC;
}

/* Detaches the shared mounts whose server is gone (killed: it never
 * detached them). Called when a new server starts, not on every exec. */
static void shared_sweep(void)
{
	DIR *dir = opendir(SHARED_DIR);
	struct dirent *e;
	char path[sizeof SHARED_DIR + 256 + 2];

	if (!dir)
		return;
	while ((e = readdir(dir)) != NULL) {
		struct statfs sf;
		if (e->d_type != DT_DIR || e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof path, "%s/%s", SHARED_DIR, e->d_name);
		if (statfs(path, &sf) != 0 && errno == ENOTCONN && umount2(path, MNT_DETACH) == 0)
			rmdir(path);
	}
	closedir(dir);
}

/* Phase 2 + 4 for a shared /rom: finds or starts the server of (store,
 * closure) under its lock and stamps the lock (this exec attached). On
 * success sv->lock is held (locked) until the caller has bound the mount
 * into its namespace. 0, 1 when the store cannot be shared, or -1 with
 * why filled. */
static int shared_attach(struct server *sv, store *s, const char *spec, const char *urn,
			 const elf_desc *d, char *why, size_t why_size)
{
	if (shared_name(spec, urn, sv->mnt, sizeof sv->mnt) != 0)
		return 1;
	if (shared_dir_ready() != 0) {
		snprintf(why, why_size, "cannot set up %s: %s", SHARED_DIR, strerror(errno));
		return -1;
	}
	snprintf(sv->lock_path, sizeof sv->lock_path, "%s.lock", sv->mnt);
	sv->lock = open(sv->lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (sv->lock < 0 || flock(sv->lock, LOCK_EX) != 0) {
		snprintf(why, why_size, "cannot lock %s: %s", sv->lock_path, strerror(errno));
		return -1;
	}
	if (!shared_alive(sv->mnt)) {
		shared_sweep();
		if (mkdir(sv->mnt, 0700) != 0 && errno != EEXIST) {
			snprintf(why, why_size, "cannot create %s: %s", sv->mnt, strerror(errno));
			return -1;
		}
		int fuse_fd = -1, go = -1;
		if (server_start(sv, s, spec, d, &fuse_fd, &go, why, why_size) != 0 ||
		    server_mount(fuse_fd, go, sv->mnt, why, why_size) != 0)
			return -1;
	}
	futimens(sv->lock, NULL);
	return 0;
}

/* Phase 4, eager: the whole closure decoded into a tmpfs at /rom, which is
 * then made read-only. Returns an exit status. */
static int load_eager(const struct cli_cmd *cmd, store *s, const char *spec, const elf_desc *d,
		      int jobs)
{
	elf_error err;
	int rom = -1, status = EXIT_OK;

	memset(&err, 0, sizeof err);
	if (mount("sigil-rom", "/rom", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755") != 0) {
		status = cli_fail(cmd, EXIT_SYSTEM, "cannot mount a tmpfs at /rom: %s",
				  strerror(errno));
		goto out;
	}
	rom = open("/rom", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rom < 0) {
		status = cli_fail(cmd, EXIT_SYSTEM, "cannot open /rom: %s", strerror(errno));
		goto out;
	}
	if (elf_rom_populate(s, spec, d, rom, jobs, &err) != 0) {
		status = sigil_fail_elf(cmd, &err);
		goto out;
	}
	if (mount(NULL, "/rom", NULL, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV, NULL) != 0) {
		status = cli_fail(cmd, EXIT_SYSTEM, "cannot make /rom read-only: %s",
				  strerror(errno));
		goto out;
	}
out:
	if (rom >= 0)
		close(rom);
	return status;
}

static int run_exec(const struct cli_cmd *cmd, int argc, char **argv)
{
	struct sigil_args a;
	const char *spec, *urn, **envs;
	size_t n_env = 0;
	elf_desc d;
	elf_error err;
	store *s = NULL;
	struct server sv;
	char **args = NULL, path[4096 + 8];
	char why[512] = "";
	int status = EXIT_OK, jobs = 0, lazy, shared = 0, fuse_fd = -1, go = -1;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);

	memset(&d, 0, sizeof d);
	memset(&err, 0, sizeof err);
	memset(&sv, 0, sizeof sv);
	sv.cmd = cmd;
	sv.lock = -1;
	sv.linger = LINGER_DEFAULT;
	if (sigil_parse(cmd, argc, argv, 1, &a, &status))
		return status;
	spec = cli_get(cmd, &a.a, "store");
	envs = sigil_all(cmd, &a, "env", &n_env);
	jobs = cpus > 4 ? 4 : cpus < 1 ? 1 : (int)cpus;
	lazy = !cli_get(cmd, &a.a, "eager") && !cli_get(cmd, &a.a, "check");
	if (!spec) {
		status = cli_fail(cmd, EXIT_USAGE, "no store given (use -s STORE)");
		goto out;
	}
	if (a.a.argc == 0) {
		status = cli_fail(cmd, EXIT_USAGE, "no urn given");
		goto out;
	}
	if (cli_get(cmd, &a.a, "jobs")) {
		uint64_t j = 0;
		if (cli_parse_u64(cli_get(cmd, &a.a, "jobs"), &j) != 0 || j < 1 || j > 16) {
			status = cli_fail(cmd, EXIT_USAGE, "--jobs wants a number from 1 to 16");
			goto out;
		}
		jobs = (int)j;
	}
	if (cli_get(cmd, &a.a, "linger")) {
		uint64_t l = 0;
		if (cli_parse_u64(cli_get(cmd, &a.a, "linger"), &l) != 0 || l > 86400) {
			status = cli_fail(cmd, EXIT_USAGE, "--linger wants seconds, 0 to 86400");
			goto out;
		}
		sv.linger = (long)l;
	}
	for (size_t i = 0; i < n_env; i++)
		if (!strchr(envs[i], '=') || envs[i][0] == '=') {
			status = cli_fail(cmd, EXIT_USAGE, "--env \"%s\" is not NAME=VALUE", envs[i]);
			goto out;
		}
	urn = a.a.argv[0];

	/* 1. load */
	if (store_open(&s, spec, STORE_READ, &err.eris) != 0) {
		status = cli_fail(cmd, EXIT_SYSTEM, "%s", err.eris.msg);
		goto out;
	}
	if (elf_desc_load(&d, s, urn, &err) != 0) {
		if (err.code == ELF_E_ARG)
			status = cli_fail(cmd, EXIT_USAGE, "%s", err.msg);
		else
			status = sigil_fail_elf(cmd, &err);
		goto out;
	}

	/* 2. server (a shared one: found or started, and mounted) */
	if (lazy && sv.linger > 0) {
		int r = shared_attach(&sv, s, spec, urn, &d, why, sizeof why);
		shared = r == 0;
		if (r < 0 && sv.lock >= 0) { /* then a private server */
			close(sv.lock);
			sv.lock = -1;
		}
	}
	if (lazy && !shared && server_start(&sv, s, spec, &d, &fuse_fd, &go, why, sizeof why) != 0)
		lazy = 0;

	/* 3. namespace */
	if (unshare(CLONE_NEWNS) != 0) {
		status = cli_fail(cmd, EXIT_SYSTEM, "cannot make a mount namespace: %s (needs root)",
				  strerror(errno));
		goto out;
	}
	if (mount("none", "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) {
		status = cli_fail(cmd, EXIT_SYSTEM, "cannot make mounts private: %s",
				  strerror(errno));
		goto out;
	}
	if (mkdir("/rom", 0755) != 0 && errno != EEXIST) {
		status = cli_fail(cmd, EXIT_SYSTEM, "cannot create /rom: %s", strerror(errno));
		goto out;
	}

	/* 4. rom */
	if (shared) {
		/* our own view of the shared mount, then none of the others */
		if (mount(sv.mnt, "/rom", NULL, MS_BIND, NULL) != 0 ||
		    mount(NULL, "/rom", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV,
			  NULL) != 0) {
			status = cli_fail(cmd, EXIT_SYSTEM, "cannot mount %s at /rom: %s", sv.mnt,
					  strerror(errno));
			goto out;
		}
		close(sv.lock); /* unlocks: the server may detach the host mount now */
		sv.lock = -1;
	} else if (lazy) {
		int r = server_mount(fuse_fd, go, "/rom", why, sizeof why);
		fuse_fd = go = -1;
		if (r != 0)
			lazy = 0;
	}
	/* the shared /roms of other closures, copied into this namespace by
	 * unshare: dropped, or they would stay mounted as long as it lives */
	umount2(SHARED_DIR, MNT_DETACH);
	if (!lazy && why[0])
		fprintf(stderr, "sigil %s: FUSE is not available (%s): decoding the whole closure "
				"into a tmpfs first\n",
			cmd->name, why);
	if (!lazy && (status = load_eager(cmd, s, spec, &d, jobs)) != EXIT_OK)
		goto out;
	store_close(s);
	s = NULL;
	if (cli_get(cmd, &a.a, "check"))
		goto out;

	/* 5. exec */
	for (size_t i = 0; i < d.n_env + n_env; i++) {
		const char *e = i < d.n_env ? d.env[i] : envs[i - d.n_env];
		char *name = strndup(e, (size_t)(strchr(e, '=') - e));
		if (!name || setenv(name, strchr(e, '=') + 1, 1) != 0) {
			free(name);
			status = cli_fail(cmd, EXIT_SYSTEM, "cannot set the environment");
			goto out;
		}
		free(name);
	}
	args = calloc((size_t)a.a.argc + 1, sizeof *args);
	if (!args) {
		status = cli_fail(cmd, EXIT_SYSTEM, "out of memory");
		goto out;
	}
	args[0] = cli_get(cmd, &a.a, "argv0") ? (char *)(uintptr_t)cli_get(cmd, &a.a, "argv0")
					      : d.argv0;
	for (int i = 1; i < a.a.argc; i++)
		args[i] = a.a.argv[i];
	snprintf(path, sizeof path, "/rom/%s", d.exec);
	fflush(NULL);
	execv(path, args);
	if (errno == EIO)
		status = cli_fail(cmd, EXIT_DATA, "cannot run %s: a block of it or of its interpreter "
						  "failed verification",
				  path);
	else
		status = cli_fail(cmd, EXIT_SYSTEM, "cannot run %s: %s", path, strerror(errno));
out:
	free(args);
	if (sv.lock >= 0)
		close(sv.lock);
	if (go >= 0)
		close(go);
	if (fuse_fd >= 0)
		close(fuse_fd);
	store_close(s);
	elf_desc_release(&d);
	sigil_args_free(&a);
	return status;
}

const struct cli_cmd sigil_cmd_exec = {
	"exec", "-s STORE [--eager] [-e NAME=VALUE]... [--argv0 NAME] URN [ARGS...]",
	"run an imported program from its verified closure",
	"URN is what \"sigil import\" printed. In a private mount namespace, the closure's\n"
	"files appear read-only at /rom, served from STORE by a FUSE server that decodes\n"
	"and verifies each block when the program first reads it: a missing or tampered\n"
	"block fails that read (EIO) and the server names the block and the file on\n"
	"stderr. The program is exec'd with ARGS in this process (its exit status and\n"
	"signals are its own); the server exits when the last process using /rom does.\n"
	"With --eager (or without FUSE) every file is decoded into a tmpfs first and a\n"
	"bad block stops exec (exit 1) before anything runs; --check does that and exits.\n"
	"Options after URN are the program's. Needs root (CAP_SYS_ADMIN).",
	exec_opts, run_exec};
