# kiln-shard command line: exit codes, pack/cat round trips, verify on
# corrupt data, deterministic split, atomic output on interruption.
source "$(dirname "$0")/lib.sh"

t help            expect_exit 0 kiln-shard --help
t help-to-stdout  out_has 'Usage: kiln-shard'
t version         expect_exit 0 kiln-shard --version
t version-features out_has '^openmp: (yes|no)$'
t no-args         expect_exit 2 kiln-shard
t no-args-hint    err_has "try 'kiln-shard --help'"
t opt-unknown     usage_line "kiln-shard merge: unrecognized option '--bogus'" kiln-shard merge --bogus
t opt-no-value    usage_line "kiln-shard merge: option '-o' needs a value" kiln-shard merge a b -o
t opt-long-value  usage_line "kiln-shard merge: option '--output' needs a value" kiln-shard merge a --output
t opt-flag-value  usage_line "kiln-shard info: option '--json' takes no value" kiln-shard info --json=1 a
t unknown-cmd     expect_exit 2 kiln-shard frobnicate
t bad-option      expect_exit 2 kiln-shard info --nope x
t bad-size        expect_exit 2 kiln-shard pack --bytes --max-shard-size 12Q -o x y
t pack-needs-out  expect_exit 2 kiln-shard pack --bytes somefile
t pack-missing-input expect_exit 1 kiln-shard pack --bytes does-not-exist -o never
t pack-missing-names-file err_has 'does-not-exist'
t pack-missing-no-output sh_ok '! test -e never && ! ls -a | grep -q tmp'

# Arbitrary files: random, empty, one byte, all 256 byte values, a larger one.
mkdir in
head -c 70001 /dev/urandom > in/random.bin
: > in/empty.bin
printf 'x' > in/one.bin
for i in $(seq 0 255); do printf "\\$(printf %03o "$i")"; done > in/all-bytes.bin
head -c 3000000 /dev/urandom > in/large.bin
t pack expect_exit 0 kiln-shard pack --bytes in -o ds --max-shard-size 1M
roundtrip() {
  local i=0 f
  for f in $(cd in && ls | sort); do
    kiln-shard cat ds -r $i | cmp - "in/$f" || { echo "record $i != $f"; return 1; }
    i=$((i + 1))
  done
}
t pack-cat-roundtrip roundtrip
t cat-all-concatenates sh_ok 'kiln-shard cat ds | cmp - <(cat $(ls -d in/* | sort))'
t rolled-over sh_ok '[ $(ls ds/shard-*.kshard | wc -l) -ge 3 ]'
t verify-ok expect_exit 0 kiln-shard verify ds
t info-json expect_exit 0 kiln-shard info --json ds
t info-json-fields sh_ok "python3 -c 'import json,sys; d=json.loads(open(\"$W/last.out\").read()); sys.exit(0 if d[\"records\"]==5 and d[\"kind\"]==\"tokens\" and d[\"vocab_size\"]==256 else 1)' 2>/dev/null || grep -q '\"records\":5' '$W/last.out'"
t stats expect_exit 0 kiln-shard stats --json ds
t stats-distinct out_has '"distinct":256'
t cat-out-of-range expect_exit 1 kiln-shard cat ds -r 5
# stats gives prompt segments the same length summary as content, in the
# pretty text and in --json; checked against each record's prompt as cat
# hands it out (tokens.kshard: prompts of 0, 1 and 2 ids).
stats_prompt() {
  python3 - "$SRC/tests/fuzz/corpus/shard/tokens.kshard" <<'PY'
import json, subprocess, sys
ds = sys.argv[1]
run = lambda *a: subprocess.run(['kiln-shard', *a], check=True, capture_output=True).stdout
info = json.loads(run('info', '--json', ds))
lens = sorted(len(run('cat', ds, '-r', str(i), '--segment', 'prompt')) // info['elem_size'] for i in range(info['records']))
n = len(lens)
want = {'min': lens[0], 'mean': sum(lens) / n, 'max': lens[-1]}
want.update({k: lens[int(q * (n - 1) + 0.5)] for k, q in (('p50', .5), ('p90', .9), ('p99', .99))})
for args in (['stats', '--json', ds], ['stats', ds]):
    got = json.loads(run(*args))['prompt_length']
    if got != want or len(set(lens)) < 2: sys.exit(f"{args}: {got} != {want}")
PY
}
t stats-prompt-length stats_prompt
t stats-frames-no-prompt sh_ok "o=\$(kiln-shard stats '$SRC/tests/fuzz/corpus/shard/frames.kshard') && grep -q content_length <<<\"\$o\" && ! grep -q prompt_length <<<\"\$o\""

# Existing output is never clobbered without --force.
t exists-refused expect_exit 1 kiln-shard pack --bytes in/one.bin -o ds
t exists-says   err_has '^kiln-shard: ds: exists \(use --force to replace it\)$'
t exists-untouched roundtrip
t force-replaces expect_exit 0 kiln-shard pack --bytes in/one.bin -o ds --force
t force-result sh_ok '[ "$(kiln-shard cat ds)" = x ]'
t force-no-leftover sh_ok '! ls -a | grep -q "^\.ds\."'

# Corruption: a flipped payload byte, a truncated shard, a flipped index byte.
kiln-shard pack --bytes in -o good --quiet
cp -r good bad1
f=bad1/shard-00000.kshard
printf '\x55' | dd of=$f bs=1 seek=400 conv=notrunc 2>/dev/null
t verify-payload-flip expect_exit 1 kiln-shard verify bad1
t verify-names-file err_has 'bad1/shard-00000.kshard'
t verify-names-record err_has 'record [0-9]+'
t verify-names-offset err_has 'byte offset [0-9]+'
t cat-refuses-corrupt expect_exit 1 kiln-shard cat bad1
t cat-corrupt-offset err_has 'payload CRC mismatch \(byte offset [0-9]+\)'
# split and merge copy records with fresh checksums: they must check first.
t split-refuses-corrupt expect_exit 1 kiln-shard split bad1 --ratio 0.5 --seed 1 -o never-split
t split-corrupt-msg  err_has 'bad1/shard-00000.kshard: record [0-9]+: payload CRC mismatch \(byte offset [0-9]+\)'
t split-no-output    sh_ok '[ ! -e never-split ] && ! ls -a | grep -q never-split'
t merge-refuses-corrupt expect_exit 1 kiln-shard merge bad1 -o never-merge
# stats reads every record too: damage is an error, not a skewed histogram.
t stats-refuses-corrupt expect_exit 1 kiln-shard stats bad1
t stats-corrupt-msg  err_has 'bad1/shard-00000.kshard: record [0-9]+: payload CRC mismatch \(byte offset [0-9]+\)'
cp -r good bad2
truncate -s -1 bad2/shard-00000.kshard
t verify-truncated expect_exit 1 kiln-shard verify bad2
cp -r good bad3
size=$(stat -c %s bad3/shard-00000.kshard)
printf '\x01' | dd of=bad3/shard-00000.kshard bs=1 seek=$((size - 20)) conv=notrunc 2>/dev/null
t verify-index-flip expect_exit 1 kiln-shard verify bad3
t verify-several expect_exit 1 kiln-shard verify good bad1
t verify-several-good-reported out_has '^good: ok'
t verify-not-a-shard expect_exit 1 kiln-shard verify in/random.bin

# verify reads all of manifest.json: every shard's line, not only the first
# "records" (the total). Shards here hold 2, 1 and 2 records.
kiln-shard pack --bytes in -o multi --max-shard-size 1M --quiet
t manifest-ok expect_exit 0 kiln-shard verify multi
mf() { rm -rf "$1" && cp -r multi "$1" && sed -E -i "$2" "$1/manifest.json"; }
mf mswap '/shard-00001/s/"records": [0-9]+/"records": 2/; /shard-00002/s/"records": [0-9]+/"records": 1/'
t manifest-later-shard expect_exit 1 kiln-shard verify mswap
t manifest-later-shard-msg err_has 'mswap/manifest.json: shards\[1\]: records 2, shard-00001.kshard holds 1 \(byte offset [0-9]+\)'
mf mbytes '/shard-00002/s/"bytes": [0-9]+/"bytes": 1/'
t manifest-shard-bytes expect_exit 1 kiln-shard verify mbytes
mf melem '0,/"elements": [0-9]+/s//"elements": 7/'
t manifest-total-elements expect_exit 1 kiln-shard verify melem
t manifest-total-elements-msg err_has 'the totals: elements 7, the shards hold'
mf mline '/shard-00002/d; /shard-00001/s/},$/}/'
t manifest-line-missing expect_exit 1 kiln-shard verify mline
t manifest-line-missing-msg err_has 'lists 2 shards, the folder holds 3'
mf mname 's/shard-00001.kshard/shard-00007.kshard/'
t manifest-file-name expect_exit 1 kiln-shard verify mname
mf mtrunc '$d'
t manifest-not-json expect_exit 1 kiln-shard verify mtrunc
t manifest-not-json-msg err_has 'mtrunc/manifest.json: not valid JSON \(byte offset [0-9]+\)'

# Metadata that is not a JSON object (quotes, backslashes, control bytes,
# invalid UTF-8, a NUL, two objects): writers refuse it, so such shards are
# made by hand. info --json must still print valid JSON, with the meta as
# an escaped string holding the same bytes; verify, split and merge refuse.
craft_meta() {
  python3 - "$@" <<'PY'
import sys, zlib, struct
src, dst, meta = sys.argv[1], sys.argv[2], bytes.fromhex(sys.argv[3])
b = bytearray(open(src, 'rb').read())
off, size = struct.unpack_from('<QQ', b, 80)
meta = meta[:-1] + b' ' * (size - len(meta)) + meta[-1:]   # same length: offsets stay
b[off:off + size] = meta
struct.pack_into('<I', b, 160, zlib.crc32(meta))
struct.pack_into('<I', b, 252, zlib.crc32(bytes(b[:252])))
open(dst, 'wb').write(b)
open(dst + '.meta', 'wb').write(meta)
PY
}
meta_is_string() {
  python3 -m json.tool "$W/last.out" >/dev/null || { echo "not JSON: $(head -c 300 "$W/last.out")"; return 1; }
  python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(d["meta"].encode("latin-1") != open(sys.argv[2], "rb").read())' "$W/last.out" "$1.meta" || { echo "meta not kept as a string"; return 1; }
}
k=0
for hex in 7b2261223a2022712275205c2001207f20ff227d 7b2261223a20317d207b2262223a20327d 7b2273223a2022eda080227d 7b226b223a20227600227d; do
  k=$((k + 1))
  craft_meta good/shard-00000.kshard m$k.kshard "${hex}"
  t meta-$k-info-json expect_exit 0 kiln-shard info --json m$k.kshard
  t meta-$k-info-valid meta_is_string m$k.kshard
  t meta-$k-verify expect_exit 1 kiln-shard verify m$k.kshard
  t meta-$k-verify-msg err_has "m$k.kshard: the metadata is not a JSON object in UTF-8 \(byte offset [0-9]+\)"
done
t meta-split-refused expect_exit 1 kiln-shard split m1.kshard --ratio 0.5 --seed 1 -o never-m
t meta-split-msg err_has 'm1.kshard: the metadata is not a JSON object'
t meta-split-no-output sh_ok '! ls -a | grep -q never-m'
t meta-merge-refused expect_exit 1 kiln-shard merge m3.kshard -o never-m2
t meta-merge-no-output sh_ok "! ls -a | grep -q never-m2"
# Text-mode info shows the metadata on a terminal: escape sequences (OSC
# retitle, clear screen, C1 CSI raw and in UTF-8), a cut character and a CR
# in it are shown as \xNN, never sent as they are.
craft_meta good/shard-00000.kshard mesc.kshard 7b2274223a20221b5d303b70776e6564071b5b324a9bc29be282206f6b0d227d
t meta-text-info expect_exit 0 kiln-shard info mesc.kshard
t meta-text-escaped out_has '^meta: +\{"t": "\\x1b\]0;pwned\\x07\\x1b\[2J\\x9b\\xc2\\x9b\\xe2\\x82 ok\\x0d" *\}$'
t meta-text-no-controls sh_ok "python3 -c 'import sys; b=open(sys.argv[1],\"rb\").read(); b.decode(); sys.exit(any(c < 32 and c != 10 or c == 127 for c in b) or b\"\\xc2\\x9b\" in b)' '$W/last.out'"
t meta-object-kept sh_ok "kiln-shard info --json good | python3 -c 'import json,sys; sys.exit(json.load(sys.stdin)[\"meta\"][\"tool\"] != \"kiln-shard pack\")'"

# Split: deterministic, complete, grouped.
t split expect_exit 0 kiln-shard split good --ratio 0.6 --seed 7 -o s1
kiln-shard split good --ratio 0.6 --seed 7 -o s2 >/dev/null
t split-slash expect_exit 0 kiln-shard split good --ratio 0.6 --seed 7 -o s4//
t split-slash-names sh_ok "grep -qx 's4/train: [0-9]* records' last.out && grep -qx 's4/val: [0-9]* records' last.out"
t split-deterministic sh_ok 'cmp s1/train/shard-00000.kshard s2/train/shard-00000.kshard && cmp s1/val/shard-00000.kshard s2/val/shard-00000.kshard'
t split-complete sh_ok '[ $(( $(kiln-shard info --json s1/train | grep -o "\"records\":[0-9]*" | cut -d: -f2) + $(kiln-shard info --json s1/val | grep -o "\"records\":[0-9]*" | cut -d: -f2) )) -eq 5 ]'
# Each side keeps the sources.jsonl lines of its own records, renumbered:
# line N names the file whose bytes record N holds.
t split-sources sh_ok 'python3 - <<"PY"
import hashlib, json, subprocess
lines = 0
for side in ("s1/train", "s1/val"):
    for l in open(side + "/sources.jsonl"):
        j = json.loads(l); lines += 1
        rec = subprocess.run(["kiln-shard", "cat", side, "-r", str(j["record"])], capture_output=True, check=True).stdout
        assert hashlib.sha256(rec).hexdigest() == j["sha256"] == hashlib.sha256(open(j["file"], "rb").read()).hexdigest(), (side, j)
assert lines == 5
PY'
# A side file that is there but cannot be read is an error, not left out.
cp -r good unreadable-side && rm unreadable-side/sources.jsonl && mkdir unreadable-side/sources.jsonl
t side-unreadable-split expect_exit 1 kiln-shard split unreadable-side --ratio 0.5 --seed 1 -o never-side
t side-unreadable-msg err_has 'unreadable-side/sources.jsonl: Is a directory'
t side-unreadable-merge expect_exit 1 kiln-shard merge unreadable-side -o never-side -q
t side-unreadable-nothing sh_ok '! ls -a | grep -q never-side'
mkdir dup; for i in 1 2 3 4 5 6; do cp in/random.bin dup/r$i; cp in/one.bin dup/o$i; done
kiln-shard pack --bytes dup -o dupds --quiet
kiln-shard split dupds --by group --ratio 0.5 --seed 3 -o gs >/dev/null
# Identical files share a group key, so each side holds all six copies or none.
t split-by-group sh_ok 'n=$(kiln-shard info --json gs/train | grep -o "\"records\":[0-9]*" | cut -d: -f2); [ $n -eq 0 ] || [ $n -eq 6 ] || [ $n -eq 12 ]'
t split-needs-seed expect_exit 2 kiln-shard split good --ratio 0.5 -o s3
t split-bad-ratio expect_exit 2 kiln-shard split good --ratio 1.5 --seed 1 -o s3

# Interrupted: SIGTERM while reading input leaves no output and no temporaries.
mkfifo slow
( head -c 100000 /dev/urandom; sleep 30 ) > slow &
feeder=$!
kiln-shard pack --bytes slow -o interrupted --quiet &
pid=$!
for i in 1 2 3 4 5 6 7 8 9 10; do ls -a | grep -q '\.interrupted\.tmp' && break; sleep 0.2; done
t interrupted-temp-existed sh_ok 'ls -a | grep -q "\.interrupted\.tmp"'
kill -TERM $pid; wait $pid 2>/dev/null
kill $feeder 2>/dev/null; wait $feeder 2>/dev/null
t interrupted-no-output sh_ok '! test -e interrupted'
t interrupted-no-temp sh_ok '! ls -a | grep -q "\.interrupted\.tmp"'

# Scale-out: N independent --part workers + merge == one run, byte for byte.
t pack-whole expect_exit 0 kiln-shard pack --bytes in dup -o whole --quiet
# Three workers at once, as N processes (or a job array) would run them.
for p in 1 2 3; do kiln-shard pack --bytes in dup --part $p/3 -o part$p --quiet & done
wait
t merge-parts expect_exit 0 kiln-shard merge part1 part2 part3 -o merged --quiet
t merge-equals-whole sh_ok 'cmp whole/shard-00000.kshard merged/shard-00000.kshard'
t merge-verify expect_exit 0 kiln-shard verify merged
t part-bad expect_exit 2 kiln-shard pack --bytes in --part 4/3 -o never
t merge-dedup expect_exit 0 kiln-shard merge whole -o dd --dedup --quiet
t merge-dedup-count sh_ok '[ "$(kiln-shard info --json dd | grep -o "\"records\":[0-9]*")" = "\"records\":5" ]'
# sources.jsonl follows the records: renumbered across parts, a dropped
# duplicate's line gone.
t merge-sources    sh_ok 'cmp whole/sources.jsonl merged/sources.jsonl'
t merge-dedup-src  sh_ok '[ $(wc -l < dd/sources.jsonl) -eq 5 ] && [ "$(grep -o "\"record\":[0-9]*" dd/sources.jsonl | cut -d: -f2 | tr "\n" " ")" = "0 1 2 3 4 " ]'
t merge-mismatch expect_exit 1 kiln-shard merge whole "$SRC/tests/fuzz/corpus/shard/tokens.kshard" -o never2
kiln-shard split whole --ratio 0.5 --seed 1 -o sp --quiet >/dev/null
t merge-refuses-corrupt sh_ok 'cp -r whole wc && printf "\x55" | dd of=wc/shard-00000.kshard bs=1 seek=400 conv=notrunc 2>/dev/null; ! kiln-shard merge wc -o never3 2>/dev/null && ! test -e never3'

# A frames record whose count makes its size wrap around 2^64 (to 4 bytes):
# refused at open by every command, never read past the file (it crashed
# stats, cat, split and merge, and verify called it ok).
for f in frames-count-wraps frames-count-wraps-actions; do
  for c in verify stats cat; do
    t "$f-$c"      expect_exit 1 kiln-shard $c "$SRC/tests/fuzz/corpus/shard/$f.kshard"
    t "$f-$c-msg"  err_has 'record 0: size 4 disagrees with its counts \(byte offset 280\)'
  done
done

# -o inside the input folder: the inputs are listed before the temporary
# output exists, so pack never packs its own half-written files.
mkdir -p inside && printf one > inside/a && printf two > inside/b
t pack-inside      expect_exit 0 kiln-shard pack --bytes -q inside -o inside/out
t pack-inside-two  sh_ok '[ "$(kiln-shard info --json inside/out | grep -o "\"records\":[0-9]*" | head -1)" = "\"records\":2" ]'

# --force deletes the old output after the rename: an output that is an
# input, or a folder holding one, is refused before anything is written
# (pack -o corpus --force replaced the corpus by a dataset of one subfolder).
mkdir -p keep/sub && printf one > keep/a && printf two > keep/sub/b
t force-over-input-folder  expect_exit 1 kiln-shard pack --bytes -q keep/sub -o keep --force
t force-over-input-msg     err_has 'keep: holds the input keep/sub, which --force would delete'
t force-over-input-kept    sh_ok '[ "$(cat keep/a keep/sub/b)" = onetwo ] && ! ls -a | grep -q "\.keep\.tmp"'
t force-over-input-file    expect_exit 1 kiln-shard pack --bytes -q keep/a -o keep/a --force
t force-over-input-file-kept sh_ok '[ "$(cat keep/a)" = one ]'
kiln-shard pack --bytes -q keep -o kds
t force-merge-into-input   expect_exit 1 kiln-shard merge -q kds kds -o kds/ --force
t force-merge-msg          err_has 'kds/: is the input kds, which --force would delete'
t force-split-over-input   expect_exit 1 kiln-shard split -q kds --ratio 0.5 --seed 1 -o . --force
t force-over-input-ds-kept expect_exit 0 kiln-shard verify kds
t force-beside-input       expect_exit 0 kiln-shard merge -q kds -o keep/sub2 --force
# Packed again with --force, an output inside the input folder is not
# packed into itself: the old output's shards, manifest and sources.jsonl
# were records of the new one.
t pack-inside-again      expect_exit 0 kiln-shard pack --bytes -q inside -o inside/out --force
t pack-inside-again-same sh_ok '[ "$(kiln-shard cat inside/out)" = onetwo ] && [ $(wc -l < inside/out/sources.jsonl) -eq 2 ]'

# An option a command does not take is a usage error, not ignored: verify
# --json printed text, pack --dedup kept duplicates, merge --by did nothing.
t opt-verify-json   usage_line "kiln-shard verify: option '--json' does not apply to verify (it is for: info split stats)" \
  kiln-shard verify --json good
t opt-pack-dedup    expect_exit 2 kiln-shard pack --bytes --dedup in -o never-opt
t opt-pack-no-output sh_ok '! ls -a | grep -q never-opt'
t opt-merge-by      expect_exit 2 kiln-shard merge good -o never-opt --by group
t opt-cat-output    usage_line "kiln-shard cat: option '-o' does not apply to cat (it is for: pack split merge)" \
  kiln-shard cat good -o x
t opt-cat-output-long usage_line "kiln-shard cat: option '--output' does not apply to cat (it is for: pack split merge)" \
  kiln-shard cat good --output=x
t opt-stats-record  usage_line "kiln-shard stats: option '-r' does not apply to stats (it is for: cat)" kiln-shard stats good -r 0
t opt-quiet-anywhere expect_exit 0 kiln-shard verify -q good
t opt-split-json    expect_exit 0 kiln-shard split good --ratio 0.5 --seed 1 -o opt-split --json --max-shard-size 4K -q
t opt-split-json-valid sh_ok "python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(d[\"train\"] + d[\"val\"] != 5)' '$W/last.out'"

# Episodes of no frames are valid records (verify passes them); merge and
# split copied none of them ("no episode in progress").
fe="$SRC/tests/fuzz/corpus/shard/frames-empty-episodes.kshard"
t empty-episodes-merge   expect_exit 0 kiln-shard merge -q "$fe" "$fe" -o fe-merged
t empty-episodes-merged  sh_ok 'kiln-shard verify fe-merged >/dev/null && [ "$(kiln-shard info --json fe-merged | python3 -c "import json,sys; d=json.load(sys.stdin); print(d[\"records\"], d[\"elements\"])")" = "6 2" ]'
t empty-episodes-same    sh_ok 'cmp <(kiln-shard cat fe-merged --segment actions) <(kiln-shard cat "'"$fe"'" --segment actions; kiln-shard cat "'"$fe"'" --segment actions)'
t empty-episodes-split   expect_exit 0 kiln-shard split -q "$fe" --ratio 0.5 --seed 1 -o fe-split --json
t empty-episodes-split-all out_has '"train":[0-9]+,"val":[0-9]+' 
t empty-episodes-split-n sh_ok '[ $(( $(kiln-shard info --json fe-split/train | python3 -c "import json,sys; print(json.load(sys.stdin)[\"records\"])") + $(kiln-shard info --json fe-split/val | python3 -c "import json,sys; print(json.load(sys.stdin)[\"records\"])") )) -eq 3 ]'

# merge joins side files line by line: an input whose sources.jsonl lacks
# its final newline ran into the next input's first line (invalid JSONL).
printf aaa > nl-a; printf bbbb > nl-b
kiln-shard pack --bytes -q nl-a -o nl1 && kiln-shard pack --bytes -q nl-b -o nl2 && truncate -s -1 nl1/sources.jsonl
t merge-no-final-newline  expect_exit 0 kiln-shard merge -q nl1 nl2 -o nlm
t merge-no-final-newline-jsonl sh_ok "python3 -c 'import json,sys; r=[json.loads(l)[\"record\"] for l in open(\"nlm/sources.jsonl\")]; sys.exit(r != [0, 1])'"
t info-json-lines sh_ok "kiln-shard info --json good nlm | python3 -c 'import json,sys; r=[json.loads(l)[\"path\"] for l in sys.stdin]; sys.exit(r != [\"good\", \"nlm\"])'"

# cat of a segment the kind lacks is a usage error: frames --segment prompt
# printed nothing with exit 0, and --segment actions on a dataset of no
# records passed.
t cat-frames-prompt      expect_exit 2 kiln-shard cat "$SRC/tests/fuzz/corpus/shard/frames.kshard" --segment prompt
t cat-frames-prompt-msg  err_has 'frames datasets have no prompt segment'
t cat-empty-actions      expect_exit 2 kiln-shard cat "$SRC/tests/fuzz/corpus/shard/tokens.kshard" --segment actions
mkdir -p none && kiln-shard pack --bytes -q none -o none.ds
t cat-empty-ds-actions   expect_exit 2 kiln-shard cat none.ds --segment actions

# A FIFO and a broken link inside an input folder: each named in a warning
# (they were left out without a word), the FIFO never opened (the pack
# would block on it), the rest packed.
mkdir -p special && printf one > special/a && mkfifo special/pipe && ln -s nowhere special/gone
t special-pack          expect_exit 0 timeout 20 kiln-shard pack --bytes -q special -o special.ds
t special-pack-fifo     err_has 'warning: special/pipe: skipped: a FIFO, not a regular file'
t special-pack-link     err_has 'warning: special/gone: skipped: a broken symbolic link'
t special-pack-records  sh_ok 'kiln-shard info --json special.ds | grep -q "\"records\":1,"'
