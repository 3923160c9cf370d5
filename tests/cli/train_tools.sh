#!/usr/bin/env bash
# kiln-train composed with the other tools (each part skips when the tool is
# missing): a BPE model (u16 ids) decoded by kiln-bpe, SWF samples checked by
# kiln-swf validate, a validation set in the log, prompts from a file.
. "$(dirname "$0")/lib.sh"

conf() {  # conf DATA OUT CONTEXT STEPS [extra lines]
  printf 'data = %s\nout = %s\nseed = 3\nlog_every = 10\nbatch = 4\n%s\n[model]\nlayers = 2\nwidth = 32\nheads = 4\nmlp = 2\n[stage main]\ncontext = %s\nsteps = %s\nlr = 0.01\nwarmup = 5\n' "$1" "$2" "${5:-}" "$3" "$4"
}

mkdir -p tx
for i in 1 2 3; do echo "note $i: tokens in, files out, again and again $i" > tx/n$i.txt; done

if command -v kiln-bpe >/dev/null; then
  t bpe_train sh_ok 'kiln-bpe train --vocab-size 300 -o v.bpe tx -q && kiln-bpe encode -v v.bpe -o toks tx -q'
  conf toks bperun 48 150 > bpe.conf
  t bpe_run expect_exit 0 kiln-train run -q bpe.conf
  t bpe_vocab_from_data sh_ok 'kiln-train info bperun/model.kckpt | grep -q "^vocab = 293"'
  t bpe_sample expect_exit 0 kiln-train sample bperun/model.kckpt -t 0 --vocab v.bpe --ext txt -o bs
  t bpe_sample_decoded sh_ok 'for f in tx/*.txt; do cmp -s bs/sample-0001-01.txt "$f" && exit 0; done; exit 1'
  printf 'note 2\n' > tp.txt
  t bpe_text_prompt expect_exit 0 kiln-train sample bperun/model.kckpt -t 0 --vocab v.bpe --text-prompts tp.txt --ext txt -o bt
  t bpe_text_prompt_continues sh_ok 'printf "note 2" | cat - bt/sample-0001-01.txt | cmp - tx/n2.txt'
else
  skip bpe "kiln-bpe not built"
fi

if command -v kiln-swf >/dev/null; then
  # two minimal SWF files (header, ShowFrame, End): 17 bytes each
  mkdir -p sw
  printf 'FWS\x0a\x11\x00\x00\x00\x00\x00\x18\x01\x00\x40\x00\x00\x00' > sw/a.swf
  printf 'FWS\x0a\x11\x00\x00\x00\x00\x00\x0c\x02\x00\x40\x00\x00\x00' > sw/b.swf
  kiln-shard pack --bytes sw -o swd -q
  conf swd swrun 24 120 > sw.conf
  t swf_run expect_exit 0 kiln-train run -q sw.conf
  t swf_sample expect_exit 0 kiln-train sample swrun/model.kckpt -t 0 -k 2 --ext swf --json -o ss
  t swf_sample_validated sh_ok 'grep -q "\"swf_valid\":true" last.out && test -s ss/sample-0001-01.validate.json'
  t swf_sample_json_keys sh_ok 'grep -q "\"file\":\"ss/sample-0001-02.swf\",\"ids_file\":\"ss/sample-0001-02.ids\",\"report\":\"ss/sample-0001-02.validate.json\",\"swf_valid\":true" last.out'
  # the report names the sample beside it (it named the temporary folder's
  # path, which no longer exists)
  t swf_report_names_file sh_ok 'grep -q "^{\"file\":\"sample-0001-01.swf\"," ss/sample-0001-01.validate.json && (cd ss && kiln-swf validate -q sample-0001-01.swf)'
  t swf_summary sh_ok 'kiln-train sample swrun/model.kckpt -t 0 --ext swf -o ss2 2>&1 | grep -q "kiln-swf validate: 1 of 1 valid"'
else
  skip swf "kiln-swf not built"
fi

# a validation set and prompts from a file (no other tool needed)
kiln-shard pack --bytes tx -o txd -q
conf txd vrun 48 40 'val = txd
val_every = 20
val_batches = 2' > val.conf
t val_run expect_exit 0 kiln-train run -q val.conf
t val_lines sh_ok 'test $(grep -c "\"type\":\"val\"" vrun/log.jsonl) -eq 2 && grep -q "<circle" vrun/loss.svg'
printf '110 111\n110 111 116 101 32 51\n' > prompts.txt
t prompts_file expect_exit 0 kiln-train sample vrun/model.kckpt --prompts prompts.txt -k 2 --max-new 5 --json -o ps
t prompts_file_count sh_ok 'test $(grep -c "\"prompt_ids\":6" last.out) -eq 2 && ls ps/sample-0002-02.ids'
t prompts_file_max_new sh_ok 'test $(wc -l < ps/sample-0001-01.ids) -le 5'
printf 'note 3\nnote 1\n' > textprompts.txt
t text_prompts_bytes expect_exit 0 kiln-train sample vrun/model.kckpt --text-prompts textprompts.txt -t 0 --max-new 3 --json -o tp
t text_prompts_bytes_count sh_ok 'test $(grep -c "\"prompt_ids\":6" last.out) -eq 2'
printf '110 x\n' > badprompts.txt
t prompts_file_bad expect_exit 1 kiln-train sample vrun/model.kckpt --prompts badprompts.txt -o pb
t prompts_file_bad_line err_has 'badprompts.txt:1'

# sprites: a sin2d model on procedural 8x8 sprites, sampling and breeding
if command -v kiln-sprites >/dev/null && kiln-sprites synth -o syn --count 1 -q 2>/dev/null &&
   kiln-sprites quantize syn -o spr --size 8 -q 2>/dev/null; then
  printf 'data = spr\nout = srun\nbatch = 4\n[model]\nlayers = 1\nwidth = 32\nheads = 2\nposition = sin2d\ncontext = 67\n[stage main]\nsteps = 20\nlr = 0.005\n' > spr.conf
  t sprite_run expect_exit 0 kiln-train run -q spr.conf
  t sprite_grid_from_data sh_ok 'kiln-train info srun/model.kckpt | grep -q "^grid_width = 8" && kiln-train info srun/model.kckpt | grep -q "^grid_prefix = 3"'
  t sprite_sample expect_exit 0 kiln-train sample srun/model.kckpt --from spr -n 2 -k 2 -o ss1
  t sprite_sample_outputs sh_ok 'test $(wc -w < ss1/sample-0002-02.grid) -eq 64 && test $(wc -l < ss1/sample-0002-02.grid) -eq 8 && kiln-shard verify ss1/sprites >/dev/null'
  t sprite_dataset_keeps_palette sh_ok 'kiln-shard info ss1/sprites | grep -q "\"palette\""'
  # --json names the rendered PNG as "file" (it named the .ids list), with
  # the id list and the grid under their own keys; without a PNG, the grid
  t sprite_sample_json expect_exit 0 kiln-train sample srun/model.kckpt --from spr -n 2 -k 2 --json -o ssj
  t sprite_sample_json_png sh_ok 'test $(grep -c "\"file\":\"ssj/png/[0-9]\{6\}-[^\"]*\.png\"" last.out) -eq 4 && for f in $(grep -o "\"file\":\"[^\"]*\"" last.out | cut -d\" -f4); do test -s "$f" || exit 1; done'
  t sprite_sample_json_png_order sh_ok 'sed -n 3p last.out | grep -q "\"prompt\":2,\"sample\":1,.*\"file\":\"ssj/png/000002-"'
  t sprite_sample_json_keys sh_ok 'sed -n 4p last.out | grep -q "\"ids_file\":\"ssj/sample-0002-02.ids\",\"grid\":\"ssj/sample-0002-02.grid\""'
  t sprite_sample_json_no_tools expect_exit 0 kiln-train sample srun/model.kckpt --from spr --no-tools --json -o ssn
  t sprite_sample_json_grid sh_ok 'grep -q "\"file\":\"ssn/sample-0001-01.grid\",\"ids_file\":\"ssn/sample-0001-01.ids\",\"grid\":\"ssn/sample-0001-01.grid\"" last.out && test ! -e ssn/png'
  t breed expect_exit 0 kiln-train sample srun/model.kckpt --from spr --breed 3,10 --mask 0.4 -o bred --seed 5
  # kept pixels (about 60%) are parent 3's exactly
  t breed_keeps_parent sh_ok 'kiln-shard cat spr -r 3 --segment content | od -An -tu1 -v | tr -s " " "\n" | grep . > parent.txt && tr -s " " "\n" < bred/sample-0001-01.grid | grep . > child.txt && same=$(paste parent.txt child.txt | awk "\$1 == \$2" | wc -l) && test "$same" -ge 29'
  # ... and conditioned on parent 10's tokens
  t breed_conditioning sh_ok 'kiln-shard cat spr -r 10 --segment prompt | cmp - <(kiln-shard cat bred/sprites -r 0 --segment prompt)'
  t breed_mask_zero sh_ok 'kiln-train sample -q srun/model.kckpt --from spr --breed 3,10 --mask 0 -o bred0 && kiln-shard cat spr -r 3 --segment content | cmp - <(kiln-shard cat bred0/sprites -r 0 --segment content)'
  t breed_needs_from expect_exit 2 kiln-train sample srun/model.kckpt --breed 1,2 -o b2
  # text prompts for an 80-id model: a byte past its ids names the line
  printf 'az\n' > sprtext.txt
  t sprite_text_prompt_bad expect_exit 1 kiln-train sample srun/model.kckpt --text-prompts sprtext.txt -o stp
  t sprite_text_prompt_bad_named err_has 'sprtext.txt:1: byte 97 at column 1 is not an id of this model'
else
  skip sprites "kiln-sprites could not make sprites"
fi
