#!/usr/bin/env bash
# Writes the README's stage reference (between the stages:begin/end markers) from
# `emopipe stages`, the same declarations the loader validates against. A test fails when the
# README and the binary disagree. Needs a built binary (swift build).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
emopipe="${EMOPIPE:-.build/debug/emopipe}"
reference=$(mktemp)
trap 'rm -f "$reference"' EXIT
for stage in $("$emopipe" stages | awk '{print $1}'); do
  echo '```text'
  "$emopipe" stages "$stage"
  echo '```'
  echo
done > "$reference"
awk -v file="$reference" '
  /<!-- stages:begin -->/ { print; while ((getline line < file) > 0) print line; skip = 1; next }
  /<!-- stages:end -->/ { skip = 0 }
  !skip { print }
' README.md > README.md.tmp
mv README.md.tmp README.md
