#!/usr/bin/env bash
# bench/init.sh — sigil-init against its peers, measured in the same run
# (called from bench/run with SIGIL_BUILD set; needs root).
#
# 1. Child start latency for 100 trivial children: from sigil-init having
#    read and checked the description (the report's loaded_us) to the last
#    child's first instruction (each prints CLOCK_MONOTONIC), covering the
#    100 roots (closure at /rom, lazily verified; /dev, /proc, /tmp), 100
#    cgroups, clone3 into five namespaces, pivot_root, capabilities,
#    seccomp, exec; against bwrap (Debian's bubblewrap) starting the same
#    100 processes at once with the same namespaces (mount, PID, IPC, UTS,
#    net; no user or cgroup namespace, which sigil-init does not make
#    either), /usr read-only, new /proc, /dev, /tmp, from the shell's
#    clock read just before. bwrap makes no cgroups and verifies nothing.
#    Medians of N rounds. Target: ratio <= 1.0. The whole run (to the last
#    exit and the teardown) is printed apart.
# 2. redis-benchmark (-q -n 100000 -t set,get, 50 clients) against Debian's
#    redis-server (build/pkg-cache/redis, unpacked by tests/t/sigil_import.sh)
#    run directly on 127.0.0.1:16380, and under sigil-init (examples/kv.dhall)
#    through its forward 127.0.0.1:16379 (the kernel's connect-time redirect
#    to the child, init/redirect.c), straight to the child's address
#    10.0.2.15:6379 over the veth, and once more through the forward with
#    sigil-init --proxy (init's userspace proxy, the fallback where the
#    redirect cannot be attached). Target: forward >= 0.95x direct (SET and
#    GET).
#
# Knobs: SIGIL_BENCH_INIT_ROUNDS (default 3), SIGIL_BENCH_REDIS_N (100000),
# SIGIL_BENCH_REDIS_ROUNDS (default 5: single rounds of redis-benchmark on
# this 2-CPU machine vary by +-15%, so the medians need several).
set -u
B=${SIGIL_BUILD:?SIGIL_BUILD must name the build tree}
SIGIL=$B/bin/sigil
INIT=$B/bin/sigil-init
top=$(cd "$(dirname "$0")/.." && pwd)
R=$top/build/pkg-cache/redis
RL=$R/usr/lib/x86_64-linux-gnu
rounds=${SIGIL_BENCH_INIT_ROUNDS:-3}
nreq=${SIGIL_BENCH_REDIS_N:-100000}
redis_rounds=${SIGIL_BENCH_REDIS_ROUNDS:-5}

fail() { echo "init: $*" >&2; exit 1; }
now() { date +%s.%N; }
median() { sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }

[ "$(id -u)" -eq 0 ] || { echo "init: SKIP (needs root)"; exit 0; }
[ -x "$INIT" ] || fail "no $INIT"
command -v bwrap > /dev/null || fail "no bwrap (tools/deps installs bubblewrap)"
w=$(mktemp -d "${TMPDIR:-/tmp}/sigil-bench-init.XXXXXX") || exit 1
pids=""
trap 'for p in $pids; do kill -KILL $p 2>/dev/null; done; rm -rf "$w"' EXIT
cd "$w" || exit 1

# ---- 1. 100 trivial children --------------------------------------------------
# The trivial child prints CLOCK_MONOTONIC (µs) as its first act and exits:
# the same binary (with libc, from the host) under both.
cat > mono.c <<'EOF'
#include <stdio.h>
#include <time.h>
int main(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	printf("mono %lld\n", (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000);
	return 0;
}
EOF
cc -O2 -o mono mono.c || fail "cc mono.c"
{
	printf '{"name":"hundred","ram":2147483648,"caps":4000,"children":{'
	for i in $(seq 1 100); do
		[ "$i" -gt 1 ] && printf ','
		printf '"c%03d":{"binary":"%s","resources":{"ram":16777216,"caps":32},"restart":"Never"}' "$i" "$w/mono"
	done
	printf '}}'
} > hundred.json
urn=$("$SIGIL" build -q -o hundred hundred.json) || fail "sigil build of 100 children"
"$INIT" -s pack:hundred/store.pack --check "$urn" 2> /dev/null || fail "sigil-init --check"
# µs from $1 to the last "mono T" of the lines on stdin; and their median
lat() { sed -n 's/.*mono \([0-9]*\)$/\1/p' | sort -n | awk -v t0="$1" '{v[NR] = $1 - t0} END {if (NR != 100) exit 1; print v[NR], v[50]}'; }
for r in $(seq 1 "$rounds"); do
	t1=$(now)
	"$INIT" -s pack:hundred/store.pack --report report.json "$urn" 2> run.log || fail "sigil-init of 100 children: $(tail -n 3 run.log)"
	t2=$(now)
	echo "$t1 $t2" | awk '{print $2 - $1}' >> run.t
	loaded=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["loaded_us"])' report.json)
	lat "$loaded" < run.log >> init.t || fail "sigil-init: not 100 children ran: $(grep -c mono run.log)"
	# bwrap: the namespaces sigil-init gives a child (mount, PID, IPC, UTS,
	# net; not user or cgroup: as root neither needs them), a read-only
	# /usr, new /proc, /dev and /tmp; all 100 started at once, as sigil-init
	# starts its children without waiting for one to exec
	t0=$(./mono | cut -d' ' -f2)
	for i in $(seq 1 100); do
		bwrap --unshare-ipc --unshare-pid --unshare-uts --unshare-net --die-with-parent \
			--ro-bind /usr /usr --symlink usr/lib /lib --symlink usr/lib64 /lib64 --symlink usr/bin /bin \
			--ro-bind "$w/mono" /mono --proc /proc --dev /dev --tmpfs /tmp /mono &
	done > bwrap.log
	wait
	lat "$t0" < bwrap.log >> bwrap.t || fail "bwrap: not 100 processes ran: $(grep -c mono bwrap.log)"
done
s=$(cut -d' ' -f1 init.t | median) sm=$(cut -d' ' -f2 init.t | median)
b=$(cut -d' ' -f1 bwrap.t | median) bm=$(cut -d' ' -f2 bwrap.t | median) whole=$(median < run.t)
awk -v s="$s" -v sm="$sm" -v b="$b" -v bm="$bm" -v w="$whole" 'BEGIN {
	printf "%-40s %8.1f ms  (median child %.1f ms; whole run to teardown %.1f ms)\n", "sigil-init, description read → 100 exec'"'"'d:", s / 1000, sm / 1000, w * 1000
	printf "%-40s %8.1f ms  (median process %.1f ms)\n", "bwrap, 100 started at once → exec'"'"'d:", b / 1000, bm / 1000
	printf "%-40s %8.2fx  (target <= 1.0) %s\n", "start 100 children, sigil-init/bwrap:", s / b, (s / b <= 1.0 ? "PASS" : "MISS")
}'

# ---- 2. redis-benchmark ------------------------------------------------------------
if [ ! -x "$R/usr/bin/redis-server" ] || [ ! -x "$R/usr/bin/redis-benchmark" ]; then
	echo "init: redis SKIP (no unpacked redis; tests/t/sigil_import.sh fetches it)"
	exit 0
fi
rb() { LD_LIBRARY_PATH=$RL timeout 300 "$R/usr/bin/redis-benchmark" "$@" -q -n "$nreq" -t set,get 2>&1 | tr '\r' '\n' | grep 'requests per second'; }
# the median of every "T: N requests per second" line of stdin
rps() {
	awk -v t="$1" '$1 == t":" {print $2}' | sort -g |
		awk '{v[NR] = $1} END {if (NR) print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2)}'
}
ping() { LD_LIBRARY_PATH=$RL timeout 5 "$R/usr/bin/redis-cli" "$@" ping 2>/dev/null; }

# the same durability as examples/kv.dhall's redis (an append-only file,
# fsync on every write), its file on the same file system as the child's
# state directory: the comparison is then the path, not the settings.
# Both run side by side and the rounds alternate (direct, forward, veth;
# SIGIL_BENCH_REDIS_ROUNDS rounds, medians), so that a busy moment of the machine hits all three.
mkdir -p direct-data
LD_LIBRARY_PATH=$RL "$R/usr/bin/redis-server" --port 16380 --bind 127.0.0.1 --save "" \
	--appendonly yes --appendfsync always --dir "$w/direct-data" --protected-mode no > direct.log 2>&1 &
dpid=$!
pids="$pids $dpid"
for i in $(seq 1 100); do [ "$(ping -p 16380)" = PONG ] && break; sleep 0.05; done

SIGIL_REDIS=$R/usr/bin/redis-server "$SIGIL" build -q -L "$RL" -o kv "$top/examples/kv.dhall" > /dev/null ||
	fail "sigil build examples/kv.dhall"
"$SIGIL" run kv 2> kv.log &
kpid=$!
pids="$pids $kpid"
for i in $(seq 1 200); do [ "$(ping -p 16379)" = PONG ] && break; sleep 0.05; done
for round in $(seq 1 "$redis_rounds"); do
	rb -p 16380 >> direct.out || fail "redis-benchmark direct"
	rb -p 16379 >> fwd.out || fail "redis-benchmark through the forward"
	rb -h 10.0.2.15 -p 6379 >> veth.out || fail "redis-benchmark over the veth"
done
grep -q "through init's proxy" kv.log && fail "the forward is not redirected: $(grep proxy kv.log)"
kill -TERM "$kpid"; wait "$kpid" || fail "sigil run did not stop cleanly"
kill "$dpid"; wait "$dpid" 2>/dev/null
"$INIT" -s pack:kv/store.pack --state kv/state --proxy "$(cat kv/system.urn)" 2> kvp.log &
kpid=$!
pids="$pids $kpid"
for i in $(seq 1 200); do [ "$(ping -p 16379)" = PONG ] && break; sleep 0.05; done
rb -p 16379 > proxy.out || fail "redis-benchmark through init's proxy"
kill -TERM "$kpid"; wait "$kpid" || fail "sigil-init --proxy did not stop cleanly"

for t in SET GET; do
	d=$(rps "$t" < direct.out) f=$(rps "$t" < fwd.out) v=$(rps "$t" < veth.out) x=$(rps "$t" < proxy.out)
	[ -n "$d" ] && [ -n "$f" ] && [ -n "$v" ] && [ -n "$x" ] || fail "no $t result"
	awk -v t="$t" -v d="$d" -v f="$f" -v v="$v" -v x="$x" 'BEGIN {
		printf "%-40s %10.0f req/s  (veth: %.0f = %.2fx; --proxy: %.0f = %.2fx; direct %.0f)\n", "redis " t " under sigil-init (forward):", f, v, v / d, x, x / d, d
		printf "%-40s %8.2fx  (target >= 0.95) %s\n", "redis " t ", forward/direct:", f / d, (f / d >= 0.95 ? "PASS" : "MISS")
	}'
done
