# tests/cli/lib.sh - helpers for CLI test scripts. Source it, then:
#   t "name" expect_exit 0 kiln-shard --help      # one PASS/FAIL line
#   t "name" cmd_ok some shell pipeline ...       # passes if it exits 0
# Tools are called by their bare names from $KILN_BIN. Each script runs in a
# fresh temp folder ($W), removed at the end unless a check failed.
set -u
export PATH="$KILN_BIN:$PATH"
W=$(mktemp -d "${TMPDIR:-/tmp}/kiln-cli.XXXXXX")
SRC=${KILN_SRC:-$(pwd)}
cd "$W" || exit 1
_suite=$(basename "${BASH_SOURCE[1]:-$0}" .sh)
_failed=0
trap '[ $_failed -eq 0 ] && rm -rf "$W" || echo "  kept $W" >&2' EXIT

# t NAME CHECK ARGS... : run a check function, print PASS/FAIL.
t() {
  local name=$1; shift
  local why
  if why=$("$@" 2>&1); then echo "PASS: $_suite/$name"
  else echo "FAIL: $_suite/$name: ${why//$'\n'/ | }"; _failed=1; fi
}
# expect_exit CODE CMD...: CMD exits with CODE (stdout/stderr kept in $W/last.out, last.err).
expect_exit() {
  local want=$1; shift
  "$@" >"$W/last.out" 2>"$W/last.err"
  local rc=$?
  [ "$rc" -eq "$want" ] || { echo "exit $rc, wanted $want: $*; stderr: $(head -c 400 "$W/last.err")"; return 1; }
}
# cmd_ok CMD...: passes when the command (or a bash -c string) exits 0.
cmd_ok() { "$@" || { echo "failed: $*"; return 1; }; }
sh_ok() { bash -c "$1" || { echo "failed: $1"; return 1; }; }
# out_has / err_has REGEX: the last expect_exit output matches.
out_has() { grep -qE -- "$1" "$W/last.out" || { echo "stdout lacks /$1/: $(head -c 300 "$W/last.out")"; return 1; }; }
err_has() { grep -qE -- "$1" "$W/last.err" || { echo "stderr lacks /$1/: $(head -c 300 "$W/last.err")"; return 1; }; }
# usage_line LINE CMD...: CMD exits 2 and its stderr is exactly LINE, then
# "TOOL: try 'TOOL --help'" (TOOL: the first word of CMD), nothing else.
usage_line() {
  local line=$1; shift
  expect_exit 2 "$@" || return 1
  local want="$line"$'\n'"$1: try '$1 --help'"
  [ "$(cat "$W/last.err")" = "$want" ] || { echo "stderr was: $(cat "$W/last.err")"; return 1; }
}
# corpus SUB: path to ../shared/corpus/SUB if present (else empty).
corpus() { local p="$SRC/../shared/corpus/$1"; [ -e "$p" ] && echo "$p"; }
skip() { echo "SKIP: $_suite/$1: $2"; }
