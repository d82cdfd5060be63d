#!/usr/bin/env bash
# Time and peak RSS of the release binary on hostile inputs at two or more sizes each, to show
# that work and memory stay bounded and linear: transcripts whose cues are hours apart (fuse.affect
# does not fill the gap), subtitle markup made of unclosed '<' and '{' (stripped in one pass), and
# long texts full of "but" (VADER's rule in n log n). Writes Benchmarks/results/DATE-hostile.md.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
out="Benchmarks/results/$(date +%F)-hostile.md"
{
  echo "# Hostile inputs: time and peak RSS ($(date +%F), release build, one run each)"
  echo
  echo "| input | size | output lines | wall s | peak RSS MiB | exit |"
  echo "|---|---:|---:|---:|---:|---:|"
} > "$out"
measure() { # label size file
  local label=$1 size=$2 file=$3
  /usr/bin/time -f "%e %M" -o "$tmp/time" "$EMO" run "$file" > "$tmp/out" 2> "$tmp/err"
  local status=$?
  read -r seconds kb < <(tail -1 "$tmp/time")
  printf '| %s | %s | %d | %.2f | %.1f | %d |\n' "$label" "$size" "$(wc -l < "$tmp/out")" "$seconds" "$(echo "$kb / 1024" | bc -l)" "$status" >> "$out"
}
for hours in 3000 30000; do
  printf '1\n00:00:00,000 --> 00:00:01,000\nwell, no\n\n2\n%d:00:00,000 --> %d:00:01,000\nmaybe yes\n' "$hours" "$hours" > "$tmp/gap$hours.srt"
  measure "two cues this many hours apart" "$hours h" "$tmp/gap$hours.srt"
done
for kilobytes in 100 200 400; do
  python3 - "$kilobytes" > "$tmp/markup$kilobytes.srt" <<'PY'
import sys
n = int(sys.argv[1]) * 1024 // 2
print("1\n00:00:00,000 --> 00:00:01,000\n" + "<{" * n + "\n")
PY
  measure "unclosed markup ('<{' repeated)" "$kilobytes KB" "$tmp/markup$kilobytes.srt"
done
for words in 100000 200000 400000; do
  python3 -c "import sys; print(' '.join(['good but bad'] * ($words // 3)))" > "$tmp/but$words.txt"
  measure "one text of 'good but bad' repeated" "$words words" "$tmp/but$words.txt"
done
cat "$out"
