/*
 * pid1.c — sigil-init as PID 1 of a VM booted from a `sigil image` disk
 * (docs/image-format.md, docs/sigil-init.8 "AS PID 1").
 *
 * The kernel unpacks the core image (a newc cpio: /init, its shared
 * libraries, the modules, etc/sigil/{modules,cmdline}, dev/console) into
 * rootfs and runs /init. main.c asks init_pid1_wanted(); when this is PID 1
 * (or --pid1), init_pid1_setup() brings the machine up in named phases,
 * each failing closed with one console line saying why:
 *
 *   1 root      pivot_root refuses a root that is rootfs itself (it has
 *               no parent mount: EINVAL), and the children's sandbox
 *               pivots; so rootfs is bind-mounted onto a directory of its
 *               own, that mount moved onto / and chroot'ed into. The
 *               root is then a mount with a parent, nothing is copied.
 *   2 mounts    devtmpfs /dev, proc, sysfs, cgroup2 at /sys/fs/cgroup
 *               (or, when the unified hierarchy has no memory controller,
 *               v1 memory and pids hierarchies under a tmpfs there, which
 *               is what cgroup.c expects)
 *   3 modules   every path in /etc/sigil/modules loaded with finit_module,
 *               in order (the image wrote them after their dependencies,
 *               the disk's first), by children of ours, the loaders (one
 *               for each group of the list when there is more than one
 *               CPU), while the phases below and the verification go on;
 *               each file is unlinked once loaded (RAM)
 *   4 system    sigil.system=URN from /proc/cmdline, else
 *               /etc/sigil/cmdline (and sigil.verify=eager and
 *               sigil.trace from there); read right after the mounts, so
 *               that the trace (trace.c) starts there, and checked after
 *               the loaders have started
 *   5 store     /dev/vda (waited for until it opens, or the loader has
 *               failed), its GPT read with lib/disk, the partition whose
 *               unique GUID is gpt_guid_derive("store", URN) and whose
 *               type is ours; argv becomes
 *               "sigil-init -s pack:/dev/vdaN --run /run/sigil URN"
 *
 * main.c then runs the system exactly as hosted: every block read from the
 * partition is verified when first read (rom.c), and a tampered or missing
 * block fails that read, named on the console; with sigil.verify=eager on
 * the kernel command line (--eager) every block is verified before any
 * child starts, and a bad one stops the boot. Then init_pid1_state() waits for the
 * loader, mounts the state partition (ext4, GUID derived with "state") at
 * /state when some child has a state mount, and when some child has an
 * uplink brings up the VM's network:
 *
 *   lo     up (the root namespace's loopback starts down)
 *   eth0   the virtio NIC (virtio_net, loaded in phase 1; waited for),
 *          VM_ADDR/24 and up: the address QEMU's user network gives its
 *          guest, which `sigil boot` puts on 10.0.99.0/24 rather than
 *          QEMU's default 10.0.2.0/24, where uplinks like to live
 *          (examples/kv.dhall: 10.0.2.15). No default route and no IP
 *          forwarding: nothing in the guest reaches past QEMU's
 *          10.0.99.2, which only brings the forwards' connections
 *          (restrict=on).
 *
 * and makes the forwards listen on VM_ADDR, taking only what arrives on
 * eth0 (init_opts.fwd_addr, fwd_dev; net.c): QEMU's hostfwd for
 * 127.0.0.1:H on the host connects to VM_ADDR:G in the guest, which is
 * init's forward to the child. Hosted, forwards listen on 127.0.0.1; in
 * the VM that role is played by the NIC, which only the host's loopback
 * reaches. The uplinks themselves (veth pairs into the children) are
 * exactly the hosted ones.
 * When the run ends — every child exited, or SIGTERM/SIGINT (ctrl-alt-del
 * is turned into SIGINT) — init_pid1_poweroff() waits for the loader if it
 * still runs, syncs, unmounts /state,
 * writes status + 1 to the isa-debug-exit port 0xf4 and powers off. QEMU
 * exits with (value << 1) | 1 for a value written there, so with
 * 2 * status + 3: distinct from 1 (QEMU's own errors) and 0 (no value
 * written: a kernel panic with panic=-1 -no-reboot, or no device; without
 * the device the write does nothing). `sigil boot` turns it back. PID 1 never returns: the kernel would panic.
 *
 * Only a real PID 1 powers off; `--pid1` in any other process does the
 * setup in a mount namespace of its own and returns the status (for
 * containers and debugging; it still loads modules, so not on a host you
 * care about).
 */
#include "init.h"
#include "pid1.h"

#include "disk/disk.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/io.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "banned.h"

#define NEWROOT "/.sigil-root"
#define DISK "/dev/vda"
#define DEBUG_EXIT_PORT 0xf4
#define VM_NIC "eth0"
#define VM_ADDR "10.0.99.15" /* QEMU user networking's guest, net=10.0.99.0/24 */
#define VM_MASK "255.255.255.0"

enum { MAX_LOADERS = 8 };

static char sys_urn[ERIS_URN_LEN + 1];
static int state_mounted, eager;
static pid_t loaders[MAX_LOADERS]; /* phase 3's processes while they run (0: done) */
static size_t nloaders;
static int loader_failed;

int init_pid1_wanted(int argc, char **argv)
{
	return getpid() == 1 || (argc > 1 && strcmp(argv[1], "--pid1") == 0);
}

static int mkdir_p(const char *p)
{
	return mkdir(p, 0755) == 0 || errno == EEXIST ? 0 : -1;
}

/* ---- 3 modules ------------------------------------------------------------ */

/* Loads the modules of every group g of /etc/sigil/modules with
 * g % every == which (groups: runs of lines between empty ones). */
static int load_modules(size_t which, size_t every)
{
	FILE *f = fopen("/etc/sigil/modules", "re");
	char line[PATH_MAX];
	size_t group = 0;
	int rc = 0, blank = 0;
	if (!f) {
		if (errno == ENOENT)
			return 0; /* a kernel with everything built in */
		init_say("boot: cannot read /etc/sigil/modules: %s", strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof line, f)) {
		line[strcspn(line, "\r\n")] = 0;
		if (!line[0]) {
			blank = 1;
			continue;
		}
		if (blank)
			group++;
		blank = 0;
		if (line[0] == '#' || group % every != which)
			continue;
		int fd = open(line, O_RDONLY | O_CLOEXEC);
		if (fd < 0 || (syscall(SYS_finit_module, fd, "", 0) != 0 && errno != EEXIST)) {
			init_say("boot: cannot load the module %s: %s", line, strerror(errno));
			if (fd >= 0)
				close(fd);
			rc = -1;
			goto out;
		}
		close(fd);
		unlink(line);
	}
out:
	fclose(f);
	return rc;
}

/* The groups in /etc/sigil/modules (0 when it cannot be read: the loader
 * says why). */
static size_t count_groups(void)
{
	FILE *f = fopen("/etc/sigil/modules", "re");
	char line[PATH_MAX];
	size_t n = 0;
	int blank = 1;
	while (f && fgets(line, sizeof line, f)) {
		int empty = line[strspn(line, "\r\n")] == 0;
		n += !empty && blank;
		blank = empty;
	}
	if (f)
		fclose(f);
	return n;
}

/* Phase 3 in children of ours, so that the disk's modules (first in the
 * list) are followed by the rest (ext4, the NIC's) while the store is
 * found and the closures verified. The image lists the modules in groups
 * that need nothing of each other (lib/disk/modules.c): with more than
 * one CPU each group loads in a process of its own (at most MAX_LOADERS,
 * groups shared out round robin), side by side; else one process loads
 * them all in order. Under TCG with two vCPUs the ext4 stack (0.5 s of
 * the ~1 s all modules take) then loads beside the virtio and fuse ones. */
static int start_modules(void)
{
	size_t groups = count_groups();
	nloaders = sysconf(_SC_NPROCESSORS_ONLN) > 1 && groups > 1 ? groups : 1;
	if (nloaders > MAX_LOADERS)
		nloaders = MAX_LOADERS;
	for (size_t k = 0; k < nloaders; k++) {
		if ((loaders[k] = fork()) < 0) {
			init_say("boot: cannot fork a module loader: %s", strerror(errno));
			loaders[k] = 0;
			loader_failed = 1;
			return -1;
		}
		if (loaders[k] == 0)
			_exit(load_modules(k, nloaders) == 0 ? 0 : 1);
	}
	return 0;
}

/* Reaps the loaders (options: 0 waits for all, WNOHANG does not wait): -1
 * once one has failed (it said why), else 0. */
static int reap_loader(int options)
{
	int ws;
	for (size_t k = 0; k < nloaders; k++)
		if (loaders[k] > 0 && waitpid(loaders[k], &ws, options) == loaders[k]) {
			loaders[k] = 0;
			loader_failed |= !WIFEXITED(ws) || WEXITSTATUS(ws) != 0;
		}
	return loader_failed ? -1 : 0;
}

/* ---- 1 root --------------------------------------------------------------- */

static int switch_root(void)
{
	if (mkdir_p(NEWROOT) != 0 || mount("/", NEWROOT, NULL, MS_BIND, NULL) != 0 ||
	    chdir(NEWROOT) != 0 || mount(NEWROOT, "/", NULL, MS_MOVE, NULL) != 0 ||
	    chroot(".") != 0 || chdir("/") != 0) {
		init_say("boot: cannot move the root onto a bind mount of itself: %s",
			 strerror(errno));
		return -1;
	}
	return 0;
}

/* ---- 2 mounts ------------------------------------------------------------- */

static int mount_at(const char *src, const char *dir, const char *type, unsigned long flags,
		    const char *data)
{
	if (mkdir_p(dir) != 0 || mount(src, dir, type, flags, data) != 0) {
		init_say("boot: cannot mount %s on %s: %s", type, dir, strerror(errno));
		return -1;
	}
	return 0;
}

static int has_controller(const char *file, const char *word)
{
	char buf[512] = "";
	int fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	buf[n > 0 ? n : 0] = 0;
	char *save = NULL;
	for (char *t = strtok_r(buf, " \n", &save); t; t = strtok_r(NULL, " \n", &save))
		if (!strcmp(t, word))
			return 1;
	return 0;
}

static int mount_cgroups(void)
{
	const unsigned long fl = MS_NOSUID | MS_NODEV | MS_NOEXEC;
	if (mount_at("cgroup2", "/sys/fs/cgroup", "cgroup2", fl, NULL) != 0)
		return -1;
	if (has_controller("/sys/fs/cgroup/cgroup.controllers", "memory") &&
	    has_controller("/sys/fs/cgroup/cgroup.controllers", "pids")) {
		/* The first memory cgroup below the root turns the kernel's
		 * memcg static keys on, patching the page and slab allocators'
		 * code while the other CPUs run it. Under multi-threaded TCG
		 * (sigil boot --cpus 2) that hung about one boot in 35, both
		 * vCPUs spinning at those very jump-label sites while init
		 * wrote cgroup.subtree_control (init/cgroup.c) beside the
		 * module loader and the /rom server. Done here, before either
		 * starts, only the kernel's own threads run beside it.
		 * init_cg_setup calls it again and reports a failure. */
		(void)init_cg_first();
		return 0;
	}
	/* v1, as init/cgroup.c expects it: memory and pids hierarchies */
	if (umount2("/sys/fs/cgroup", 0) != 0 ||
	    mount_at("cgroup", "/sys/fs/cgroup", "tmpfs", fl, "mode=0755") != 0 ||
	    mount_at("cgroup", "/sys/fs/cgroup/memory", "cgroup", fl, "memory") != 0 ||
	    mount_at("cgroup", "/sys/fs/cgroup/pids", "cgroup", fl, "pids") != 0)
		return -1;
	return 0;
}

static int mount_all(void)
{
	const unsigned long fl = MS_NOSUID | MS_NODEV | MS_NOEXEC;
	if (mount_at("devtmpfs", "/dev", "devtmpfs", MS_NOSUID | MS_NOEXEC, "mode=0755") != 0 ||
	    mount_at("proc", "/proc", "proc", fl, NULL) != 0 ||
	    mount_at("sysfs", "/sys", "sysfs", fl, NULL) != 0 || mount_cgroups() != 0 ||
	    mount_at("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777") != 0 ||
	    mount_at("tmpfs", "/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755") != 0)
		return -1;
	return 0;
}

/* ---- 4 system ------------------------------------------------------------- */

static int urn_from(const char *file)
{
	char buf[8192];
	int fd = open(file, O_RDONLY | O_CLOEXEC), rc = -1;
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	buf[n > 0 ? n : 0] = 0;
	char *save = NULL;
	for (char *t = strtok_r(buf, " \t\n", &save); t; t = strtok_r(NULL, " \t\n", &save)) {
		eager |= !strcmp(t, "sigil.verify=eager");
		if (!strcmp(t, "sigil.trace"))
			init_trace_start(1);
		if (strncmp(t, "sigil.system=", 13) != 0 || rc != -1)
			continue;
		if (strncmp(t + 13, "urn:eris:", 9) != 0 || strlen(t + 13) > ERIS_URN_LEN) {
			init_say("boot: %s: sigil.system='%.80s' is not an ERIS URN", file, t + 13);
			return -2;
		}
		snprintf(sys_urn, sizeof sys_urn, "%s", t + 13);
		rc = 0;
	}
	return rc;
}

/* ---- 5 store -------------------------------------------------------------- */

/* Waits up to 10 s for a device node to open (the virtio disk appears
 * while virtio_blk loads, in the loader: its node exists a moment before
 * it opens; its partitions come right after), or a directory to exist. */
static int wait_for(const char *path)
{
	struct timespec ts = {0, 10 * 1000 * 1000};
	for (int i = 0; i < 1000; i++) {
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd >= 0) {
			close(fd);
			return 0;
		}
		if (reap_loader(WNOHANG) != 0)
			return -1;
		nanosleep(&ts, NULL);
	}
	init_say("boot: %s did not appear in 10 s (no virtio disk? the modules in "
		 "/etc/sigil/modules?)", path);
	return -1;
}

/* The device of the partition whose GUID derives from `role` and the URN. */
static int find_part(const char *role, const gpt_guid *type, char *dev, size_t size)
{
	gpt_disk *d = NULL;
	disk_error de = {0};
	gpt_guid want;
	char text[GPT_GUID_TEXT];
	int rc = -1, fd = -1;

	gpt_guid_derive(&want, role, sys_urn);
	gpt_guid_format(&want, text);
	if (wait_for(DISK) != 0)
		goto out;
	if (!(d = calloc(1, sizeof *d)) || (fd = open(DISK, O_RDONLY | O_CLOEXEC)) < 0) {
		init_say("boot: cannot open " DISK ": %s", strerror(errno));
		goto out;
	}
	if (gpt_read_fd(fd, d, &de) != 0) {
		init_say("boot: " DISK " has no valid GPT: %s", de.msg);
		goto out;
	}
	const gpt_part *p = gpt_find(d, &want, type);
	if (!p) {
		init_say("boot: no %s partition on " DISK " with GUID %s (derived from %s): "
			 "not the disk `sigil image` wrote for this system",
			 role, text, sys_urn);
		goto out;
	}
	snprintf(dev, size, DISK "%u", p->index + 1);
	if (wait_for(dev) != 0)
		goto out;
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	free(d);
	return rc;
}

int init_pid1_setup(int *argc, char ***argv)
{
	static char spec[64], *nargv[9];
	char dev[32];
	int r;

	if (getpid() == 1)
		reboot(RB_DISABLE_CAD); /* ctrl-alt-del: SIGINT to us, a clean stop */
	else if (unshare(CLONE_NEWNS) != 0 ||
		 mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) {
		/* --pid1 elsewhere: the mounts below stay in a namespace of our own */
		init_say("boot: cannot make a private mount namespace: %s", strerror(errno));
		return -1;
	}
	if (getpid() == 1 && switch_root() != 0)
		return -1;
	if (mount_all() != 0)
		return -1;
	if ((r = urn_from("/proc/cmdline")) == -1)
		r = urn_from("/etc/sigil/cmdline");
	init_trace("PID 1: file systems mounted");
	init_say("boot: PID 1, loading modules");
	if (start_modules() != 0)
		return -1;
	if (r != 0) {
		if (r == -1)
			init_say("boot: no sigil.system=URN on the kernel command line nor in "
				 "/etc/sigil/cmdline");
		return -1;
	}
	if (find_part("store", &gpt_type_sigil_store, dev, sizeof dev) != 0)
		return -1;
	snprintf(spec, sizeof spec, "pack:%s", dev);
	init_say("boot: system %s, store %s", sys_urn, dev);
	init_trace("store partition %s found", dev);
	nargv[0] = (char *)"sigil-init";
	nargv[1] = (char *)"-s";
	nargv[2] = spec;
	nargv[3] = (char *)"--run";
	nargv[4] = (char *)"/run/sigil";
	*argc = 5;
	if (eager)
		nargv[(*argc)++] = (char *)"--eager";
	if (init_tracing())
		nargv[(*argc)++] = (char *)"--trace";
	nargv[(*argc)++] = sys_urn;
	nargv[*argc] = NULL;
	*argv = nargv;
	return 0;
}

/* ---- the network (after the description is loaded) ------------------------ */

/* Sets `name` up and, when addr is not NULL, gives it addr/mask first. */
static int if_config(int s, const char *name, const char *addr, const char *mask)
{
	struct ifreq ifr;
	struct sockaddr_in *sin = (struct sockaddr_in *)(void *)&ifr.ifr_addr;
	memset(&ifr, 0, sizeof ifr);
	snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", name);
	if (addr) {
		sin->sin_family = AF_INET;
		if (inet_pton(AF_INET, addr, &sin->sin_addr) != 1 ||
		    ioctl(s, SIOCSIFADDR, &ifr) != 0)
			return -1;
		sin->sin_family = AF_INET;
		if (inet_pton(AF_INET, mask, &sin->sin_addr) != 1 ||
		    ioctl(s, SIOCSIFNETMASK, &ifr) != 0)
			return -1;
	}
	if (ioctl(s, SIOCGIFFLAGS, &ifr) != 0)
		return -1;
	ifr.ifr_flags |= IFF_UP;
	return ioctl(s, SIOCSIFFLAGS, &ifr);
}

static int net_up(struct init *in)
{
	static uint32_t addr;
	int s = -1, rc = -1;
	if (wait_for("/sys/class/net/" VM_NIC) != 0)
		goto out;
	if ((s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0 ||
	    if_config(s, "lo", NULL, NULL) != 0 || if_config(s, VM_NIC, VM_ADDR, VM_MASK) != 0) {
		init_say("boot: cannot bring up the network (" VM_NIC " " VM_ADDR "/24): %s",
			 strerror(errno));
		goto out;
	}
	inet_pton(AF_INET, VM_ADDR, &addr);
	in->o.fwd_addr = addr;
	in->o.fwd_dev = VM_NIC;
	init_say("boot: network " VM_NIC " " VM_ADDR "/24; forwards listen there");
	init_trace("network " VM_NIC " up");
	rc = 0;
out:
	if (s >= 0)
		close(s);
	return rc;
}

int init_pid1_state(struct init *in)
{
	char dev[32];
	int want = 0, uplinks = 0;
	if (reap_loader(0) != 0)
		return -1;
	init_trace("modules loaded");
	for (size_t i = 0; i < in->n; i++) {
		uplinks |= in->c[i].sys->uplink.present != 0;
		for (size_t m = 0; m < in->c[i].sys->nmounts; m++)
			if (in->c[i].sys->mounts[m].kind == SYS_MOUNT_STATE)
				want = 1;
	}
	if (uplinks && getpid() == 1 && net_up(in) != 0) /* --pid1 leaves the host's NICs be */
		return -1;
	if (!want)
		return 0;
	if (find_part("state", &gpt_type_linux, dev, sizeof dev) != 0)
		return -1;
	if (mount_at(dev, "/state", "ext4", MS_NOSUID | MS_NODEV, NULL) != 0)
		return -1;
	state_mounted = 1;
	in->o.state = "/state";
	init_trace("state partition %s mounted at /state", dev);
	return 0;
}

int init_pid1_poweroff(int status)
{
	reap_loader(0); /* no module half loaded at power-off */
	sync();
	/* read-only first: the superblock is shared with the namespaces the
	 * mount was copied into (the children's, main.c mounts it in its own
	 * after unshare), so the unmount below may not be the last; the
	 * remount leaves the journal clean */
	if (state_mounted && mount(NULL, "/state", NULL, MS_REMOUNT | MS_RDONLY, NULL) != 0)
		init_say("cannot remount /state read-only: %s", strerror(errno));
	if (state_mounted && umount2("/state", 0) != 0)
		init_say("cannot unmount /state: %s", strerror(errno));
	sync();
	if (getpid() != 1)
		return status;
	init_say("powering off (exit status %d)", status);
	tcdrain(2); /* the console's last lines out of the UART before QEMU exits */
	if (ioperm(DEBUG_EXIT_PORT, 4, 1) == 0)
		outb((unsigned char)((status < 0 || status > 126 ? 126 : status) + 1), DEBUG_EXIT_PORT);
	reboot(RB_POWER_OFF);
	init_say("cannot power off: %s", strerror(errno));
	for (;;)
		pause();
}
