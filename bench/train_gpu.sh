#!/usr/bin/env bash
# bench/train_gpu.sh - kiln-train's CUDA backend (issue 8): tokens/s and MFU
# of three configurations, each trained STEPS steps on generated data:
#   (a) GPT-2 small (124M parameters, 50,257 vocabulary) at 1K context;
#   (b) the PixelLLM configuration (kiln-train example pixel) on synthetic
#       32x32 sprites;
#   (c) a 32K-context byte model (batch 1).
# Prints every figure; asserts nothing. Needs a build with CUDA (nvcc found)
# and a GPU; exits 1 with a message otherwise.
#
# tokens/s: median of the logged steps after the first STEPS/3 (warm-up).
# FLOPs per token: 6 N + 6 L T C (N parameters, L layers, T context, C
# width; the second term is causal attention, forward and backward, as in
# llm.c). MFU is printed against the GPU's dense bf16 tensor peak (the unit
# issue 8's target uses) and against its fp32 peak (what the backend
# computes in today).
#   bench/train_gpu.sh [a|b|c ...]     default: all three
# Env: STEPS (default 30; configuration c takes STEPS_C, default 6, its
# reference attention being quadratic), WORK (default build/bench-train-gpu), BACKEND
# (default cuda; cpu runs the same configurations on the CPU, e.g. to try
# the script with STEPS=3).
set -u
cd "$(dirname "$0")/.."
STEPS=${STEPS:-30} STEPS_C=${STEPS_C:-6} WORK=${WORK:-build/bench-train-gpu} BACKEND=${BACKEND:-cuda}
BIN=$(pwd)/build/bin
make -s all >/dev/null || exit 1
export PATH="$BIN:$PATH"
gpu=cpu
if [ "$BACKEND" = cuda ]; then
  if ! kiln-train --version | grep -q 'backends: cpu cuda'; then
    echo "bench/train_gpu.sh: this kiln-train has no CUDA backend (nvcc was not found at build time)"; exit 1
  fi
  if ! command -v nvidia-smi >/dev/null || ! nvidia-smi -L >/dev/null 2>&1; then
    echo "bench/train_gpu.sh: no GPU (nvidia-smi -L failed)"; exit 1
  fi
  gpu=$(nvidia-smi --query-gpu=name --format=csv,noheader | head -1)
fi
# dense peaks in TFLOPS: bf16 tensor, fp32 (vendor data sheets, SXM parts)
case "$gpu" in
  *H100*|*H200*|*GH200*) bf16=989.4 fp32=66.9 ;;
  *A100*) bf16=312 fp32=19.5 ;;
  *L40S*) bf16=362 fp32=91.6 ;;
  *4090*) bf16=165.2 fp32=82.6 ;;
  *4080*) bf16=97.5 fp32=48.7 ;;
  *) bf16=0 fp32=0 ;;
esac
mkdir -p "$WORK"
echo "== kiln-train CUDA bench on $gpu ($(nproc) CPU cores), $STEPS steps each, work in $WORK"
[ "$bf16" = 0 ] && echo "   (unknown GPU: no peak to compute MFU against)"

# run NAME LAYERS CONTEXT WIDTH: train WORK/NAME.conf, print tokens/s and MFU
run() {
  local name=$1 L=$2 T=$3 C=$4
  rm -rf "$WORK/$name-run"
  local t0=$(date +%s.%N)
  if ! (cd "$WORK" && kiln-train run "$name.conf") > "$WORK/$name.out" 2>&1; then
    echo "   $name: FAILED: $(tail -3 "$WORK/$name.out")"; return
  fi
  local wall=$(echo "$(date +%s.%N) - $t0" | bc)
  # the parameter count as kiln-train reports it ("kiln-train: N parameters (...)")
  local np=$(grep -oE '[0-9]+ parameters' "$WORK/$name.out" | head -1 | cut -d' ' -f1)
  local tps=$(grep '"type":"train"' "$WORK/$name-run/log.jsonl" | awk -v skip=$((STEPS / 3)) 'NR > skip' |
              grep -oE '"tokens_per_s":[0-9.e+]+' | cut -d: -f2 | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
  awk -v n="$name" -v np="$np" -v L="$L" -v T="$T" -v C="$C" -v tps="$tps" -v b="$bf16" -v f="$fp32" -v w="$wall" 'BEGIN {
    fpt = 6 * np + 6 * L * T * C
    printf "   %-8s %6.1fM params  %9.0f tokens/s  %7.2f TFLOPS", n, np / 1e6, tps, fpt * tps / 1e12
    if (b > 0) printf "  MFU %5.1f%% of bf16 peak, %5.1f%% of fp32 peak", 100 * fpt * tps / (b * 1e12), 100 * fpt * tps / (f * 1e12)
    printf "  (wall %.0f s)\n", w }'
}

# byte_conf NAME BATCH LAYERS WIDTH HEADS CONTEXT STEPS [MODEL LINE]: NAME.conf
# training on 8 MiB of random bytes (made once), for the a and c runs.
byte_conf() {
  [ -d "$WORK/bytes-8m" ] || { head -c $((8 << 20)) /dev/urandom > "$WORK/rand.bin" &&
    kiln-shard pack --bytes "$WORK/rand.bin" -o "$WORK/bytes-8m" -q; }
  cat > "$WORK/$1.conf" <<CONF
data = bytes-8m
out = $1-run
log_every = 1
checkpoint_every = 0
backend = $BACKEND
batch = $2
[model]
layers = $3
width = $4
heads = $5
context = $6
${8:-}
[stage main]
steps = $7
CONF
}

want=${*:-a b c}
for w in $want; do case $w in
a)
  byte_conf a 8 12 768 12 1024 "$STEPS" 'vocab = 50257'
  run a 12 1024 768 ;;
b)
  if [ ! -d "$WORK/sprites" ]; then
    kiln-sprites synth -o "$WORK/synth" --count 20 --quiet &&
      kiln-sprites quantize "$WORK/synth" -o "$WORK/sprites" --quiet || { echo "   b: could not make sprites"; continue; }
  fi
  kiln-train example pixel | sed -e 's/^data = .*/data = sprites/' -e 's/^out = .*/out = b-run/' \
    -e '/^val = /d' -e '/^val_every = /d' -e '/^checkpoint_every = /d' -e '/^warmup = /d' -e "s/^steps = .*/steps = $STEPS/" > "$WORK/b.conf"
  printf 'backend = %s\nlog_every = 1\ncheckpoint_every = 0\n' "$BACKEND" | cat - "$WORK/b.conf" > "$WORK/b.tmp" && mv "$WORK/b.tmp" "$WORK/b.conf"
  ctx=$(kiln-train config "$WORK/b.conf" 2>/dev/null | awk '/^\[model\]/ { m = 1 } m && /^context =/ { print $3; exit }')
  run b 6 "${ctx:-1040}" 192 ;;
c)
  byte_conf c 1 4 512 8 32768 "$STEPS_C"
  STEPS=$STEPS_C run c 4 32768 512 ;;
*) echo "bench/train_gpu.sh: unknown configuration '$w' (a, b or c)"; exit 2 ;;
esac; done
echo "== done"
