/*
 * redirect.c — tcp forwards from 127.0.0.1 without a copy through init: a
 * cgroup connect4 program (eBPF, BPF_CGROUP_INET4_CONNECT) on the root of
 * the unified cgroup hierarchy turns a connect() to 127.0.0.1:HOST into a
 * connect() to the child's A:CHILD, its socket bound to the child's host
 * side veth. The client then talks to the child over the veth as if it
 * had connected there itself; init's proxy (net.c) sees none of it.
 *
 * What it touches, nothing else (the program, per tcp forward):
 *
 *   socket     SOCK_STREAM, of init's own network namespace (its netns
 *              cookie: 127.0.0.1 of another namespace is another host)
 *   address    127.0.0.1 and a forward's host port, exactly
 *   rewrite    SO_BINDTODEVICE to the child's host-side veth (bpf_setsockopt),
 *              then the destination A:CHILD; when the veth is not there
 *              (the child is not running) the connect() fails with EPERM:
 *              the packet can go nowhere but into the child's namespace
 *
 * The link (BPF_LINK_CREATE) lives as long as init's descriptor: the
 * kernel detaches the program when init exits, however it exits. Where it
 * cannot be attached (no unified hierarchy or no cgroup BPF: one line on
 * stderr), as PID 1 of a VM (forwards come from outside: fwd_addr) or with
 * --proxy, the listener on 127.0.0.1:HOST serves every connection through
 * the proxy; it also serves a client the program does not see. A client
 * sees the child's address in getpeername(); a socket the client bound to
 * a device or to 127.0.0.1 itself does not reach the child.
 *
 * The program is written out here instruction by instruction (no compiler
 * for BPF at build or run time); the verifier checks it at load.
 */
#include "init.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "banned.h"

#ifndef SO_NETNS_COOKIE
#define SO_NETNS_COOKIE 71
#endif
#define CGROUP2_MAGIC 0x63677270
#define MAX_INSNS 4096

/* Instruction encoders (the kernel's own macros are not in its uapi). */
static struct bpf_insn I(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm)
{
	struct bpf_insn x = {.code = code, .dst_reg = dst, .src_reg = src, .off = off, .imm = imm};
	return x;
}
#define LDX_W(d, s, o) I(BPF_LDX | BPF_MEM | BPF_W, d, s, o, 0)
#define STX_W(d, s, o) I(BPF_STX | BPF_MEM | BPF_W, d, s, o, 0)
#define STX_DW(d, s, o) I(BPF_STX | BPF_MEM | BPF_DW, d, s, o, 0)
#define MOV_R(d, s) I(BPF_ALU64 | BPF_MOV | BPF_X, d, s, 0, 0)
#define MOV_K(d, k) I(BPF_ALU64 | BPF_MOV | BPF_K, d, 0, 0, k)
#define ADD_K(d, k) I(BPF_ALU64 | BPF_ADD | BPF_K, d, 0, 0, k)
#define JNE32_K(d, k, o) I(BPF_JMP32 | BPF_JNE | BPF_K, d, 0, o, k)
#define JNE_R(d, s, o) I(BPF_JMP | BPF_JNE | BPF_X, d, s, o, 0)
#define JNE_K(d, k, o) I(BPF_JMP | BPF_JNE | BPF_K, d, 0, o, k)
#define JA(o) I(BPF_JMP | BPF_JA, 0, 0, o, 0)
#define CALL(f) I(BPF_JMP | BPF_CALL, 0, 0, 0, f)
#define EXIT() I(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)
#define CTX(field) ((int16_t)offsetof(struct bpf_sock_addr, field))

struct prog {
	struct bpf_insn x[MAX_INSNS];
	int n;
	char log[65536]; /* the verifier's, when it refuses */
};

static void emit(struct prog *p, struct bpf_insn x)
{
	if (p->n < MAX_INSNS)
		p->x[p->n] = x;
	p->n++;
}

/* dst = v (64 bits: two instructions). */
static void ld64(struct prog *p, uint8_t dst, uint64_t v)
{
	emit(p, I(BPF_LD | BPF_DW | BPF_IMM, dst, 0, 0, (int32_t)(uint32_t)v));
	emit(p, I(0, 0, 0, 0, (int32_t)(uint32_t)(v >> 32)));
}

/* The offset of a jump emitted now to instruction target. */
static int16_t to(const struct prog *p, int target)
{
	return (int16_t)(target - p->n - 1);
}

/* The program; after the forwards' blocks, a jump to allow (a port no
 * forward names goes where it was going), then deny (r0 = 0, exit) and
 * allow (r0 = 1, exit). A forward's block jumps over itself when its port
 * does not match; its length is fixed, so the offsets are known when
 * emitted. */
static int build(const struct init *in, const uint16_t *host, const size_t *child,
		 const uint16_t *port, size_t nf, uint64_t cookie, struct prog *p)
{
	enum { HEAD = 9, BLOCK = 21 };
	int deny = HEAD + (int)nf * BLOCK + 1, allow = deny + 2;
	p->n = 0;
	emit(p, MOV_R(BPF_REG_6, BPF_REG_1));
	emit(p, LDX_W(BPF_REG_2, BPF_REG_6, CTX(type)));
	emit(p, JNE32_K(BPF_REG_2, SOCK_STREAM, to(p, allow)));
	emit(p, LDX_W(BPF_REG_2, BPF_REG_6, CTX(user_ip4)));
	emit(p, JNE32_K(BPF_REG_2, (int32_t)htonl(INADDR_LOOPBACK), to(p, allow)));
	emit(p, CALL(BPF_FUNC_get_netns_cookie)); /* r1 is still the context */
	ld64(p, BPF_REG_1, cookie);
	emit(p, JNE_R(BPF_REG_0, BPF_REG_1, to(p, allow)));
	for (size_t k = 0; k < nf; k++) {
		const struct init_child *c = &in->c[child[k]];
		uint64_t name[2] = {0, 0};
		memcpy(name, c->veth, strnlen(c->veth, sizeof c->veth - 1));
		int next = p->n + BLOCK;
		emit(p, LDX_W(BPF_REG_7, BPF_REG_6, CTX(user_port)));
		emit(p, JNE32_K(BPF_REG_7, (int32_t)htons(host[k]), to(p, next)));
		ld64(p, BPF_REG_1, name[0]);
		emit(p, STX_DW(BPF_REG_10, BPF_REG_1, -16));
		ld64(p, BPF_REG_1, name[1]);
		emit(p, STX_DW(BPF_REG_10, BPF_REG_1, -8));
		emit(p, MOV_R(BPF_REG_1, BPF_REG_6));
		emit(p, MOV_K(BPF_REG_2, SOL_SOCKET));
		emit(p, MOV_K(BPF_REG_3, SO_BINDTODEVICE));
		emit(p, MOV_R(BPF_REG_4, BPF_REG_10));
		emit(p, ADD_K(BPF_REG_4, -16));
		emit(p, MOV_K(BPF_REG_5, 16));
		emit(p, CALL(BPF_FUNC_setsockopt));
		emit(p, JNE_K(BPF_REG_0, 0, to(p, deny)));
		emit(p, MOV_K(BPF_REG_1, (int32_t)c->net_addr));
		emit(p, STX_W(BPF_REG_6, BPF_REG_1, CTX(user_ip4)));
		emit(p, MOV_K(BPF_REG_1, (int32_t)htons(port[k])));
		emit(p, STX_W(BPF_REG_6, BPF_REG_1, CTX(user_port)));
		emit(p, JA(to(p, allow)));
		if (p->n != next)
			return -1; /* BLOCK is wrong: a bug here, not a runtime condition */
	}
	emit(p, JA(to(p, allow))); /* no forward's port: untouched */
	emit(p, MOV_K(BPF_REG_0, 0));
	emit(p, EXIT());
	emit(p, MOV_K(BPF_REG_0, 1));
	emit(p, EXIT());
	return p->n == allow + 2 && p->n <= MAX_INSNS ? 0 : -1;
}

static int cgroup2_root(void)
{
	static const char *const dirs[] = {"/sys/fs/cgroup", "/sys/fs/cgroup/unified"};
	for (size_t i = 0; i < 2; i++) {
		struct statfs sf;
		if (statfs(dirs[i], &sf) == 0 && sf.f_type == CGROUP2_MAGIC)
			return open(dirs[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	}
	errno = ENOENT;
	return -1;
}

int init_redirect_setup(struct init *in, int sock, const uint16_t *host, const size_t *child,
			const uint16_t *port, size_t nf)
{
	struct prog *p = NULL;
	union bpf_attr a;
	uint64_t cookie = 0;
	socklen_t len = sizeof cookie;
	int prog = -1, cg = -1, rc = -1;
	char log[256] = "";
	const char *what = "read init's network namespace";

	in->redirect_fd = -1;
	if (!nf || in->o.fwd_addr || in->o.proxy)
		return 0;
	if (getsockopt(sock, SOL_SOCKET, SO_NETNS_COOKIE, &cookie, &len) != 0)
		goto out;
	what = "build the program";
	if (!(p = calloc(1, sizeof *p)) || build(in, host, child, port, nf, cookie, p) != 0)
		goto out;
	what = "load the program";
	memset(&a, 0, sizeof a);
	a.prog_type = BPF_PROG_TYPE_CGROUP_SOCK_ADDR;
	a.expected_attach_type = BPF_CGROUP_INET4_CONNECT;
	a.insns = (uint64_t)(uintptr_t)p->x;
	a.insn_cnt = (uint32_t)p->n;
	a.license = (uint64_t)(uintptr_t)"MIT"; /* no GPL-only helper */
	if ((prog = (int)syscall(SYS_bpf, BPF_PROG_LOAD, &a, sizeof a)) < 0) {
		int e = errno; /* again, for the verifier's last words */
		a.log_buf = (uint64_t)(uintptr_t)p->log;
		a.log_size = sizeof p->log;
		a.log_level = 1;
		if (syscall(SYS_bpf, BPF_PROG_LOAD, &a, sizeof a) < 0) {
			char *end = p->log + strnlen(p->log, sizeof p->log - 1);
			while (end > p->log && end[-1] == '\n')
				*--end = 0;
			char *last = strrchr(p->log, '\n');
			snprintf(log, sizeof log, " (%.200s)", last ? last + 1 : p->log);
		}
		errno = e;
		goto out;
	}
	what = "find the unified cgroup hierarchy";
	if ((cg = cgroup2_root()) < 0)
		goto out;
	what = "attach the program";
	memset(&a, 0, sizeof a);
	a.link_create.prog_fd = (uint32_t)prog;
	a.link_create.target_fd = (uint32_t)cg;
	a.link_create.attach_type = BPF_CGROUP_INET4_CONNECT;
	if ((in->redirect_fd = (int)syscall(SYS_bpf, BPF_LINK_CREATE, &a, sizeof a)) < 0)
		goto out;
	rc = 0;
out:
	if (rc != 0)
		init_say("tcp forwards go through init's proxy: cannot %s for the kernel's redirect: %s%s",
			 what, strerror(errno), log);
	if (prog >= 0)
		close(prog);
	if (cg >= 0)
		close(cg);
	free(p);
	return 0; /* the proxy serves either way */
}

void init_redirect_teardown(struct init *in)
{
	if (in->redirect_fd >= 0)
		close(in->redirect_fd);
	in->redirect_fd = -1;
}
