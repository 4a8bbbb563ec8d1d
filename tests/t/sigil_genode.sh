#!/usr/bin/env bash
# sigil_genode.sh — `sigil genode` (render, --check, --import) and `sigil graph`:
#   render: the examples and test systems validate with xmllint against the
#     21.05 and HEAD init schemas (shared/genode/configs/schema), output is
#     deterministic and escaped, render → import → render is a fixpoint;
#   --check: each crafted broken config (tests/data/genode/, EXPECT) gives
#     exactly its one finding at FILE:LINE; the shared configs' known defects;
#   --import: every shared config imports to Dhall that `sigil check` loads,
#     and import → render → import gives the same system (same starts,
#     quotas, resolved routes), every step of the test-init script too;
#   graph: DOT structure (nodes, edges, red problems), -T svg through dot.
. "$(dirname "$0")/tap.bash"
cd "$T" || exit 1
top=${SIGIL_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
SIGIL=$SIGIL_BUILD/bin/sigil
data=$top/tests/data/genode
cfgs=$SIGIL_SHARED/genode/configs
have_xmllint=0; command -v xmllint > /dev/null && have_xmllint=1
have_schema=0; [ -f "$cfgs/schema/init-config.genode-21.05.xsd" ] && have_schema=1
if [ $have_schema = 1 ]; then
	cp "$cfgs/schema/base_types.xsd" "$cfgs/schema/init-config.genode-21.05.xsd" .
	# HEAD includes base_types.xsd through a genode:// URI xmllint has no catalog for
	sed 's|genode://base_types.xsd|base_types.xsd|' "$cfgs/schema/init-config.HEAD-2026.xsd" > head.xsd
fi
validate() { # FILE SCHEMA NAME
	if [ $have_xmllint = 0 ] || [ $have_schema = 0 ]; then skip "no xmllint or no schemas" "$3"; return; fi
	xmllint --noout --schema "$2" "$1" > xl.out 2>&1; ok $? "$3$( grep -q validates xl.out || echo ": $(head -n 3 xl.out)")"
}

# --- render
for f in "$top"/examples/systems/*.dhall "$top"/tests/data/system/valid.json "$data"/escape.json "$data"/graph.json; do
	b=$(basename "$f")
	"$SIGIL" genode "$f" > a.xml 2> err; s=$?
	if [ "$s" = 1 ] && grep -q "not a plain value" err; then
		skip "$b needs the Dhall evaluator to load" "render $b"; continue
	fi
	is "$s" 0 "render $b (21.05)"
	validate a.xml init-config.genode-21.05.xsd "$b: validates against the 21.05 schema"
	"$SIGIL" genode --dialect current -o b.xml "$f" 2> err; s=$?
	is "$s" 0 "render $b (current, -o)"
	validate b.xml head.xsd "$b: validates against the HEAD schema"
	"$SIGIL" genode "$f" 2> /dev/null | cmp -s - a.xml; ok $? "$b: rendering is deterministic"
	# Sigil's own minimum caps (16) are below Genode's env overhead (34): only that may show
	"$SIGIL" genode --check a.xml > /dev/null 2> err
	grep -E ': (error|warning): ' err | grep -v "caps, below the env sessions' overhead" > bad
	[ ! -s bad ]; ok $? "$b: the rendered config passes --check but for Genode's caps minimum$( [ -s bad ] && echo ": $(head -n 2 bad)")"
	"$SIGIL" genode --import --name x a.xml > i.dhall && "$SIGIL" genode i.dhall > a2.xml 2> /dev/null
	cmp -s a.xml a2.xml; ok $? "$b: render → import → render is a fixpoint"
done
"$SIGIL" genode "$top"/examples/systems/hello.dhall > h.xml
grep -q '<service name="Log" label="access"> <child name="log"/> </service>' h.xml; ok $? "hello: web's labeled use routes to log"
grep -q '<service name="Log"> <child name="log"/> </service>' h.xml; ok $? "hello: cron's unlabeled use has no selector"
grep -q '<resource name="RAM" quantum="67108864"/>' h.xml; ok $? "hello: RAM as a 21.05 resource"
"$SIGIL" genode --dialect current "$top"/examples/systems/hello.dhall | grep -q '<start name="web" caps="128" ram="67108864">'; ok $? "hello: ram= in the current dialect"
grep -q '<policy label_prefix="web" tag="web"/>' h.xml; ok $? "hello: the server's policy with its attributes"
"$SIGIL" genode "$data"/escape.json > e.xml
grep -qF 'label="a&quot;b&amp;c&lt;d>"' e.xml; ok $? "escape: labels are escaped"
grep -qF '<service name="PD" unscoped_label="cli"> <parent/> </service>' e.xml; ok $? "escape: an unlabeled PD use moves the PD env rule first, exact"
"$SIGIL" genode --dialect 22.10 "$data"/escape.json > /dev/null 2>&1; is "$?" 2 "unknown dialect is a usage error"
"$SIGIL" genode > /dev/null 2>&1; is "$?" 2 "no operand is a usage error"

# --- --check on crafted broken configs
"$SIGIL" genode --check "$data"/ok.xml > out 2> err; s=$?
is "$s" 0 "ok.xml passes --check"
grep -q "init config is fine: 2 starts" out; ok $? "and says so"
while IFS='|' read -r file sev line text; do
	case "$file" in ''|'#'*) continue ;; esac
	(cd "$data" && "$SIGIL" genode --check "$file") > out 2> err; s=$?
	want=1; [ "$sev" = warning ] && want=0
	is "$s" "$want" "$file: exit $want"
	is "$(grep -cE ': (error|warning): ' err)" 1 "$file: exactly one finding"
	grep -F -- "$file:$line:1: $sev: " err | grep -qF -- "$text"; ok $? "$file:$line: $sev: …$text…$( [ $? = 0 ] || echo " (got: $(head -n 1 err))")"
	[ "$sev" = warning ] && { (cd "$data" && "$SIGIL" genode --check --werror "$file") > /dev/null 2>&1; is "$?" 1 "$file: --werror fails on it"; }
done < "$data/EXPECT"

# --- nested inits: a Genode config with routes across levels imports into
# nested children, the routes survive (graph), and rendering it back gives
# nested <config>s that validate on their own
"$SIGIL" genode --import --name n "$data"/nested.xml > n1.dhall 2> err; is "$?" 0 "nested.xml imports"
grep -qF '`shell -> bash`' n1.dhall; ok $? "nested.xml: the nested init's starts are children 'shell -> …'"
grep -q 'not carried over' n1.dhall; is "$?" 1 "nested.xml: nothing is left out"
"$SIGIL" check n1.dhall > out 2> err; is "$?" 0 "nested.xml: the import passes sigil check$( [ -s err ] && echo ": $(head -n 2 err)")"
"$SIGIL" graph n1.dhall > n.dot
grep -qF '"app" -> "shell -> vfs" [label="File_system"]' n.dot; ok $? "nested.xml: app reaches vfs inside shell (shell's forwarded service)"
grep -qF '"shell -> bash" -> "log" [label="Log \"history\""]' n.dot; ok $? "nested.xml: bash reaches log at the top (through <parent/>)"
grep -qF '"shell -> bash" -> "shell -> vfs" [label="File_system"]' n.dot; ok $? "nested.xml: bash reaches its sibling vfs"
"$SIGIL" genode n1.dhall > n.xml 2> err; is "$?" 0 "nested.xml: the import renders"
"$SIGIL" genode --check n.xml > /dev/null 2> err; is "$(grep -cE ': (error|warning): ' err)" 0 "nested.xml: its rendering passes --check$( [ -s err ] && echo ": $(head -n 2 err)")"
"$SIGIL" genode --import --name n n.xml > n2.dhall
cmp -s n1.dhall n2.dhall; ok $? "nested.xml: import → render → import is a fixpoint"
python3 - n.xml <<'PY' > nsub.out
import sys, xml.etree.ElementTree as ET
i = 0
for st in ET.parse(sys.argv[1]).iter('start'):
    b = st.find('binary')
    if b is not None and b.get('name') == 'init':
        ET.ElementTree(st.find('config')).write('nsub%d.xml' % i)
        i += 1
print(i)
PY
is "$(cat nsub.out)" 1 "nested.xml: one nested <config> rendered"
validate nsub0.xml init-config.genode-21.05.xsd "nested.xml: the nested <config> validates against the 21.05 schema"
grep -qF '<policy label="app -> "> <child name="vfs"/> </policy>' n.xml; ok $? "nested.xml: shell forwards File_system for app to vfs"

# --- the shared configs: import, round trip, known defects
if [ ! -d "$cfgs" ]; then
	skip "no $cfgs" "shared Genode configs"
else
	n=0
	for f in "$cfgs"/*.xml; do
		b=$(basename "$f" .xml); n=$((n + 1))
		"$SIGIL" genode --import --name rt "$f" > 1.dhall 2> err; is "$?" 0 "$b: imports"
		"$SIGIL" check 1.dhall > out 2> err; s=$?
		[ "$s" -le 1 ] && ! grep -q "could not be loaded" err; ok $? "$b: the import loads in sigil check (exit $s)"
		"$SIGIL" genode 1.dhall > x.xml 2> err; is "$?" 0 "$b: the import renders"
		validate x.xml init-config.genode-21.05.xsd "$b: its rendering validates"
		python3 "$top/tests/t/genode_starts.py" "$f" x.xml > cmp.out
		ok $? "$b: the rendering starts what the original does, with its RAM, caps and services ($(tail -n 1 cmp.out)$( [ "$(wc -l < cmp.out)" -gt 1 ] && echo ": $(head -n 2 cmp.out | tr '\n' ' ')"))"
		"$SIGIL" genode --import --name rt x.xml > 2.dhall
		diff <(grep -v '^--' 1.dhall) <(grep -v '^--' 2.dhall) > d.out; ok $? "$b: round trip keeps starts, quotas and resolved routes$( [ -s d.out ] && echo ": $(head -n 4 d.out | tr '\n' ' ')")"
	done
	is "$n" 9 "all 9 shared configs seen"
	"$SIGIL" genode --import --name rt "$cfgs"/05-*.xml > 5.dhall 2> /dev/null
	grep -qF '`init.1 -> init.12 -> init.121`' 5.dhall; ok $? "05: the inits nested two deep are carried over"
	t07=$(ls "$cfgs"/07-*.xml 2> /dev/null | head -n 1)
	bad=0 steps=0
	for i in $(seq 1 100); do
		"$SIGIL" genode --import --step "$i" --name rt "$t07" > 1.dhall 2> /dev/null || break
		steps=$i
		"$SIGIL" genode 1.dhall 2> /dev/null > x.xml && "$SIGIL" genode --import --name rt x.xml > 2.dhall
		cmp -s <(grep -v '^--' 1.dhall) <(grep -v '^--' 2.dhall) || bad=$((bad + 1))
	done
	is "$steps" 54 "07: 54 test-init steps import"
	is "$bad" 0 "07: every step round-trips"
	"$SIGIL" genode --import --step 55 "$t07" > /dev/null 2>&1; is "$?" 2 "07: no step 55"
	for f in 01 02 03 04 09; do
		"$SIGIL" genode --check "$cfgs"/$f-*.xml > /dev/null 2> err; is "$?" 0 "$f: no errors"
	done
	"$SIGIL" genode --check "$cfgs"/05-*.xml > /dev/null 2> err
	grep -q ":77:1: error: in the config of 'init.1': in the config of 'init.12': start 'init.121': no route for its env sessions PD \"init.121\", CPU \"init.121\"" err; ok $? "05: init.121 cannot reach PD and CPU (nested parent-provides lacks them)"
	grep -q ":37:1: error: start 'init.1': 0 caps" err; ok $? "05: starts without caps"
	"$SIGIL" genode --check "$cfgs"/06-*.xml > /dev/null 2> err; is "$?" 0 "06: no errors (warnings only)"
	grep -q ':415:1: warning: start .leitzentrale., rule <service name="File_system"> is dead' err; ok $? "06: duplicated File_system rule of leitzentrale is dead"
	grep -q ':18:1: warning: <default-route>, used by e.g. .timer.: a request for "Report" reaches <any-child/>' err; ok $? "06: default-route any-child is ambiguous for Report"
	"$SIGIL" genode --check "$cfgs"/07-*.xml > /dev/null 2> err; is "$?" 1 "07: errors"
	grep -q ':303:1: error: step .*: start .dummy., rule <service name="LOG">: child .log. does not provide "LOG"' err; ok $? "07: LOG routed to a child that does not provide it"
	grep -q ':1232:1: error: step .*: in the config of .service_init.: forwarded service "LOG": <child name="server"> names no start' err; ok $? "07: forwarded service to a missing child"
	"$SIGIL" genode --check "$cfgs"/08-*.xml > /dev/null 2> err; is "$?" 1 "08 (a deploy config, not an init config): errors"
	grep -q ':3:1: error: unknown top-level node <common_routes>' err; ok $? "08: <common_routes> is unknown to init"
fi

# --- graph
"$SIGIL" graph "$top"/examples/systems/hello.dhall > g.dot; is "$?" 0 "graph hello"
head -n 1 g.dot | grep -q '^digraph "hello" {$'; ok $? "graph: a digraph named after the system"
grep -q '"web" -> "log" \[label="Log \\"access\\""\];' g.dot; ok $? "graph: edge client → server with service and label"
grep -q '"cron" -> "log" \[label="Log"\];' g.dot; ok $? "graph: unlabeled use"
grep -q '"cron" \[label="cron\\nRAM 8.0 MiB, 32 caps"\];' g.dot; ok $? "graph: node with RAM and caps"
is "$(grep -c 'color=red' g.dot)" 0 "graph: nothing red in a fine system"
"$SIGIL" graph "$data"/graph.json > g2.dot
grep -q 'style=dashed, color=red.*exact \\"nobody\\"' g2.dot; ok $? "graph: a policy matching nothing is dashed red"
grep -q '"web" -> "?web:1" \[label="Block", color=red' g2.dot; ok $? "graph: a use no server takes goes to a red ?"
if command -v dot > /dev/null; then
	dot -Tcanon g2.dot > /dev/null 2>&1; ok $? "graph: dot parses the output"
	"$SIGIL" graph -T svg -o g.svg "$top"/examples/systems/hello.dhall; is "$?" 0 "graph -T svg"
	grep -q '<svg' g.svg && grep -q '>web</text>' g.svg; ok $? "graph -T svg: an SVG with the children"
else
	skip "no graphviz" "dot parses the output"; skip "no graphviz" "graph -T svg"; skip "no graphviz" "svg content"
fi
"$SIGIL" graph -T png "$data"/graph.json > /dev/null 2>&1; is "$?" 2 "graph: unknown -T is a usage error"
done_testing
