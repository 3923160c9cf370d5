#!/usr/bin/env bash
# Man pages: groff -man -ww -z is silent on each, and every long option a
# tool's --help lists appears in its man page (curl's test1139 idea).
bin=$1
for m in man/*.1 man/*.5; do
  [ -e "$m" ] || continue
  out=$(groff -man -ww -z "$m" 2>&1)
  if [ -z "$out" ]; then echo "PASS: man/lint-$(basename "$m")"; else echo "FAIL: man/lint-$(basename "$m"): $out"; fi
done
for tool in "$bin"/kiln-*; do
  [ -x "$tool" ] || continue
  name=$(basename "$tool") page=man/$(basename "$tool").1
  if [ ! -f "$page" ]; then echo "FAIL: man/options-$name: no man page $page"; continue; fi
  missing=
  for o in $("$tool" --help 2>/dev/null | grep -oE -- '--[a-z][a-z0-9-]+' | sort -u); do
    # man pages escape '-' as '\-'
    grep -qF -- "$o" <(sed 's/\\-/-/g' "$page") || missing="$missing $o"
  done
  if [ -z "$missing" ]; then echo "PASS: man/options-$name"; else echo "FAIL: man/options-$name: not in $page:$missing"; fi
done
