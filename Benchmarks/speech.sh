#!/usr/bin/env bash
# Speech recognition in the defaults, in one run (release build, ../shared/bench's inputs):
# - av-affect on video.mp4 (60 s, 640x480, 30 fps, one face, speech) with recognition (the
#   default: no sidecar transcript) and without it (--set asr.recognise=never), both cores:
#   x real time and peak RSS;
# - voice-affect on the first 60 s of speech.wav likewise;
# - the recogniser alone on one core (taskset -c 0): Pipelines/transcribe.yaml beside
#   faster-whisper running the same Whisper tiny.en files with greedy decoding on the same audio
#   (scripts/reference/whisper_reference.py, one thread), model loading included;
# - live: voice-affect with its words written, fed through a pipe at real-time pace
#   (ffmpeg -re), --latency: records (emotion rows) from their time stamp, words from the end of
#   their segment, p50/p95/p99.
# Writes Benchmarks/results/<date>-speech.md. Environment: RUNS (default 3), BENCHMEDIA, PEERVENV
# (a Python with faster-whisper; default: python3 when it has it).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
BENCHMEDIA="$MEDIA" bash "$SHARED/bench/make_media.sh" >&2
V="$MEDIA/video.mp4" S="$MEDIA/speech.wav"
ffmpeg -nostdin -loglevel error -y -i "$S" -t 60 -ar 16000 -ac 1 "$tmp/speech60.wav"
FW="$PY"
"$FW" -c "import faster_whisper" 2>/dev/null || FW=python3
"$FW" -c "import faster_whisper" || { echo "speech.sh: needs faster-whisper (pip install faster-whisper) in PEERVENV or python3" >&2; exit 1; }

hyperfine --style none --warmup 1 --runs "$RUNS" --export-json "$tmp/speech.json" \
  -n av_affect "$EMO run av-affect $V -o $tmp/o1 --force" \
  -n av_affect_no_asr "$EMO run av-affect $V -o $tmp/o2 --force --set asr.recognise=never" \
  -n voice_affect "$EMO run voice-affect $tmp/speech60.wav -o $tmp/o3 --force" \
  -n voice_affect_no_asr "$EMO run voice-affect $tmp/speech60.wav -o $tmp/o4 --force --set asr.recognise=never" \
  -n transcribe_one_core "taskset -c 0 $EMO run transcribe $tmp/speech60.wav -o $tmp/o5 --force" \
  -n faster_whisper_one_core "taskset -c 0 env THREADS=1 $FW scripts/reference/whisper_reference.py transcribe $tmp/speech60.wav" >&2
rss() { /usr/bin/time -f %M "$EMO" run "$@" 2>&1 >/dev/null | tail -1; }
rss_av=$(rss av-affect "$V" -o "$tmp/r1" --force)
rss_av_off=$(rss av-affect "$V" -o "$tmp/r2" --force --set asr.recognise=never)
rss_voice=$(rss voice-affect "$tmp/speech60.wav" -o "$tmp/r3" --force)
words=$(grep -c '"stream":"words"' "$tmp/o5/speech60.jsonl" || true)

# Live: voice-affect with the recognised words in its output, at real-time pace.
sed 's/    in: \[ah, recording\]/    in: [ah, recording, asr]/' Pipelines/voice-affect.yaml > "$tmp/voice-words.yaml"
grep -q 'in: \[ah, recording, asr\]' "$tmp/voice-words.yaml"
ffmpeg -nostdin -loglevel error -re -i "$tmp/speech60.wav" -f nut - 2>/dev/null \
  | "$EMO" run "$tmp/voice-words.yaml" - --latency --realtime > "$tmp/live.jsonl" 2> "$tmp/live.err" || true
live=$(grep -o 'latency .*' "$tmp/live.err" || echo "no latency line: $(tail -2 "$tmp/live.err")")

python3 - "$tmp/speech.json" "$rss_av" "$rss_av_off" "$rss_voice" "$words" "$live" "$ROOT/Benchmarks/results" <<'PY'
import datetime, json, sys
results = {r["command"]: r["median"] for r in json.load(open(sys.argv[1]))["results"]}
rss_av, rss_av_off, rss_voice, words, live, out = int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5], sys.argv[6], sys.argv[7]
rows = [
    ("av_affect", "`emopipe run av-affect video.mp4` (recognition on: the default)", "2 cores", rss_av),
    ("av_affect_no_asr", "the same, `--set asr.recognise=never`", "2 cores", rss_av_off),
    ("voice_affect", "`emopipe run voice-affect speech60.wav` (recognition on)", "2 cores", rss_voice),
    ("voice_affect_no_asr", "the same, `--set asr.recognise=never`", "2 cores", None),
    ("transcribe_one_core", "`emopipe run transcribe speech60.wav` (Whisper tiny.en, greedy)", "1 core", None),
    ("faster_whisper_one_core", "faster-whisper, same model files, greedy, 1 thread", "1 core", None),
]
lines = [f"# Speech recognition in the defaults, {datetime.date.today()} (video.mp4 60 s; speech60.wav: the first 60 s of speech.wav; median of runs)", "",
         "| command | cores | seconds | x real time | peak RSS (MiB) |", "|---|---|---:|---:|---:|"]
for key, label, cores, rss in rows:
    seconds = results[key]
    lines.append(f"| {label} | {cores} | {seconds:.2f} | {60 / seconds:.1f} | {'' if rss is None else f'{rss / 1024:.0f}'} |")
lines += ["", f"- recognised segments in speech60.wav: {words}",
          f"- live voice-affect with words, through a pipe at real-time pace: {live}"]
text = "\n".join(lines) + "\n"
open(f"{out}/{datetime.date.today()}-speech.md", "w").write(text)
print(text)
PY
