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

for f in "$top"/examples/systems/*.dhall; do
	"$SIGIL" check "$f" > out 2> err; s=$?
	is "$s" 0 "example $(basename "$f") passes$( [ "$s" = 0 ] || echo ": $(head -n 3 err)")"
done

while IFS='|' read -r file sev text; do
	case "$file" in ''|'#'*) continue ;; esac
	"$SIGIL" check "$data/$file" > out 2> err; s=$?
	want=1; [ "$sev" = warning ] && want=0
	is "$s" "$want" "$file: exit $want"
	n=$(grep -cE ": $sev: " err)
	is "$n" 1 "$file: exactly one $sev"
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
done_testing
