#!/usr/bin/env bash
# dhall_eval.sh — the evaluating `dhall` subcommands as a user meets them:
# normalize (and the bare `dhall`), type, hash, resolve; local imports
# relative to the importing file, env:, `?`, `as Text`, hash checks and the
# cache; the Prelude through local imports; type errors with positions;
# the evaluation budget (a runaway normalization is an error, not a hang).
. "$(dirname "$0")/tap.bash"
cd "$T"
D=$SIGIL_BUILD/bin/dhall
export XDG_CACHE_HOME=$T/cache
P=${SIGIL_SHARED:-../shared}/dhall/Prelude

d() { printf '%s' "$1" | "$D" "${@:2}"; }

is "$(d '(λ(x : Natural) → x * 2) 21' normalize)" '42' "normalize applies a function"
is "$(d 'let f = λ(x : Natural) → x + 1 in f' normalize)" 'λ(x : Natural) → x + 1' \
	"normalize under a binder"
is "$(d 'List/length Natural [ 1, 2, 3 ]')" '3' "a bare dhall normalizes stdin"
printf '{ a = 1 } ⫽ { b = True }\n' > r.dhall
is "$("$D" --file r.dhall)" '{ a = 1, b = True }' "dhall --file F normalizes F"
is "$(d 'λ(x : Bool) → x' type)" '∀(x : Bool) → Bool' "type of a function"
H=$(d '{ a = 1 }' hash)
case "$H" in sha256:????????????????????????????????????????????????????????????????) ok 0 "hash prints sha256:HEX ($H)";; *) ok 1 "hash prints sha256:HEX ($H)";; esac
is "$(d '{ a = 0 + 1 }' hash)" "$H" "equivalent expressions hash alike"

mkdir -p sub
printf '{ x = 1 }\n' > sub/b.dhall
printf '(./b.dhall).x + 1\n' > sub/a.dhall
is "$("$D" normalize --file sub/a.dhall)" '2' "a local import is relative to the importing file"
is "$("$D" resolve --file sub/a.dhall)" '{ x = 1 }.x + 1' "resolve inlines without normalizing the rest"
HB=$(printf '{ x = 1 }' | "$D" hash)
printf './sub/b.dhall %s\n' "$HB" > h.dhall
is "$("$D" --file h.dhall)" '{ x = 1 }' "a hash-checked import"
test -f "$XDG_CACHE_HOME/dhall/1220${HB#sha256:}"; ok $? "lands in the cache"
printf './sub/b.dhall sha256:%064d\n' 0 > bad.dhall
"$D" --file bad.dhall 2> err > out; is $? 1 "a hash mismatch: exit 1"
grep -q 'hash mismatch' err; ok $? "and says so: $(head -n 1 err)"
is "$(SIGIL_T_VAR=hi "$D" normalize <<< 'env:SIGIL_T_VAR as Text')" '"hi"' "env: as Text"
is "$(SIGIL_T_VAR='2 + 3' "$D" normalize <<< 'env:SIGIL_T_VAR')" '5' "env: as code"
is "$(d './nope.dhall ? 7')" '7' "the ? fallback on a missing file"
is "$(d './sub/b.dhall as Text')" '"{ x = 1 }\n"' "as Text"
printf './c.dhall\n' > c.dhall
"$D" --file c.dhall 2> err > out; is $? 1 "an import cycle: exit 1"
grep -q 'cycle' err; ok $? "and says so: $(head -n 1 err)"
is "$(d "$P/List/map.dhall Natural Bool Natural/even [ 1, 2 ]")" '[ False, True ]' \
	"the Prelude through local imports"
is "$(d "let P = $P/package.dhall in P.Text.concatSep \", \" [ \"a\", \"b\" ]")" '"a, b"' \
	"the whole Prelude package"

printf 'let x = 1\nin  x + True\n' > t.dhall
"$D" --file t.dhall 2> err > out; is $? 1 "a type error: exit 1"
grep -q '^t.dhall:2:.*expected Natural, got Bool' err; ok $? "with file:line:col and the types: $(head -n 1 err)"
"$D" type --file t.dhall 2> /dev/null; is $? 1 "dhall type refuses it too"
d 'Natural/fold 1000000000000 Natural (λ(n : Natural) → n + 1) 0' > out 2> err
is $? 1 "a runaway fold is stopped: exit 1"
grep -q 'limit' err; ok $? "by the budget: $(head -n 1 err)"
"$D" normalize --help | grep -q -- '--file'; ok $? "normalize --help"

# the evaluator's short cuts for folds that build lists (List/map's normal
# form: builtins.c, fold fusion; eval.c, eval_cons) against the plain rules
is "$(d 'List/fold Natural [ 1, 2 ] (List Natural) (λ(x : Natural) → λ(xs : List Natural) → [ x + 1 ] # xs) [ 9 ]')" \
	'[ 2, 3, 9 ]' "List/fold with a cons-shaped function, onto a non-empty list"
is "$(d 'List/fold Natural [ 1, 2 ] (List Natural) (λ(x : Natural) → λ(xs : List Natural) → [ List/length Natural xs ] # xs) ([] : List Natural)')" \
	'[ 1, 0 ]' "List/fold whose element depends on the accumulator"
is "$(d 'λ(y : Natural) → List/fold Natural [ 1, 2 ] (List Natural) (λ(x : Natural) → λ(xs : List Natural) → [ x + y ] # xs) ([] : List Natural)')" \
	'λ(y : Natural) → [ 1 + y, 2 + y ]' "List/fold with a free variable in the element"
is "$(d 'λ(xs : List Natural) → List/fold Natural [ 1, 2 ] (List Natural) (λ(x : Natural) → λ(xs : List Natural) → [ x ] # xs@1) ([] : List Natural)')" \
	'λ(xs : List Natural) → [ 1 ] # xs' "List/fold appending to an outer variable of the same name"
is "$(d 'Natural/fold 3 (List Text) (λ(xs : List Text) → [ "a" ] # xs) [ "z" ]')" \
	'[ "a", "a", "a", "z" ]' "Natural/fold with a cons-shaped function"
is "$(d 'Natural/fold 0 (List Text) (λ(xs : List Text) → [ "a" ] # xs) [ "z" ]')" '[ "z" ]' \
	"Natural/fold zero times"
is "$(d 'List/build Natural (λ(list : Type) → λ(cons : Natural → list → list) → λ(nil : list) → cons 1 (cons 2 nil))')" \
	'[ 1, 2 ]' "List/build applying its cons"
is "$(d '(λ(x : Natural) → [ x ] # ([] : List Natural)) 4')" '[ 4 ]' "[ x ] # an empty list"
is "$(d '(λ(n : Natural) → "x${Natural/show n}y${Natural/show (n + 1)}") 41')" '"x41y42"' \
	"Natural/show in an interpolation"
is "$(d '"a${Natural/show 18446744073709551616}b"')" '"a18446744073709551616b"' \
	"Natural/show of a number past 64 bits in an interpolation"
is "$(d 'λ(n : Natural) → "x${Natural/show n}"')" 'λ(n : Natural) → "x${Natural/show n}"' \
	"Natural/show of a variable in an interpolation stays"

# libcurl is loaded by the first remote import only (lib/dhall/remote.c):
# the programs are not linked with it, and a local run never maps it
for prog in "$D" "$SIGIL_BUILD/bin/dhall-to-json"; do
	ldd "$prog" > ldd.out 2>&1; is $? 0 "ldd $(basename "$prog")"
	grep -q libcurl ldd.out; is $? 1 "$(basename "$prog") is not linked with libcurl"
done
LD_DEBUG=libs "$D" normalize <<< "$P/List/map.dhall Natural Bool Natural/even [ 1 ]" \
	> out 2> ld.err
is "$(cat out)" '[ False ]' "a run with local imports only"
grep -q 'libcurl' ld.err; is $? 1 "does not load libcurl"

# A list of records of lists 2,000 levels deep: each literal's type is
# checked on the values, not re-inferred from the whole type below it (that
# was O(depth^2) per element and ran out of the default step budget).
python3 -c '
d = 2000
item = lambda i: "{ a = [ " * d + str(i) + " ] }" * d
print("[ " + ", ".join(item(i) for i in range(50)) + " ]")' > deep.dhall
"$D" type --file deep.dhall > deep.type 2> err; is $? 0 "a 2,000-deep list of records of lists type-checks: $(head -c 200 err)"
grep -c 'List' deep.type > /dev/null; ok $? "and its type names List"

# remote imports against tests/unit/dhall_remote_server.py on 127.0.0.1
# (it stops when fd 9, its stdin, is closed)
TOP=${SIGIL_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
mkfifo ctl
python3 "$TOP/tests/unit/dhall_remote_server.py" "${SIGIL_SHARED:-../shared}/dhall" < ctl > port &
spid=$!
exec 9> ctl
for _ in $(seq 50); do [ -s port ] && break; sleep 0.1; done
U=http://127.0.0.1:$(head -n 1 port)
LD_DEBUG=libs "$D" normalize <<< "$U/test/cors/AllowedAll.dhall + 0" > out 2> ld.err
is "$(cat out)" '42' "a remote import over http"
grep -q 'calling init: .*libcurl.so.4' ld.err; ok $? "loads libcurl (at run time)"
is "$(d "$U/test/cors/SelfImportRelative.dhall")" '42' "a relative import inside a remote file is relative to its URL"
is "$(d "$U/github/dhall-lang/dhall-lang/x/tests/import/data/simpleLocation.dhall")" \
	"< Environment : Text | Local : Text | Missing | Remote : Text >.Remote
  \"$U/github/dhall-lang/dhall-lang/x/tests/import/data/simple.dhall\"" "as Location of a chained URL"
is "$(d "$U/httpbin/user-agent using [ { mapKey = \"User-Agent\", mapValue = \"t\" } ] as Text")" \
	'"{\n  \"user-agent\": \"t\"\n}\n"' "using headers are sent"
is "$(d "$U/test/nonexistent.dhall ? 7")" '7' "an HTTP 404 falls back with ?"
HR=$(d '42' hash)
is "$(d "$U/test/cors/AllowedAll.dhall $HR")" '42' "a hashed remote import"
test -f "$XDG_CACHE_HOME/dhall/1220${HR#sha256:}"; ok $? "lands in the cache"
d "$U/github/dhall-lang/dhall-lang/x/tests/import/data/referentiallyOpaque.dhall" > out 2> err
grep -q 'may not refer' err; ok $? "a remote file may not import env: ($(head -n 1 err))"
d "ftp://127.0.0.1/x" > out 2> err; is $? 1 "ftp:// is not an import"
exec 9>&-
wait "$spid"; is $? 0 "the local server stopped by itself"
done_testing
