# kiln-swf ingest: SWF found by signature in folders and nested archives,
# duplicates dropped by content hash, broken files recorded and skipped, the
# dataset readable by kiln-shard, identical for 1 and 2 threads.
source "$(dirname "$0")/lib.sh"
SEEDS=$SRC/tests/fuzz/corpus/swf
# The archives and the manifest checks are written with python3 (zipfile,
# tarfile, json); without it the whole script is skipped.
if ! command -v python3 >/dev/null; then skip ingest "python3 not found"; exit 0; fi

kiln-swf synth -n 8 --seed 11 -q -o syn || exit 1
mkdir -p in/sub
cp syn/synth-00000[0-2].swf in/
cp syn/synth-000003.swf in/sub/renamed.bin                 # SWF without the name
kiln-swf compress --zlib syn/synth-000000.swf -o in/sub/dup.swf    # same movie, CWS
cp $SEEDS/empty.swf $SEEDS/not-swf.swf $SEEDS/overrun.swf in/sub/
echo "not an swf" > in/readme.txt
echo "Squares for the sidecar test." > in/synth-000001.swf.txt
# zip holding a tar.gz holding two SWF, plus one SWF at the zip's top level;
# and a tar.xz.
python3 - <<'PY' || exit 1
import io, tarfile, zipfile
t = io.BytesIO()
with tarfile.open(fileobj=t, mode="w:gz") as tf:
    for n in ("synth-000004.swf", "synth-000005.swf"):
        tf.add("syn/" + n, arcname="deep/" + n)
with zipfile.ZipFile("in/pack.zip", "w", zipfile.ZIP_DEFLATED) as z:
    z.writestr("inner.tar.gz", t.getvalue())
    z.write("syn/synth-000006.swf", "top/synth-000006.swf")
with tarfile.open("in/sub/more.tar.xz", mode="w:xz") as tf:
    tf.add("syn/synth-000007.swf", arcname="x/synth-000007.swf")
PY

t ingest           expect_exit 0 kiln-swf ingest in -o ds --threads 1
t summary          err_has '9 records .* from 12 SWF candidates'
t verify           expect_exit 0 kiln-shard verify ds
# --force never deletes an input: an output that holds one is refused
t force-over-input sh_ok "mkdir -p fo && cp -r in fo/in && ! kiln-swf ingest fo/in -o fo --force -q 2>fo.err && grep -q 'holds the input' fo.err && diff -r in fo/in"
check_manifest() {
  python3 - <<'PY'
import hashlib, json, os
rows = [json.loads(l) for l in open("ds/manifest.jsonl")]
by = {r["origin"]: r for r in rows}
assert len(rows) == 12, len(rows)
# sha256 names the input's own bytes (for CWS and broken inputs it is
# computed after pass 1 and written over a placeholder): files on disk, and
# archive members (copies of syn/ files).
for r in rows:
    src = r["origin"] if "!" not in r["origin"] else "syn/" + os.path.basename(r["origin"])
    assert r["sha256"] == hashlib.sha256(open(src, "rb").read()).hexdigest(), r["origin"]
assert by["in/sub/more.tar.xz!x/synth-000007.swf"]["status"] == "added"
assert by["in/pack.zip!inner.tar.gz!deep/synth-000004.swf"]["status"] == "added"
assert by["in/pack.zip!top/synth-000006.swf"]["status"] == "added"
assert by["in/sub/renamed.bin"]["status"] == "added"
assert by["in/sub/empty.swf"]["status"] == "broken" and by["in/sub/empty.swf"]["info"]["reason"] == "empty"
assert by["in/sub/empty.swf"]["info"]["signature"] is None, by["in/sub/empty.swf"]["info"]
assert by["in/sub/not-swf.swf"]["info"]["reason"] == "not_swf"
assert by["in/sub/overrun.swf"]["status"] == "added" and by["in/sub/overrun.swf"]["info"]["verdict"] == "damaged"
a, b = by["in/synth-000000.swf"], by["in/sub/dup.swf"]
# walk order is byte-wise sorted: in/sub/... comes before in/synth-...
assert b["status"] == "added" and a["status"] == "duplicate" and a["duplicate_of"] == "in/sub/dup.swf"
assert a["content_sha256"] == b["content_sha256"] and a["sha256"] != b["sha256"]
assert "Squares for the sidecar test." in by["in/synth-000001.swf"]["prompt"]
records = sorted(r["record"] for r in rows if r["record"] is not None)
assert records == list(range(9)), records
meta = json.load(open("ds/manifest.json"))["meta"]
assert meta["counts"]["records"] == 9 and meta["counts"]["duplicates"] == 1 and meta["counts"]["broken"] == 2, meta
assert meta["content"] == "fws"
PY
}
t manifest         check_manifest
# Record contents are the FWS bytes; prompts are the prompt command's output.
rec_of() { python3 -c "import json,sys; print([json.loads(l)['record'] for l in open('ds/manifest.jsonl') if json.loads(l)['origin']==sys.argv[1]][0])" "$1"; }
t record-content   sh_ok "kiln-shard cat ds -r $(rec_of in/sub/dup.swf) --segment content | cmp - syn/synth-000000.swf"
t record-prompt    sh_ok "cmp <(kiln-shard cat ds -r $(rec_of in/synth-000002.swf) --segment prompt) <(printf %s \"\$(kiln-swf prompt in/synth-000002.swf)\")"
# A split keeps each manifest line once: a record's line on its side,
# renumbered (its content_sha256 names that side's record), the lines of
# candidates without a record (duplicate, broken) in train.
t split-manifest   expect_exit 0 kiln-shard split ds --ratio 0.5 --seed 4 -o sp -q
t split-manifest-routed sh_ok 'python3 - <<"PY"
import hashlib, json, subprocess
orig = [json.loads(l) for l in open("ds/manifest.jsonl")]
got = []
for side in ("sp/train", "sp/val"):
    for l in open(side + "/manifest.jsonl"):
        r = json.loads(l)
        if r["record"] is None:
            assert side == "sp/train", r
        else:
            c = subprocess.run(["kiln-shard", "cat", side, "-r", str(r["record"]), "--segment", "content"], capture_output=True, check=True).stdout
            assert hashlib.sha256(c).hexdigest() == r["content_sha256"], r
        got.append(r["origin"])
assert sorted(got) == sorted(r["origin"] for r in orig)
assert sum(1 for l in open("sp/val/manifest.jsonl")) > 0
PY'

t threads-2        expect_exit 0 kiln-swf ingest in -o ds2 --threads 2 --quiet
t deterministic    sh_ok 'diff -r ds ds2'
t no-memory        expect_exit 0 kiln-swf ingest in -o ds3 --threads 2 --memory 0 --quiet
t spilled-same     sh_ok 'diff -r ds ds3 && ! ls -a ds3 | grep -q spill'
t small-shards     expect_exit 0 kiln-swf ingest in -o ds4 --shard-size 8K --quiet
t small-shards-n   sh_ok '[ $(ls ds4/shard-*.kshard | wc -l) -ge 3 ] && kiln-shard verify ds4 >/dev/null && cmp ds/manifest.jsonl ds4/manifest.jsonl'
# the name the other writers use; --shard-size stays as the older name
t max-shard-size   expect_exit 0 kiln-swf ingest in -o ds4b --max-shard-size 8K --quiet
t max-shard-same   sh_ok 'diff -r ds4 ds4b'
t no-clobber       expect_exit 1 kiln-swf ingest in -o ds --quiet
t no-clobber-says  err_has '^kiln-swf: ds: exists \(use --force to replace it\)$'
t keep-compressed  expect_exit 0 kiln-swf ingest in -o dsk --keep-compressed --quiet
t keep-compressed-bytes sh_ok "kiln-shard cat dsk -r \$(python3 -c \"import json; print([json.loads(l)['record'] for l in open('dsk/manifest.jsonl') if json.loads(l)['origin']=='in/sub/dup.swf'][0])\") --segment content | cmp - in/sub/dup.swf"
# A damaged zip: members before the damage are kept, the member that will
# not extract is listed as unreadable, and the run still succeeds.
mkdir dz
python3 - <<'PY' || exit 1
import zipfile
with zipfile.ZipFile("full.zip", "w", zipfile.ZIP_DEFLATED) as z:
    for i in range(3): z.write("syn/synth-%06d.swf" % i, "m%d.swf" % i)
d = bytearray(open("full.zip", "rb").read())
d[60] ^= 0xFF                     # inside the first member's deflate data
open("dz/flipped.zip", "wb").write(bytes(d))
PY
t damaged-zip      expect_exit 0 kiln-swf ingest dz -o dsz
t damaged-zip-warns err_has 'flipped.zip!m0.swf: .*entry skipped'
t damaged-zip-rows sh_ok "python3 -c \"import json; r=[json.loads(l) for l in open('dsz/manifest.jsonl')]; s=[x['status'] for x in r]; assert s==['unreadable','added','added'], s; assert r[0]['error']\""
t missing-input    expect_exit 1 kiln-swf ingest nowhere -o dsx --quiet
t missing-no-output sh_ok '! test -e dsx'

# The real corpus, when present: every file lands in the manifest, and the
# verdict counts agree with validate's.
C=$(corpus swf)
if [ -n "$C" ]; then
  t corpus-ingest  expect_exit 0 kiln-swf ingest "$C" -o dsc --quiet
  t corpus-rows    sh_ok "[ \$(wc -l < dsc/manifest.jsonl) -eq \$(ls $C/*.swf | wc -l) ]"
  t corpus-verify  expect_exit 0 kiln-shard verify dsc
else
  skip corpus-ingest "../shared/corpus/swf not present"
fi

# --part I/N: three workers + kiln-shard merge --dedup give one run's records,
# a duplicate across parts dropped as one run drops it.
kiln-swf synth -n 14 --seed 9 -o partin -q
cp partin/synth-000002.swf partin/zz-copy.swf
kiln-swf ingest partin -o pwhole -q
for p in 1 2 3; do kiln-swf ingest partin --part $p/3 -o pp$p -q; done
t part-merge expect_exit 0 kiln-shard merge --dedup pp1 pp2 pp3 -o pmerged -q
t part-records sh_ok 'cmp <(kiln-shard cat pwhole) <(kiln-shard cat pmerged)'
t part-count sh_ok '[ "$(kiln-shard info pmerged | grep "^records:")" = "$(kiln-shard info pwhole | grep "^records:")" ]'
t part-manifest sh_ok 'f() { grep -o "\"origin\":\"[^\"]*\",\"status\":\"[a-z]*\",\"record\":[0-9a-z]*" "$1/manifest.jsonl"; }; [ "$(f pwhole | wc -l)" -eq 15 ] && cmp <(f pwhole) <(f pmerged)'
t part-bad expect_exit 2 kiln-swf ingest partin --part 3/2 -o never
t part-only-ingest expect_exit 2 kiln-swf info --part 1/2 partin/synth-000001.swf

# A pipe is read once, whole: probing its signature once ate 8 bytes (the
# SWF came out broken, a zip held nothing).
kiln-swf ingest -q syn/synth-000001.swf -o pfile
t pipe-swf        expect_exit 0 kiln-swf ingest -q <(cat syn/synth-000001.swf) -o ppipe
t pipe-swf-same   sh_ok 'cmp <(kiln-shard cat pfile) <(kiln-shard cat ppipe)'
kiln-swf ingest -q in/pack.zip -o pzfile
t pipe-zip        expect_exit 0 kiln-swf ingest -q <(cat in/pack.zip) -o pzpipe
t pipe-zip-same   sh_ok '[ $(kiln-shard info pzpipe | grep "^records:" | tr -dc 0-9) -eq 3 ] && cmp <(kiln-shard cat pzfile) <(kiln-shard cat pzpipe)'

# A file that cannot be opened is listed as unreadable and, by itself, does
# not fail the run (root reads everything: run as nobody where setpriv is).
nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null && chmod 755 . &&
   nobody "$KILN_BIN/kiln-swf" --version >/dev/null 2>&1 && nobody test -x "$PWD"; then
  mkdir -p locked && chmod 777 locked && cp syn/synth-000001.swf syn/synth-000002.swf locked/
  chmod 000 locked/synth-000002.swf
  t unreadable-run  expect_exit 0 nobody "$KILN_BIN/kiln-swf" ingest -q locked -o locked/ds
  t unreadable-row  sh_ok 'grep -q "\"origin\":\"locked/synth-000002.swf\".*\"status\":\"unreadable\"" locked/ds/manifest.jsonl'
else
  skip unreadable-run "needs root, setpriv, and a test folder and binary that nobody can reach"
fi

# A gzip cut short fails when the archive is opened: warned and listed, not
# taken for "not an archive". An SWF member over --max-size is listed too.
tar czf whole.tgz -C syn synth-000001.swf synth-000002.swf
python3 -c "t=open('whole.tgz','rb').read(); open('cut.tgz','wb').write(t[:len(t)//2])"
t cut-archive      expect_exit 0 kiln-swf ingest -q cut.tgz -o dcut
t cut-archive-row  sh_ok 'grep -q "\"origin\":\"cut.tgz\",\"status\":\"unreadable\"" dcut/manifest.jsonl'
# The same inside a zip (it was dropped unseen, with its SWF files), and an
# archive nested past the depth limit.
python3 - <<'PY' || exit 1
import io, zipfile
t = open("whole.tgz", "rb").read()
with zipfile.ZipFile("nestcut.zip", "w") as z:
    z.writestr("inner.tgz", t[:len(t) // 2])
    z.write("syn/synth-000003.swf", "ok.swf")
data, name = open("syn/synth-000004.swf", "rb").read(), "bottom.swf"
for lvl in range(5):
    b = io.BytesIO()
    with zipfile.ZipFile(b, "w") as z:
        z.writestr(name, data)
    data, name = b.getvalue(), "l%d.zip" % lvl
open("deep.zip", "wb").write(data)
PY
t nested-cut       expect_exit 0 kiln-swf ingest nestcut.zip -o dnestcut
t nested-cut-warns err_has 'nestcut\.zip!inner\.tgz: .*archive skipped'
t nested-cut-rows  sh_ok 'grep -q "\"origin\":\"nestcut.zip!inner.tgz\",\"status\":\"unreadable\"" dnestcut/manifest.jsonl && grep -q "\"origin\":\"nestcut.zip!ok.swf\",\"status\":\"added\"" dnestcut/manifest.jsonl'
t too-deep         expect_exit 0 kiln-swf ingest deep.zip -o ddeep
t too-deep-warns   err_has 'deep\.zip!l3\.zip!l2\.zip!l1\.zip!l0\.zip: archive nested more than 4 deep'
t too-deep-row     sh_ok 'grep -q "\"origin\":\"deep.zip!l3.zip!l2.zip!l1.zip!l0.zip\",\"status\":\"unreadable\"" ddeep/manifest.jsonl'
python3 - <<'PY'
import zipfile
with zipfile.ZipFile("bigm.zip", "w") as z:
    z.write("syn/synth-000001.swf", "small.swf")
    z.writestr("huge.swf", open("syn/synth-000002.swf", "rb").read() + b"\0" * 100000)
PY
t big-member       expect_exit 0 kiln-swf ingest -q --max-size 50000 bigm.zip -o dbig
t big-member-row   sh_ok 'grep -q "\"origin\":\"bigm.zip!huge.swf\",\"status\":\"unreadable\"" dbig/manifest.jsonl && grep -q "\"origin\":\"bigm.zip!small.swf\",\"status\":\"added\"" dbig/manifest.jsonl'

# Two members of one path in an archive (a tar appended to, a zip written
# twice) get distinct origins: the later one "#N", N its position; a nested
# archive's repeat names its members apart too; a member literally named
# like that still gets an origin of its own.
python3 - <<'PY' || exit 1
import io, tarfile, warnings, zipfile
warnings.simplefilter("ignore")
def tar_of(members):
    b = io.BytesIO()
    with tarfile.open(fileobj=b, mode="w") as tf:
        for name, path in members:
            tf.add(path, arcname=name)
    return b.getvalue()
open("samename.tar", "wb").write(tar_of([("d/a.swf", "syn/synth-000001.swf"), ("d/b.swf", "syn/synth-000003.swf"), ("d/a.swf", "syn/synth-000002.swf")]))
with zipfile.ZipFile("samename.zip", "w") as z:
    z.writestr("in.tar", tar_of([("x.swf", "syn/synth-000004.swf")]))
    z.writestr("in.tar", tar_of([("x.swf", "syn/synth-000005.swf")]))
    z.write("syn/synth-000006.swf", "y.swf")
    z.write("syn/synth-000007.swf", "y.swf")
    z.write("syn/synth-000001.swf", "y.swf#4")
PY
t same-name        expect_exit 0 kiln-swf ingest -q samename.tar samename.zip -o dsame
check_same_name() {
  python3 - <<'PY'
import hashlib, json
rows = [json.loads(l) for l in open("dsame/manifest.jsonl")]
got = [r["origin"] for r in rows]
assert got == ["samename.tar!d/a.swf", "samename.tar!d/b.swf", "samename.tar!d/a.swf#3",
               "samename.zip!in.tar!x.swf", "samename.zip!in.tar#2!x.swf",
               "samename.zip!y.swf", "samename.zip!y.swf#4", "samename.zip!y.swf#4#5"], got
src = ["1", "3", "2", "4", "5", "6", "7", "1"]
for r, k in zip(rows, src):
    assert r["sha256"] == hashlib.sha256(open("syn/synth-00000%s.swf" % k, "rb").read()).hexdigest(), r["origin"]
assert [r["status"] for r in rows] == ["added"] * 7 + ["duplicate"], rows
assert rows[-1]["duplicate_of"] == "samename.tar!d/a.swf"
PY
}
t same-name-origins check_same_name
t same-name-stable sh_ok 'kiln-swf ingest -q -t 2 samename.tar samename.zip -o dsame2 && cmp dsame/manifest.jsonl dsame2/manifest.jsonl'

# Origins never collide: a '!' in a path or a member name (and the escape
# character, a backslash) is escaped as \! (and \\), so a member "x!y.swf"
# is not the member y.swf of a nested archive "x", and a file on disk named
# "bang/d!z.swf" is not the member z.swf of the archive "bang/d". Ordinary
# names are as before.
mkdir -p bang && cp syn/synth-000005.swf 'bang/d!z.swf' && cp syn/synth-000004.swf bang/side.swf &&
  echo "A bang sidecar" > 'bang/d!z.swf.txt'
python3 - <<'PY' || exit 1
import io, tarfile, zipfile
b = io.BytesIO()
with zipfile.ZipFile(b, "w") as z:
    z.write("syn/synth-000001.swf", "y.swf")
with tarfile.open("bang/d", mode="w") as tf:
    tf.add("syn/synth-000002.swf", arcname="z.swf")
    tf.add("syn/synth-000003.swf", arcname="x!y.swf")
    tf.add("syn/synth-000006.swf", arcname="b\\s.swf")
    i = tarfile.TarInfo("x"); i.size = len(b.getvalue())
    tf.addfile(i, io.BytesIO(b.getvalue()))
PY
t bang-ingest      expect_exit 0 kiln-swf ingest -q bang -o dbang
check_bang() {
  python3 - <<'PY'
import json
rows = [json.loads(l) for l in open("dbang/manifest.jsonl")]
got = sorted(r["origin"] for r in rows)
want = sorted(["bang/d!z.swf", "bang/d!x\\!y.swf", "bang/d!b\\\\s.swf", "bang/d!x!y.swf",
               "bang/d\\!z.swf", "bang/side.swf"])
assert got == want, got
assert len(set(got)) == len(got), got
by = {r["origin"]: r for r in rows}
# the escaped origin of a file on disk still finds its sidecar
assert "A bang sidecar" in by["bang/d\\!z.swf"]["prompt"], by["bang/d\\!z.swf"]["prompt"]
PY
}
t bang-origins     check_bang

# Ingest takes the sidecar kiln-swf prompt takes: a blank X.swf.txt falls
# back to X.txt.
mkdir -p side && cp syn/synth-000003.swf side/X.swf && echo "  " > side/X.swf.txt && echo "A red fox game" > side/X.txt
t side-prompt      expect_exit 0 kiln-swf prompt side/X.swf
t side-prompt-has  out_has 'A red fox game'
t side-ingest      expect_exit 0 kiln-swf ingest -q side -o dside
t side-ingest-has  sh_ok 'grep -q "A red fox game" dside/manifest.jsonl'

# A FIFO and a broken link inside an input folder: named in warnings (they
# were left out without a word), never opened, and counted in the dataset's
# counts (special_skipped) and the summary; with --part too.
mkdir -p special && cp syn/synth-000003.swf special/a.swf && mkfifo special/pipe.swf && ln -s nowhere.swf special/gone.swf
t special-ingest        expect_exit 0 timeout 20 kiln-swf ingest special -o dspecial
t special-ingest-fifo   err_has 'warning: special/pipe.swf: skipped: a FIFO, not a regular file'
t special-ingest-link   err_has 'warning: special/gone.swf: skipped: a broken symbolic link'
t special-ingest-sum    err_has '2 not regular files skipped'
t special-ingest-counts sh_ok "python3 -c 'import json; c=json.load(open(\"dspecial/manifest.json\"))[\"meta\"][\"counts\"]; assert c[\"special_skipped\"] == 2 and c[\"records\"] == 1, c'"
t special-ingest-part   expect_exit 0 timeout 20 kiln-swf ingest -q special --part 1/2 -o dspecial1
t special-part-fifo     err_has 'warning: special/pipe.swf: skipped: a FIFO'
t special-part-counts   sh_ok "python3 -c 'import json; c=json.load(open(\"dspecial1/manifest.json\"))[\"meta\"][\"counts\"]; assert c[\"special_skipped\"] == 2, c'"
