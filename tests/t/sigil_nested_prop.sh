#!/usr/bin/env bash
# sigil_nested_prop.sh — property test of routing through nested inits and
# to the system's parent, against two independent routers.
#
# tests/t/nested_gen.py draws 40 random systems: a tree of nested inits
# (up to 3 deep), leaf children providing services, each use answered by
# exactly one server whose exact policy names the client as that server
# sees it (the label below the innermost init holding both, computed by the
# generator on its own), some uses going to services of the parent. For
# each system:
#   1. sigil check passes;
#   2. sigil graph draws exactly the generator's routes (our router);
#   3. the Genode rendering passes `sigil genode --check` (Genode's
#      client-side route rules, resolved the way init does, reach a server
#      that announces each service);
#   4. importing that rendering gives back the same routes (the importer
#      follows Genode's rules up and down through the inits), and rendering
#      the import gives the same XML.
. "$(dirname "$0")/tap.bash"
cd "$T" || exit 1
top=${SIGIL_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
SIGIL=$SIGIL_BUILD/bin/sigil

edges() { # DOT → sorted "client|server|label" lines
	grep -F ' -> ' "$1" | grep -v 'style=dashed' |
		sed -n 's/^\t"\(.*\)" -> "\(.*\)" \[label="\(.*\)"\];$/\1|\2|\3/p' | sort
}

python3 "$top/tests/t/nested_gen.py" 40 sys 2> gen.err; is "$?" 0 "40 random nested systems generated$( [ -s gen.err ] && echo ": $(head -n 2 gen.err)")"
bad_check=0 bad_graph=0 bad_genode=0 bad_import=0 bad_fix=0 n=0
for f in sys*.json; do
	[ -f "$f" ] || continue
	n=$((n + 1)); b=${f%.json}
	"$SIGIL" check -q "$f" > /dev/null 2> "$b.err" || { bad_check=$((bad_check + 1)); echo "# $f: $(head -n 2 "$b.err")"; continue; }
	"$SIGIL" graph "$f" > "$b.dot"
	edges "$b.dot" > "$b.got"
	sort "$b.routes" > "$b.want"
	cmp -s "$b.got" "$b.want" || { bad_graph=$((bad_graph + 1)); echo "# $f: routes differ: $(diff "$b.want" "$b.got" | head -n 3 | tr '\n' ' ')"; }
	"$SIGIL" genode "$f" > "$b.xml" 2> "$b.gerr"
	"$SIGIL" genode --check "$b.xml" > /dev/null 2> "$b.cerr"
	grep -E ': error: ' "$b.cerr" | grep -v "caps, below the env sessions' overhead" > "$b.cbad"
	[ ! -s "$b.cbad" ] || { bad_genode=$((bad_genode + 1)); echo "# $f: genode --check: $(head -n 2 "$b.cbad")"; }
	"$SIGIL" genode --import --name t "$b.xml" > "$b.dhall" 2> /dev/null
	"$SIGIL" graph "$b.dhall" > "$b.idot" 2> /dev/null
	edges "$b.idot" > "$b.igot"
	cmp -s "$b.igot" "$b.want" || { bad_import=$((bad_import + 1)); echo "# $f: imported routes differ: $(diff "$b.want" "$b.igot" | head -n 3 | tr '\n' ' ')"; }
	"$SIGIL" genode "$b.dhall" > "$b.xml2" 2> /dev/null
	cmp -s "$b.xml" "$b.xml2" || bad_fix=$((bad_fix + 1))
done
is "$n" 40 "40 systems tried"
is "$bad_check" 0 "every system passes sigil check"
is "$bad_graph" 0 "our router takes exactly the generator's routes"
is "$bad_genode" 0 "every Genode rendering routes every session (genode --check)"
is "$bad_import" 0 "importing the rendering gives back the same routes"
is "$bad_fix" 0 "render → import → render is a fixpoint"
done_testing
