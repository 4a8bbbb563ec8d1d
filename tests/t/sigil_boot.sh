#!/usr/bin/env bash
# sigil_boot.sh — the VM test: `sigil image` of tiny.dhall with the real
# sigil-init (static; when dynamically linked, its libraries and loader go
# into the core image), then `sigil boot` under TCG. sigil-init runs as PID 1: loads the
# modules, finds the store partition by its derived GUID, verifies and starts
# the system; the children's lines appear on the console and, when they have
# exited, it powers off with status 0 through isa-debug-exit, so `sigil boot`
# exits 0. Then one byte of a block in the store partition is flipped (the
# block the console names is one the pristine partition holds): booted with
# sigil.verify=eager, the boot stops before any child runs, the console
# names the block, `sigil boot` exits 1. Booted as it is (lazy: each block
# verified when first read), a flipped block the greeter must read to start
# fails its exec with EIO, and the console names the child, file and block.
# Last, a system with a state mount boots twice and finds on the
# second boot what it wrote on the first (the ext4 state partition).
#
# Under the sanitizer pass (SIGIL_SAN=1) the host side (sigil image, sigil
# boot) is the ASan build, but the guest's /init is the normal build's
# sigil-init when there is one (SIGIL_VM_INIT overrides): ASan's runtime
# under TCG would only make the boot slower, and the hosted tests run the
# ASan sigil-init already.
. "$(dirname "$0")/tap.bash"
cd "$T" || exit 1
top=${SIGIL_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
SIGIL=$SIGIL_BUILD/bin/sigil
export SIGIL_CACHE=$SIGIL_BUILD/pkg-cache
export SOURCE_DATE_EPOCH=1700000000
init=$SIGIL_BUILD/bin/sigil-init
if [ "${SIGIL_SAN:-}" = 1 ] && [ -x "${SIGIL_VM_INIT:-$top/build/bin/sigil-init}" ]; then
	init=${SIGIL_VM_INIT:-$top/build/bin/sigil-init}
fi

if ! command -v qemu-system-x86_64 >/dev/null; then
	echo "not ok 1 - qemu-system-x86_64 is missing: run tools/deps"
	echo "1..1"
	exit 1
fi

# usage errors come before anything is booted
"$SIGIL" boot > /dev/null 2>&1; is $? 2 "sigil boot without a disk: usage error (2)"
head -c 1048576 /dev/zero > zero.img
"$SIGIL" boot zero.img > /dev/null 2> zero.err; is $? 1 "a disk with no GPT is refused (1)"
grep -q "zero.img" zero.err; ok $? "the message names the disk"
"$SIGIL" boot --forward 80 zero.img > /dev/null 2>&1; is $? 2 "--forward without HOST:GUEST: usage error"

"$SIGIL" image -q --init "$init" --build-dir out -o disk.img "$top/examples/systems/tiny.dhall" 2> image.err
ok $? "sigil image tiny.dhall with the dynamically linked sigil-init"
[ -s image.err ] && sed 's/^/# /' image.err
urn=$(cat out/system.urn)

# the core image carries the init's ELF closure: its loader and libraries
# when it is linked dynamically (the ASan build), nothing more when static
esp_off=$(($(sfdisk --json disk.img | python3 -c 'import json,sys; print(json.load(sys.stdin)["partitiontable"]["partitions"][0]["start"])') * 512))
mcopy -n -i "disk.img@@$esp_off" ::sigil/core.img core.img 2>/dev/null
lz4 -dc core.img 2>/dev/null | cpio -t > core.list 2>/dev/null
if readelf -l "$init" | grep -q 'program interpreter'; then
	grep -qx 'lib64/ld-linux-x86-64.so.2' core.list && grep -q '/libc.so.6$' core.list &&
		grep -q '/libsodium.so' core.list
	ok $? "the core image holds the dynamic init's loader and libraries ($(grep -c '\.so' core.list) files)"
else
	grep -qx init core.list && ! grep -q '\.so' core.list
	ok $? "the core image holds the static init alone: no loader, no libraries ($(wc -l < core.list) members)"
fi

# vCPUs: one by default (two hang now and then: cli/sigil/boot.c), --cpus N
# otherwise; QEMU's -smp says so
smp() { "$SIGIL" boot --print-command "$@" disk.img | grep -A1 -x -- -smp | tail -n 1; }
is "$(smp)" 1 "sigil boot: -smp 1 by default"
is "$(smp --cpus 2)" 2 "--cpus 2: -smp 2"
is "$(smp --cpus 16)" 16 "--cpus 16: -smp 16"
"$SIGIL" boot --print-command --cpus 0 disk.img > /dev/null 2>&1; is $? 2 "--cpus 0: usage error"
"$SIGIL" boot --print-command --cpus 17 disk.img > /dev/null 2>&1; is $? 2 "--cpus 17: usage error"

# boot: the children run, the system powers off, status 0
start=$(date +%s.%N)
"$SIGIL" boot --trace --timeout 90 disk.img < /dev/null > console.log 2> boot.err
rc=$?
secs=$(echo "$(date +%s.%N) - $start" | bc)
is "$rc" 0 "sigil boot disk.img exits 0 (the system's status)"
echo "# boot to power-off: $secs s (TCG, PVH)"
# the serial console ends lines with CR LF; the reader's line is CBOR
LC_ALL=C grep -aq '^\[greeter\] hello from sigil' console.log; ok $? "the greeter's line appears on the console"
LC_ALL=C grep -aq '^\[reader\] .*greeting' console.log; ok $? "the reader's CBOR config appears on the console"
grep -q "boot: system $urn, store /dev/vda2" console.log
ok $? "PID 1 found the store partition by its GUID (/dev/vda2)"
grep -q 'powering off (exit status 0)' console.log; ok $? "sigil-init powers off when every child has exited"
grep -q 'powered off with status 0' boot.err; ok $? "sigil boot reports the guest's status"
# --trace (sigil.trace on the kernel command line): the boot's timeline, in
# the kernel's time, from PID 1's first step to the children's start
for step in "PID 1: file systems mounted" "store partition /dev/vda2 found" "system '[a-z]*' loaded (2 children)" \
	"/rom mounted" "modules loaded" "every child's root prepared" "child 'greeter' started (pid [0-9]*)"; do
	LC_ALL=C grep -aq "sigil-init: trace [0-9.]* s: $step" console.log; ok $? "--trace: $step"
done
trace_sorted console.log; ok $? "--trace: $(trace_times console.log | wc -l) lines, their times in order"
LC_ALL=C grep -aEq 'sigil-init: trace [0-9.]+ s: /rom: [1-9][0-9]* files opened, [1-9][0-9]* reads \([0-9.]+ MB\) from [1-9][0-9]* leaves decoded; CPU' console.log
ok $? "--trace: /rom's totals when its mount ends: $(LC_ALL=C grep -ao '/rom: [^;]*' console.log | tail -n 1)"
[ "$(trace_times console.log | head -n 1 | tr -d .)" -gt 0 ]; ok $? "--trace: the first time counts the kernel's boot ($(trace_times console.log | head -n 1) s)"
"$SIGIL" boot --print-command --trace disk.img | grep -q 'sigil.trace'; ok $? "--trace adds sigil.trace to the command line"
"$SIGIL" boot --print-command --efi --trace disk.img > /dev/null 2>&1; is $? 2 "--trace with --efi: usage error"
if [ "$rc" -ne 0 ]; then sed 's/^/#   | /' console.log boot.err | tail -n 40; fi

# a block flipped in the store partition
cp disk.img bad.img
store_start=$(sfdisk --json bad.img | python3 -c 'import json,sys; print(json.load(sys.stdin)["partitiontable"]["partitions"][1]["start"])')
store_size=$(sfdisk --json bad.img | python3 -c 'import json,sys; print(json.load(sys.stdin)["partitiontable"]["partitions"][1]["size"])')
off=$((store_start * 512 + 1048576))
b=$(od -An -tu1 -j "$off" -N1 bad.img | tr -d ' ')
# shellcheck disable=SC2059
printf "$(printf '\\%03o' $((b ^ 1)))" | dd of=bad.img bs=1 seek="$off" conv=notrunc status=none
"$SIGIL" boot -q --timeout 90 --append sigil.verify=eager bad.img < /dev/null > bad.log 2> bad.err
rc=$?
is "$rc" 1 "sigil boot of the tampered disk, sigil.verify=eager: exits 1"
LC_ALL=C grep -aqE 'block [A-Z2-7]{52} .*does not hash to its reference' bad.log
ok $? "eager: the console names the tampered block"
ref=$(LC_ALL=C grep -aoE 'block [A-Z2-7]{52} .*does not hash' bad.log | head -n 1 | cut -d' ' -f2)
dd if=disk.img of=store.part bs=512 skip="$store_start" count="$store_size" status=none
"$ERIS" ls -s pack:store.part | grep -q "^${ref:-none} "
ok $? "eager: that block is one of the store partition's blocks"
LC_ALL=C grep -aq 'nothing started' bad.log && ! LC_ALL=C grep -aq 'hello from sigil' bad.log
ok $? "eager: no child started"
grep -q 'powering off (exit status 1)' bad.log; ok $? "eager: sigil-init powers off with status 1"
if [ "$rc" -ne 1 ]; then sed 's/^/#   | /' bad.log bad.err | tail -n 40; fi

# lazily (the default), the read that needs a damaged block fails: the root
# block of the greeter's program (/bin/sh), read when it is looked up
cp disk.img lazy.img
ref=$("$top/tests/vm/flip_block.py" "$ERIS" pack:store.part "$urn" sh lazy.img $((store_start * 512)))
ok $? "the root block $ref of the greeter's program flipped in the store partition"
"$SIGIL" boot -q --timeout 90 lazy.img < /dev/null > lazy.log 2> lazy.err
rc=$?
is "$rc" 1 "sigil boot of that disk exits 1 (the greeter failed)"
LC_ALL=C grep -aq "child 'greeter': /rom/urn:eris:[A-Z2-7]*: block $ref .*does not hash" lazy.log
ok $? "the console names the child, the file and the block"
LC_ALL=C grep -aq '^\[greeter\] .*Input/output error' lazy.log && ! LC_ALL=C grep -aq 'hello from sigil' lazy.log
ok $? "the greeter's exec fails with EIO: nothing of it ran"
grep -q 'powering off (exit status 1)' lazy.log; ok $? "sigil-init powers off with status 1"
if [ "$rc" -ne 1 ]; then sed 's/^/#   | /' lazy.log lazy.err | tail -n 40; fi

# the state partition: mounted when a child has a state mount, and kept
# between boots (the counter child appends a line to it on every boot)
cat > counter.dhall <<'DHALL'
{ name = "counter"
, ram = 134217728
, caps = 400
, children = toMap
    { greeter =
      { binary = "/bin/sh"
      , args = [ "-c", "echo boot >> /data/count; n=0; while read -r l; do n=$((n+1)); done < /data/count; echo \"boots: $n\"" ]
      , env = toMap { LANG = "C.UTF-8" }
      , resources = { ram = 8388608, caps = 32 }
      , provides =
          [] : List
                 { name : Text
                 , policies :
                     List
                       { label : { exact : Optional Text, prefix : Optional Text, suffix : Optional Text }
                       , attributes : List { mapKey : Text, mapValue : Text }
                       }
                 }
      , uses = [] : List { service : Text, label : Text, path : Optional Text }
      , roms =
        [ { name = "greeting", path = None Text, text = Some "hello from sigil\n", dhall = None Text }
        ]
      , mounts = [ { target = "/data", state = Some "d", tmpfs = None Natural, writable = True } ]
      , uplink =
          None { address : Text, forwards : List { host : Natural, child : Natural, proto : Text } }
      , restart = < Never | OnFailure | Always >.Never
      }
    }
}
DHALL
"$SIGIL" image -q --init "$init" --build-dir cout -o counter.img counter.dhall 2> image.err
ok $? "sigil image of a system with a state mount"
"$SIGIL" boot -q --timeout 90 counter.img < /dev/null > c1.log 2>&1; r1=$?
"$SIGIL" boot -q --timeout 90 counter.img < /dev/null > c2.log 2>&1; r2=$?
is "$r1 $r2" "0 0" "it boots twice, status 0 each time"
[ "$r1 $r2" = "0 0" ] || sed 's/^/#   | /' c1.log c2.log | tail -n 40
is "$(LC_ALL=C grep -ao 'boots: [0-9]*' c1.log c2.log | cut -d: -f2- | tr '\n' ' ')" \
	"boots: 1 boots: 2 " "the state partition (ext4 at /state) keeps the child's data across boots"

done_testing
