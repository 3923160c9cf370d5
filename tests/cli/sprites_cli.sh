#!/usr/bin/env bash
# kiln-sprites command line: usage errors, synth -> palette -> quantize ->
# render/sheet/shade round trips checked with kiln-shard and ImageMagick,
# determinism across thread counts, labels, sprite sheets, bad inputs, and
# the quality bar on the real sprite corpus when ../shared is present.
. "$(dirname "$0")/lib.sh"

t help             expect_exit 0 kiln-sprites --help
t help_stdout      out_has '^Usage: kiln-sprites'
t version          expect_exit 0 kiln-sprites --version
t version_ffmpeg   out_has '^ffmpeg: '
t no_command       expect_exit 2 kiln-sprites
t bad_command      expect_exit 2 kiln-sprites frobnicate
t usage_hint       err_has "try 'kiln-sprites --help'"
t bad_option       expect_exit 2 kiln-sprites quantize --bogus x -o y
t opt_unknown      usage_line "kiln-sprites quantize: unrecognized option '--bogus'" kiln-sprites quantize --bogus x -o y
t opt_no_value     usage_line "kiln-sprites palette: option '-o' needs a value" kiln-sprites palette x -o
t opt_before_cmd   usage_line "kiln-sprites palette: unrecognized option '-Z'" kiln-sprites -o p.gpl -Z palette x
t bad_scale        expect_exit 2 kiln-sprites quantize --scale blurry x -o y
t bad_sheet        expect_exit 2 kiln-sprites quantize --sheet 32 x -o y
t bad_colors       expect_exit 2 kiln-sprites palette --colors 1000 x -o y.gpl
t bad_light        expect_exit 2 kiln-sprites render --light 0,0 d -o r
t no_output        expect_exit 2 kiln-sprites quantize x
# An option of another command is refused, named as given, before anything
# is read or written (it used to be parsed and silently ignored: fit
# --palette fitted as if none was given, compare -o wrote nothing).
t opt_not_palette  usage_line "kiln-sprites palette: option '--zoom' does not apply to palette (it is for: render sheet)" \
  kiln-sprites palette --zoom 3 x -o never.gpl
t opt_not_fit      usage_line "kiln-sprites fit: option '--palette' does not apply to fit (it is for: palette quantize render sheet shade)" \
  kiln-sprites fit --palette p.gpl x -o never
t opt_not_synth    usage_line "kiln-sprites synth: option '--colors' does not apply to synth (it is for: palette quantize)" \
  kiln-sprites synth --colors 16 -o never
t opt_not_cmp_o    usage_line "kiln-sprites compare: option '-o' does not apply to compare (it is for: palette quantize render sheet shade synth fit)" \
  kiln-sprites compare -o never a b
t opt_not_cmp_out  usage_line "kiln-sprites compare: option '--output' does not apply to compare (it is for: palette quantize render sheet shade synth fit)" \
  kiln-sprites compare --output=never a b
t opt_not_cmp_f    usage_line "kiln-sprites compare: option '-f' does not apply to compare (it is for: palette quantize render sheet shade synth fit)" \
  kiln-sprites compare -qf a b
t opt_not_cmp_force usage_line "kiln-sprites compare: option '--force' does not apply to compare (it is for: palette quantize render sheet shade synth fit)" \
  kiln-sprites compare --force a b
t opt_not_before   usage_line "kiln-sprites render: option '--count' does not apply to render (it is for: synth)" \
  kiln-sprites --count 3 render d -o never
t opt_not_part     usage_line "kiln-sprites palette: option '--part' does not apply to palette (it is for: quantize)" \
  kiln-sprites palette --part 1/2 x -o never.gpl
t opt_not_written  sh_ok '! ls -a | grep -q never'
t opt_unknown_cmd  usage_line "kiln-sprites: unknown command 'frobnicate'" kiln-sprites frobnicate --zoom 3
t no_inputs        expect_exit 2 kiln-sprites palette -o p.gpl

# Synthetic corpus: 6 zones x 6 categories x 3.
t synth            expect_exit 0 kiln-sprites synth --count 3 -o syn
t synth_count      sh_ok '[ "$(find syn -name "*.png" | wc -l)" -eq 108 ] && [ -f syn/reef/jellyfish/0002.png ]'
t synth_again      expect_exit 0 kiln-sprites synth --count 3 -q -o syn2
t synth_same       sh_ok 'diff -r syn syn2 >/dev/null'

for fmt in gpl hex png; do
  t "palette_$fmt" expect_exit 0 kiln-sprites palette -q -o "pal.$fmt" syn
done
t palette_gpl_head sh_ok 'head -1 pal.gpl | grep -qx "GIMP Palette" && [ "$(grep -c "^ *[0-9]" pal.gpl)" -eq 64 ]'
t palette_hex_n    sh_ok '[ "$(grep -c "^#[0-9a-f]\{6\}" pal.hex)" -eq 64 ]'
t palette_exists   expect_exit 1 kiln-sprites palette -q -o pal.gpl syn
t palette_report   expect_exit 0 kiln-sprites palette --json -o pal2.gpl --force syn
t palette_json     out_has '"psnr_mean_db":[0-9.]+,"psnr_pooled_db"'

t quantize         expect_exit 0 kiln-sprites quantize -o ds syn
t quantize_report  out_has 'PSNR mean [0-9.]+ dB'
t shard_verify     expect_exit 0 kiln-shard verify ds
t shard_info       expect_exit 0 kiln-shard info --json ds
t info_kind        out_has '"kind":"sprites","elem_size":1,"vocab_size":80'
t info_special     out_has '"bos_id":65,"eos_id":66,"pad_id":64,"mask_id":67,"width":32,"height":32,"channels":2'
t info_records     out_has '"records":108'
t info_zones       out_has '"zones":\["abyss","deep","kelp","open","reef","shallows"\]'
t info_layout      out_has '"zone_base":68,"zones":6,"category_base":74,"categories":6,"vocab":80'
# record 0 is abyss/cephalopod: zone 0 -> 68, category 0 -> 74
t prompt_tokens    sh_ok '[ "$(kiln-shard cat ds -r 0 --segment prompt | od -An -tu1 | tr -s " " | sed "s/^ //")" = "68 74" ]'
t content_range    sh_ok 'kiln-shard cat ds --segment content | od -An -tu1 -v | tr -s " " "\n" | awk "NF && \$1 > 63 {bad=1} END {exit bad}"'
# the same palette given back in every file format gives the same fingerprint
fp=$(kiln-shard info --json ds | grep -o '"fingerprint":"[0-9a-f]*"')
for fmt in gpl hex png; do
  t "with_pal_$fmt" expect_exit 0 kiln-sprites quantize -q --palette "pal.$fmt" -o "ds_$fmt" syn
  t "fp_same_$fmt"  sh_ok "kiln-shard info --json ds_$fmt | grep -q '$fp'"
done
# A palette built from fewer distinct colours than --colors holds each of
# them once and distinct grey padding, and reads back from its PNG swatch
# cell for cell.
printf '#000000\n#ffffff\n' > two.hex
kiln-sprites quantize -q --palette two.hex -o ds_two syn && kiln-sprites render -q ds_two -o two_png
for fmt in hex png; do
  t "rep_pal_$fmt"   expect_exit 0 kiln-sprites palette -q --colors 16 -o "rep.$fmt" two_png
  t "rep_use_$fmt"   expect_exit 0 kiln-sprites quantize -q --palette "rep.$fmt" -o "ds_rep_$fmt" syn
done
# A palette file that repeats a colour is used as given (indices unchanged),
# with a warning naming the file and the repeated entries.
printf '#000000 ; transparent\n#ff0000\n#00ff00\n#ff0000\n#000000\n#00ff00\n#ff0000\n' > dup.hex
t dup_pal          expect_exit 0 kiln-sprites quantize -q --palette dup.hex -o ds_dup syn
t dup_pal_red      err_has 'warning: dup.hex: colour #ff0000 is at entries 1, 3, 6; pixels only ever map to entry 1$'
t dup_pal_green    err_has 'warning: dup.hex: colour #00ff00 is at entries 2, 5; pixels only ever map to entry 2$'
t dup_pal_lines    sh_ok '[ $(grep -c warning last.err) -eq 2 ]'
t dup_pal_kept     sh_ok 'kiln-shard info --json ds_dup | grep -q "#ff0000\",\"#00ff00\",\"#ff0000\",\"#000000\""'
t rep_no_warning   expect_exit 0 kiln-sprites quantize -q --palette rep.hex -o ds_rep_again syn
t rep_no_warn_msg  sh_ok '[ ! -s last.err ]'
t rep_distinct     sh_ok '[ $(wc -l < rep.hex) -eq 16 ] && [ $(grep -v transparent rep.hex | sort -u | wc -l) -eq 15 ]'
t rep_inputs_once  sh_ok '[ $(grep -c "^#000000$" rep.hex) -eq 1 ] && [ $(grep -c "^#ffffff$" rep.hex) -eq 1 ]'
t rep_fp_same      sh_ok 'a=$(kiln-shard info --json ds_rep_png | grep -o "fingerprint\":\"[0-9a-f]*"); b=$(kiln-shard info --json ds_rep_hex | grep -o "fingerprint\":\"[0-9a-f]*"); [ -n "$a" ] && [ "$a" = "$b" ]'
# same records (the metadata differs: palette_seed vs palette_source)
t quantize_same    sh_ok 'cmp <(kiln-shard cat ds) <(kiln-shard cat ds_gpl)'
t threads_1        expect_exit 0 env OMP_NUM_THREADS=1 kiln-sprites quantize -q -o ds_t1 syn
t threads_2        expect_exit 0 env OMP_NUM_THREADS=2 kiln-sprites quantize -q -o ds_t2 syn
t threads_same     sh_ok 'cmp ds_t1/shard-00000.kshard ds_t2/shard-00000.kshard && cmp ds/shard-00000.kshard ds_t1/shard-00000.kshard'
t exists_no_force  expect_exit 1 kiln-sprites quantize -q -o ds syn
t exists_named     err_has 'ds: .*--force'
t exists_force     expect_exit 0 kiln-sprites quantize -q --force -o ds syn
t force_over_input sh_ok 'cp -r syn syn_in && n=$(ls syn_in | wc -l) && ! kiln-sprites quantize -q --force -o syn_in syn_in 2>fo.err && grep -q "is the input" fo.err && [ "$(ls syn_in | wc -l)" = "$n" ]'
# --force never overwrites an input file: palette wrote its swatch over an
# input sprite, sheet its PNG over a dataset's manifest.json.
cp -r syn syn_pf && cp syn_pf/reef/fish/0000.png pf_keep.png && cp -r ds ds_pf
t force_pal_input  expect_exit 1 kiln-sprites palette -q --force -o syn_pf/reef/fish/0000.png syn_pf
t force_pal_msg    err_has 'syn_pf/reef/fish/0000.png: is inside the input syn_pf, which --force would overwrite'
t force_pal_file   expect_exit 1 kiln-sprites palette -q --force -o syn_pf/reef/fish/0000.png syn_pf/reef/fish/0000.png
t force_pal_kept   cmd_ok cmp pf_keep.png syn_pf/reef/fish/0000.png
t force_sheet_in   expect_exit 1 kiln-sprites sheet -q --force -o ds_pf/manifest.json ds_pf
t force_sheet_msg  err_has 'ds_pf/manifest.json: is inside the input ds_pf'
t force_sheet_kept expect_exit 0 kiln-shard verify ds_pf
t dither           expect_exit 0 kiln-sprites quantize -q --dither --palette pal.gpl -o ds_dither syn
t dither_differs   sh_ok '! cmp -s ds/shard-00000.kshard ds_dither/shard-00000.kshard'
t counts           expect_exit 0 kiln-sprites quantize -q --colors 32 --zones 8 --categories 7 -o ds_small syn
t counts_info      sh_ok 'kiln-shard info --json ds_small | grep -q "\"vocab_size\":51" && kiln-shard verify ds_small >/dev/null'
t too_few_zones    expect_exit 1 kiln-sprites quantize -q --zones 4 -o ds_z syn
t too_few_named    err_has '6 distinct zone names.*--zones'

# Back to pictures: every render decodes (ImageMagick as the independent reader).
t render           expect_exit 0 kiln-sprites render -q --zoom 4 -o rend ds
t render_count     sh_ok '[ "$(ls rend | wc -l)" -eq 108 ] && ls rend | head -1 | grep -qx "000000-abyss-cephalopod.png"'
if command -v identify >/dev/null 2>&1; then
  t render_size    sh_ok '[ "$(identify -format "%wx%h" rend/000000-abyss-cephalopod.png)" = 128x128 ]'
else skip render_size "ImageMagick not installed"; fi
t sheet            expect_exit 0 kiln-sprites sheet -q -o sheet.png ds
t sheet_png        sh_ok 'head -c 8 sheet.png | od -An -tx1 | grep -q "89 50 4e 47 0d 0a 1a 0a"'
t sheet_exists     expect_exit 1 kiln-sprites sheet -q -o sheet.png ds
t sheet_json       expect_exit 0 kiln-sprites sheet --json --force -o sheet.png ds
t sheet_json_out   out_has '^\{"command":"sheet","output":"sheet.png","sprites":72\}$'
# A device is written in place, not "replaced" (sheet -o /dev/null asked for
# --force), and palette refuses an existing output before decoding anything.
t sheet_devnull    expect_exit 0 kiln-sprites sheet -q -o /dev/null ds
# -o - writes the PNG to stdout: the summary (or --json) came after it.
t sheet_stdout     sh_ok 'kiln-sprites sheet -o - ds > so.png && kiln-sprites sheet --json -o - ds > sj.png && kiln-sprites sheet -q -o sq.png ds && cmp so.png sq.png && cmp sj.png sq.png'
t pal_devnull      expect_exit 0 kiln-sprites palette -q -o /dev/null syn/reef
t pal_exists_first expect_exit 1 kiln-sprites palette -q -o pal.gpl nope.png
t pal_exists_msg   sh_ok "grep -q 'pal.gpl: exists (use --force' last.err && ! grep -q nope.png last.err"
t sheet_sweep      expect_exit 0 kiln-sprites sheet -q --sweep --per-cell 4 -o sweep.png ds ds_dither
t shade            expect_exit 0 kiln-sprites shade -q -o ds_shaded ds
t shade_verify     expect_exit 0 kiln-shard verify ds_shaded
t shade_differs    sh_ok '! cmp -s ds/shard-00000.kshard ds_shaded/shard-00000.kshard'
t shade_same_fp    sh_ok "kiln-shard info --json ds_shaded | grep -q '$fp'"
# A damaged record is refused, by file, record and offset, before it is
# drawn or shaded: shade wrote it with a fresh checksum (verify then passed
# the damage) and render/sheet drew it, all with exit 0.
# The low bit of a palette index is flipped, so every token stays in range.
cp -r ds ds_flip
python3 - ds_flip/shard-00000.kshard <<'PY'
import struct, sys
b = bytearray(open(sys.argv[1], 'rb').read())
b[struct.unpack_from('<Q', b, 96)[0] + 100] ^= 1
open(sys.argv[1], 'wb').write(b)
PY
t flip_shade       expect_exit 1 kiln-sprites shade -q -o ds_flip_shaded ds_flip
t flip_shade_msg   err_has '^kiln-sprites: ds_flip/shard-00000.kshard: record 0: payload CRC mismatch \(byte offset [0-9]+\)$'
t flip_shade_none  sh_ok '[ ! -e ds_flip_shaded ] && ! ls -a | grep -q ds_flip_shaded'
t flip_render      expect_exit 1 kiln-sprites render -q --limit 1 -o rend_flip ds_flip
t flip_render_none sh_ok '[ ! -e rend_flip ]'
t flip_sheet       expect_exit 1 kiln-sprites sheet -q -o flip.png ds_flip
t flip_sheet_msg   err_has 'record 0: payload CRC mismatch \(byte offset [0-9]+\)'
cp -r ds ds_cut && truncate -s -3 ds_cut/shard-00000.kshard
t cut_render       expect_exit 1 kiln-sprites render -q -o rend_cut ds_cut
t cut_render_msg   err_has 'ds_cut/shard-00000.kshard: file_size field says [0-9]+ bytes, file has [0-9]+ .*\(byte offset 120\)$'
# a zoom that makes each PNG larger than the image cap is refused as such
kiln-sprites quantize -q --size 160 --upscale --palette pal.gpl -o ds_160 syn/reef/fish/0000.png
t render_too_big   expect_exit 1 kiln-sprites render -q --zoom 64 -o rend_big ds_160
t render_big_msg   err_has 'ds_160: 160x160 sprites at --zoom 64 would be 10240x10240 pixels'
t render_big_none  sh_ok '[ ! -e rend_big ]'
t render_shaded    expect_exit 0 kiln-sprites render -q --shade --limit 3 -o rend_sh ds

# fit + compare: a folder compared with itself is perfect.
t fit              expect_exit 0 kiln-sprites fit -q -o fitted syn
t fit_names        sh_ok '[ -f fitted/reef__fish__0001.png ]'
t compare_self     expect_exit 0 kiln-sprites compare --json fitted fitted
t compare_perfect  out_has '"psnr_mean_db":60,.*"delta_e_x100":0,'
t compare_slash    expect_exit 0 kiln-sprites compare --json fitted/ fitted
t compare_slash_ok out_has '"psnr_mean_db":60,.*"delta_e_x100":0,'
# compare scores images only (a stray text file in REF is not a failure),
# and an empty REF is an error that says so
mkdir -p cmp_ref cmp_empty
cp fitted/reef__fish__0001.png fitted/deep__eel__0002.png cmp_ref/; echo notes > cmp_ref/README.txt
t compare_images   expect_exit 0 kiln-sprites compare --json cmp_ref fitted
t compare_two      out_has '"files":2,"failed_files":0'
t compare_empty    expect_exit 1 kiln-sprites compare cmp_empty fitted
t compare_empty_msg err_has 'cmp_empty: no images'
# compare fits nothing: it scores both folders' images as they are, so an
# unfitted REF works, and --help and kiln-sprites(1) say so (they once said
# "fitted REF images", as if compare fitted them).
mkdir -p cmp_raw && cp syn/reef/fish/0000.png cmp_raw/
t compare_raw      expect_exit 0 kiln-sprites compare --json --max-dim 64 cmp_raw cmp_raw
t compare_raw_ok   out_has '"files":1,"failed_files":0'
t compare_help     expect_exit 0 kiln-sprites --help
t compare_help_as_is out_has '^  compare .* same-named REF images$'
t compare_help_no_fit sh_ok '! kiln-sprites --help | grep -q "fitted REF"'
t compare_man_no_fit sh_ok "grep -q '^Nothing is fitted' '$SRC/man/kiln-sprites.1' && ! grep -q 'same-named fitted' '$SRC/man/kiln-sprites.1'"
# every command still takes the options kiln-sprites(1) gives it
t compare_opts     expect_exit 0 kiln-sprites compare -q --alpha-threshold 100 --max-dim 64 fitted fitted
t synth_opts       expect_exit 0 kiln-sprites synth -q -f --size 16 --seed 3 --count 1 -o syn_opts
t shade_opts       expect_exit 0 kiln-sprites shade -q -f --palette pal.gpl --light 1,0 --no-ao --no-edge -o ds_shade_opts ds
t sheet_opts       expect_exit 0 kiln-sprites sheet -q -f --palette pal.gpl --shade --light 1,0 --no-ao --no-edge --zoom 2 --per-cell 1 -o sheet_opts.png ds
t render_opts      expect_exit 0 kiln-sprites render -q -f --palette pal.gpl --shade --no-edge --zoom 2 --limit 1 -o rend_opts ds
t fit_opts         expect_exit 0 kiln-sprites fit -q -f --size 16 --scale box --alpha-threshold 100 --no-trim --upscale --max-dim 64 -o fit_opts syn/reef/fish
t palette_opts     expect_exit 0 kiln-sprites palette -q -f --size 16 --colors 8 --no-transparent --seed 2 --holdout 0.2 --dither --palette pal.gpl -o pal_opts.gpl syn/reef
# Names that meet once flattened (and the same name in two folders) are all
# written: none overwrites another.
mkdir -p meet/a meet2/A meet2/B
cp syn/reef/fish/0001.png meet/a/b.png; cp syn/reef/fish/0002.png meet/a__b.png
cp syn/reef/fish/0001.png meet2/A/p.png; cp syn/reef/fish/0002.png meet2/B/p.png
t fit_meet         expect_exit 0 kiln-sprites fit -q -o meet.out meet
t fit_meet_both    sh_ok '[ $(ls meet.out | wc -l) = 2 ] && [ -f meet.out/a__b.png ] && [ -f meet.out/a__b-2.png ]'
t fit_two_dirs     expect_exit 0 kiln-sprites fit -q -o meet2.out meet2/A meet2/B
t fit_two_dirs_ok  sh_ok 'cmp meet2.out/p.png fitted/reef__fish__0001.png && cmp meet2.out/p-2.png fitted/reef__fish__0002.png'

# Labels from a CSV, and a sprite sheet cut on a grid.
mkdir flat
cp syn/reef/fish/0000.png flat/a.png
cp syn/deep/eel/0001.png flat/b.png
printf 'file,zone,category\na.png,reef,fish\nb.png,deep,eel\n' > labels.csv
t labels_csv       expect_exit 0 kiln-sprites quantize -q --labels labels.csv --palette pal.gpl -o ds_csv flat
t labels_meta      sh_ok 'kiln-shard info --json ds_csv | grep -q "\"zones\":\[\"deep\",\"reef\"\],\"categories\":\[\"eel\",\"fish\"\]"'
printf 'file,zone,category\na.png,reef,fish\n' > partial.csv
t labels_missing   expect_exit 1 kiln-sprites quantize -q --labels partial.csv --palette pal.gpl -o ds_part flat
t labels_named     err_has 'b.png: no label'
t labels_rest      sh_ok 'kiln-shard info --json ds_part | grep -q "\"records\":1"'
if command -v convert >/dev/null 2>&1; then
  convert syn/reef/fish/0000.png syn/deep/eel/0001.png syn/open/coral/0002.png +append sheet_in.png
  t sheet_cut      expect_exit 0 kiln-sprites quantize -q --sheet 32x32 --palette pal.gpl -o ds_sheet sheet_in.png
  t sheet_records  sh_ok 'kiln-shard info --json ds_sheet | grep -q "\"records\":3"'
  # cells are the same sprites as the separate files
  t sheet_vs_files expect_exit 0 kiln-sprites quantize -q --palette pal.gpl -o ds_three syn/reef/fish/0000.png syn/deep/eel/0001.png syn/open/coral/0002.png
  t sheet_same     sh_ok '[ "$(kiln-shard cat ds_sheet --segment content | od -An -tx1)" = "$(kiln-shard cat ds_three --segment content | od -An -tx1)" ]'
  # Several failed cells in one sheet: the first message is kept and the
  # others freed (they leaked). Only out of memory fails a non-empty cell, so
  # ASan's allocation cap makes each 1024x1024 fit fail; LeakSanitizer
  # (abort_on_error) turns a leak into exit 134.
  if [ "$KILN_SANITIZED" = 1 ]; then
    t sheet_oom      expect_exit 1 env ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=1:abort_on_error=1:max_allocation_size_mb=3:allocator_may_return_null=1" \
                       kiln-sprites quantize -q --sheet 32x32 --size 1024 --palette pal.gpl -o ds_oom sheet_in.png
    t sheet_oom_msg  err_has '^kiln-sprites: sheet_in.png: out of memory$'
    t sheet_oom_leak sh_ok '! grep -q LeakSanitizer last.err && [ ! -e ds_oom ]'
  else
    skip sheet_oom "needs ASan's allocation cap to fail a cell (make check runs it)"
  fi
else skip sheet_cut "ImageMagick not installed"; fi

# Bad inputs: each named, the rest still processed, exit 1.
mkdir bad empty
cp syn/reef/fish/0000.png bad/good1.png
cp syn/kelp/coral/0001.png bad/good2.png
head -c 100 syn/reef/fish/0001.png > bad/truncated.png
echo "not an image" > bad/text.png
printf '\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR\0\x01\x86\xa0\0\x01\x86\xa0\x08\x06\0\0\0\0\0\0\0' > bad/huge.png
: > bad/zero.png
t bad_inputs       expect_exit 1 kiln-sprites quantize --palette pal.gpl -o ds_bad bad
t bad_truncated    err_has 'bad/truncated.png: .*(corrupt|truncated)'
t bad_text         err_has 'bad/text.png: .*not a PNG'
t bad_huge         err_has 'bad/huge.png: offset 16: declared size 100000x100000 over the cap'
t bad_zero         err_has 'bad/zero.png: .*empty'
t bad_rest         sh_ok 'kiln-shard info --json ds_bad | grep -q "\"records\":2"'
t bad_report       out_has '2 sprites from 6 files \(4 failed'
t empty_folder     expect_exit 1 kiln-sprites quantize -o ds_empty empty
t empty_named      err_has 'empty: no images'
t empty_no_output  sh_ok '[ ! -e ds_empty ]'
t missing_input    expect_exit 1 kiln-sprites palette -o p.gpl nope.png
t missing_named    err_has 'nope.png'
t bad_palette      expect_exit 1 kiln-sprites quantize --palette labels.csv -o ds_x syn
t bad_palette_msg  err_has 'labels.csv: line 1'
# a palette whose only entry is the transparent one is refused up front, by name
printf '#000000 ; transparent\n' > only_clear.hex
t pal_only_clear   expect_exit 1 kiln-sprites quantize -q --palette only_clear.hex -o ds_oc syn
t pal_only_named   err_has 'only_clear.hex: no colour besides the transparent entry'
t pal_only_no_out  sh_ok '[ ! -e ds_oc ]'
t max_dim          expect_exit 1 kiln-sprites quantize --max-dim 16 --palette pal.gpl -o ds_md flat
t max_dim_msg      err_has 'a.png: .*over the cap'

# The quality bar on real game sprites (bench/sprites.sh prints the same).
c=$(corpus sprites)
if [ -n "$c" ]; then
  t corpus_quantize expect_exit 0 kiln-sprites quantize --json --holdout 0.1 -o ds_corpus "$c"
  # both the fitted-on and the held-out sets: PSNR >= 27 dB and dE <= 3.2
  t corpus_psnr    sh_ok "grep -o '\"psnr_mean_db\":[0-9.]*' last.out | cut -d: -f2 | awk '{n++; if (\$1 < 27) bad=1} END {exit bad || n != 2}'"
  t corpus_de      sh_ok "grep -o '\"delta_e_x100\":[0-9.]*' last.out | cut -d: -f2 | awk '{n++; if (\$1 > 3.2) bad=1} END {exit bad || n != 2}'"
else skip corpus_quantize "no ../shared/corpus/sprites"; fi

# --part I/N: workers decode disjoint blocks of files with one palette; the
# merged records equal one run's, labels numbered alike in every part.
kiln-sprites synth -o partsyn --count 3 --quiet
kiln-sprites palette partsyn -o part.gpl --quiet
kiln-sprites quantize partsyn --palette part.gpl -o pwhole --quiet
for p in 1 2 3; do kiln-sprites quantize partsyn --palette part.gpl --part $p/3 -o pp$p --quiet; done
t part-merge expect_exit 0 kiln-shard merge pp1 pp2 pp3 -o pmerged --quiet
t part-merge-records sh_ok 'cmp <(kiln-shard cat pwhole) <(kiln-shard cat pmerged)'
t part-merge-groups sh_ok '[ "$(kiln-shard info --json pwhole | grep -o "\"records\":[0-9]*" | head -1)" = "$(kiln-shard info --json pmerged | grep -o "\"records\":[0-9]*" | head -1)" ]'
t part-needs-palette expect_exit 2 kiln-sprites quantize partsyn --part 1/2 -o never
