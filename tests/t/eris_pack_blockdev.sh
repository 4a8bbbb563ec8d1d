#!/usr/bin/env bash
# eris_pack_blockdev.sh — the pack store on a real block device (a loop
# device over a file, the way a partition is used): it formats the device at
# its own size (BLKGETSIZE64), stores and serves verified content, survives
# detaching and re-attaching, reports "full" clearly when the device is
# full without damaging what it holds, and cuts a torn tail on open: both
# garbage far past the log end and a torn record right at it.
# Needs root and loop devices; skips (saying why) otherwise. The loop device
# is always detached.
. "$(dirname "$0")/tap.bash"
cd "$T" || exit 1
dev=
cleanup() { [ -n "$dev" ] && losetup -d "$dev" 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT

if [ "$(id -u)" != 0 ] || ! command -v losetup > /dev/null; then
	skip "needs root and losetup" "pack store on a loop device"
	done_testing
	exit 0
fi
truncate -s 8M disk.img
if ! dev=$(losetup --find --show disk.img 2> err); then
	dev=
	skip "no loop device here: $(head -n 1 err)" "pack store on a loop device"
	done_testing
	exit 0
fi
ok 0 "attached disk.img as $dev"

head -c 3000000 /dev/urandom > a.bin
urn=$("$ERIS" put -s "pack:$dev" a.bin | cut -d' ' -f1); ok $? "eris put into pack:$dev (formats the device)"
"$ERIS" get -s "pack:$dev" "$urn" -o a.out && cmp -s a.bin a.out; ok $? "eris get gives the content back"
"$ERIS" verify -s "pack:$dev" "$urn" > /dev/null; ok $? "every block verifies"
cap=$("$ERIS" stat -s "pack:$dev" | sed -n 's/^capacity: //p')
[ -z "$cap" ] || [ "$cap" -le 8388608 ]; ok $? "the pack stays within the device (capacity ${cap:-not shown})"

losetup -d "$dev"; dev=$(losetup --find --show disk.img); ok $? "detached and re-attached"
"$ERIS" get -s "pack:$dev" "$urn" -o a.out2 && cmp -s a.bin a.out2; ok $? "the content is still there"

# a torn tail: garbage past the last committed record (the log ends near
# 3.1 MB; the device is 8 MiB)
sync
printf 'torn-record-garbage-torn-record-garbage' | dd of="$dev" bs=1 seek=$((5 * 1024 * 1024)) conv=notrunc status=none
"$ERIS" get -s "pack:$dev" "$urn" -o a.out3 && cmp -s a.bin a.out3; ok $? "with garbage past the tail, the content still reads back"
head -c 100000 /dev/urandom > b.bin
urn_b=$("$ERIS" put -s "pack:$dev" b.bin | cut -d' ' -f1); ok $? "and a new put after it succeeds"
"$ERIS" get -s "pack:$dev" "$urn_b" -o b.out && cmp -s b.bin b.out; ok $? "and reads back"

# a torn append: what a crash in the middle of writing the next record
# leaves right at the log end — a sane-looking block record header (BLK1,
# 1 KiB, some reference) and half its payload
sync
end=$("$ERIS" stat -s "pack:$dev" | sed -n 's/^log end: //p')
[ -n "$end" ] && [ "$end" -gt 12288 ]; ok $? "eris stat gives the log end (${end:-none})"
{ printf 'BLK1\x00\x04\x00\x00'; head -c 32 /dev/urandom; head -c 24 /dev/zero; head -c 500 /dev/urandom; } > torn.bin
dd if=torn.bin of="$dev" bs=1 seek="$end" conv=notrunc status=none; ok $? "wrote a torn record at offset $end"
"$ERIS" verify -s "pack:$dev" "$urn" "$urn_b" > /dev/null; ok $? "with a torn record at the log end, everything verifies"
end2=$("$ERIS" stat -s "pack:$dev" | sed -n 's/^log end: //p')
is "$end2" "$end" "the log still ends where the last commit put it"
head -c 50000 /dev/urandom > c.bin
urn_c=$("$ERIS" put -s "pack:$dev" c.bin | cut -d' ' -f1); ok $? "a put after the torn record succeeds"
"$ERIS" get -s "pack:$dev" "$urn_c" -o c.out && cmp -s c.bin c.out; ok $? "and reads back"
"$ERIS" verify -s "pack:$dev" "$urn" "$urn_b" "$urn_c" > /dev/null; ok $? "and all three contents verify"

head -c 6000000 /dev/urandom > big.bin
"$ERIS" put -s "pack:$dev" big.bin > /dev/null 2> err; s=$?
[ "$s" -ne 0 ]; ok $? "a put past the device's capacity fails (exit $s)"
grep -qi 'full' err; ok $? "saying the pack is full: $(head -n 1 err)"
"$ERIS" verify -s "pack:$dev" "$urn" "$urn_b" "$urn_c" > /dev/null; ok $? "and the earlier content still verifies"
done_testing
