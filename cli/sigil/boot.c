/*
 * boot.c — `sigil boot disk.img`: boots a disk `sigil image` wrote, in QEMU,
 * with the serial console on stdout, and exits with the booted system's
 * exit status.
 *
 *   1. the ESP: the GPT read with lib/disk; sigil/vmlinuz, sigil/core.img
 *      and sigil/cmdline copied out of its FAT with mcopy (no mounts);
 *   2. the kernel: QEMU's direct (PVH) boot wants the uncompressed vmlinux
 *      inside the bzImage (img_kernel_vmlinux, xz); it is kept in the cache
 *      under CACHE/vmlinux/HASH, HASH the BLAKE2b-128 of the bzImage;
 *   3. QEMU: qemu-system-x86_64 -accel tcg (KVM is unusable on these
 *      machines: ../shared/notes/boot-and-sandbox.md), machine pc, the
 *      disk as a virtio drive (written to: the state partition persists),
 *      -nographic -monitor none (the serial console is stdio),
 *      -no-reboot, and the isa-debug-exit device at port 0xf4. Network:
 *      none, or with --forward only user-mode networking with restrict=on
 *      (the guest reaches neither the host nor the outside) and each
 *      forward bound to 127.0.0.1.
 *   4. the exit status: sigil-init as PID 1 writes status + 1 to port 0xf4
 *      as it powers off; QEMU then exits with ((status + 1) << 1) | 1 =
 *      2 * status + 3, which is turned back into status. QEMU's 0 (the
 *      guest stopped without writing: a kernel panic under panic=-1, or
 *      an init that is not sigil-init) and 1 (QEMU's own error) are
 *      failures, as is --timeout running out (QEMU is killed).
 *
 * Exit: the guest's status (0: every child exited with 0); 3 when QEMU
 * could not run, the guest gave no status, or the timeout passed; 2 for a
 * usage error.
 */
#include "sigil_cli.h"
#include "disk/disk.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "banned.h"

static const struct cli_opt opts[] = {
	{"forward", 'f', "HOST:GUEST", "forward TCP port 127.0.0.1:HOST to the guest's GUEST (repeatable)"},
	{"timeout", 't', "SECONDS", "stop QEMU after this long and fail (default: no limit)"},
	{"memory", 'm', "MIB", "guest RAM (default: 512)"},
	{"append", 0, "ARGS", "more kernel arguments (after the image's command line)"},
	{"kernel-log", 0, NULL, "show the kernel's messages (the default adds `quiet`)"},
	{"cache", 0, "DIR", "where the vmlinux is kept (default: $SIGIL_CACHE or $XDG_CACHE_HOME/sigil)"},
	{"qemu", 0, "PROG", "the QEMU binary (default: qemu-system-x86_64)"},
	{"quiet", 'q', NULL, "print nothing but the console and errors"},
	{0},
};


static int mkdirs(char *p)
{
	for (char *s = strchr(p + 1, '/'); s; s = strchr(s + 1, '/')) {
		*s = 0;
		int r = mkdir(p, 0755);
		*s = '/';
		if (r != 0 && errno != EEXIST)
			return -1;
	}
	return mkdir(p, 0755) == 0 || errno == EEXIST ? 0 : -1;
}

/* BLAKE2b-128 of a file, as 32 hex digits. */
static int hash_file(const char *path, char hex[33])
{
	crypto_generichash_state h;
	uint8_t buf[65536], out[16];
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc = -1;
	if (fd < 0 || crypto_generichash_init(&h, NULL, 0, sizeof out) != 0)
		goto out;
	for (;;) {
		ssize_t r = read(fd, buf, sizeof buf);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			goto out;
		if (r == 0)
			break;
		crypto_generichash_update(&h, buf, (unsigned long long)r);
	}
	crypto_generichash_final(&h, out, sizeof out);
	sodium_bin2hex(hex, 33, out, sizeof out);
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	return rc;
}

/* Copies ::sigil/NAME out of the FAT at byte offset `off` of `disk`. */
static int esp_get(const char *disk, uint64_t off, const char *name, const char *to,
		   const char *log, disk_error *de)
{
	char img[4200], from[128];
	snprintf(img, sizeof img, "%s@@%llu", disk, (unsigned long long)off);
	snprintf(from, sizeof from, "::sigil/%s", name);
	const char *argv[] = {"mcopy", "-n", "-o", "-i", img, from, to, NULL};
	return img_run(argv, NULL, NULL, log, "mtools", de);
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int parse_forward(const char *s, unsigned *host, unsigned *guest)
{
	char *end;
	unsigned long h, g;
	errno = 0;
	h = strtoul(s, &end, 10);
	if (errno || end == s || *end != ':' || h == 0 || h > 65535)
		return -1;
	s = end + 1;
	g = strtoul(s, &end, 10);
	if (errno || end == s || *end || g == 0 || g > 65535)
		return -1;
	*host = (unsigned)h;
	*guest = (unsigned)g;
	return 0;
}

static int run(const struct cli_cmd *cmd, int argc, char **argv)
{
	struct sigil_args a = {0};
	int status = EXIT_OK, fd = -1;
	char work[4200] = "", log[4300] = "", vmlinuz[4300], core[4300], cmdf[4300];
	char cache[4096], hex[33], vmlinux[4400], tmp[4500], cmdline[8192] = "", netdev[4096];
	char mem[32];
	gpt_disk *d = NULL;
	disk_error de = {0};
	pid_t pid = -1;
	int booted = 0; /* QEMU started: the tools' log is of no interest */
	uint64_t timeout = 0, memory = 512;

	if (sigil_parse(cmd, argc, argv, 0, &a, &status))
		return status;
	const char *disk = a.a.argc == 1 ? a.a.argv[0] : NULL;
	const char *qemu = cli_get(cmd, &a.a, "qemu") ? cli_get(cmd, &a.a, "qemu")
						      : "qemu-system-x86_64";
	int quiet = cli_get(cmd, &a.a, "quiet") != NULL;
	size_t nfwd = 0;
	const char **fwd = sigil_all(cmd, &a, "forward", &nfwd);
	if (!disk) {
		status = cli_fail(cmd, EXIT_USAGE, "expected one disk image");
		goto out;
	}
	if (cli_get(cmd, &a.a, "timeout") &&
	    (cli_parse_u64(cli_get(cmd, &a.a, "timeout"), &timeout) || timeout == 0 ||
	     timeout > 86400)) {
		status = cli_fail(cmd, EXIT_USAGE, "--timeout: a number of seconds, 1 to 86400");
		goto out;
	}
	if (cli_get(cmd, &a.a, "memory") &&
	    (cli_parse_u64(cli_get(cmd, &a.a, "memory"), &memory) || memory < 128 ||
	     memory > 65536)) {
		status = cli_fail(cmd, EXIT_USAGE, "--memory: MiB, 128 to 65536");
		goto out;
	}
	/* -nic user with restrict=on, every forward on 127.0.0.1 only */
	snprintf(netdev, sizeof netdev, "user,model=virtio-net-pci,restrict=on");
	for (size_t i = 0; i < nfwd; i++) {
		unsigned h, g;
		size_t len = strlen(netdev);
		if (parse_forward(fwd[i], &h, &g) != 0) {
			status = cli_fail(cmd, EXIT_USAGE, "--forward '%s': expected HOSTPORT:GUESTPORT",
					  fwd[i]);
			goto out;
		}
		if ((size_t)snprintf(netdev + len, sizeof netdev - len,
				     ",hostfwd=tcp:127.0.0.1:%u-:%u", h, g) >= sizeof netdev - len) {
			status = cli_fail(cmd, EXIT_USAGE, "too many --forward");
			goto out;
		}
	}

	/* 1. the ESP */
	if (!(d = calloc(1, sizeof *d))) {
		status = cli_fail(cmd, EXIT_SYSTEM, "out of memory");
		goto out;
	}
	if ((fd = open(disk, O_RDONLY | O_CLOEXEC)) < 0) {
		status = cli_fail(cmd, EXIT_USAGE, "'%s': %s", disk, strerror(errno));
		goto out;
	}
	if (gpt_read_fd(fd, d, &de) != 0) {
		status = cli_fail(cmd, EXIT_DATA, "'%s': %s", disk, de.msg);
		goto out;
	}
	close(fd);
	fd = -1;
	const gpt_part *esp = gpt_find(d, NULL, &gpt_type_efi);
	if (!esp) {
		status = cli_fail(cmd, EXIT_DATA, "'%s' has no EFI system partition", disk);
		goto out;
	}
	const char *t = getenv("TMPDIR");
	snprintf(work, sizeof work, "%s/sigil-boot.XXXXXX", t && *t ? t : "/tmp");
	if (!mkdtemp(work)) {
		status = cli_fail(cmd, EXIT_SYSTEM, "cannot create '%s': %s", work, strerror(errno));
		work[0] = 0;
		goto out;
	}
	snprintf(log, sizeof log, "%s/tools.log", work);
	snprintf(vmlinuz, sizeof vmlinuz, "%s/vmlinuz", work);
	snprintf(core, sizeof core, "%s/core.img", work);
	snprintf(cmdf, sizeof cmdf, "%s/cmdline", work);
	uint64_t off = esp->first_lba * GPT_SECTOR;
	if (esp_get(disk, off, "vmlinuz", vmlinuz, log, &de) ||
	    esp_get(disk, off, "core.img", core, log, &de) ||
	    esp_get(disk, off, "cmdline", cmdf, log, &de)) {
		status = cli_fail(cmd, de.code == DISK_E_NOTFOUND ? EXIT_SYSTEM : EXIT_DATA,
				  "'%s': the ESP has no sigil/ kernel, core image and command line "
				  "(not written by sigil image?): %s",
				  disk, de.msg);
		goto out;
	}
	FILE *f = fopen(cmdf, "r");
	if (!f || !fgets(cmdline, sizeof cmdline - 1024, f)) {
		status = cli_fail(cmd, EXIT_DATA, "'%s': sigil/cmdline is empty", disk);
		if (f)
			fclose(f);
		goto out;
	}
	fclose(f);
	cmdline[strcspn(cmdline, "\r\n")] = 0;
	if (!cli_get(cmd, &a.a, "kernel-log")) {
		size_t len = strlen(cmdline);
		snprintf(cmdline + len, sizeof cmdline - len, " quiet");
	}
	if (cli_get(cmd, &a.a, "append")) {
		size_t len = strlen(cmdline);
		snprintf(cmdline + len, sizeof cmdline - len, " %s", cli_get(cmd, &a.a, "append"));
	}

	/* 2. the vmlinux, cached by the bzImage's hash */
	sigil_cache_dir(cache, sizeof cache);
	if (cli_get(cmd, &a.a, "cache"))
		snprintf(cache, sizeof cache, "%s", cli_get(cmd, &a.a, "cache"));
	if (hash_file(vmlinuz, hex) != 0) {
		status = cli_fail(cmd, EXIT_SYSTEM, "cannot read '%s': %s", vmlinuz, strerror(errno));
		goto out;
	}
	snprintf(vmlinux, sizeof vmlinux, "%s/vmlinux", cache);
	if (mkdirs(vmlinux) != 0) {
		status = cli_fail(cmd, EXIT_SYSTEM, "cannot create '%s': %s", vmlinux, strerror(errno));
		goto out;
	}
	snprintf(vmlinux, sizeof vmlinux, "%s/vmlinux/%s", cache, hex);
	if (access(vmlinux, R_OK) != 0) {
		snprintf(tmp, sizeof tmp, "%s.%ld", vmlinux, (long)getpid());
		if (img_kernel_vmlinux(vmlinuz, tmp, log, &de) != 0 || rename(tmp, vmlinux) != 0) {
			unlink(tmp);
			status = cli_fail(cmd, EXIT_DATA, "no PVH vmlinux in the image's kernel: %s",
					  de.msg[0] ? de.msg : strerror(errno));
			goto out;
		}
	}

	/* 3. QEMU */
	char drive[4400];
	snprintf(drive, sizeof drive, "file=%s,if=virtio,format=raw", disk);
	snprintf(mem, sizeof mem, "%llu", (unsigned long long)memory);
	const char *qv[] = {qemu, "-accel", "tcg", "-M", "pc", "-cpu", "max", "-m", mem, "-nographic", "-monitor",
			    "none", "-no-reboot", "-kernel", vmlinux, "-initrd", core, "-append",
			    cmdline, "-drive", drive, "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
			    "-nic", nfwd ? netdev : "none", NULL};
	if (!quiet)
		fprintf(stderr, "sigil boot: %s (TCG, PVH; %s)\n", disk,
			nfwd ? netdev + strlen("user,model=virtio-net-pci,restrict=on,") : "no network");
	fflush(stdout);
	int64_t start = now_ms();
	booted = 1;
	if ((pid = fork()) < 0) {
		status = cli_fail(cmd, EXIT_SYSTEM, "fork: %s", strerror(errno));
		goto out;
	}
	if (pid == 0) {
		execvp(qemu, (char *const *)(uintptr_t)qv);
		fprintf(stderr, "sigil boot: cannot run %s: %s (install qemu-system-x86)\n", qemu,
			strerror(errno));
		_exit(126); /* even: never a guest's status */
	}
	int ws = 0, timed_out = 0;
	for (;;) {
		pid_t r = waitpid(pid, &ws, timeout ? WNOHANG : 0);
		if (r == pid)
			break;
		if (r < 0 && errno != EINTR) {
			status = cli_fail(cmd, EXIT_SYSTEM, "waitpid: %s", strerror(errno));
			goto out;
		}
		if (timeout && now_ms() - start >= (int64_t)timeout * 1000 && !timed_out) {
			timed_out = 1;
			kill(pid, SIGKILL);
		}
		if (timeout) {
			struct timespec ts = {0, 20 * 1000 * 1000};
			nanosleep(&ts, NULL);
		}
	}
	pid = -1;
	double secs = (double)(now_ms() - start) / 1000.0;

	/* 4. the exit status */
	if (timed_out)
		status = cli_fail(cmd, EXIT_SYSTEM, "timed out after %llu s; QEMU killed",
				  (unsigned long long)timeout);
	else if (!WIFEXITED(ws))
		status = cli_fail(cmd, EXIT_SYSTEM, "QEMU died of signal %d", WTERMSIG(ws));
	else if (WEXITSTATUS(ws) == 0)
		status = cli_fail(cmd, EXIT_SYSTEM,
				  "the guest stopped without an exit status (a kernel panic, or "
				  "an init that is not sigil-init) after %.1f s",
				  secs);
	else if (WEXITSTATUS(ws) == 1 || WEXITSTATUS(ws) % 2 == 0)
		status = cli_fail(cmd, EXIT_SYSTEM, "QEMU failed (exit status %d)", WEXITSTATUS(ws));
	else {
		status = (WEXITSTATUS(ws) - 3) / 2;
		if (!quiet)
			fprintf(stderr, "sigil boot: the system powered off with status %d after %.1f s\n",
				status, secs);
	}
out:
	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	if (fd >= 0)
		close(fd);
	if (work[0]) {
		if (status != EXIT_OK && !booted && access(log, R_OK) == 0) {
			snprintf(tmp, sizeof tmp, "%s.boot.log", disk);
			struct stat sb;
			if (stat(log, &sb) == 0 && sb.st_size > 0 && rename(log, tmp) == 0)
				fprintf(stderr, "sigil boot: the tools' output is in %s\n", tmp);
		}
		const char *rm[] = {"rm", "-rf", "--", work, NULL};
		disk_error ignored;
		if (img_run(rm, NULL, NULL, NULL, "coreutils", &ignored))
			fprintf(stderr, "sigil boot: warning: cannot remove %s\n", work);
	}
	free(d);
	sigil_args_free(&a);
	return status;
}

const struct cli_cmd sigil_cmd_boot = {
	.name = "boot",
	.args = "[--forward HOST:GUEST]... [--timeout S] DISK",
	.summary = "boot a disk made by sigil image in QEMU (TCG, PVH), console on stdout",
	.details = "Copies the kernel, core image and command line out of the disk's ESP, boots\n"
		   "the kernel directly (PVH: the vmlinux inside the bzImage, kept in the cache)\n"
		   "with the disk as a virtio drive, and exits with the booted system's status:\n"
		   "sigil-init as PID 1 writes it to the isa-debug-exit port as it powers off.\n"
		   "No network unless --forward: then user-mode networking, restricted, with\n"
		   "each forward on 127.0.0.1. Exit 3 when QEMU fails, the guest stops without\n"
		   "a status (kernel panic) or --timeout passes.",
	.opts = opts,
	.run = run,
};
