#!/usr/bin/env bash
# Batch throughput: the 20 ten-second clips of ../shared/bench (batch/clip_00..19.mp4) with
# --jobs 1 and --jobs 2, for av-basics (level + motion: one core per input) and av-affect (the
# default video pipeline, which already spreads one input over both cores). Writes
# Benchmarks/results/<date>-batch.md. Environment: RUNS (default 3), BENCHMEDIA.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
B="$MEDIA/batch"
hyperfine --style none --warmup 1 --runs "$RUNS" --export-json "$tmp/batch.json" \
  -n basics_jobs1 "$EMO run Pipelines/av-basics.yaml $B -o $tmp/b1 --jobs 1 --force" \
  -n basics_jobs2 "$EMO run Pipelines/av-basics.yaml $B -o $tmp/b2 --jobs 2 --force" \
  -n affect_jobs1 "$EMO run Pipelines/av-affect.yaml $B -o $tmp/a1 --jobs 1 --force" \
  -n affect_jobs2 "$EMO run Pipelines/av-affect.yaml $B -o $tmp/a2 --jobs 2 --force" >&2
python3 - "$tmp/batch.json" "$ROOT/Benchmarks/results" <<'PY'
import datetime, json, sys
t = {r["command"]: r["median"] for r in json.load(open(sys.argv[1]))["results"]}
lines = [f"# Batch throughput, {datetime.date.today()} (20 clips x 10 s, 640x480 30 fps; median of runs)", "",
         "| pipeline | --jobs 1 (s) | --jobs 2 (s) | jobs 2 / jobs 1 throughput | x real time (jobs 2) |", "|---|---:|---:|---:|---:|"]
for name, key in [("av-basics", "basics"), ("av-affect", "affect")]:
    one, two = t[f"{key}_jobs1"], t[f"{key}_jobs2"]
    lines.append(f"| {name} | {one:.2f} | {two:.2f} | {one / two:.2f}x | {200 / two:.1f} |")
text = "\n".join(lines) + "\n"
open(f"{sys.argv[2]}/{datetime.date.today()}-batch.md", "w").write(text)
print(text)
PY
