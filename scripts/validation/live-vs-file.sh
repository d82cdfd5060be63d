#!/usr/bin/env bash
# File and live timing on the five shared talking-face clips: av-affect on each clip as a file
# (deterministic timing) and through a pipe (live timing: causal windows, fusion by arrival),
# then their recording-level emotion, shares and mean valence/arousal side by side.
# Usage: scripts/validation/live-vs-file.sh [emopipe binary] (default .build/release/emopipe).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
EMO="${1:-.build/release/emopipe}"
VIDEO=../shared/data/video
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for clip in vr_face1 vr_face4 st_WDA_KH lp_d20 lp_d0; do
  "$EMO" run av-affect "$VIDEO/$clip.mp4" 2>/dev/null | tail -1 > "$tmp/$clip.file.json"
  ffmpeg -nostdin -loglevel error -i "$VIDEO/$clip.mp4" -c copy -f nut - | "$EMO" run av-affect - 2>/dev/null | tail -1 > "$tmp/$clip.live.json"
done
python3 - "$tmp" <<'PY'
import json, sys
folder = sys.argv[1]
print("| clip | emotion file / live | share of frames file / live | largest share gap | valence mean file / live | arousal mean file / live |")
print("|---|---|---|---:|---|---|")
for clip in ["vr_face1", "vr_face4", "st_WDA_KH", "lp_d20", "lp_d0"]:
    f = json.load(open(f"{folder}/{clip}.file.json")); l = json.load(open(f"{folder}/{clip}.live.json"))
    gap = max(abs(f["emotion_shares"][k] - l["emotion_shares"][k]) for k in f["emotion_shares"])
    def n(x): return "null" if x is None else f"{x:+.3f}"
    print(f"| {clip} | {f['emotion']} / {l['emotion']} | {f['emotion_share']:.2f} / {l['emotion_share']:.2f} | {gap:.2f} | "
          f"{n(f['valence_mean'])} / {n(l['valence_mean'])} | {n(f['arousal_mean'])} / {n(l['arousal_mean'])} |")
PY
