#!/usr/bin/env bash
# kiln-train from the command line: usage and exit codes, a tiny run that
# memorises its data, resume after --stop-after and after a real SIGKILL
# (both must equal the uninterrupted run byte for byte), damaged inputs,
# and sampling the memorised files back.
. "$(dirname "$0")/lib.sh"

mkdir -p files
for i in 1 2 3 4 5; do printf 'kiln file %d: the quick brown fox.\n' "$i" > files/f$i.txt; done
kiln-shard pack --bytes files -o data -q || { echo "FAIL: train_cli/setup: kiln-shard pack failed"; exit 1; }

cat > tiny.conf <<'CONF'
# two stages: Muon at context 24, then AdamW at context 48
data = data
out = run
seed = 5
log_every = 5
checkpoint_every = 10
batch = 4
[model]
layers = 2
width = 32
heads = 4
mlp = 2
[stage warm]
context = 24
steps = 30
optimizer = muon
lr = 0.01
muon_lr = 0.03
warmup = 3
[stage main]
context = 48
steps = 90
lr = 0.006
schedule = linear
CONF

t help expect_exit 0 kiln-train --help
t help_lists_commands out_has 'sample CHECKPOINT'
t version expect_exit 0 kiln-train --version
t no_command expect_exit 2 kiln-train
t unknown_command expect_exit 2 kiln-train frobnicate x
t opt_unknown usage_line "kiln-train run: unrecognized option '--bogus'" kiln-train run --bogus tiny.conf
t opt_no_value usage_line "kiln-train sample: option '-o' needs a value" kiln-train sample x.kckpt -o
t opt_before_cmd usage_line "kiln-train sample: option '--seed' needs a value" kiln-train -q sample x.kckpt --seed
t opt_no_cmd usage_line "kiln-train: unrecognized option '--bogus'" kiln-train --bogus
t bad_option_value expect_exit 2 kiln-train sample --top-p 2 x
# an option of another command is refused, not ignored (run -o OUT wrote
# into the config's out folder as if -o had not been given)
t run_sample_option usage_line "kiln-train run: option '-o' does not apply to run (it is for: sample)" \
  kiln-train run -o elsewhere tiny.conf
t run_sample_option_nothing sh_ok 'test ! -e run && test ! -e elsewhere'
t run_sample_option_long usage_line "kiln-train run: option '--out' does not apply to run (it is for: sample)" \
  kiln-train run --out elsewhere tiny.conf
t sample_run_option usage_line "kiln-train sample: option '--stop-after' does not apply to sample (it is for: run)" \
  kiln-train sample --stop-after 3 x.kckpt
t info_sample_option usage_line "kiln-train info: option '-t' does not apply to info (it is for: sample)" \
  kiln-train info -t 0 x.kckpt
t example_json usage_line "kiln-train example: option '--json' does not apply to example (it is for: run sample info config)" \
  kiln-train example --json tiny
t before_cmd_option usage_line "kiln-train config: option '--restart' does not apply to config (it is for: run)" \
  kiln-train --restart config tiny.conf
# an unknown command is named as such, whatever options come with it
t unknown_cmd_option usage_line "kiln-train: unknown command 'frobnicate' (run, sample, info, config, example)" \
  kiln-train frobnicate --restart x
t missing_config expect_exit 1 kiln-train run nope.conf
t missing_config_named err_has 'nope.conf'

printf 'data = data\n[model]\nwidth = 3x\n' > bad.conf
t bad_config expect_exit 1 kiln-train run bad.conf
t bad_config_line err_has 'bad.conf:3'
# a missing dataset names the config, its line and key, not only the path
printf '# no such data\ndata = nodata\n[model]\ncontext = 16\n' > nodata.conf
t missing_data expect_exit 1 kiln-train run -q nodata.conf
t missing_data_named err_has "^kiln-train: nodata.conf:2: data = nodata: $W/nodata: No such file or directory$"
printf 'data = data\nout = nvrun\n\nval = ../nowhere/val\n[model]\ncontext = 16\n' > noval.conf
t missing_val expect_exit 1 kiln-train run -q noval.conf
t missing_val_named err_has "^kiln-train: noval.conf:4: val = ../nowhere/val: .*/nowhere/val: No such file or directory$"
t missing_val_nothing_written sh_ok 'test ! -e nvrun'
mkdir -p sdata && cp -r data sdata/
printf 'data = data\nval = sdata\n[model]\ncontext = 16\n' > folderval.conf
t val_not_dataset expect_exit 1 kiln-train run -q folderval.conf
t val_not_dataset_named err_has '^kiln-train: folderval.conf:2: val = sdata: .*sdata: '
printf 'data = data\n[model]\nwidth = 10\nheads = 3\ncontext = 8\n' > heads.conf
t config_cross_check expect_exit 1 kiln-train config heads.conf
t config_cross_check_named err_has '^kiln-train: heads.conf: width 10 is not a multiple of heads 3'
# A record whose checksum fails stops training (its bytes are in range, so
# only the checksum tells): exit 1 naming the file, record and byte offset.
cp -r data cdata && printf 'Z' | dd of=cdata/shard-00000.kshard bs=1 seek=$(grep -abo quick cdata/shard-00000.kshard | head -1 | cut -d: -f1) conv=notrunc 2>/dev/null
t corrupt_data_verify expect_exit 1 kiln-shard verify cdata
printf 'data = cdata\nout = crun\nshuffle = no\nbatch = 2\n[model]\nlayers = 1\nwidth = 16\nheads = 2\ncontext = 16\n[stage main]\nsteps = 20\n' > corrupt.conf
t corrupt_data expect_exit 1 kiln-train run -q corrupt.conf
t corrupt_data_msg err_has 'cdata/shard-00000.kshard: record [0-9]+: payload CRC mismatch \(byte offset [0-9]+\)'
printf 'data = data\nbackend = cuda\n[model]\ncontext = 16\n' > cuda.conf
if kiln-train --version | grep -q 'backends: cpu cuda'; then
  t cuda_config_accepted expect_exit 0 kiln-train config cuda.conf
  if command -v nvidia-smi >/dev/null && nvidia-smi -L >/dev/null 2>&1; then
    skip cuda_no_device "a GPU is present (tests/cli/train_cuda.sh checks the backend)"
  else
    printf 'data = data\nout = runc\nbackend = cuda\nbatch = 2\n[model]\nlayers = 1\nwidth = 16\nheads = 2\ncontext = 8\n[stage main]\nsteps = 2\n' > cudarun.conf
    t cuda_no_device expect_exit 1 kiln-train run -q cudarun.conf
    t cuda_no_device_says err_has 'no CUDA device'
    t cuda_no_device_no_output sh_ok 'test ! -e runc/model.kckpt'
  fi
else
  t cuda_not_built expect_exit 3 kiln-train config cuda.conf
fi
# far more memory than any machine has: refused before allocating (the
# kernel would lend the pages and kill the run when they are touched)
printf 'data = data\nout = bigrun\nbatch = 2048\n[model]\nwidth = 16384\nheads = 64\nlayers = 2\ncontext = 1048576\n' > big.conf
t too_big expect_exit 1 kiln-train run -q big.conf
t too_big_says err_has '^kiln-train: big.conf: the run needs about [0-9.]+ GiB .*this machine has [0-9.]+ GiB'
t too_big_no_output sh_ok 'test ! -e bigrun'
t example_parses sh_ok 'kiln-train example bytecraft > bc.conf && kiln-train config bc.conf | grep -q "context = 32768"'

# the uninterrupted run
t run expect_exit 0 kiln-train run -q tiny.conf
t run_outputs sh_ok 'test -s run/model.kckpt && test -s run/checkpoint.kckpt && grep -q "<polyline" run/loss.svg'
t log_is_json_lines sh_ok 'head -1 run/log.jsonl | grep -q "\"type\":\"train\",\"stage\":\"warm\",\"step\":1," && grep -c "\"type\":\"train\"" run/log.jsonl | grep -qx 26'
t loss_falls sh_ok 'first=$(head -1 run/log.jsonl | grep -oE "\"loss\":[0-9.e-]+" | cut -d: -f2); last=$(tail -1 run/log.jsonl | grep -oE "\"loss\":[0-9.e-]+" | cut -d: -f2); awk -v a="$first" -v b="$last" "BEGIN{exit !(a > 3 && b < 0.1)}"'
t info_json sh_ok 'kiln-train info --json run/model.kckpt | grep -q "\"step\":120,.*\"done\":true"'
# the text output escapes the checkpoint's name: one line, as kiln-train(1) says
cp run/model.kckpt "$(printf 'm\nforged.kckpt')"
t info_name_escaped sh_ok "kiln-train info \$'m\\nforged.kckpt' | grep -qx 'checkpoint   m\\\\nforged.kckpt'"
t rerun_finished expect_exit 0 kiln-train run tiny.conf
t rerun_says_finished err_has 'already finished at step 120'
# --json of a finished run names the run's step (it said 0)
t rerun_json sh_ok 'kiln-train run --json tiny.conf | tail -1 | grep -q "^{\"type\":\"done\",\"step\":120,"'
# killed between the last save's two renames: a finished checkpoint and no
# model.kckpt; running again writes the model (the same bytes)
cp run/model.kckpt model.ref && rm run/model.kckpt
t rerun_writes_model expect_exit 0 kiln-train run -q tiny.conf
t rerun_model_same cmp run/model.kckpt model.ref
mv run full   # the interrupted runs below reuse the same config (and out folder name)

# --stop-after, then continue: identical checkpoint files
t stop_after expect_exit 0 kiln-train run --stop-after 17 tiny.conf
t stop_after_state sh_ok 'kiln-train info --json run/checkpoint.kckpt | grep -q "\"stage_step\":17,\"step\":17,"'
# the same --stop-after again (or a smaller one) stops where the run is: it
# took one more step each time
t stop_after_again expect_exit 0 kiln-train run --json --stop-after 17 tiny.conf
t stop_after_again_json sh_ok 'tail -1 last.out | grep -q "^{\"type\":\"stopped\",\"step\":17,"'
t stop_after_smaller expect_exit 0 kiln-train run -q --stop-after 5 tiny.conf
t stop_after_no_step sh_ok 'kiln-train info --json run/checkpoint.kckpt | grep -q "\"stage_step\":17,\"step\":17,"'
t resume expect_exit 0 kiln-train run tiny.conf
t resume_message err_has 'resuming at step 17'
t resume_bit_exact cmp run/model.kckpt full/model.kckpt
t resume_log_complete sh_ok 'grep -c "\"type\":\"train\"" run/log.jsonl | grep -qx 26'
rm -rf run

# the same config named from another folder (an absolute path) resumes
t stop_here expect_exit 0 kiln-train run -q --stop-after 9 tiny.conf
t resume_from_elsewhere sh_ok "cd / && kiln-train run -q '$W/tiny.conf'"
t resume_from_elsewhere_bit_exact cmp run/model.kckpt full/model.kckpt
rm -rf run

# a finished one-stage run, then a second stage added to its config: the
# run continues into it, as if both had been there from the start
sed '/^\[stage main\]/,$d; s/^\[model\]/[model]\ncontext = 48/' tiny.conf > warm.conf
t warm_only expect_exit 0 kiln-train run -q warm.conf
t warm_only_done sh_ok 'kiln-train info --json run/model.kckpt | grep -q "\"step\":30,.*\"done\":true"'
t stage_added expect_exit 0 kiln-train run -q tiny.conf
t stage_added_bit_exact cmp run/model.kckpt full/model.kckpt
rm -rf run

# The data folder re-packed from other files (vocabulary 256: no fingerprint
# to tell): resuming is refused. Re-packed from the same files, in other
# shard sizes, it is the same data and resumes bit-exactly; so does a
# checkpoint from before the dataset identity was recorded (bytes 164..167
# zero).
t stop_again expect_exit 0 kiln-train run -q --stop-after 12 tiny.conf
mv data data.orig
mkdir -p files2 && cp files/* files2/ && printf 'kiln file 3: the quick brown cat.\n' > files2/f3.txt
kiln-shard pack --bytes files2 -o data -q
t other_data_refused expect_exit 1 kiln-train run -q tiny.conf
t other_data_message err_has 'run/checkpoint.kckpt: the checkpoint was trained on other records than .*data now holds .*--restart'
t other_data_ckpt_kept sh_ok 'kiln-train info --json run/checkpoint.kckpt | grep -q "\"step\":12,"'
rm -rf data && kiln-shard pack --bytes files -o data --max-shard-size 4K -q
t same_data_repacked expect_exit 0 kiln-train run -q tiny.conf
t same_data_bit_exact cmp run/model.kckpt full/model.kckpt
rm -rf run data && mv data.orig data
kiln-train run -q --stop-after 12 tiny.conf
# The identity is covered by the trailing CRC: one flipped bit there is damage.
cp run/checkpoint.kckpt keep.kckpt
printf '\x55' | dd of=run/checkpoint.kckpt bs=1 seek=165 conv=notrunc 2>/dev/null
t identity_damaged expect_exit 1 kiln-train run -q tiny.conf
t identity_damaged_msg err_has 'run/checkpoint.kckpt: payload checksum mismatch at byte [0-9]+'
# An old checkpoint: identity 0, trailing CRC over everything from byte 168.
python3 - run/checkpoint.kckpt keep.kckpt <<'PY'
import sys, zlib
b = bytearray(open(sys.argv[2], "rb").read())
b[164:168] = bytes(4)
b[-4:] = zlib.crc32(bytes(b[168:-4])).to_bytes(4, "little")
open(sys.argv[1], "wb").write(b)
PY
t old_ckpt_resumes expect_exit 0 kiln-train run -q tiny.conf
t old_ckpt_bit_exact cmp run/checkpoint.kckpt full/checkpoint.kckpt
rm -rf run

# a real kill -9 mid-run, then continue
kiln-train run -q tiny.conf & pid=$!
for _ in $(seq 1 600); do [ -e run/checkpoint.kckpt ] && break; sleep 0.05; done
kill -9 $pid 2>/dev/null; wait $pid 2>/dev/null
t killed_left_checkpoint sh_ok 'test -s run/checkpoint.kckpt'
t resume_after_kill expect_exit 0 kiln-train run -q tiny.conf
t resume_after_kill_bit_exact cmp run/model.kckpt full/model.kckpt
t resume_after_kill_checkpoint cmp run/checkpoint.kckpt full/checkpoint.kckpt

# a changed model refuses the old checkpoint; --restart starts over
sed 's/^width = 32/width = 16/' tiny.conf > changed.conf
t changed_model_refused expect_exit 1 kiln-train run changed.conf
t changed_model_message err_has 'restart'

# damaged checkpoints: exit 1 and the file named, never a crash
head -c 300 full/model.kckpt > trunc.kckpt
t truncated_ckpt expect_exit 1 kiln-train info trunc.kckpt
t truncated_ckpt_named err_has 'trunc.kckpt'
cp full/model.kckpt flip.kckpt
printf '\x55' | dd of=flip.kckpt bs=1 seek=2000 conv=notrunc 2>/dev/null
t flipped_ckpt expect_exit 1 kiln-train info flip.kckpt
t flipped_ckpt_checksum err_has 'checksum'
t not_a_ckpt expect_exit 1 kiln-train sample tiny.conf
# a folder for CHECKPOINT (it said "bad magic at byte 0"): a run folder is
# read through the file each command wants: sample its finished model.kckpt,
# info its latest checkpoint.kckpt; otherwise the message says what to pass
t info_run_folder expect_exit 0 kiln-train info full
t info_run_folder_reads_checkpoint sh_ok 'grep -q "^checkpoint   full/checkpoint.kckpt$" last.out && grep -q "^kiln-train: full: a run folder; reading full/checkpoint.kckpt$" last.err'
t sample_run_folder expect_exit 0 kiln-train sample full -t 0 -o s1dir --ext txt
t sample_run_folder_says err_has '^kiln-train: full: a run folder; reading full/model.kckpt$'
t sample_run_folder_is_model sh_ok 'kiln-train sample -q full/model.kckpt -t 0 -o s1file --ext txt && diff -r s1dir s1file'
mkdir -p unfinished && cp full/checkpoint.kckpt unfinished/
t sample_unfinished_folder expect_exit 1 kiln-train sample unfinished -o s1u
t sample_unfinished_folder_says err_has '^kiln-train: unfinished: a run folder without model.kckpt \(the run has not finished\); pass unfinished/checkpoint.kckpt to sample its latest checkpoint$'
t sample_unfinished_nothing_written sh_ok 'test ! -e s1u'
mkdir -p emptydir
t info_empty_folder expect_exit 1 kiln-train info emptydir
t info_empty_folder_says err_has '^kiln-train: emptydir: a folder, not a checkpoint file \(it holds no checkpoint.kckpt or model.kckpt\)$'
t sample_empty_folder expect_exit 1 kiln-train sample emptydir/ -o s1e
t sample_empty_folder_says err_has '^kiln-train: emptydir/: a folder, not a checkpoint file \(it holds no model.kckpt or checkpoint.kckpt\)$'
# a folder where the checkpoint file should be is named as a folder too
mkdir -p oddrun/checkpoint.kckpt
t info_folder_in_place expect_exit 1 kiln-train info -q oddrun
t info_folder_in_place_says err_has '^kiln-train: oddrun/checkpoint.kckpt: a folder, not a checkpoint file$'

# sampling: greedy from the memorised model gives a training file back
t sample_greedy expect_exit 0 kiln-train sample full/model.kckpt -t 0 -o s1 --ext txt
t sample_is_memorised sh_ok 'for f in files/*.txt; do cmp -s s1/sample-0001-01.txt "$f" && exit 0; done; exit 1'
t sample_k_json expect_exit 0 kiln-train sample full/model.kckpt -k 3 --top-k 5 --top-p 0.9 --min-p 0.05 --seed 4 --json -o s2
t sample_k_json_lines sh_ok 'test $(grep -c "\"sample\":" last.out) -eq 3 && ls s2/sample-0001-03.ids'
# "file" is the sample's main output (here the bytes), "ids_file" the id list
t sample_json_file_and_ids sh_ok 'grep -q "\"file\":\"s2/sample-0001-03.bin\",\"ids_file\":\"s2/sample-0001-03.ids\"" last.out && test -s s2/sample-0001-03.bin'
t sample_prompt expect_exit 0 kiln-train sample full/model.kckpt -t 0 --prompt "107 105 108 110 32 102 105 108 101 32 51" -o s3
t sample_prompt_continues sh_ok 'grep -q "^: the quick brown fox" s3/sample-0001-01.bin'
t sample_bad_prompt expect_exit 2 kiln-train sample full/model.kckpt --prompt "300" -o s4
t sample_out_exists expect_exit 1 kiln-train sample full/model.kckpt -o s1
# sample has no --force: the message says the folder exists and what to do
# (it said only 'File exists')
t sample_out_exists_says err_has '^kiln-train: s1: exists \(sample writes a new folder: name another with -o, or remove it\)$'
t sample_same_seed_same_output sh_ok 'kiln-train sample -q full/model.kckpt --seed 9 -o a1 && kiln-train sample -q full/model.kckpt --seed 9 -o a2 && cmp a1/sample-0001-01.ids a2/sample-0001-01.ids'
t restart expect_exit 0 kiln-train run --restart -q changed.conf
t restart_new_model sh_ok 'kiln-train info run/model.kckpt | grep -q "^width = 16"'
t run_json sh_ok 'kiln-train run --json --restart --stop-after 2 changed.conf > j.out && head -1 j.out | grep -q "^{\"type\":\"train\"" && tail -1 j.out | grep -q "^{\"type\":\"stopped\",\"step\":2,"'
t config_json sh_ok 'kiln-train config --json tiny.conf | grep -q "\"stages\":2"'
