#!/usr/bin/env bash
# Batch throughput: the 20 ten-second clips of ../shared/bench (batch/clip_00..19.mp4) with
# --jobs 1 and --jobs 2, for voice-features (audio only), av-basics (level + motion) and
# av-affect (the default video pipeline). One input already runs its stages concurrently (and
# FFmpeg decodes with threads; av-affect detects faces ahead on other cores), so the table also
# gives the cores --jobs 1 keeps busy and the ceiling that leaves for --jobs 2 on this machine
# (cores / cores used). Writes Benchmarks/results/<date>-batch.md. Environment: RUNS (default 3),
# BENCHMEDIA.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
B="$MEDIA/batch"
hyperfine --style none --warmup 1 --runs "$RUNS" --export-json "$tmp/batch.json" \
  -n voice_jobs1 "$EMO run Pipelines/voice-features.yaml $B -o $tmp/v1 --jobs 1 --force" \
  -n voice_jobs2 "$EMO run Pipelines/voice-features.yaml $B -o $tmp/v2 --jobs 2 --force" \
  -n basics_jobs1 "$EMO run Pipelines/av-basics.yaml $B -o $tmp/b1 --jobs 1 --force" \
  -n basics_jobs2 "$EMO run Pipelines/av-basics.yaml $B -o $tmp/b2 --jobs 2 --force" \
  -n affect_jobs1 "$EMO run Pipelines/av-affect.yaml $B -o $tmp/a1 --jobs 1 --force" \
  -n affect_jobs2 "$EMO run Pipelines/av-affect.yaml $B -o $tmp/a2 --jobs 2 --force" >&2
python3 - "$tmp/batch.json" "$ROOT/Benchmarks/results" "$(nproc)" <<'PY'
import datetime, json, sys
results = {r["command"]: r for r in json.load(open(sys.argv[1]))["results"]}
cores = int(sys.argv[3])
t = {name: r["median"] for name, r in results.items()}
# Cores kept busy: CPU time (user + system) over wall time, means of the runs.
busy = {name: (r["user"] + r["system"]) / r["mean"] for name, r in results.items()}
lines = [f"# Batch throughput, {datetime.date.today()} (20 clips x 10 s, 640x480 30 fps; median of runs; {cores} cores)", "",
         "| pipeline | --jobs 1 (s) | --jobs 2 (s) | jobs 2 / jobs 1 throughput | cores busy, jobs 1 | ceiling (cores / busy) | cores busy, jobs 2 | x real time (jobs 2) |",
         "|---|---:|---:|---:|---:|---:|---:|---:|"]
for name, key in [("voice-features", "voice"), ("av-basics", "basics"), ("av-affect", "affect")]:
    one, two = t[f"{key}_jobs1"], t[f"{key}_jobs2"]
    b1, b2 = busy[f"{key}_jobs1"], busy[f"{key}_jobs2"]
    lines.append(f"| {name} | {one:.2f} | {two:.2f} | {one / two:.2f}x | {b1:.2f} | {cores / b1:.2f}x | {b2:.2f} | {200 / two:.1f} |")
text = "\n".join(lines) + "\n"
open(f"{sys.argv[2]}/{datetime.date.today()}-batch.md", "w").write(text)
print(text)
PY
