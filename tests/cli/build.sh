# Build-level promises: make install honours PREFIX and DESTDIR, installs
# every tool and man page; every tool answers --help/--version and rejects an
# unknown option with exit 2.
source "$(dirname "$0")/lib.sh"

build=$(dirname "$KILN_BIN")
t install expect_exit 0 make -C "$SRC" --no-print-directory install-files BUILD="$build" DESTDIR="$W/inst" PREFIX=/opt/kiln
for tool in "$KILN_BIN"/kiln-*; do
  name=$(basename "$tool")
  t "installed-$name" sh_ok "test -x '$W/inst/opt/kiln/bin/$name'"
  t "installed-man-$name" sh_ok "test -f '$W/inst/opt/kiln/share/man/man1/$name.1'"
  t "$name-help" expect_exit 0 "$tool" --help
  t "$name-help-stdout" out_has 'Usage'
  t "$name-version" expect_exit 0 "$tool" --version
  t "$name-version-features" out_has '^openmp: (yes|no)'
  t "$name-bad-option" expect_exit 2 "$tool" --no-such-option-here
  # a lost write to standard output fails the run, whichever path exits
  for a in --help --version; do
    t "$name$a-full-stdout" sh_ok "'$tool' $a >/dev/full 2>'$W/full.err'; test \$? -eq 1 && grep -q 'standard output: ' '$W/full.err'"
  done
done
for c in "kiln-shard info" "kiln-video extract" "kiln-swf info" "kiln-sprites palette" "kiln-train run" "kiln-bpe encode"; do
  set -- $c
  t "$1-$2-help-full-stdout" sh_ok "'$KILN_BIN/$1' $2 -h >/dev/full 2>'$W/full.err'; test \$? -eq 1 && grep -q 'standard output: ' '$W/full.err'"
done
t installed-format-page sh_ok "test -f '$W/inst/opt/kiln/share/man/man5/kiln-shard.5'"
# the CUDA plugin, where built, is found from the installed kiln-train
if "$KILN_BIN/kiln-train" --version | grep -q 'backends: cpu cuda'; then
  t installed-cuda-plugin sh_ok "'$W/inst/opt/kiln/bin/kiln-train' --version | grep -q 'backends: cpu cuda'"
fi
t uninstall expect_exit 0 make -C "$SRC" --no-print-directory uninstall BUILD="$build" DESTDIR="$W/inst" PREFIX=/opt/kiln
t uninstalled sh_ok "! ls '$W/inst/opt/kiln/bin/'kiln-* '$W/inst/opt/kiln/lib/kiln/'* 2>/dev/null"
