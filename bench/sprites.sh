#!/usr/bin/env bash
# bench/sprites.sh - kiln-sprites' shared 64-colour palette against
# ImageMagick (its own shared palette via -colors, and -remap to Kiln's) and
# pngquant (a palette per image: an upper bound a shared palette cannot
# reach), all on the same fitted 32x32 sprites, plus speeds measured in this
# same run. Prints every figure and the ratios; asserts nothing.
#
#   bench/sprites.sh [CORPUS_DIR]    default ../shared/corpus/sprites
# Env: THREADS (default 2), WORK (default build/bench-sprites).
# Quality is scored by `kiln-sprites compare` on opaque pixels: mean of
# per-image PSNR (capped at 60 dB), and mean OKLab distance x100.
set -u
cd "$(dirname "$0")/.."
THREADS=${THREADS:-2} WORK=${WORK:-build/bench-sprites}
CORPUS=${1:-../shared/corpus/sprites}
BIN=$(pwd)/build/bin
[ -x "$BIN/kiln-sprites" ] || { echo "bench/sprites.sh: build first (make build/bin/kiln-sprites)"; exit 1; }
export PATH="$BIN:$PATH" OMP_NUM_THREADS=$THREADS
rm -rf "$WORK"; mkdir -p "$WORK"
if [ ! -d "$CORPUS" ]; then
  echo "bench/sprites.sh: no corpus at $CORPUS: using 2,160 synthetic sprites instead"
  kiln-sprites synth --count 60 -q -o "$WORK/synth"
  CORPUS=$WORK/synth
fi
have() { command -v "$1" >/dev/null 2>&1; }
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }
rate() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%.0f", (s > 0 ? n / s : 0) }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else printf "n/a" }'; }
jnum() { grep -o "\"$2\":[0-9.e+-]*" "$1" | sed -n "${3:-1}p" | cut -d: -f2; }
score() {  # score NAME OUTDIR: one table row from kiln-sprites compare
  if ! kiln-sprites compare --json "$WORK/fitted" "$2" > "$WORK/$1.cmp" 2>"$WORK/$1.err"; then
    printf "  %-40s   failed: %s\n" "$1" "$(head -c 200 "$WORK/$1.err")"; return
  fi
  printf "  %-40s %8.2f dB %9.3f\n" "$1" "$(jnum "$WORK/$1.cmp" psnr_mean_db)" "$(jnum "$WORK/$1.cmp" delta_e_x100)"
}
echo "== kiln-sprites bench: $CORPUS, $THREADS threads, $(nproc) cores visible; other work may share this machine"

# The common input: every sprite fitted to 32x32 by kiln-sprites (mode downscale).
kiln-sprites fit -q -o "$WORK/fitted" "$CORPUS" 2>/dev/null
n=$(ls "$WORK/fitted" | wc -l)
echo "   fitted $n sprites into $WORK/fitted"

echo
echo "-- Kiln, palette fitted on 90% of the original files, the other 10% held out"
kiln-sprites quantize --json --holdout 0.1 -o "$WORK/kiln_holdout" "$CORPUS" > "$WORK/holdout.json" 2>/dev/null
printf "  %-40s %8.2f dB %9.3f\n" "kiln shared 64 (fitted-on set)" "$(jnum "$WORK/holdout.json" psnr_mean_db 1)" "$(jnum "$WORK/holdout.json" delta_e_x100 1)"
printf "  %-40s %8.2f dB %9.3f\n" "kiln shared 64 (held-out set)" "$(jnum "$WORK/holdout.json" psnr_mean_db 2)" "$(jnum "$WORK/holdout.json" delta_e_x100 2)"
echo "   bar: >= 27 dB mean PSNR and dE(x100) <= 3.2 at once, on both sets"

echo
echo "-- quality on all $n fitted sprites (opaque pixels)        PSNR mean   dE(x100)"
t0=$(now)
kiln-sprites palette -q -o "$WORK/kiln.gpl" "$WORK/fitted"
t_pal=$(secs "$t0" "$(now)")
kiln-sprites palette -q --palette "$WORK/kiln.gpl" -o "$WORK/kiln.png" "$WORK/fitted"
t0=$(now)
kiln-sprites quantize --json --palette "$WORK/kiln.gpl" -o "$WORK/kiln_ds" "$WORK/fitted" > "$WORK/kiln.json" 2>/dev/null
t_kiln=$(secs "$t0" "$(now)")
kiln-sprites render -q --zoom 1 -o "$WORK/kiln_out_raw" "$WORK/kiln_ds"
# render names records by index; give them the fitted names back (same order)
mkdir -p "$WORK/kiln_out"
paste <(ls "$WORK/kiln_out_raw") <(ls "$WORK/fitted") | while IFS=$'\t' read -r a b; do mv "$WORK/kiln_out_raw/$a" "$WORK/kiln_out/$b"; done
score "kiln shared 64 (OKLab nearest)" "$WORK/kiln_out"

if have convert && have mogrify && have montage; then
  # ImageMagick's own shared palette: quantise all sprites tiled into one
  # image (40 per row: one tall column exceeds ImageMagick's size policy)
  montage "$WORK"/fitted/*.png -tile 40x -geometry +0+0 -background none "$WORK/im_all.png"
  convert "$WORK/im_all.png" +dither -colors 64 -unique-colors "$WORK/im_pal.png"
  mkdir -p "$WORK/im_out" "$WORK/remap_out"
  mogrify -path "$WORK/im_out" +dither -remap "$WORK/im_pal.png" "$WORK"/fitted/*.png
  score "imagemagick shared 64 (-colors, -remap)" "$WORK/im_out"
  t0=$(now)
  mogrify -path "$WORK/remap_out" +dither -remap "$WORK/kiln.png" "$WORK"/fitted/*.png
  t_remap=$(secs "$t0" "$(now)")
  score "kiln palette, convert -remap (RGB)" "$WORK/remap_out"
else
  echo "  (ImageMagick not installed: its rows skipped)"; t_remap=0
fi
if have pngquant; then
  mkdir -p "$WORK/pq_out"; cp "$WORK"/fitted/*.png "$WORK/pq_out/"
  t0=$(now)
  (cd "$WORK/pq_out" && pngquant 64 --nofs --force --ext .png -- *.png 2>/dev/null)
  t_pq=$(secs "$t0" "$(now)")
  score "pngquant 64 per image (not shared)" "$WORK/pq_out"
else
  echo "  (pngquant not installed: its row skipped)"; t_pq=0
fi

echo
echo "-- speed, $n sprites, palette given (decode + fit + map + write)"
map_rate=$(jnum "$WORK/kiln.json" map_sprites_per_s)
printf "  %-40s %8s s %9s sprites/s\n" "kiln-sprites quantize" "$t_kiln" "$(rate "$n" "$t_kiln")"
printf "  %-40s %8.3f s %9s sprites/s\n" "  of which mapping alone" "$(jnum "$WORK/kiln.json" map)" "${map_rate%.*}"
[ "$t_remap" != 0 ] && printf "  %-40s %8s s %9s sprites/s\n" "mogrify -remap (one process)" "$t_remap" "$(rate "$n" "$t_remap")"
[ "$t_pq" != 0 ] && printf "  %-40s %8s s %9s sprites/s\n" "pngquant 64 (one process)" "$t_pq" "$(rate "$n" "$t_pq")"
printf "  %-40s %8s s\n" "kiln palette build (k-means + refine)" "$t_pal"
[ "$t_remap" != 0 ] && echo "   speed ratio kiln quantize : mogrify -remap = $(ratio "$t_remap" "$t_kiln") (> 1: kiln faster)"
[ "$t_pq" != 0 ] && echo "   speed ratio kiln quantize : pngquant       = $(ratio "$t_pq" "$t_kiln") (pngquant builds a palette per image)"

# End to end (start-up, walk, read, decode, fit, map, score, write) with the
# palette given, best and median of REPS runs, as wall-clock time on a
# possibly shared machine is noisy. Three sets: the fitted 32x32 PNGs above,
# the original corpus files (larger images: more to decode and scale), and
# the fitted set copied 10x under new names, where the fixed cost of one
# process (loading ffmpeg's ~100 shared libraries, ~20-25 ms) weighs less.
REPS=${REPS:-7}
bestof() {  # bestof N cmd...: "BEST MEDIAN" wall seconds
  local n=$1 i t0; shift
  for i in $(seq "$n"); do t0=$(now); "$@" >/dev/null 2>&1; secs "$t0" "$(now)"; echo; done |
    sort -n | awk '{ v[NR] = $1 } END { printf "%s %s", v[1], v[int((NR + 1) / 2)] }'
}
e2e() {  # e2e LABEL DIR: one row of rates
  local n r
  kiln-sprites quantize --json --force --palette "$WORK/kiln.gpl" -o "$WORK/e2e_ds" "$2" > "$WORK/e2e.json" 2>/dev/null
  n=$(jnum "$WORK/e2e.json" sprites)
  r=$(bestof "$REPS" kiln-sprites quantize -q --force --palette "$WORK/kiln.gpl" -o "$WORK/e2e_ds" "$2")
  printf "  %-40s %6s sprites  best %6s/s  median %6s/s\n" "$1" "$n" \
    "$(rate "$n" "${r% *}")" "$(rate "$n" "${r#* }")"
}
mkdir -p "$WORK/fitted_x10"
for i in 0 1 2 3 4 5 6 7 8 9; do
  tar -C "$WORK/fitted" -cf - . | tar -C "$WORK/fitted_x10" -xf - --transform "s|^\./|./c$i-|"
done
echo
echo "-- end to end from PNG files, palette given, $REPS runs each (bar: >= 10,000 sprites/s on 2 cores)"
e2e "fitted 32x32 sprites" "$WORK/fitted"
e2e "original files ($(basename "$CORPUS"))" "$CORPUS"
e2e "fitted sprites copied 10x" "$WORK/fitted_x10"

# Mapping rate on a larger set (10,800 synthetic sprites) once the palette exists.
kiln-sprites synth --count 300 -q -o "$WORK/synth_big"
kiln-sprites quantize --json --palette "$WORK/kiln.gpl" -o "$WORK/synth_ds" "$WORK/synth_big" > "$WORK/synth.json" 2>/dev/null
echo "   mapping alone, 10,800 synthetic sprites: $(jnum "$WORK/synth.json" map_sprites_per_s | cut -d. -f1) sprites/s (bar: >= 10,000 on 2 cores)"
