#!/usr/bin/env bash
# scripts/deps.sh - install the Debian packages Kiln needs; does nothing when
# they are all present. This is the only place the list lives.
#
#   scripts/deps.sh            build + test dependencies (make, make test, make check)
#   scripts/deps.sh --peers    also the peers the benchmarks compare against
#   scripts/deps.sh --fuzz     also clang + libFuzzer for `make fuzz`
#   scripts/deps.sh --list     print the package names and exit
set -eu

# Build and test: compiler, the libraries Kiln links, groff for the man-page
# lint, and the oracles the tests compare against: the ffmpeg CLI (video)
# ImageMagick (sprite decoding) and python3 (JSON checks, test archives).
# Without the oracles those tests skip.
BUILD_PKGS="gcc make pkg-config zlib1g-dev liblzma-dev libarchive-dev
libavformat-dev libavcodec-dev libswscale-dev libavutil-dev groff-base ffmpeg imagemagick python3"
# Benchmarks and oracle scripts (bench/): pngquant, ImageMagick, PyTorch (CPU),
# sentencepiece, node + npm for HuggingFace tokenizers and Ruffle, chromium.
PEER_PKGS="pngquant python3-torch python3-numpy sentencepiece nodejs npm chromium hyperfine time"
FUZZ_PKGS="clang libclang-rt-14-dev"

want=$BUILD_PKGS
for a in "$@"; do
  case $a in
    --peers) want="$want $PEER_PKGS" ;;
    --fuzz) want="$want $FUZZ_PKGS" ;;
    --list) echo $want; exit 0 ;;
    *) echo "deps.sh: unknown option $a" >&2; exit 2 ;;
  esac
done

missing=
for p in $want; do
  # node may come from outside Debian (nvm, NodeSource): accept a working binary.
  if [ "$p" = nodejs ] || [ "$p" = npm ]; then command -v "${p%js}" >/dev/null 2>&1 && continue; fi
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

echo "deps.sh: installing:$missing" >&2
SUDO=
if [ "$(id -u)" != 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "deps.sh: need root (or sudo) to install:$missing" >&2; exit 1; }
  SUDO=sudo
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
