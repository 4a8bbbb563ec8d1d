#!/usr/bin/env bash
# sigil_run.sh — sigil-init and `sigil run`, end to end (needs root, as CI).
#
#   tiny       examples/systems/tiny.dhall runs; its children's output
#              appears as "[greeter] …", "[reader] …"; `sigil status`
#   isolation  a child sees its own hostname, root (dev proc rom run tmp),
#              /rom (its closure only), PID 1 = its own init, no
#              capabilities, no_new_privs; not the host's /etc or /home
#   routing    the client the server's policy names connects to its socket;
#              another child declaring the use, which no policy names,
#              finds nothing at that path (ENOENT) and the report lists the
#              denial with the candidate policies
#   grants     a child granted capabilities has them (effective, ambient,
#              bounding) and one granted system calls may make them; the
#              others have no capability and the default filter
#   report     per child: its last log lines (also `sigil status DIR
#              CHILD`), processes and open descriptors next to the caps
#              quota, RAM used next to the RAM quota
#   closures   two children with different programs: neither sees the
#              other's program in /rom
#   shutdown   SIGTERM: exit 0, no process, mount, cgroup or run directory
#              left behind, report "stopped"
#   quota      a child allocating past its RAM is OOM-killed and reported
#              (naming the quota to raise); its sibling keeps running; a
#              fork bomb stops at its caps quota
#   restart    OnFailure restarts with backoff (a bounded count, the
#              intervals between runs doubling), Never does not, Always
#              restarts after a clean exit
#   forking    readiness = Forking: the started process exiting 0 is the
#              start; the child is then the daemon its PID file names (its
#              stop signal goes there), or without one, every process left
#              (their last exit status is the child's); a non-zero exit
#              of the started process is a failed start
#   tamper     a damaged block: with --eager, a clear error naming it and
#              nothing started; lazily, the read that needs it fails (EIO)
#              and the error names the child, the file and the block; a
#              missing block (of the description, or with --eager of a
#              closure), a damaged description block, and a URN that is
#              not a system description: a clear error, nothing started
#   seccomp    system calls a service never needs fail with EPERM in a
#              child (the same calls outside do not)
#   syscalls   a strict allow-list: the named calls work (even one the
#              default filter denies), any other fails with EPERM, while
#              a sibling without one keeps the default filter
#
# Test children are tests/data/init/probe.c (built here with cc).
# Under ASan+UBSan no sanitizer option needs changing: LeakSanitizer stays
# on for sigil-init, and its clone3'd children only exec or _exit (they
# never return through main, so they run no leak check of their own).
. "$(dirname "$0")/tap.bash"
cd "$T" || exit 1
top=${SIGIL_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
SIGIL=$SIGIL_BUILD/bin/sigil
INIT=$SIGIL_BUILD/bin/sigil-init
ex=$top/examples/systems

if [ "$(id -u)" -ne 0 ]; then
	skip "not root" "sigil-init needs root (namespaces, mounts, cgroups)"
	done_testing
	exit
fi
"$SIGIL" run --help | grep -q 'sigil-init'; ok $? "sigil run --help"
"$INIT" --help | grep -q -- '--report'; ok $? "sigil-init --help"
"$INIT" 2>/dev/null; is $? 2 "sigil-init without a store and URN is a usage error"

cc -O1 -o probe "$top/tests/data/init/probe.c"; ok $? "build the probe child"
P=$T/probe


# ---- tiny ------------------------------------------------------------------
timeout 30 "$SIGIL" run -o tiny "$ex/tiny.dhall" > tiny.out 2> tiny.log
grep -q '^\[greeter\] ' tiny.log; ok $? "tiny: the greeter's output is prefixed [greeter]: $(grep '^\[greeter\]' tiny.log | head -n 1)"
grep -a '^\[reader\] ' tiny.log | grep -qa 'Greeting'; ok $? "tiny: the reader prints its /rom/config as [reader] …"
is "$(json tiny/state.json 'c["reader"]["state"]')" exited "tiny: the report says the reader exited"
"$SIGIL" status tiny > status.out; ok $? "sigil status"
grep -q '^greeter ' status.out && grep -q '^reader ' status.out; ok $? "sigil status lists both children"
[ -s tiny/state.cbor ] && [ "$(head -c 1 tiny/state.cbor | od -An -tx1 | tr -d ' ')" = a7 ]
ok $? "the report is also CBOR (a map of seven entries)"
"$SIGIL" status tiny/state.cbor > status-cbor.out; ok $? "sigil status reads the CBOR report"
cmp -s status.out status-cbor.out; ok $? "and prints the same table as from the JSON report"
mv tiny/state.json tiny/state.json.bak; "$SIGIL" status tiny > status-dir.out; mv tiny/state.json.bak tiny/state.json
cmp -s status.out status-dir.out; ok $? "sigil status DIR without state.json reads state.cbor"
# --trace: the start-up timeline, in order, and what /rom served
timeout 30 "$SIGIL" run --trace tiny > /dev/null 2> trace.log
ok $? "sigil run --trace tiny"
for step in "system 'tiny' loaded (2 children)" "/rom mounted" "every child's root prepared" \
	"child 'greeter' started (pid [0-9]*)" "child 'reader' started (pid [0-9]*)"; do
	grep -q "^sigil-init: trace [0-9.]* s: $step\$" trace.log; ok $? "--trace: $step"
done
trace_sorted trace.log; ok $? "--trace: $(trace_times trace.log | wc -l) lines, their times in order"
grep -Eq '^sigil-init: trace [0-9.]+ s: /rom: [1-9][0-9]* files opened, [1-9][0-9]* reads \([0-9.]+ MB\) from [1-9][0-9]* leaves decoded; CPU' trace.log
ok $? "--trace: /rom's totals: $(grep -o '/rom: .*' trace.log | tail -n 1)"
! grep -q 'sigil-init: trace' tiny.log; ok $? "without --trace: no trace lines"
printf 'junk' > junk.report; "$SIGIL" status junk.report 2> junk.err; is $? 3 "a report that is neither JSON nor CBOR is refused: $(cat junk.err)"

# ---- isolation, routing, shutdown --------------------------------------------
cat > iso.json <<EOF
{"name":"iso","ram":268435456,"caps":1000,"children":{
 "a":{"binary":"$P","args":["hostname","pid","comm","1","ls","/","ls","/rom","cat","/etc/hostname",
      "ls","/etc","cat","/etc/passwd","status","Uid","status","Gid","status","Groups",
      "ls","/home","ls","/proc","ls","/dev","status","CapEff","status","CapAmb","status","CapBnd","status","NoNewPrivs",
      "syscall","keyctl","connect","/run/Echo.sock","say","a-done","sleep","60000"],
      "resources":{"ram":16777216,"caps":64},"uses":[{"service":"Echo","label":""}],"restart":"Never"},
 "srv":{"binary":"$P","args":["status","Uid","serve","/run/sigil/Echo/socket"],"resources":{"ram":16777216,"caps":64},
      "provides":[{"name":"Echo","policies":[{"label":{"exact":"a"}}]}],"restart":"Never"},
 "b":{"binary":"$P","args":["ls","/run","connect","/run/Echo.sock","status","CapEff","status","CapAmb",
      "status","CapBnd","syscall","keyctl","syscall","ptrace","say","b-done","sleep","60000"],
      "resources":{"ram":16777216,"caps":64},"uses":[{"service":"Echo","label":""}],"restart":"Never",
      "capabilities":["CAP_NET_RAW","kill"],"seccomp":["keyctl"]}
}}
EOF
urn=$("$SIGIL" build -q -o iso iso.json); ok $? "build the isolation system"
"$INIT" -s pack:iso/store.pack --run "$T/run" --report iso/state.json --grace-ms 1000 "$urn" 2> iso.log &
ipid=$!
wait_for iso.log '^\[a\] a-done' && wait_for iso.log '^\[b\] b-done'; ok $? "isolation: children a and b ran"
initpid=$(json iso/state.json 'r["pid"]')
grep -qx '\[a\] hostname a' iso.log; ok $? "its hostname is its name"
grep -qx '\[a\] ls /: dev etc proc rom run tmp' iso.log; ok $? "its root holds only dev etc proc rom run tmp"
grep -qx '\[a\] ls /etc: group passwd' iso.log; ok $? "its /etc holds only group and passwd"
grep -qx '\[a\] ls /dev: fd full null random stderr stdin stdout urandom zero' iso.log
ok $? "its /dev holds only null, zero, full, random, urandom and the fd links: $(grep '^\[a\] ls /dev' iso.log)"
a_uid=$(sed -n 's/^\[a\] status Uid: \([0-9]*\).*/\1/p' iso.log); s_uid=$(sed -n 's/^\[srv\] status Uid: \([0-9]*\).*/\1/p' iso.log)
[ -n "$a_uid" ] && [ "$a_uid" -ge 1000000000 ] && [ -n "$s_uid" ] && [ "$s_uid" -ge 1000000000 ] && [ "$a_uid" != "$s_uid" ]
ok $? "identity: each child runs as its own unprivileged uid (a $a_uid, srv $s_uid)"
grep -qxE "\[a\] status Uid: $a_uid\s+$a_uid\s+$a_uid\s+$a_uid" iso.log && grep -qxE "\[a\] status Gid: $a_uid\s+$a_uid\s+$a_uid\s+$a_uid" iso.log
ok $? "identity: real, effective, saved and fs uid and gid all the child's"
grep -qxE "\[a\] status Groups: $s_uid\s*" iso.log; ok $? "identity: its one supplementary group is its server's gid: $(grep '^\[a\] status Groups' iso.log)"
grep -qx "\[a\] cat /etc/passwd: a:x:$a_uid:$a_uid:sigil child:/:/usr/sbin/nologin" iso.log; ok $? "identity: /etc/passwd names it"
grep -q '^\[a\] cat /etc/hostname: error' iso.log; ok $? "it cannot see the host's /etc/hostname"
grep -q '^\[a\] ls /home: error' iso.log; ok $? "it cannot see the host's /home"
rom=$(grep '^\[a\] ls /rom:' iso.log | sed 's/^\[a\] ls \/rom://')
n_rom=$(echo $rom | wc -w); n_urn=$(echo $rom | tr ' ' '\n' | grep -c '^urn:eris:')
[ "$n_rom" -ge 2 ] && [ "$n_rom" = "$n_urn" ]; ok $? "its /rom holds only its closure ($n_rom files, all URNs)"
grep -qx '\[a\] pid 2' iso.log && grep -qx '\[a\] cat /proc/1/comm: sigil-init' iso.log
ok $? "it is PID 2 under its own init (PID 1) in a new PID namespace"
procs=$(grep '^\[a\] ls /proc:' iso.log | tr ' ' '\n' | grep -c '^[0-9][0-9]*$')
is "$procs" 2 "its /proc shows only its own two processes"
grep -qx '\[a\] status CapEff: 0000000000000000' iso.log && grep -qx '\[a\] status CapAmb: 0000000000000000' iso.log &&
	grep -qx '\[a\] status CapBnd: 0000000000000000' iso.log; ok $? "it has no capabilities (effective, ambient, bounding)"
grep -qx '\[a\] status NoNewPrivs: 1' iso.log; ok $? "no_new_privs is set"
grep -qx '\[a\] connect /run/Echo.sock: hello from srv' iso.log; ok $? "routing: the named client reaches the server's socket"
grep -qx '\[b\] connect /run/Echo.sock: error No such file or directory' iso.log && ! grep -q '^\[b\].*hello from srv' iso.log
ok $? "routing: a child no policy names finds nothing at that path: $(grep '^\[b\] connect' iso.log)"
grep -qx '\[b\] ls /run: error No such file or directory' iso.log; ok $? "routing: it has no /run at all: $(grep '^\[b\] ls /run' iso.log)"
grep -q "child 'b': \"Echo\" (label \"b\") is denied: no policy names it, nothing at /run/Echo.sock" iso.log; ok $? "routing: init logs the denial"
is "$(json iso/state.json '[(d["service"], d["path"], d["label"]) for d in c["b"]["denied"]]')" "[('Echo', '/run/Echo.sock', 'b')]" \
	"routing: the report lists b's denial"
is "$(json iso/state.json 'c["b"]["denied"][0]["candidates"]')" "[{'server': 'srv', 'policies': ['exact \"a\"']}]" \
	"routing: with the candidate policies (srv's, exact \"a\")"
is "$(json iso/state.json 'c["a"]["denied"] + c["srv"]["denied"]')" "[]" "routing: the routed client and the server have no denial"
is "$(json iso/state.json '[s["server"] for s in c["a"]["services"]]')" "['srv']" "the report lists a's route to srv"
# grants: b keeps CAP_KILL (5) and CAP_NET_RAW (13), and may call keyctl
grep -qx '\[b\] status CapEff: 0000000000002020' iso.log && grep -qx '\[b\] status CapAmb: 0000000000002020' iso.log &&
	grep -qx '\[b\] status CapBnd: 0000000000002020' iso.log
ok $? "grants: the child granted CAP_NET_RAW and kill has exactly them (effective, ambient, bounding)"
grep -qx '\[b\] syscall keyctl: error EINVAL' iso.log && grep -qx '\[b\] syscall ptrace: error EPERM' iso.log
ok $? "grants: seccomp [\"keyctl\"]: the kernel answers its keyctl (EINVAL), ptrace is still filtered (EPERM)"
grep -qx '\[a\] syscall keyctl: error EPERM' iso.log; ok $? "grants: without the grant, keyctl is filtered (EPERM)"
# the report: last log lines, use next to the quotas
for i in $(seq 1 30); do json iso/state.json 'c["b"]["log"]' | grep -q b-done && break; sleep 0.1; done
is "$(json iso/state.json 'c["b"]["log"][-1]')" b-done "report: b's last log line is in the report"
is "$(json iso/state.json 'c["b"]["log"][:2]')" "['ls /run: error No such file or directory', 'connect /run/Echo.sock: error No such file or directory']" \
	"report: with the lines before it, oldest first"
"$SIGIL" status iso b > st-b.out; ok $? "sigil status DIR CHILD"
grep -qx "last lines of 'b':" st-b.out && grep -qx '  b-done' st-b.out && grep -q '^denied: "Echo" at /run/Echo.sock (label "b")' st-b.out
ok $? "sigil status iso b prints b's denial and last lines: $(grep -c '^  ' st-b.out) lines"
"$SIGIL" status iso nobody > /dev/null 2>&1; is $? 1 "sigil status of a child not in the report is refused"
is "$(json iso/state.json '(c["a"]["pids_used"], c["a"]["caps_quota"])')" "(2, 64)" "report: a uses 2 processes (stub and program) of its caps quota 64"
f=$(json iso/state.json 'c["srv"]["fds_used"]'); [ "$f" -ge 4 ] && [ "$f" -le 64 ]; ok $? "report: srv's most open descriptors ($f: stdio + its listening socket) next to the quota"
u=$(json iso/state.json 'c["a"]["ram_used"]'); [ "$u" -gt 0 ] && [ "$u" -lt 16777216 ]; ok $? "report: a's RAM used ($u bytes) next to its quota"
grep -qE '^a +running +[0-9]+ +0 +[0-9.]+M +16.0M +2 +[0-9]+ +64 ' <("$SIGIL" status iso); ok $? "sigil status shows RAM used/quota and processes, descriptors, caps: $("$SIGIL" status iso | grep '^a ')"
is "$(json iso/state.json 'c["srv"]["state"]')" running "the report says srv is running"
[ -d "/sys/fs/cgroup/memory/sigil/iso-$initpid/a" ] || [ -d "/sys/fs/cgroup/sigil/iso-$initpid/a" ]
ok $? "each child has its own cgroup"
grep -Eq " $T/run/\.roots/[0-9]+ " "/proc/$initpid/mountinfo" && ! grep -q "$T/run" /proc/self/mountinfo
ok $? "the children's roots are mounted in init's own namespace, not the host's"
# every process of the system: each stub (host PID in the report) and its program
pids=$(json iso/state.json '" ".join(str(x["pid"]) for x in r["children"])')
for p in $pids; do pids="$pids $(cat /proc/$p/task/$p/children 2>/dev/null)"; done
is "$(echo $pids | wc -w)" 6 "three stubs and their three programs run"
kill -TERM "$ipid"; wait "$ipid"; is $? 0 "shutdown: SIGTERM → exit 0"
grep -q 'stopping the children in reverse start order' iso.log; ok $? "shutdown is logged"
sleep 0.2
left=""; for p in $pids; do kill -0 "$p" 2>/dev/null && left="$left $p"; done
is "$left" "" "shutdown: no child process is left"
grep -q "$T" /proc/self/mountinfo; is $? 1 "shutdown: no mount under the test's directory"
[ ! -e "$T/run" ]; ok $? "shutdown: the run directory is gone"
[ ! -e "/sys/fs/cgroup/memory/sigil/iso-$initpid" ] && [ ! -e "/sys/fs/cgroup/pids/sigil/iso-$initpid" ] &&
	[ ! -e "/sys/fs/cgroup/sigil/iso-$initpid" ]
ok $? "shutdown: no cgroup directory is left"
is "$(json iso/state.json 'r["state"]')" stopped "the final report says stopped"

# ---- quotas ------------------------------------------------------------------
cat > quota.json <<EOF
{"name":"quota","ram":268435456,"caps":1000,"children":{
 "hog":{"binary":"$P","args":["say","hog-start","alloc","64","say","hog-survived"],
        "resources":{"ram":16777216,"caps":32},"restart":"Never"},
 "bomb":{"binary":"$P","args":["fork","200"],"resources":{"ram":16777216,"caps":32},"restart":"Never"},
 "sib":{"binary":"$P","args":["say","sib-start","sleep","1500","say","sib-still-here"],
        "resources":{"ram":16777216,"caps":32},"restart":"Never"}
}}
EOF
timeout 30 "$SIGIL" run -o quota quota.json 2> quota.log
grep -qx '\[hog\] hog-start' quota.log && ! grep -q 'hog-survived' quota.log; ok $? "quota: the hog is stopped before it has 64 MiB"
is "$(json quota/state.json 'c["hog"]["exit"]')" "{'signal': 9}" "quota: it was killed (SIGKILL)"
json quota/state.json 'c["hog"]["reason"]' | grep -q "raise resources.ram of 'hog'"
ok $? "quota: the report names the quota to raise: $(json quota/state.json 'c["hog"]["reason"]')"
grep -qx '\[sib\] sib-still-here' quota.log; ok $? "quota: its sibling keeps running"
is "$(json quota/state.json 'c["sib"]["state"]')" exited "quota: the sibling exits normally"
forked=$(sed -n 's/^\[bomb\] forked \([0-9]*\) of 200$/\1/p' quota.log)
[ -n "$forked" ] && [ "$forked" -lt 32 ]; ok $? "quota: a fork bomb stops at its caps quota (forked ${forked:-?} of 200)"

# ---- Ctrl-C: SIGINT stops the system like SIGTERM -----------------------------------
# (a background job of a script starts with SIGINT ignored: python3 puts
# the default disposition back before it execs init, as a terminal's
# foreground job would have it)
python3 -c 'import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); os.execv(sys.argv[1], sys.argv[1:])' \
	"$INIT" -s "pack:iso/store.pack" --report int-state.json "$(cat iso/system.urn)" 2> int.log &
ipid=$!
for _ in $(seq 1 100); do grep -q '\[srv\]' int.log 2>/dev/null && break; sleep 0.05; done
ipids=$(python3 -c 'import json; print(" ".join(str(x["pid"]) for x in json.load(open("int-state.json"))["children"]))' 2>/dev/null)
kill -INT "$ipid"
for _ in $(seq 1 200); do kill -0 "$ipid" 2>/dev/null || break; sleep 0.05; done
kill -0 "$ipid" 2>/dev/null && kill -KILL "$ipid" # still there after 10 s: fails below
wait "$ipid"; is $? 0 "Ctrl-C: SIGINT → exit 0"
grep -q 'stopping the children in reverse start order' int.log; ok $? "Ctrl-C: the children are stopped in reverse order"
sleep 0.2
left=""; for p in $ipids; do kill -0 "$p" 2>/dev/null && left="$left $p"; done
is "$left" "" "Ctrl-C: no child process is left (of:${ipids:- none seen})"
[ ! -e "/sys/fs/cgroup/memory/sigil/iso-$ipid" ] && [ ! -e "/sys/fs/cgroup/pids/sigil/iso-$ipid" ]
ok $? "Ctrl-C: no cgroup directory is left"

# ---- restart and backoff --------------------------------------------------------
cat > restart.json <<EOF
{"name":"restart","ram":268435456,"caps":1000,"children":{
 "flaky":{"binary":"$P","args":["mono","say","flaky-run","exit","1"],"resources":{"ram":8388608,"caps":32},"restart":"OnFailure"},
 "once":{"binary":"$P","args":["say","once-run","exit","1"],"resources":{"ram":8388608,"caps":32},"restart":"Never"},
 "ok":{"binary":"$P","args":["say","ok-run","exit","0"],"resources":{"ram":8388608,"caps":32},"restart":"OnFailure"},
 "loop":{"binary":"$P","args":["say","loop-run","exit","0"],"resources":{"ram":8388608,"caps":32},"restart":"Always"}
}}
EOF
urn=$("$SIGIL" build -q -o restart restart.json); ok $? "build the restart system"
"$INIT" -s pack:restart/store.pack --report restart/state.json "$urn" 2> restart.log &
ipid=$!
sleep 2
kill -TERM "$ipid"; wait "$ipid"; is $? 0 "restart: stopped by SIGTERM"
r=$(json restart/state.json 'c["flaky"]["restarts"]')
[ "$r" -ge 2 ] && [ "$r" -le 6 ]; ok $? "restart: OnFailure restarts a failing child, with backoff ($r restarts in 2 s)"
# every run that completed is logged; the last one may have been stopped by
# the SIGTERM before it printed
n=$(grep -c '^\[flaky\] flaky-run' restart.log)
[ "$n" -ge "$r" ] && [ "$n" -le "$((r + 1))" ]; ok $? "restart: each run's output is logged ($n lines for $r restarts)"
# backoff: the runs' start times (CLOCK_MONOTONIC, µs, printed by each run)
# are 100, 200, 400, 800 ms (--backoff-ms 100:30000) plus a start apart.
# Each gap is checked against its own nominal interval: never shorter,
# and at most 250 ms longer (a start under load). Comparing each gap with
# the one before failed under load: a first start delayed by 70 ms made
# the next ratio look too small, one delayed later too large.
gaps=$(sed -n 's/^\[flaky\] mono \([0-9]*\)$/\1/p' restart.log | awk 'NR > 1 {printf "%d ", ($1 - p) / 1000} {p = $1}')
echo "# flaky: ms between runs: $gaps"
echo "$gaps" | awk '{ok = NF >= 3; for (i = 1; i <= NF; i++) { want = 100 * 2 ^ (i - 1); if ($i < want - 5 || $i > want + 250) ok = 0 } exit !ok}'
ok $? "restart: the backoff is exponential: the intervals between runs are 100, 200, 400... ms ($gaps ms)"
is "$(json restart/state.json 'c["once"]["restarts"]')" 0 "restart: Never does not restart"
is "$(grep -c '^\[once\] once-run' restart.log)" 1 "restart: the Never child ran once"
is "$(json restart/state.json 'c["ok"]["restarts"]')" 0 "restart: OnFailure leaves a clean exit alone"
r=$(json restart/state.json 'c["loop"]["restarts"]')
[ "$r" -ge 2 ]; ok $? "restart: Always restarts after a clean exit ($r restarts)"

# ---- forking readiness ------------------------------------------------------------
# /bin/sh imported with /bin/sleep declared at bin/sleep (seen at /bin/sleep
# in the child); sigil build keeps the URN.
mkdir -p fork
SH=$("$SIGIL" import -s pack:fork/store.pack -x /bin/sleep=bin/sleep /bin/sh | cut -d' ' -f1)
case "$SH" in urn:eris:*) ok 0 "forking: import /bin/sh with /bin/sleep" ;; *) ok 1 "forking: import /bin/sh" ;; esac
cat > fork.json <<'JSON'
{"name":"fork","ram":268435456,"caps":1000,"children":{
 "pidf":{"binary":"SH","args":["-c","sleep 30 & echo $! > /run/d.pid; echo parent-done"],
         "readiness":"Forking","pidFile":"/run/d.pid","mounts":[{"target":"/run","tmpfs":1048576}],
         "resources":{"ram":16777216,"caps":64},"restart":"Never"},
 "nopidf":{"binary":"SH","args":["-c","(sleep 3; exit 3) & echo parent-done"],"readiness":"Forking",
         "resources":{"ram":16777216,"caps":64},"restart":"Never"},
 "bad":{"binary":"SH","args":["-c","sleep 5 & exit 4"],"readiness":"Forking",
         "resources":{"ram":16777216,"caps":64},"restart":"Never"}
}}
JSON
sed -i "s|\"SH\"|\"$SH\"|" fork.json
urn=$("$SIGIL" build -q -o fork fork.json); ok $? "forking: build the system"
"$INIT" -s pack:fork/store.pack --report fork/state.json --grace-ms 2000 "$urn" 2> fork.log &
fpid=$!
wait_for fork.log '^\[pidf\] parent-done' && wait_for fork.log '^\[nopidf\] parent-done'; ok $? "forking: the start processes ran"
sleep 0.5
is "$(json fork/state.json 'c["pidf"]["state"]')" running "forking: with a PID file, running after the start process exited"
stub=$(json fork/state.json 'c["pidf"]["pid"]')
kids=$(cat /proc/$stub/task/*/children 2>/dev/null)
kids=$(echo $kids); is "$(echo $kids | wc -w) $(cat /proc/${kids:-0}/comm 2>/dev/null)" "1 sleep" "forking: what is left under its stub is the daemon (sleep)"
is "$(json fork/state.json 'c["nopidf"]["state"]')" running "forking: without a PID file, running while a process is left"
is "$(json fork/state.json 'c["bad"]["state"]')" failed "forking: a start process exiting 4 is a failed start"
is "$(json fork/state.json 'c["bad"]["exit"]')" "{'code': 4}" "forking: its status is the start's"
for i in $(seq 1 100); do [ "$(json fork/state.json 'c["nopidf"]["state"]')" = failed ] && break; sleep 0.1; done
is "$(json fork/state.json 'c["nopidf"]["exit"]')" "{'code': 3}" "forking: when its last process exits (3), so does the child"
kill -TERM "$fpid"; wait "$fpid"; is $? 0 "forking: SIGTERM stops it, exit 0"
is "$(json fork/state.json 'c["pidf"]["exit"]')" "{'signal': 15}" "forking: the stop signal reached the daemon the PID file names"
kill -0 $kids 2>/dev/null; is $? 1 "forking: the daemon is gone"

# ---- init's own memory with 10 children -------------------------------------------
python3 -c '
import json, sys
ch = {"c%d" % i: {"binary": sys.argv[1], "args": ["sleep", "60000"], "resources": {"ram": 8388608, "caps": 16},
                  "restart": "Never"} for i in range(10)}
json.dump({"name": "ten", "ram": 268435456, "caps": 1000, "children": ch}, open("ten.json", "w"))' "$P"
urn=$("$SIGIL" build -q -o ten ten.json); ok $? "rss: build a system of 10 children"
"$INIT" -s pack:ten/store.pack --report ten/state.json "$urn" 2> ten.log &
tpid=$!
for i in $(seq 1 100); do [ "$(json ten/state.json 'sum(x["state"] == "running" for x in r["children"])' 2>/dev/null)" = 10 ] && break; sleep 0.1; done
sleep 0.5
rss=$(awk '/^VmRSS:/ {print $2}' /proc/$tpid/status); hwm=$(awk '/^VmHWM:/ {print $2}' /proc/$tpid/status)
# The issue's bound ("RSS ≤ 2 MiB with 10 children") is checked on the
# steady RSS (VmRSS) with the 10 children running; the peak (VmHWM, reached
# while init loaded the description and the closures before any child ran)
# is reported, not checked.
echo "# sigil-init with 10 running children: steady VmRSS $rss kB; peak VmHWM $hwm kB (while it loaded the closures)"
if [ -n "$SIGIL_SAN" ]; then
	skip "ASan's shadow memory" "rss: sigil-init's steady RSS with 10 children is at most 2 MiB"
else
	[ -n "$rss" ] && [ "$rss" -le 2048 ]; ok $? "rss: sigil-init's steady RSS (VmRSS) with 10 children is at most 2 MiB ($rss kB; peak VmHWM $hwm kB, not checked)"
fi
file -L "$INIT" | grep -q 'statically linked' || [ -n "$SIGIL_SAN" ]; ok $? "sigil-init is statically linked (but under ASan)"
kill -TERM "$tpid"; wait "$tpid"; is $? 0 "rss: the 10 children stop"

# ---- different closures: no child sees another's /rom ------------------------------
# a runs probe, b runs probe2 (another program, so another closure root):
# each looks for its own program's URN (there) and the other's (absent)
cc -O1 -DVARIANT=2 -o probe2 "$top/tests/data/init/probe.c"; ok $? "closures: build a second probe program"
mkdir -p clo
# the program's own URN: "exec" in its closure description (from sigil import)
exec_urn() { "$ERIS" get -s pack:clo/ids.pack "$("$SIGIL" import -s pack:clo/ids.pack "$1" | cut -d' ' -f1)" |
	python3 -c 'import re, sys; print(re.search(rb"dexec..(urn:eris:[A-Z2-7]+)", sys.stdin.buffer.read()).group(1).decode())'; }
UA=$(exec_urn "$P"); UB=$(exec_urn "$T/probe2")
[ -n "$UA" ] && [ -n "$UB" ] && [ "$UA" != "$UB" ]; ok $? "closures: the two programs have different URNs"
cat > clo.json <<EOF
{"name":"clo","ram":268435456,"caps":1000,"children":{
 "a":{"binary":"$P","args":["ls","/rom","cat","/rom/$UB","say","a-done"],"resources":{"ram":16777216,"caps":32},"restart":"Never"},
 "b":{"binary":"$T/probe2","args":["ls","/rom","cat","/rom/$UA","say","b-done"],"resources":{"ram":16777216,"caps":32},"restart":"Never"}
}}
EOF
timeout 30 "$SIGIL" run -o clo clo.json 2> clo.log; ok $? "closures: the system runs"
grep '^\[a\] ls /rom:' clo.log | grep -q "$UA" && grep '^\[b\] ls /rom:' clo.log | grep -q "$UB"
ok $? "closures: each child's /rom holds its own program"
! grep '^\[a\] ls /rom:' clo.log | grep -q "$UB" && ! grep '^\[b\] ls /rom:' clo.log | grep -q "$UA"
ok $? "closures: and not the other's"
grep -qx "\[a\] cat /rom/$UB: error No such file or directory" clo.log && grep -qx "\[b\] cat /rom/$UA: error No such file or directory" clo.log
ok $? "closures: opening the other's program by its URN fails (ENOENT), both ways"

# ---- a tampered block ---------------------------------------------------------
"$SIGIL" build -q -s dir:blocks -o tam "$ex/tiny.dhall" > /dev/null; ok $? "build tiny into a directory store"
bigf=$(find blocks -type f -size +2k | sort | head -n 1); big=$(basename "$bigf")
printf '\x55' | dd of="$bigf" bs=1 seek=100 count=1 conv=notrunc 2>/dev/null
timeout 30 "$INIT" --eager -s dir:blocks --run "$T/run2" --report tam/state.json "$(cat tam/system.urn)" 2> tam.log; s=$?
is "$s" 1 "tamper, --eager: sigil-init exits 1"
grep -q "block $big" tam.log; ok $? "tamper, --eager: the error names the damaged block"
grep -q 'nothing started' tam.log && ! grep -qa '^\[' tam.log; ok $? "tamper, --eager: nothing started: $(head -n 1 tam.log)"
[ ! -e tam/state.json ]; ok $? "tamper, --eager: no report of running children"
[ ! -e "$T/run2" ] && [ -z "$(ls /sys/fs/cgroup/memory/sigil /sys/fs/cgroup/pids/sigil /sys/fs/cgroup/sigil 2>/dev/null | grep '^tiny-')" ]
ok $? "tamper, --eager: its run directory and cgroups are removed"
# lazily (the default), a damaged block fails the read that needs it: the
# root block of the greeter's program (/bin/sh), read when it is looked up
rm -f "$bigf" && "$SIGIL" build -q -s dir:blocks -o tam "$ex/tiny.dhall" > /dev/null # put back
ref=$("$top/tests/vm/flip_block.py" "$ERIS" dir:blocks "$(cat tam/system.urn)" sh blocks)
ok $? "tamper, lazily: the root block $ref of the greeter's program flipped"
timeout 30 "$INIT" -s dir:blocks --run "$T/run2" "$(cat tam/system.urn)" > tam.out 2> tam.log; s=$?
is "$s" 1 "tamper, lazily: sigil-init exits 1 (the greeter failed)"
grep -q "child 'greeter': /rom/urn:eris:[A-Z2-7]*: block $ref .*does not hash" tam.log
ok $? "tamper, lazily: the error names the child, the file and the block: $(grep -m1 "block $ref" tam.log)"
grep -q '^\[greeter\] .*Input/output error' tam.log && ! grep -q 'hello from sigil' tam.out tam.log
ok $? "tamper, lazily: the greeter's exec fails with EIO; nothing of it ran"

# a missing block or a bad description: a clear error, nothing started
rm -rf blocks && "$SIGIL" build -q -s dir:blocks -o tam "$ex/tiny.dhall" > /dev/null # a clean store
turn=$(cat tam/system.urn)
root_block() { python3 -c 'import base64, sys; b = sys.argv[1][9:]; r = base64.b32encode(base64.b32decode(b + "=" * (-len(b) % 8))[2:34]).decode().rstrip("="); print(sys.argv[2] + "/" + r[:2] + "/" + r)' "$1" "$2"; }
nothing_started() { # LABEL: exit 1, the error, no child output, no report, nothing left
	is "$s" 1 "$1: sigil-init exits 1"
	[ -s tam.log ] && ! grep -qa '^\[' tam.log && [ ! -e tam/state.json ] && [ ! -e "$T/run2" ]
	ok $? "$1: a clear error, nothing started: $(head -n 1 tam.log | cut -c 1-200)"
}
desc=$(root_block "$turn" blocks); cp "$desc" desc.saved
rm -f "$desc" tam/state.json
timeout 30 "$INIT" -s dir:blocks --run "$T/run2" --report tam/state.json "$turn" 2> tam.log; s=$?
nothing_started "missing description block"
grep -q "missing block $(basename "$desc")" tam.log; ok $? "missing description block: the error names it"
cp desc.saved "$desc"; chmod u+w "$desc"; printf '\x55' | dd of="$desc" bs=1 seek=10 count=1 conv=notrunc 2>/dev/null
timeout 30 "$INIT" -s dir:blocks --run "$T/run2" --report tam/state.json "$turn" 2> tam.log; s=$?
nothing_started "damaged description block"
grep -q "block $(basename "$desc").*does not hash" tam.log; ok $? "damaged description block: the error names it"
rm -f "$desc"; cp desc.saved "$desc"
notsys=$("$ERIS" get -s dir:blocks "$turn" | grep -ao 'urn:eris:[A-Z2-7]*' | head -n 1) # a closure description
timeout 30 "$INIT" -s dir:blocks --run "$T/run2" --report tam/state.json "$notsys" 2> tam.log; s=$?
nothing_started "a URN that is not a system description"
grep -q 'not valid: nothing started' tam.log; ok $? "not a system description: says so"
bigf=$(find blocks -type f -size +2k | sort | head -n 1); mv "$bigf" big.saved
timeout 30 "$INIT" --eager -s dir:blocks --run "$T/run2" --report tam/state.json "$turn" 2> tam.log; s=$?
nothing_started "missing closure block, --eager"
grep -q "missing block $(basename "$bigf")" tam.log && grep -q 'nothing started' tam.log; ok $? "missing closure block, --eager: the error names it and says nothing started"
mv big.saved "$bigf"

# ---- a Debian binary unpacked outside the system (redis-server) --------------
# tests/t/sigil_import.sh (which runs before this file) fetched it with
# apt-get download + dpkg -x into build/pkg-cache/redis; its libraries are
# there too, so the build needs --library-path.
R=$top/build/pkg-cache/redis
if [ -x "$R/usr/bin/redis-server" ]; then
	printf '{"name":"r","ram":268435456,"caps":1000,"children":{"redis":{"binary":"%s","args":["--version"],"resources":{"ram":67108864,"caps":128},"restart":"Never"}}}' \
		"$R/usr/bin/redis-server" > redis.json
	"$SIGIL" build -q -o rnolib redis.json > /dev/null 2> err; s=$?
	[ "$s" -ne 0 ] && grep -q 'liblzf.so.1.*not found' err; ok $? "without --library-path the build names the missing library: $(head -n 1 err)"
	"$SIGIL" build -q -L "$R/usr/lib/x86_64-linux-gnu" -o rout redis.json > /dev/null; ok $? "sigil build --library-path finds the unpacked libraries"
	timeout 30 "$SIGIL" run rout > redis.log 2>&1; ok $? "sigil run of the redis system"
	grep -q '^\[redis\] Redis server v=' redis.log; ok $? "redis-server runs under sigil-init: $(grep -a '^\[redis\]' redis.log | head -c 60)"
else
	for i in 1 2 3 4; do skip "no unpacked redis-server (tests/t/sigil_import.sh fetches it)" "redis under sigil run"; done
fi

# ---- seccomp: the default filter --------------------------------------------------
# The same probe calls the same system calls with harmless arguments outside
# and inside a child: outside the kernel answers (EINVAL, EFAULT, ESRCH, or
# success), inside the filter answers EPERM before the kernel looks. Six of
# them (keyctl, add_key, request_key, perf_event_open, ptrace, unshare with
# these arguments) need no capability, so their EPERM is the filter's alone.
sc="keyctl add_key request_key perf_event_open bpf ptrace umount2 unshare"
scargs=""; for s in $sc; do scargs="$scargs syscall $s"; done
"$P" $scargs > outside.out
printf '{"name":"sc","ram":268435456,"caps":1000,"children":{"sc":{"binary":"%s","args":[%s,"status","Seccomp","say","sc-done"],"resources":{"ram":16777216,"caps":32},"restart":"Never"}}}' \
	"$P" "$(for s in $sc; do printf '"syscall","%s",' "$s"; done | sed 's/,$//')" > sc.json
timeout 30 "$SIGIL" run -o sc sc.json 2> sc.log; ok $? "seccomp: the probe runs under the filter and exits 0"
grep -qx '\[sc\] status Seccomp: 2' sc.log; ok $? "seccomp: the program runs in filter mode (Seccomp: 2)"
inside_eperm=0 outside_eperm=0
for s in $sc; do
	grep -qx "\[sc\] syscall $s: error EPERM" sc.log && inside_eperm=$((inside_eperm + 1))
	grep -qx "syscall $s: error EPERM" outside.out && outside_eperm=$((outside_eperm + 1))
done
is "$inside_eperm" 8 "seccomp: in a child, $sc fail with EPERM"
is "$outside_eperm" 0 "seccomp: outside, none of them is EPERM: $(tr '\n' ';' < outside.out)"
grep -qx '\[sc\] sc-done' sc.log; ok $? "seccomp: what the filter allows still works"

# ---- seccomp: a strict allow-list (syscalls) ---------------------------------------
# The probe's own calls (strace -f -c of it on the host: loader, libc
# start-up, its status/syscall/say ops) plus a margin of harmless ones
# other kernels or glibc may make; getppid and ptrace are left out, keyctl
# is named although the default filter denies it.
allow='"execve","brk","mmap","mprotect","munmap","mremap","madvise","openat","open","read","pread64",
 "write","writev","close","newfstatat","fstat","stat","lstat","statx","lseek","fcntl","ioctl","access",
 "faccessat","faccessat2","readlink","readlinkat","arch_prctl","set_tid_address","set_robust_list",
 "rseq","prlimit64","getrandom","futex","rt_sigaction","rt_sigprocmask","rt_sigreturn","sigaltstack",
 "getpid","gettid","getuid","geteuid","getgid","getegid","clock_gettime","uname","exit","exit_group","keyctl"'
ops='"status","Seccomp","syscall","keyctl","syscall","getppid","syscall","ptrace","say","done"'
cat > strict.json <<EOF
{"name":"strict","ram":268435456,"caps":1000,"children":{
 "strict":{"binary":"$P","args":[$ops],"resources":{"ram":16777216,"caps":32},"restart":"Never","syscalls":[$allow]},
 "loose":{"binary":"$P","args":[$ops],"resources":{"ram":16777216,"caps":32},"restart":"Never"}}}
EOF
"$SIGIL" check -q strict.json 2> strict.err; ok $? "syscalls: sigil check accepts the allow-list$( [ -s strict.err ] && echo ": $(head -n 2 strict.err)")"
timeout 30 "$SIGIL" run -o strict strict.json 2> strict.log; ok $? "syscalls: both children run and exit 0"
grep -qx '\[strict\] status Seccomp: 2' strict.log; ok $? "syscalls: the program runs in filter mode (Seccomp: 2)"
grep -qx '\[strict\] done' strict.log; ok $? "syscalls: what the list allows works (start-up, /proc, write)"
grep -qx '\[strict\] syscall keyctl: error EINVAL' strict.log
ok $? "syscalls: a named call of the deny list reaches the kernel (EINVAL): $(grep '^\[strict\] syscall keyctl' strict.log)"
grep -qx '\[strict\] syscall getppid: error EPERM' strict.log
ok $? "syscalls: getppid, not named, fails with EPERM: $(grep '^\[strict\] syscall getppid' strict.log)"
grep -qx '\[strict\] syscall ptrace: error EPERM' strict.log; ok $? "syscalls: ptrace, not named, fails with EPERM"
grep -qx '\[loose\] syscall getppid: ok' strict.log && grep -qx '\[loose\] syscall keyctl: error EPERM' strict.log
ok $? "syscalls: without it, getppid works and keyctl is the default filter's EPERM"

done_testing
