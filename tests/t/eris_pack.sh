#!/usr/bin/env bash
# eris_pack.sh — pack stores from the command line: put/get/verify, ls/stat,
# gc, and the corruption test: random bytes flipped anywhere in the block log
# are named by `eris verify`, and no read ever returns wrong data.
. "$(dirname "$0")/tap.bash"
cd "$T"

head -c 2000000 /dev/urandom > a
head -c 9000 /dev/urandom > b
head -c 300000 /dev/urandom > c
ua=$("$ERIS" put -s pack:p a | cut -d' ' -f1); ok $? "put into a new pack"
ub=$("$ERIS" put -s pack:p -b 1KiB b | cut -d' ' -f1)
uc=$("$ERIS" put -s pack:p -b 1KiB c | cut -d' ' -f1)
"$ERIS" get -s pack:p "$ua" | cmp -s - a; ok $? "get from the pack"
"$ERIS" verify -s pack:p "$ua" "$ub" "$uc" > /dev/null; ok $? "verify all three"
n=$("$ERIS" ls -s pack:p | wc -l | tr -d ' ')
"$ERIS" stat -s pack:p > stat
grep -q "^blocks: $n\$" stat; ok $? "stat and ls agree ($n blocks)"
grep -q '^32KiB blocks: [1-9]' stat && grep -q '^1KiB blocks: [1-9]' stat; ok $? "stat counts both block sizes"

cp p p2
"$ERIS" gc -s pack:p2 --keep "$ua" > gc.out; ok $? "gc: $(cat gc.out)"
"$ERIS" verify -s pack:p2 "$ua" > /dev/null; ok $? "the kept content is whole"
"$ERIS" verify -s pack:p2 "$ub" > /dev/null 2>&1; is $? 1 "the rest is gone"
[ "$(stat -c %s p2)" -lt "$(stat -c %s p)" ]; ok $? "the pack shrank"
"$ERIS" gc -s pack:p2 > /dev/null 2>&1; is $? 2 "gc without --keep is refused"
"$ERIS" gc -s pack:p2 --keep "$ub" > /dev/null 2>err; is $? 1 "gc keeping an incomplete tree refuses: $(cat err)"
"$ERIS" verify -s pack:p2 "$ua" > /dev/null; ok $? "and removed nothing"

# corruption: flip random bytes past the header and commit slots
size=$(stat -c %s p)
python3 - "$size" > flips <<'PY'
import random, sys
size = int(sys.argv[1])
r = random.Random(4242)
for _ in range(25):
    print(r.randrange(12288, size))
PY
cp p bad
while read -r off; do
	printf '\xff' | dd of=bad bs=1 seek="$off" conv=notrunc status=none
	# flip, not set: xor via python for exactness
done < flips
python3 - bad flips <<'PY'
import sys
data = bytearray(open(sys.argv[1], 'rb').read())
orig = bytearray(open('p', 'rb').read())
for line in open(sys.argv[2]):
    off = int(line)
    data[off] = orig[off] ^ 0x5a
open(sys.argv[1], 'wb').write(data)
PY
cmp -s p bad; is $? 1 "25 bytes of the log flipped"
wrong=0 caught=0
for u in "$ua" "$ub" "$uc"; do
	case $u in "$ua") f=a ;; "$ub") f=b ;; *) f=c ;; esac
	if "$ERIS" get -s pack:bad "$u" > out 2>err; then
		cmp -s out $f || wrong=$((wrong + 1))
	else
		caught=$((caught + 1))
		grep -Eq 'block [A-Z2-7]{52}|record at offset [0-9]+' err || wrong=$((wrong + 1))
	fi
	"$ERIS" verify -s pack:bad "$u" > /dev/null 2> verr; vs=$?
	if [ $vs -ne 0 ]; then grep -Eq '[A-Z2-7]{52}|offset' verr || wrong=$((wrong + 1)); fi
done
is "$wrong" 0 "no read returned wrong data, and every failure names a block or offset"
[ "$caught" -ge 1 ]; ok $? "damage was caught ($caught of 3 contents)"

# The expected set: every block a flip landed in (its record header fields or
# payload: not the padding, nor a superseded index) that verify can reach —
# walking each tree in the undamaged pack (internal nodes decrypted here with
# ChaCha20), a damaged node is expected and hides its subtree. verify must
# name each of them, with the offset of its record.
cat > packtree.py <<'PY'
import struct

def chacha20(key, nonce, data):
    def rotl(v, c):
        return ((v << c) & 0xffffffff) | (v >> (32 - c))
    def quarter(x, a, b, c, d):
        x[a] = (x[a] + x[b]) & 0xffffffff; x[d] = rotl(x[d] ^ x[a], 16)
        x[c] = (x[c] + x[d]) & 0xffffffff; x[b] = rotl(x[b] ^ x[c], 12)
        x[a] = (x[a] + x[b]) & 0xffffffff; x[d] = rotl(x[d] ^ x[a], 8)
        x[c] = (x[c] + x[d]) & 0xffffffff; x[b] = rotl(x[b] ^ x[c], 7)
    const = list(struct.unpack('<4I', b'expand 32-byte k'))
    k, n = list(struct.unpack('<8I', key)), list(struct.unpack('<3I', nonce))
    out = bytearray()
    for counter in range((len(data) + 63) // 64):
        init = const + k + [counter] + n
        x = init[:]
        for _ in range(10):
            quarter(x, 0, 4, 8, 12); quarter(x, 1, 5, 9, 13)
            quarter(x, 2, 6, 10, 14); quarter(x, 3, 7, 11, 15)
            quarter(x, 0, 5, 10, 15); quarter(x, 1, 6, 11, 12)
            quarter(x, 2, 7, 8, 13); quarter(x, 3, 4, 9, 14)
        stream = struct.pack('<16I', *[(a + b) & 0xffffffff for a, b in zip(x, init)])
        chunk = data[64 * counter:64 * counter + 64]
        out += bytes(a ^ b for a, b in zip(chunk, stream))
    return bytes(out)


def records(data):
    """(offset, magic, payload) of every record of a pack image."""
    pos = 12288
    while pos + 64 <= len(data):
        magic, plen = data[pos:pos + 4], struct.unpack_from('<I', data, pos + 4)[0]
        yield pos, magic, data[pos + 64:pos + 64 + plen]
        pos += 64 + (plen + 63) // 64 * 64
PY
PYTHONPATH=. python3 - p flips "$ua" "$ub" "$uc" > expected <<'PY'
import base64, struct, sys

from packtree import chacha20

data = open(sys.argv[1], 'rb').read()
flips = [int(l) for l in open(sys.argv[2])]
slot = max((data[4096:4224], data[8192:8320]), key=lambda s: struct.unpack_from('<Q', s, 8)[0])
index_off, n = struct.unpack_from('<QQ', slot, 24)
index_hit = any(index_off <= f < index_off + 64 + 40 * n for f in flips)
pos, blocks, flipped = 12288, {}, set()
while pos + 64 <= len(data):
    magic, plen = data[pos:pos + 4], struct.unpack_from('<I', data, pos + 4)[0]
    if magic == b'BLK1':
        ref = data[pos + 8:pos + 40]
        blocks[ref] = (pos, data[pos + 64:pos + 64 + plen])
        if any(pos <= f < pos + 40 or pos + 64 <= f < pos + 64 + plen for f in flips):
            flipped.add(ref)
    pos += 64 + (plen + 63) // 64 * 64
expected = set()
def walk(ref, key, level):
    if ref in flipped:
        expected.add(ref)
        return
    if level == 0:
        return
    plain = chacha20(key, bytes([level]) + bytes(11), blocks[ref][1])
    for i in range(0, len(plain), 64):
        if plain[i:i + 32] == bytes(32):
            break
        walk(plain[i:i + 32], plain[i + 32:i + 64], level - 1)
for urn in sys.argv[3:]:
    b32 = urn[len('urn:eris:'):]
    cap = base64.b32decode(b32 + '=' * (-len(b32) % 8))
    walk(cap[2:34], cap[34:66], cap[1])
for ref in sorted(expected):
    print(base64.b32encode(ref).decode().rstrip('='), blocks[ref][0], int(index_hit))
print('#', len(flipped), 'blocks flipped,', len(expected), 'reachable', file=sys.stderr)
PY
"$ERIS" verify -s pack:bad "$ua" "$ub" "$uc" > /dev/null 2> verr; vs=$?
is "$vs" 1 "verify of the damaged pack exits 1"
missed=0
while read -r name off index_hit; do
	if [ "$index_hit" = 1 ]; then
		grep -q "$name" verr || { missed=$((missed + 1)); echo "# not named: $name"; }
	else
		grep "$name" verr | grep -q "pack offset $off\]" ||
			{ missed=$((missed + 1)); echo "# not named with offset $off: $name"; }
	fi
done < expected
nexp=$(wc -l < expected | tr -d ' ')
[ "$nexp" -ge 2 ] && [ "$missed" -eq 0 ]; ok $? "verify names all $nexp damaged blocks, with their offsets ($missed missed)"
nbad=$(grep -c 'bad block:' verr)
if grep -q ' 1$' expected; then
	[ "$nbad" -ge "$nexp" ] # a damaged index may hide more blocks
else
	[ "$nbad" -eq "$nexp" ] # no more: nothing but the damaged blocks is named
fi
ok $? "and goes on past the first: $nbad bad-block lines for $nexp damaged blocks"
head -n 3 verr | sed 's/^/# /'

# a damaged internal node: verify names it, says the blocks below it cannot
# be checked, and goes on to name a damaged leaf elsewhere in the tree
PYTHONPATH=. python3 - p "$uc" > inner <<'PY'
import base64, sys
from packtree import chacha20, records
data = open(sys.argv[1], 'rb').read()
blocks = {data[off + 8:off + 40]: (off, pay) for off, magic, pay in records(data)
          if magic == b'BLK1'}
b32 = sys.argv[2][len('urn:eris:'):]
cap = base64.b32decode(b32 + '=' * (-len(b32) % 8))
level, ref, key = cap[1], cap[2:34], cap[34:66]
def children(ref, key, level):
    plain = chacha20(key, bytes([level]) + bytes(11), blocks[ref][1])
    return [(plain[i:i + 32], plain[i + 32:i + 64]) for i in range(0, len(plain), 64)
            if plain[i:i + 32] != bytes(32)]
kids = children(ref, key, level)          # level - 1 >= 1: internal nodes
node = kids[0][0]
leaf = kids[-1]
for l in range(level - 1, 0, -1):         # down the last child to a leaf
    leaf = children(leaf[0], leaf[1], l)[-1]
damaged = bytearray(data)
for r in (node, leaf[0]):
    damaged[blocks[r][0] + 64 + 100] ^= 0x5a   # a payload byte of each
open('inner.pack', 'wb').write(damaged)
name = lambda r: base64.b32encode(r).decode().rstrip('=')
print(blocks[node][0], name(node), blocks[leaf[0]][0], name(leaf[0]))
PY
read -r node_off node_name leaf_off leaf_name < inner
"$ERIS" verify -s pack:inner.pack "$uc" > /dev/null 2> ierr; is $? 1 "verify with a damaged internal node exits 1"
grep "$node_name" ierr | grep -q "pack offset $node_off\].*below it cannot be checked"; ok $? "it names the node ($node_name) and says what below it is unchecked"
grep "$leaf_name" ierr | grep -q "pack offset $leaf_off\]"; ok $? "and goes on to name the damaged leaf in another subtree"
sed 's/^/# /' ierr

# a torn tail: cut the file inside its last record; the pack still opens
cp p torn
truncate -s $(( $(stat -c %s p) - 100 )) torn
"$ERIS" stat -s pack:torn > /dev/null 2>err; s=$?
if [ $s -eq 0 ]; then ok 0 "a pack cut short opens"; else ok 1 "a pack cut short opens: $(cat err)"; fi
"$ERIS" put -s pack:torn b > /dev/null; ok $? "and takes new blocks after the cut"
"$ERIS" verify -s pack:torn "$ub" > /dev/null; ok $? "which verify"

"$ERIS" get -s pack:nonexistent "$ua" 2>err >/dev/null; is $? 3 "a missing pack is a system error: $(cat err)"
echo "just text" > text
"$ERIS" get -s pack:text "$ua" 2>err >/dev/null; is $? 3 "a non-pack file is refused: $(cat err)"
done_testing
