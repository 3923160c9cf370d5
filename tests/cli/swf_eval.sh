# kiln-swf eval: verdict shares, max similarity to the training set and
# truth similarity on a synthesized corpus with known answers.
source "$(dirname "$0")/lib.sh"

kiln-swf synth -n 24 --seed 5 -o corpus -q
kiln-swf ingest corpus -o train.ds -q
mkdir gen truth
n=0
for f in $(ls corpus/*.swf | head -5); do
  b=$(basename "$f" .swf)
  cp "$f" "truth/$b.swf"
  cp "$f" "gen/$b-s1.swf"                 # memorised: identical to a training file
done
head -c 5 corpus/synth-000010.swf > gen/cut-header.swf     # broken: header truncated
head -c 2000 /dev/urandom > gen/noise.swf                  # broken: not SWF
t usage-no-train expect_exit 2 kiln-swf eval gen
t missing-dir expect_exit 1 kiln-swf eval --train train.ds nothing-here
t eval-json expect_exit 0 kiln-swf eval --train train.ds --truth truth --json "min_p=0.05 T=0.3=gen"
field() { grep -o "\"$1\":[^,}]*" "$W/last.out" | head -1 | cut -d: -f2; }
t label-with-equals out_has '"label":"min_p=0.05 T=0.3"'
t counts sh_ok "[ $(field files) = 7 ] && [ $(field broken) = 2 ] && [ $(field ok) = 5 ]"
t truth-files sh_ok "[ $(field files_with_truth) = 5 ]"
t truth-similarity-is-1 sh_ok "[ $(field truth_similarity) = 1 ]"
t per-file expect_exit 0 kiln-swf eval --train train.ds --truth truth --per-file pf.jsonl -q gen
t memorised-max-1 sh_ok 'grep "s1.swf" pf.jsonl | grep -c "\"max_similarity\":1," | grep -qx 5'
t memorised-record sh_ok 'grep "synth-000003-s1" pf.jsonl | grep -q "\"most_similar_record\":3,"'
t noise-broken sh_ok 'grep noise.swf pf.jsonl | grep -q "\"verdict\":\"broken\",\"reason\":\"not_swf\""'
# An ok file has no reason and no offset: null, as validate --json writes them.
t per-file-ok-nulls sh_ok 'grep "synth-000003-s1" pf.jsonl | grep -q "\"verdict\":\"ok\",\"reason\":null,\"offset\":null,"'
t noise-below-1 sh_ok 'grep noise.swf pf.jsonl | grep -qv "\"max_similarity\":1,"'
# A damaged training record is an error naming it, not a shifted similarity.
cp -r train.ds train-bad.ds
printf '\x55' | dd of=train-bad.ds/shard-00000.kshard bs=1 seek=$(( $(stat -c %s train-bad.ds/shard-00000.kshard) / 2 )) conv=notrunc 2>/dev/null   # in a payload
t damaged-train expect_exit 1 kiln-swf eval --train train-bad.ds -q gen
t damaged-train-msg err_has 'train-bad.ds/shard-00000.kshard: record [0-9]+: payload CRC mismatch \(byte offset [0-9]+\)'
t markdown expect_exit 0 kiln-swf eval --train train.ds --truth truth --markdown table.md -q A=gen B=gen
t markdown-layout sh_ok 'grep -q "^| Classification | A | B |" table.md && grep -q "^| Fully broken (wrong format) | 28.6% | 28.6% |" table.md && grep -q "^| Truth similarity | 1.000 | 1.000 |" table.md'
mkdir gen2
cp corpus/synth-000001.swf gen2/synth-000001-03.swf      # kiln-train's "P-NN" sample naming
cp corpus/synth-000002.swf gen2/synth-000002.swf          # same name as the true file
t truth-names expect_exit 0 kiln-swf eval --train train.ds --truth truth --json -q gen2
t truth-names-found sh_ok "[ \$(grep -o '\"files_with_truth\":[0-9]*' '$W/last.out' | cut -d: -f2) = 2 ]"
# A setting with no files has no shares or similarity (not 0: that would
# read as a measured result, "fully novel").
mkdir none
t empty-setting expect_exit 0 kiln-swf eval --train train.ds --json --markdown none.md -q none A=gen
t empty-setting-null out_has '"label":"none","files":0,"broken":0,"damaged":0,"ok":0,"broken_share":null,"damaged_share":null,"ok_share":null,.*"max_similarity":null,.*"label":"A","files":7,.*"ok_share":0\.7'
t empty-setting-table sh_ok 'grep -q "^| Fully broken (wrong format) | – | 28.6% |" none.md && grep -q "^| Max similarity | – | " none.md'
# A generated file that cannot be read (here: over --max-size) is an error
# and has no verdict: it must not count as an ok file with similarity 0.
mkdir unread
head -c 5 corpus/synth-000010.swf > unread/cut.swf           # broken, 5 bytes
cp corpus/synth-000011.swf unread/big.swf                     # over the 1K cap
t unreadable-exit expect_exit 1 kiln-swf eval --train train.ds --max-size 1K --json -q unread
t unreadable-named err_has 'big\.swf: file larger than --max-size'
t unreadable-not-counted out_has '"files":1,"broken":1,"damaged":0,"ok":0,'
