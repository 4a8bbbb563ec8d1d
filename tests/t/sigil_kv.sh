#!/usr/bin/env bash
# sigil_kv.sh — uplinks, port forwards and a real service under sigil-init
# (needs root, as CI).
#
#   uplink    a child with an uplink has "eth0" with its declared address (and
#             no IPv6) and a default route via the host side (the subnet's .1), which
#             sits in init's (the host's) namespace as sgPID-I, peer /32; a
#             child without one has loopback only
#   forward   127.0.0.1:HOST reaches the child's port (a greeting, then 4 MiB
#             echoed back intact); init listens on loopback only; a udp
#             forward answers two clients each
#   restart   a restarted uplink child gets a new veth
#   refusals  a host port in use, an address of the host itself: nothing
#             starts, nothing is left
#   cleanup   SIGTERM: exit 0, no veth, listener, process or cgroup left
#   kv        examples/kv.dhall with Debian's redis-server (unpacked by
#             tests/t/sigil_import.sh into build/pkg-cache/redis):
#             redis-cli ping → PONG, redis-benchmark -q -n 20000 through the
#             forward, then SIGTERM and the same cleanup checks
#
# Only 127.0.0.1 and the veth subnets made here (10.231.7.0/24, and
# examples/kv.dhall's 10.0.2.0/24) see traffic. Every sigil-init started here
# is stopped, and its veths deleted, also when a check fails.
. "$(dirname "$0")/tap.bash"
cd "$T" || exit 1
top=${SIGIL_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
SIGIL=$SIGIL_BUILD/bin/sigil
INIT=$SIGIL_BUILD/bin/sigil-init
R=$top/build/pkg-cache/redis
RL=$R/usr/lib/x86_64-linux-gnu

if [ "$(id -u)" -ne 0 ]; then
	skip "not root" "sigil-init needs root (namespaces, veths, cgroups)"
	done_testing
	exit
fi

started=""
cleanup() {
	local p
	for p in $started; do
		kill -TERM "$p" 2>/dev/null && for ((i = 0; i < 60; i++)); do kill -0 "$p" 2>/dev/null || break; sleep 0.05; done
		kill -KILL "$p" 2>/dev/null
		ip -o link show 2>/dev/null | grep -o "sg$p-[0-9]*" | while read -r v; do ip link del "$v"; done
	done
	rm -rf "$T"
}
trap cleanup EXIT

veths() { ip -o link show | grep -o "sg$1-[0-9]*" | sort -u | tr '\n' ' '; }
# procs REPORT: every stub of the report and its children
procs() {
	local p all
	all=$(json "$1" '" ".join(str(x["pid"]) for x in r["children"] if x["pid"])')
	for p in $all; do all="$all $(cat /proc/$p/task/$p/children 2>/dev/null)"; done
	echo $all
}
alive() { local p l=""; for p in "$@"; do kill -0 "$p" 2>/dev/null && l="$l $p"; done; echo $l; }

cc -O1 -o probe "$top/tests/data/init/probe.c"; ok $? "build the probe child"
P=$T/probe
PORT=18087

# ---- uplink, forward, restart ------------------------------------------------
cat > up.json <<EOF
{"name":"up","ram":268435456,"caps":1000,"children":{
 "web":{"binary":"$P","args":["net","cat","/proc/sys/net/ipv6/conf/eth0/disable_ipv6","say","web-ready","tcpserve","80"],
        "resources":{"ram":16777216,"caps":64},"restart":"Never",
        "uplink":{"address":"10.231.7.15/24","forwards":[{"host":$PORT,"child":80,"proto":"tcp"}]}},
 "flap":{"binary":"$P","args":["net","sleep","300","exit","1"],"resources":{"ram":16777216,"caps":64},
        "restart":"OnFailure","uplink":{"address":"10.231.7.16/24","forwards":[]}},
 "dns":{"binary":"$P","args":["udpserve","53"],"resources":{"ram":16777216,"caps":64},"restart":"Never",
        "uplink":{"address":"10.231.7.17/24","forwards":[{"host":$((PORT + 1)),"child":53,"proto":"udp"}]}},
 "lone":{"binary":"$P","args":["net","say","lone-ready","sleep","60000"],"resources":{"ram":16777216,"caps":64},"restart":"Never"}
}}
EOF
urn=$("$SIGIL" build -q -o up up.json); ok $? "build the uplink system"
"$INIT" -s pack:up/store.pack --run "$T/run" --report up/state.json --grace-ms 1000 --backoff-ms 100:200 "$urn" 2> up.log &
ipid=$!
started="$started $ipid"
wait_for up.log '^\[web\] web-ready' && wait_for up.log '^\[lone\] lone-ready'; ok $? "uplink: the children ran"
grep -qx '\[web\] net eth0 10.231.7.15/24' up.log; ok $? "uplink: eth0 holds the declared address 10.231.7.15/24"
grep -qx '\[web\] net links: lo eth0' up.log; ok $? "uplink: its interfaces are lo and eth0"
grep -qx '\[web\] net default via 10.231.7.1 dev eth0' up.log; ok $? "uplink: its default route is via the host side 10.231.7.1"
grep -qx '\[web\] cat /proc/sys/net/ipv6/conf/eth0/disable_ipv6: 1' up.log; ok $? "uplink: IPv4 only (IPv6 off on eth0)"
grep -qx '\[lone\] net links: lo' up.log && grep -qx '\[lone\] net default: none' up.log
ok $? "no uplink: loopback only, no default route"
hv=$(json up/state.json 'c["web"]["uplink"]["veth"]')
echo "$hv" | grep -qx "sg$ipid-[0-9]*"; ok $? "uplink: the report names the host side: $hv"
v=$(ip -o -4 addr show dev "$hv" 2>/dev/null)
echo "$v" | grep -q 'inet 10.231.7.1 peer 10.231.7.15/32'; ok $? "uplink: the host side $hv holds 10.231.7.1 peer 10.231.7.15/32"
ip -o link show "$hv" 2>/dev/null | grep -q 'state UP'; ok $? "uplink: the host side is up"
ss -Hltn "sport = :$PORT" | awk '{print $4}' | grep -qx "127.0.0.1:$PORT"
ok $? "forward: init listens on 127.0.0.1:$PORT (only loopback): $(ss -Hltn "sport = :$PORT" | awk '{print $4}' | tr '\n' ' ')"
wait_for up.log '^\[web\] tcpserve 80: listening' 5
python3 - "$PORT" > fwd.out 2>&1 <<'EOF'
import os, socket, sys, threading
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
f = s.makefile("rb")
print(f.readline().decode().strip())
data = os.urandom(4 << 20)
def w():
    s.sendall(data)
    s.shutdown(socket.SHUT_WR)
t = threading.Thread(target=w)
t.start()
got = f.read()
t.join()
print("echo %d %s" % (len(got), got == data))
EOF
grep -qx 'hello from web' fwd.out; ok $? "forward: 127.0.0.1:$PORT reaches the child's port 80: $(head -n 1 fwd.out)"
grep -qx 'echo 4194304 True' fwd.out; ok $? "forward: 4 MiB go through and back intact: $(tail -n 1 fwd.out)"
wait_for up.log '^\[dns\] udpserve 53: listening' 5
python3 - "$((PORT + 1))" > udp.out 2>&1 <<'EOF'
import socket, sys
for word in ("one", "two"):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(5)
    s.sendto(word.encode(), ("127.0.0.1", int(sys.argv[1])))
    print(s.recvfrom(2048)[0].decode())
EOF
grep -qx 'udp one from dns' udp.out && grep -qx 'udp two from dns' udp.out
ok $? "forward: udp 127.0.0.1:$((PORT + 1)) reaches the child's port 53, replies to each client: $(tr '\n' ';' < udp.out)"
sleep 0.6
n=$(grep -c '^\[flap\] net eth0 10.231.7.16/24' up.log)
[ "$n" -ge 2 ]; ok $? "restart: each run of a restarted uplink child has its eth0 ($n runs)"
pids=$(procs up/state.json)
kill -TERM "$ipid"; wait "$ipid"; is $? 0 "cleanup: SIGTERM → exit 0"
sleep 0.2
is "$(veths "$ipid")" "" "cleanup: no veth is left"
is "$(ss -Hltn "sport = :$PORT" | wc -l)$(ss -Hlun "sport = :$((PORT + 1))" | wc -l)" 00 "cleanup: nothing listens on $PORT (tcp) or $((PORT + 1)) (udp) any more"
is "$(alive $pids)" "" "cleanup: no child process is left"
ip route | grep -q '10\.231\.7\.'; is $? 1 "cleanup: no route to 10.231.7.0/24 is left"

# ---- refusals ------------------------------------------------------------------
python3 -c 'import socket,sys,time; s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(); print("bound", flush=True); time.sleep(30)' "$PORT" > busy.out &
bpid=$!
wait_for busy.out bound 5
timeout 20 "$INIT" -s pack:up/store.pack --run "$T/run3" "$urn" 2> busy.log; s=$?
kill "$bpid"; wait "$bpid" 2>/dev/null
is "$s" 1 "a host port in use: sigil-init exits 1"
grep -q "cannot listen on 127.0.0.1:$PORT" busy.log && ! grep -qa '^\[' busy.log
ok $? "a host port in use: named, nothing started: $(head -n 1 busy.log)"
sed 's|10.231.7.15/24|127.0.0.9/8|' up.json > self.json
urn2=$("$SIGIL" build -q -o self self.json); ok $? "build a system whose uplink address is the host's"
timeout 20 "$INIT" -s pack:self/store.pack --run "$T/run4" "$urn2" 2> self.log; s=$?
is "$s" 1 "an address of the host: sigil-init exits 1"
grep -q 'already an address of this host' self.log && ! grep -qa '^\[' self.log
ok $? "an address of the host: named, nothing started: $(head -n 1 self.log)"
[ ! -e "$T/run3" ] && [ ! -e "$T/run4" ]; ok $? "refusals leave no run directory behind"

# ---- kv: examples/kv.dhall with Debian's redis-server ---------------------------
if [ -x "$R/usr/bin/redis-server" ] && [ -x "$R/usr/bin/redis-benchmark" ]; then
	rcli() { LD_LIBRARY_PATH=$RL timeout 20 "$R/usr/bin/redis-cli" -p 16379 "$@"; }
	SIGIL_REDIS=$R/usr/bin/redis-server "$SIGIL" build -q -L "$RL" -o kv "$top/examples/kv.dhall" > kv.urn
	ok $? "build examples/kv.dhall (SIGIL_REDIS → the unpacked redis-server, -L its libraries)"
	"$SIGIL" run --grace-ms 2000 kv 2> kv.log &
	kpid=$!
	started="$started $kpid"
	up=1
	for ((i = 0; i < 200; i++)); do
		[ "$(rcli ping 2>/dev/null)" = PONG ] && { up=0; break; }
		sleep 0.05
	done
	ok $up "kv: redis-cli -p 16379 ping → PONG through the forward"
	initpid=$(json kv/state.json 'r["pid"]')
	is "$(json kv/state.json 'c["redis"]["ram_quota"]')" 67108864 "kv: the report gives redis its 64 MiB quota"
	rcli set sigil works > /dev/null && is "$(rcli get sigil)" works "kv: SET then GET through the forward"
	LD_LIBRARY_PATH=$RL timeout 120 "$R/usr/bin/redis-benchmark" -p 16379 -q -n 20000 > bench.out 2>&1; s=$?
	tr '\r' '\n' < bench.out | grep 'requests per second' > bench.rps
	[ "$s" -eq 0 ] && [ "$(wc -l < bench.rps)" -ge 10 ] && ! grep -qi 'error' bench.out
	ok $? "kv: redis-benchmark -p 16379 -q -n 20000 succeeds ($(wc -l < bench.rps) tests; $(grep -E '^(SET|GET):' bench.rps | tr -s ' ' | tr '\n' ';'))"
	# the forward takes 127.0.0.1:16379 only: another loopback port of the
	# host still reaches its own listener (a redirect that caught every
	# 127.0.0.1 connect refused them with EPERM)
	python3 - > other.out 2>&1 <<'PY'
import socket, threading
srv = socket.socket(); srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", 0)); srv.listen(1)
port = srv.getsockname()[1]
threading.Thread(target=lambda: srv.accept()[0].sendall(b"host-listener"), daemon=True).start()
c = socket.create_connection(("127.0.0.1", port), timeout=5)
print(c.recv(64).decode(), c.getpeername()[0])
PY
	is "$(cat other.out)" "host-listener 127.0.0.1" "kv: while the forward is up, other 127.0.0.1 ports of the host are untouched"
	mem=$(json kv/state.json 'c["redis"]["ram_used"] if "ram_used" in c["redis"] else 0')
	pids=$(procs kv/state.json)
	kill -TERM "$kpid"; wait "$kpid"; is $? 0 "kv: SIGTERM → sigil run exits 0"
	sleep 0.2
	is "$(veths "$initpid")" "" "kv: no veth is left"
	is "$(alive $pids)" "" "kv: no process is left ($pids)"
	[ ! -e "/sys/fs/cgroup/memory/sigil/kv-$initpid" ] && [ ! -e "/sys/fs/cgroup/sigil/kv-$initpid" ]
	ok $? "kv: no cgroup is left"
	[ "$(rcli ping 2>/dev/null)" != PONG ]; ok $? "kv: port 16379 is closed"
else
	for i in 1 2 3 4 5 6 7 8 9 10; do skip "no unpacked redis (tests/t/sigil_import.sh fetches it)" "kv"; done
fi

done_testing
