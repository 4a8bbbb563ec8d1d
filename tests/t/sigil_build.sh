#!/usr/bin/env bash
# sigil_build.sh — `sigil build`: every child's closure and ROM end up in the
# store, the description is stored and its URN printed and written to
# OUT/system.urn; two builds from clean stores give the same root URN; a
# changed input gives another; an unchanged rebuild uses the build cache
# (the store is left as it was) and is faster; a terminal gets a progress
# line per child; a
# broken system builds nothing. The stored description loads back, names
# each binary by the URN of a closure `sigil exec` runs, and holds the Dhall
# ROM as its binary encoding.
. "$(dirname "$0")/tap.bash"
cd "$T" || exit 1
top=${SIGIL_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
SIGIL=$SIGIL_BUILD/bin/sigil
DHALL=$SIGIL_BUILD/bin/dhall
ex=$top/examples/systems

urn=$("$SIGIL" build -q -o out1 "$ex/tiny.dhall"); ok $? "sigil build tiny.dhall"
case "$urn" in urn:eris:*) ok 0 "prints a URN" ;; *) ok 1 "prints a URN (got '$urn')" ;; esac
is "$(cat out1/system.urn)" "$urn" "and writes it to OUT/system.urn"
"$ERIS" verify -s pack:out1/store.pack "$urn" > /dev/null; ok $? "the description is complete and valid in OUT/store.pack"

cp -r "$ex" sys
urn2=$("$SIGIL" build -q -o out2 sys/tiny.dhall); ok $? "a second build from a clean store, from another directory"
is "$urn2" "$urn" "gives the same root URN (reproducible)"

"$ERIS" get -s pack:out1/store.pack "$urn" -o desc.cbor; ok $? "the description decodes"
"$SIGIL" check -q desc.cbor; ok $? "and passes sigil check"
PY=/usr/bin/python3
for p in python3 /usr/bin/python3; do "$p" -c 'import cbor2' 2>/dev/null && { PY=$p; break; }; done
"$PY" - desc.cbor > fields <<'PY'
import cbor2, sys
d = cbor2.loads(open(sys.argv[1], "rb").read())
r = d["children"]["reader"]
g = d["children"]["greeter"]
print(r["binary"])
print(g["binary"])
print(r["roms"][0]["name"], r["roms"][0]["urn"])
print(g["roms"][0]["name"], g["roms"][0]["urn"])
PY
ok $? "cbor2 reads the description"
read -r reader_bin < fields
case "$reader_bin" in urn:eris:*) ok 0 "binaries are URNs now" ;; *) ok 1 "binaries are URNs now ($reader_bin)" ;; esac
printf 'sigil\n' > hello.txt
out=$("$SIGIL" exec -s pack:out1/store.pack "$reader_bin" "$T/hello.txt" 2>&1)
is "$out" "sigil" "the reader's binary URN runs under sigil exec (it is /bin/cat)"
config_urn=$(sed -n 3p fields | cut -d' ' -f2)
"$ERIS" get -s pack:out1/store.pack "$config_urn" -o config.cbor; ok $? "the Dhall ROM decodes"
"$DHALL" encode --file "$ex/roms/tiny-config.dhall" > want.cbor
cmp -s config.cbor want.cbor; ok $? "and is the binary encoding of tiny-config.dhall"
greet_urn=$(sed -n 4p fields | cut -d' ' -f2)
is "$("$ERIS" get -s pack:out1/store.pack "$greet_urn")" "hello from sigil" "the text ROM decodes to its text"

# incremental and input-sensitive
grep -c '^binary:' out1/build-cache > n; is "$(cat n)" 2 "the build cache records both binaries"
before=$(stat -c '%s %Y' out1/store.pack; sha256sum < out1/store.pack)
sleep 1.1 # an append would move the mtime by at least a second
urn3=$("$SIGIL" build -q -o out1 "$ex/tiny.dhall"); is "$urn3" "$urn" "an unchanged rebuild gives the same URN"
is "$(stat -c '%s %Y' out1/store.pack; sha256sum < out1/store.pack)" "$before" \
	"an unchanged rebuild encodes nothing: the store's size, mtime and bytes are unchanged"
# timed: a build into a clean store (every closure imported), then unchanged
rm -rf out5; t0=$(date +%s%N); "$SIGIL" build -q -o out5 "$ex/tiny.dhall" > /dev/null
t1=$(date +%s%N); "$SIGIL" build -q -o out5 "$ex/tiny.dhall" > /dev/null; t2=$(date +%s%N)
full=$(((t1 - t0) / 1000000)) again=$(((t2 - t1) / 1000000))
[ "$again" -lt "$full" ]; ok $? "the unchanged rebuild is faster: $again ms against $full ms from a clean store"
# the progress line: on a terminal (script(1) gives it one), not otherwise
script -qc "'$SIGIL' build -o out5 '$ex/tiny.dhall'" /dev/null < /dev/null > tty.out 2>&1
grep -aq 'sigil build: child 2/2 reader' tty.out; ok $? "on a terminal, a progress line per child: $(tr '\r' '\n' < tty.out | grep -a -m1 'child 1/2')"
"$SIGIL" build -o out5 "$ex/tiny.dhall" > /dev/null 2> notty.err
! grep -q 'child 1/2' notty.err; ok $? "not on a terminal: no progress line"
printf '{ greeting = "Greeting", retries = 4, verbose = False }\n' > sys/roms/tiny-config.dhall
urn4=$("$SIGIL" build -q -o out2 sys/tiny.dhall)
[ -n "$urn4" ] && [ "$urn4" != "$urn" ]; ok $? "a changed ROM input gives another root URN"

# a damaged build cache is a miss, never a crash or a wrong answer
{ head -c 60 out1/build-cache; printf '\nbinary:/bin/cat\turn:eris:XYZ\t3\t/usr/bin/cat\n\t\t\tgarbage\n'; } > cache.bad
cp cache.bad out1/build-cache
urn5=$("$SIGIL" build -q -o out1 "$ex/tiny.dhall"); s=$?
is "$s$urn5" "0$urn" "a truncated, garbled build cache still builds the same URN"

# a broken system builds nothing
sed 's/ram = 8388608, caps = 32/ram = 1024, caps = 32/' "$ex/tiny.dhall" > sys/broken.dhall
"$SIGIL" build -o out3 sys/broken.dhall > /dev/null 2> err; s=$?
is "$s" 1 "a system with an error is not built (exit 1)"
grep -q "less than the runtime's own overhead" err; ok $? "the finding is shown: $(grep error err | head -n 1)"
[ ! -e out3/system.urn ]; ok $? "and no system.urn is written"
sed 's|"/bin/cat"|"/nonexistent/cat"|' "$ex/tiny.dhall" > sys/missing.dhall
"$SIGIL" build -o out4 sys/missing.dhall > /dev/null 2> err; s=$?
[ "$s" -ne 0 ] && [ ! -e out4/system.urn ]; ok $? "a missing binary stops the build: $(head -n 1 err)"
"$SIGIL" build --help | grep -q 'root URN'; ok $? "build --help"
done_testing
