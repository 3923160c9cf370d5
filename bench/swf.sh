#!/usr/bin/env bash
# bench/swf.sh [CORPUS_DIR] - libswf's cost over pure decompression, and
# ingest's scaling from 1 to 2 threads, measured in the same run.
#
#   1. `kiln-swf info --json` (and `validate`) over every file of the corpus
#      vs bench/swf_inflate.c, which only reads and inflates the same files
#      with zlib/liblzma; single-threaded; best of REPEAT runs each.
#      Goal: parsing + validation cost <= 10% over pure decompression.
#   2. `kiln-swf ingest` of the corpus with --threads 1 and --threads 2.
#      Goal: >= 1.7x.
# CORPUS_DIR defaults to ../shared/corpus/swf, else a synthesized corpus.
# Other work on the machine skews timings: run it on a quiet machine.
set -eu
cd "$(dirname "$0")/.."
REPEAT=${REPEAT:-5}
make -s build/bin/kiln-swf build/bench/swf_inflate >/dev/null
K=build/bin/kiln-swf
work=$(mktemp -d "${TMPDIR:-/tmp}/kiln-bench-swf.XXXXXX")
trap 'rm -rf "$work"' EXIT
corpus=${1:-../shared/corpus/swf}
if [ ! -d "$corpus" ]; then
  corpus=$work/synth
  $K synth -n 3000 --seed 1 -o "$corpus" --quiet
  echo "corpus: 3000 synthesized files (../shared/corpus/swf not found)"
fi
files=$(find "$corpus" -maxdepth 1 -type f -name '*.swf' | sort)
n=$(echo "$files" | wc -l)
bytes=$(cat $files | wc -c)
echo "corpus: $corpus ($n files, $bytes bytes)"

# best-of-REPEAT wall time in seconds of a command (output discarded)
best() {
  local b= t0 t1 s
  for _ in $(seq "$REPEAT"); do
    t0=$(date +%s.%N); "$@" >/dev/null 2>&1 || true; t1=$(date +%s.%N)
    s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')
    if [ -z "$b" ] || awk -v s="$s" -v b="$b" 'BEGIN { exit !(s < b) }'; then b=$s; fi
  done
  echo "$b"
}
# Warm the page cache so both sides read from memory.
cat $files >/dev/null
peer=$(best build/bench/swf_inflate $files)
info=$(best env OMP_NUM_THREADS=1 $K info --json $files)
validate=$(best env OMP_NUM_THREADS=1 $K validate $files)
printf 'inflate only (peer)      %8.3f s\n' "$peer"
printf 'kiln-swf info --json     %8.3f s   ratio %.3f (goal <= 1.10)\n' "$info" "$(awk -v a="$info" -v b="$peer" 'BEGIN { print a / b }')"
printf 'kiln-swf validate        %8.3f s   ratio %.3f (goal <= 1.10)\n' "$validate" "$(awk -v a="$validate" -v b="$peer" 'BEGIN { print a / b }')"

ing() { rm -rf "$work/ds"; $K ingest "$corpus" -o "$work/ds" --quiet --threads "$1"; }
t1=$(best ing 1)
t2=$(best ing 2)
printf 'ingest --threads 1       %8.3f s\n' "$t1"
printf 'ingest --threads 2       %8.3f s   speed-up %.2fx (goal >= 1.7)\n' "$t2" "$(awk -v a="$t1" -v b="$t2" 'BEGIN { print a / b }')"
