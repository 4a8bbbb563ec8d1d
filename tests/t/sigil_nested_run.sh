#!/usr/bin/env bash
# sigil_nested_run.sh — a system with a nested init and a service of the
# system's parent, run by sigil-init (docs/system.md, "Nested inits"):
#   - the nested init "shell" runs no program; its child "shell -> bash"
#     runs as init's own child, logged as [shell -> bash];
#   - bash reaches "srv" at the top, whose policy names it from the top
#     ("shell -> bash");
#   - bash reaches the host's socket, a service of the parent whose policy
#     names bash's labeled session ("shell -> bash -> h"); the report lists
#     that route with server "(parent)";
#   - a parent service without a path on the host stops init before
#     anything starts, naming the child and the service.
. "$(dirname "$0")/tap.bash"
cd "$T" || exit 1
top=${SIGIL_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
SIGIL=$SIGIL_BUILD/bin/sigil
INIT=$SIGIL_BUILD/bin/sigil-init

if [ "$(id -u)" -ne 0 ]; then
	skip "not root" "sigil-init needs root (namespaces, mounts, cgroups)"
	done_testing
	exit
fi
cc -O1 -o probe "$top/tests/data/init/probe.c"; ok $? "build the probe child"
P=$T/probe

# the host's service: a probe in its own UTS namespace, answering as "hostsvc"
unshare -u sh -c "hostname hostsvc; umask 0; exec '$P' serve '$T/host.sock'" > host.log 2>&1 &
hpid=$!
wait_for host.log '^serving'; ok $? "the host's service listens at $T/host.sock"

system() { # PATH-JSON ("null" for none)
	cat <<EOF
{"name":"nest","ram":268435456,"caps":1000,
 "parent":[{"name":"Host","path":$1,"policies":[{"label":{"exact":"shell -> bash -> h"}}]}],
 "children":{
  "srv":{"binary":"$P","args":["serve","/run/sigil/Echo/socket"],"resources":{"ram":16777216,"caps":64},
         "provides":[{"name":"Echo","policies":[{"label":{"exact":"shell -> bash"}}]}],"restart":"Never"},
  "shell":{"binary":"","init":true,"resources":{"ram":67108864,"caps":300}},
  "shell -> bash":{"binary":"$P","args":["hostname","connect","/run/Echo.sock","connect","/run/host.sock","say","bash-done"],
         "resources":{"ram":16777216,"caps":64},
         "uses":[{"service":"Echo","label":""},{"service":"Host","label":"h","path":"/run/host.sock"}],
         "restart":"Never"}
 }}
EOF
}
system "\"$T/host.sock\"" > nest.json
"$SIGIL" check -q nest.json; ok $? "sigil check passes the nested system"
urn=$("$SIGIL" build -q -o nest nest.json); ok $? "sigil build skips the nested init and builds its child"
"$INIT" -s pack:nest/store.pack --run "$T/run" --report nest/state.json --grace-ms 1000 "$urn" 2> nest.log &
ipid=$!
wait_for nest.log '^\[shell -> bash\] bash-done'; ok $? "the nested child ran, logged as [shell -> bash]"
grep -qx '\[shell -> bash\] connect /run/Echo.sock: hello from srv' nest.log; ok $? "it reaches srv at the top (policy \"shell -> bash\")"
grep -qx '\[shell -> bash\] connect /run/host.sock: hello from hostsvc' nest.log; ok $? "it reaches the host's socket (the parent's Host, policy \"shell -> bash -> h\")"
grep -q '^\[shell\]' nest.log; is "$?" 1 "the nested init itself runs nothing"
is "$(json nest/state.json 'sorted(c.keys())')" "['shell -> bash', 'srv']" "the report lists the children init runs"
is "$(json nest/state.json '[(s["service"], s["server"], s["path"]) for s in c["shell -> bash"]["services"]]')" \
	"[('Echo', 'srv', '/run/Echo.sock'), ('Host', '(parent)', '/run/host.sock')]" "the report lists both routes, the host's with server \"(parent)\""
kill -TERM "$ipid"; wait "$ipid"; ok $? "SIGTERM: sigil-init exits 0"
[ ! -e "$T/run" ] || [ -z "$(ls -A "$T/run" 2> /dev/null)" ]; ok $? "nothing is left under the run directory"
grep -qF " $T/" /proc/self/mountinfo; is "$?" 1 "no mount is left under the test's directory (the host's socket was bound in the child only)"

system null > nopath.json
urn=$("$SIGIL" build -q -o nopath nopath.json); ok $? "build the system whose parent service has no path"
timeout 20 "$INIT" -s pack:nopath/store.pack --run "$T/run2" --report nopath/state.json "$urn" 2> nopath.log; s=$?
[ "$s" -ne 0 ]; ok $? "sigil-init refuses it (exit $s)"
grep -q "child 'shell -> bash': the parent's service \"Host\" has no path on this host" nopath.log; ok $? "naming the child and the service: $(grep -m1 'no path' nopath.log)"
grep -q 'bash-done' nopath.log; is "$?" 1 "nothing started"

kill "$hpid" 2> /dev/null; wait "$hpid" 2> /dev/null
done_testing
