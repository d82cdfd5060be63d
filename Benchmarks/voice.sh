#!/usr/bin/env bash
# Voice features beside openSMILE and librosa, one core each (taskset), same inputs, one run:
#   emopipe Benchmarks/voice-lld.yaml vs openSMILE eGeMAPSv02 LLDs   (600 s, 16 kHz speech.wav)
#   emopipe Pipelines/voice-affect.yaml (the whole voice estimate)   (same file)
#   emopipe Benchmarks/logmel.yaml    vs librosa melspectrogram+mfcc (same file)
#   emopipe Benchmarks/pitch.yaml     vs librosa.pyin                (its first 60 s)
# and the LLD run's parts alone (decode-audio, voice-lld-spectral, voice-lld-f0, voice-lld-pitch).
# Writes Benchmarks/results/<date>-voice.md. Environment: RUNS (default 3), BENCHMEDIA, PEERVENV.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
SPEECH="$MEDIA/speech.wav"
EXCERPT="$tmp/speech-60s.wav"
ffmpeg -nostdin -loglevel error -i "$SPEECH" -t 60 -c copy "$EXCERPT"
one="taskset -c 0"
hyperfine --style none --warmup 1 --runs "$RUNS" --export-json "$tmp/voice.json" \
  -n emopipe_voice_lld "$one $EMO run Benchmarks/voice-lld.yaml $SPEECH" \
  -n emopipe_voice_affect "$one $EMO run Pipelines/voice-affect.yaml $SPEECH" \
  -n emopipe_logmel "$one $EMO run Benchmarks/logmel.yaml $SPEECH" \
  -n emopipe_pitch_60s "$one $EMO run Benchmarks/pitch.yaml $EXCERPT" \
  -n part_decode "$one $EMO run Benchmarks/decode-audio.yaml $SPEECH" \
  -n part_spectral "$one $EMO run Benchmarks/voice-lld-spectral.yaml $SPEECH" \
  -n part_f0 "$one $EMO run Benchmarks/voice-lld-f0.yaml $SPEECH" \
  -n part_pitch "$one $EMO run Benchmarks/voice-lld-pitch.yaml $SPEECH" >&2
$one "$PY" Benchmarks/voice_peers.py "$SPEECH" "$EXCERPT" "$RUNS" > "$tmp/peers.json"
rss=$(/usr/bin/time -f %M $one "$EMO" run Benchmarks/voice-lld.yaml "$SPEECH" 2>&1 >/dev/null | tail -1)
python3 - "$tmp/voice.json" "$tmp/peers.json" "$rss" "$ROOT/Benchmarks/results" <<'PY'
import json, sys, datetime
ours = {r["command"]: r["median"] for r in json.load(open(sys.argv[1]))["results"]}
peers = json.load(open(sys.argv[2])); rss = int(sys.argv[3]); audio, excerpt = peers["audio_s"], peers["excerpt_s"]
rows = [
    ("EmoPipe eGeMAPS-class LLDs (`Benchmarks/voice-lld.yaml`)", ours["emopipe_voice_lld"], audio),
    ("openSMILE eGeMAPSv02 LLDs (`opensmile` PyPI)", peers["opensmile_egemaps_lld_s"], audio),
    ("EmoPipe voice-affect: the LLDs, functionals over 3 s windows every 0.5 s, the voice model, fusion, A/H, recording record (`Pipelines/voice-affect.yaml`)", ours["emopipe_voice_affect"], audio),
    ("EmoPipe log-mel 64 + MFCC 13 (`Benchmarks/logmel.yaml`)", ours["emopipe_logmel"], audio),
    ("librosa melspectrogram + mfcc", peers["librosa_logmel_mfcc_s"], audio),
    ("EmoPipe F0 (`Benchmarks/pitch.yaml`, first 60 s)", ours["emopipe_pitch_60s"], excerpt),
    ("librosa.pyin (first 60 s)", peers["librosa_pyin_excerpt_s"], excerpt),
]
lines = [f"# Voice features, {datetime.date.today()} (one core each, median of runs; pyin once)", "",
         "| command | seconds | x real time |", "|---|---:|---:|"]
lines += [f"| {name} | {seconds:.2f} | {length / seconds:.0f} |" for name, seconds, length in rows]
lines += ["", f"- LLDs: EmoPipe / openSMILE speed ratio {peers['opensmile_egemaps_lld_s'] / ours['emopipe_voice_lld']:.1f}x",
          f"- log-mel + MFCC: EmoPipe / librosa {peers['librosa_logmel_mfcc_s'] / ours['emopipe_logmel']:.1f}x",
          f"- F0: EmoPipe / librosa.pyin {peers['librosa_pyin_excerpt_s'] / ours['emopipe_pitch_60s']:.1f}x",
          f"- EmoPipe timings include decoding; peak RSS of the LLD run {rss / 1024:.0f} MiB", "",
          "Parts of the LLD run alone (one core, seconds; each includes decoding and start-up; its own cost is less decoding, or for voice quality and formants less the F0-only run):", "",
          "| part | seconds | its own cost |", "|---|---:|---:|"]
parts = [("decoding and start-up (`decode-audio.yaml`)", ours["part_decode"], ours["part_decode"]),
         ("`audio.spectral` (`voice-lld-spectral.yaml`)", ours["part_spectral"], ours["part_spectral"] - ours["part_decode"]),
         ("`audio.pitch`, F0 only (`voice-lld-f0.yaml`)", ours["part_f0"], ours["part_f0"] - ours["part_decode"]),
         ("`audio.pitch` with voice quality and formants (`voice-lld-pitch.yaml`)", ours["part_pitch"], ours["part_pitch"] - ours["part_f0"])]
lines += [f"| {name} | {seconds:.2f} | {extra:.2f} |" for name, seconds, extra in parts]
text = "\n".join(lines) + "\n"
open(f"{sys.argv[4]}/{datetime.date.today()}-voice.md", "w").write(text)
print(text)
PY
