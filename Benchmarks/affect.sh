#!/usr/bin/env bash
# The default video pipeline end to end: Pipelines/av-affect.yaml on ../shared/bench's video.mp4
# (60 s, 640x480, 30 fps, one face, speech), both cores: x real time, peak RSS, and the share of
# CPU samples in the fusion stages (EmoPipeFusion: estimates, fusion, A/H, recording record), by perf.
# Writes Benchmarks/results/<date>-affect.md. Environment: RUNS (default 3), BENCHMEDIA.
# Each timed run redoes the input (--force): a rerun into the same folder would only resume.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
V="$MEDIA/video.mp4"
# The same pipeline without face.expression (the face estimate from the AUs alone), in the same run.
sed -e '/- id: expression/,/in: \[media.video, cues\]/d' -e 's/    in: expression/    in: cues/' Pipelines/av-affect.yaml > "$tmp/no-expression.yaml"
grep -q face.expression "$tmp/no-expression.yaml" && { echo "affect.sh: could not drop face.expression" >&2; exit 1; }
hyperfine --style none --warmup 1 --runs "$RUNS" --export-json "$tmp/affect.json" \
  -n emopipe_av_affect "$EMO run Pipelines/av-affect.yaml $V -o $tmp/out --force" \
  -n without_expression "$EMO run $tmp/no-expression.yaml $V -o $tmp/out2 --force" >&2
rss=$(/usr/bin/time -f %M "$EMO" run Pipelines/av-affect.yaml "$V" -o "$tmp/rss" 2>&1 >/dev/null | tail -1)
share="n/a (perf not installed)"
if command -v perf >/dev/null; then
  perf record -q -F 999 -o "$tmp/perf.data" "$EMO" run Pipelines/av-affect.yaml "$V" -o "$tmp/perf" >/dev/null 2>&1 || true
  share=$(perf report -i "$tmp/perf.data" --no-children --sort symbol 2>/dev/null | awk '
    /^ *[0-9.]+%/ { p = $1; sub("%", "", p); total += p; if ($0 ~ /EmoPipeFusion/) fusion += p }
    END { if (total > 0) printf "%.2f%%", 100 * fusion / total; else print "n/a" }')
fi
python3 - "$tmp/affect.json" "$rss" "$share" "$ROOT/Benchmarks/results" <<'PY'
import datetime, json, sys
results = json.load(open(sys.argv[1]))["results"]
seconds, without = results[0]["median"], results[1]["median"]
rss, share, out = int(sys.argv[2]), sys.argv[3], sys.argv[4]
text = "\n".join([
    f"# av-affect, {datetime.date.today()} (video.mp4: 60 s, 640x480, 30 fps, one face, speech; 2 cores; median of runs)", "",
    "| command | seconds | x real time | frames/s |", "|---|---:|---:|---:|",
    f"| `emopipe run Pipelines/av-affect.yaml video.mp4 -o OUT` | {seconds:.2f} | {60 / seconds:.1f} | {1800 / seconds:.0f} |",
    f"| the same without face.expression (AU face estimate only) | {without:.2f} | {60 / without:.1f} | {1800 / without:.0f} |", "",
    f"- peak RSS {rss / 1024:.0f} MiB",
    f"- CPU samples in the fusion stages (EmoPipeFusion, perf): {share}",
]) + "\n"
open(f"{out}/{datetime.date.today()}-affect.md", "w").write(text)
print(text)
PY
