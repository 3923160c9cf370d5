#!/usr/bin/env bash
# scripts/demo.sh BIN - Kiln's demo on generated data: runs every step in
# scripts/demo.d/ in order (each tool adds its own), then lists what was
# written. Output goes to demo-out/ (override with DEMO=...).
set -euo pipefail
cd "$(dirname "$0")/.."
export KILN_BIN=$(cd "${1:-build/bin}" && pwd)
export PATH="$KILN_BIN:$PATH"
export DEMO=$(mkdir -p "${DEMO:-demo-out}" && cd "${DEMO:-demo-out}" && pwd)
t0=$SECONDS
echo "== Kiln demo: writing into $DEMO"

# Step 0 (foundation): pack generated files into a byte dataset and verify it.
gen=$DEMO/generated-files
rm -rf "$gen" "$DEMO/bytes-dataset"
mkdir -p "$gen"
for i in $(seq 1 16); do
  # Deterministic, varied content: repeated text, counters, a little noise.
  { for k in $(seq 1 $((i * 40))); do echo "kiln demo file $i line $k"; done; head -c $((i * 512)) /dev/zero; } > "$gen/file-$i.txt"
done
kiln-shard pack --bytes "$gen" -o "$DEMO/bytes-dataset" --quiet
kiln-shard verify "$DEMO/bytes-dataset"
kiln-shard info "$DEMO/bytes-dataset" | sed 's/^/   /'
kiln-shard cat "$DEMO/bytes-dataset" -r 3 | cmp - "$gen/file-12.txt" && echo "   round trip: record 3 == file-12.txt (sorted order)"

for step in scripts/demo.d/*.sh; do
  [ -e "$step" ] || continue
  echo "== $(basename "$step" .sh)"
  bash "$step"
done

echo "== demo finished in $((SECONDS - t0)) s; everything it wrote:"
find "$DEMO" -maxdepth 2 -mindepth 1 | sort | sed "s|^$PWD/||; s/^/   /"
