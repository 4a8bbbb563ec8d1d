#!/usr/bin/env bash
# sigil_image.sh — `sigil image`: tiny.dhall (no state mounts) becomes a GPT
# disk whose table sfdisk and sgdisk read with two partitions, ESP and store,
# and the GUIDs derived from the root URN (recomputed here in Python), each
# partition as large as what it holds; the store partition, cut out with
# dd, opens as pack: and holds every block of the system (eris verify of the
# description, each closure and each ROM); the ESP holds GRUB, the kernel and
# the LZ4 core image, whose cpio lists /init (the given one, stripped), the
# modules in load order and in groups (no ext4: nothing keeps state), without their
# appended signatures unless --keep-module-signatures, and the command line;
# a system with state mounts gets a third partition, a clean ext4 with the
# derived UUID, sized from its state mounts or --state-size; two runs give
# byte-identical disks; a missing kernel or init is a clear error. The
# kernel is Debian's, cached in $SIGIL_BUILD/pkg-cache.
. "$(dirname "$0")/tap.bash"
cd "$T" || exit 1
top=${SIGIL_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
SIGIL=$SIGIL_BUILD/bin/sigil
ex=$top/examples/systems
export SIGIL_CACHE=$SIGIL_BUILD/pkg-cache
export SOURCE_DATE_EPOCH=1700000000

for tool in sfdisk sgdisk mdir mcopy cpio lz4 strip mkfs.vfat mkfs.ext4 grub-mkimage depmod e2fsck; do
	command -v "$tool" >/dev/null || { echo "# $tool is missing: run tools/deps"; }
done

printf '#include <stdio.h>\nint main(void) { puts("stub init"); return 0; }\n' > stub.c
cc -static -O2 -g -o stub stub.c; ok $? "a static stub init compiles"
strip --strip-all -o stub.stripped stub

"$SIGIL" image --init stub --build-dir out -o disk.img "$ex/tiny.dhall" 2> image.err
ok $? "sigil image tiny.dhall -o disk.img"
[ -s disk.img ] || { cat image.err; }
urn=$(cat out/system.urn)
case "$urn" in urn:eris:*) ok 0 "the system was built first (out/system.urn)" ;; *) ok 1 "the system was built first" ;; esac

# the partition table, read by sfdisk and sgdisk
sfdisk --json disk.img > table.json; ok $? "sfdisk --json reads the table"
PY=/usr/bin/python3
cat > table.py <<'PY'
import hashlib, json, sys, uuid
urn = sys.argv[1]
def derive(role):
    b = bytearray(hashlib.blake2b(("sigil-partition:%s:%s" % (role, urn)).encode(), digest_size=16).digest())
    b[6] = (b[6] & 0x0F) | 0x40
    b[8] = (b[8] & 0x3F) | 0x80
    return str(uuid.UUID(bytes=bytes(b))).upper()
t = json.load(open(sys.argv[2]))["partitiontable"]
want = [("C12A7328-F81F-11D2-BA4B-00A0C93EC93B", "esp", "sigil-esp"),
        ("ED0D3E17-888C-465F-B3CC-245A5D6F2FF4", "store", "sigil-store"),
        ("0FC63DAF-8483-4772-8E79-3D69D8477DE4", "state", "sigil-state")]
n = int(sys.argv[3])
good = t["label"] == "gpt" and t["id"] == derive("disk") and len(t["partitions"]) == n
end = 40
for p, (ty, role, name) in zip(t["partitions"], want):
    good = good and p["type"] == ty and p["uuid"] == derive(role) and p.get("name") == name
    good = good and p["start"] == end and p["size"] % 8 == 0  # back to back, 4 KiB steps
    end = p["start"] + p["size"]
print("good" if good else "bad")
for p in t["partitions"]:
    print(p["start"], p["size"])
print(derive("state-fs").lower())
PY
"$PY" table.py "$urn" table.json 2 > parts
ok $? "python reads the table"
is "$(sed -n 1p parts)" good "two partitions: ESP, store (our type), no state; GUIDs derived from the root URN; back to back in 4 KiB steps"
read -r esp_start esp_size < <(sed -n 2p parts)
read -r store_start store_size < <(sed -n 3p parts)
[ $(((esp_size + store_size + 80) * 512)) -eq "$(stat -c %s disk.img)" ]
ok $? "the disk is its partitions, the GPT and nothing more ($(stat -c %s disk.img) bytes)"
sgdisk -v disk.img > sgdisk.out 2>&1
grep -q 'No problems found' sgdisk.out; ok $? "sgdisk -v: no problems (CRCs, backup header)"

# the store partition is a pack with the whole system
dd if=disk.img of=store.part bs=512 skip="$store_start" count="$store_size" status=none
"$ERIS" verify -s pack:store.part "$urn" > /dev/null; ok $? "the store partition opens as pack: and verifies the root URN"
"$ERIS" get -s pack:store.part "$urn" -o desc.cbor; ok $? "the description decodes from it"
"$PY" - desc.cbor > urns <<'PY'
import cbor2, sys
d = cbor2.loads(open(sys.argv[1], "rb").read())
for name, c in sorted(d["children"].items()):
    print(c["binary"])
    for r in c["roms"]:
        print(r["urn"])
PY
ok $? "cbor2 lists the children's binaries and ROMs"
# shellcheck disable=SC2046
"$ERIS" verify -s pack:store.part $(cat urns) > /dev/null; ok $? "every closure description and ROM verifies ($(wc -l < urns) URNs)"
bad=0 nfiles=0
for b in $(sed -n '/^urn/p' urns); do
	"$ERIS" get -s pack:store.part "$b" -o d.cbor 2>/dev/null || continue
	for f in $("$PY" -c 'import base64, cbor2, sys
d = cbor2.loads(open(sys.argv[1], "rb").read())
for name, cap in d.get("files", []) if isinstance(d, dict) else []:
    print("urn:eris:" + base64.b32encode(cap).decode().rstrip("="))' d.cbor 2>/dev/null); do
		nfiles=$((nfiles + 1))
		"$ERIS" verify -s pack:store.part "$f" >/dev/null || bad=$((bad + 1))
	done
done
[ "$nfiles" -gt 2 ]; ok $? "the closures list $nfiles files"
is "$bad" 0 "every file of every closure verifies in the partition"
n_part=$("$ERIS" stat -s pack:store.part | sed -n 's/^blocks: //p')
n_build=$("$ERIS" stat -s pack:out/store.pack | sed -n 's/^blocks: //p')
[ -n "$n_part" ] && [ "$n_part" -gt 0 ] && [ "$n_part" -le "$n_build" ]; ok $? "the partition holds $n_part blocks (the build store $n_build)"

# the ESP
off=$((esp_start * 512))
mdir -b -i "disk.img@@$off" ::/sigil > esp.ls 2>&1; ok $? "mdir reads the ESP"
for f in vmlinuz core.img cmdline; do
	grep -q "/sigil/$f\$" esp.ls; ok $? "the ESP holds sigil/$f"
done
mdir -i "disk.img@@$off" ::/EFI/BOOT/BOOTX64.EFI > /dev/null 2>&1; ok $? "the ESP holds EFI/BOOT/BOOTX64.EFI (GRUB)"
mcopy -n -i "disk.img@@$off" ::/sigil/core.img core.img; ok $? "mcopy gets the core image"
mcopy -n -i "disk.img@@$off" ::/sigil/cmdline cmdline
case "$(cat cmdline)" in *"sigil.system=$urn") ok 0 "sigil/cmdline ends with sigil.system=URN" ;; *) ok 1 "sigil/cmdline ends with sigil.system=URN ($(cat cmdline))" ;; esac
lz4 -dc core.img > core.cpio; ok $? "the core image is LZ4-compressed"
is "$(head -c 4 core.img | od -An -tx1 | tr -d ' ')" 02214c18 "in LZ4's legacy frame (magic 0x184c2102), which the kernel unpacks"
cpio -it --quiet < core.cpio > core.ls; ok $? "cpio -t reads the core image"
grep -qx init core.ls; ok $? "the core image holds /init"
cpio -i --quiet --to-stdout init < core.cpio | cmp -s - stub.stripped; ok $? "and /init is the given init, stripped"
is "$(cpio -i --quiet --to-stdout etc/sigil/cmdline < core.cpio)" "sigil.system=$urn" "etc/sigil/cmdline names the root capability"
cpio -i --quiet --to-stdout etc/sigil/modules < core.cpio > modules.raw
sed '/^$/d' modules.raw > modules # the groups' lines (below), in order
grep -q '/virtio_blk.ko$' modules && ! grep -q '/ext4.ko$' modules; ok $? "the modules list has virtio_blk, not ext4 ($(wc -l < modules) modules)"
order=$(sed 's|.*/||' modules | tr '\n' ' ')
case "$order" in *virtio_ring.ko*virtio.ko*virtio_pci.ko*virtio_blk.ko*) ok 0 "in load order" ;; *) ok 1 "in load order ($order)" ;; esac
# groups: runs of lines between empty ones, needing nothing of each other
# (sigil-init loads them side by side): fuse needs no virtio module
groups=$(awk -v RS= 'END { print NR }' modules.raw)
fuse=$(awk -v RS= '/\/fuse\.ko/ { print }' modules.raw | sed 's|.*/||' | tr '\n' ' ')
[ "$groups" -ge 2 ] && [ "$fuse" = "fuse.ko " ]
ok $? "the list is in $groups groups, fuse.ko one of its own"
missing=0
while read -r m; do grep -qx "${m#/}" core.ls || missing=$((missing + 1)); done < modules
is "$missing" 0 "every listed module is in the core image"
# each module is the kernel package's without its appended signature (the
# kernel checks one it finds but requires none: docs/image-format.md), cut
# as computed here from the trailer; --keep-module-signatures keeps them
mkdir mods && (cd mods && cpio -id --quiet 'lib/modules/*' < ../core.cpio)
kmods=$(ls -d "$SIGIL_CACHE"/kernel/*/lib/modules 2>/dev/null | head -n 1)
cat > unsig.py <<'PY'
import os, struct, sys
core, orig = sys.argv[1], sys.argv[2]
marker = b"~Module signature appended~\n"
n = signed = bad = 0
for line in open(sys.argv[3]):
    rel = line.strip().lstrip("/").split("/", 2)[2]  # lib/modules/VERSION/...
    o = open(os.path.join(orig, rel), "rb").read()
    c = open(os.path.join(core, "lib/modules", rel), "rb").read()
    want = o
    if o.endswith(marker):
        signed += 1
        ms = o[-len(marker) - 12:-len(marker)]
        want = o[:len(o) - len(marker) - 12 - ms[3] - ms[4] - struct.unpack(">I", ms[8:12])[0]]
    n += 1
    bad += c != want or c.endswith(marker)
print(n, signed, bad)
PY
read -r nmod nsigned nbad < <("$PY" unsig.py mods "$kmods" modules)
[ "${nmod:-0}" -gt 0 ] && [ "${nbad:-1}" -eq 0 ]
ok $? "the $nmod modules are the kernel's without their appended signatures ($nsigned were signed), byte for byte"
"$SIGIL" image -q --init stub --keep-module-signatures --build-dir out -o keep.img "$ex/tiny.dhall" 2> keep.err
ok $? "sigil image --keep-module-signatures"
mcopy -n -i "keep.img@@$off" ::/sigil/core.img keep.core
rm -rf kmods.core && mkdir kmods.core && (cd kmods.core && lz4 -dc ../keep.core | cpio -id --quiet 'lib/modules/*')
same=0
while read -r m; do cmp -s "kmods.core$m" "$kmods/${m#/lib/modules/}" || same=1; done < modules
ok "$same" "with it, every module is the kernel package's file as shipped"
sort -c core.ls 2>/dev/null; LC_ALL=C sort -c core.ls; ok $? "members are sorted"

# the state partition: a system with two state mounts
cp -r "$ex" stsys # tiny.dhall's ROMs are relative to it
awk 'm && /^ *\[\] : List$/ { n++; sub(/\[\]/, "[ { target = \"/data\", state = Some \"s" n "\", tmpfs = None Natural, writable = True } ]") }
	{ m = /mounts =$/; print }' "$ex/tiny.dhall" > stsys/state.dhall
"$SIGIL" image -q --init stub --build-dir sout -o state.img stsys/state.dhall 2> state.err
ok $? "sigil image of tiny.dhall with state mounts"
[ -s state.err ] && sed 's/^/# /' state.err
surn=$(cat sout/system.urn)
sfdisk --json state.img > stable.json
"$PY" table.py "$surn" stable.json 3 > sparts
is "$(sed -n 1p sparts)" good "three partitions: ESP, store, state (GUIDs derived from the root URN)"
read -r state_start state_size < <(sed -n 4p sparts)
fs_uuid=$(sed -n 5p sparts)
mcopy -n -i "state.img@@$(($(sed -n 2p sparts | cut -d' ' -f1) * 512))" ::/sigil/core.img score.img
lz4 -dc score.img | cpio -i --quiet --to-stdout etc/sigil/modules | grep -q '/ext4.ko$'
ok $? "with state, the core image loads ext4"
nmounts=$("$PY" -c 'import cbor2, sys
d = cbor2.loads(open(sys.argv[1], "rb").read())
print(sum(1 for c in d["children"].values() for m in c["mounts"] if m.get("state")))' <("$ERIS" get -s pack:sout/store.pack "$surn"))
is "$((state_size * 512))" "$(((5 + nmounts) * 524288))" "the state partition is 2.5 MiB + 0.5 MiB for each of the $nmounts state mounts"
dd if=state.img of=state.part bs=512 skip="$state_start" count="$state_size" status=none
e2fsck -fn state.part > fsck.out 2>&1; ok $? "the state partition is a clean ext4"
is "$(dumpe2fs -h state.part 2>/dev/null | sed -n 's/^Filesystem UUID: *//p')" "$fs_uuid" "its UUID is derived from the root URN"
"$SIGIL" image -q --init stub --state-size 4194304 -o state4.img sout; ok $? "--state-size 4194304"
sfdisk --json state4.img | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["partitiontable"]["partitions"][2]["size"] * 512)' > s4
is "$(cat s4)" 4194304 "gives a 4 MiB state partition"
"$SIGIL" image -q --init stub --state-size 1000000 -o state1.img sout 2> /dev/null; is $? 2 "--state-size under 2 MiB is a usage error"

# reproducible
"$SIGIL" image -q --init stub -o disk2.img out; ok $? "sigil image from the build directory"
cmp -s disk.img disk2.img; ok $? "two runs give byte-identical images"
cp -r "$ex" sys
"$SIGIL" image -q --init stub --build-dir out3 -o disk3.img sys/tiny.dhall
cmp -s disk.img disk3.img; ok $? "a build from a clean store elsewhere gives the same image"

# clear errors
"$SIGIL" image --init "$T/nosuch" -o bad.img out 2> err; st=$?
is "$st" 2 "a missing init is a usage error"
grep -q "init binary.*nosuch" err; ok $? "naming it: $(head -c 160 err)"
"$SIGIL" image --init stub --kernel "$T/nokernel" -o bad.img out 2> err; st=$?
is "$st" 2 "a missing kernel is a usage error"
grep -q "kernel.*nokernel" err; ok $? "naming it: $(head -c 160 err)"
[ ! -e bad.img ]; ok $? "and no image is left behind"

# --kernel: another kernel, no modules
vmlinuz=$(ls "$SIGIL_CACHE"/kernel/*/boot/vmlinuz-* 2>/dev/null | head -n 1)
"$SIGIL" image -q --init stub --kernel "$vmlinuz" -o k.img out; ok $? "--kernel FILE"
mcopy -n -i "k.img@@$off" ::/sigil/core.img kcore.img 2>/dev/null
lz4 -dc kcore.img > kcore.cpio 2>/dev/null && cpio -it --quiet < kcore.cpio | grep -qx init; ok $? "--kernel: the core image reads (lz4, cpio) and holds /init"
is "$(cpio -i --quiet --to-stdout etc/sigil/modules < kcore.cpio | sed '/^$/d' | wc -l)" 0 "with no --modules the core image has no modules"

done_testing
