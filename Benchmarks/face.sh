#!/usr/bin/env bash
# The face path beside dlib's Python bindings, one run, same input (../shared/bench's video.mp4:
# 60 s, 640x480, 30 fps, one face ~125 px):
#   emopipe Benchmarks/face.yaml (decode, detection every 5th frame + tracking, 68 landmarks, pose,
#   AUs, cues; both cores) vs peer_dlib.py (dlib-bin: OpenCV decode to RAM, HOG detection every
#   5th frame + correlation_tracker + shape predictor; one thread), plus EmoPipe on one core, with
#   detection on every frame, and with the search around the tracked face (full_scan_every 30).
# Quality: NME of the tracked landmarks against detection on every frame, for both.
# Writes Benchmarks/results/<date>-face.md. Environment: RUNS (default 3), BENCHMEDIA, PEERVENV, SHARED.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
V="$MEDIA/video.mp4"
hyperfine --style none --warmup 1 --runs "$RUNS" --export-json "$tmp/face.json" \
  -n emopipe_face "$EMO run Benchmarks/face.yaml $V" \
  -n emopipe_face_1core "taskset -c 0 $EMO run Benchmarks/face.yaml $V" \
  -n emopipe_face_regional "$EMO run Benchmarks/face.yaml $V --set face.full_scan_every=30" \
  -n emopipe_face_every_frame "$EMO run Benchmarks/face.yaml $V --set face.detect_every=1" >&2
"$PY" "$SHARED/bench/peers/peer_dlib.py" --runs "$RUNS" --media "$MEDIA" > "$tmp/dlib.json"
"$EMO" run Pipelines/face-features.yaml "$V" > "$tmp/tracked.csv"
"$EMO" run Pipelines/face-features.yaml "$V" --set face.detect_every=1 > "$tmp/every.csv"
"$EMO" run Pipelines/face-features.yaml "$V" --set face.full_scan_every=30 > "$tmp/regional.csv"
rss=$(/usr/bin/time -f %M "$EMO" run Benchmarks/face.yaml "$V" 2>&1 >/dev/null | tail -1)
"$PY" - "$tmp" "$rss" "$ROOT/Benchmarks/results" <<'PY'
import csv, datetime, json, sys
import numpy as np
tmp, rss, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
ours = {r["command"]: r["median"] for r in json.load(open(f"{tmp}/face.json"))["results"]}
peer = json.loads(open(f"{tmp}/dlib.json").read().strip().splitlines()[-1])
res, frames = peer["results"], peer["stats"]["frames"]
def landmarks(name):
    rows = list(csv.DictReader(open(f"{tmp}/{name}.csv")))
    return [np.array([[float(r[f"x_{i}"]), float(r[f"y_{i}"])] for i in range(68)]) if r["success"] == "1.0" else None for r in rows]
def nme(a, ref):
    e = [np.linalg.norm(x - y, axis=1).mean() / np.linalg.norm(y[36] - y[45]) for x, y in zip(a, ref) if x is not None and y is not None]
    return float(np.mean(e)), len(e)
every = landmarks("every")
tracked, regional = nme(landmarks("tracked"), every), nme(landmarks("regional"), every)
found = sum(x is not None for x in every) / len(every)
fps = lambda seconds: frames / seconds
rows = [
    ("EmoPipe face path, detect every 5th + tracking, 2 cores (`Benchmarks/face.yaml`)", ours["emopipe_face"], "yes"),
    ("EmoPipe, the same on 1 core (taskset)", ours["emopipe_face_1core"], "yes"),
    ("EmoPipe, search around the tracked face (`full_scan_every: 30`), 2 cores", ours["emopipe_face_regional"], "yes"),
    ("EmoPipe, detection on every frame, 2 cores", ours["emopipe_face_every_frame"], "yes"),
    ("dlib Python, detect every 5th + correlation_tracker", res["det5_tracker"]["median_s"], "no (pre-decoded)"),
    ("dlib Python, detect every 5th + correlation_tracker, with its decode", frames / res["det5_tracker"]["fps_incl_decode"], "yes"),
    ("dlib Python, detect every 5th, reuse the box", res["det5_reuse_box"]["median_s"], "no (pre-decoded)"),
    ("dlib Python, detection on every frame", res["every_frame"]["median_s"], "no (pre-decoded)"),
]
lines = [f"# Face path, {datetime.date.today()} (video.mp4: 60 s, 640x480, 30 fps; median of runs)", "",
         "EmoPipe's figures include decoding, model loading, pose, action units and cues; dlib Python's",
         "exclude model loading and (except where said) OpenCV decoding into RAM.", "",
         "| command | seconds | frames/s | x real time | decode included |", "|---|---:|---:|---:|---|"]
lines += [f"| {name} | {s:.2f} | {fps(s):.0f} | {fps(s) / 30:.1f} | {dec} |" for name, s, dec in rows]
ratio = res["det5_tracker"]["median_s"] / ours["emopipe_face"]
ratio_dec = (frames / res["det5_tracker"]["fps_incl_decode"]) / ours["emopipe_face"]
lines += ["",
          f"- EmoPipe (2 cores) / dlib Python det5_tracker: {ratio:.2f}x its fps without its decode, {ratio_dec:.2f}x with it",
          f"- EmoPipe face path: {fps(ours['emopipe_face']) / 30:.1f}x real time; peak RSS {rss / 1024:.0f} MiB (the 68-point model is ~100 MB)",
          f"- face found on every frame: EmoPipe {found:.3f}, dlib Python {peer['stats']['every_frame_detection_rate']}",
          f"- tracked vs every-frame landmarks, NME: EmoPipe {tracked[0]:.4f} (regional search {regional[0]:.4f}) over {tracked[1]} frames; "
          f"dlib Python correlation_tracker {peer['stats']['det5_tracker_vs_every_frame']['nme_mean']}, reuse box {peer['stats']['det5_reuse_box_vs_every_frame']['nme_mean']}"]
text = "\n".join(lines) + "\n"
open(f"{out}/{datetime.date.today()}-face.md", "w").write(text)
print(text)
PY
