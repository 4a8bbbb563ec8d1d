/*
 * seccomp.c — the default seccomp filter of every child's program.
 *
 * A deny list (default allow): the system calls a service never needs —
 * loading kernels and modules, rebooting, swap, mounting (after init has
 * built the root), eBPF, perf, ptrace and cross-process memory access,
 * kernel keyrings, file handles, I/O ports, userfaultfd, clocks, accounting,
 * quotas, new namespaces — fail with EPERM. clone3 fails with ENOSYS (its
 * flags live in memory a filter cannot read; libc falls back to clone),
 * and clone with any CLONE_NEW* flag fails with EPERM. A call from
 * another ABI (e.g. i386 on x86_64) kills the process (libseccomp's
 * bad-arch action): nothing narrows by switching ABI.
 *
 * libseccomp builds the filter once, in init, before any child starts;
 * it is exported as classic BPF (seccomp_export_bpf through a memfd) into
 * init's arena, so the child side installs it with one prctl and never
 * allocates. sandbox.c installs it last, after no_new_privs, right before
 * execve: the stub (PID 1 of the child) is init's own code and is not
 * filtered. Names this kernel or libseccomp does not know are skipped.
 *
 * Not yet: an allow-list per child (the system model has no field for it).
 */
#include "init.h"

#include <errno.h>
#include <linux/filter.h>
#include <sched.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "banned.h"

#ifndef CLONE_NEWCGROUP
#define CLONE_NEWCGROUP 0x02000000
#endif
#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

static const char *const denied[] = {
	/* kernels, modules, power */
	"kexec_load", "kexec_file_load", "init_module", "finit_module", "delete_module",
	"create_module", "reboot",
	/* storage and the file system tree (the root is built by init) */
	"swapon", "swapoff", "mount", "umount", "umount2", "pivot_root", "chroot", "mount_setattr",
	"move_mount", "open_tree", "fsopen", "fsconfig", "fsmount", "fspick", "quotactl",
	"quotactl_fd", "open_by_handle_at", "name_to_handle_at", "acct", "nfsservctl", "uselib",
	/* tracing, kernel programs, other processes' memory */
	"bpf", "perf_event_open", "ptrace", "process_vm_readv", "process_vm_writev", "kcmp",
	"lookup_dcookie", "syslog",
	/* keyrings */
	"keyctl", "add_key", "request_key",
	/* hardware and time */
	"iopl", "ioperm", "settimeofday", "clock_settime", "clock_adjtime", "adjtimex",
	/* memory tricks */
	"userfaultfd",
	/* namespaces */
	"unshare", "setns", "vhangup",
};

int init_seccomp_build(struct init *in)
{
	scmp_filter_ctx ctx = NULL;
	int fd = -1, rc = -1;
	const char *what = "";

	if (in->bpf)
		return 0;
	if (!(ctx = seccomp_init(SCMP_ACT_ALLOW))) {
		what = "start a filter";
		goto out;
	}
	const unsigned long ns = CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER |
				 CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWCGROUP | CLONE_NEWTIME;
	int nr = seccomp_syscall_resolve_name("clone3");
	for (size_t i = 0; i < sizeof denied / sizeof *denied; i++) {
		int n2 = seccomp_syscall_resolve_name(denied[i]);
		if (n2 != __NR_SCMP_ERROR && seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), n2, 0) != 0) {
			what = denied[i];
			goto out;
		}
	}
	if (nr != __NR_SCMP_ERROR && seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), nr, 0) != 0) {
		what = "clone3";
		goto out;
	}
	/* clone: one rule per flag (x86_64's clone takes the flags first) */
	for (int bit = 0; bit < 64; bit++) {
		unsigned long f = 1ul << bit;
		if (!(ns & f))
			continue;
		if (seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(clone), 1,
				     SCMP_A0(SCMP_CMP_MASKED_EQ, f, f)) != 0) {
			what = "clone";
			goto out;
		}
	}
	if (seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS) != 0) {
		what = "kill on another ABI";
		goto out;
	}
	if (seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0) != 0) {
		what = "leave no_new_privs to the caller";
		goto out;
	}
	/* export: classic BPF through a memfd into the arena */
	if ((fd = memfd_create("sigil-seccomp", MFD_CLOEXEC)) < 0 || seccomp_export_bpf(ctx, fd) != 0) {
		what = "export it";
		goto out;
	}
	struct stat st;
	if (fstat(fd, &st) != 0 || st.st_size <= 0 || st.st_size % (off_t)sizeof(struct sock_filter) ||
	    st.st_size / (off_t)sizeof(struct sock_filter) > BPF_MAXINSNS) {
		what = "size it";
		goto out;
	}
	size_t len = (size_t)st.st_size;
	struct sock_filter *prog = dhall_arena_alloc(&in->arena, len);
	if (!prog || pread(fd, prog, len, 0) != (ssize_t)len) {
		what = "read it back";
		goto out;
	}
	in->bpf = prog;
	in->nbpf = (unsigned short)(len / sizeof *prog);
	rc = 0;
out:
	if (rc != 0)
		init_say("cannot build the seccomp filter: %s", what);
	if (fd >= 0)
		close(fd);
	if (ctx)
		seccomp_release(ctx);
	return rc;
}
