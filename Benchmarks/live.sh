#!/usr/bin/env bash
# Live latency and memory: the affect pipelines fed through a pipe at real-time pace, as a camera,
# microphone or amplifier would feed them, in one run:
# - av-affect on ../shared/bench's video.mp4 (60 s, 640x480, 30 fps, speech) and voice-affect on
#   the first 60 s of speech.wav, each as `ffmpeg -re ... -f nut - | emopipe run PIPELINE - --realtime`;
# - eeg-affect on 60 s of raw float32 EEG (32 channels, 128 Hz) paced by Benchmarks/pace_eeg.py;
# each with --latency (input-to-record p50/p95/p99) and the packets --realtime shed; then
# - peak RSS of a 10-minute and a 2-hour live run through a pipe, as fast as it goes (--realtime
#   off): voice-affect (speech.wav looped), and av-affect (video.mp4 looped) unless AV_LONG=0.
# Writes Benchmarks/results/<date>-live.md. Environment: BENCHMEDIA, AV_LONG (default 1: the 2-hour
# av-affect run takes about 12 minutes).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
V="$MEDIA/video.mp4" S="$MEDIA/speech.wav"
LABELS=$(python3 Benchmarks/pace_eeg.py --labels)
rows=()
live() { # name, then the producer command; the pipeline reads its standard output
  local name=$1 pipeline=$2; shift 2
  "$@" 2>/dev/null | "$EMO" run "$pipeline" - --latency --realtime "${EXTRA[@]}" > "$tmp/$name.jsonl" 2> "$tmp/$name.err" || true
  local latency dropped records
  latency=$(grep -o 'p50 [0-9]* ms, p95 [0-9]* ms, p99 [0-9]* ms over [0-9]* records' "$tmp/$name.err" || echo "no latency line")
  dropped=$(grep -o 'dropped [0-9]* video frames' "$tmp/$name.err" | grep -o '[0-9]*' || echo "?")
  rows+=("| $name | $latency | $dropped |")
  echo "$name: $latency, dropped $dropped" >&2
}
EXTRA=()
live av-affect av-affect ffmpeg -nostdin -loglevel error -re -i "$V" -f nut -
live voice-affect voice-affect ffmpeg -nostdin -loglevel error -re -i "$S" -t 60 -f nut -
EXTRA=(--set eeg.rate=128 --set "eeg.labels=$LABELS")
live eeg-affect eeg-affect python3 Benchmarks/pace_eeg.py --seconds 60

peak() { # pipeline, then the producer command: peak RSS in MiB of the run as fast as it goes
  local pipeline=$1; shift
  "$@" 2>/dev/null | /usr/bin/time -f %M "$EMO" run "$pipeline" - 2> "$tmp/time.err" > /dev/null || true
  echo $(( $(tail -1 "$tmp/time.err") / 1024 ))
}
memory=()
voice10=$(peak voice-affect ffmpeg -nostdin -loglevel error -stream_loop 0 -i "$S" -f nut -)
voice120=$(peak voice-affect ffmpeg -nostdin -loglevel error -stream_loop 11 -i "$S" -f nut -)
memory+=("| voice-affect | $voice10 | $voice120 | $(python3 -c "print(f'{$voice120 / $voice10:.2f}')") |")
if [[ "${AV_LONG:-1}" != 0 ]]; then
  av10=$(peak av-affect ffmpeg -nostdin -loglevel error -stream_loop 9 -i "$V" -c copy -f nut -)
  av120=$(peak av-affect ffmpeg -nostdin -loglevel error -stream_loop 119 -i "$V" -c copy -f nut -)
  memory+=("| av-affect | $av10 | $av120 | $(python3 -c "print(f'{$av120 / $av10:.2f}')") |")
fi
{
  echo "# Live runs, $(date +%F) (2 cores; fed through a pipe at real-time pace)"
  echo
  echo "| pipeline | input-to-record latency | video frames shed |"
  echo "|---|---|---:|"
  printf '%s\n' "${rows[@]}"
  echo
  echo "Peak RSS (MiB) of a long live run through a pipe, as fast as it goes:"
  echo
  echo "| pipeline | 10 minutes | 2 hours | 2 h / 10 min |"
  echo "|---|---:|---:|---:|"
  printf '%s\n' "${memory[@]}"
} | tee "$ROOT/Benchmarks/results/$(date +%F)-live.md"
