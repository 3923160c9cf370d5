#!/usr/bin/env bash
# bench/jaro.sh [N_TRAIN N_QUERY AVG_BYTES NAIVE_PAIRS] - ByteCraft's max-
# similarity evaluation at the issue's scale (250 generated x 10,000 training
# files of ~50 KB by default): wall time on all cores, pruning rate, and the
# exact algorithm's speed-up over the naive one on the same pairs.
set -eu
cd "$(dirname "$0")/.."
make -s build/bench/jaro_bench >/dev/null
build/bench/jaro_bench "$@"
