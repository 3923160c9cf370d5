# kiln-video as a command: usage and exit codes, bad input (missing,
# empty, not a video, truncated, bad labels) leaving nothing behind,
# episodes, the window index, actions, layouts, --rawvideo, info, contact.
# Inputs are YUV4MPEG2 clips written here by bash (no ffmpeg CLI needed);
# the parts that need the ffmpeg CLI say SKIP without it.
. "$(dirname "$0")/lib.sh"

# gen_y4m OUT W H RATE N: N flat grey frames, frame i has luma 13*i mod 256.
gen_y4m() {
  local out=$1 W=$2 H=$3 F=$4 N=$5 i
  { printf 'YUV4MPEG2 W%d H%d F%s Ip A1:1 C420jpeg\n' "$W" "$H" "$F"
    for ((i = 0; i < N; i++)); do
      printf 'FRAME\n'
      head -c $((W * H)) /dev/zero | tr '\0' "\\$(printf %03o $(( (i * 13) % 256 )))"
      head -c $((2 * (W / 2) * (H / 2))) /dev/zero | tr '\0' '\200'
    done; } > "$out"
}
gen_y4m a.y4m 64 48 30:1 60      # 2 s at 30 fps -> 24 frames at 12 fps
mkdir -p vids && gen_y4m vids/one.y4m 32 24 25:1 25 && gen_y4m vids/two.y4m 32 24 25:1 50
echo "not a video" > vids/notes.txt

t help expect_exit 0 kiln-video --help
t help-usage out_has '^Usage: kiln-video'
t version expect_exit 0 kiln-video --version
t version-features out_has 'ffmpeg: yes'
t version-libs out_has 'libavcodec [0-9]+\.'
t opt-unknown usage_line "kiln-video info: unrecognized option '--bogus'" kiln-video info --bogus a.y4m
t opt-no-value usage_line "kiln-video extract: option '-o' needs a value" kiln-video extract a.y4m -o
t opt-before-cmd usage_line "kiln-video extract: option '--fps' needs a value" kiln-video -q extract a.y4m --fps
# an option of another command is refused, not silently ignored
t opt-not-info usage_line "kiln-video info: option '--fps' does not apply to info (it is for: extract)" kiln-video info --fps 5 a.y4m
t opt-not-info-short usage_line "kiln-video info: option '-o' does not apply to info (it is for: extract contact)" kiln-video -o x info a.y4m
t opt-not-contact usage_line "kiln-video contact: option '--part' does not apply to contact (it is for: extract)" kiln-video contact d -o s.png --part 1/2
t opt-not-extract usage_line "kiln-video extract: option '--frames' does not apply to extract (it is for: contact)" kiln-video extract a.y4m -o d --frames 4
t opt-not-nothing-written cmd_ok test ! -e d -a ! -e s.png -a ! -e x
t no-command expect_exit 2 kiln-video
t unknown-command expect_exit 2 kiln-video frobnicate
# an empty command word with an option used to hang in the option check
t empty-command expect_exit 2 timeout 20 kiln-video '' --fps 5
t empty-command-msg err_has "^kiln-video: unknown command ''"
t bad-option expect_exit 2 kiln-video extract a.y4m -o d --nope
t bad-fps expect_exit 2 kiln-video extract a.y4m -o d --fps 0
t bad-fps-text expect_exit 2 kiln-video extract a.y4m -o d --fps twelve
t bad-size expect_exit 2 kiln-video extract a.y4m -o d --size 320x0
t bad-scale expect_exit 2 kiln-video extract a.y4m -o d --scale fast
t bad-fit expect_exit 2 kiln-video extract a.y4m -o d --fit zoom
t bad-layout expect_exit 2 kiln-video extract a.y4m -o d --layout whc
t no-output expect_exit 2 kiln-video extract a.y4m
t actions-count expect_exit 2 kiln-video extract a.y4m vids -o d --actions x.txt
t json-and-raw-stdout expect_exit 2 kiln-video extract a.y4m -o d --json --rawvideo -
t usage-names-help err_has "try 'kiln-video --help'"

# Bad input: exit 1, the file named, no output and no temporaries left.
nothing_left() { [ ! -e d ] && [ -z "$(ls -A | grep '^\.')" ] || { echo "left: $(ls -A)"; return 1; }; }
t missing-input expect_exit 1 kiln-video extract nosuch.mp4 -o d
t missing-input-named err_has 'nosuch\.mp4'
: > empty.mp4
t empty-file expect_exit 1 kiln-video extract empty.mp4 -o d
t empty-file-named err_has 'empty\.mp4'
t not-video expect_exit 1 kiln-video extract vids/notes.txt -o d
t not-video-named err_has 'notes\.txt'
head -c 40 a.y4m > header-only.y4m
t zero-frames expect_exit 1 kiln-video extract header-only.y4m -o d
t zero-frames-named err_has 'header-only\.y4m'
t missing-labels expect_exit 1 kiln-video extract a.y4m -o d --actions nolabels.txt
t missing-labels-named err_has 'nolabels\.txt'
printf '0 1 A\n1.5 2 B\n1.25 1 A\n' > backwards.txt
t labels-out-of-order expect_exit 1 kiln-video extract a.y4m -o d --actions backwards.txt
t labels-out-of-order-msg err_has 'backwards\.txt: line 3: time 1\.250000 s .*out of order'
t nothing-left cmd_ok nothing_left
# a failure in the second video removes the whole dataset
t second-input-bad expect_exit 1 kiln-video extract a.y4m header-only.y4m -o d
t second-input-nothing-left cmd_ok nothing_left

# Episodes and windows: 24 frames cut into 10 + 10 + 4; windows of 4, stride 2.
t episodes expect_exit 0 kiln-video extract a.y4m -o d --episode-frames 10 --window 4 --window-stride 2 --json
t episodes-json out_has '"episodes":3,"frames":24,"windows":9'
t episodes-verify sh_ok "kiln-shard verify d"
t episodes-records sh_ok "kiln-shard info --json d | grep -q '\"records\":3'"
t windows-index sh_ok "[ \"\$(od -An -tu4 -v d/windows.bin | tr -s ' \n' ' ')\" = ' 0 0 0 2 0 4 0 6 1 0 1 2 1 4 1 6 2 0 ' ]"
t meta-records-windows sh_ok "kiln-shard info --json d | grep -q '\"windows\":{\"T\":4,\"stride\":2'"
# A split takes each window to the side its episode went to, renumbered there.
t split-windows expect_exit 0 kiln-shard split d --ratio 0.5 --seed 1 -o ds -q
t split-windows-routed sh_ok 'python3 - <<"PY"
import struct, subprocess
def windows(path):
    b = open(path + "/windows.bin", "rb").read()
    w = {}
    for r, f in struct.iter_unpack("<II", b): w.setdefault(r, []).append(f)
    return w
def records(path):
    n = int(subprocess.run(["kiln-shard", "info", "--json", path], capture_output=True, text=True).stdout.split("\"records\":")[1].split(",")[0])
    return [subprocess.run(["kiln-shard", "cat", path, "-r", str(i)], capture_output=True).stdout for i in range(n)]
orig, ow = records("d"), windows("d")
seen = 0
for side in ("ds/train", "ds/val"):
    sw = windows(side)
    for j, rec in enumerate(records(side)):
        assert sw.get(j, []) == ow.get(orig.index(rec), []), (side, j)
        seen += len(sw.get(j, []))
    assert all(r < len(records(side)) for r in sw), side
assert seen == 9 and len(records("ds/train")) and len(records("ds/val"))
PY'
t exists-no-force expect_exit 1 kiln-video extract a.y4m -o d
t exists-kept sh_ok "[ -f d/windows.bin ]"
t force-replaces sh_ok "kiln-video extract a.y4m -o d --force -q && [ ! -e d/windows.bin ]"
# --force never deletes an input: an output that is one, or holds one, is refused
t force-over-input sh_ok "mkdir -p vin && cp a.y4m vin/ && ! kiln-video extract vin/a.y4m -o vin --force -q 2>vin.err && grep -q 'holds the input' vin.err && cmp a.y4m vin/a.y4m"

# Actions: a frame takes the last label at or before its source time.
# 30 -> 12 fps shows source frames 1,3,6,8,11,13 (< 0.5 s), 16..28 (< 1 s), then 31...
printf '# t id name\n0 0 NOOP\n0.5 1 RIGHT\n1.0 2 JUMP\n' > labels.txt
want="$(printf '0 %.0s' 1 2 3 4 5 6)$(printf '1 %.0s' 1 2 3 4 5 6)$(printf '2 %.0s' 1 2 3 4 5 6 7 8 9 10 11 12)"
t actions expect_exit 0 kiln-video extract a.y4m -o act --actions labels.txt -q
t actions-ids sh_ok "[ \"\$(kiln-shard cat act --segment actions | od -An -tu4 -v | tr -s ' \n' ' ' | sed 's/^ //')\" = '$want' ]"
t actions-vocab sh_ok "kiln-shard info --json act | grep -q '\"vocab_size\":3'"
t actions-names sh_ok "kiln-shard info --json act | grep -q '\"names\":{\"0\":\"NOOP\",\"1\":\"RIGHT\",\"2\":\"JUMP\"}'"
# A label exactly at a source frame's time (frame 23 of 30 fps, output 9)
# applies to that frame: 23 * (1/30) rounds below 23/30, which put it one
# frame late.
printf '0 1 A\n0.7666666666666667 2 B\n' > exact.txt
want="$(printf '1 %.0s' $(seq 9))$(printf '2 %.0s' $(seq 15))"
for th in 1 2; do
  t "actions-exact-$th" expect_exit 0 kiln-video extract a.y4m -o "exact$th" --actions exact.txt --threads $th -q
  t "actions-exact-ids-$th" sh_ok "[ \"\$(kiln-shard cat exact$th --segment actions | od -An -tu4 -v | tr -s ' \n' ' ' | sed 's/^ //')\" = '$want' ]"
done

# Folders: only video files are taken, in sorted order, one record each with its own group.
t folder expect_exit 0 kiln-video extract vids -o fold --size 16x12 --json
t folder-json out_has '"videos":2,"episodes":2,"frames":36'
t folder-sources sh_ok "kiln-shard info --json fold | grep -q 'vids/one.y4m.*vids/two.y4m'"

# --list: inputs from a file, optionally with their label files
printf 'vids/two.y4m\tlabels.txt\n# a comment\n\nvids/one.y4m\n' > list.txt
t list expect_exit 0 kiln-video extract --list list.txt -o lst --size 16x12 --json
t list-json out_has '"videos":2,"episodes":2,"frames":36,.*"action_vocab":3'
t list-order-and-labels sh_ok "kiln-shard info --json lst | grep -q 'vids/two.y4m.*\"actions\":\"labels.txt\".*vids/one.y4m.*\"actions\":null'"
t list-missing expect_exit 1 kiln-video extract --list nolist.txt -o d
t list-missing-named err_has 'nolist\.txt'
# An error about a listed input names the list and the line (it named only
# the video or the label file, one of hundreds).
printf '# inputs\nvids/one.y4m\n\nnosuch.y4m\n' > l-missing.txt
t list-line-missing expect_exit 1 kiln-video extract --list l-missing.txt -o never-l
t list-line-missing-msg err_has 'l-missing\.txt: line 4: nosuch\.y4m: '
printf 'vids/one.y4m\nvids/two.y4m\tbackwards.txt\n' > l-labels.txt
t list-line-labels expect_exit 1 kiln-video extract --list l-labels.txt -o never-l
t list-line-labels-msg err_has 'l-labels\.txt: line 2: backwards\.txt: line 3: time'
printf 'vids/one.y4m\nvids/notes.txt\n' > l-notvideo.txt
t list-line-notvideo expect_exit 1 kiln-video extract --list l-notvideo.txt -o never-l
t list-line-notvideo-msg err_has 'l-notvideo\.txt: line 2: vids/notes\.txt: '
printf 'vids/one.y4m\nheader-only.y4m\n' > l-noframes.txt
for th in 1 2; do
  t "list-line-noframes-$th" expect_exit 1 kiln-video extract --list l-noframes.txt -o never-l --threads $th
  t "list-line-noframes-msg-$th" err_has 'l-noframes\.txt: line 2: header-only\.y4m: '
done
printf 'a.y4m\tlabels.txt\n' > l-both.txt
t list-line-both expect_exit 2 kiln-video extract --list l-both.txt --actions labels.txt -o never-l
t list-line-both-msg err_has 'l-both\.txt: line 1: a\.y4m has labels both'
# a folder in the list is named as one (it was blamed as a pipe)
printf 'vids\n' > l-folder.txt
t list-line-folder expect_exit 1 kiln-video extract --list l-folder.txt -o never-l
t list-line-folder-msg err_has 'l-folder\.txt: line 1: vids: is a folder'
# inputs named on the command line have no list line
t cmdline-no-line expect_exit 1 kiln-video extract --list list.txt header-only.y4m -o never-l
t cmdline-no-line-msg sh_ok "grep -q '^kiln-video: header-only\.y4m: ' last.err"
t list-line-nothing-left sh_ok '[ ! -e never-l ] && ! ls -a | grep -q "never-l.*tmp"'

# --rawvideo: the same bytes as the dataset (HWC), also to stdout.
t rawvideo sh_ok "kiln-video extract a.y4m -o raw1 --size 40x30 --rawvideo r.raw -q && kiln-shard cat raw1 --segment content | cmp - r.raw && [ \$(stat -c %s r.raw) = \$((24 * 40 * 30 * 3)) ]"
t rawvideo-stdout sh_ok "kiln-video extract a.y4m -o raw2 --size 40x30 --rawvideo - -q | cmp - r.raw"
# One action id, one name across label files (as within one file).
printf '0 1 JUMP\n' > l1.txt; printf '0 1 LEFT\n' > l2.txt; printf '0 1 JUMP\n0.5 2 DUCK\n' > l3.txt
t actions-rename-files expect_exit 1 kiln-video extract a.y4m a.y4m --actions l1.txt --actions l2.txt -o never-ren -q
t actions-rename-msg err_has 'l2.txt: action 1 named "LEFT", but "JUMP" in l1.txt'
t actions-same-names expect_exit 0 kiln-video extract a.y4m a.y4m --actions l1.txt --actions l3.txt -o same-names -q
# A pipe as input is refused plainly (it cannot be re-read; it used to be
# hashed as empty data, or blamed as not a video).
t pipe-input expect_exit 1 kiln-video extract <(cat a.y4m) -o never-pipe -q
t pipe-input-msg err_has 'not a regular file.*save it to a file first'
t pipe-info expect_exit 1 kiln-video info <(cat a.y4m)
# A reader that goes away (| head) ends the run without leaving the
# temporary dataset behind.
t rawvideo-sigpipe sh_ok 'kiln-video extract a.y4m -o piped --rawvideo - -q | head -c 10 >/dev/null; [ ! -e piped ] && ! ls -a | grep -q "\.piped\.tmp"'
# An existing file needs --force, and an input video is never overwritten.
t rawvideo-exists expect_exit 1 kiln-video extract a.y4m -o raw3 --size 40x30 --rawvideo r.raw -q
t rawvideo-exists-msg err_has 'r.raw: exists \(use --force'
t rawvideo-force expect_exit 0 kiln-video extract a.y4m -o raw4 --size 40x30 --rawvideo r.raw --force -q
cp a.y4m keep.y4m
t rawvideo-input expect_exit 1 kiln-video extract keep.y4m -o raw5 --rawvideo keep.y4m --force -q
t rawvideo-input-kept sh_ok 'cmp a.y4m keep.y4m && [ ! -e raw3 ] && [ ! -e raw5 ]'
# Frame i of a flat clip is one colour: CHW planes are runs of one byte.
t chw sh_ok "kiln-video extract a.y4m -o chw --size 4x2 --layout chw -q && kiln-shard info --json chw | grep -q '\"flags\":1' &&
  kiln-shard cat chw -r 0 --segment content | head -c 24 | cmp - <(kiln-shard cat raw1 -r 0 --segment content | head -c 3 | od -An -tu1 | LC_ALL=C awk '{for(c=1;c<=3;c++) for(i=0;i<8;i++) printf \"%c\", \$c}')"

# info
t info expect_exit 0 kiln-video info a.y4m
t info-text out_has 'frames: +60'
t info-json expect_exit 0 kiln-video info --json a.y4m
t info-json-fields out_has '"width":64,"height":48,"fps_rational":"30/1"'
t info-json-frames out_has '"frames":60'
t info-missing expect_exit 1 kiln-video info nosuch.mkv

# contact sheet: a PNG of 2 columns x 2 rows of 40x30 frames with 2-pixel gaps.
t contact expect_exit 0 kiln-video contact raw1 -o sheet.png --frames 4 --columns 2 --json
t contact-json out_has '"frames":4,"width":86,"height":66'
t contact-png sh_ok "[ \"\$(head -c 8 sheet.png | od -An -tx1 | tr -d ' ')\" = 89504e470d0a1a0a ]"
t contact-not-frames expect_exit 1 kiln-video contact nosuch -o s.png
# An existing file is replaced only with --force (contact wrote over any
# file, an input video too), as the man page's --force says.
cp a.y4m keep2.y4m
t contact-exists expect_exit 1 kiln-video contact raw1 -o keep2.y4m --frames 4
t contact-exists-msg err_has 'keep2\.y4m: exists \(use --force'
t contact-exists-kept cmd_ok cmp a.y4m keep2.y4m
t contact-force expect_exit 0 kiln-video contact raw1 -o sheet.png --frames 4 --columns 2 --force -q
# ... and never over a file of the dataset it reads.
t contact-force-input expect_exit 1 kiln-video contact raw1 -o raw1/manifest.json --force
t contact-force-input-msg err_has 'raw1/manifest.json: is inside the input raw1, which --force would overwrite'
t contact-force-input-kept expect_exit 0 kiln-shard verify raw1
# A damaged dataset is an error naming the shard, record and byte offset;
# a flipped frame byte gave a sheet with exit 0, a cut shard no offset.
cp -r raw1 cflip
printf '\x55' | dd of=cflip/shard-00000.kshard bs=1 seek=$(( $(stat -c %s cflip/shard-00000.kshard) / 2 )) conv=notrunc 2>/dev/null
t contact-damaged expect_exit 1 kiln-video contact cflip -o cflip.png
t contact-damaged-msg err_has '^kiln-video: cflip/shard-00000.kshard: record 0: payload CRC mismatch \(byte offset [0-9]+\)$'
t contact-damaged-none sh_ok '[ ! -e cflip.png ] && ! ls -a | grep -q cflip.png'
cp -r raw1 ccut && truncate -s -8 ccut/shard-00000.kshard
t contact-cut expect_exit 1 kiln-video contact ccut -o ccut.png
t contact-cut-msg err_has 'ccut/shard-00000.kshard: file_size field .*\(byte offset 120\)$'
if command -v ffmpeg >/dev/null 2>&1; then
  # the top-left tile is the dataset's first frame, pixel for pixel
  t contact-pixels sh_ok "ffmpeg -nostdin -v error -i sheet.png -vf crop=40:30:2:2 -pix_fmt rgb24 -f rawvideo tile.raw -y &&
    kiln-shard cat raw1 -r 0 --segment content | head -c 3600 | cmp - tile.raw"
  rm -rf d
  ffmpeg -nostdin -v error -f lavfi -i sine -t 1 audio.mp4 -y
  t audio-only expect_exit 1 kiln-video extract audio.mp4 -o d
  t audio-only-msg err_has 'audio\.mp4: no video stream'
  # Cover art is a video stream of one still picture: audio with cover art
  # (M4A with an attached picture, Matroska with an image attachment) has
  # no video; it was reported as "truncated". A real video beside cover
  # art is still taken.
  ffmpeg -nostdin -v error -f lavfi -i testsrc2=size=64x48 -frames:v 1 cover.png -y
  ffmpeg -nostdin -v error -f lavfi -i sine -t 1 -c:a aac music.m4a -y
  ffmpeg -nostdin -v error -i music.m4a -i cover.png -map 0 -map 1 -c copy -disposition:v attached_pic cover.m4a -y
  ffmpeg -nostdin -v error -i music.m4a -c copy -attach cover.png -metadata:s:t mimetype=image/png cover.mkv -y
  for f in cover.m4a cover.mkv; do
    t "cover-art-$f" expect_exit 1 kiln-video extract $f -o d
    t "cover-art-$f-msg" err_has "${f/./\\.}: no video stream, only a still image \(cover art, stream 1\)"
  done
  ffmpeg -nostdin -v error -f lavfi -i testsrc2=size=64x48:rate=30:duration=1 -i music.m4a -i cover.png \
    -map 0 -map 1 -map 2 -c:v:0 libx264 -c:v:1 copy -c:a copy -disposition:v:1 attached_pic video-cover.mp4 -y
  t video-and-cover expect_exit 0 kiln-video extract video-cover.mp4 -o vcov --json
  t video-and-cover-frames out_has '"frames":12,'
  ffmpeg -nostdin -v error -f lavfi -i testsrc2=size=160x120:rate=30 -t 3 -c:v libx264 -pix_fmt yuv420p m.mkv -y
  head -c $(( $(stat -c %s m.mkv) * 2 / 3 )) m.mkv > cut.mkv
  t truncated-mkv expect_exit 1 kiln-video extract cut.mkv -o d
  t truncated-mkv-msg err_has 'cut\.mkv: truncated: .* ends at [0-9.]+ s'
  # found while decoding (after the dataset was begun): still the list line
  printf 'a.y4m\ncut.mkv\n' > l-cut.txt
  for th in 1 2; do
    t "list-line-decode-$th" expect_exit 1 kiln-video extract --list l-cut.txt -o d --threads $th
    t "list-line-decode-msg-$th" err_has 'l-cut\.txt: line 2: cut\.mkv: truncated'
  done
  ffmpeg -nostdin -v error -f lavfi -i testsrc2=size=160x120:rate=30 -t 3 -c:v libx264 -pix_fmt yuv420p -movflags +faststart f.mp4 -y
  head -c $(( $(stat -c %s f.mp4) * 6 / 10 )) f.mp4 > cut.mp4
  # Audio that goes on 2 s after the video is no truncation (it was: the
  # Matroska duration is the longest stream's); cut, the same file is.
  ffmpeg -nostdin -v error -f lavfi -i testsrc2=size=160x120:rate=30:duration=2 -f lavfi -i sine=duration=4 \
    -c:v libx264 -c:a aac -pix_fmt yuv420p longaudio.mkv -y
  head -c $(( $(stat -c %s longaudio.mkv) / 3 )) longaudio.mkv > longaudio-cut.mkv
  for th in 1 2; do
    t "long-audio-$th" sh_ok "kiln-video extract longaudio.mkv -o la$th --threads $th --rawvideo la$th.raw -q &&
      ffmpeg -nostdin -v error -i longaudio.mkv -an -vf fps=12,scale=320:180:flags=area -pix_fmt rgb24 -f rawvideo - | cmp - la$th.raw"
    t "long-audio-cut-$th" expect_exit 1 kiln-video extract longaudio-cut.mkv -o never-la --threads $th
    t "long-audio-cut-msg-$th" err_has 'longaudio-cut\.mkv: truncated'
  done
  t truncated-mp4 expect_exit 1 kiln-video extract cut.mp4 -o d
  t truncated-mp4-msg err_has 'cut\.mp4: .*at [0-9.]+ s'
  t truncated-nothing-left cmd_ok nothing_left
  # A .y4m cut inside its last frame, or inside that frame's FRAME line:
  # libavformat ends the stream there without a word, so this exited 0 with
  # a frame less. Frames have a fixed size: the cut one is named by offset,
  # on the parallel path (which a whole file of 100 frames takes) too.
  ffmpeg -nostdin -v error -f lavfi -i testsrc2=size=64x48:rate=25 -frames:v 100 -pix_fmt yuv420p whole.y4m -y
  y4m_frame=$(( 6 + 64 * 48 * 3 / 2 ))    # "FRAME\n" and 4:2:0 planes
  y4m_last=$(( $(head -1 whole.y4m | wc -c) + 99 * y4m_frame ))
  head -c $(( $(stat -c %s whole.y4m) - 1000 )) whole.y4m > cut.y4m
  head -c $(( y4m_last + 3 )) whole.y4m > cut-marker.y4m
  t y4m-whole-parallel sh_ok "kiln-video extract whole.y4m -o y4m-par --threads 4 --json | grep -q '\"parallel\":true'"
  for th in 1 4; do
    t "truncated-y4m-$th" expect_exit 1 kiln-video extract cut.y4m -o never-y4m-$th --threads $th
    t "truncated-y4m-msg-$th" err_has "^kiln-video: cut\.y4m: truncated: the frame at byte offset $y4m_last is cut short \($(( y4m_frame - 1000 )) bytes present\)$"
    t "truncated-y4m-marker-$th" expect_exit 1 kiln-video extract cut-marker.y4m -o never-y4m-m$th --threads $th
    t "truncated-y4m-marker-msg-$th" err_has "cut-marker\.y4m: truncated: the frame at byte offset $y4m_last is cut short \(3 bytes present\)"
  done
  t truncated-y4m-nothing-left sh_ok '[ -z "$(ls -d never-y4m* 2>/dev/null)" ]'
else
  skip contact-pixels "ffmpeg CLI not installed"
  skip truncated "ffmpeg CLI not installed"
fi

# Flipped bytes inside the H.264 data: the CLI logs decode errors and
# conceals them; here the run fails (both decode paths), nothing written.
if command -v ffmpeg >/dev/null 2>&1 && command -v python3 >/dev/null; then
  ffmpeg -nostdin -v error -f lavfi -i testsrc2=size=160x96:rate=30:duration=4 -c:v libx264 -g 30 -pix_fmt yuv420p flip.mp4 -y
  python3 -c "
d = bytearray(open('flip.mp4', 'rb').read()); n = len(d)
for k in range(20): d[n // 4 + k * (n // 40)] ^= 0xff
open('flipped.mp4', 'wb').write(d)"
  for th in 1 2; do
    t "damaged-$th" expect_exit 1 kiln-video extract flipped.mp4 -o never-flip$th --threads $th -q
    t "damaged-msg-$th" err_has 'flipped.mp4: .*(damaged|truncated)'
  done
  t damaged-nothing sh_ok '[ ! -e never-flip1 ] && [ ! -e never-flip2 ]'
  # An MPEG-TS cut inside its last frame: the demuxer hands out the partial
  # packet as if whole; only decoding it shows the damage. The parallel
  # path skipped it (not shown at 12 fps) and exited 0.
  ffmpeg -nostdin -v error -f lavfi -i testsrc2=size=160x96:rate=30:duration=4 -c:v libx264 -g 30 -pix_fmt yuv420p whole.ts -y
  head -c $(( $(stat -c %s whole.ts) - 188 )) whole.ts > lastcut.ts
  for th in 1 2; do
    t "ts-cut-last-frame-$th" expect_exit 1 kiln-video extract lastcut.ts -o never-ts$th --threads $th -q
    t "ts-cut-last-frame-msg-$th" err_has 'lastcut\.ts: .*(truncated|damaged)'
  done
  # the whole file passes, also at a rate that shows nothing of the last piece
  t ts-whole expect_exit 0 kiln-video extract whole.ts -o ts-ok --json
  t ts-whole-parallel out_has '"frames":48,.*"parallel":true'
  t ts-whole-low-rate expect_exit 0 kiln-video extract whole.ts -o ts-low --fps 1/3 --json
  t ts-whole-low-rate-frames out_has '"frames":1,.*"parallel":true'
  t ts-cut-low-rate expect_exit 1 kiln-video extract lastcut.ts -o never-ts3 --fps 1/3 -q
  t undamaged expect_exit 0 kiln-video extract flip.mp4 -o flip-ok -q
else
  skip damaged "ffmpeg CLI or python3 not installed"
fi

# A raw H.264 elementary stream has no timestamps to select frames by: the
# error says so and how to put it in a container (it was "no frames
# selected (90 decoded)"); that advice gives the CLI's frames.
if command -v ffmpeg >/dev/null 2>&1; then
  ffmpeg -nostdin -v error -f lavfi -i testsrc2=size=160x96:rate=30:duration=3 -c:v libx264 -g 30 -pix_fmt yuv420p es.h264 -y
  for th in 1 2; do
    t "raw-h264-$th" expect_exit 1 kiln-video extract es.h264 -o never-es --threads $th
    t "raw-h264-msg-$th" err_has 'es\.h264: the h264 stream has no timestamps .*ffmpeg -framerate 30 -i es\.h264 -c:v libx264 -qp 0 OUT\.mp4'
  done
  ffmpeg -nostdin -v error -framerate 30 -i es.h264 -c:v libx264 -qp 0 es.mp4 -y
  t raw-h264-advice sh_ok 'kiln-video extract es.mp4 -o es-ok --rawvideo es.raw -q &&
    ffmpeg -nostdin -v error -i es.h264 -an -vf fps=12,scale=320:180:flags=area -pix_fmt rgb24 -f rawvideo - | cmp - es.raw'
else
  skip raw-h264 "ffmpeg CLI not installed"
fi

# --part I/N: three workers + kiln-shard merge give one run's records,
# actions and windows; the fingerprint depends on settings, not sources.
if command -v ffmpeg >/dev/null 2>&1; then
  for i in 1 2 3; do
    ffmpeg -nostdin -v error -f lavfi -i testsrc2=size=96x64:rate=30:duration=$((i + 1)) -c:v libx264 -g 15 -pix_fmt yuv420p part$i.mp4 -y
    printf '0 %d a%d\n0.5 %d a%d\n' $i $i $((i + 1)) $((i + 1)) > part$i.txt   # id k is ak in every file
  done
  A=(--actions part1.txt --actions part2.txt --actions part3.txt --size 48x32 --window 4)
  kiln-video extract part1.mp4 part2.mp4 part3.mp4 "${A[@]}" -o pwhole -q
  for p in 1 2 3; do kiln-video extract part1.mp4 part2.mp4 part3.mp4 "${A[@]}" --part $p/3 -o pp$p -q; done
  t part-merge expect_exit 0 kiln-shard merge pp1 pp2 pp3 -o pmerged -q
  t part-frames sh_ok 'cmp <(kiln-shard cat pwhole) <(kiln-shard cat pmerged)'
  t part-actions sh_ok 'cmp <(kiln-shard cat pwhole --segment actions) <(kiln-shard cat pmerged --segment actions)'
  t part-windows sh_ok 'test -s pwhole/windows.bin && cmp pwhole/windows.bin pmerged/windows.bin'
  # Same shape and actions, another frame rate: only the fingerprint differs.
  kiln-video extract part1.mp4 part2.mp4 part3.mp4 "${A[@]}" --fps 6 -o other -q
  t part-settings-mismatch expect_exit 1 kiln-shard merge pwhole other -o never -q
  t part-settings-mismatch-msg err_has 'fingerprint'

  t part-bad expect_exit 2 kiln-video extract part1.mp4 --part 2/1 -o never
else
  skip part "ffmpeg CLI not installed"
fi
