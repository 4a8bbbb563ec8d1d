#!/usr/bin/env bash
# examples/demo.sh — what `make demo` shows today: a file becomes an ERIS read
# capability in a block store, and comes back byte for byte, verified; a
# program and its libraries become capabilities and run from a verified
# /rom; an example system is checked and described.
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
bin=${SIGIL_BUILD:-$top/build}/bin
echo "== sigil import: /bin/ls and its libraries, patched to name each other by URN"
urn=$("$bin/sigil" import -s "pack:$work/store.pack" /bin/ls | cut -d" " -f1)
echo "   $urn"
echo "== sigil exec: decode and verify the closure into /rom, then run it"
if [ "$(id -u)" = 0 ]; then
	"$bin/sigil" exec -s "pack:$work/store.pack" "$urn" -l "$top/examples/systems" | sed "s/^/   /"
else
	echo "   (skipped: needs root for a private mount namespace)"
fi

echo "== sigil check: the example system, then its description as CBOR"
"$bin/sigil" check -o "$work/hello.cbor" "$top/examples/systems/hello.dhall"
echo "   the description is $(wc -c < "$work/hello.cbor") bytes: $("$eris" sum "$work/hello.cbor" | cut -d' ' -f1)"
echo "== dhall: the same system's binary encoding and its JSON"
"$bin/dhall" encode --file "$top/examples/systems/hello.dhall" | wc -c | sed 's/^/   CBOR bytes: /'
printf '{ service = "Log", ports = [ 80, 443 ], tls = Some True }' | "$bin/dhall-to-json" --compact
echo "== sigil run: build the tiny system and run it under sigil-init"
if [ "$(id -u)" = 0 ]; then
	timeout 60 "$bin/sigil" run -o "$work/tiny" "$top/examples/systems/tiny.dhall" 2>&1 | grep -a '^\[' | sed 's/^/   /'
	"$bin/sigil" status "$work/tiny" | sed 's/^/   /'
else
	echo "   (skipped: sigil-init needs root for namespaces and cgroups)"
fi
echo "demo: done"
