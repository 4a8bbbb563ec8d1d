#!/usr/bin/env bash
# bench/unit.sh — `sigil unit` over every unit file under /lib/systemd/system
# of this machine (called from bench/run with SIGIL_BUILD set).
#
# 1. build/bench/unit_bench: the library in one process, as a build would
#    call it — every unit file loaded with its drop-ins, every .service
#    translated with its socket (templates with instance "bench"); best of
#    5 rounds, files/s and peak RSS. Goal: all of them in under 1 s.
# 2. The CLI, one process per file (-q, output to /dev/null), with peak
#    RSS of the largest service under GNU time. The reference in the same
#    run: as many `sigil --version` processes, i.e. what starting the
#    program costs, and `cat` of the same files.
# Units refused because of their own content (masked, no ExecStart=, not a
# service) are counted and listed, not failures; exit 1 only when a file
# cannot be read at all (exit 3) or a benchmark cannot run.
set -u
B=${SIGIL_BUILD:?SIGIL_BUILD must name the build tree}
DIR=${SIGIL_BENCH_UNIT_DIR:-/lib/systemd/system}
SIGIL=$B/bin/sigil
here=$(cd "$(dirname "$0")" && pwd)
PKG=$here/../dhall/Sigil/package.dhall
fail() { echo "unit: $*" >&2; exit 1; }
[ -x /usr/bin/time ] || fail "GNU time is not installed (tools/deps installs it)"
[ -d "$DIR" ] || { echo "unit: no $DIR on this machine; skipped"; exit 0; }
work=$(mktemp -d "${TMPDIR:-/tmp}/sigil-unit-bench.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT

"$B/bench/unit_bench" "$PKG" "$DIR" 5 || fail "unit_bench failed"

mapfile -t files < <(find "$DIR" -maxdepth 1 \( -type f -o -type l \) -name '*.*' | sort)
[ "${#files[@]}" -gt 0 ] || fail "no unit files in $DIR"
cat > "$work/run.sh" <<'SH'
#!/usr/bin/env bash
# run.sh SIGIL PKG FILE...: translates each; prints "ok|refused|error FILE"
sigil=$1 pkg=$2; shift 2
for f in "$@"; do
	b=$(basename "$f")
	inst=()
	case "$b" in *@.*) inst=(--instance bench) ;; esac
	"$sigil" unit -q --package "$pkg" "${inst[@]}" "$f" > /dev/null 2> /dev/null
	case $? in 0) echo "ok $f" ;; 1|2) echo "refused $f" ;; *) echo "error $f" ;; esac
done
SH
start=$(date +%s.%N)
bash "$work/run.sh" "$SIGIL" "$PKG" "${files[@]}" > "$work/results"
end=$(date +%s.%N)
vstart=$(date +%s.%N)
for f in "${files[@]}"; do "$SIGIL" --version > /dev/null; done
vend=$(date +%s.%N)
cstart=$(date +%s.%N)
cat "${files[@]}" > /dev/null 2>&1
cend=$(date +%s.%N)
# peak RSS: the largest .service file, alone under GNU time
big=$(ls -S $(grep -E '^ok .*\.service$' "$work/results" | cut -d' ' -f2-) 2>/dev/null | head -n 1)
rss=0
if [ -n "$big" ]; then
	inst=()
	case "$(basename "$big")" in *@.*) inst=(--instance bench) ;; esac
	/usr/bin/time -f '%M' -o "$work/rss" "$SIGIL" unit -q --package "$PKG" "${inst[@]}" "$big" > /dev/null 2>&1
	rss=$(cat "$work/rss")
fi
nserv=$(grep -c '\.service$' "$work/results")
nok=$(grep -c '^ok ' "$work/results")
nref=$(grep -c '^refused ' "$work/results")
nerr=$(grep -c '^error ' "$work/results")
nservok=$(grep -cE '^ok .*\.service$' "$work/results")
grep -E '^refused .*\.service$' "$work/results" | sed 's/^/unit: refused (the unit itself): /' | head -n 20
python3 - "${#files[@]}" "$nserv" "$nservok" "$nok" "$nref" "$nerr" "$start" "$end" "$cstart" "$cend" "$rss" "$big" "$vstart" "$vend" "$DIR" <<'PY'
import sys
n, nserv, nservok, nok, nref, nerr = map(int, sys.argv[1:7])
start, end, cs, ce = map(float, sys.argv[7:11])
rss, big = int(sys.argv[11]), sys.argv[12]
vs, ve, d = float(sys.argv[13]), float(sys.argv[14]), sys.argv[15]
t, v = end - start, ve - vs
print("unit: CLI, one process per file: %d unit files in %s (%d .service, %d translated): %.2f s,"
      " %.0f files/s, peak RSS %.1f MiB (largest service, %s); reference: %d x `sigil --version`"
      " %.2f s (process start-up: %.0f%% of the CLI time), cat of the files %.3f s"
      % (n, d, nserv, nservok, t, n / t if t > 0 else 0, rss / 1024, big.rsplit("/", 1)[-1],
         n, v, 100 * v / t if t > 0 else 0, ce - cs))
PY
[ "$nerr" -eq 0 ] || fail "$nerr unit file(s) could not be read (exit 3)"
