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
# A zip holding ten of the same files (as CWS) shows archive walking and
# deduplication by content: they add no records.
mkdir -p "$out/zipped"
for i in 000000 000001 000002 000003 000004 000005 000006 000007 000008 000009; do
  kiln-swf compress --zlib "$out/synth/synth-$i.swf" -o "$out/zipped/copy-$i.swf" --quiet
done
python3 -c "
import sys, zipfile, os
with zipfile.ZipFile(sys.argv[1], 'w') as z:
    for n in sorted(os.listdir(sys.argv[2])): z.write(os.path.join(sys.argv[2], n), 'copies/' + n)
" "$out/copies.zip" "$out/zipped"
rm -rf "$out/zipped"
mkdir -p "$out/input"
mv "$out/copies.zip" "$out/input/"
cp -r "$out/synth" "$out/input/"
kiln-swf ingest "$out/input" -o "$out/dataset"
kiln-shard verify "$out/dataset" | sed 's/^/   /'
python3 - "$out/dataset" <<'PY'
import json, sys
d = sys.argv[1]
m = json.load(open(d + "/manifest.json"))
c = m["meta"]["counts"]
print("   dataset: %d records, %d tokens; %d ok, %d damaged, %d broken, %d duplicates"
      % (m["records"], m["elements"], c["ok"], c["damaged"], c["broken"], c["duplicates"]))
PY
echo "   results: $out/dataset (shards + manifest.jsonl), $out/validate.txt"
