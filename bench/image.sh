#!/usr/bin/env bash
# bench/image.sh — `sigil image` of the kv system (examples/kv.dhall, Debian's
# redis-server) against its peers packing the same content, measured in the
# same run (called from bench/run with SIGIL_BUILD set).
#
#   sigil image   the whole disk from a built system (kv/: store.pack,
#                 system.urn): GPT, ESP (mkfs.vfat, GRUB, kernel, core image:
#                 init + libraries + modules), the store partition (the
#                 system's blocks, verified while copied) and ext4 state
#   peers         the same content as a file tree — the kernel, the core
#                 image's files and redis-server's closure (binary, libraries,
#                 loader) — packed by mkfs.erofs (-zlz4hc) and mksquashfs
#                 (its defaults: gzip, all CPUs)
#
# Median of SIGIL_BENCH_IMAGE_ROUNDS (default 3) runs each, interleaved.
# Targets: sigil image time <= 1.0x each peer's; the disk <= 32 MiB (its
# apparent size, what dd writes to a device; each partition is printed
# beside what it holds: the ESP its files, the store the system's blocks).
set -u
B=${SIGIL_BUILD:?SIGIL_BUILD must name the build tree}
SIGIL=$B/bin/sigil
top=$(cd "$(dirname "$0")/.." && pwd)
rounds=${SIGIL_BENCH_IMAGE_ROUNDS:-3}
export SIGIL_CACHE=${SIGIL_CACHE:-$B/pkg-cache} SOURCE_DATE_EPOCH=1700000000

fail() { echo "image: $*" >&2; exit 1; }
now() { date +%s.%N; }
median() { sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }
verdict() { awk -v r="$1" -v g="$2" 'BEGIN { print (r <= g ? "PASS" : "MISS") }'; }
for t in mkfs.erofs mksquashfs mcopy cpio lz4 sfdisk; do
	command -v "$t" > /dev/null || fail "no $t (tools/deps installs erofs-utils, squashfs-tools, mtools, cpio)"
done
redis=$("$top/tests/vm/fetch_redis.sh" "$top/build/pkg-cache") || fail "no Debian redis (apt-get download failed)"
libs=$redis/usr/lib/x86_64-linux-gnu
w=$(mktemp -d "${TMPDIR:-/tmp}/sigil-bench-image.XXXXXX") || exit 1
trap 'rm -rf "$w"' EXIT
cd "$w" || exit 1

SIGIL_REDIS=$redis/usr/bin/redis-server "$SIGIL" build -q -L "$libs" -o kv "$top/examples/kv.dhall" > /dev/null ||
	fail "sigil build of examples/kv.dhall"
"$SIGIL" image -q -o warm.img kv || fail "sigil image (warm-up: the kernel into the cache)"

# the same content as a tree
mkdir -p tree/boot tree/core tree/system
esp_off=$(($(sfdisk --json warm.img | python3 -c 'import json,sys; print(json.load(sys.stdin)["partitiontable"]["partitions"][0]["start"])') * 512))
mcopy -n -i "warm.img@@$esp_off" ::sigil/vmlinuz tree/boot/vmlinuz || fail "mcopy of the kernel"
mcopy -n -i "warm.img@@$esp_off" ::sigil/core.img core.img || fail "mcopy of the core image"
mcopy -n -i "warm.img@@$esp_off" ::EFI/BOOT/BOOTX64.EFI grub.efi || fail "mcopy of GRUB"
(cd tree/core && lz4 -dc ../../core.img | cpio -id --quiet) || fail "cpio -i of the core image"
cp "$redis/usr/bin/redis-server" tree/system/
LD_LIBRARY_PATH=$libs ldd "$redis/usr/bin/redis-server" | awk '/=> \// {print $3} /^\t\/lib/ {print $1}' |
	while read -r l; do cp -L "$l" tree/system/; done
tree_bytes=$(du -sb tree | cut -f1)

for r in $(seq 1 "$rounds"); do
	rm -f kv.img out.erofs out.sqfs
	t0=$(now); "$SIGIL" image -q -o kv.img kv || fail "sigil image"; t1=$(now)
	mkfs.erofs -zlz4hc out.erofs tree > /dev/null 2>&1 || fail "mkfs.erofs"; t2=$(now)
	mksquashfs tree out.sqfs -noappend -quiet > /dev/null 2>&1 || fail "mksquashfs"; t3=$(now)
	echo "$t1 - $t0" | bc >> t.sigil
	echo "$t2 - $t1" | bc >> t.erofs
	echo "$t3 - $t2" | bc >> t.sqfs
done
cmp -s kv.img warm.img || fail "two sigil image runs differ"
s=$(median < t.sigil) e=$(median < t.erofs) q=$(median < t.sqfs)
re=$(echo "scale=2; $s / $e" | bc) rq=$(echo "scale=2; $s / $q" | bc)
printf 'image: content %.1f MiB (kernel, core image files, redis closure); median of %d\n' \
	"$(echo "$tree_bytes / 1048576" | bc -l)" "$rounds"
printf 'image: sigil image %.2f s; mkfs.erofs -zlz4hc %.2f s; mksquashfs %.2f s\n' "$s" "$e" "$q"
echo "image: sigil image / mkfs.erofs = ${re}x (target <= 1.0) $(verdict "$re" 1.0)"
echo "image: sigil image / mksquashfs = ${rq}x (target <= 1.0) $(verdict "$rq" 1.0)"
size=$(stat -c %s kv.img) used=$(du -B1 kv.img | cut -f1)
mib() { echo "scale=1; $1 / 1048576" | bc; }
esp=$(sfdisk --json kv.img | python3 -c 'import json,sys; p=json.load(sys.stdin)["partitiontable"]["partitions"]; print(" ".join(str(x["size"]*512) for x in p))')
read -r pe ps pt <<< "$esp"
files=$(($(stat -c %s tree/boot/vmlinuz) + $(stat -c %s core.img) + $(stat -c %s grub.efi)))
blocks=$(LC_ALL=C "$SIGIL" image -o size.img kv 2>&1 | sed -n 's/.*store [0-9.]* MiB (\([0-9]*\) blocks).*/\1/p')
echo "image: the disk: $(mib "$size") MiB, $(mib "$used") MiB allocated; esp $(mib "$pe") (kernel, LZ4 core image, GRUB: $(mib "$files")), store $(mib "$ps") (${blocks:-?} blocks), state $(mib "${pt:-0}") (ext4, from the state mounts), GPT 0.04; erofs $(mib "$(stat -c %s out.erofs)") MiB, squashfs $(mib "$(stat -c %s out.sqfs)") MiB"
echo "image: disk size $(mib "$size") MiB (target <= 32 MiB) $(verdict "$(mib "$size")" 32)"
