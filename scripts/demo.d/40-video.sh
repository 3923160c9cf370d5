#!/usr/bin/env bash
# Demo step for kiln-video: generate a short 60 fps gameplay-like clip with
# the ffmpeg CLI, a label file of timed actions, extract it at 12 fps into
# frame shards (episodes, actions, 24-frame windows), check the frames
# against the ffmpeg CLI byte for byte, and draw a contact sheet.
set -euo pipefail
out=$DEMO/video
rm -rf "$out"
mkdir -p "$out"
if ! command -v ffmpeg >/dev/null 2>&1; then
  echo "   ffmpeg CLI not installed (scripts/deps.sh installs it): video demo skipped"
  exit 0
fi
clip=$out/clip-640x360-60fps.mp4
ffmpeg -nostdin -v error -f lavfi -i "mandelbrot=size=640x360:rate=60" -t 8 \
  -c:v libx264 -preset veryfast -g 120 -bf 2 -pix_fmt yuv420p "$clip"
# actions every 1/12 s cycling through four buttons
awk 'BEGIN { split("NOOP LEFT RIGHT JUMP", n, " "); print "# t_seconds action_id name";
             for (i = 0; i < 96; i++) { a = int(i / 6) % 4; printf "%.4f %d %s\n", i / 12, a, n[a + 1] } }' > "$out/actions.txt"
kiln-video info "$clip" | sed 's/^/   /'
kiln-video extract "$clip" -o "$out/frames" --fps 12 --size 320x180 --scale area \
  --actions "$out/actions.txt" --episode-frames 48 --window 24 --window-stride 12 \
  --rawvideo "$out/frames.rgb24" --quiet
kiln-shard verify "$out/frames"
kiln-shard info "$out/frames" | sed 's/^/   /' | head -n 14
ffmpeg -nostdin -v error -i "$clip" -an -vf fps=12,scale=320:180:flags=area -pix_fmt rgb24 -f rawvideo "$out/ffmpeg.rgb24"
cmp "$out/frames.rgb24" "$out/ffmpeg.rgb24" && echo "   frames identical to: ffmpeg -vf fps=12,scale=320:180:flags=area -pix_fmt rgb24"
kiln-video contact "$out/frames" -o "$out/contact.png" --frames 16 --columns 4
echo "   results: $out/frames (dataset), $out/frames/windows.bin, $out/contact.png"
