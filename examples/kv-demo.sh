#!/usr/bin/env bash
# examples/kv-demo.sh — the second half of `make demo`: examples/kv.dhall
# (Debian's redis-server under sigil-init) built into a bootable disk image,
# booted in QEMU with a port forward, talked to with redis-cli from the host,
# and stopped cleanly. Needs no root: redis comes from Debian's packages
# unpacked into the cache (apt-get download + dpkg -x, never installed), the
# image is written in user space, the VM runs under TCG. Only 127.0.0.1 sees
# traffic: QEMU's user network is restricted, its forward bound to loopback.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${SIGIL_BUILD:-$top/build}
bin=$build/bin
work=$build/demo-kv
export SIGIL_CACHE=${SIGIL_CACHE:-$build/pkg-cache}
rm -rf "$work"
mkdir -p "$work"
vm=""
stop_vm() { if [ -n "$vm" ] && kill -0 "$vm" 2>/dev/null; then kill -TERM "$vm"; wait "$vm" || true; fi; }
trap stop_vm EXIT

echo "== Debian's redis-server and redis-cli, unpacked into $SIGIL_CACHE/redis (not installed)"
redis=$("$top/tests/vm/fetch_redis.sh" "$SIGIL_CACHE")
libs=$redis/usr/lib/x86_64-linux-gnu
if command -v redis-cli > /dev/null; then
	cli() { redis-cli -p "$port" "$@"; }
	cli_shown="redis-cli"
else
	cli() { LD_LIBRARY_PATH=$libs "$redis/usr/bin/redis-cli" -p "$port" "$@"; }
	cli_shown="LD_LIBRARY_PATH=$libs $redis/usr/bin/redis-cli"
fi

echo "== sigil build: examples/kv.dhall, its closure and ROMs into $work/kv/store.pack"
SIGIL_REDIS=$redis/usr/bin/redis-server "$bin/sigil" build -q -L "$libs" -o "$work/kv" "$top/examples/kv.dhall" |
	sed 's/^/   root capability: /'

echo "== sigil image: a GPT disk (ESP with GRUB, kernel, core image; store; ext4 state)"
echo "   (the first run downloads Debian's kernel package into the cache)"
"$bin/sigil" image -o "$work/kv.img" "$work/kv" 2>&1 | sed 's/^/   /'

port=16379
if ss -Hltn "sport = :$port" 2>/dev/null | grep -q .; then
	port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
fi
echo "== sigil boot --forward $port:16379: QEMU (TCG, PVH), the console in $work/console.log"
start=$(date +%s.%N)
"$bin/sigil" boot --timeout 600 --forward "$port:16379" "$work/kv.img" < /dev/null > "$work/console.log" 2> "$work/boot.err" &
vm=$!
up=""
for ((i = 0; i < 600; i++)); do
	if [ "$(cli ping 2> /dev/null)" = PONG ]; then up=1; break; fi
	kill -0 "$vm" 2> /dev/null || break
	sleep 0.2
done
if [ -z "$up" ]; then
	echo "demo: redis did not answer on 127.0.0.1:$port; the console:" >&2
	tail -n 30 "$work/console.log" "$work/boot.err" >&2
	exit 1
fi
printf '   redis answered %.1f s after the boot started; from the console:\n' "$(echo "$(date +%s.%N) - $start" | bc)"
LC_ALL=C grep -aE '^sigil-init: (boot|system)|Ready to accept' "$work/console.log" | tr -d '\r' | cut -c1-150 | sed 's/^/   | /'

echo "== redis-cli -p $port, on the host"
for c in "ping" "set greeting hello-from-a-sigil-vm" "get greeting" "dbsize"; do
	# shellcheck disable=SC2086
	echo "   > $c: $(cli $c)"
done
echo "   > info server: $(cli info server | tr -d '\r' | grep -E '^(redis_version|os|process_id):' | tr '\n' ' ')"

echo "== stopping the VM: SIGTERM to sigil boot (ctrl-alt-delete → sigil-init stops redis, powers off)"
kill -TERM "$vm"
status=0
wait "$vm" || status=$?
vm=""
sed 's/^/   /' "$work/boot.err"
[ "$status" -eq 0 ] || { echo "demo: sigil boot exited $status" >&2; exit 1; }

cat <<EOT
== by hand
   export SIGIL_CACHE=$SIGIL_CACHE
   SIGIL_REDIS=$redis/usr/bin/redis-server \\
     $bin/sigil build -L $libs -o kv examples/kv.dhall
   $bin/sigil image -o kv.img kv
   $bin/sigil boot --forward 16379:16379 kv.img &    # the console on stdout
   $cli_shown -p 16379 ping
   kill -TERM %1                                      # a clean power-off
   (the greeting set above is on the image's state partition: boot
    $work/kv.img again and GET it)
EOT
echo "kv demo: done"
