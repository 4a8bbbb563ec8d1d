#!/usr/bin/env bash
# dhall_json.sh — the dhall-to-json, `dhall decode` and `dhall format`
# commands as a user meets them: exact JSON for records, lists, Optional,
# unions, mapKey/mapValue lists, text escapes and numbers, pretty and
# compact; decoding CBOR back to Dhall; formatting and --check; and the exit
# codes of bad input (1), bad usage (2) and missing files (3).
. "$(dirname "$0")/tap.bash"
cd "$T"
J=$SIGIL_BUILD/bin/dhall-to-json
D=$SIGIL_BUILD/bin/dhall

j() { printf '%s' "$1" | "$J" "${@:2}"; }

is "$(j '{ b = 1, a = "x" }')" $'{\n  "a": "x",\n  "b": 1\n}' "a record, pretty, keys sorted"
is "$(j '{ b = 1, a = "x" }' --compact)" '{"a":"x","b":1}' "a record, compact"
is "$(j '[ [ 1, 2 ], [] : List Natural, [ 3 ] ]')" $'[\n  [\n    1,\n    2\n  ],\n  [],\n  [\n    3\n  ]\n]' \
	"nested lists, empty ones as []"
is "$(j '{ a = Some 1, b = None Natural, c = [ Some True, None Bool ] }' --compact)" \
	'{"a":1,"c":[true,null]}' "Optional: Some x is x, None is null, null fields are left out"
is "$(j '[ < A | B : Natural >.A, < A | B : Natural >.B 2 ]' --compact)" '["A",2]' \
	"unions: the constructor name, or the payload"
is "$(j '[ { mapKey = "k2", mapValue = 2 }, { mapKey = "k1", mapValue = 1 } ]' --compact)" \
	'{"k1":1,"k2":2}' "mapKey/mapValue lists are objects"
is "$(j '[] : List { mapKey : Text, mapValue : Bool }' --compact)" '{}' "an empty map is {}"
is "$(j '{=}')" '{}' "an empty record is {}"
is "$(j '"q\"b\\n\nt\tc\u0001é/"')" '"q\"b\\n\nt\tc\u0001é/"' "text escapes"
is "$(j '{ d = [ 1.0, 0.5, 1e-3 ], i = [ -2, +3 ], n = 18446744073709551616 }' --compact)" \
	'{"d":[1,0.5,1.0e-3],"i":[-2,3],"n":18446744073709551616}' "numbers"
printf '{ x = True }' > in.dhall
is "$("$J" --file in.dhall --compact)" '{"x":true}' "--file"
"$J" --file in.dhall > out.json; ok $? "exit 0 on success"
is "$(tail -c 1 out.json | od -An -c | tr -d ' ')" '\n' "output ends with a newline"

j 'λ(x : Natural) → x' > out 2> err; is $? 1 "a function has no JSON form: exit 1"
grep -q 'cannot translate to JSON: a function' err; ok $? "and says what: $(head -n 1 err)"
is "$(j '{ n = 1 + 2, t = "a" ++ Natural/show 4 }' --compact)" '{"n":3,"t":"a4"}' \
	"the input is evaluated first"
j '1 + True' > out 2> err; is $? 1 "a type error: exit 1"
grep -q '(stdin):1:.*Bool' err; ok $? "and says where and what: $(head -n 1 err)"
j 'NaN' 2> err > out; is $? 1 "NaN: exit 1"
test ! -s out; ok $? "and prints nothing on stdout"
j '{ a = ' 2> err; is $? 1 "a syntax error: exit 1"
grep -q '(stdin):1:' err; ok $? "with a position: $(head -n 1 err)"
"$J" --file no-such-file 2> err; is $? 3 "a missing file: exit 3"
"$J" --bogus 2> err; is $? 2 "an unknown option: exit 2"
"$J" --help > out; ok $? "--help"
grep -q -- '--compact' out; ok $? "--help lists --compact"
"$J" --version | grep -q 'dhall-to-json'; ok $? "--version"

# Output past 4 MiB to a regular file is written as it is made (the buffer
# spills); a render that fails after that (a function in the last element)
# cuts the file back. Peak RSS (GNU time) tells that the file runs did
# spill: through a pipe all 40 MB are held.
gen_big() {
	python3 - "$1" <<'PY'
import sys
t = "x" * 2000
last = "Some (\\(x : Bool) -> x)" if sys.argv[1] == "bad" else "None (Bool -> Bool)"
print("[ " + ", ".join('{ t = "%s", f = None (Bool -> Bool) }' % t for _ in range(20000)) +
      ', { t = "y", f = %s } ]' % last)
PY
}
gen_big good > big.dhall
gen_big bad > bad.dhall
rss() { /usr/bin/time -f %M -o rss.out "$@"; r=$?; RSS=$(tail -n 1 rss.out); return $r; }
rss "$J" --file big.dhall > big-file.json; is $? 0 "a 40 MB output to a file"
file_rss=$RSS
rss "$J" --file big.dhall | cat > big-pipe.json
pipe_rss=$(tail -n 1 rss.out)
cmp -s big-file.json big-pipe.json; ok $? "is the same as through a pipe ($(stat -c %s big-file.json) bytes)"
{ printf 'kept\n'; rss "$J" --file bad.dhall; } > bad.json 2> err; is $? 1 "no JSON form after 40 MB: exit 1"
bad_rss=$RSS
is "$(cat bad.json)" "kept" "and the file is cut back to where it stood"
grep -q 'JSON' err; ok $? "and says why: $(head -c 120 err)"
rss "$J" --file bad.dhall 2> /dev/null | cat > /dev/null
bad_pipe_rss=$(tail -n 1 rss.out)
if [ -n "${SIGIL_SAN:-}" ]; then
	skip "ASan's shadow memory falsifies RSS" "spilling keeps the peak RSS down"
else
	[ "$file_rss" -lt $((pipe_rss - 20000)) ] && [ "$bad_rss" -lt $((bad_pipe_rss - 20000)) ]
	ok $? "spilling keeps the peak RSS down: $file_rss and $bad_rss KB to a file, $pipe_rss and $bad_pipe_rss KB to a pipe"
fi

# dhall decode: CBOR back to Dhall source (and JSON)
printf '\x82\x0f\x18\x2a' > n.cbor                     # [15, 42]
is "$("$D" decode --file n.cbor)" '42' "decode a Natural"
printf '\xd9\xd9\xf7\x84\x03\x04\x82\x61\x78\x00\x82\x0f\x01' | "$D" decode > out
is "$(cat out)" 'x + 1' "decode an operator from stdin, self-describe tag first"
printf '\x82\x08\xa2\x61\x62\xf5\x61\x61\x82\x0f\x01' > r.cbor   # [8, {b: True, a: [15,1]}]
is "$("$D" decode --file r.cbor --json --compact)" '{"a":1,"b":true}' "decode --json --compact"
printf '\x83\x03\x00\x00' | "$D" decode 2> err; is $? 1 "decoding a malformed operator: exit 1"
grep -q 'operator' err; ok $? "and says why: $(cat err)"
printf '\x82\x0f' | "$D" decode 2> /dev/null; is $? 1 "truncated CBOR: exit 1"
# Duplicate fields of record and union *types* are type errors, not syntax
# errors: they encode (repeating the key) and decode back to the same tree,
# which the type checker then refuses. A record *literal* never repeats one.
for t in '< x : T | y | y >' '{ x : T, x : U }'; do
	printf '%s' "$t" | "$D" encode > dup.cbor
	is "$("$D" decode --file dup.cbor)" "$t" "a type with a duplicate field round-trips: $t"
done
printf '\x82\x08\xa2\x61\x61\xf5\x61\x61\xf4' | "$D" decode 2> err; is $? 1 "a record literal repeating a key: exit 1"
grep -q 'repeats a key' err; ok $? "and says so: $(cat err)"

# dhall format
is "$(printf '\\(x : Bool) -> x && (True || x)' | "$D" format)" 'λ(x : Bool) → x && (True || x)' \
	"format: Unicode, parentheses only where needed"
printf 'let x = 1 in x' | "$D" format > f.dhall
is "$(cat f.dhall)" $'let x = 1\n\nin  x' "format: let layout"
"$D" format --check --file f.dhall; is $? 0 "--check accepts formatted input"
printf 'let  x = 1 in x\n' > g.dhall
"$D" format --check --file g.dhall 2> err > out; is $? 1 "--check refuses unformatted input"
test ! -s out; ok $? "and prints nothing on stdout"
if "$D" encode --help >/dev/null 2>&1; then
	"$D" format --file g.dhall | "$D" encode > a.cbor && "$D" encode --file g.dhall > b.cbor
	cmp -s a.cbor b.cbor; ok $? "formatted source encodes like the original"
	"$D" decode --file a.cbor > h.dhall && "$D" format --check --file h.dhall
	ok $? "decode prints formatted source"
else
	skip "no dhall encode" "formatted source encodes like the original"
	skip "no dhall encode" "decode prints formatted source"
fi
printf '{ a = ' | "$D" format 2> /dev/null; is $? 1 "format of bad Dhall: exit 1"

# Values of the Prelude's JSON type (a Church encoding) render as the JSON
# they stand for; the expected text is what dhall-haskell's dhall-to-json
# 1.7.6 prints for the same input (nulls in objects left out, keys sorted).
P=${SIGIL_SHARED:-}/dhall/Prelude/JSON/package.dhall
if [ -f "$P" ]; then
	printf 'let J = %s in J.object (toMap { a = J.natural 1, n = J.null, e = J.object ([] : List { mapKey : Text, mapValue : J.Type }), b = J.array [J.string "x\\n", J.null, J.bool True, J.double 1.5, J.integer -3, J.array ([] : List J.Type) ] })' "$P" > church.dhall
	"$J" --file church.dhall > church.out; ok $? "a Prelude JSON value converts"
	printf '{\n  "a": 1,\n  "b": [\n    "x\\n",\n    null,\n    true,\n    1.5,\n    -3,\n    []\n  ],\n  "e": {}\n}\n' > church.want
	cmp -s church.out church.want; ok $? "to the JSON it stands for, as dhall-haskell prints it"
else
	skip "no Prelude under SIGIL_SHARED" "a Prelude JSON value converts"
	skip "no Prelude under SIGIL_SHARED" "to the JSON it stands for, as dhall-haskell prints it"
fi
done_testing
