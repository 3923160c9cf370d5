# scripts/pipeline.mk: runs every stage once, skips them all on a second run,
# and reruns exactly the downstream stages when an input file or an option
# changes.
source "$(dirname "$0")/lib.sh"

P=(make --no-print-directory -f "$SRC/scripts/pipeline.mk" BIN="$KILN_BIN" OUT="$W/pl" SYNTH_COUNT=24
   STEPS_MUON=12 STEPS_ADAMW=4 CONTEXT=512 PROMPTS=2 SAMPLES=1 MAX_NEW=96 VOCAB_SIZE=400)
ran() { grep -c "^$KILN_BIN/kiln-$1 $2" "$W/last.out" || true; }
t first-run expect_exit 0 "${P[@]}"
t first-all-stages sh_ok "[ $(ran swf ingest) = 1 ] && [ $(ran bpe train) = 1 ] && [ $(ran train run) = 1 ] && [ $(ran swf eval) = 1 ]"
t table1 sh_ok "grep -q '^| Fully broken (wrong format) |' '$W/pl/table1.md' && grep -q '^| Truth similarity | [01]\.[0-9]* | [01]\.[0-9]* |' '$W/pl/table1.md'"
t eval-json sh_ok "grep -q '\"files\":2' '$W/pl/eval.json'"
t second-run-skips expect_exit 0 "${P[@]}"
t nothing-reran sh_ok "! grep -q '^$KILN_BIN/' '$W/last.out'"
t option-change expect_exit 0 "${P[@]/PROMPTS=2/PROMPTS=1}"
t only-downstream sh_ok "[ $(ran train run) = 0 ] && [ $(ran bpe train) = 0 ] && [ $(ran train sample) -ge 1 ] && [ $(ran swf eval) = 1 ]"
# An interrupted training stage (no stamp, a checkpoint newer than its
# inputs) continues from the checkpoint, as the comment in pipeline.mk
# says; it started over (--restart every time).
cp "$W/pl/run/model.kckpt" model.full
"$KILN_BIN/kiln-train" run -q --restart --stop-after 6 "$W/pl/train.conf"
head -1 "$W/pl/run/log.jsonl" > log.head
rm "$W/pl/.stamp/train"
t interrupted-train expect_exit 0 "${P[@]}" train
t interrupted-train-resumed sh_ok "head -1 '$W/pl/run/log.jsonl' | cmp - log.head"
t interrupted-train-same cmp "$W/pl/run/model.kckpt" model.full
# A changed corpus file reruns ingest and everything after it.

"$KILN_BIN/kiln-swf" synth -n 20 --seed 3 -o corpus2 -q
Q=("${P[@]}" CORPUS="$W/corpus2")
t own-corpus expect_exit 0 "${Q[@]}"
t own-corpus-ingested sh_ok "[ $(ran swf ingest) = 1 ]"
t own-corpus-again expect_exit 0 "${Q[@]}"
t own-corpus-skipped sh_ok "! grep -q '^$KILN_BIN/' '$W/last.out'"
touch -d '2000-01-01' corpus2/synth-000004.swf
t corpus-touched expect_exit 0 "${Q[@]}"
t corpus-change-reruns sh_ok "[ $(ran swf ingest) = 1 ] && [ $(ran bpe train) = 1 ]"
# The documented entry point, make pipeline CONFIG=FILE, reads FILE (here: the
# settings of the last run, so every stage is up to date) and leaves it as it
# is; the top-level Makefile once wrote its build record over it.
build=$(dirname "$KILN_BIN")
printf '%s\n' "OUT = $W/pl" "CORPUS = $W/corpus2" SYNTH_COUNT=24 STEPS_MUON=12 STEPS_ADAMW=4 CONTEXT=512 \
  PROMPTS=2 SAMPLES=1 MAX_NEW=96 VOCAB_SIZE=400 > pl.conf
cp pl.conf pl.conf.orig
sanitize=$([ "${KILN_SANITIZED:-0}" = 1 ] && echo SANITIZE=address,undefined)
t make-pipeline-config expect_exit 0 make -C "$SRC" --no-print-directory pipeline BUILD="$build" $sanitize CONFIG="$W/pl.conf"
t config-file-untouched cmp pl.conf pl.conf.orig
t config-file-read sh_ok "! grep -q '^$KILN_BIN/' '$W/last.out'"
# make demo's pipeline step (small here) prints the tools' output and Table 1,
# not make's recipe lines: its filter of them once let the training recipe's
# "ck=...; restart=..." and "if [ ... ]" shell lines through.
t demo-step expect_exit 0 env KILN_BIN="$KILN_BIN" DEMO="$W/demo" \
  DEMO_PIPELINE_ARGS="SYNTH_COUNT=24 STEPS_MUON=12 STEPS_ADAMW=4 CONTEXT=512 PROMPTS=1 SAMPLES=1 MAX_NEW=32 VOCAB_SIZE=400" \
  bash -c "cd '$SRC' && bash scripts/demo.d/70-pipeline.sh"
t demo-step-table sh_ok "grep -q '^   Table 1' '$W/last.out' && grep -q '^   | Truth similarity |' '$W/last.out'"
t demo-step-no-recipes sh_ok "! grep -E 'restart=|^   if |kiln-train run|\\\\\$' '$W/last.out'"
