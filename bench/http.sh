#!/usr/bin/env bash
# bench/http.sh — `eris serve` against nginx serving the same 10,000 1 KiB
# blocks, same client, same load, measured in the same run (called from
# bench/run with SIGIL_BUILD set).
#
# The blocks: 10,000 1 KiB blocks of random content put into a dir store,
# and the same content into a pack. eris serve answers
# GET /uri-res/N2R?urn:blake2b:REF from each (dir: open, read, close,
# BLAKE2b check, send; pack, served read-only: index lookup in the mapped
# pack, copy, BLAKE2b check, send) — two servers, two ratio lines: the dir
# store is the like-for-like one (a file per block on both sides), the pack
# is the store eris serves in deployment. nginx (Debian's package, fetched with
# `apt-get download` and unpacked with `dpkg -x` under $SIGIL_BUILD/bench-cache
# — never installed, so no daemon starts) serves the very same files, hard-
# linked as ROOT/uri-res/N2R/REF, as plain static files: the path form is
# nginx's best case (no try_files, no query mapping), so the comparison does
# not handicap the peer. nginx runs by hand with its own config: -p a temp
# prefix, daemon off, 127.0.0.1 only, access log off, sendfile on, no
# keep-alive request limit, as many workers as eris serve has threads (the
# CPUs online).
#
# The client: wrk -t2 -c16 with one Lua script that walks the 10,000 block
# names in turn, prefixing "/uri-res/N2R?urn:blake2b:" for eris serve and
# "/uri-res/N2R/" for nginx — byte for byte the same requests otherwise, over
# kept-alive connections. Rounds alternate (eris dir, eris pack, nginx, eris
# dir, …) so drift on a shared machine hits all; the median of each side's
# requests/s is compared. Any non-2xx answer or socket error makes the run fail. The CPU
# time each server used per request (/proc/PID/stat) is printed as well: on a
# busy 2-CPU machine it is the steadier figure.
#
# Knobs: SIGIL_BENCH_HTTP_SECONDS (per round, default 5), SIGIL_BENCH_HTTP_ROUNDS
# (default 3).
set -u
B=${SIGIL_BUILD:?SIGIL_BUILD must name the build tree}
ERIS=$B/bin/eris
secs=${SIGIL_BENCH_HTTP_SECONDS:-5}
rounds=${SIGIL_BENCH_HTTP_ROUNDS:-3}
target=1.0
cache=$B/bench-cache/nginx
nginx=$cache/usr/sbin/nginx

fail() { echo "http: $*" >&2; exit 1; }

command -v wrk >/dev/null || fail "wrk is not installed (tools/deps installs it)"
if [ ! -x "$nginx" ]; then
	mkdir -p "$cache" || fail "cannot create $cache"
	(cd "$cache" && apt-get download nginx >/dev/null 2>&1 && dpkg -x nginx_*.deb .) ||
		fail "cannot fetch nginx with apt-get download (offline?)"
	[ -x "$nginx" ] || fail "the nginx package holds no usr/sbin/nginx"
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/sigil-http.XXXXXX") || exit 1
spid= ppid_= npid=
cleanup() {
	[ -n "$spid" ] && kill "$spid" 2>/dev/null
	[ -n "$ppid_" ] && kill "$ppid_" 2>/dev/null
	[ -n "$npid" ] && kill "$npid" 2>/dev/null
	wait 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# 10,000 leaves of 1 KiB (and 667 internal nodes: 10,000 of all are used)
head -c $((10000 * 1024 - 2000)) /dev/urandom > "$work/content"
"$ERIS" put -s "$work/store" -b 1KiB "$work/content" > /dev/null || fail "eris put failed"
"$ERIS" put -s "pack:$work/store.pack" -b 1KiB "$work/content" > /dev/null || fail "eris put (pack) failed"
mkdir -p "$work/ngx/root/uri-res/N2R" "$work/ngx/tmp" "$work/ngx/logs"
find "$work/store" -path '*/??/*' -type f -size 1k | head -n 10000 > "$work/files"
[ "$(wc -l < "$work/files")" -eq 10000 ] || fail "expected 10,000 blocks in the store"
xargs ln -t "$work/ngx/root/uri-res/N2R" < "$work/files" || fail "cannot link the blocks"
sed 's|.*/||' "$work/files" > "$work/names"

cat > "$work/rotate.lua" <<'EOF'
-- walks the block names in turn; PREFIX is the server's URL form
local prefix = os.getenv("PREFIX")
local names = {}
for line in io.lines(os.getenv("NAMES")) do names[#names + 1] = line end
local i = 0
request = function()
  i = i % #names + 1
  return wrk.format("GET", prefix .. names[i])
end
EOF

threads=$(nproc)
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])') ||
	fail "cannot find a free port"
# as root, nginx's workers would drop to "nobody", who cannot enter $work (0700)
user_line=
[ "$(id -u)" -eq 0 ] && user_line="user root;"
cat > "$work/ngx/nginx.conf" <<EOF
$user_line
daemon off;
worker_processes $threads;
error_log $work/ngx/logs/error.log warn;
pid $work/ngx/nginx.pid;
events { worker_connections 1024; }
http {
	access_log off;
	sendfile on;
	keepalive_requests 1000000000;
	client_body_temp_path $work/ngx/tmp/body;
	proxy_temp_path $work/ngx/tmp/proxy;
	fastcgi_temp_path $work/ngx/tmp/fastcgi;
	uwsgi_temp_path $work/ngx/tmp/uwsgi;
	scgi_temp_path $work/ngx/tmp/scgi;
	server {
		listen 127.0.0.1:$port;
		root $work/ngx/root;
		location /uri-res/N2R/ { default_type application/octet-stream; }
	}
}
EOF
"$nginx" -p "$work/ngx" -c "$work/ngx/nginx.conf" -e "$work/ngx/logs/error.log" 2>"$work/nginx.err" &
npid=$!
"$ERIS" serve -s "$work/store" --listen 127.0.0.1:0 -j "$threads" > "$work/serve.out" 2>"$work/serve.err" &
spid=$!
"$ERIS" serve -s "pack:$work/store.pack" --listen 127.0.0.1:0 -j "$threads" > "$work/servep.out" 2>"$work/servep.err" &
ppid_=$!
for _ in $(seq 100); do
	grep -q '^listening on ' "$work/serve.out" 2>/dev/null &&
		grep -q '^listening on ' "$work/servep.out" 2>/dev/null &&
		curl -s -o /dev/null "http://127.0.0.1:$port/" 2>/dev/null && break
	sleep 0.05
done
eaddr=$(sed -n 's/^listening on //p' "$work/serve.out")
paddr=$(sed -n 's/^listening on //p' "$work/servep.out")
[ -n "$eaddr" ] || fail "eris serve did not start: $(cat "$work/serve.err")"
[ -n "$paddr" ] || fail "eris serve (pack) did not start: $(cat "$work/servep.err")"
one=$(head -n 1 "$work/names")
for url in "http://$eaddr/uri-res/N2R?urn:blake2b:$one" "http://$paddr/uri-res/N2R?urn:blake2b:$one" \
	"http://127.0.0.1:$port/uri-res/N2R/$one"; do
	code=$(curl -s -o "$work/one" -w '%{http_code}' "$url")
	[ "$code" = 200 ] && cmp -s "$work/one" "$(head -n 1 "$work/files")" ||
		fail "$url answered $code, not the block ($(cat "$work/nginx.err" "$work/ngx/logs/error.log" 2>/dev/null | tail -n 2))"
done

# CPU ticks used so far by a process and its children threads/processes
ticks() {
	local t=0 p
	for p in "$@" $(pgrep -P "$1" 2>/dev/null); do
		[ -r "/proc/$p/stat" ] && t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat")))
	done
	echo "$t"
}
# load NAME PID PREFIX URL: one wrk round; prints "req/s cpu_us_per_request"
load() {
	local name=$1 pid=$2 prefix=$3 url=$4 out t0 t1 rps n
	t0=$(ticks "$pid")
	out=$(PREFIX="$prefix" NAMES="$work/names" wrk -t2 -c16 -d"${secs}s" -s "$work/rotate.lua" "$url" 2>&1)
	t1=$(ticks "$pid")
	if echo "$out" | grep -qE 'Non-2xx|Socket errors'; then
		echo "$out" >&2
		fail "$name: errors under load"
	fi
	rps=$(echo "$out" | awk '/^Requests\/sec:/ {print $2}')
	n=$(echo "$out" | awk '/requests in/ {print $1}')
	[ -n "$rps" ] && [ -n "$n" ] || fail "$name: cannot read wrk's output: $out"
	echo "$rps $(awk -v t=$((t1 - t0)) -v n="$n" -v hz="$(getconf CLK_TCK)" 'BEGIN {printf "%.1f", t / hz * 1e6 / n}')"
}
median() { sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }

: > "$work/eris.r"
: > "$work/erisp.r"
: > "$work/nginx.r"
for _ in $(seq "$rounds"); do
	load "eris serve" "$spid" "/uri-res/N2R?urn:blake2b:" "http://$eaddr" >> "$work/eris.r" || exit 1
	load "eris serve (pack)" "$ppid_" "/uri-res/N2R?urn:blake2b:" "http://$paddr" >> "$work/erisp.r" || exit 1
	load nginx "$npid" "/uri-res/N2R/" "http://127.0.0.1:$port" >> "$work/nginx.r" || exit 1
done
ours=$(cut -d' ' -f1 "$work/eris.r" | median)
oursp=$(cut -d' ' -f1 "$work/erisp.r" | median)
peer=$(cut -d' ' -f1 "$work/nginx.r" | median)
ocpu=$(cut -d' ' -f2 "$work/eris.r" | median)
opcpu=$(cut -d' ' -f2 "$work/erisp.r" | median)
pcpu=$(cut -d' ' -f2 "$work/nginx.r" | median)
echo "# 10,000 1 KiB blocks, wrk -t2 -c16, $rounds alternating rounds of ${secs}s, medians;" \
	"$threads server threads/workers each"
echo "# rounds (req/s, server CPU us per request): eris serve dir $(paste -sd';' "$work/eris.r")" \
	"| eris serve pack $(paste -sd';' "$work/erisp.r") | nginx $(paste -sd';' "$work/nginx.r")"
echo "# server CPU per request: eris serve dir $ocpu us, pack $opcpu us; nginx $pcpu us"
awk -v o="$ours" -v q="$oursp" -v p="$peer" -v t="$target" 'BEGIN {
	r = o / p
	printf "%-26s %8.0f req/s  %-8s %8.0f req/s  ratio %.2f (target >= %.2f)  %s\n",
		"http get 1KiB (dir):", o, "nginx", p, r, t, (r >= t ? "PASS" : "MISS")
	r = q / p
	printf "%-26s %8.0f req/s  %-8s %8.0f req/s  ratio %.2f (target >= %.2f)  %s\n",
		"http get 1KiB (pack):", q, "nginx", p, r, t, (r >= t ? "PASS" : "MISS")
}'
cat "$work/serve.err" "$work/servep.err" | grep -v '^$' | head -n 5 | sed 's/^/# eris serve said: /'
exit 0
