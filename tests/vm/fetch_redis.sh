#!/usr/bin/env bash
# fetch_redis.sh CACHE — Debian's redis-server and redis-tools (redis-cli,
# redis-benchmark) with the libraries they need that a base system lacks,
# downloaded with `apt-get download` and unpacked with `dpkg -x` into
# CACHE/redis (never installed on the host), once: CACHE/redis/.done marks a
# complete unpack. The same layout tests/t/sigil_import.sh makes, so either
# reuses the other's. Prints CACHE/redis; exit 1 when the download fails
# (offline, no apt sources).
set -u
d=${1:?usage: fetch_redis.sh CACHE}/redis
if [ ! -e "$d/.done" ]; then
	mkdir -p "$d" && (cd "$d" && apt-get download redis-server redis-tools libjemalloc2 liblzf1 >/dev/null 2>&1 &&
		for p in *.deb; do dpkg -x "$p" . || exit 1; done &&
		# only usr/ is needed; etc/init.d would also trip the Makefile's *.d include
		find . -mindepth 1 -maxdepth 1 ! -name usr ! -name '*.deb' -exec rm -rf {} +) &&
		touch "$d/.done" || { echo "fetch_redis.sh: apt-get download redis-server redis-tools failed" >&2; exit 1; }
fi
echo "$d"
