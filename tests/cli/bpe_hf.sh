#!/usr/bin/env bash
# kiln-bpe export --format hf: the real HuggingFace tokenizers library (npm
# package in build/node, installed by bench/bpe.sh) loads the file and gives
# exactly kiln-bpe's ids. Skips cleanly without node or the package.
. "$(dirname "$0")/lib.sh"

if ! command -v node >/dev/null; then skip hf_export "node not installed"; exit 0; fi
if [ ! -d "$SRC/build/node/node_modules/tokenizers" ]; then
  skip hf_export "npm tokenizers not installed (npm install --prefix build/node tokenizers@0.23.2)"; exit 0
fi
hf() { node "$SRC/bench/bpe_hf.js" "$@"; }

mkdir in
seq 1 20000 > in/numbers.txt
cp "$KILN_BIN/kiln-bpe" in/binary
printf 'a"b\\c""\\\\"x  \t\n\0\0\0\0\0\0\0' > in/quotes      # bytes that need JSON escapes
head -c 5000 /dev/zero > in/zeros
t train   expect_exit 0 kiln-bpe train --vocab-size 3000 -q -o v.txt in
t export  expect_exit 0 kiln-bpe export -v v.txt --format hf -o tok.json
t export_offset expect_exit 0 kiln-bpe export -v v.txt --format hf --id-offset 151665 -o tok_off.json
cp "$KILN_BIN/kiln-shard" held_out   # not in the training set
for f in in/numbers.txt in/binary in/quotes in/zeros held_out; do
  n=$(basename "$f")
  t "ids_$n"        expect_exit 0 kiln-bpe encode -v v.txt --ids -q -o "$n.ids" "$f"
  t "hf_same_$n"    hf check tok.json "$n.ids" "$f"
  t "ids_off_$n"    expect_exit 0 kiln-bpe encode -v v.txt --ids --id-offset 151665 -q -o "$n.off" "$f"
  t "hf_offset_$n"  hf check tok_off.json "$n.off" "$f"
done
