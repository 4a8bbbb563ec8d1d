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
 *      machines: ../shared/notes/boot-and-sandbox.md), machine pc, CPU
 *      TCG_CPU, one of them (-smp 1; --cpus N: see "vCPUs" below),
 *      kernel command line
 *      + acpi=noirq (and quiet), the disk as a virtio drive (written
 *      to: the state partition persists), -nographic -monitor none (the
 *      serial console is stdio), -no-reboot, and the isa-debug-exit
 *      device at port 0xf4. Network:
 *      none, or with --forward only user-mode networking with restrict=on
 *      (the guest reaches neither the host nor the outside), on
 *      10.0.99.0/24 (the guest is 10.0.99.15, which sigil-init as PID 1
 *      assumes, pid1.c; QEMU's default 10.0.2.0/24 is left to the
 *      children's uplinks) and each forward bound to 127.0.0.1 on the
 *      host: hostfwd=tcp:127.0.0.1:HOST-:GUEST.
 *      --efi boots through the firmware instead: OVMF (CODE read-only,
 *      a scratch copy of its VARS) runs EFI/BOOT/BOOTX64.EFI from the ESP,
 *      GRUB, which loads the same kernel and core image with the same
 *      command line (its built-in grub.cfg); steps 1-2 are skipped.
 *      --print-command prints QEMU's argv instead of running it.
 *   4. stopping: on SIGTERM or SIGINT, QEMU is asked over its QMP socket
 *      (a unix socket in the work directory) to press ctrl-alt-delete; the
 *      kernel turns that into SIGINT for sigil-init, which stops the
 *      children, syncs and powers off with its status. QEMU is killed if
 *      the guest has not powered off after --stop-grace seconds.
 *   5. the exit status: sigil-init as PID 1 writes status + 1 to port 0xf4
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
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "banned.h"

/* The guest CPU: QEMU's "max" (RDRAND, so the kernel's random pool is
 * ready at once and getrandom does not wait) without the vector extensions
 * past SSE3. TCG runs each SSSE3/SSE4/AVX instruction through a helper
 * call, while plain 64-bit integer code becomes host instructions; with
 * them gone, libsodium's and glibc's run-time dispatch picks their scalar
 * code, and verifying a closure's blocks (BLAKE2b, ChaCha20) takes less
 * than half as long. Without ERMS and FSRM ("enhanced/fast short REP
 * MOVSB") too: with them glibc's memcpy and the kernel's copy routines use
 * a byte-wise `rep movsb`, which TCG emulates one byte at a time; a guest
 * program's memcpy went from 137 MB/s to 1,443 MB/s without them (ChaCha20
 * 33 MB/s and BLAKE2b 41 MB/s unchanged), and in bench/boot.sh kv from
 * ~10.5 s to 9.54 s and the limit from ~5.7 s to 4.98 s (2026-11). */
#define TCG_CPU "max,-ssse3,-sse4.1,-sse4.2,-avx,-avx2,-avx512f,-aes,-pclmulqdq,-sha-ni,-erms,-fsrm"

static const struct cli_opt opts[] = {
	{"forward", 'f', "HOST:GUEST", "forward TCP port 127.0.0.1:HOST to the guest's GUEST (repeatable)"},
	{"timeout", 't', "SECONDS", "stop QEMU after this long and fail (default: no limit)"},
	{"memory", 'm', "MIB", "guest RAM (default: 512)"},
	{"cpus", 0, "N", "vCPUs, 1 to 16 (default: 1; see sigil(1) before using more)"},
	{"append", 0, "ARGS", "more kernel arguments (after the image's command line)"},
	{"kernel-log", 0, NULL, "show the kernel's messages (the default adds `quiet`)"},
	{"trace", 0, NULL, "sigil-init prints the boot's timeline (adds sigil.trace)"},
	{"cache", 0, "DIR", "where the vmlinux is kept (default: $SIGIL_CACHE or $XDG_CACHE_HOME/sigil)"},
	{"qemu", 0, "PROG", "the QEMU binary (default: qemu-system-x86_64)"},
	{"efi", 0, NULL, "boot through UEFI firmware (OVMF) and the ESP's GRUB instead of PVH"},
	{"ovmf", 0, "DIR", "where OVMF_CODE_4M.fd and OVMF_VARS_4M.fd are (default: /usr/share/OVMF)"},
	{"stop-grace", 0, "SECONDS", "on SIGTERM/SIGINT, how long the guest may take to power off (default: 30)"},
	{"print-command", 0, NULL, "print the QEMU command, one argument a line, and run nothing"},
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

static volatile sig_atomic_t stop_asked;

static void on_stop(int sig)
{
	(void)sig;
	stop_asked = 1;
}

/* Reads from a QMP socket until a line holding `want` (or an error). */
static int qmp_wait(int fd, const char *want)
{
	char buf[4096];
	size_t len = 0;
	for (;;) {
		ssize_t r = read(fd, buf + len, sizeof buf - 1 - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		len += (size_t)r;
		buf[len] = 0;
		if (strstr(buf, "\"error\""))
			return -1;
		if (strstr(buf, want))
			return 0;
		if (len == sizeof buf - 1) { /* keep the tail: a reply may straddle */
			memmove(buf, buf + len / 2, len - len / 2);
			len -= len / 2;
		}
	}
}

/* Asks QEMU (QMP at `path`) to press ctrl-alt-delete in the guest. */
static int qmp_ctrl_alt_del(const char *path)
{
	static const char caps[] = "{\"execute\":\"qmp_capabilities\"}\n";
	static const char keys[] =
		"{\"execute\":\"send-key\",\"arguments\":{\"keys\":["
		"{\"type\":\"qcode\",\"data\":\"ctrl\"},{\"type\":\"qcode\",\"data\":\"alt\"},"
		"{\"type\":\"qcode\",\"data\":\"delete\"}]}}\n";
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct timeval tv = {2, 0};
	int fd = -1, rc = -1;
	if (strlen(path) >= sizeof sa.sun_path)
		goto out;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) != 0 ||
	    connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0 || qmp_wait(fd, "\"QMP\"") != 0 ||
	    write(fd, caps, sizeof caps - 1) != (ssize_t)(sizeof caps - 1) ||
	    qmp_wait(fd, "\"return\"") != 0 ||
	    write(fd, keys, sizeof keys - 1) != (ssize_t)(sizeof keys - 1) ||
	    qmp_wait(fd, "\"return\"") != 0)
		goto out;
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	return rc;
}

/* Copies `from` to `to` (a scratch copy of OVMF's variable store). */
static int copy_to(const char *from, const char *to)
{
	char buf[65536];
	int in = open(from, O_RDONLY | O_CLOEXEC), rc = -1, out = -1;
	if (in < 0 || (out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) < 0)
		goto done;
	for (;;) {
		ssize_t r = read(in, buf, sizeof buf);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			goto done;
		if (r == 0)
			break;
		if (write(out, buf, (size_t)r) != r)
			goto done;
	}
	rc = 0;
done:
	if (in >= 0)
		close(in);
	if (out >= 0 && close(out) != 0)
		rc = -1;
	return rc;
}

static int run(const struct cli_cmd *cmd, int argc, char **argv)
{
	struct sigil_args a = {0};
	int status = EXIT_OK, fd = -1;
	char work[4200] = "", log[4300] = "", vmlinuz[4300], core[4300], cmdf[4300];
	char cache[4096], hex[33], vmlinux[4400], tmp[4500], cmdline[8192] = "", netdev[4096];
	char mem[32], qmp[4300], qmparg[4400], drive[4400], code[4400], vars[4400];
	char pflash0[4500], pflash1[4500];
	gpt_disk *d = NULL;
	disk_error de = {0};
	pid_t pid = -1;
	int booted = 0; /* QEMU started: the tools' log is of no interest */
	uint64_t timeout = 0, memory = 512, grace = 30;
	uint64_t cpus = 1; /* see "vCPUs" below */
	char smp[24];
	struct sigaction sa_old[2], sa = {.sa_handler = on_stop};
	int handlers = 0;

	if (sigil_parse(cmd, argc, argv, 0, &a, &status))
		return status;
	const char *disk = a.a.argc == 1 ? a.a.argv[0] : NULL;
	const char *qemu = cli_get(cmd, &a.a, "qemu") ? cli_get(cmd, &a.a, "qemu")
						      : "qemu-system-x86_64";
	const char *ovmf = cli_get(cmd, &a.a, "ovmf") ? cli_get(cmd, &a.a, "ovmf") : "/usr/share/OVMF";
	int quiet = cli_get(cmd, &a.a, "quiet") != NULL, efi = cli_get(cmd, &a.a, "efi") != NULL;
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
	if (cli_get(cmd, &a.a, "stop-grace") &&
	    (cli_parse_u64(cli_get(cmd, &a.a, "stop-grace"), &grace) || grace == 0 ||
	     grace > 3600)) {
		status = cli_fail(cmd, EXIT_USAGE, "--stop-grace: a number of seconds, 1 to 3600");
		goto out;
	}
	if (cli_get(cmd, &a.a, "memory") &&
	    (cli_parse_u64(cli_get(cmd, &a.a, "memory"), &memory) || memory < 128 ||
	     memory > 65536)) {
		status = cli_fail(cmd, EXIT_USAGE, "--memory: MiB, 128 to 65536");
		goto out;
	}
	if (cli_get(cmd, &a.a, "cpus") &&
	    (cli_parse_u64(cli_get(cmd, &a.a, "cpus"), &cpus) || cpus == 0 || cpus > 16)) {
		status = cli_fail(cmd, EXIT_USAGE, "--cpus: a number of vCPUs, 1 to 16");
		goto out;
	}
	if (efi && (cli_get(cmd, &a.a, "append") || cli_get(cmd, &a.a, "kernel-log") ||
		    cli_get(cmd, &a.a, "trace"))) {
		status = cli_fail(cmd, EXIT_USAGE,
				  "--append, --kernel-log and --trace go with the direct boot, not --efi "
				  "(GRUB's command line is the image's)");
		goto out;
	}
	/* -nic user with restrict=on, on the subnet pid1.c assumes (the guest
	 * is 10.0.99.15), every forward on 127.0.0.1 */
	snprintf(netdev, sizeof netdev, "user,id=n0,restrict=on,net=10.0.99.0/24");
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
	snprintf(qmp, sizeof qmp, "%s/qmp.sock", work);
	uint64_t off = esp->first_lba * GPT_SECTOR;
	if (efi) {
		/* the firmware: OVMF's code read-only, its variables a scratch copy */
		snprintf(code, sizeof code, "%s/OVMF_CODE_4M.fd", ovmf);
		snprintf(tmp, sizeof tmp, "%s/OVMF_VARS_4M.fd", ovmf);
		snprintf(vars, sizeof vars, "%s/vars.fd", work);
		if (access(code, R_OK) != 0 || copy_to(tmp, vars) != 0) {
			status = cli_fail(cmd, EXIT_SYSTEM, "no UEFI firmware: '%s' or '%s': %s "
					  "(install ovmf)", code, tmp, strerror(errno));
			goto out;
		}
		snprintf(pflash0, sizeof pflash0, "if=pflash,format=raw,unit=0,readonly=on,file=%s", code);
		snprintf(pflash1, sizeof pflash1, "if=pflash,format=raw,unit=1,file=%s", vars);
		goto qemu;
	}
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
	{
		/* acpi=noirq: PCI interrupts routed by SeaBIOS's tables, not by
		 * ACPI's link objects, whose AML takes TCG over a second per
		 * virtio device (virtio-pci uses MSI-X anyway) */
		size_t len = strlen(cmdline);
		snprintf(cmdline + len, sizeof cmdline - len, " acpi=noirq%s%s",
			 cli_get(cmd, &a.a, "kernel-log") ? "" : " quiet",
			 cli_get(cmd, &a.a, "trace") ? " sigil.trace" : "");
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

qemu:
	/* 3. QEMU */
	snprintf(drive, sizeof drive, "file=%s,if=virtio,format=raw", disk);
	snprintf(mem, sizeof mem, "%llu", (unsigned long long)memory);
	snprintf(qmparg, sizeof qmparg, "unix:%s,server=on,wait=off", qmp);
	const char *qv[40];
	size_t nq = 0;
	/* vCPUs: one unless --cpus. With two (multi-threaded TCG, a host
	 * thread each) sigil-init as PID 1 loads the module groups side by
	 * side (pid1.c) and, with SIGIL_VERIFY_AHEAD=1 on the command line
	 * (--append), verifies the closures on the second vCPU while the boot
	 * goes on (init/rom.c): kv answered in 6.99 s instead of 8.57 s (limit
	 * 4.41 s and 4.63 s, bench/boot.sh, 2026-11; 8.18 s against 5.04 s,
	 * 1.62x, on a busier day); on a faster host it did not (3.68 s against
	 * 3.59 s, the limit 2.50 s against 2.06 s, 2026-11-23). Such boots
	 * used to hang now and then (about one in 35 of the state system's,
	 * 2026-11-23) in soft lockups, both
	 * vCPUs spinning at the memcg jump-label sites of the page and slab
	 * allocators while PID 1 wrote cgroup.subtree_control: the first memory
	 * cgroup turns those static keys on, and the kernel patched that code
	 * while the other vCPU ran it. sigil-init as PID 1 now makes that
	 * cgroup first, before anything else runs (init/pid1.c): no hang in
	 * 542 such boots since. A guest whose two vCPU threads
	 * share one host core also suffers more than one with one vCPU: with
	 * another VM beside it kv took 14.4 s (limit 6.7 s) */
	snprintf(smp, sizeof smp, "%llu", (unsigned long long)cpus);
	const char *common[] = {qemu, "-accel", "tcg", "-smp", smp, "-M", "pc", "-cpu", TCG_CPU, "-m", mem,
				"-nographic", "-monitor", "none", "-no-reboot", "-qmp", qmparg,
				"-drive", drive, "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"};
	for (size_t i = 0; i < sizeof common / sizeof common[0]; i++)
		qv[nq++] = common[i];
	if (nfwd) { /* the NIC without its iPXE option ROM: nothing boots from it */
		qv[nq++] = "-netdev";
		qv[nq++] = netdev;
		qv[nq++] = "-device";
		qv[nq++] = "virtio-net-pci,netdev=n0,romfile=";
	} else {
		qv[nq++] = "-nic";
		qv[nq++] = "none";
	}
	if (efi) {
		qv[nq++] = "-drive";
		qv[nq++] = pflash0;
		qv[nq++] = "-drive";
		qv[nq++] = pflash1;
	} else {
		qv[nq++] = "-kernel";
		qv[nq++] = vmlinux;
		qv[nq++] = "-initrd";
		qv[nq++] = core;
		qv[nq++] = "-append";
		qv[nq++] = cmdline;
	}
	qv[nq] = NULL;
	if (cli_get(cmd, &a.a, "print-command")) { /* bench/boot.sh: its limit runs this machine */
		for (size_t i = 0; i < nq; i++)
			printf("%s\n", qv[i]);
		status = fflush(stdout) == 0 ? EXIT_OK : EXIT_SYSTEM;
		goto out;
	}
	if (!quiet)
		fprintf(stderr, "sigil boot: %s (TCG, %s; %s)\n", disk, efi ? "UEFI: OVMF, GRUB" : "PVH",
			nfwd ? strstr(netdev, "hostfwd") : "no network");
	/* SIGTERM/SIGINT: a clean stop of the guest (ctrl-alt-delete) */
	sigemptyset(&sa.sa_mask);
	stop_asked = 0;
	if (sigaction(SIGTERM, &sa, &sa_old[0]) != 0 || sigaction(SIGINT, &sa, &sa_old[1]) != 0) {
		status = cli_fail(cmd, EXIT_SYSTEM, "sigaction: %s", strerror(errno));
		goto out;
	}
	handlers = 1;
	fflush(stdout);
	int64_t start = now_ms();
	booted = 1;
	if ((pid = fork()) < 0) {
		status = cli_fail(cmd, EXIT_SYSTEM, "fork: %s", strerror(errno));
		goto out;
	}
	if (pid == 0) {
		sigaction(SIGTERM, &sa_old[0], NULL);
		sigaction(SIGINT, &sa_old[1], NULL);
		/* QEMU goes when we go, even killed: no guest left running */
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() == 1)
			_exit(126);
		execvp(qemu, (char *const *)(uintptr_t)qv);
		fprintf(stderr, "sigil boot: cannot run %s: %s (install qemu-system-x86)\n", qemu,
			strerror(errno));
		_exit(126); /* even: never a guest's status */
	}
	int ws = 0, timed_out = 0, stopping = 0;
	int64_t stop_deadline = 0;
	for (;;) {
		pid_t r = waitpid(pid, &ws, WNOHANG);
		if (r == pid)
			break;
		if (r < 0 && errno != EINTR) {
			status = cli_fail(cmd, EXIT_SYSTEM, "waitpid: %s", strerror(errno));
			goto out;
		}
		int64_t now = now_ms();
		if (timeout && now - start >= (int64_t)timeout * 1000 && !timed_out) {
			timed_out = 1;
			kill(pid, SIGKILL);
		}
		if (stop_asked && !stopping) {
			stopping = 1;
			stop_deadline = now + (int64_t)grace * 1000;
			if (!quiet)
				fprintf(stderr, "sigil boot: stopping the guest (ctrl-alt-delete)\n");
			if (qmp_ctrl_alt_del(qmp) != 0) {
				fprintf(stderr, "sigil boot: QEMU's QMP socket did not answer; killing it\n");
				stop_deadline = now;
			}
		}
		if (stopping && now >= stop_deadline && stop_deadline) {
			fprintf(stderr, "sigil boot: the guest did not power off in %llu s; QEMU killed\n",
				(unsigned long long)grace);
			stop_deadline = 0;
			kill(pid, SIGKILL);
		}
		struct timespec ts = {0, 20 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	pid = -1;
	double secs = (double)(now_ms() - start) / 1000.0;

	/* 5. the exit status */
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
	if (handlers) {
		sigaction(SIGTERM, &sa_old[0], NULL);
		sigaction(SIGINT, &sa_old[1], NULL);
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
	.args = "[--efi] [--forward HOST:GUEST]... [--timeout S] DISK",
	.summary = "boot a disk made by sigil image in QEMU (TCG; PVH, or UEFI with --efi)",
	.details = "Copies the kernel, core image and command line out of the disk's ESP, boots\n"
		   "the kernel directly (PVH: the vmlinux inside the bzImage, kept in the cache)\n"
		   "with the disk as a virtio drive, and exits with the booted system's status:\n"
		   "sigil-init as PID 1 writes it to the isa-debug-exit port as it powers off.\n"
		   "--efi boots the same disk through OVMF and the ESP's GRUB instead (slower).\n"
		   "No network unless --forward: then user-mode networking, restricted, with\n"
		   "each forward from 127.0.0.1:HOST to the guest's GUEST (the port a forward of\n"
		   "the system listens on). SIGTERM or SIGINT stops the guest cleanly (ctrl-alt-\n"
		   "delete: the children are stopped, the state partition synced). Exit 3 when\n"
		   "QEMU fails, the guest stops without a status (kernel panic) or --timeout passes.",
	.opts = opts,
	.run = run,
};
