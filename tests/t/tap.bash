# tests/t/tap.bash — TAP helpers for shell tests (sourced, not run).
#   ok COND-EXIT-STATUS "name"     e.g.  cmp a b; ok $? "same"
#   is GOT WANT "name"             string equality
#   skip "why" "name"
#   done_testing                   prints the plan, exits 1 on any failure
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
done_testing() { echo "1..$_n"; [ "$_failed" -eq 0 ]; }
