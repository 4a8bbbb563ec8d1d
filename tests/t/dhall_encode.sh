#!/usr/bin/env bash
# dhall_encode.sh — `dhall encode` as a user meets it: the binary encoding on
# stdout (checked with an independent CBOR reader, python3-cbor2), --file,
# syntax errors as file:line:col with the line and a caret (exit 1), a
# missing file (exit 3), --help, and nesting far deeper than a C stack holds.
. "$(dirname "$0")/tap.bash"
cd "$T"
DHALL=$SIGIL_BUILD/bin/dhall

hex() { od -An -tx1 | tr -d ' \n'; }

is "$(printf '1' | "$DHALL" encode | hex)" "820f01" "1 encodes as [15, 1]"
is "$(printf 'x@2' | "$DHALL" encode | hex)" "82617802" "x@2 encodes as [\"x\", 2]"
is "$(printf '1.0' | "$DHALL" encode | hex)" "f93c00" "1.0 is a half float"
is "$(printf '[] : List Bool' | "$DHALL" encode | hex)" "820464426f6f6c" "[] : List Bool is [4, \"Bool\"]"

printf '{ zeta = 1, alpha = True, mid = "s" }' > rec.dhall
"$DHALL" encode --file rec.dhall > rec.cbor; ok $? "--file reads a file"
# python3-cbor2 is Debian's: the python3 first on PATH may be another one
PY=/usr/bin/python3
for p in python3 /usr/bin/python3; do
	if "$p" -c 'import cbor2' 2>/dev/null; then PY=$p; break; fi
done
got=$("$PY" -c '
import cbor2, sys
v = cbor2.loads(open(sys.argv[1], "rb").read())
print(v[0], list(v[1].keys()), v[1]["alpha"], v[1]["zeta"], v[1]["mid"])' rec.cbor 2>&1)
is "$got" "8 ['alpha', 'mid', 'zeta'] True [15, 1] [18, 's']" "a record literal decodes (cbor2) with its fields sorted"

printf 'let f = \\(x : Natural) -> x + 1\nin  f 2 ++ )\n' > bad.dhall
"$DHALL" encode --file bad.dhall > out 2> err; s=$?
is "$s" 1 "a syntax error exits 1"
head -n 1 err | grep -q '^bad.dhall:2:12: error: expected an expression' ; ok $? "and names file:line:col: $(head -n 1 err)"
sed -n 2p err | grep -q 'in  f 2 ++ )'; ok $? "then shows the offending line"
is "$(sed -n 3p err | tr -d ' ')" "|^" "then a caret under the column"
[ ! -s out ]; ok $? "and writes nothing to stdout"

"$DHALL" encode --file missing.dhall 2> err; s=$?
is "$s" 3 "a missing file exits 3"
grep -q "missing.dhall" err; ok $? "naming the file: $(cat err)"

"$DHALL" encode --help > help; ok $? "encode --help exits 0"
grep -q -- '--file' help; ok $? "and documents --file"
"$DHALL" encode --bogus 2>/dev/null; is "$?" 2 "an unknown option is a usage error"

python3 -c 'print("(" * 20000 + "1" + ")" * 20000)' > deep.dhall
is "$("$DHALL" encode --file deep.dhall | hex)" "820f01" "20,000 nested parentheses parse"
python3 -c 'print("[" * 200000 + "1" + "]" * 200000)' > deeper.dhall
"$DHALL" encode --file deeper.dhall > /dev/null 2> err; s=$?
is "$s" 1 "nesting past the limit is refused (exit 1), not a crash"
grep -q 'nested deeper than' err; ok $? "with a clear message: $(head -n 1 err)"

printf '\xff' | "$DHALL" encode > /dev/null 2> err; s=$?
is "$s" 1 "invalid UTF-8 is a syntax error"
done_testing
