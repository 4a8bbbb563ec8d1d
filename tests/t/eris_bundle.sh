#!/usr/bin/env bash
# eris_bundle.sh — `eris export` and `eris import` as a user meets them: round
# trips between stores, byte-identical exports, standard input and output, and
# bad bundles (a flipped block byte, truncation, an incomplete capability, a
# wrong tag) that exit 1 and store nothing. With python3-cbor2 installed, also
# interoperability: our bundles decode with cbor2, and cbor2's import with us.
. "$(dirname "$0")/tap.bash"
cd "$T"

# the number of blocks in a dir store (0 when it does not exist)
blocks() { find "$1" -type f -path '*/??/*' 2>/dev/null | wc -l | tr -d ' '; }

head -c 3000000 /dev/urandom > big
head -c 2000000 /dev/zero > zeros
printf 'Hello world!' > hello
u1=$("$ERIS" put -s A big | cut -d' ' -f1)
u2=$("$ERIS" put -s A -b 1KiB zeros | cut -d' ' -f1)
u3=$("$ERIS" put -s A hello | cut -d' ' -f1)

"$ERIS" export -s A "$u1" "$u2" "$u3" > b1; ok $? "export to standard output"
"$ERIS" export -s A "$u1" "$u2" "$u3" -o b2; ok $? "export -o"
cmp -s b1 b2; ok $? "two exports are byte-identical"
ls -a | grep -q '\.tmp\.'; is $? 1 "no temporary file is left behind"
is "$(head -c 7 b1 | od -An -tx1 | tr -d ' \n')" "da6572697384bf" \
	"starts with tag 1701996915, an array of 4, an indefinite map"

out=$("$ERIS" import -s B b1); ok $? "import into a new dir store"
is "$out" "$(printf '%s\n%s\n%s' "$u1" "$u2" "$u3")" "prints the capabilities in order"
n=0
for f in big zeros hello; do
	n=$((n + 1)); eval u=\$u$n
	"$ERIS" get -s B "$u" | cmp -s - $f; ok $? "$f decodes from the imported store"
done
"$ERIS" verify -s B "$u1" "$u2" "$u3" > /dev/null; ok $? "verify passes in the imported store"
"$ERIS" export -s B "$u1" "$u2" "$u3" | cmp -s - b1; ok $? "exporting from the new store gives the same bytes"
is "$(blocks B)" "$(blocks A)" "every block came across, each once"

out=$("$ERIS" export -s A "$u3" "$u1" | "$ERIS" import -s C -); ok $? "export | import -"
is "$out" "$(printf '%s\n%s' "$u3" "$u1")" "capabilities in the order given"
out=$(cat b1 | "$ERIS" import -s mem: -); ok $? "import into mem: (a check only)"
is "$(echo "$out" | wc -l | tr -d ' ')" 3 "prints three urns"
out=$("$ERIS" import -s B b1); ok $? "importing again into the same store is fine"

# a flipped byte inside a block: exit 1, the block named, nothing stored
cp b1 flipped
printf '\x55' | dd of=flipped bs=1 seek=2000 conv=notrunc 2>/dev/null
"$ERIS" import -s D flipped > out 2>err; is $? 1 "a flipped block byte exits 1"
grep -qE 'block [A-Z2-7]{52} does not hash to its key' err; ok $? "naming the block: $(cat err)"
is "$(blocks D)" 0 "and nothing is stored"
is "$(wc -c < out | tr -d ' ')" 0 "and no urn is printed"

head -c -100 b1 > truncated
"$ERIS" import -s D truncated 2>err; is $? 1 "a truncated bundle exits 1"
grep -q 'truncated' err; ok $? "saying so: $(cat err)"
is "$(blocks D)" 0 "and nothing is stored"
cat b1 hello > trailing
"$ERIS" import -s D trailing 2>err; is $? 1 "trailing bytes exit 1: $(cat err)"
head -c 5000 /dev/urandom > random
"$ERIS" import -s D random 2>err; is $? 1 "a random file exits 1: $(cat err)"
: > empty
"$ERIS" import -s D empty 2>err; is $? 1 "an empty file exits 1: $(cat err)"
"$ERIS" import -s D - < /dev/null 2>err; is $? 1 "empty standard input exits 1"
"$ERIS" export -s A "$u1" | head -c 500000 | "$ERIS" import -s D - 2>err
is $? 1 "a truncated stream on standard input exits 1"
is "$(blocks D)" 0 "and nothing is stored"

# a capability whose tree is not in the bundle: hello's bundle, big's capability
"$ERIS" export -s A "$u3" > one
python3 - "$u1" one > incomplete <<'PY'
import base64, sys
urn = sys.argv[1][len("urn:eris:"):]
cap = base64.b32decode(urn + "=" * (-len(urn) % 8))
data = open(sys.argv[2], "rb").read()
sys.stdout.buffer.write(data[:-66] + cap)
PY
"$ERIS" import -s D incomplete > out 2>err; is $? 1 "an incomplete capability exits 1"
grep -q 'missing block' err; ok $? "naming the missing block: $(cat err)"
is "$(blocks D)" 0 "and nothing is stored, not even the complete block"
out=$("$ERIS" import -s A incomplete); ok $? "the same bundle into a store holding the rest"
is "$out" "$u1" "prints big's urn"

# export failures
"$ERIS" put -s H hello > /dev/null
"$ERIS" export -s H "$u3" "$u1" > partial 2>err; is $? 1 "export of a urn the store lacks exits 1"
grep -q "^eris export: $u1: missing block" err; ok $? "naming the urn and the block: $(cat err)"
"$ERIS" import -s D partial 2>/dev/null; is $? 1 "what it wrote does not import"
"$ERIS" export -s H "$u1" -o never 2>/dev/null; is $? 1 "export -o of a missing urn exits 1"
[ ! -e never ]; ok $? "and does not create OUT"
ls -a | grep -q '\.tmp\.'; is $? 1 "nor leave a temporary file"
"$ERIS" export -s A urn:eris:NOPE > /dev/null 2>err; is $? 2 "a malformed urn exits 2: $(cat err)"
"$ERIS" export -s A > /dev/null 2>err; is $? 2 "no urn exits 2"
"$ERIS" export "$u1" > /dev/null 2>err; is $? 2 "no store exits 2"
"$ERIS" export -s nostore "$u1" > /dev/null 2>err; is $? 3 "a missing store exits 3: $(cat err)"
"$ERIS" export -s A "$u1" -o nodir/x 2>err; is $? 3 "an unwritable -o exits 3: $(cat err)"
"$ERIS" import -s D no-such-file 2>err; is $? 3 "import of a missing file exits 3: $(cat err)"
"$ERIS" import -s D 2>err; is $? 2 "import without a file exits 2"
"$ERIS" import -s D b1 b2 2>err; is $? 2 "import of two files exits 2"
if [ -w /dev/full ]; then
	"$ERIS" export -s A "$u1" > /dev/full 2>err; is $? 3 "a failed write exits 3: $(cat err)"
else
	skip "no /dev/full" "a failed write exits 3"
fi

for c in export import; do
	"$ERIS" $c --help > help; s=$?
	grep -q "^usage: eris $c" help && [ "$s" -eq 0 ]; ok $? "eris $c --help"
done

# interoperability with an independent CBOR implementation
PY=
for p in python3 /usr/bin/python3; do
	if command -v "$p" > /dev/null && "$p" -c 'import cbor2' 2>/dev/null; then PY=$p; break; fi
done
if [ -n "$PY" ]; then
	"$PY" - b1 "$u1" "$u2" "$u3" <<'PY'
import base64, cbor2, hashlib, sys
d = cbor2.loads(open(sys.argv[1], "rb").read())
assert d.tag == 1701996915, d.tag
blocks, caps = d.value[0], d.value[1:]
assert all(len(k) == 32 and len(v) in (1024, 32768) for k, v in blocks.items())
assert all(hashlib.blake2b(v, digest_size=32).digest() == k for k, v in blocks.items())
want = [base64.b32decode(u[9:] + "=" * (-len(u[9:]) % 8)) for u in sys.argv[2:]]
assert [c.tag for c in caps] == [276] * 3 and [c.value for c in caps] == want
PY
	ok $? "cbor2 decodes our bundle: tag, blocks hashing to their keys, the capabilities"
	"$PY" - b1 > theirs <<'PY'
import cbor2, sys
d = cbor2.loads(open(sys.argv[1], "rb").read())
# definite lengths, keys sorted, under the self-described tag
m = dict(sorted(d.value[0].items()))
out = cbor2.dumps(cbor2.CBORTag(55799, cbor2.CBORTag(1701996915, [m] + d.value[1:])))
sys.stdout.buffer.write(out)
PY
	out=$("$ERIS" import -s E theirs); ok $? "we import cbor2's encoding (55799, definite map)"
	is "$out" "$(printf '%s\n%s\n%s' "$u1" "$u2" "$u3")" "with the same capabilities"
	"$ERIS" export -s E "$u1" "$u2" "$u3" | cmp -s - b1; ok $? "and export the same bytes again"
else
	for t in "cbor2 decodes our bundle" "we import cbor2's encoding" "with the same capabilities" \
		"and export the same bytes again"; do
		skip "python3-cbor2 is not installed" "$t"
	done
fi
done_testing
