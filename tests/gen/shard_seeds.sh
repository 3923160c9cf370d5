#!/usr/bin/env bash
# Regenerate the shard fuzz seeds (small valid shards of each kind plus a few
# broken ones) into tests/fuzz/corpus/shard/. Needs build/bin/kiln-shard and
# build/lib/libshard.a (for tests/gen/shard_seed_gen.c).
set -eu
cd "$(dirname "$0")/../.."
out=tests/fuzz/corpus/shard
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf 'abc' > "$tmp/a"; : > "$tmp/b"; printf 'hello shard' > "$tmp/c"
build/bin/kiln-shard pack --bytes "$tmp/a" "$tmp/b" "$tmp/c" -o "$tmp/ds" --quiet
cp "$tmp/ds/shard-00000.kshard" "$out/tokens-u8.kshard"
head -c 200 "$out/tokens-u8.kshard" > "$out/truncated-header.kshard"
printf 'KILNSHRD' > "$out/magic-only.kshard"
: > "$out/empty.kshard"
cc -std=gnu11 -Idatasets tests/gen/shard_seed_gen.c build/lib/libshard.a -lz -o "$tmp/gen"
"$tmp/gen" "$tmp"
for k in tokens sprites frames; do cp "$tmp/$k/shard-00000.kshard" "$out/$k.kshard"; done
