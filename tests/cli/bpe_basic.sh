#!/usr/bin/env bash
# kiln-bpe command line: usage errors, train/encode/decode round trips on
# files and datasets, id offsets, thread determinism, resume, bad inputs.
. "$(dirname "$0")/lib.sh"

# Inputs: text, a binary (the tool itself), runs of zeros, empty and 1-byte files.
mkdir in
seq 1 30000 > in/numbers.txt
cp "$KILN_BIN/kiln-bpe" in/binary
head -c 20000 /dev/zero > in/zeros
: > in/empty
printf x > in/one

t help             expect_exit 0 kiln-bpe --help
t help_stdout      out_has '^Usage: kiln-bpe'
t version          expect_exit 0 kiln-bpe --version
t no_command       expect_exit 2 kiln-bpe
t bad_command      expect_exit 2 kiln-bpe frobnicate
t train_no_size    expect_exit 2 kiln-bpe train -o v in
t train_bad_size   expect_exit 2 kiln-bpe train --vocab-size 12x -o v in
t train_size_256   expect_exit 2 kiln-bpe train --vocab-size 256 -o v in
t opt_unknown      usage_line "kiln-bpe encode: unrecognized option '--bogus'" kiln-bpe encode --bogus
t opt_no_value     usage_line "kiln-bpe encode: option '-o' needs a value" kiln-bpe encode in -o
t opt_short        usage_line "kiln-bpe train: unrecognized option '-Z'" kiln-bpe train -Z in
t train_bad_opt    expect_exit 2 kiln-bpe train --vocab-size 300 --bogus -o v in
t usage_hint       err_has "try 'kiln-bpe --help'"
t missing_input    expect_exit 1 kiln-bpe train --vocab-size 300 -o v nope/
t missing_named    err_has 'nope'

t train            expect_exit 0 kiln-bpe train --vocab-size 2000 -q -o v.txt in
t vocab_header     sh_ok 'head -1 v.txt | grep -qx "kiln-bpe-vocab 1" && grep -qx "merges 1744" v.txt'
t train_json       expect_exit 0 kiln-bpe train --vocab-size 2000 --json -o v2.txt in
t train_json_ok    out_has '"merges":1744'
t train_same       sh_ok "cmp v.txt v2.txt"
t threads_1        expect_exit 0 kiln-bpe train --vocab-size 2000 -t 1 -q -o v_t1.txt in
t threads_2        expect_exit 0 kiln-bpe train --vocab-size 2000 -t 2 -q -o v_t2.txt in
t threads_same     sh_ok 'cmp v_t1.txt v_t2.txt && cmp v.txt v_t1.txt'

# Round trips through decimal ids, with and without an id offset.
for f in numbers.txt binary zeros one empty; do
  t "ids_$f"       expect_exit 0 kiln-bpe encode -v v.txt --ids -o "$f.ids" "in/$f"
  t "decode_$f"    expect_exit 0 kiln-bpe decode -v v.txt -o "$f.back" "$f.ids"
  t "same_$f"      sh_ok "cmp in/$f $f.back"
done
# A long run of zeros is one segment (no place to cut it): the encoder's
# memory stays near its 16 bytes of nodes per byte. It once took a queue chunk
# of 64 bytes more per byte, and failed here.
if [ "$KILN_SANITIZED" = 1 ]; then
  skip zeros_memory "sanitizers reserve more address space than the limit"
else
  head -c 16000000 /dev/zero > z16
  t zeros_memory   sh_ok "ulimit -v 800000 && '$KILN_BIN/kiln-bpe' encode -q -v v.txt --ids -o z16.ids z16"
  t zeros_decode   expect_exit 0 kiln-bpe decode -v v.txt -o z16.back z16.ids
  t zeros_same     sh_ok 'cmp z16 z16.back && rm -f z16 z16.back z16.ids'
fi
t shrinks          sh_ok '[ $(wc -l < binary.ids) -lt $(stat -c %s in/binary) ]'
t offset_ids       expect_exit 0 kiln-bpe encode -v v.txt --ids --id-offset 151643 -o off.ids in/binary
t offset_min       sh_ok '[ $(sort -n off.ids | head -1) -ge 151643 ] && [ $(sort -n off.ids | tail -1) -lt $((151643 + 2000)) ]'
t offset_same      sh_ok 'paste -d" " binary.ids off.ids | awk "\$2 != \$1 + 151643 { exit 1 }"'
t offset_decode    expect_exit 0 kiln-bpe decode -v v.txt --id-offset 151643 -o off.back off.ids
t offset_back      sh_ok 'cmp in/binary off.back'
t decode_range     expect_exit 1 kiln-bpe decode -v v.txt -o x.back off.ids
t decode_range_msg err_has 'off.ids: byte offset 0: id [0-9]+ is outside'
t decode_no_output sh_ok '[ ! -e x.back ]'
printf '12\nabc\n' > bad.ids
t decode_garbage   expect_exit 1 kiln-bpe decode -v v.txt -o x.back bad.ids
t decode_garb_msg  err_has 'bad.ids: byte offset 3'

# An option of another command is a usage error naming the option and the
# command (it was parsed and silently ignored); nothing is written. Every
# command still takes each of its own options.
t wrong_min_count  usage_line "kiln-bpe encode: option '--min-count' does not apply to encode (it is for: train)" \
  kiln-bpe encode -v v.txt --min-count 5 --ids -o w1.ids in/one
t wrong_size       usage_line "kiln-bpe decode: option '--vocab-size' does not apply to decode (it is for: train)" \
  kiln-bpe decode -v v.txt --vocab-size 300 -o w2.back one.ids
t wrong_short_v    usage_line "kiln-bpe train: option '-v' does not apply to train (it is for: encode decode export stats)" \
  kiln-bpe train -v v.txt --vocab-size 300 -q -o w3.txt in
t wrong_long_v     usage_line "kiln-bpe train: option '--vocab' does not apply to train (it is for: encode decode export stats)" \
  kiln-bpe train --vocab v.txt --vocab-size 300 -q -o w3.txt in
t wrong_stats_o    expect_exit 2 kiln-bpe stats -v v.txt -o w4.txt in/one
t wrong_json       expect_exit 2 kiln-bpe decode -v v.txt --json -o w5.back one.ids
t wrong_ids        expect_exit 2 kiln-bpe stats -v v.txt --ids in/one
t wrong_force      expect_exit 2 kiln-bpe export -v v.txt --format hf --force -o w6.json
t wrong_format     expect_exit 2 kiln-bpe encode -v v.txt --format hf --ids -o w7.ids in/one
t wrong_prompt     expect_exit 2 kiln-bpe train --prompt copy --vocab-size 300 -q -o w8.txt in
t wrong_offset     expect_exit 2 kiln-bpe stats -v v.txt --id-offset 5 in/one
t wrong_none_out   sh_ok 'for f in w1.ids w2.back w3.txt w4.txt w5.back w6.json w7.ids w8.txt; do [ ! -e $f ] || exit 1; done'
t own_train        expect_exit 0 kiln-bpe train --vocab-size 300 --min-count 2 --max-token-bytes 8 --chunk 4K --sample 1M --seed 1 \
                     --checkpoint own.ck --checkpoint-every 5 -t 1 --json -q -o own.txt in
t own_resume       expect_exit 0 kiln-bpe train --vocab-size 310 --max-token-bytes 8 --chunk 4K --sample 1M --seed 1 --resume own.ck -q -o own2.txt in
# The dataset options with --ids were parsed and ignored; they are a usage
# error naming every one given, and nothing is written.
t ids_shard        expect_exit 2 kiln-bpe encode -v v.txt --ids --max-shard-size 1M -o i1.ids in/one
t ids_shard_msg    err_has "encode: --max-shard-size only applies to a dataset output, not to --ids"
t ids_three        expect_exit 2 kiln-bpe encode -v v.txt --prompt bytes --force --ids --max-shard-size 1M -o i2.ids in/one
t ids_three_msg    err_has "encode: --max-shard-size, --force, --prompt only apply to a dataset output"
t ids_force        expect_exit 2 kiln-bpe encode -v v.txt --ids --force -o i3.ids in/one
t ids_prompt       expect_exit 2 kiln-bpe encode -v v.txt --ids --prompt copy -o i4.ids in/one
t ids_none_out     sh_ok 'for f in i1.ids i2.ids i3.ids i4.ids; do [ ! -e $f ] || exit 1; done'
t force_over_input sh_ok 'mkdir -p fo/in && cp in/one fo/in/ && ! kiln-bpe encode -v v.txt -q --force -o fo fo/in 2>fo.err && grep -q "holds the input" fo.err && cmp in/one fo/in/one'
t own_encode       expect_exit 0 kiln-bpe encode -v v.txt --id-offset 3 --prompt copy --max-shard-size 1M --part 1/1 --force -t 1 --json -q -o own.ds in
t own_decode       expect_exit 0 kiln-bpe decode -v v.txt --id-offset 0 -t 1 -q -o own.back one.ids
t own_export       expect_exit 0 kiln-bpe export -v v.txt --format hf --id-offset 7 -t 1 -q -o own.json
t own_stats        expect_exit 0 kiln-bpe stats -v v.txt --json -t 1 -q in/one

# Datasets: a byte dataset trains the same vocabulary as its files; encoded
# datasets carry the vocabulary's fingerprint and decode back exactly.
t pack             expect_exit 0 kiln-shard pack --bytes -q -o bytes.ds in
t train_ds         expect_exit 0 kiln-bpe train --vocab-size 2000 -q -o v_ds.txt bytes.ds
t train_ds_same    sh_ok 'diff <(grep -v "^corpus" v.txt) <(grep -v "^corpus" v_ds.txt)'
t encode_ds        expect_exit 0 kiln-bpe encode -v v.txt -q -o tok.ds bytes.ds
t verify_ds        expect_exit 0 kiln-shard verify tok.ds
t info_ds          expect_exit 0 kiln-shard info --json tok.ds
t info_vocab       out_has '"vocab_size": ?2000'
t info_elem        out_has '"elem_size": ?2'
t fingerprint      sh_ok 'fp=$(kiln-bpe train --vocab-size 2000 --json -o v3.txt in | grep -o "\"fingerprint\":\"[0-9a-f]*\"" | cut -d\" -f4); kiln-shard info --json tok.ds | grep -q "$fp"'
t meta_sha         sh_ok 'grep -q vocab_sha256 tok.ds/manifest.json'
t encode_exists    expect_exit 1 kiln-bpe encode -v v.txt -q -o tok.ds bytes.ds
t encode_exists_says err_has '^kiln-bpe: tok\.ds: exists \(use --force to replace it\)$'
t encode_force     expect_exit 0 kiln-bpe encode -v v.txt -q --force --id-offset 70000 -o tok.ds bytes.ds
t info_u32         sh_ok 'kiln-shard info --json tok.ds | grep -Eq "\"elem_size\": ?4"'
t encode_files     expect_exit 0 kiln-bpe encode -v v.txt -q -o tok2.ds in
t cat_records      sh_ok '[ "$(kiln-shard info --json tok2.ds | grep -Eo "\"records\": ?[0-9]+" | grep -Eo "[0-9]+$")" = 5 ]'

# A document over a megabyte is encoded (and counted by stats) as pieces on
# several threads: the same tokens as the whole document (training on it
# rewrites it whole and reports the count), in order, and the record's
# checksum chained over the pieces.
(for i in 1 2 3; do cat in/binary in/numbers.txt; head -c 300000 /dev/zero; done) > big
t big_ids          expect_exit 0 kiln-bpe encode -v v.txt --ids -t 2 -o big.ids big
t big_decode       expect_exit 0 kiln-bpe decode -v v.txt -o big.back big.ids
t big_same         sh_ok 'cmp big big.back'
t big_count        sh_ok '[ "$(kiln-bpe stats -v v.txt --json big | grep -Eo "\"tokens\":[0-9]+" | cut -d: -f2)" = "$(wc -l < big.ids)" ]'
t big_stats_docs   sh_ok 'kiln-bpe stats -v v.txt --json -t 2 big | grep -q "\"documents\":1,"'
t big_train        sh_ok 'kiln-bpe train --vocab-size 1500 -q --json -o vb.txt big | grep -Eo "\"tokens\":[0-9]+" > train.tok'
t big_whole        sh_ok 'kiln-bpe encode -v vb.txt --ids -t 2 -o big_b.ids big && [ "$(cut -d: -f2 train.tok)" = "$(wc -l < big_b.ids)" ]'
t big_stats_whole  sh_ok 'kiln-bpe stats -v vb.txt --json -t 2 big | grep -q "$(cat train.tok),"'
t big_ds           expect_exit 0 kiln-bpe encode -v v.txt -q -t 2 -o big.ds big
t big_verify       expect_exit 0 kiln-shard verify big.ds
t big_ds_ids       sh_ok 'kiln-shard cat big.ds -r 0 | od -An -tu2 -v | tr -s " " "\n" | grep . | cmp - big.ids'

# Resume: stop at 600 ids, continue to 2000: the same merges as one run.
t ckpt_600         expect_exit 0 kiln-bpe train --vocab-size 600 -q --checkpoint ck.txt -o v600.txt in
t resume           expect_exit 0 kiln-bpe train --vocab-size 2000 -q --resume ck.txt -o v_res.txt in
t resume_same      sh_ok 'diff <(grep -E "^[0-9]" v.txt) <(grep -E "^[0-9]" v_res.txt)'
t resume_other     expect_exit 1 kiln-bpe train --vocab-size 2000 -q --min-count 3 --resume ck.txt -o x.txt in
t resume_other_msg err_has 'min-count'
t resume_smaller   expect_exit 0 kiln-bpe train --vocab-size 400 -q --resume ck.txt -o v400.txt in
t resume_prefix    sh_ok 'grep -qx "merges 144" v400.txt && diff <(grep -E "^[0-9]" v400.txt) <(grep -E "^[0-9]" v.txt | head -144)'
t resume_no_hash   expect_exit 1 kiln-bpe train --vocab-size 2000 -q --resume v.txt -o x.txt in
t resume_no_hash_m err_has 'v.txt: no corpus-sha256'
# The same bytes split into other documents are another corpus.
mkdir -p split1 split2
printf ab > split1/1; printf ab > split1/2; printf a > split2/1; printf bab > split2/2
t resume_split_ck  expect_exit 0 kiln-bpe train --vocab-size 300 -q --checkpoint split.ck -o split.v split1
t resume_split     expect_exit 1 kiln-bpe train --vocab-size 300 -q --resume split.ck -o x.txt split2
t resume_split_msg err_has 'corpus-sha256'
t resume_no_out    sh_ok '[ ! -e x.txt ]'

# No input bytes at all (an empty file, folder or dataset, or a sample that
# keeps nothing) fails, naming the inputs, and writes no vocabulary or
# checkpoint: it once wrote a vocabulary of 0 merges and exited 0. Merges
# that stop early on a non-empty corpus are still a success.
mkdir -p nothing
t empty_file       expect_exit 1 kiln-bpe train --vocab-size 300 -q --checkpoint e.ck -o e.txt in/empty
t empty_file_msg   err_has 'in/empty: no bytes to train on \(1 empty document\)'
t empty_dir        expect_exit 1 kiln-bpe train --vocab-size 300 -q -o e.txt nothing
t empty_dir_msg    err_has 'nothing: no bytes to train on \(no documents\)'
t empty_both       expect_exit 1 kiln-bpe train --vocab-size 300 -q -o e.txt nothing in/empty
t empty_both_msg   err_has 'nothing, in/empty: no bytes'
t empty_pipe       expect_exit 1 kiln-bpe train --vocab-size 300 -q -o e.txt <(true)
t empty_pack       expect_exit 0 kiln-shard pack --bytes -q -o nothing.ds nothing
t empty_ds         expect_exit 1 kiln-bpe train --vocab-size 300 -q -o e.txt nothing.ds
t empty_sample     expect_exit 1 kiln-bpe train --vocab-size 300 -q --sample 1 -o e.txt in/numbers.txt
t empty_sample_msg err_has '^kiln-bpe: --sample 1 keeps no bytes'
t empty_no_out     sh_ok '[ ! -e e.txt ] && [ ! -e e.ck ]'
t early_stop       expect_exit 0 kiln-bpe train --vocab-size 300 --min-count 1000000 -o early.txt in/one in/numbers.txt
t early_stop_msg   err_has 'stopped early: no pair left is seen 1000000 times'
t early_stop_vocab sh_ok 'grep -qx "merges 0" early.txt'

# Options that change the result.
t maxlen           expect_exit 0 kiln-bpe train --vocab-size 2000 --max-token-bytes 4 -q -o v4.txt in
t maxlen_stats     expect_exit 0 kiln-bpe stats -v v4.txt --json in
t maxlen_ok        out_has '"max_token_bytes":4'
t sample           expect_exit 0 kiln-bpe train --vocab-size 1000 --sample 100K --seed 3 -q -o vs.txt in
# A pipe's size is unknown until read: --sample took it whole (more bytes
# than the sample holds); it is refused, naming it.
t sample_pipe      expect_exit 1 kiln-bpe train --vocab-size 1000 --sample 10K -q -o vsp.txt <(cat in/numbers.txt)
t sample_pipe_msg  err_has '/dev/fd/[0-9]+: --sample needs every input.s size'
t sample_pipe_none sh_ok '[ ! -e vsp.txt ]'
t sample_meta      sh_ok 'grep -qx "sample 102400" vs.txt && [ $(grep "^corpus-bytes" vs.txt | cut -d" " -f2) -le 102400 ]'
t chunk            expect_exit 0 kiln-bpe train --vocab-size 1000 --chunk 4K -q -o vc.txt in
t chunk_docs       sh_ok '[ $(grep "^corpus-docs" vc.txt | cut -d" " -f2) -gt 5 ]'
t stats            expect_exit 0 kiln-bpe stats -v v.txt in
t stats_text       out_has '^bytes/token +[0-9.]+'

# Bad vocabularies name the file and the byte offset.
printf 'kiln-bpe-vocab 1\nmerges 2\n97 98\n97 300\n' > bad.txt
t bad_vocab        expect_exit 1 kiln-bpe encode -v bad.txt --ids -o x.ids in/one
t bad_vocab_msg    err_has 'bad.txt: byte offset 32'
t export           expect_exit 0 kiln-bpe export -v v.txt --format hf -o tok.json
t export_json      sh_ok 'command -v python3 >/dev/null || exit 0; python3 -c "import json,sys; d=json.load(open(\"tok.json\")); assert len(d[\"model\"][\"vocab\"])==2000 and len(d[\"model\"][\"merges\"])==1744"'
t export_format    expect_exit 2 kiln-bpe export -v v.txt --format spm -o x.json

# Prompt segments (datasets from kiln-swf ingest carry one): copied, as byte
# ids plus the offset, or BPE-encoded. Skipped when kiln-swf is not built.
if command -v kiln-swf >/dev/null && kiln-swf synth -n 4 --seed 7 -o synth --quiet 2>/dev/null &&
   kiln-swf ingest synth -o swf.ds --quiet >/dev/null 2>&1; then
  kiln-shard cat swf.ds -r 0 --segment prompt > prompt0.bin
  for m in copy bytes encode; do
    t "prompt_$m"  expect_exit 0 kiln-bpe encode -v v.txt -q --prompt $m --id-offset 1000 -o "p_$m.ds" swf.ds
  done
  t prompt_copy_same  sh_ok 'kiln-shard cat p_copy.ds -r 0 --segment prompt | od -An -tu2 -v | tr -s " " "\n" | grep . > c.txt; od -An -tu1 -v prompt0.bin | tr -s " " "\n" | grep . | cmp - c.txt'
  t prompt_bytes_off  sh_ok 'kiln-shard cat p_bytes.ds -r 0 --segment prompt | od -An -tu2 -v | tr -s " " "\n" | grep . > b.txt; od -An -tu1 -v prompt0.bin | tr -s " " "\n" | grep . | awk "{ print \$1 + 1000 }" | cmp - b.txt'
  t prompt_encode_dec sh_ok 'kiln-shard cat p_encode.ds -r 0 --segment prompt | od -An -tu2 -v | tr -s " " "\n" | grep . > e.txt; [ $(wc -l < e.txt) -lt $(stat -c %s prompt0.bin) ] && kiln-bpe decode -v v.txt --id-offset 1000 -o e.back e.txt && cmp e.back prompt0.bin'
  t prompt_bad        expect_exit 2 kiln-bpe encode -v v.txt --prompt words -o x.ds swf.ds
else
  skip prompt_modes "kiln-swf not built (no dataset with prompts)"
fi

# --part I/N: independent workers + kiln-shard merge == one run, byte for byte.
mkdir -p partin
for i in 1 2 3 4 5 6 7; do head -c $((i * 700)) /dev/urandom > partin/f$i; printf 'abcabcabc%.0s' $(seq 1 $i) >> partin/f$i; done
kiln-bpe train --vocab-size 300 -o part.vocab partin -q
kiln-bpe encode -v part.vocab -o pwhole partin -q
for p in 1 2 3; do kiln-bpe encode -v part.vocab --part $p/3 -o pp$p partin -q; done
t part-merge expect_exit 0 kiln-shard merge pp1 pp2 pp3 -o pmerged -q
t part-merge-identical sh_ok 'cmp pwhole/shard-00000.kshard pmerged/shard-00000.kshard'
t part-bad expect_exit 2 kiln-bpe encode -v part.vocab --part 0/3 -o never partin

# A dataset record whose checksum fails stops every command (naming the file,
# record and byte offset) instead of being trained on or re-encoded into a
# dataset whose checksums would then be valid.
cp bytes.ds/shard-00000.kshard corrupt.kshard
off=$(( $(stat -c %s corrupt.kshard) / 2 ))
printf '\377\377\377\377' | dd of=corrupt.kshard bs=1 seek=$off conv=notrunc 2>/dev/null
t corrupt_verify   expect_exit 1 kiln-shard verify corrupt.kshard
for c in "train:train --vocab-size 300 -o cv.txt" "encode:encode -v v.txt -o cds" \
         "ids:encode -v v.txt --ids -o cids" "stats:stats -v v.txt"; do
  t "corrupt_${c%%:*}"     expect_exit 1 kiln-bpe ${c#*:} corrupt.kshard
  t "corrupt_${c%%:*}_msg" err_has 'corrupt.kshard: record [0-9]+: .*byte offset [0-9]+'
done
t corrupt_no_out   sh_ok '[ ! -e cv.txt ] && [ ! -e cds ] && [ ! -e cids ]'

# A pipe is read once, whole: probing it for the dataset magic once ate its
# first 4 KiB (all of a small input).
t pipe_encode      expect_exit 0 kiln-bpe encode -v v.txt --ids -o pipe.ids <(cat in/binary)
t pipe_same        sh_ok 'cmp pipe.ids binary.ids'
t pipe_small       expect_exit 0 kiln-bpe encode -v v.txt --ids -o pipe1.ids <(cat in/numbers.txt)
t pipe_small_same  sh_ok 'cmp pipe1.ids numbers.txt.ids'

# Small things a user meets: ids files from other tools (CRLF, no last
# newline), outputs that cannot work, a checkpoint that cannot be written.
printf '104\r\n105' > crlf.ids
t decode_crlf      expect_exit 0 kiln-bpe decode -v v.txt -o crlf.back crlf.ids
t decode_crlf_out  sh_ok '[ "$(cat crlf.back)" = hi ]'
printf '104\n\n' > blank.ids
t decode_blank     expect_exit 1 kiln-bpe decode -v v.txt -o x.back blank.ids
t decode_blank_msg err_has 'blank.ids: byte offset 4'
t decode_devnull   expect_exit 0 kiln-bpe decode -v v.txt -o /dev/null crlf.ids
t devnull_kept     sh_ok '[ -c /dev/null ]'
t encode_ds_stdout expect_exit 2 kiln-bpe encode -v v.txt -o - in/one
t encode_json_ids  expect_exit 2 kiln-bpe encode -v v.txt --json --ids -o - in/one
t ckpt_unwritable  expect_exit 1 kiln-bpe train --vocab-size 300 -q --checkpoint no/such/dir/ck -o ck_never.txt in/numbers.txt
t ckpt_unwr_first  sh_ok '[ ! -e ck_never.txt ]'
# An output that cannot be written stops train before it reads or trains
# (it failed only at the end, after all the work): its error comes before
# that of a missing input.
t out_unwritable   expect_exit 1 kiln-bpe train --vocab-size 300 -o no/such/dir/v.txt in/numbers.txt nope/
t out_unwr_msg     err_has 'no/such/dir/v.txt: No such file'
mkdir -p outdir
t out_dir          expect_exit 1 kiln-bpe train --vocab-size 300 -o outdir in/numbers.txt nope/
t out_dir_msg      err_has 'outdir: Is a directory'

# Summaries and stats on a standard output that cannot take them (a full
# disk) fail instead of exiting 0 with the report lost.
if [ -w /dev/full ]; then
  t stdout_full_stats sh_ok "kiln-bpe stats -v v.txt in/one > /dev/full 2> full.err; [ \$? = 1 ] && grep -q 'standard output: No space' full.err"
  t stdout_full_json  sh_ok "kiln-bpe stats -v v.txt --json in/one > /dev/full 2> full.err; [ \$? = 1 ] && grep -q 'standard output' full.err"
  t stdout_full_train sh_ok "kiln-bpe train --vocab-size 300 --json -o full.v in/numbers.txt > /dev/full 2> full.err; [ \$? = 1 ] && grep -q 'standard output' full.err"
  # -h and -V after a command exited 0 straight from the option parser,
  # past main's check of standard output.
  t stdout_full_help  sh_ok "kiln-bpe encode -h > /dev/full 2> full.err; [ \$? = 1 ] && grep -q 'standard output: No space' full.err"
  t stdout_full_ver   sh_ok "kiln-bpe stats -V > /dev/full 2> full.err; [ \$? = 1 ] && grep -q 'standard output' full.err"
  t stdout_full_top   sh_ok "kiln-bpe --help > /dev/full 2> full.err; [ \$? = 1 ]"
else
  skip stdout_full "/dev/full not available"
fi
# encode --ids names the error of the failed write (it reported a stale
# errno ('Success', 'Inappropriate ioctl for device') for a full disk, and
# went on encoding every input).
if [ -w /dev/full ]; then
  t ids_full        expect_exit 1 kiln-bpe encode -v v.txt --ids -q -o /dev/full in/numbers.txt
  t ids_full_msg    err_has '/dev/full: No space left on device'
  t ids_full_stdout sh_ok "kiln-bpe encode -v v.txt --ids -q -o - in/numbers.txt > /dev/full 2> full.err; [ \$? = 1 ] && grep -q -- '-: No space left on device' full.err"
fi

# A FIFO and a broken link inside an input folder are named in warnings
# (they were left out without a word); the FIFO is never opened.
mkdir -p special && printf 'abababab' > special/a && mkfifo special/pipe && ln -s nowhere special/gone
t special-train       expect_exit 0 timeout 20 kiln-bpe train --vocab-size 258 -q -o special.vocab special
t special-train-fifo  err_has 'warning: special/pipe: skipped: a FIFO, not a regular file'
t special-train-link  err_has 'warning: special/gone: skipped: a broken symbolic link'
