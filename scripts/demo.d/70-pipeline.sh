#!/usr/bin/env bash
# Demo step: the whole ByteCraft path in one make run (scripts/pipeline.mk):
# synthesized SWF corpus -> ingest -> split by file -> BPE -> encode -> a tiny
# model trained in two stages (Muon, then AdamW) on the CPU -> k samples per
# held-out prompt at two sampling settings -> kiln-swf eval -> Table 1.
# A few minutes of training cannot teach a model SWF: expect "fully broken"
# files and moderate similarity. The point is the path, end to end.
set -euo pipefail
: "${KILN_BIN:?}" "${DEMO:?}"
out=$DEMO/pipeline
log=$(mktemp)
trap 'rm -f "$log"' EXIT
# -s: make's recipe lines are not echoed (a filter of them let the training
# recipe's shell lines through), so what is left is what the tools print.
# DEMO_PIPELINE_ARGS (more VAR=VALUE, taking precedence) lets a test run this
# step small.
# shellcheck disable=SC2086
make -s --no-print-directory -f scripts/pipeline.mk BIN="$KILN_BIN" OUT="$out" \
  SYNTH_COUNT=120 VOCAB_SIZE=1024 CONTEXT=768 STEPS_MUON=120 STEPS_ADAMW=120 \
  PROMPTS=6 SAMPLES=2 MAX_NEW=1024 ${DEMO_PIPELINE_ARGS:-} > "$log" 2>&1 || { sed 's/^/   /' "$log"; exit 1; }
sed 's/^/   /' "$log"
# a second make demo finds everything up to date: show the table it made
grep -q '^Table 1' "$log" || { echo "   (up to date) Table 1 ($out/table1.md):"; sed 's/^/   /' "$out/table1.md"; }
echo "   loss curve: $out/run/loss.svg; samples: $out/samples/; per-file verdicts: $out/eval-files.jsonl"
