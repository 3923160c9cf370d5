# kiln-swf command line: usage and exit codes, info/validate/tags on good
# and bad files, decompress/compress round trips (zlib and xz as oracles
# where they apply), prompts, synth, atomic and non-clobbering outputs.
source "$(dirname "$0")/lib.sh"
SEEDS=$SRC/tests/fuzz/corpus/swf
# python3 (zlib, lzma, json) is the oracle for some checks; without it they
# are reported as skipped.
py() { if command -v python3 >/dev/null; then t "$@"; else skip "$1" "python3 not found"; fi; }

t help             expect_exit 0 kiln-swf --help
t help-to-stdout   out_has 'Usage: kiln-swf'
t version          expect_exit 0 kiln-swf --version
t version-features out_has '^openmp: (yes|no)$'
t no-args          expect_exit 2 kiln-swf
t no-args-hint     err_has "try 'kiln-swf --help'"
t opt-unknown      usage_line "kiln-swf info: unrecognized option '--bogus'" kiln-swf info --bogus
t opt-no-value     usage_line "kiln-swf decompress: option '-o' needs a value" kiln-swf decompress a.swf -o
t opt-ambiguous    usage_line "kiln-swf info: option '--s' is ambiguous" kiln-swf info --s a.swf
t eval-opt-unknown usage_line "kiln-swf eval: unrecognized option '--bogus'" kiln-swf eval --bogus
t eval-opt-short   usage_line "kiln-swf eval: unrecognized option '-o'" kiln-swf eval -o x
t unknown-cmd      expect_exit 2 kiln-swf frobnicate
t bad-option       expect_exit 2 kiln-swf info --nope x.swf
t wrong-cmd-option usage_line "kiln-swf info: option '--strict' does not apply to info (it is for: validate)" \
  kiln-swf info --strict x.swf
# An option of another command is refused, named as given, before any file
# is read; --force and -f used to be parsed and silently ignored.
t opt-not-info-f   usage_line "kiln-swf info: option '-f' does not apply to info (it is for: decompress compress synth ingest)" \
  kiln-swf info -f x.swf
t opt-not-validate-force usage_line "kiln-swf validate: option '--force' does not apply to validate (it is for: decompress compress synth ingest)" \
  kiln-swf validate --force x.swf
t opt-not-prompt-o usage_line "kiln-swf prompt: option '-o' does not apply to prompt (it is for: decompress compress synth ingest)" \
  kiln-swf prompt -o y x.swf
t opt-not-prompt-output usage_line "kiln-swf prompt: option '--output' does not apply to prompt (it is for: decompress compress synth ingest)" \
  kiln-swf prompt --output y x.swf
t opt-not-synth-j  usage_line "kiln-swf synth: option '-j' does not apply to synth (it is for: info validate tags)" \
  kiln-swf synth -j -n 1 --seed 1 -o never
t opt-not-synth-json usage_line "kiln-swf synth: option '--json' does not apply to synth (it is for: info validate tags)" \
  kiln-swf synth --json -n 1 --seed 1 -o never
t opt-not-tags-t   usage_line "kiln-swf tags: option '-t' does not apply to tags (it is for: ingest)" kiln-swf tags -t 2 x.swf
t opt-not-ingest-n usage_line "kiln-swf ingest: option '-n' does not apply to ingest (it is for: synth)" \
  kiln-swf ingest -n 3 x.swf -o never
t opt-not-decompress-zlib usage_line "kiln-swf decompress: option '--zlib' does not apply to decompress (it is for: compress)" \
  kiln-swf decompress --zlib x.swf -o never
t opt-not-written  sh_ok '! ls -a | grep -q never'
t compress-needs-codec expect_exit 2 kiln-swf compress x.swf -o y.swf
t synth-needs-seed expect_exit 2 kiln-swf synth -n 3 -o d
t bad-count        expect_exit 2 kiln-swf synth -n 3x --seed 1 -o d
t missing-file     expect_exit 1 kiln-swf info does-not-exist.swf
t missing-named    err_has 'does-not-exist.swf'

# synth: every file is ok with no spec notes, prompts sit beside them, and
# the same seed gives the same bytes.
t synth            expect_exit 0 kiln-swf synth -n 12 --seed 5 -o syn --quiet
t synth-count      sh_ok '[ $(ls syn/*.swf | wc -l) -eq 12 ] && [ $(ls syn/*.prompt | wc -l) -eq 12 ]'
t synth-strict-ok  expect_exit 0 kiln-swf validate --strict syn/*.swf
t synth-again      expect_exit 0 kiln-swf synth -n 12 --seed 5 -o syn2 --quiet
t synth-deterministic sh_ok 'diff -r syn syn2'
t synth-no-clobber expect_exit 1 kiln-swf synth -n 2 --seed 6 -o syn --quiet
# worded as the other tools word it (it said only 'File exists')
t synth-no-clobber-says err_has '^kiln-swf: syn: exists \(use --force to replace it\)$'
t synth-force      expect_exit 0 kiln-swf synth -n 2 --seed 6 -o syn2 --quiet --force
t synth-replaced   sh_ok '[ $(ls syn2/*.swf | wc -l) -eq 2 ]'
# --max-size and --quiet go with every command
t synth-max-size   expect_exit 0 kiln-swf synth -f -n 1 --seed 6 --max-size 1M -o syn2 -q
t validate-max-size expect_exit 0 kiln-swf validate -q --max-size 1M --strict -j syn2/synth-000000.swf
# synth reads no input: --max-size, however small, does not touch what it
# writes (it once judged its own files under the cap and blamed a bug).
t synth-tiny-max-size expect_exit 0 kiln-swf synth -n 2 --seed 6 --max-size 64 -o syn-tiny -q
t synth-tiny-max-size-same sh_ok 'kiln-swf synth -n 2 --seed 6 -o syn-tiny2 -q && diff -r syn-tiny syn-tiny2'
F=syn/synth-000003.swf

# info --json: one valid JSON object per file with the documented fields.
t info-json        expect_exit 0 kiln-swf info --json $F $SEEDS/overrun.swf $SEEDS/empty.swf
check_info() {
  python3 - "$W/last.out" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
assert len(rows) == 3, rows
need = ["file", "signature", "version", "declared_length", "decompressed_length", "rect", "width",
        "height", "frame_rate", "frame_count", "tag_count", "has_end_tag", "verdict", "reason", "offset"]
for r in rows:
    missing = [k for k in need if k not in r]
    assert not missing, missing
ok, dam, bro = rows
assert ok["verdict"] == "ok" and ok["signature"] == "FWS" and ok["has_end_tag"] is True, ok
assert set(ok["rect"]) == {"xmin", "xmax", "ymin", "ymax"} and ok["width"] * 20 == ok["rect"]["xmax"]
assert dam["verdict"] == "damaged" and dam["reason"] == "tag_overruns_file" and dam["offset"] == 29, dam
assert bro["verdict"] == "broken" and bro["reason"] == "empty" and bro["rect"] is None, bro
assert bro["signature"] is None and bro["version"] is None and bro["declared_length"] is None, bro
PY
}
py info-json-fields check_info
# A header field the file is too short to hold is null, never "" or 0.
printf 'CW' > two.swf; printf 'CWS\x0a' > four.swf
t info-json-short  expect_exit 0 kiln-swf info --json two.swf four.swf
py info-json-short-nulls sh_ok "python3 -c \"import json; a,b=[json.loads(l) for l in open('$W/last.out')]; assert a['signature'] is None and a['version'] is None and a['file_size']==2, a; assert b['signature']=='CWS' and b['version']==10 and b['declared_length'] is None, b\""
t info-text-short  expect_exit 0 kiln-swf info two.swf $SEEDS/empty.swf
t info-text-short-line out_has '^two.swf: \(too short\), broken'
t info-text        expect_exit 0 kiln-swf info $F
t info-text-line   out_has 'FWS v10, [0-9]+x[0-9]+ px'

# validate: verdict per line, exit 1 unless every file is ok; --strict
# also fails on spec notes (no End tag here).
t validate-ok      expect_exit 0 kiln-swf validate $F
t validate-ok-line out_has ': ok$'
t validate-bad     expect_exit 1 kiln-swf validate $F $SEEDS/truncated-long-header.swf $SEEDS/not-swf.swf
t validate-damaged out_has 'truncated-long-header.swf: damaged: truncated_long_header at offset 29'
t validate-broken  out_has 'not-swf.swf: broken: not_swf at offset 0'
t validate-noend   expect_exit 0 kiln-swf validate $SEEDS/no-end.swf
t validate-strict  expect_exit 1 kiln-swf validate --strict $SEEDS/no-end.swf
t validate-strict-why out_has 'no_end_tag@'

t validate-json    expect_exit 1 kiln-swf validate --json $F $SEEDS/overrun.swf
py validate-json-rows sh_ok "python3 -c \"import json; r=[json.loads(l) for l in open('$W/last.out')]; assert [x['pass'] for x in r]==[True,False] and r[1]['reason']=='tag_overruns_file' and r[1]['offset']==29, r\""

# tags: names, nesting, JSON; a compressed file lists the same tags.
t tags             expect_exit 0 kiln-swf tags $SEEDS/rich-fws.swf
t tags-nested      out_has '^ +[0-9]+   PlaceObject2'
t tags-json        expect_exit 0 kiln-swf tags --json $SEEDS/rich-fws.swf
t tags-json-parent out_has '"name":"PlaceObject2","header":2,"length":5,"depth":1,"parent":5'
t tags-broken      expect_exit 1 kiln-swf tags $SEEDS/header-only.swf
t tags-cws-same    sh_ok "kiln-swf compress --zlib $F -o tags-c.swf && cmp <(kiln-swf tags --json $F) <(kiln-swf tags --json tags-c.swf)"

# decompress/compress: zlib-flate/xz are not assumed; python's zlib and lzma
# modules are the oracles for the compressed bodies.
t compress-zlib    expect_exit 0 kiln-swf compress --zlib $F -o f.cws.swf
t compress-lzma    expect_exit 0 kiln-swf compress --lzma $F -o f.zws.swf
t cws-signature    sh_ok '[ "$(head -c 3 f.cws.swf)" = CWS ]'
t zws-signature    sh_ok '[ "$(head -c 3 f.zws.swf)" = ZWS ]'
oracle() {
  python3 - "$F" f.cws.swf f.zws.swf <<'PY'
import sys, zlib, lzma, struct
fws, cws, zws = (open(p, "rb").read() for p in sys.argv[1:])
assert zlib.decompress(cws[8:]) == fws[8:]
props = zws[12:17]
size = struct.unpack("<I", zws[4:8])[0] - 8
alone = props + struct.pack("<Q", size) + zws[17:]
assert lzma.LZMADecompressor(format=lzma.FORMAT_ALONE).decompress(alone)[:size] == fws[8:]
assert struct.unpack("<I", zws[8:12])[0] == len(zws) - 17
PY
}
py compressed-bodies-oracle oracle
t decompress-cws   expect_exit 0 kiln-swf decompress f.cws.swf -o back1.swf
t decompress-zws   expect_exit 0 kiln-swf decompress f.zws.swf -o back2.swf
t roundtrip-exact  sh_ok "cmp back1.swf $F && cmp back2.swf $F"
t decompress-no-clobber expect_exit 1 kiln-swf decompress f.cws.swf -o back1.swf
# /dev/stdout behind a shell redirect is the caller's file, not one to clobber
t decompress-dev-stdout sh_ok "kiln-swf decompress f.cws.swf -o /dev/stdout > back3.swf && cmp back3.swf $F"
t decompress-broken expect_exit 1 kiln-swf decompress $SEEDS/cws-header-cut.swf -o never.swf
t decompress-broken-nothing sh_ok '! test -e never.swf && ! ls -a | grep -q "\.tmp"'
# A damaged input is an error naming the file and offset, with no output;
# --salvage converts what decodes, with a warning.
damage() {
  python3 - f.cws.swf f.zws.swf "$F" <<'PY'
import sys, struct
cws, zws, fws = (open(p, "rb").read() for p in sys.argv[1:])
open("cws-cut.swf", "wb").write(cws[:len(cws) // 2])
open("zws-cut.swf", "wb").write(zws[:len(zws) // 2])
bad = bytearray(cws); bad[len(cws) // 3] ^= 0xff; open("cws-flip.swf", "wb").write(bad)
bad = bytearray(zws); bad[len(zws) // 3] ^= 0xff; open("zws-flip.swf", "wb").write(bad)
lie = bytearray(cws); lie[4:8] = struct.pack("<I", len(fws) + 1000); open("cws-len.swf", "wb").write(lie)
open("fws-cut.swf", "wb").write(fws[:len(fws) - 10])
PY
}
py make-damaged damage
for x in cws-cut zws-cut cws-flip zws-flip cws-len fws-cut; do
  t decompress-$x expect_exit 1 kiln-swf decompress $x.swf -o out-$x.swf
  t decompress-$x-names err_has "^kiln-swf: $x\.swf: .*at offset [0-9]+.*nothing written"
  t decompress-$x-nothing sh_ok "! test -e out-$x.swf && ! ls -a | grep -q '\.tmp'"
  t compress-$x expect_exit 1 kiln-swf compress --lzma $x.swf -o outz-$x.swf
  t compress-$x-nothing sh_ok "! test -e outz-$x.swf"
done
t decompress-len-says err_has 'FileLength at offset 4 says [0-9]+ bytes, the data holds [0-9]+'
t salvage          expect_exit 0 kiln-swf decompress --salvage cws-cut.swf -o salvaged.swf
t salvage-warns    err_has 'warning: cws-cut\.swf: damaged: zlib_truncated at offset [0-9]+; --salvage'
t salvage-prefix   sh_ok "n=\$(stat -c %s salvaged.swf); [ \$n -gt 8 ] && cmp -n \$((n - 8)) <(tail -c +9 salvaged.swf) <(tail -c +9 $F)"
t salvage-only-convert expect_exit 2 kiln-swf info --salvage $F
t compress-old-version-warns expect_exit 0 kiln-swf compress --zlib $SEEDS/cws-v5.swf -o v5.swf
t compress-old-version-msg err_has 'below the CWS minimum'

# prompt: the structured prompt, matching what synth wrote; sidecar and
# --description override the XMP description.
t prompt           expect_exit 0 kiln-swf prompt $F
t prompt-matches-synth sh_ok "kiln-swf prompt $F | cmp - syn/synth-000003.prompt"
t prompt-head      out_has '^Please generate an animation with the following specifications:$'
t prompt-rate      out_has '^- Frame rate: [0-9]+\.[0-9]$'
t prompt-desc      expect_exit 0 kiln-swf prompt --description 'Just squares.' $F
t prompt-desc-line out_has '^- Description: Just squares\.$'
cp $F side.swf; echo 'From the sidecar.' > side.swf.txt
t prompt-sidecar   expect_exit 0 kiln-swf prompt side.swf
t prompt-sidecar-line out_has '^- Description: From the sidecar\.$'
t prompt-broken    expect_exit 1 kiln-swf prompt $SEEDS/empty.swf
