#!/usr/bin/env bash
# bench/swf_ruffle.sh [N] - do synthesized files play in a real player? Loads
# N files from `kiln-swf synth` in Ruffle (npm @ruffle-rs/ruffle, headless
# Chromium through puppeteer-core, served from 127.0.0.1) and checks that
# each loads, that Ruffle reads the size/frame rate/frame count kiln-swf
# reports, and that the picture changes as it plays.
# Needs node, chromium (Debian package) and the two npm packages in
# $RUFFLE_MODULES (default ~/.cache/kiln-ruffle, installed there with npm if
# missing). Skips cleanly (exit 0, "SKIP:") when any of them is unavailable.
# Not part of `make test`.
set -u
cd "$(dirname "$0")/.."
N=${1:-6}
skip() { echo "SKIP: swf_ruffle: $1"; exit 0; }
command -v node >/dev/null || skip "node not found"
CHROMIUM=${CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}
[ -n "$CHROMIUM" ] || skip "chromium not found (apt-get install chromium)"
MOD=${RUFFLE_MODULES:-${XDG_CACHE_HOME:-$HOME/.cache}/kiln-ruffle}
if [ ! -d "$MOD/node_modules/@ruffle-rs/ruffle" ] || [ ! -d "$MOD/node_modules/puppeteer-core" ]; then
  command -v npm >/dev/null || skip "npm not found"
  mkdir -p "$MOD"
  (cd "$MOD" && npm install --silent --no-audit --no-fund @ruffle-rs/ruffle puppeteer-core@23 >/dev/null 2>&1) ||
    skip "could not install @ruffle-rs/ruffle and puppeteer-core into $MOD"
fi
make -s build/bin/kiln-swf >/dev/null || exit 1
work=$(mktemp -d "${TMPDIR:-/tmp}/kiln-ruffle.XXXXXX")
trap 'rm -rf "$work"' EXIT
build/bin/kiln-swf synth -n "$N" --seed 77 -o "$work/synth" --quiet || exit 1
# Also one CWS and one ZWS conversion: compressed files must play too.
build/bin/kiln-swf compress --zlib "$work/synth/synth-000000.swf" -o "$work/synth/z-cws.swf" --quiet
build/bin/kiln-swf compress --lzma "$work/synth/synth-000001.swf" -o "$work/synth/z-zws.swf" --quiet
files=$(ls "$work"/synth/*.swf)
node bench/swf_ruffle.mjs "$MOD" "$CHROMIUM" $files > "$work/ruffle.jsonl"
rc=$?
build/bin/kiln-swf info --json $files > "$work/info.jsonl"
python3 - "$work/ruffle.jsonl" "$work/info.jsonl" <<'PY'
import json, sys
ruffle = [json.loads(l) for l in open(sys.argv[1])]
info = {j["file"]: j for j in map(json.loads, open(sys.argv[2]))}
bad = 0
for r in ruffle:
    i = info[r["file"]]
    m = r.get("metadata") or {}
    agree = (m.get("width") == i["width"] and m.get("height") == i["height"]
             and abs(m.get("frameRate", -1) - i["frame_rate"]) < 1e-6 and m.get("numFrames") == i["frame_count"])
    ok = r["loaded"] and agree and r["picture_changes"]
    bad += not ok
    print("%s: %s: loaded=%s metadata_agrees=%s picture_changes=%s (%sx%s, %s fps, %s frames, SWF %s)" % (
        "PASS" if ok else "FAIL", r["file"].split("/")[-1], r["loaded"], agree, r["picture_changes"],
        m.get("width"), m.get("height"), m.get("frameRate"), m.get("numFrames"), m.get("swfVersion")))
print("%d of %d files play in Ruffle" % (len(ruffle) - bad, len(ruffle)))
sys.exit(1 if bad else 0)
PY
py=$?
[ $rc -eq 0 ] && [ $py -eq 0 ]
