# Messages on stderr, across the tools: a file name (or any text a message
# quotes) with control bytes is written escaped, so a hostile name can neither
# forge a second message line nor send a terminal escape.
source "$(dirname "$0")/lib.sh"

# A newline that forges a message, an ESC sequence, a tab, DEL, a backslash,
# a C1 control (U+009B, CSI) and a byte that is not UTF-8; the é stays.
name=$'in\nkiln-x: forged \e[31m\t\x7f\\ \xc2\x9b \xff caf\xc3\xa9.bin'
want='in\\nkiln-x: forged \\x1b\[31m\\t\\x7f\\\\ \\xc2\\x9b \\xff café\.bin'
printf 'not any format\n' > "$name"

# no_controls FILE: FILE holds no control byte but newlines.
no_controls() {
  ! LC_ALL=C grep -q $'[\x01-\x09\x0b-\x1f\x7f]' "$1" || { echo "control byte left: $(cat -A "$1")"; return 1; }
}
# err_line REGEX: the last stderr is one line, matching REGEX, with no
# control byte but its final newline.
err_line() {
  local n
  n=$(wc -l < "$W/last.err")
  [ "$n" -eq 1 ] || { echo "stderr has $n lines: $(cat -A "$W/last.err")"; return 1; }
  grep -qE "$1" "$W/last.err" || { echo "stderr: $(cat -A "$W/last.err")"; return 1; }
  no_controls "$W/last.err"
}
# one_line TOOL: that line is "TOOL: <escaped name>: ...".
one_line() { err_line "^$1: $want: "; }

t shard-info     expect_exit 1 kiln-shard info "$name"
t shard-info-escaped one_line kiln-shard
t bpe-stats      expect_exit 1 kiln-bpe stats -v "$name" "$name"
t bpe-stats-escaped one_line kiln-bpe
t swf-missing    expect_exit 1 kiln-swf info "$name.missing"
t swf-missing-escaped sh_ok "grep -qE '^kiln-swf: $want\.missing: ' '$W/last.err' && [ \$(wc -l < '$W/last.err') -eq 1 ]"
t sprites-missing expect_exit 1 kiln-sprites palette -o pal.png "$name.missing"
t sprites-missing-escaped sh_ok "grep -qE '^kiln-sprites: $want\.missing: ' '$W/last.err'"
# A usage error quotes its argument escaped too.
t usage-escaped  usage_line "kiln-shard: unknown command 'a\\nb\\x1b[0m'" kiln-shard $'a\nb\e[0m'
# An ordinary name is written as it is.
printf 'x' > 'plain name.bin'
t plain-name     expect_exit 1 kiln-shard info 'plain name.bin'
t plain-name-as-is err_has '^kiln-shard: plain name\.bin: '

# Summary lines (what --quiet silences) quote output paths escaped too: one
# line, not a forged second one.
# summary_line TOOL REGEX: the last stderr is the one line "TOOL: REGEX".
summary_line() { err_line "^$1: $2\$"; }
t swf-synth-summary expect_exit 0 kiln-swf synth -n 1 --seed 1 -o "$name.d"
t swf-synth-summary-escaped summary_line kiln-swf "wrote 1 SWF files \([0-9]+ bytes\) and their prompts to $want\.d"
t shard-pack-summary expect_exit 0 kiln-shard pack --bytes -o "$name.ds" 'plain name.bin'
t shard-pack-summary-escaped summary_line kiln-shard "packed 1 files \(1 bytes\) into $want\.ds"
# An ordinary name is written as it is.
t plain-summary  expect_exit 0 kiln-shard pack --bytes -o 'plain out.ds' 'plain name.bin'
t plain-summary-as-is summary_line kiln-shard "packed 1 files \(1 bytes\) into plain out\.ds"

# Text listings on stdout quote names escaped the same way, so a name with a
# newline cannot break one entry into two lines (--json is JSON already).
# out_line REGEX: exactly one stdout line matches ^REGEX$, and stdout holds
# no control byte but newlines.
out_line() {
  local n
  n=$(grep -cE "^$1\$" "$W/last.out")
  [ "$n" -eq 1 ] || { echo "$n lines match; stdout: $(cat -A "$W/last.out")"; return 1; }
  no_controls "$W/last.out"
}
cp "$name.d/synth-000000.swf" "$name.swf"
t swf-info-name  expect_exit 0 kiln-swf info "$name.swf"
t swf-info-escaped out_line "$want\.swf: FWS v10, .*, ok, title \"[^\"]*\""
t swf-info-one-line sh_ok "[ \$(wc -l < '$W/last.out') -eq 1 ]"
t swf-validate-name expect_exit 0 kiln-swf validate "$name.swf"
t swf-validate-escaped out_line "$want\.swf: ok"
t shard-info-name expect_exit 0 kiln-shard info "$name.ds"
t shard-info-path-escaped out_line "path:        $want\.ds"
t shard-verify-name expect_exit 0 kiln-shard verify "$name.ds"
t shard-verify-escaped out_line "$want\.ds: ok \(1 shards, 1 records\)"
t sprites-synth-name expect_exit 0 kiln-sprites synth --count 1 --seed 1 -o "$name.spr"
t sprites-synth-escaped out_line "synth: [0-9]+ sprites \(.*\) -> $want\.spr"
# kiln-video: a YUV4MPEG2 clip (no ffmpeg CLI needed) under the hostile name.
{ printf 'YUV4MPEG2 W16 H16 F25:1 Ip A1:1 C420jpeg\nFRAME\n'; head -c 384 /dev/zero; } > "$name.y4m"
t video-info-name expect_exit 0 kiln-video info "$name.y4m"
t video-info-escaped out_line "$want\.y4m"
# An ordinary name is listed as it is.
t plain-listing  expect_exit 0 kiln-shard verify 'plain out.ds'
t plain-listing-as-is out_line "plain out\.ds: ok \(1 shards, 1 records\)"
