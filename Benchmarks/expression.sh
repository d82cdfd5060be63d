#!/usr/bin/env bash
# The network runtime and the pipelines that use it, in one run:
# - forward passes per second on one core (pinned, batch 1, 20 warm-up passes) of each shipped
#   network, EmoPipeNN (oneDNN) beside onnxruntime (PyPI) running the same weights as an ONNX file
#   (scripts/models/export_onnx.py): the face-expression network, and the voice encoder (3 LSTM
#   layers of 256; one pass = one 50-frame block, audio.encoder's block_frames);
# - voice-affect on the first 60 s of ../shared/bench's speech.wav, one core (taskset), and
#   av-affect on its video.mp4 (60 s, 640x480, 30 fps, one face, speech), 2 cores: x real time
#   and peak RSS, each with speech recognition off (`--set asr.recognise=never`, as with a
#   transcript or sidecar) and on (the default for recordings without words).
# - where libxnnpack-dev and libpthreadpool-dev are installed (not by install-deps.sh), the
#   face network's shape on XNNPACK (Benchmarks/xnnpack_face.c), the other library the choice
#   was between.
# Writes Benchmarks/results/<date>-expression.md. Environment: PASSES (default 3000), RUNS
# (default 3: the median run is reported), BENCHMEDIA.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
PASSES="${PASSES:-3000}"
python3 -c "import onnx, onnxruntime" 2>/dev/null || pip install -q onnx onnxruntime >&2
python3 scripts/models/export_onnx.py Models/face-expression "$tmp/face-expression.onnx" >&2
python3 scripts/models/export_onnx.py Models/voice-encoder "$tmp/voice-encoder.onnx" >&2
rate() { sed -n 's/.*: \([0-9.]*\) passes\/s.*/\1/p'; }
median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
native() { for _ in $(seq "$RUNS"); do taskset -c 0 "$EMO" network "$1" --time "$2" | rate; done | median; }
onnx() {
  for _ in $(seq "$RUNS"); do taskset -c 0 python3 - "$1" "$2" <<'PY'
import sys, time
import numpy as np, onnxruntime
options = onnxruntime.SessionOptions()
options.intra_op_num_threads = 1
options.inter_op_num_threads = 1
options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
session = onnxruntime.InferenceSession(sys.argv[1], options, providers=["CPUExecutionProvider"])
first = session.get_inputs()[0]
shape = [50, 1, first.shape[2]] if first.name == "frames" else [1] + list(first.shape[1:])
x = np.random.default_rng(0).uniform(-1, 1, shape).astype(np.float32)
for _ in range(20):
    session.run(None, {first.name: x})
n = int(sys.argv[2])
start = time.perf_counter()
for _ in range(n):
    session.run(None, {first.name: x})
print(n / (time.perf_counter() - start))
PY
  done | median
}
face=$(native face-expression "$PASSES")
face_onnx=$(onnx "$tmp/face-expression.onnx" "$PASSES")
voice=$(native voice-encoder $((PASSES / 5)))
voice_onnx=$(onnx "$tmp/voice-encoder.onnx" $((PASSES / 5)))
face_info=$("$EMO" network face-expression | sed -n 3p)
xnnpack=n/a
if [[ -f /usr/include/xnnpack.h && -f /usr/include/pthreadpool.h ]] && cc -O2 Benchmarks/xnnpack_face.c -lXNNPACK -o "$tmp/xnnpack_face" 2>/dev/null; then
  widths=$("$EMO" network face-expression | awk '$2 == "conv2d" { split($3, s, "x"); print s[1] }' | awk 'NR % 2 == 0' | tr '\n' ' ')
  xnnpack=$(for _ in $(seq "$RUNS"); do taskset -c 0 "$tmp/xnnpack_face" "$PASSES" $widths | rate; done | median)
fi

S60="$tmp/speech60.wav"
ffmpeg -nostdin -loglevel error -i "$MEDIA/speech.wav" -t 60 "$S60"
V="$MEDIA/video.mp4"
hyperfine --style none --warmup 1 --runs "$RUNS" --export-json "$tmp/pipelines.json" \
  -n voice_off "taskset -c 0 $EMO run voice-affect $S60 -o $tmp/o1 --force --set asr.recognise=never" \
  -n voice_on "taskset -c 0 $EMO run voice-affect $S60 -o $tmp/o2 --force" \
  -n av_off "$EMO run av-affect $V -o $tmp/o3 --force --set asr.recognise=never" \
  -n av_on "$EMO run av-affect $V -o $tmp/o4 --force" >&2
peak() { /usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -1; }
rss_voice_off=$(peak taskset -c 0 "$EMO" run voice-affect "$S60" -o "$tmp/r1" --force --set asr.recognise=never)
rss_voice_on=$(peak taskset -c 0 "$EMO" run voice-affect "$S60" -o "$tmp/r2" --force)
rss_av_off=$(peak "$EMO" run av-affect "$V" -o "$tmp/r3" --force --set asr.recognise=never)
rss_av_on=$(peak "$EMO" run av-affect "$V" -o "$tmp/r4" --force)
every=$("$EMO" stages face.expression | sed -n 's/^ *every (integer, default \([0-9]*\).*/\1/p')
ort=$(python3 -c "import onnxruntime; print(onnxruntime.__version__)")
dnnl=$(dpkg-query -W -f='${Version}' libdnnl-dev 2>/dev/null || echo unknown)
python3 - "$ROOT/Benchmarks/results" "$PASSES" "$face" "$face_onnx" "$voice" "$voice_onnx" "$face_info" "$tmp/pipelines.json" \
  "$rss_voice_off" "$rss_voice_on" "$rss_av_off" "$rss_av_on" "$ort" "$dnnl" "${every:-?}" "$xnnpack" <<'PY'
import datetime, json, sys
out, passes = sys.argv[1], sys.argv[2]
face, face_onnx, voice, voice_onnx = map(float, sys.argv[3:7])
face_info, pipelines = sys.argv[7], {r["command"]: r["median"] for r in json.load(open(sys.argv[8]))["results"]}
rss = dict(zip(["voice_off", "voice_on", "av_off", "av_on"], map(int, sys.argv[9:13])))
ort, dnnl, every, xnnpack = sys.argv[13:17]
rows = [("voice_off", "`taskset -c 0 emopipe run voice-affect speech60.wav --set asr.recognise=never`", "1 core"),
        ("voice_on", "`taskset -c 0 emopipe run voice-affect speech60.wav` (words recognised: the default without a transcript)", "1 core"),
        ("av_off", "`emopipe run av-affect video.mp4 --set asr.recognise=never`", "2 cores"),
        ("av_on", "`emopipe run av-affect video.mp4` (words recognised)", "2 cores")]
text = "\n".join([
    f"# Network runtime and pipelines, {datetime.date.today()}", "",
    f"Forward passes on one core (taskset -c 0, batch 1, {passes} face passes / {int(passes) // 5} encoder passes, median of runs);",
    f"EmoPipeNN on oneDNN {dnnl} (Debian), onnxruntime {ort} from PyPI on the same weights (ONNX by scripts/models/export_onnx.py).", "",
    "| network | EmoPipeNN passes/s | ms per pass | onnxruntime passes/s | EmoPipeNN / onnxruntime |", "|---|---:|---:|---:|---:|",
    f"| face-expression ({face_info}) | {face:.0f} | {1000 / face:.2f} | {face_onnx:.0f} | {face / face_onnx:.2f}x |",
    f"| voice-encoder (3 LSTM layers of 256, one 50-frame block) | {voice:.0f} | {1000 / voice:.2f} | {voice_onnx:.0f} | {voice / voice_onnx:.2f}x |", "",
    (f"XNNPACK (Debian's 2022 snapshot, NHWC, no thread pool) on the face network's convolutions and pooling, "
     f"random weights (Benchmarks/xnnpack_face.c): {float(xnnpack):.0f} passes/s, {float(xnnpack) / face_onnx:.2f}x onnxruntime; it has no LSTM." if xnnpack != "n/a"
     else "XNNPACK: not measured (libxnnpack-dev and libpthreadpool-dev not installed)."), "",
    f"Pipelines (speech60.wav: the first 60 s of speech.wav; video.mp4: 60 s, 640x480, 30 fps, one face; face.expression every {every} frame(s); median of runs):", "",
    "| command | cores | seconds | x real time | peak RSS (MiB) |", "|---|---|---:|---:|---:|",
] + [f"| {title} | {cores} | {pipelines[key]:.2f} | {60 / pipelines[key]:.1f} | {rss[key] / 1024:.0f} |" for key, title, cores in rows]) + "\n"
open(f"{out}/{datetime.date.today()}-expression.md", "w").write(text)
print(text)
PY
