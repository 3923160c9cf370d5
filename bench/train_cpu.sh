#!/usr/bin/env bash
# bench/train_cpu.sh [BIN] - kiln-train's CPU reference path against PyTorch
# on the CPU (the peer), same model shape, batch and thread count, measured in
# the same run. Prints tokens/s of each and the ratio kiln/torch; no target:
# the CPU path is the readable reference, the fast path is CUDA (issue 8).
# Needs python3 with torch (Debian: python3-torch); skips the peer without it.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=$(cd "${1:-build/bin}" && pwd)
THREADS=${OMP_NUM_THREADS:-$(nproc)}
PY=
for p in ${PYTHON:-} python3 /usr/bin/python3; do
  "$p" -c 'import torch' 2>/dev/null && { PY=$p; break; }
done
W=$(mktemp -d "${TMPDIR:-/tmp}/kiln-bench-train.XXXXXX")
trap 'rm -rf "$W"' EXIT
# shape: layers width heads context batch steps (vocab = 256 bytes + BOS/EOS)
for shape in "2 128 4 256 8 5" "4 192 6 128 4 5"; do
  read -r L C NH T B S <<< "$shape"
  mkdir -p "$W/files"
  # documents longer than the context, so every row is full (no padding)
  for i in 1 2 3 4; do head -c 20000 /dev/urandom > "$W/files/r$i"; done
  rm -rf "$W/data" "$W/run"
  "$BIN/kiln-shard" pack --bytes "$W/files" -o "$W/data" -q
  printf 'data = data\nout = run\nlog_every = 1000000\ncheckpoint_every = 0\nbatch = %s\n[model]\nlayers = %s\nwidth = %s\nheads = %s\ntie_embeddings = no\n[stage s]\ncontext = %s\nsteps = %s\nlr = 1e-3\n' \
    "$B" "$L" "$C" "$NH" "$T" "$((S + 1))" > "$W/b.conf"
  OMP_NUM_THREADS=$THREADS "$BIN/kiln-train" run -q "$W/b.conf"
  # tokens/s over steps 2..S+1 (the first step allocates): from the log's
  # first and last lines (the first, last step of a stage are always logged)
  kiln=$(awk -F'"elapsed_s":' 'NR==1{split($2,a,"}"); t0=a[1]} END{split($2,a,"}"); print ('"$S"' * '"$B"' * '"$T"') / (a[1] - t0)}' "$W/run/log.jsonl")
  if [ -n "$PY" ] && torch=$("$PY" bench/train_cpu_torch.py "$L" "$C" "$NH" 258 "$T" "$B" "$S" "$THREADS" 2>/dev/null | awk '/tokens_per_s/{print $2}') && [ -n "$torch" ]; then
    ratio=$(awk -v a="$kiln" -v b="$torch" 'BEGIN{printf "%.3f", a / b}')
  else
    torch=n/a ratio=n/a
  fi
  printf 'train-cpu L=%s C=%s T=%s B=%s threads=%s: kiln %.0f tokens/s, torch %s tokens/s, ratio kiln/torch %s\n' \
    "$L" "$C" "$T" "$B" "$THREADS" "$kiln" "$torch" "$ratio"
done
