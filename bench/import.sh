#!/usr/bin/env bash
# bench/import.sh — sigil import and sigil exec against their peers, measured
# in the same run (called from bench/run with SIGIL_BUILD set; needs root for
# sigil exec).
#
# 1. Import of the python3 closure: /usr/bin/python3, its libraries and
#    /usr/lib/python3.11 (stdlib + lib-dynload, ~1,400 files, ~55 MB) as an
#    extra. The file list is the closure sigil itself resolved (its
#    manifest). Peers on exactly those files (their real paths):
#      cp -a --parents   into a fresh directory, then sync  (the copy you'd make)
#      mksquashfs        of that copied tree (same files, same layout) into a
#                        fresh image (default options: gzip, all CPUs)
#    against `sigil import` into a fresh pack store (patching ~50 ELF files
#    with patchelf, encrypting and hashing every byte, writing blocks; the
#    pack is synced at the end like cp's sync). "Cold" = empty destination /
#    store; the source files are in the page cache for everyone (read once
#    before the first round). Rounds alternate (cp, mksquashfs, sigil) and
#    the median of each is compared. Target: sigil <= 3x cp -a.
# 2. Start-up of `redis-server --version` (Debian's, apt-get download +
#    dpkg -x into build/pkg-cache, never installed): the original binary (with
#    LD_LIBRARY_PATH for the unpacked libjemalloc/liblzf) against `sigil exec`
#    from a warm pack store (decode + verify the whole ~14 MB closure into a
#    tmpfs /rom, then exec). N runs each, alternating batches; mean per run.
#    Target: <= 1.5x. The closure's byte count is printed: verification
#    hashes every byte, so the floor is about bytes / (BLAKE2b+ChaCha20 rate).
#
# Knobs: SIGIL_BENCH_IMPORT_ROUNDS (default 3), SIGIL_BENCH_EXEC_RUNS (50).
set -u
B=${SIGIL_BUILD:?SIGIL_BUILD must name the build tree}
SIGIL=$B/bin/sigil
top=$(cd "$(dirname "$0")/.." && pwd)
CACHE=$top/build/pkg-cache
rounds=${SIGIL_BENCH_IMPORT_ROUNDS:-3}
runs=${SIGIL_BENCH_EXEC_RUNS:-50}

fail() { echo "import: $*" >&2; exit 1; }
now() { date +%s.%N; }
median() { sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }

[ -x "$SIGIL" ] || fail "no $SIGIL"
command -v mksquashfs >/dev/null || fail "mksquashfs is not installed (tools/deps installs squashfs-tools)"
[ -x /usr/bin/python3 ] && [ -d /usr/lib/python3.11 ] || fail "no /usr/bin/python3 with /usr/lib/python3.11"

work=$(mktemp -d "${TMPDIR:-/tmp}/sigil-import-bench.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT
trap 'exit 130' INT TERM

# ---- 1. import ---------------------------------------------------------------
PYX=(-e PYTHONHOME=/rom -x /usr/lib/python3.11=lib/python3.11)
"$SIGIL" import -s "pack:$work/probe.pack" -m "$work/py.json" "${PYX[@]}" /usr/bin/python3 > /dev/null ||
	fail "sigil import of python3 failed"
python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
for prog, v in d.items():
    print(prog)
    for p in v["closure"]:
        print(p)' "$work/py.json" | xargs -d '\n' readlink -f | sort -u > "$work/files"
nfiles=$(wc -l < "$work/files")
bytes=$(xargs -d '\n' cat < "$work/files" | wc -c)
rm -f "$work/probe.pack"
: > "$work/cp.t"; : > "$work/sq.t"; : > "$work/sg.t"
for r in $(seq "$rounds"); do
	rm -rf "$work/cp" "$work/img.sqfs" "$work/st.pack"
	t0=$(now)
	mkdir "$work/cp" && (cd / && sed 's|^/||' "$work/files" | xargs -d '\n' cp -a --parents -t "$work/cp") &&
		sync -f "$work/cp" || fail "cp -a failed"
	t1=$(now)
	mksquashfs "$work/cp" "$work/img.sqfs" -noappend -quiet -no-progress > /dev/null 2>&1 ||
		fail "mksquashfs failed"
	t2=$(now)
	out=$("$SIGIL" import -s "pack:$work/st.pack" "${PYX[@]}" /usr/bin/python3) || fail "sigil import failed"
	t3=$(now)
	echo "$t1 - $t0" | bc >> "$work/cp.t"
	echo "$t2 - $t1" | bc >> "$work/sq.t"
	echo "$t3 - $t2" | bc >> "$work/sg.t"
done
U_PY=${out%% *}
t_cp=$(median < "$work/cp.t"); t_sq=$(median < "$work/sq.t"); t_sg=$(median < "$work/sg.t")
t0=$(now); "$SIGIL" import -s "pack:$work/st.pack" "${PYX[@]}" /usr/bin/python3 > /dev/null; t_again=$(echo "$(now) - $t0" | bc)
rm -rf "$work/dirst"
t0=$(now); "$SIGIL" import -s "$work/dirst" "${PYX[@]}" /usr/bin/python3 > /dev/null; t_dir=$(echo "$(now) - $t0" | bc)
echo "# python3 closure: $nfiles files, $bytes bytes; $rounds alternating rounds, medians (s):" \
	"cp -a $(paste -sd' ' "$work/cp.t") | mksquashfs $(paste -sd' ' "$work/sq.t") | sigil $(paste -sd' ' "$work/sg.t")"
echo "# sigil import again into the same pack (blocks present): ${t_again}s; into a fresh dir: store (a file and fsync per block): ${t_dir}s"
awk -v s="$t_sg" -v c="$t_cp" -v q="$t_sq" 'BEGIN {
	printf "%-34s %7.3f s  %-10s %7.3f s  ratio %.2f (target <= 3.00)  %s\n",
		"import python3 closure (pack):", s, "cp -a", c, s / c, (s / c <= 3 ? "PASS" : "MISS")
	printf "%-34s %7.3f s  %-10s %7.3f s  ratio %.2f (peer, no target)\n",
		"import python3 closure (pack):", s, "mksquashfs", q, s / q
}'

# ---- 2. exec start-up ----------------------------------------------------------
if [ "$(id -u)" -ne 0 ]; then
	echo "# sigil exec needs root: start-up not measured"
	exit 0
fi
R=$CACHE/redis
if [ ! -e "$R/.done" ]; then
	mkdir -p "$R" && (cd "$R" && apt-get download redis-server redis-tools libjemalloc2 liblzf1 >/dev/null 2>&1 &&
		for p in *.deb; do dpkg -x "$p" . || exit 1; done &&
		find . -mindepth 1 -maxdepth 1 ! -name usr ! -name '*.deb' -exec rm -rf {} +) &&
		touch "$R/.done" || fail "cannot fetch redis-server with apt-get download (offline?)"
fi
L=$R/usr/lib/x86_64-linux-gnu
out=$("$SIGIL" import -s "pack:$work/st.pack" -m "$work/redis.json" -L "$L" "$R/usr/bin/redis-server") ||
	fail "sigil import of redis-server failed"
U=${out%% *}
want=$(LD_LIBRARY_PATH=$L "$R/usr/bin/redis-server" --version)
got=$("$SIGIL" exec -s "pack:$work/st.pack" "$U" --version) || fail "sigil exec of redis-server failed"
[ "$got" = "$want" ] || fail "sigil exec printed \"$got\", not \"$want\""
rbytes=$(python3 -c '
import json, sys, os
d = json.load(open(sys.argv[1]))
for prog, v in d.items():
    print(sum(os.path.getsize(os.path.realpath(p)) for p in [prog] + list(v["closure"])))' "$work/redis.json")
: > "$work/orig.t"; : > "$work/exec.t"
for r in 1 2 3; do
	t0=$(now)
	for _ in $(seq "$runs"); do LD_LIBRARY_PATH=$L "$R/usr/bin/redis-server" --version > /dev/null; done
	t1=$(now)
	for _ in $(seq "$runs"); do "$SIGIL" exec -s "pack:$work/st.pack" "$U" --version > /dev/null; done
	t2=$(now)
	echo "($t1 - $t0) * 1000 / $runs" | bc -l >> "$work/orig.t"
	echo "($t2 - $t1) * 1000 / $runs" | bc -l >> "$work/exec.t"
done
t_o=$(median < "$work/orig.t"); t_e=$(median < "$work/exec.t")
t0=$(now)
for _ in $(seq "$runs"); do "$SIGIL" exec -j 1 -s "pack:$work/st.pack" "$U" --version > /dev/null; done
t_e1=$(echo "($(now) - $t0) * 1000 / $runs" | bc -l)
echo "# redis-server closure: $rbytes bytes decoded and verified per exec; $runs runs x 3 batches, medians;" \
	"sigil exec -j 1: $(printf '%.1f' "$t_e1") ms"
awk -v e="$t_e" -v o="$t_o" 'BEGIN {
	printf "%-34s %7.1f ms %-10s %7.1f ms ratio %.2f (target <= 1.50)  %s\n",
		"exec redis-server --version:", e, "direct", o, e / o, (e / o <= 1.5 ? "PASS" : "MISS")
}'
exit 0
