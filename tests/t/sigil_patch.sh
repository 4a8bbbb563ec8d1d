#!/usr/bin/env bash
# sigil_patch.sh — `sigil import` with its own ELF rewriter (the default)
# and with patchelf (--patchelf, also what files the rewriter does not handle
# go through): both closures of /bin/ls run under `sigil exec` with the
# original's output, every patched file of both names only URNs (readelf),
# each is deterministic, and the two rewriters give different bytes (so the
# default really is not patchelf).
. "$(dirname "$0")/tap.bash"
SIGIL=$SIGIL_BUILD/bin/sigil
cd "$T"

command -v patchelf > /dev/null || { skip "no patchelf" "patchelf comparison"; done_testing; exit; }
a=$("$SIGIL" import -s st /bin/ls | cut -d' ' -f1); ok $? "import /bin/ls (built-in rewriter)"
b=$("$SIGIL" import -s st --patchelf patchelf /bin/ls | cut -d' ' -f1); ok $? "import /bin/ls --patchelf patchelf"
[ -n "$a" ] && [ -n "$b" ] && [ "$a" != "$b" ]; ok $? "the two rewriters give different closures"
a2=$("$SIGIL" import -s st2 /bin/ls | cut -d' ' -f1)
b2=$("$SIGIL" import -s st2 --patchelf patchelf /bin/ls | cut -d' ' -f1)
[ "$a" = "$a2" ] && [ "$b" = "$b2" ]; ok $? "each is deterministic (a second store, the same urns)"
"$SIGIL" import -s st -m a.json /bin/ls > /dev/null && "$SIGIL" import -s st -m b.json --patchelf patchelf /bin/ls > /dev/null
mkdir got
for u in $(grep -o 'urn:eris:[A-Z2-7]*' a.json b.json | cut -d: -f2- | sort -u); do
	"$ERIS" get -s st "$u" -o "got/$u" || echo "cannot get $u"
done > get.err
is "$(cat get.err)" "" "every file of both closures decodes"
for f in got/*; do
	readelf -h "$f" > /dev/null 2>&1 || continue
	readelf -d "$f" 2>/dev/null | awk '/NEEDED/ && $0 !~ /urn:eris:|ld-linux-x86-64.so.2/ {print FILENAME": "$0}' FILENAME="$f"
	readelf -d "$f" 2>/dev/null | awk '/RUNPATH|RPATH/ && $0 !~ /\[\/rom\]/ {print FILENAME": "$0}' FILENAME="$f"
done > readelf.out
is "$(cat readelf.out)" "" "readelf -d of every patched file: only urn DT_NEEDED and RUNPATH /rom"
if [ "$(id -u)" -ne 0 ]; then
	skip "not root" "sigil exec needs root (unshare, mount)"
	done_testing
	exit
fi
mkdir tree && echo hi > tree/x && touch -d @0 tree/x
/bin/ls -l --time-style=+%s tree > want
"$SIGIL" exec -s st "$a" -l --time-style=+%s tree > got.a 2> err.a; ok $? "exec (built-in rewriter): $(head -c 200 err.a)"
cmp -s got.a want; ok $? "its output is the original's"
"$SIGIL" exec -s st "$b" -l --time-style=+%s tree > got.b 2> err.b; ok $? "exec (patchelf): $(head -c 200 err.b)"
cmp -s got.b want; ok $? "its output is the original's"
done_testing
