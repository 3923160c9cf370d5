# kiln-video against its oracle, the ffmpeg CLI: the frames written with
# --rawvideo must be byte-identical to
#   ffmpeg -i IN -an -vf fps=R,scale=W:H:flags=F -pix_fmt rgb24 -f rawvideo -
# on generated clips (CFR 24/25/29.97/30/60, VFR, odd sizes, BT.709 and
# full-range tags, a container that does not start at 0, every scaler, the
# fit modes), on both the sequential (--threads 1) and the parallel path.
# Skipped when the ffmpeg CLI is absent.
. "$(dirname "$0")/lib.sh"

if ! command -v ffmpeg >/dev/null 2>&1; then
  skip ffmpeg-oracle "ffmpeg CLI not installed"
  exit 0
fi

gen() {  # gen OUT ARGS...: a clip from lavfi, quietly
  local out=$1; shift
  ffmpeg -nostdin -v error -y "$@" "$out" || { echo "cannot generate $out" >&2; rm -f "$out"; return 1; }
}

# same CLIP VF KILN_ARGS...: the CLI with -vf VF and kiln-video with
# KILN_ARGS (threads 1 and 2) write the same bytes, and at least one frame.
same() {
  local clip=$1 vf=$2; shift 2
  ffmpeg -nostdin -v error -i "$clip" -an -vf "$vf" -pix_fmt rgb24 -f rawvideo ref.raw -y || { echo "ffmpeg failed on $clip"; return 1; }
  [ -s ref.raw ] || { echo "ffmpeg wrote no frames for $clip"; return 1; }
  for th in 1 2; do
    rm -rf ds.k k.raw
    kiln-video extract "$clip" -o ds.k --threads $th --rawvideo k.raw -q "$@" || { echo "kiln-video failed (threads $th)"; return 1; }
    cmp -s ref.raw k.raw || { echo "threads $th: frames differ from ffmpeg -vf $vf ($(stat -c %s ref.raw) vs $(stat -c %s k.raw) bytes)"; return 1; }
  done
}

# ts NAME same CLIP ...: like t, but SKIP when CLIP could not be generated
# (an encoder missing from this ffmpeg build).
ts() {
  if [ -s "$3" ]; then t "$@"; else skip "$1" "could not generate $3 (encoder missing?)"; fi
}

L="-f lavfi -i"
gen c24.mp4 $L testsrc2=size=256x144:rate=24 -t 3 -c:v libx264 -g 24 -bf 3 -pix_fmt yuv420p
gen c25.mkv $L mandelbrot=size=192x108:rate=25 -t 3 -c:v libx264 -g 25 -pix_fmt yuv420p
gen c2997.mp4 $L testsrc2=size=320x180:rate=30000/1001 -t 3 -c:v libx264 -g 30 -bf 2 -pix_fmt yuv420p
gen c30.mp4 $L testsrc2=size=320x240:rate=30 -t 3 -c:v libx264 -g 15 -bf 2 -pix_fmt yuv420p
gen c60.mp4 $L testsrc2=size=320x180:rate=60 -t 3 -c:v libx264 -g 40 -bf 2 -pix_fmt yuv420p
# one GOP only: the frame-threaded decoder skipping non-reference frames
gen onegop.mp4 $L testsrc2=size=160x120:rate=60 -t 3 -c:v libx264 -g 1000 -bf 3 -pix_fmt yuv420p
# cut by stream copy from a non-key frame: an edit list hides the first frames
ffmpeg -nostdin -v error -y -ss 1.3 -i c60.mp4 -c copy editlist.mp4
# other codecs: VP8/VP9 key frames cut the parallel path, HEVC and MPEG-2 open GOPs do not
gen vp8.webm $L testsrc2=size=160x120:rate=30 -t 2 -c:v libvpx -g 10
gen vp9.webm $L testsrc2=size=160x120:rate=30 -t 2 -c:v libvpx-vp9 -g 10 -deadline realtime
gen hevc.mp4 $L testsrc2=size=160x120:rate=30 -t 2 -c:v libx265 -x265-params log-level=none:keyint=10 -pix_fmt yuv420p
gen mpeg2.ts $L testsrc2=size=160x120:rate=30 -t 2 -c:v mpeg2video -g 12 -bf 2
# VFR: frames dropped in an irregular pattern and jittered times (Matroska, ms base)
gen vfr.mkv $L testsrc2=size=256x144:rate=30 -t 4 \
  -vf "select='not(eq(mod(n\,5)\,2))*not(eq(mod(n\,7)\,3))',setpts='(N+0.3*sin(N))/30/TB'" \
  -vsync vfr -c:v libx264 -g 20 -pix_fmt yuv420p
# odd sizes (lossless FFV1 allows them), odd output size
gen odd.mkv $L testsrc2=size=333x187:rate=30 -t 2 -c:v ffv1 -pix_fmt yuv420p
# colour tags: BT.709 matrix; full range (yuvj420p)
gen bt709.mp4 $L testsrc2=size=256x144:rate=30 -t 2 -vf scale=out_color_matrix=bt709 \
  -colorspace bt709 -color_primaries bt709 -color_trc bt709 -c:v libx264 -pix_fmt yuv420p
gen full.mp4 $L testsrc2=size=256x144:rate=30 -t 2 -c:v libx264 -pix_fmt yuvj420p
# a container whose timeline does not start at 0, with an audio stream
gen offset.ts $L testsrc2=size=256x144:rate=25 $L sine=frequency=440 -t 3 -c:v libx264 -g 25 \
  -pix_fmt yuv420p -c:a mp2

ts cfr-24 same c24.mp4 fps=12,scale=320:180:flags=area
ts cfr-25 same c25.mkv fps=12,scale=320:180:flags=area
ts cfr-29.97 same c2997.mp4 fps=12,scale=320:180:flags=area
ts cfr-30 same c30.mp4 fps=12,scale=320:180:flags=area
ts cfr-60 same c60.mp4 fps=12,scale=320:180:flags=area
ts one-gop same onegop.mp4 fps=12,scale=320:180:flags=area
ts edit-list same editlist.mp4 fps=12,scale=320:180:flags=area
ts vp8 same vp8.webm fps=12,scale=320:180:flags=area
ts vp9 same vp9.webm fps=12,scale=320:180:flags=area
ts hevc same hevc.mp4 fps=12,scale=320:180:flags=area
ts mpeg2-ts same mpeg2.ts fps=12,scale=320:180:flags=area
ts vfr same vfr.mkv fps=12,scale=320:180:flags=area
ts vfr-fps-30000/1001 same vfr.mkv fps=30000/1001,scale=160:90:flags=area --fps 30000/1001 --size 160x90
ts low-fps-1/2 same c60.mp4 fps=1/2,scale=320:180:flags=area --fps 1/2
ts upsample-60 same c24.mp4 fps=60,scale=64:36:flags=area --fps 60 --size 64x36
ts odd-size same odd.mkv fps=7,scale=97:55:flags=area --fps 7 --size 97x55
ts bt709 same bt709.mp4 fps=12,scale=320:180:flags=area
ts full-range same full.mp4 fps=12,scale=320:180:flags=area
ts start-offset same offset.ts fps=12,scale=320:180:flags=area
ts scale-bilinear same c30.mp4 fps=12,scale=200:150:flags=bilinear --size 200x150 --scale bilinear
ts scale-bicubic same c30.mp4 fps=12,scale=200:150:flags=bicubic --size 200x150 --scale bicubic
ts scale-lanczos same c30.mp4 fps=12,scale=200:150:flags=lanczos --size 200x150 --scale lanczos
ts scale-neighbor same c30.mp4 fps=12,scale=160:120:flags=neighbor --size 160x120 --scale neighbor
# fit modes, spelled out for the CLI: 320x240 -> 320x180
ts fit-crop same c30.mp4 fps=12,crop=320:180:0:30,scale=320:180:flags=area --fit crop
ts fit-letterbox same c30.mp4 fps=12,scale=240:180:flags=area,format=rgb24,pad=320:180:40:0 --fit letterbox

# On 60 fps input, fps=12 keeps source frames 2, 7, 12, ... (select by index).
t keeps-2-7-12 sh_ok "ffmpeg -nostdin -v error -i c60.mp4 -an -vf \"select='eq(mod(n\,5)\,2)',scale=64:36:flags=area\" -vsync passthrough -pix_fmt rgb24 -f rawvideo sel.raw -y &&
  rm -f k.raw && kiln-video extract c60.mp4 -o ds.sel --size 64x36 --rawvideo k.raw -q && cmp sel.raw k.raw"

# The dataset holds the same frames as the raw output (HWC), and CHW is its transpose.
t dataset-matches-raw sh_ok "kiln-video extract c30.mp4 -o ds.hwc --rawvideo h.raw -q &&
  kiln-shard cat ds.hwc --segment content > cat.raw && cmp h.raw cat.raw"
if ! command -v python3 >/dev/null 2>&1; then
  skip chw-layout "python3 not installed"
else
t chw-layout sh_ok "kiln-video extract c30.mp4 -o ds.chw --layout chw -q &&
  kiln-shard cat ds.chw --segment content > chw.raw &&
  python3 - <<'EOF'
import sys
h = open('h.raw','rb').read(); c = open('chw.raw','rb').read()
W, H = 320, 180; n = W * H; fb = 3 * n
assert len(h) == len(c) and len(h) % fb == 0, (len(h), len(c))
for f in range(len(h) // fb):
    a = h[f*fb:(f+1)*fb]; b = c[f*fb:(f+1)*fb]
    for ch in range(3):
        assert a[ch::3] == b[ch*n:(ch+1)*n], (f, ch)
EOF"
fi

# Corpus: the real 720p60 gameplay clip, when present.
C=$(corpus video/supertux-720p60-20s.mp4)
if [ -n "$C" ]; then
  t corpus-720p60 same "$C" fps=12,scale=320:180:flags=area
  # Its actions: output frame n shows source frame 5n+2 (time (5n+2)/60 s);
  # its action is the last label at or before that time (awk reference).
  A=$(corpus video/supertux-actions.txt)
  t corpus-actions sh_ok "kiln-video extract '$C' -o ds.act --size 32x18 --actions '$A' -q &&
    kiln-shard cat ds.act --segment actions | od -An -tu4 -v | tr -s ' ' '\n' | grep . > got.txt &&
    n=\$(wc -l < got.txt) && [ \$n -ge 238 ] &&
    awk -v n=\$n -v m=0 '!/^#/ && NF >= 2 { t[m] = \$1; id[m] = \$2; m++ }
      END { for (k = 0; k < n; k++) { s = (5 * k + 2) / 60; a = 0;
            for (i = 0; i < m; i++) if (t[i] <= s) a = id[i]; print a } }' '$A' > want.txt &&
    cmp got.txt want.txt && [ \$(sort -u got.txt | wc -l) -ge 3 ]"
else
  skip corpus-720p60 "../shared/corpus/video not present"
fi
