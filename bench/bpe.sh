#!/usr/bin/env bash
# bench/bpe.sh - kiln-bpe against HuggingFace tokenizers (npm, node binding)
# on a binary corpus built from this machine's own files, fixed by a seed.
# Prints every figure and the ratios measured in this run; asserts nothing.
#
#   bench/bpe.sh [--big | --big-only]   --big adds the 1 GiB / 108,000-merge run
# Env: SEED (default 1), THREADS (default 2), WORK (default build/bench-bpe).
# HF's node binding trains only its default BpeTrainer (30,000 vocabulary,
# min_frequency 0), so the chunked comparison is at 30,000 with --min-count 1.
set -u
cd "$(dirname "$0")/.."
SEED=${SEED:-1} THREADS=${THREADS:-2} WORK=${WORK:-build/bench-bpe}
BIG=0 SMALL=1
case "${1:-}" in --big) BIG=1 ;; --big-only) BIG=1 SMALL=0 ;; esac
BIN=$(pwd)/build/bin
[ -x "$BIN/kiln-bpe" ] || { echo "bench/bpe.sh: build first (make build/bin/kiln-bpe)"; exit 1; }
make -s build/bench/bpe_encode_bench >/dev/null || exit 1
export OMP_NUM_THREADS=$THREADS
mkdir -p "$WORK"
echo "== kiln-bpe bench: seed $SEED, $THREADS threads, $(nproc) cores visible, work in $WORK"

# make_corpus DIR BYTES: files from /usr/lib, fonts and images, in an order
# fixed by SEED, copied until BYTES (the last one cut).
make_corpus() {
  local dir=$1 want=$2
  [ -f "$dir.done" ] && [ "$(cat "$dir.done")" = "$SEED $want" ] && return 0
  rm -rf "$dir" "$dir.done"; mkdir -p "$dir"
  local have=0 i=0 f s
  while IFS= read -r f; do
    s=$(stat -c %s "$f" 2>/dev/null) || continue
    [ "$s" -gt 0 ] || continue
    [ $((have + s)) -gt "$want" ] && s=$((want - have))
    head -c "$s" "$f" > "$dir/$(printf %06d $i)" || continue
    have=$((have + s)); i=$((i + 1))
    [ "$have" -ge "$want" ] && break
  done < <(find /usr/lib /usr/share/fonts /usr/share/pixmaps /usr/share/icons /usr/share/locale \
             -type f -size +4k 2>/dev/null | LC_ALL=C sort |
           awk -v s="$SEED" '{ h = s; for (i = 1; i <= length($0); i++) h = (h * 31 + index("abcdefghijklmnopqrstuvwxyz0123456789._-/", substr($0, i, 1))) % 1000003; print h "\t" $0 }' |
           LC_ALL=C sort -n -k1,1 -k2 | cut -f2-)
  echo "$SEED $want" > "$dir.done"
  echo "   corpus $dir: $i files, $have bytes"
}

# timed NAME CMD...: run under /usr/bin/time, print user+sys CPU, wall, peak RSS.
timed() {
  local name=$1; shift
  /usr/bin/time -f "%U %S %e %M" -o "$WORK/$name.time" "$@" > "$WORK/$name.out" 2> "$WORK/$name.err"
  local rc=$?
  read -r u s e m < "$WORK/$name.time"
  cpu=$(echo "$u + $s" | bc) wall=$e rss=$((m / 1024))
  printf '   %-28s cpu %8.1f s  wall %8.1f s  peak RSS %6d MB  (exit %d)\n' "$name" "$cpu" "$wall" "$rss" "$rc"
  return $rc
}
ratio() { echo "scale=2; $1 / $2" | bc; }

C64=$WORK/corpus-64m
if [ $SMALL = 1 ]; then
make_corpus "$C64" $((64 << 20))

echo "== 1. 64 MiB in 4 KiB chunks, 30,000 vocabulary: kiln-bpe vs HF tokenizers"
timed kiln_train_chunked "$BIN/kiln-bpe" train --vocab-size 30000 --min-count 1 --chunk 4K --json -o "$WORK/kiln-30k.vocab" "$C64"
k_cpu=$cpu k_rss=$rss
k_bpt=$(grep -o '"bytes_per_token":[0-9.]*' "$WORK/kiln_train_chunked.out" | cut -d: -f2)
echo "   kiln bytes/token on the training chunks: $k_bpt"
HF=0
if ! command -v node >/dev/null; then
  echo "   SKIP HF: node is not installed"
else
  if [ ! -d build/node/node_modules/tokenizers ]; then
    echo "   installing tokenizers@0.23.2 into build/node (git-ignored)"
    npm install --no-save --no-audit --no-fund --prefix build/node tokenizers@0.23.2 >/dev/null 2>&1 ||
      echo "   SKIP HF: npm install tokenizers@0.23.2 failed (offline?)"
  fi
  [ -d build/node/node_modules/tokenizers ] && HF=1
fi
if [ $HF = 1 ]; then
  node bench/bpe_hf.js chunks 4096 "$C64" "$WORK/chunks.txt"
  timed hf_train_chunked node bench/bpe_hf.js train "$WORK/chunks.txt" "$WORK/hf-30k.json"
  h_cpu=$cpu h_rss=$rss
  node bench/bpe_hf.js encode "$WORK/hf-30k.json" "$WORK/chunks.txt" > "$WORK/hf_bpt.out"
  h_bpt=$(grep -o '"bytes_per_token":[0-9.]*' "$WORK/hf_bpt.out" | cut -d: -f2)
  h_enc=$(grep -o '"seconds":[0-9.]*' "$WORK/hf_bpt.out" | cut -d: -f2)
  echo "   HF bytes/token on the training chunks: $h_bpt (encode took $h_enc s)"
  echo "   RATIO cpu HF/kiln: $(ratio "$h_cpu" "$k_cpu")x (bar >= 10)   RSS kiln/HF: $(ratio "$k_rss" "$h_rss") (bar <= 0.20)"
  echo "   RATIO bytes/token kiln/HF: $(echo "scale=4; $k_bpt / $h_bpt" | bc) (bar within 0.995 .. 1.005)"
fi

echo "== 2. 64 MiB whole files, 32,768 vocabulary (bar: <= 15 s wall on 2 cores, <= 1 GB RSS)"
timed kiln_train_whole "$BIN/kiln-bpe" train --vocab-size 32768 --json -o "$WORK/kiln-32k.vocab" "$C64"
grep -o '"bytes_per_token":[0-9.]*' "$WORK/kiln_train_whole.out" | sed 's/^/   /'

echo "== 3. encoding 64 MiB (whole files) with the 32K vocabulary"
timed kiln_encode_32k "$BIN/kiln-bpe" encode -v "$WORK/kiln-32k.vocab" --json --force -o "$WORK/enc-32k" "$C64"
mbs=$(echo "scale=1; $(du -sb "$C64" | cut -f1) / $wall / 1000000" | bc)
echo "   kiln encode: $mbs MB/s wall (reading and writing the dataset included)"
build/bench/bpe_encode_bench "$WORK/kiln-32k.vocab" "$C64"/* |
  sed 's/^/   encoder alone, in memory: /'
if [ $HF = 1 ]; then
  "$BIN/kiln-bpe" export -v "$WORK/kiln-30k.vocab" --format hf -o "$WORK/kiln-30k.json"
  node bench/bpe_hf.js encode "$WORK/kiln-30k.json" "$WORK/chunks.txt" > "$WORK/hf_enc.out"
  h_s=$(grep -o '"seconds":[0-9.]*' "$WORK/hf_enc.out" | cut -d: -f2)
  timed kiln_encode_chunked "$BIN/kiln-bpe" encode -v "$WORK/kiln-30k.vocab" --json --force -o "$WORK/enc-30k" "$C64"
  echo "   HF encode of the 4 KiB chunks with kiln's 30K vocabulary (exported): $h_s s; kiln whole files: $wall s"
  echo "   RATIO encode speed kiln/HF: $(ratio "$h_s" "$wall")x (bar >= 20)"
fi

fi

if [ $BIG = 1 ]; then
  echo "== 4. 1 GiB, 256 + 108,000 merges (bar: <= 10 min on 2 cores, <= 12 GB RSS)"
  C1G=$WORK/corpus-1g
  make_corpus "$C1G" $((1 << 30))
  timed kiln_train_1g "$BIN/kiln-bpe" train --vocab-size 108256 --json -o "$WORK/kiln-108k.vocab" "$C1G"
  cat "$WORK/kiln_train_1g.out" | sed 's/^/   /'
  timed kiln_encode_108k "$BIN/kiln-bpe" encode -v "$WORK/kiln-108k.vocab" --json --force -o "$WORK/enc-108k" "$C1G"
  echo "   kiln encode 1 GiB with 108K: $(echo "scale=1; $(du -sb "$C1G" | cut -f1) / $wall / 1000000" | bc) MB/s wall"
  build/bench/bpe_encode_bench "$WORK/kiln-108k.vocab" "$C64"/* | sed 's/^/   108K encoder alone, in memory, 64 MiB: /'
fi
echo "== done (other work may have run on this machine at the same time: compare ratios, not absolutes)"
