#!/usr/bin/env bash
# Demo step: synthesize an SWF corpus, check it with the validator, convert
# one file to CWS/ZWS and back, ingest the corpus (plus a zip of copies, to
# show archives and deduplication) into a token dataset, print the summary.
set -euo pipefail
: "${KILN_BIN:?}" "${DEMO:?}"
export PATH="$KILN_BIN:$PATH"
out=$DEMO/swf
rm -rf "$out"
mkdir -p "$out"
kiln-swf synth -n 120 --seed 2026 -o "$out/synth" --quiet
echo "   synthesized 120 animations in $out/synth"
kiln-swf validate --strict "$out"/synth/*.swf > "$out/validate.txt"
echo "   validate --strict: $(grep -c ': ok$' "$out/validate.txt") of 120 ok with no spec notes"
f=$out/synth/synth-000007.swf
kiln-swf compress --lzma "$f" -o "$out/sample.zws.swf" --quiet
kiln-swf decompress "$out/sample.zws.swf" -o "$out/sample.back.swf"
cmp "$f" "$out/sample.back.swf" && echo "   FWS -> ZWS ($(wc -c < "$out/sample.zws.swf") bytes) -> FWS: byte-exact"
echo "   prompt of synth-000007.swf:"
kiln-swf prompt "$f" | sed 's/^/     | /'
mkdir -p "$out/input"
cp -r "$out/synth" "$out/input/"
# A zip holding ten of the same files (as CWS) shows archive walking and
# deduplication by content: they add no records. (python3 writes the zip.)
if command -v python3 >/dev/null; then
  mkdir -p "$out/zipped"
  for i in 000000 000001 000002 000003 000004 000005 000006 000007 000008 000009; do
    kiln-swf compress --zlib "$out/synth/synth-$i.swf" -o "$out/zipped/copy-$i.swf" --quiet
  done
  python3 -c "
import sys, zipfile, os
with zipfile.ZipFile(sys.argv[1], 'w') as z:
    for n in sorted(os.listdir(sys.argv[2])): z.write(os.path.join(sys.argv[2], n), 'copies/' + n)
" "$out/input/copies.zip" "$out/zipped"
  rm -rf "$out/zipped"
fi
kiln-swf ingest "$out/input" -o "$out/dataset"
kiln-shard verify "$out/dataset" | sed 's/^/   /'
kiln-shard info "$out/dataset" | sed 's/^/   /'
echo "   results: $out/dataset (shards + manifest.jsonl), $out/validate.txt"
