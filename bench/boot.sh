#!/usr/bin/env bash
# bench/boot.sh — boot to service-ready of the kv system under TCG against the
# limit, the same kernel booting an init that powers off at once, measured
# in the same run, interleaved (called from bench/run with SIGIL_BUILD set).
#
#   kv      `sigil boot --forward P:16379 kv.img` (PVH) from its start to the
#           first PONG on 127.0.0.1:P on the host (ping.py below): QEMU, the kernel, the
#           core image (sigil-init and the modules, which load in the
#           background), the store partition found and every block of
#           redis's closure verified, the NIC, the uplink, the state
#           partition, redis's start
#   limit   the QEMU command sigil boot runs for kv.img (--print-command:
#           the same machine, vCPUs (-smp), CPU model, firmware, kernel
#           and command line, disk and NIC with the same forward), but as
#           initramfs one static /init that writes to isa-debug-exit and
#           powers off: from QEMU's start to its exit
#   floor   a reference, no target: the limit's QEMU command, but as
#           initramfs (an uncompressed cpio) a static /init that loads the
#           NIC's 8 modules (as kv.img's core image has them), gives eth0
#           10.0.99.15/24 and execs Debian's redis-server (port 16379, dir
#           /, no AOF), every library ldd finds for it (the package's own
#           first) in the archive: from QEMU's start to the first PONG. What
#           redis and the NIC cost by themselves; kv - floor is sigil's
#           (the core image, the store, verification, sandbox, state)
#   verify  a physical limit for sigil's part: the limit's QEMU command with
#           the floor's files and a static /init that loads the kv core
#           image's modules (the NIC's, then those the store's disk and
#           the state partition's ext4 need, then FUSE's and veth's, each
#           group timed), then hashes (BLAKE2b-256) and decrypts (ChaCha20,
#           libsodium as sigil-init links it) each 32 KiB of redis's
#           closure, timed in the guest. ERIS needs both for every leaf a
#           read reaches
#   trace   one more kv boot with --trace (sigil-init's timeline, untimed):
#           where the guest's time went, and how many leaves /rom decoded
#           for redis's start. With the verify VM's figures this gives what
#           the target leaves for everything else sigil does: 1.3x the
#           limit - the floor - the disk's and ext4's modules - verifying
#           those leaves
#
# Median of SIGIL_BENCH_BOOT_ROUNDS (default 3), the four interleaved.
# SIGIL_BENCH_BOOT_CPUS (default 1) and SIGIL_BENCH_BOOT_APPEND (kernel
# arguments, default none) are passed to every `sigil boot` as --cpus and
# --append, so the limit and the floor (made from its --print-command) run
# with the same vCPUs and command line as kv.
# Target: kv <= 1.3x the limit. All are wall times on a shared machine: the
# load average is printed with them.
set -u
B=${SIGIL_BUILD:?SIGIL_BUILD must name the build tree}
SIGIL=$B/bin/sigil
top=$(cd "$(dirname "$0")/.." && pwd)
rounds=${SIGIL_BENCH_BOOT_ROUNDS:-3}
bootopts=(--cpus "${SIGIL_BENCH_BOOT_CPUS:-1}")
[ -n "${SIGIL_BENCH_BOOT_APPEND:-}" ] && bootopts+=(--append "$SIGIL_BENCH_BOOT_APPEND")
export SIGIL_CACHE=${SIGIL_CACHE:-$B/pkg-cache} SOURCE_DATE_EPOCH=1700000000

fail() { echo "boot: $*" >&2; exit 1; }
now() { date +%s.%N; }
median() { sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }
command -v qemu-system-x86_64 > /dev/null || fail "no qemu-system-x86_64 (tools/deps)"
redis=$("$top/tests/vm/fetch_redis.sh" "$top/build/pkg-cache") || fail "no Debian redis (apt-get download failed)"
libs=$redis/usr/lib/x86_64-linux-gnu
w=$(mktemp -d "${TMPDIR:-/tmp}/sigil-bench-boot.XXXXXX") || exit 1
vm=""
trap '[ -n "$vm" ] && kill -KILL $vm 2>/dev/null; rm -rf "$w"' EXIT
cd "$w" || exit 1

# ping.py PORT PID T0: the seconds from T0 (epoch) to the first +PONG on
# 127.0.0.1:PORT; exit 1 when process PID (the VM) is gone first. A new
# connection every 50 ms, each sending PING and kept for 2 s: QEMU's
# user network accepts a forwarded connection at once and hands it to the
# guest only at its SYN retries, so one blocking client (redis-cli under
# `timeout 5`, as this script had) saw the PONG up to 5 s late
cat > ping.py <<'PY'
import os, select, socket, sys, time
port, pid, t0 = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
conns, nxt, end = {}, 0.0, time.monotonic() + 300
while time.monotonic() < end:
    now = time.monotonic()
    if now >= nxt:
        nxt = now + 0.05
        try:
            os.kill(pid, 0)
        except OSError:
            sys.exit(1)
        s = socket.socket()
        s.setblocking(False)
        s.connect_ex(("127.0.0.1", port))
        conns[s] = [now, False]
    for s in [s for s, (t, _) in conns.items() if now - t > 2]:
        s.close()
        del conns[s]
    w = [s for s, (_, sent) in conns.items() if not sent]
    r, w, _ = select.select(list(conns), w, [], 0.05)
    for s in w:
        try:
            s.send(b"PING\r\n")
            conns[s][1] = True
        except OSError:
            s.close()
            del conns[s]
    for s in r:
        if s not in conns:
            continue
        try:
            data = s.recv(64)
        except OSError:
            data = b""
        if data.startswith(b"+PONG"):
            print("%.3f" % (time.time() - t0))
            sys.exit(0)
        s.close()
        del conns[s]
sys.exit(1)
PY

SIGIL_REDIS=$redis/usr/bin/redis-server "$SIGIL" build -q -L "$libs" -o kv "$top/examples/kv.dhall" > /dev/null ||
	fail "sigil build of examples/kv.dhall"
"$SIGIL" image -q -o kv.img kv || fail "sigil image"
# the limit's init, and the vmlinux sigil boot uses (cached by the bzImage's BLAKE2b-128)
cat > off.c <<'C'
#include <sys/io.h>
#include <sys/reboot.h>
#include <unistd.h>
int main(void)
{
	if (ioperm(0xf4, 4, 1) == 0)
		outb(1, 0xf4);
	reboot(RB_POWER_OFF);
	for (;;)
		pause();
}
C
cc -O2 -static -o init off.c || fail "cc -static (libc6-dev)"
echo init | cpio -o -H newc --quiet > off.cpio || fail "cpio"
# the floor's initramfs: a static /init that loads the NIC's modules (as
# the kv image ships them: its core image's, from the ESP at 20 KiB,
# docs/image-format.md), gives eth0 the guest address and execs Debian's
# redis-server, whose libraries (those ldd finds, the package's own first)
# are in the archive
mcopy -n -i "kv.img@@20480" ::/sigil/core.img kvcore.img 2> /dev/null &&
	mkdir kvcore && (cd kvcore && lz4 -dcq ../kvcore.img | cpio -id --quiet) ||
	fail "the kv image's core image (mcopy, lz4, cpio)"
mkdir -p floor/etc floor/dev floor/proc floor/lib64 floor/lib/x86_64-linux-gnu floor/usr/bin
: > floor/etc/modules
for m in virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci failover net_failover virtio_net; do
	f=$(grep "/$m\.ko\$" kvcore/etc/sigil/modules) || fail "no $m.ko in the kv core image"
	cp "kvcore$f" "floor/$m.ko" && echo "/$m.ko" >> floor/etc/modules || fail "cp $m.ko"
done
cp "$redis/usr/bin/redis-server" floor/usr/bin/ || fail "cp redis-server"
LD_LIBRARY_PATH=$libs ldd "$redis/usr/bin/redis-server" > ldd.out || fail "ldd redis-server"
while read -r _ arrow path _; do
	case $arrow in
	"=>") [ -f "$path" ] || fail "ldd: $arrow $path"; cp -L "$path" floor/lib/x86_64-linux-gnu/ ;;
	*) ;; # linux-vdso, and the loader (below)
	esac
done < ldd.out
cp -L /lib64/ld-linux-x86-64.so.2 floor/lib64/ || fail "cp ld.so"
cat > floor.c <<'C'
#include <arpa/inet.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>
static int ifup(int s, const char *name, const char *addr)
{
	struct ifreq r;
	struct sockaddr_in *a = (struct sockaddr_in *)&r.ifr_addr;
	memset(&r, 0, sizeof r);
	strcpy(r.ifr_name, name);
	if (addr) {
		a->sin_family = AF_INET;
		inet_pton(AF_INET, addr, &a->sin_addr);
		if (ioctl(s, SIOCSIFADDR, &r) != 0)
			return -1;
		inet_pton(AF_INET, "255.255.255.0", &a->sin_addr);
		if (ioctl(s, SIOCSIFNETMASK, &r) != 0)
			return -1;
	}
	if (ioctl(s, SIOCGIFFLAGS, &r) != 0)
		return -1;
	r.ifr_flags |= IFF_UP;
	return ioctl(s, SIOCSIFFLAGS, &r);
}
int main(void)
{
	char line[256];
	FILE *f = fopen("/etc/modules", "r");
	mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
	mount("proc", "/proc", "proc", 0, NULL);
	while (f && fgets(line, sizeof line, f)) {
		line[strcspn(line, "\n")] = 0;
		int fd = open(line, O_RDONLY);
		if (fd < 0 || syscall(SYS_finit_module, fd, "", 0) != 0)
			perror(line);
		close(fd);
	}
	int s = socket(AF_INET, SOCK_DGRAM, 0), i = 0;
	ifup(s, "lo", NULL);
	while (ifup(s, "eth0", "10.0.99.15") != 0 && i++ < 1000)
		usleep(10000);
	char *argv[] = {"redis-server", "--port", "16379", "--bind", "0.0.0.0", "--protected-mode", "no",
			"--dir", "/", "--save", "", "--appendonly", "no", NULL};
	char *envp[] = {"LD_LIBRARY_PATH=/lib/x86_64-linux-gnu", NULL};
	execve("/usr/bin/redis-server", argv, envp);
	perror("execve redis-server");
	return 1;
}
C
cc -O2 -static -o floor/init floor.c || fail "cc -static floor.c"
(cd floor && find . | LC_ALL=C sort | cpio -o -H newc --quiet) > floor.cpio || fail "cpio (floor)"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

boot_kv() { # [ARGS...] (more sigil boot options): prints the seconds to the first PONG
	local t0
	t0=$(now)
	"$SIGIL" boot -q "${bootopts[@]}" "$@" --timeout 300 --forward "$port:16379" kv.img < /dev/null > console.log 2>&1 &
	vm=$!
	python3 ping.py "$port" "$vm" "$t0" || {
		cp console.log "${TMPDIR:-/tmp}/sigil-bench-boot-kv.console" # the whole of it
		fail "no PONG from the kv VM (console: ${TMPDIR:-/tmp}/sigil-bench-boot-kv.console): $(tail -n 5 console.log)"
	}
	sleep "${after_pong:-0}"
	kill -TERM "$vm"
	wait "$vm" || fail "sigil boot of kv.img did not stop cleanly: $(tail -n 5 console.log)"
	vm=""
}
boot_kv > /dev/null # warm-up: the vmlinux into the cache
# the limit's QEMU: sigil boot's, with off.cpio as the initramfs and no QMP socket
mapfile -t qv < <("$SIGIL" boot "${bootopts[@]}" --print-command --forward "$port:16379" kv.img) ||
	fail "sigil boot --print-command"
limit=()
for ((i = 0; i < ${#qv[@]}; i++)); do
	case ${qv[i]} in
	-qmp) i=$((i + 1)) ;;
	-initrd) limit+=(-initrd off.cpio) i=$((i + 1)) ;;
	*) limit+=("${qv[i]}") ;;
	esac
done
vmlinux=""
for ((i = 0; i + 1 < ${#limit[@]}; i++)); do [ "${limit[i]}" = -kernel ] && vmlinux=${limit[i + 1]}; done
[ -r "$vmlinux" ] || fail "no cached vmlinux in: ${limit[*]}"
# with_initrd NAME CPIO: array NAME := the limit's command, CPIO its initramfs
with_initrd() {
	local -n cmd=$1
	local i
	cmd=()
	for ((i = 0; i < ${#limit[@]}; i++)); do
		case ${limit[i]} in
		-initrd) cmd+=(-initrd "$2") i=$((i + 1)) ;;
		*) cmd+=("${limit[i]}") ;;
		esac
	done
}
with_initrd floor floor.cpio
# the verification floor's initramfs: the floor's files and a static /init
# (libsodium, as sigil-init links it) that hashes (BLAKE2b-256) and decrypts
# (ChaCha20) every 32 KiB of redis's closure, as /rom does for each leaf of
# it that a read reaches, and prints how long that took in the guest
cat > verify.c <<'C'
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/io.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
static unsigned char blk[32768];
static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}
int main(void)
{
	unsigned char h[32], key[32] = {1}, nonce[12] = {0};
	char f[512];
	unsigned long long bytes = 0, blocks = 0;
	double mods[3] = {0}, t;
	FILE *list = fopen("/etc/files", "r"), *ml = fopen("/etc/modules", "r"), *out;
	mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
	if (!list || !ml || !(out = fopen("/dev/ttyS0", "w")) || sodium_init() < 0)
		return 1;
	/* "G /path.ko": group G (0 the NIC's, 1 the disk's and ext4's, 2 FUSE's and veth's) */
	while (fgets(f, sizeof f, ml)) {
		f[strcspn(f, "\n")] = 0;
		int fd = open(f + 2, O_RDONLY);
		t = now();
		if (fd < 0 || syscall(SYS_finit_module, fd, "", 0) != 0)
			return 1;
		mods[f[0] - '0'] += now() - t;
		close(fd);
	}
	t = now();
	while (fgets(f, sizeof f, list)) {
		f[strcspn(f, "\n")] = 0;
		int fd = open(f, O_RDONLY);
		ssize_t n;
		if (fd < 0)
			return 1;
		while ((n = read(fd, blk, sizeof blk)) > 0) {
			crypto_generichash(h, sizeof h, blk, sizeof blk, NULL, 0);
			crypto_stream_chacha20_ietf_xor(blk, blk, sizeof blk, nonce, key);
			bytes += (unsigned long long)n;
			blocks++;
		}
		close(fd);
	}
	fprintf(out, "verify: %llu %.3f %llu %.3f %.3f %.3f\n", bytes, now() - t, blocks, mods[0], mods[1],
		mods[2]);
	fclose(out);
	if (ioperm(0xf4, 4, 1) == 0)
		outb(1, 0xf4);
	reboot(RB_POWER_OFF);
	for (;;)
		pause();
}
C
# the kv core image's modules in its load order, each with its group
: > verify.modules
while read -r m; do
	[ -n "$m" ] || continue
	case ${m##*/} in
	virtio_blk.ko | crc32c_generic.ko | jbd2.ko | mbcache.ko | crc16.ko | ext4.ko) g=1 ;;
	fuse.ko | veth.ko) g=2 ;;
	*) g=0 ;;
	esac
	echo "$g $m" >> verify.modules
done < kvcore/etc/sigil/modules
[ "$(grep -c '^0 ' verify.modules)" -eq 8 ] && [ "$(grep -c '^1 ' verify.modules)" -eq 6 ] ||
	fail "the kv core image's modules are not the expected ones: $(tr '\n' ' ' < verify.modules)"
mkdir verify && cp -a floor/usr floor/lib floor/lib64 verify/ && mkdir verify/etc verify/dev &&
	(cd verify && find usr lib lib64 -type f | LC_ALL=C sort | sed 's|^|/|') > verify/etc/files &&
	(cd kvcore && cpio -o -H newc --quiet < <(cut -c3- ../verify.modules | sed 's|^/||')) > verify.mods.cpio &&
	(cd verify && cpio -id --quiet < ../verify.mods.cpio) && cp verify.modules verify/etc/modules ||
	fail "the verification floor's files"
cc -O2 -static -o verify/init verify.c -lsodium || fail "cc -static verify.c -lsodium (libsodium-dev)"
(cd verify && find . | LC_ALL=C sort | cpio -o -H newc --quiet) > verify.cpio || fail "cpio (verify)"
with_initrd verify verify.cpio
boot_verify() { # prints "BYTES SECONDS BLOCKS NIC DISK+EXT4 FUSE+VETH", as the guest measured them
	local rc=0
	"${verify[@]}" < /dev/null > verify.log 2>&1 || rc=$?
	[ "$rc" -eq 3 ] && grep -ao 'verify: [0-9]* [0-9.]* [0-9]* [0-9.]* [0-9.]* [0-9.]*' verify.log | cut -d' ' -f2- | grep . ||
		fail "the verification floor's VM (exit $rc): $(tail -n 5 verify.log)"
}
boot_floor() { # prints the seconds to the first PONG
	local t0
	t0=$(now)
	"${floor[@]}" < /dev/null > floor.log 2>&1 &
	vm=$!
	python3 ping.py "$port" "$vm" "$t0" || fail "no PONG from the floor VM: $(tail -n 5 floor.log)"
	kill -KILL "$vm"
	wait "$vm" 2> /dev/null
	vm=""
}
boot_limit() {
	local t0 rc=0
	t0=$(now)
	"${limit[@]}" < /dev/null > limit.log 2>&1 || rc=$?
	[ "$rc" -eq 3 ] || fail "the limit's QEMU exited $rc, not 3 (its init's status 0)"
	echo "$(now) - $t0" | bc
}
for r in $(seq 1 "$rounds"); do
	boot_limit >> t.limit
	boot_kv >> t.kv
	boot_floor >> t.floor
	boot_verify >> t.verify
done
# the timeline, into console.log; 1.5 s after the PONG so that /rom's line
# (once a second while it serves) tells redis's start before the stop
after_pong=1.5 boot_kv --trace > /dev/null
k=$(median < t.kv) l=$(median < t.limit) f=$(median < t.floor)
ratio=$(echo "scale=2; $k / $l" | bc)
echo "boot: ${bootopts[*]}: kv to PONG: $(tr '\n' ' ' < t.kv)s; limit (init powers off at once): $(tr '\n' ' ' < t.limit)s; floor (redis from an initramfs): $(tr '\n' ' ' < t.floor)s; load average $(cut -d' ' -f1-3 /proc/loadavg)"
printf 'boot: median kv %.2f s, limit %.2f s: %sx (target <= 1.3) %s\n' "$k" "$l" "$ratio" \
	"$(awk -v r="$ratio" 'BEGIN { print (r <= 1.3 ? "PASS" : "MISS") }')"
awk -v k="$k" -v l="$l" -v f="$f" 'BEGIN {
	printf "boot: floor %.2f s (%.2fx the limit, a reference): of kv'"'"'s %.2f s over the limit, %.2f s are redis'"'"'s own and %.2f s sigil'"'"'s\n", f, f / l, k - l, f - l, k - f }'
vb=$(head -n 1 t.verify | cut -d' ' -f1) vs=$(cut -d' ' -f2 t.verify | median)
awk -v k="$k" -v l="$l" -v f="$f" -v b="$vb" -v s="$vs" 'BEGIN {
	room = 1.3 * l - f
	printf "boot: verification floor: BLAKE2b-256 and ChaCha20 of redis'"'"'s closure (%.1f MB in 32 KiB blocks) take %.2f s in this guest (%.0f MB/s, median of %s); sigil spends %.2f s over the floor, the target leaves it %.2f s (1.3x the limit - the floor)%s\n", b / 1e6, s, b / 1e6 / s, "'"$rounds"'", k - f, room, room < s ? ", less than verifying the closure alone" : "" }'
# the traced boot: each step's guest time, and what /rom decoded
tr -d '\r' < console.log > trace.log
step() { sed -n "s/.*sigil-init: trace \([0-9.]*\) s: $1.*/\1/p" trace.log | head -n 1; }
# /rom's last line before the stop (the PONG came first): redis's start alone
rom=$(sed '/stopping the children/q' trace.log | grep 'sigil-init: trace [0-9.]* s: /rom: ' | tail -n 1)
leaves=$(echo "$rom" | sed -n 's/.* from \([0-9]*\) leaves decoded.*/\1/p')
[ -n "$(step 'PID 1')" ] && [ -n "$(step "child 'redis' started")" ] && [ -n "$leaves" ] ||
	fail "the traced kv boot printed no timeline: $(tail -n 5 trace.log)"
echo "boot: kv's timeline (one boot with --trace, guest seconds since the kernel started): PID 1 $(step 'PID 1'), store $(step 'store partition'), system $(step 'system'), /rom $(step '\/rom mounted'), modules loaded $(step 'modules loaded'), network $(step 'network'), /state $(step 'state partition'), cgroups $(step 'cgroups'), roots $(step "every child"), redis started $(step "child 'redis' started"); then ${rom#*s: }"
mv=$(cut -d' ' -f5 t.verify | median) mo=$(cut -d' ' -f6 t.verify | median) vn=$(head -n 1 t.verify | cut -d' ' -f3)
awk -v l="$l" -v f="$f" -v s="$vs" -v n="$leaves" -v blocks="$vn" -v m="$mv" -v o="$mo" 'BEGIN {
	room = 1.3 * l - f; v = s * n / blocks; left = room - m - v
	printf "boot: of the %.2f s the target leaves sigil, loading the modules the store'"'"'s disk and the state'"'"'s ext4 need takes %.2f s and verifying the %d leaves redis'"'"'s start decodes %.2f s (%d of the closure'"'"'s %d blocks; medians): %.2f s are left for all else sigil does (its init, /rom'"'"'s FUSE, the sandbox, mounts, cgroups; FUSE'"'"'s and veth'"'"'s modules alone take %.2f s)\n", room, m, n, v, n, blocks, left, o }'
