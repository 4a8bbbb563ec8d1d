#!/usr/bin/env bash
# eris_cli.sh — the eris command as a user meets it: put, get, sum, verify,
# --help, exit codes, and bad input (one clear line on stderr, non-zero exit,
# nothing written to -o OUT unless decoding succeeded).
. "$(dirname "$0")/tap.bash"
cd "$T"
V=${SIGIL_SHARED}/eris/test-vectors

printf 'Hello world!' > hello
out=$("$ERIS" sum -b 1KiB hello); ok $? "sum runs"
is "$out" "urn:eris:BIAD77QDJMFAKZYH2DXBUZYAP3MXZ3DJZVFYQ5DFWC6T65WSFCU5S2IT4YZGJ7AC4SYQMP2DM2ANS2ZTCP3DJJIRV733CRAAHOSWIYZM3M  hello" \
	"sum of \"Hello world!\" is test vector 00"
vector_urn() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["urn"])' "$V/eris-test-vector-positive-$1.json" 2>/dev/null; }
want=$(vector_urn 01)
if [ -n "$want" ]; then
	is "$("$ERIS" sum -b 32KiB hello | cut -d' ' -f1)" "$want" "-b 32KiB gives test vector 01"
else
	skip "no test vectors" "-b 32KiB gives test vector 01"
fi
out=$(printf 'Hello world!' | "$ERIS" sum - | cut -d' ' -f1)
is "$out" "urn:eris:BIAD77QDJMFAKZYH2DXBUZYAP3MXZ3DJZVFYQ5DFWC6T65WSFCU5S2IT4YZGJ7AC4SYQMP2DM2ANS2ZTCP3DJJIRV733CRAAHOSWIYZM3M" \
	"stdin with auto block size picks 1 KiB for small content"

# the non-null secret of vector 09: base32 decode of the vector's field
python3 - "$V/eris-test-vector-positive-09.json" > secret <<'PY' 2>/dev/null
import base64, json, sys
s = json.load(open(sys.argv[1]))["convergence-secret"]
sys.stdout.buffer.write(base64.b32decode(s + "=" * (-len(s) % 8)))
PY
if [ -s secret ]; then
	want=$(vector_urn 09)
	out=$("$ERIS" sum -b 1KiB --secret-file secret hello | cut -d' ' -f1)
	is "$out" "$want" "--secret-file gives test vector 09"
else
	skip "no test vectors" "--secret-file gives test vector 09"
fi
head -c 31 /dev/zero > short
"$ERIS" sum --secret-file short hello 2>err; s=$?
is "$s" 2 "a 31-byte secret file is a usage error"
grep -q 'exactly 32 bytes' err; ok $? "and says so: $(cat err)"
head -c 33 /dev/zero > long
"$ERIS" sum --secret-file long hello 2>/dev/null; is $? 2 "a 33-byte secret file is refused"

# put / get round trips, several sizes, both block sizes
head -c 3000000 /dev/urandom > big
: > empty
for f in hello big empty; do
	for b in 1KiB 32KiB auto; do
		u=$("$ERIS" put -s store -b $b $f | cut -d' ' -f1)
		"$ERIS" get -s store "$u" > got.$f.$b && cmp -s got.$f.$b $f
		ok $? "put/get $f with -b $b"
	done
done
u=$("$ERIS" put -s store big | cut -d' ' -f1)
is "$("$ERIS" sum big | cut -d' ' -f1)" "$u" "put and sum agree"
is "$("$ERIS" sum -j 1 big | cut -d' ' -f1)" "$u" "one thread and many give the same urn"
out=$("$ERIS" put -s store hello big 2>&1 | wc -l); is "$out" 2 "put of two files prints two lines"
"$ERIS" get -s store "$u" -o out.bin; ok $? "get -o"
cmp -s out.bin big; ok $? "get -o writes the content"
"$ERIS" get -s store "$u" --range 1000000:5000 > part
tail -c +1000001 big | head -c 5000 | cmp -s - part; ok $? "--range 1000000:5000 is that slice"
"$ERIS" get -s store "$u" --range 2999990:100 > part
is "$(wc -c < part | tr -d ' ')" 10 "a range past the end is cut short"
"$ERIS" get -s store "$u" --range 3000001:1 2>err >/dev/null; is $? 2 "a range starting past the end is refused"
"$ERIS" get -s store "$u" --range 12 2>/dev/null >/dev/null; is $? 2 "a malformed range is a usage error"
out=$("$ERIS" verify -s store "$u"); ok $? "verify passes: $out"

# bad input: one line on stderr, the right exit status, no partial output
"$ERIS" get -s store urn:eris:NOPE 2>err >/dev/null; is $? 2 "a malformed urn exits 2"
is "$(wc -l < err | tr -d ' ')" 1 "with one line on stderr: $(cat err)"
"$ERIS" get -s nostore "$u" 2>err >/dev/null; is $? 3 "a missing store exits 3: $(cat err)"
mkdir plain
"$ERIS" get -s plain "$u" 2>err >/dev/null; is $? 3 "a directory that is not a store exits 3: $(cat err)"

# a store holding only "big", so every block in it is one of big's
"$ERIS" put -s only -b 32KiB big > /dev/null
cp -r only damaged
victim=$(find damaged -type f -path '*/??/*' | sort | sed -n 5p)
chmod u+w "$victim"; printf 'X' | dd of="$victim" bs=1 seek=10 conv=notrunc 2>/dev/null
echo "keep me" > out.bin
"$ERIS" get -s damaged "$u" -o out.bin 2>err; s=$?
is "$s" 1 "get from a store with a damaged block exits 1"
grep -q 'does not hash to its reference' err; ok $? "naming the block: $(cat err)"
is "$(cat out.bin)" "keep me" "-o OUT is left untouched when decoding fails"
ls -a | grep -q '\.tmp\.' ; is $? 1 "no temporary file is left behind"
"$ERIS" verify -s damaged "$u" >/dev/null 2>&1; is $? 1 "verify exits 1 for a damaged block"
"$ERIS" verify -s only "$u" >/dev/null 2>&1; is $? 0 "and 0 for the undamaged store"

cp -r only holey
victim=$(find holey -type f -path '*/??/*' -size 32k | sort | head -n 1)
rm -f "$victim"
"$ERIS" get -s holey "$u" -o out2.bin 2>err; is $? 1 "a missing block exits 1"
grep -q 'missing block' err; ok $? "naming it: $(cat err)"
[ ! -e out2.bin ]; ok $? "and -o OUT is not created"
"$ERIS" verify -s holey "$u" 2>/dev/null; is $? 1 "verify exits 1 for a missing block"

cp -r only trunc
victim=$(find trunc -type f -path '*/??/*' -size 32k | sort | head -n 1)
chmod u+w "$victim"; truncate -s 20000 "$victim"
"$ERIS" get -s trunc "$u" > /dev/null 2>err; is $? 1 "a truncated block exits 1: $(cat err)"

"$ERIS" put -s store no-such-file 2>err; is $? 3 "put of a missing file exits 3: $(cat err)"
"$ERIS" put -s store . 2>err; is $? 2 "put of a directory is refused: $(cat err)"
"$ERIS" sum -b 4KiB hello 2>err; is $? 2 "an unknown block size exits 2: $(cat err)"
"$ERIS" frob 2>err; is $? 2 "an unknown command exits 2"
"$ERIS" get --bogus 2>err; is $? 2 "an unknown option exits 2: $(head -n 1 err)"
"$ERIS" put -s s3:x hello 2>err; is $? 3 "an unknown store type is refused: $(cat err)"

for c in put get sum verify; do
	"$ERIS" $c --help > help; s=$?
	grep -q "^usage: eris $c" help && [ "$s" -eq 0 ]; ok $? "eris $c --help"
done
"$ERIS" --help | grep -q '^commands:'; ok $? "eris --help lists the commands"
"$ERIS" help get | grep -q '^usage: eris get'; ok $? "eris help get"
"$ERIS" --version | grep -q 'ERIS 1.0.0'; ok $? "eris --version"
"$ERIS" 2>/dev/null; is $? 2 "eris without a command exits 2"
done_testing
