#!/usr/bin/env bash
# Demo step: train a byte-level BPE vocabulary on the SWF dataset the swf step
# synthesized (or, without it, on a byte dataset of generated files), encode
# the dataset with it, show bytes/token, round-trip a record, export for HF.
set -euo pipefail
: "${KILN_BIN:?}" "${DEMO:?}"
export PATH="$KILN_BIN:$PATH"
out=$DEMO/bpe
rm -rf "$out"
mkdir -p "$out"
in=
for d in "$DEMO/swf/dataset" "$DEMO/swf-dataset"; do [ -f "$d/manifest.json" ] && { in=$d; break; }; done
if [ -z "$in" ]; then
  mkdir -p "$out/files"
  for i in $(seq 1 24); do
    { for k in $(seq 1 $((i * 30))); do printf 'FWS\x0a\x00\x00frame %d shape %d\n' "$k" $((k % 7)); done
      head -c $((i * 300)) /dev/zero; } > "$out/files/gen-$i.bin"
  done
  kiln-shard pack --bytes "$out/files" -o "$out/bytes-dataset" --quiet
  in=$out/bytes-dataset
fi
echo "   input: $in"
kiln-bpe train --vocab-size 4096 --max-token-bytes 16 --checkpoint "$out/checkpoint.vocab" \
  -o "$out/demo.vocab" "$in"
kiln-bpe encode -v "$out/demo.vocab" -o "$out/tokens" "$in"
kiln-shard verify "$out/tokens" | sed 's/^/   /'
kiln-bpe stats -v "$out/demo.vocab" "$in" | head -8 | sed 's/^/   /'
# Record 0, byte for byte: dataset -> ids -> bytes.
kiln-shard cat "$in" -r 0 --segment content > "$out/record0.bin"
kiln-bpe encode -v "$out/demo.vocab" --ids -q -o "$out/record0.ids" "$out/record0.bin"
kiln-bpe decode -v "$out/demo.vocab" -o "$out/record0.back" "$out/record0.ids"
cmp "$out/record0.bin" "$out/record0.back" &&
  echo "   record 0: $(wc -c < "$out/record0.bin") bytes -> $(wc -l < "$out/record0.ids") ids -> the same bytes"
kiln-bpe export -v "$out/demo.vocab" --format hf -o "$out/tokenizer.json"
echo "   results: $out/demo.vocab (merges), $out/tokens (token dataset), $out/tokenizer.json (HuggingFace)"
