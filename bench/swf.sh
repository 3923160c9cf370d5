#!/usr/bin/env bash
# bench/swf.sh [CORPUS_DIR] - libswf's cost over pure decompression, and
# ingest's scaling from 1 to 2 threads, measured in the same run.
#
#   1. kiln-swf validate, info and info --json over every file of the corpus vs
#      bench/swf_inflate.c, which only reads and inflates the same files with
#      zlib/liblzma; single-threaded; best of REPEAT runs, wall and CPU time.
#      Goal: parsing + validation cost <= 10% over pure decompression.
#   2. kiln-swf ingest of the corpus with --threads 1 and --threads 2 (wall).
#      Goal: >= 1.7x.
# CORPUS_DIR defaults to ../shared/corpus/swf, else a synthesized corpus.
# Other work on the machine skews wall times (CPU times less so): say so
# when reporting numbers from a shared machine.
set -eu
cd "$(dirname "$0")/.."
REPEAT=${REPEAT:-7}
make -s build/bin/kiln-swf build/bench/swf_inflate >/dev/null
work=$(mktemp -d "${TMPDIR:-/tmp}/kiln-bench-swf.XXXXXX")
trap 'rm -rf "$work"' EXIT
corpus=${1:-../shared/corpus/swf}
if [ ! -d "$corpus" ]; then
  corpus=$work/synth
  build/bin/kiln-swf synth -n 3000 --seed 1 -o "$corpus" --quiet
fi
python3 - "$corpus" "$work" "$REPEAT" <<'PY'
import glob, os, resource, shutil, subprocess, sys, time
corpus, work, repeat = sys.argv[1], sys.argv[2], int(sys.argv[3])
files = sorted(glob.glob(os.path.join(corpus, "*.swf")))
print("corpus: %s (%d files, %d bytes)" % (corpus, len(files), sum(os.path.getsize(f) for f in files)))
for f in files: open(f, "rb").read()          # page cache warm for both sides

def run(cmd, env=None):
    """best (wall, cpu) seconds over `repeat` runs"""
    bw = bc = 1e9
    for _ in range(repeat):
        if os.path.exists(work + "/ds"): shutil.rmtree(work + "/ds")
        a = resource.getrusage(resource.RUSAGE_CHILDREN); t0 = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        t1 = time.perf_counter(); b = resource.getrusage(resource.RUSAGE_CHILDREN)
        bw = min(bw, t1 - t0)
        bc = min(bc, b.ru_utime - a.ru_utime + b.ru_stime - a.ru_stime)
    return bw, bc

one = dict(os.environ, OMP_NUM_THREADS="1")
peer = run(["build/bench/swf_inflate"] + files)
print("%-28s wall %7.3f s  cpu %7.3f s" % ("inflate only (peer)", *peer))
for name, cmd in (("kiln-swf validate", ["validate"]), ("kiln-swf info", ["info"]), ("kiln-swf info --json", ["info", "--json"])):
    w, c = run(["build/bin/kiln-swf"] + cmd + files, one)
    print("%-28s wall %7.3f s  cpu %7.3f s  ratio wall %.3f cpu %.3f (goal <= 1.10)" % (name, w, c, w / peer[0], c / peer[1]))
t = {}
for n in (1, 2):
    t[n] = run(["build/bin/kiln-swf", "ingest", corpus, "-o", work + "/ds", "--quiet", "--threads", str(n)])
    print("%-28s wall %7.3f s  cpu %7.3f s" % ("ingest --threads %d" % n, *t[n]))
print("ingest speed-up 1 -> 2 threads: %.2fx (goal >= 1.7)" % (t[1][0] / t[2][0]))
PY
