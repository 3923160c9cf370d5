#!/usr/bin/env bash
# Demo step: synthesize underwater sprites (6 zones x 6 categories), build
# one shared 64-colour palette, quantize them into a PixelLLM token dataset
# (80-token layout), and render flat and shaded zone x category sheets.
set -euo pipefail
: "${KILN_BIN:?}" "${DEMO:?}"
export PATH="$KILN_BIN:$PATH"
out=$DEMO/sprites
rm -rf "$out"
mkdir -p "$out"
kiln-sprites synth --count 12 --seed 2026 -o "$out/synth" --quiet
echo "   synthesized $(find "$out/synth" -name '*.png' | wc -l) sprites in $out/synth/ZONE/CATEGORY/"
# The palette is fitted on 90% of the sprites; the other 10% show how it
# does on sprites it never saw.
kiln-sprites palette "$out/synth" --holdout 0.1 -o "$out/palette.gpl" | sed 's/^/     | /'
kiln-sprites palette "$out/synth" --palette "$out/palette.gpl" -o "$out/palette.png" --quiet
echo "   shared palette: $out/palette.gpl (swatch $out/palette.png)"
kiln-sprites quantize "$out/synth" --palette "$out/palette.gpl" -o "$out/tokens" --quiet
kiln-shard info "$out/tokens" | grep -E '^(kind|elements|grid|special ids|records):' | sed 's/^/     | /'
kiln-shard verify "$out/tokens" >/dev/null && echo "   kiln-shard verify: ok"
echo "   record 0 prompt tokens (zone, category): $(kiln-shard cat "$out/tokens" -r 0 --segment prompt | od -An -tu1 | tr -s ' ')"
kiln-sprites sheet "$out/tokens" -o "$out/sheet.png" --quiet
kiln-sprites sheet "$out/tokens" --shade -o "$out/sheet-shaded.png" --quiet
kiln-sprites render "$out/tokens" --limit 12 -o "$out/render" --quiet
echo "   sheets: $out/sheet.png (flat), $out/sheet-shaded.png (shaded inside the palette)"
echo "   first 12 records as PNG: $out/render/"
