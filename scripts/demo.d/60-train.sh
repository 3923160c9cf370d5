#!/usr/bin/env bash
# Demo step: kiln-train on the CPU. (1) A byte model memorises a handful of
# generated files in two stages (Muon, then AdamW at a longer context); the
# run is stopped half-way, resumed, and sampled greedily: the sample is one
# of the files. (2) A PixelLLM-style sprite model (2-D sinusoidal positions)
# trains on procedural 16x16 sprites for a few minutes, samples two sprites
# for every zone x category pair (a sheet), and breeds two parents.
set -euo pipefail
: "${KILN_BIN:?}" "${DEMO:?}"
export PATH="$KILN_BIN:$PATH"
out=$DEMO/train
rm -rf "$out"
mkdir -p "$out/files"

# ---- (1) bytes -------------------------------------------------------------
i=0
for line in "the kiln fires clay into bricks" "a sprite is a grid of palette indices" \
            "flash games were swf files" "bytes in, tokens out, a model learns" \
            "every checkpoint is written atomically" "resume gives the same bits"; do
  i=$((i + 1)); echo "$line" > "$out/files/note-$i.txt"
done
kiln-shard pack --bytes "$out/files" -o "$out/bytes" --quiet
cat > "$out/bytes.conf" <<'CONF'
# two stages, as ByteCraft trained: Muon at a short context, then AdamW longer
data = bytes
out = bytes-run
seed = 1
log_every = 20
checkpoint_every = 25
batch = 4
[model]
layers = 2
width = 48
heads = 4
mlp = 2
[stage short]
context = 32
steps = 60
optimizer = muon
lr = 0.01
muon_lr = 0.03
warmup = 5
[stage long]
context = 64
steps = 120
lr = 0.006
schedule = linear
CONF
kiln-train run --quiet --stop-after 70 "$out/bytes.conf"
echo "   stopped at step $(kiln-train info --json "$out/bytes-run/checkpoint.kckpt" | grep -oE '"step":[0-9]+' | cut -d: -f2) (as if killed); running again resumes:"
kiln-train run "$out/bytes.conf" 2>&1 | sed 's/^/   /'
kiln-train sample "$out/bytes-run/model.kckpt" -t 0 --ext txt -o "$out/bytes-samples" --quiet
s=$out/bytes-samples/sample-0001-01.txt
echo "   greedy sample: $(cat "$s")"
for f in "$out"/files/*.txt; do cmp -s "$s" "$f" && echo "   = $(basename "$f") (memorised)"; done
kiln-train sample "$out/bytes-run/model.kckpt" -k 3 -t 0.8 --min-p 0.1 --seed 7 --ext txt -o "$out/bytes-samples-minp" --quiet
echo "   3 samples at temperature 0.8, min_p 0.1 in $out/bytes-samples-minp"

# ---- (2) sprites ----------------------------------------------------------------
if kiln-sprites synth -o "$out/synth" --count 3 --quiet 2>/dev/null &&
   kiln-sprites quantize "$out/synth" -o "$out/sprites" --size 16 --quiet 2>/dev/null; then
  cat > "$out/sprites.conf" <<'CONF'
data = sprites
out = sprites-run
seed = 2
log_every = 50
checkpoint_every = 200
batch = 8
[model]
layers = 3
width = 96
heads = 4
position = sin2d     # row/column positions from the dataset's 16x16 grid
context = 259        # BOS + zone + category + 16x16 cells
[stage main]
steps = 500
lr = 0.003
warmup = 20
CONF
  # One prompt per (zone, category) pair of the 80-token layout: zones are
  # ids 68-73, categories 74-79.
  for z in 68 69 70 71 72 73; do for c in 74 75 76 77 78 79; do echo "$z $c"; done; done > "$out/grid.prompts"
  kiln-train run --quiet "$out/sprites.conf"
  tail -n 1 "$out/sprites-run/log.jsonl" | sed 's/^/   last log line: /'
  kiln-train sample "$out/sprites-run/model.kckpt" --prompts "$out/grid.prompts" -k 2 --top-k 8 -o "$out/sprite-samples" --quiet
  kiln-train sample "$out/sprites-run/model.kckpt" --from "$out/sprites" --breed 3,40 --mask 0.4 -k 3 -o "$out/bred" --quiet
  echo "   sprite samples in $out/sprite-samples, bred children of records 3 and 40 in $out/bred"
  if [ -f "$out/sprite-samples/sprites/manifest.json" ] &&
     kiln-sprites sheet "$out/sprite-samples/sprites" --zoom 6 -o "$out/sprite-samples-sheet.png" --quiet; then
    echo "   sampled sprites as a labelled sheet: $out/sprite-samples-sheet.png"
  fi
  ls "$out/bred/png" >/dev/null 2>&1 && echo "   PNGs rendered by kiln-sprites in $out/bred/png"
else
  echo "   (kiln-sprites could not make sprites here: sprite part skipped)"
fi
echo "   runs: $out/bytes-run, $out/sprites-run (checkpoint.kckpt, model.kckpt, log.jsonl, loss.svg)"
