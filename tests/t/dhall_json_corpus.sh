#!/usr/bin/env bash
# dhall_json_corpus.sh — dhall-to-json against dhall-haskell on realistic
# configurations: every tests/data/dhall-json/NAME.dhall (Prelude-heavy:
# records of unions, toMap, text templating, List/map, Optional, nested
# records, record completion) must give, byte for byte, NAME.json, which
# was recorded from dhall-haskell's dhall-to-json 1.7.6 (the peer is not
# needed here). The files import the Prelude as ./Prelude/…: the test
# copies them into a scratch directory next to a link to the shared
# Prelude ($SIGIL_SHARED/dhall/Prelude), which is how they were recorded:
#
#   mkdir w && cp tests/data/dhall-json/*.dhall w/ && ln -s $SHARED/dhall/Prelude w/Prelude
#   (cd w && dhall-to-json-1.7.6 --file NAME.dhall > NAME.json)
. "$(dirname "$0")/tap.bash"
TOP=${SIGIL_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
DATA=$TOP/tests/data/dhall-json
SHARED=${SIGIL_SHARED:-$TOP/../shared}
J=$SIGIL_BUILD/bin/dhall-to-json
export XDG_CACHE_HOME=$T/cache

cd "$T"
cp "$DATA"/*.dhall . || exit 1
ln -s "$SHARED/dhall/Prelude" Prelude
n=0
for f in "$DATA"/*.dhall; do
	name=$(basename "$f" .dhall)
	n=$((n + 1))
	if ! "$J" --file "$name.dhall" > "$name.out" 2> "$name.err"; then
		ok 1 "$name: dhall-to-json fails: $(head -n 1 "$name.err")"
		continue
	fi
	if cmp -s "$name.out" "$DATA/$name.json"; then
		ok 0 "$name: equals dhall-haskell's output ($(wc -c < "$name.out") bytes)"
	else
		ok 1 "$name: differs from dhall-haskell's output"
		diff "$DATA/$name.json" "$name.out" | head -n 20 | sed 's/^/#   /'
	fi
done
[ "$n" -ge 8 ]; ok $? "the corpus has at least 8 configurations ($n)"
grep -q './Prelude/' ./*.dhall; ok $? "and they use the Prelude"
done_testing
