#!/usr/bin/env bash
# make bench: EmoPipe beside the reference tools, in one run, on the standard inputs of
# ../shared/bench (make_media.sh; idempotent). Release build. Prints a table and writes
# Benchmarks/results/<date>.md and .json.
#   decode:  source.media -> sink.null (Benchmarks/decode.yaml) vs `ffmpeg -i video.mp4 -f null -`
#   pipeline: Pipelines/av-basics.yaml (level + motion) on the same clip
#   memory:  peak RSS of both on the 60 s clip and on a 10 min clip (the same clip looped, stream copy)
#   eeg:     Benchmarks/eeg-bands.yaml vs MNE's chunked Welch (the peer's code) on eeg.edf (1 h, 32 ch, 128 Hz)
# Environment: RUNS (default 5), BENCHMEDIA (default /tmp/benchmedia), SHARED (default ../shared).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SHARED="${SHARED:-$ROOT/../shared}"
MEDIA="${BENCHMEDIA:-/tmp/benchmedia}"
RUNS="${RUNS:-5}"
OUT="$ROOT/Benchmarks/results"
cd "$ROOT"
command -v hyperfine >/dev/null && [[ -x /usr/bin/time ]] || {
  sudo=""; [[ $(id -u) -eq 0 ]] || sudo="sudo"
  $sudo apt-get install -y -qq hyperfine time
}
BENCHMEDIA="$MEDIA" bash "$SHARED/bench/make_media.sh"
swift build -c release --static-swift-stdlib >&2
EMO="$ROOT/.build/release/emopipe"
V="$MEDIA/video.mp4"
LONG="$MEDIA/video-10min.mp4"
[[ -f "$LONG" ]] || ffmpeg -nostdin -loglevel error -stream_loop 9 -i "$V" -c copy "$LONG"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

echo "[bench] decode and pipeline throughput, $RUNS runs each" >&2
hyperfine --style none --warmup 1 --runs "$RUNS" --export-json "$tmp/throughput.json" \
  -n ffmpeg_null "ffmpeg -nostdin -loglevel error -i $V -f null -" \
  -n ffmpeg_null_threads1 "ffmpeg -nostdin -loglevel error -threads 1 -i $V -f null -" \
  -n emopipe_decode "$EMO run Benchmarks/decode.yaml $V" \
  -n emopipe_decode_threads1 "$EMO run Benchmarks/decode.yaml $V --set media.threads=1" \
  -n emopipe_av_basics "$EMO run Pipelines/av-basics.yaml $V -o $tmp/out" >&2

echo "[bench] EEG band features vs MNE (chunked Welch) on the 1 h 32-channel EDF" >&2
EEG="$MEDIA/eeg.edf"
hyperfine --style none --warmup 1 --runs "$RUNS" --export-json "$tmp/eeg.json" \
  -n emopipe_eeg_bands "$EMO run Benchmarks/eeg-bands.yaml $EEG" >&2
"${PEERVENV:-/tmp/peervenv}/bin/python" "$ROOT/Benchmarks/eeg_mne.py" "$SHARED/bench" "$EEG" "$RUNS" > "$tmp/eeg_mne.json"

echo "[bench] peak memory, 1 min vs 10 min" >&2
rss() { /usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -1; }
{
  echo "{"
  echo "\"decode_1min_kib\": $(rss "$EMO" run Benchmarks/decode.yaml "$V"),"
  echo "\"decode_10min_kib\": $(rss "$EMO" run Benchmarks/decode.yaml "$LONG"),"
  echo "\"av_basics_1min_kib\": $(rss "$EMO" run Pipelines/av-basics.yaml "$V" -o "$tmp/m1"),"
  echo "\"av_basics_10min_kib\": $(rss "$EMO" run Pipelines/av-basics.yaml "$LONG" -o "$tmp/m10")"
  echo "}"
} > "$tmp/memory.json"

python3 "$ROOT/Benchmarks/summarize.py" "$tmp/throughput.json" "$tmp/memory.json" "$V" "$OUT" "$tmp/eeg.json" "$tmp/eeg_mne.json"
bash "$ROOT/Benchmarks/voice.sh"
bash "$ROOT/Benchmarks/face.sh"
bash "$ROOT/Benchmarks/expression.sh"
bash "$ROOT/Benchmarks/affect.sh"
bash "$ROOT/Benchmarks/live.sh"
bash "$ROOT/Benchmarks/speech.sh"
bash "$ROOT/Benchmarks/batch.sh"
