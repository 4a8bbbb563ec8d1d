# tests/t/tap.bash — TAP helpers for shell tests (sourced, not run).
#   ok COND-EXIT-STATUS "name"     e.g.  cmp a b; ok $? "same"
#   is GOT WANT "name"             string equality
#   skip "why" "name"
#   done_testing                   prints the plan, exits 1 on any failure
#   wait_for FILE PATTERN [S]      poll a log for a line; json REPORT EXPR
# $T is a fresh temporary directory, removed at exit. Binaries: $ERIS.
set -u
_n=0 _failed=0
T=$(mktemp -d "${TMPDIR:-/tmp}/sigil-t.XXXXXX")
trap 'rm -rf "$T"' EXIT
ERIS=${SIGIL_BUILD:?SIGIL_BUILD is not set}/bin/eris

ok() {
	_n=$((_n + 1))
	if [ "$1" -eq 0 ]; then echo "ok $_n - $2"; else echo "not ok $_n - $2"; _failed=$((_failed + 1)); fi
}
is() {
	_n=$((_n + 1))
	if [ "$1" = "$2" ]; then echo "ok $_n - $3"
	else echo "not ok $_n - $3"; echo "#   got:  '$1'"; echo "#   want: '$2'"; _failed=$((_failed + 1)); fi
}
skip() { _n=$((_n + 1)); echo "ok $_n - $2 # SKIP $1"; }
# wait_for FILE PATTERN [SECONDS]: until grep finds PATTERN in FILE (0) or
# SECONDS (default 10) are up (1)
wait_for() {
	local i
	for ((i = 0; i < ${3:-10} * 20; i++)); do
		grep -q -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.05
	done
	return 1
}
# json REPORT EXPR: EXPR (python, with c = children by name) over a
# sigil-init state report
json() { python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); c={x["name"]:x for x in r["children"]}; print(eval(sys.argv[2]))' "$1" "$2"; }
# trace_times FILE: the times of sigil-init's "trace T s:" lines in FILE
# (a console's CR LF endings too), one a line; trace_sorted FILE: there are
# some, and none is earlier than the one before it
trace_times() { LC_ALL=C grep -ao 'sigil-init: trace [0-9.]* s:' "$1" | awk '{print $3}'; }
trace_sorted() { trace_times "$1" | awk 'NR > 1 && $1 < p {bad = 1} {p = $1} END {exit bad || NR == 0}'; }
done_testing() { echo "1..$_n"; [ "$_failed" -eq 0 ]; }
