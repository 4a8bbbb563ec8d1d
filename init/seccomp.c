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
 * The list is sys_seccomp_denied (lib/system/names.c), which the checker
 * shares. A child's `seccomp` field names calls of that list it may make
 * after all (e.g. ["ptrace"] for a debugger): it gets a filter of its own
 * without them; every other child shares the default one (built once).
 *
 * A child's `syscalls` field (Some list) turns the filter around: a strict
 * allow-list (default EPERM) where only the named calls work, whatever
 * the deny list says; clone only without CLONE_NEW* flags, clone3 still
 * ENOSYS, another ABI still killed. sigil-init itself calls execve (and
 * read, chdir: the gate, cwd) under it, so the list must name them.
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

#define NS_FLAGS                                                                                   \
	(CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET |      \
	 CLONE_NEWCGROUP | CLONE_NEWTIME)

/* Adds the allow-list rules to ctx (default EPERM): the `nallow` names of
 * `allow` (unknown ones skipped: they stay EPERM), clone without CLONE_NEW*
 * flags, clone3 ENOSYS. 0 or -1. */
static int strict(scmp_filter_ctx ctx, const char *const *allow, size_t nallow)
{
	int clone = seccomp_syscall_resolve_name("clone"), clone3 = seccomp_syscall_resolve_name("clone3");
	for (size_t k = 0; k < nallow; k++) {
		int nr = seccomp_syscall_resolve_name(allow[k]);
		if (nr == __NR_SCMP_ERROR || nr == clone3)
			continue;
		if (nr == clone ? seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 1,
						   SCMP_A0(SCMP_CMP_MASKED_EQ, (unsigned long)NS_FLAGS, 0))
				: seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0))
			return -1;
	}
	return clone3 == __NR_SCMP_ERROR ? 0 : seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), clone3, 0);
}

/* Builds into *bpf and *nbpf (in the arena) the filter that denies
 * sys_seccomp_denied but the `nallow` names of `allow` or, when `only`, the
 * strict filter allowing just them. 0 or -1 (printed). */
static int build(struct init *in, const char *const *allow, size_t nallow, int only,
		 struct sock_filter **bpf, unsigned short *nbpf)
{
	scmp_filter_ctx ctx = NULL;
	int fd = -1, rc = -1;
	const char *what = "";

	if (!(ctx = seccomp_init(only ? SCMP_ACT_ERRNO(EPERM) : SCMP_ACT_ALLOW))) {
		what = "start a filter";
		goto out;
	}
	if (only && strict(ctx, allow, nallow) != 0)
		goto rule;
	const unsigned long ns = NS_FLAGS;
	for (size_t i = 0; !only && sys_seccomp_denied[i]; i++) {
		const char *name = sys_seccomp_denied[i];
		int granted = 0;
		for (size_t k = 0; k < nallow; k++)
			granted |= strcmp(allow[k], name) == 0;
		int nr = seccomp_syscall_resolve_name(name);
		if (granted || nr == __NR_SCMP_ERROR)
			continue;
		if (strcmp(name, "clone") == 0) { /* one rule per flag (x86_64: flags first) */
			for (int bit = 0; bit < 64; bit++) {
				unsigned long f = 1ul << bit;
				if ((ns & f) && seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), nr, 1,
								 SCMP_A0(SCMP_CMP_MASKED_EQ, f, f)) != 0)
					goto rule;
			}
			continue;
		}
		if (seccomp_rule_add(ctx, SCMP_ACT_ERRNO(strcmp(name, "clone3") ? EPERM : ENOSYS), nr, 0) != 0)
			goto rule;
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
	*bpf = prog;
	*nbpf = (unsigned short)(len / sizeof *prog);
	rc = 0;
	goto out;
rule:
	what = "add a rule";
out:
	if (rc != 0)
		init_say("cannot build the seccomp filter: %s", what);
	if (fd >= 0)
		close(fd);
	if (ctx)
		seccomp_release(ctx);
	return rc;
}

int init_seccomp_build(struct init *in, struct init_child *c)
{
	if (c->nbpf)
		return 0;
	if (c->sys->has_syscalls)
		return build(in, c->sys->syscalls, c->sys->nsyscalls, 1, &c->bpf, &c->nbpf);
	if (c->sys->nseccomp)
		return build(in, c->sys->seccomp, c->sys->nseccomp, 0, &c->bpf, &c->nbpf);
	if (!in->nbpf && build(in, NULL, 0, 0, &in->bpf, &in->nbpf) != 0)
		return -1;
	c->bpf = in->bpf;
	c->nbpf = in->nbpf;
	return 0;
}
