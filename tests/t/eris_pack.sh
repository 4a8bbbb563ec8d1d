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
"$ERIS" verify -s pack:bad "$ua" "$ub" "$uc" 2>&1 >/dev/null | head -n 3 | sed 's/^/# /'

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
