#!/usr/bin/env bash
# tests/run.sh - run Kiln's whole suite and print "N passed, N failed".
#
# Every test prints one line "PASS: name", "FAIL: name: why" or "SKIP: name:
# why". Sources of tests, in order:
#   1. unit-test runners   $TBIN/*_test
#   2. CLI scripts         tests/cli/*.sh   (see tests/cli/lib.sh)
#   3. fuzz seed replay    $TBIN/fuzz_<name>_replay tests/fuzz/corpus/<name>
#   4. man-page lint       groff -man -ww -z, and every long option of each
#                          tool's --help appears in its man page
# A runner that crashes or exits non-zero without printing a FAIL line counts
# as one failure. --filter PATTERN runs only sources whose name contains it.
set -u
cd "$(dirname "$0")/.."
bin=build/bin tbin=build/tests filter= sanitized=0
while [ $# -gt 0 ]; do
  case $1 in
    --bin) bin=$2; shift 2 ;;
    --tbin) tbin=$2; shift 2 ;;
    --filter) filter=$2; shift 2 ;;
    --sanitized) sanitized=1; shift ;;
    *) echo "run.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
export KILN_BIN=$(cd "$bin" && pwd) KILN_SANITIZED=$sanitized
export KILN_SRC=$(pwd)
log=$(mktemp -d "${TMPDIR:-/tmp}/kiln-run.XXXXXX")
trap 'rm -rf "$log"' EXIT
passed=0 failed=0 skipped=0

run_source() {  # name, command...
  local name=$1; shift
  [ -n "$filter" ] && [[ $name != *$filter* ]] && return 0
  local out="$log/out" t0=$SECONDS
  "$@" >"$out" 2>"$log/err"
  local rc=$?
  grep -E '^(PASS|FAIL|SKIP): ' "$out" | grep -v '^PASS: ' || true
  local p f s
  p=$(grep -c '^PASS: ' "$out") f=$(grep -c '^FAIL: ' "$out") s=$(grep -c '^SKIP: ' "$out")
  if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
    echo "FAIL: $name: exited with status $rc"; tail -n 20 "$log/err" | sed 's/^/  | /'; f=1
  elif [ "$f" -gt 0 ]; then
    tail -n 20 "$log/err" | sed 's/^/  | /'
  fi
  echo "-- $name: $p passed, $f failed, $s skipped ($((SECONDS - t0)) s)"
  passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
}

for t in "$tbin"/*_test; do
  [ -x "$t" ] && run_source "unit/$(basename "$t")" "$t"
done
for s in tests/cli/*.sh; do
  [ "$(basename "$s")" = lib.sh ] && continue
  run_source "cli/$(basename "$s" .sh)" bash "$s"
done
for r in "$tbin"/fuzz_*_replay; do
  [ -x "$r" ] || continue
  n=$(basename "$r"); n=${n#fuzz_}; n=${n%_replay}
  run_source "fuzz/$n" "$r" "tests/fuzz/corpus/$n"
done
run_source man tests/man_lint.sh "$bin"

echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
