#!/usr/bin/env bash
# sigil_check.sh — `sigil check` against a corpus of broken systems, one per
# check (tests/data/system/, listed with the expected finding in EXPECT):
# each must produce exactly one finding of its severity, the expected one, with a hint,
# and exit 1 for errors (0 for warnings, 1 with --werror). The valid
# examples (tests/data/system/valid.json, examples/systems/*.dhall) pass.
# Also: file:line:col positions in Dhall sources, parse errors, usage.
. "$(dirname "$0")/tap.bash"
cd "$T" || exit 1
top=${SIGIL_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
SIGIL=$SIGIL_BUILD/bin/sigil
data=$top/tests/data/system

"$SIGIL" check "$data/valid.json" > out 2> err; s=$?
is "$s" 0 "valid.json passes"
grep -q "system 't' is fine: 3 children" out; ok $? "and says so: $(cat out)"

# Nested inits: labels are seen from the innermost init holding client and
# server (docs/system.md): inside "shell", vfs's exact "tools -> ls" serves
# "shell -> tools -> ls"; at the top, log's prefix "shell -> " serves both.
"$SIGIL" check "$data/nested-valid.json" > out 2> err; is "$?" 0 "nested-valid.json passes$( [ -s err ] && echo ": $(head -n 2 err)")"
"$SIGIL" graph "$data/nested-valid.json" > g.dot
grep -qF '"shell -> tools -> ls" -> "shell -> vfs" [label="File_system"]' g.dot; ok $? "nested: ls (two inits deep) reaches vfs inside shell"
grep -qF '"shell -> bash" -> "shell -> vfs" [label="File_system"]' g.dot; ok $? "nested: bash reaches its sibling vfs"
grep -qF '"shell -> tools -> ls" -> "log" [label="Log \"ls\""]' g.dot; ok $? "nested: ls reaches log at the top"
grep -q 'matches no use' g.dot; is "$?" 1 "nested: every policy is used"

# Services of the system's parent: policies name clients from the top; in
# Genode they are <parent/> routes, passed up by every init on the way.
"$SIGIL" check "$data/parent-valid.json" > out 2> err; is "$?" 0 "parent-valid.json passes$( [ -s err ] && echo ": $(head -n 2 err)")"
"$SIGIL" graph "$data/parent-valid.json" > g.dot
grep -qF '"web" -> "(parent)" [label="Syslog"]' g.dot; ok $? "parent: web reaches the parent's Syslog"
grep -qF '"shell -> bash" -> "(parent)" [label="Syslog \"audit\""]' g.dot; ok $? "parent: bash inside shell reaches it too"
"$SIGIL" genode "$data/parent-valid.json" > p.xml; is "$?" 0 "parent: renders as Genode XML"
grep -c '<service name="Syslog"/>' p.xml > n.out; is "$(cat n.out)" 2 "parent: Syslog in the top's and in shell's <parent-provides>"
grep -qF '<service name="Syslog" label="bash -> audit"> <parent/> </service>' p.xml; ok $? "parent: shell passes bash's session up"
grep -qF '<service name="Syslog"> <parent/> </service>' p.xml; ok $? "parent: web's route to <parent/>"
"$SIGIL" genode --check p.xml > /dev/null 2> err; is "$(grep -cE ': (error|warning): ' err)" 0 "parent: the rendering passes --check$( [ -s err ] && echo ": $(head -n 2 err)")"
"$SIGIL" genode --import --name t p.xml > p.dhall && "$SIGIL" genode p.dhall > p2.xml; cmp -s p.xml p2.xml; ok $? "parent: render → import → render is a fixpoint"
grep -qF 'exact = Some "shell -> bash -> audit"' p.dhall; ok $? "parent: the import names bash's session from the top"

# Every example passes: in normal form it loads directly (positions kept);
# written with dhall/Sigil/package.dhall it is resolved, type-checked and
# normalized by our evaluator. Where dhall-haskell's rendering of it is
# recorded (tests/data/system/NAME.peer.json), both give byte-identical
# descriptions.
for f in "$top"/examples/systems/*.dhall; do
	n=$(basename "$f" .dhall)
	"$SIGIL" check -q -o "$n.cbor" "$f" > out 2> err; s=$?
	is "$s" 0 "example $n.dhall passes$( [ "$s" = 0 ] || echo ": $(head -n 3 err)")"
	if [ -f "$data/$n.peer.json" ]; then
		"$SIGIL" check -q -o "$n.peer.cbor" "$data/$n.peer.json" > out 2> err; s=$?
		is "$s" 0 "example $n as dhall-haskell's JSON passes$( [ "$s" = 0 ] || echo ": $(head -n 3 err)")"
		cmp -s "$n.cbor" "$n.peer.cbor"; ok $? "example $n: our evaluation and dhall-haskell's give the same description"
	fi
done

while IFS='|' read -r file sev text; do
	case "$file" in ''|'#'*) continue ;; esac
	"$SIGIL" check "$data/$file" > out 2> err; s=$?
	want=1; [ "$sev" = warning ] && want=0
	is "$s" "$want" "$file: exit $want"
	n=$(grep -cE ": (error|warning): " err)
	is "$n" 1 "$file: exactly one finding, and it is an $sev$( [ "$n" = 1 ] || echo ": $(grep -E ': (error|warning): ' err | head -n 3 | tr '\n' ' ')")"
	grep -qE ": $sev: " err; ok $? "$file: the finding is an $sev"
	grep -F -- "$sev: " err | grep -qF -- "$text"; ok $? "$file: $sev: …$text…"
	if [ "$sev" = warning ]; then
		"$SIGIL" check --werror "$data/$file" > /dev/null 2>&1; is "$?" 1 "$file: --werror fails on it"
	fi
	case "$file" in
	unknown-field.json|missing-field.json|wrong-type.json) ;; # shape errors name a path
	*) grep -q '^  hint: ' err; ok $? "$file: with a hint" ;;
	esac
done < "$data/EXPECT"

# Positions: a Dhall source points at the offending value.
cat > pos.dhall <<'DH'
{ name = "p"
, ram = 268435456
, caps = 1000
, children = toMap
    { a =
      { binary = "/bin/a"
      , resources = { ram = 1024, caps = 64 }
      }
    }
}
DH
"$SIGIL" check pos.dhall 2> err; s=$?
is "$s" 1 "a Dhall system with too little RAM fails"
grep -q "^pos.dhall:7:29: error: child 'a' has 1024 bytes of RAM" err; ok $? "pointing at the value (7:29): $(head -n 1 err)"
grep -q "hint: raise children.a.resources.ram to at least 2097152" err; ok $? "hint names the value and the minimum"

# Positions survive evaluation: a system written with the package (a
# function, completions, defaults, toMap) is normalized before it is
# checked, and each finding still points at what the file wrote
# (lib/system/srcpos.c): a value made by a function at the function's
# field, each list element at itself, a default at the record it was left
# out of.
cat > pk.dhall <<DH
let Sigil = $top/dhall/Sigil/package.dhall

let worker =
      \\(name : Text) ->
        Sigil.Child::{
        , binary = "/usr/bin/worker"
        , resources = Sigil.Resources::{ ram = 1024 }
        , uses = [ Sigil.Use::{ service = "Log" } ]
        }

in  Sigil.System::{
    , name = "pk"
    , ram = Sigil.units.MiB 64
    , children = toMap
        { log = Sigil.Child::{
          , binary = "/usr/bin/logger"
          , resources = Sigil.Resources::{ ram = Sigil.units.MiB 16 }
          , provides =
            [ Sigil.Service::{
              , name = "Log"
              , policies = [ Sigil.Policy::{ label = Sigil.label.exact "nobody" } ]
              }
            ]
          }
        , web = Sigil.Child::{
          , binary = "/usr/sbin/nginx"
          , resources = Sigil.Resources::{ ram = Sigil.units.MiB 64, caps = 3 }
          , uses = [ Sigil.Use::{ service = "Timer" }, Sigil.Use::{ service = "Log" } ]
          }
        , a = worker "a"
        , b = Sigil.Child::{ binary = "/usr/bin/b", resources = Sigil.Resources::{ caps = 4 } }
        }
    }
DH
"$SIGIL" check pk.dhall 2> err; s=$?
is "$s" 1 "a package-style system with errors fails"
for want in "7:48: error: child 'a' has 1024 bytes of RAM" \
	"27:77: error: child 'web' has 3 caps" \
	"13:18: error: the children's RAM" \
	"8:29: warning: child 'a' uses \"Log\" (label \"a\") but no server's policy names it" \
	"28:31: error: child 'web' uses \"Timer\"" \
	"28:65: warning: child 'web' uses \"Log\" (label \"web\") but no server's policy" \
	"21:42: warning: child 'log', service \"Log\": the policy (exact \"nobody\") matches no client" \
	"31:91: error: child 'b' has 4 caps"; do
	grep -qF "pk.dhall:$want" err; ok $? "package style: pk.dhall:$want"
done
! grep -q '^pk.dhall:1:1:' err; ok $? "package style: no finding at 1:1 ($(grep -c '^pk.dhall:1:1:' err) there)"

printf '{ name = "x", ram = 1, caps = 1, children = toMap { a = { binary = "/b", resourcs = 1 } } }' > typo.dhall
"$SIGIL" check typo.dhall 2> err
grep -q "^typo.dhall:1:85: error: children.a: unknown field 'resourcs'" err; ok $? "unknown field at its position: $(head -n 1 err)"
grep -q "hint: known fields: binary args env resources" err; ok $? "listing the known fields"

printf '{ name = "x" ' > broken.dhall
"$SIGIL" check broken.dhall 2> err; s=$?
is "$s" 1 "a syntax error exits 1"
grep -q '^broken.dhall:1:' err; ok $? "with its position"
"$SIGIL" check missing.dhall 2> /dev/null; is "$?" 3 "a missing file exits 3"
"$SIGIL" check 2> /dev/null; is "$?" 2 "no argument is a usage error"
"$SIGIL" check --help | grep -q 'SYSTEM'; ok $? "check --help"
# The description (-o): canonical CBOR, the same from Dhall and from JSON
# (tests/data/system/hello.peer.json is dhall-haskell's dhall-to-json of
# examples/systems/hello.dhall), and loading it back re-encodes identically.
"$SIGIL" check -q -o d.cbor "$top/examples/systems/hello.dhall"; ok $? "check -o writes the description"
"$SIGIL" check -q -o j.cbor "$data/hello.peer.json"; ok $? "the same system as JSON"
cmp -s d.cbor j.cbor; ok $? "Dhall and JSON give byte-identical descriptions"
"$SIGIL" check -q -o d2.cbor d.cbor; ok $? "the description loads back (sigil check of .cbor)"
cmp -s d.cbor d2.cbor; ok $? "and re-encodes byte-identically"
PY=/usr/bin/python3
for p in python3 /usr/bin/python3; do "$p" -c 'import cbor2' 2>/dev/null && { PY=$p; break; }; done
got=$("$PY" -c '
import cbor2, sys
raw = open(sys.argv[1], "rb").read()
v = cbor2.loads(raw)
assert cbor2.dumps(v, canonical=True) == raw, "not canonical"
print(v["name"], sorted(v["children"]), v["children"]["web"]["resources"]["ram"], v["children"]["log"]["restart"])' d.cbor 2>&1)
is "$got" "hello ['cron', 'log', 'web'] 67108864 Always" "cbor2 reads it, and it is canonical CBOR"
"$SIGIL" check broken.dhall -o never.cbor 2>/dev/null; [ ! -e never.cbor ]; ok $? "nothing is written for a failing system"
head -c 20 d.cbor > cut.cbor
"$SIGIL" check cut.cbor 2> err; is "$?" 1 "a truncated description is refused"
grep -q 'bad system description at byte' err; ok $? "saying where: $(head -n 1 err)"
# The descriptions match the CDDL of docs/system-format.md, read by
# tests/t/cddl_check.py (an independent CBOR reader, python3-cbor2); a
# description broken in each of eight ways does not.
PY=
for p in python3 /usr/bin/python3; do
	if command -v "$p" > /dev/null && "$p" -c 'import cbor2' 2>/dev/null; then PY=$p; break; fi
done
if [ -z "$PY" ]; then
	skip "python3-cbor2 is not installed" "descriptions against the CDDL"
else
	"$SIGIL" check -q -o full.cbor "$data/full.json" 2> err; is "$?" 0 "full.json (every optional field) passes$( [ -s err ] && echo ": $(head -n 2 err)")"
	descs="full.cbor"
	for f in "$top"/examples/systems/*.dhall; do
		n=$(basename "$f" .dhall)
		descs="$descs $n.cbor$( [ -f "$n.peer.cbor" ] && echo " $n.peer.cbor")"
	done
	# shellcheck disable=SC2086
	"$PY" "$top/tests/t/cddl_check.py" "$top/docs/system-format.md" system $descs > cddl.out
	ok $? "$(grep -c ': ok$' cddl.out) descriptions match the CDDL$(grep -v ': ok$' cddl.out | head -n 2 | sed 's/^/: /')"
	"$PY" - full.cbor <<'PY'
import cbor2, copy, sys
d = cbor2.load(open(sys.argv[1], "rb"))
def bad(name, change):
    x = copy.deepcopy(d)
    change(x, next(iter(x["children"].values())))
    cbor2.dump(x, open("bad-" + name + ".cbor.x", "wb"))
bad("noram", lambda s, c: s.pop("ram"))
bad("extra", lambda s, c: s.update(extra=1))
bad("ramtext", lambda s, c: c["resources"].update(ram="1"))
bad("mount2", lambda s, c: c.update(mounts=[{"target": "/a", "state": "s", "tmpfs": 1, "writable": True}]))
bad("mount0", lambda s, c: c.update(mounts=[{"target": "/a", "writable": True}]))
bad("rom2", lambda s, c: c.update(roms=[{"name": "a", "path": "/x", "text": "y"}]))
bad("restart", lambda s, c: c.update(restart="Sometimes"))
bad("initfalse", lambda s, c: c.update(init=False))
PY
	for f in bad-*.cbor.x; do
		"$PY" "$top/tests/t/cddl_check.py" "$top/docs/system-format.md" system "$f" > cddl.out
		is "$?" 1 "${f%.cbor.x} does not match the CDDL: $(cut -c1-100 cddl.out)"
	done
fi

done_testing
