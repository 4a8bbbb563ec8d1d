#!/usr/bin/env bash
# bench/init.sh — sigil-init against its peers, measured in the same run
# (called from bench/run with SIGIL_BUILD set; needs root).
#
# 1. Start of 100 trivial children (/bin/true): wall time of sigil-init from
#    reading the description to the last child's exit (every closure decoded
#    and verified into its root, 100 cgroups, clone3 into five namespaces,
#    pivot_root, seccomp, exec), against bwrap (Debian's bubblewrap) running
#    the same 100 processes one after another with comparable namespaces
#    (--unshare-all: user, mount, PID, IPC, UTS, net, cgroup; /usr
#    read-only, new /proc, /dev, /tmp). Median of N rounds each. Target:
#    ratio <= 1.0. The prepare phase (ROM) is printed apart: bwrap binds
#    the host's /usr and verifies nothing.
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
# Knobs: SIGIL_BENCH_INIT_ROUNDS (default 3), SIGIL_BENCH_REDIS_N (100000).
set -u
B=${SIGIL_BUILD:?SIGIL_BUILD must name the build tree}
SIGIL=$B/bin/sigil
INIT=$B/bin/sigil-init
top=$(cd "$(dirname "$0")/.." && pwd)
R=$top/build/pkg-cache/redis
RL=$R/usr/lib/x86_64-linux-gnu
rounds=${SIGIL_BENCH_INIT_ROUNDS:-3}
nreq=${SIGIL_BENCH_REDIS_N:-100000}

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
{
	printf '{"name":"hundred","ram":2147483648,"caps":4000,"children":{'
	for i in $(seq 1 100); do
		[ "$i" -gt 1 ] && printf ','
		printf '"c%03d":{"binary":"/bin/true","resources":{"ram":16777216,"caps":32},"restart":"Never"}' "$i"
	done
	printf '}}'
} > hundred.json
urn=$("$SIGIL" build -q -o hundred hundred.json) || fail "sigil build of 100 children"
"$INIT" -s pack:hundred/store.pack --check "$urn" 2> /dev/null || fail "sigil-init --check"
for r in $(seq 1 "$rounds"); do
	t0=$(now)
	"$INIT" -s pack:hundred/store.pack --check "$urn" 2> /dev/null || fail "sigil-init --check"
	t1=$(now)
	"$INIT" -s pack:hundred/store.pack "$urn" 2> run.log || fail "sigil-init of 100 children: $(tail -n 3 run.log)"
	t2=$(now)
	[ "$(grep -c 'sigil-init' run.log)" -le 3 ] || fail "unexpected output: $(head -n 3 run.log)"
	echo "$t0 $t1" | awk '{print $2 - $1}' >> prep.t
	echo "$t1 $t2" | awk '{print $2 - $1}' >> init.t
	t0=$(now)
	for i in $(seq 1 100); do
		bwrap --unshare-all --die-with-parent --ro-bind /usr /usr --symlink usr/lib /lib \
			--symlink usr/lib64 /lib64 --symlink usr/bin /bin --proc /proc --dev /dev \
			--tmpfs /tmp /bin/true || fail "bwrap"
	done
	t1=$(now)
	echo "$t0 $t1" | awk '{print $2 - $1}' >> bwrap.t
done
s=$(median < init.t) p=$(median < prep.t) b=$(median < bwrap.t)
awk -v s="$s" -v p="$p" -v b="$b" 'BEGIN {
	printf "%-40s %8.1f ms  (%.2f ms per child; prepare alone, --check: %.1f ms)\n", "sigil-init, 100 children:", s * 1000, s * 10, p * 1000
	printf "%-40s %8.1f ms  (%.2f ms per child)\n", "bwrap, 100 processes:", b * 1000, b * 10
	printf "%-40s %8.2fx  (target <= 1.0) %s\n", "start 100 children, sigil-init/bwrap:", s / b, (s / b <= 1.0 ? "PASS" : "MISS")
	printf "%-40s %8.2fx  (the run less its prepare phase; bwrap verifies nothing)\n", "  without ROM verification:", (s - p) / b
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
# 3 rounds, medians), so that a busy moment of the machine hits all three.
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
for round in 1 2 3; do
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
