#!/usr/bin/env bash
# examples/demo.sh — what `make demo` shows today: a file becomes an ERIS read
# capability in a block store, and comes back byte for byte, verified.
# (Later this boots a whole system from one root capability.)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
eris=${SIGIL_BUILD:-$top/build}/bin/eris
work=${SIGIL_BUILD:-$top/build}/demo
rm -rf "$work"
mkdir -p "$work"

# The content: this project's README and 4 MiB of reproducible bytes.
cp "$top/README.md" "$work/README.md"
head -c 4194304 /dev/zero | tr '\0' 'x' > "$work/big.bin"

echo "== eris put: encode into the store $work/store"
"$eris" put -s "$work/store" "$work/README.md" "$work/big.bin" | tee "$work/urns"
blocks=$(find "$work/store" -path '*/??/*' -type f | wc -l)
echo "   the store holds $blocks distinct encrypted blocks (identical blocks are stored once)"

echo "== eris verify: every block present, hashing to its reference"
cut -d' ' -f1 "$work/urns" | xargs "$eris" verify -s "$work/store"

echo "== eris get: decode back and compare"
while read -r urn file; do
	"$eris" get -s "$work/store" "$urn" -o "$work/decoded"
	cmp "$work/decoded" "$file"
	echo "   $(basename "$file"): identical ($(wc -c < "$file") bytes)"
done < "$work/urns"

echo "== the same content gives the same URN anywhere (convergent encoding)"
"$eris" sum "$work/README.md"

echo "== a damaged block is caught, never returned as data"
victim=$(find "$work/store" -path '*/??/*' -type f | sort | head -n 1)
chmod u+w "$victim"
printf 'X' | dd of="$victim" bs=1 seek=7 conv=notrunc status=none
if cut -d' ' -f1 "$work/urns" | xargs "$eris" verify -s "$work/store"; then
	echo "demo: the damaged block was not noticed" >&2
	exit 1
fi
echo "demo: done"
