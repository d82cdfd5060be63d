#!/usr/bin/env bash
# The face-expression network's forward pass on one core, in one run: EmoPipe's native runtime
# (`emopipe network face-expression --time N`) linked against OpenBLAS and against the reference
# BLAS (the same binary; LD_LIBRARY_PATH picks the library), beside onnxruntime (PyPI) running the
# same network, its ONNX file built from the same weights by scripts/models/export_onnx.py. One
# thread each (OPENBLAS_NUM_THREADS=1, onnxruntime intra/inter-op 1), pinned to one core, batch 1,
# 20 warm-up passes. Also OpenBLAS with OPENBLAS_CORETYPE=SkylakeX (its AVX-512 kernels, which
# Debian 12's OpenBLAS 0.3.21 does not pick by itself on AMD CPUs with AVX-512). Writes
# Benchmarks/results/<date>-expression.md.
# Environment: PASSES (default 3000), RUNS (default 3: the median run is reported).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
PASSES="${PASSES:-3000}"
python3 -c "import onnx, onnxruntime" 2>/dev/null || pip install -q onnx onnxruntime >&2
python3 scripts/models/export_onnx.py Models/face-expression "$tmp/face-expression.onnx" >&2
reference_blas=/usr/lib/x86_64-linux-gnu/blas
rate() { sed -n 's/.*: \([0-9.]*\) passes\/s.*/\1/p'; }
median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
openblas=$(for _ in $(seq "$RUNS"); do OPENBLAS_NUM_THREADS=1 taskset -c 0 "$EMO" network face-expression --time "$PASSES" | rate; done | median)
skylakex=$(for _ in $(seq "$RUNS"); do OPENBLAS_CORETYPE=SkylakeX OPENBLAS_NUM_THREADS=1 taskset -c 0 "$EMO" network face-expression --time "$PASSES" | rate; done | median)
reference=n/a
if [[ -f $reference_blas/libblas.so.3 ]]; then
  reference=$(for _ in $(seq "$RUNS"); do LD_LIBRARY_PATH=$reference_blas taskset -c 0 "$EMO" network face-expression --time "$PASSES" | rate; done | median)
fi
onnx=$(for _ in $(seq "$RUNS"); do taskset -c 0 python3 - "$tmp/face-expression.onnx" "$PASSES" <<'PY'
import sys, time
import numpy as np, onnxruntime
options = onnxruntime.SessionOptions()
options.intra_op_num_threads = 1
options.inter_op_num_threads = 1
options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
session = onnxruntime.InferenceSession(sys.argv[1], options, providers=["CPUExecutionProvider"])
shape = [1] + [d for d in session.get_inputs()[0].shape[1:]]
x = np.random.default_rng(0).uniform(-1, 1, shape).astype(np.float32)
for _ in range(20):
    session.run(None, {"image": x})
n = int(sys.argv[2])
start = time.perf_counter()
for _ in range(n):
    session.run(None, {"image": x})
print(n / (time.perf_counter() - start))
PY
done | median)
info=$("$EMO" network face-expression | sed -n 3p)
blas=$(readlink -f /usr/lib/x86_64-linux-gnu/libblas.so.3)
ort=$(python3 -c "import onnxruntime; print(onnxruntime.__version__)")
python3 - "$openblas" "$reference" "$onnx" "$info" "$blas" "$ort" "$ROOT/Benchmarks/results" "$PASSES" "$skylakex" <<'PY'
import datetime, sys
openblas, reference, onnx, info, blas, ort, out, passes, skylakex = sys.argv[1:]
s = float(skylakex)
o, x = float(openblas), float(onnx)
r = f"{float(reference):.0f}" if reference != "n/a" else "n/a"
rr = f"{float(reference) / x:.2f}x" if reference != "n/a" else "n/a"
text = "\n".join([
    f"# face-expression forward pass, {datetime.date.today()} (one core, batch 1, {passes} passes, median of runs)", "",
    f"Network: {info}.", "",
    "| runtime | passes/s | ms per pass | vs onnxruntime |", "|---|---:|---:|---:|",
    f"| EmoPipeNN + OpenBLAS (OPENBLAS_NUM_THREADS=1) | {o:.0f} | {1000 / o:.2f} | {o / x:.2f}x |",
    f"| EmoPipeNN + OpenBLAS, OPENBLAS_CORETYPE=SkylakeX | {s:.0f} | {1000 / s:.2f} | {s / x:.2f}x |",
    f"| EmoPipeNN + reference BLAS (LD_LIBRARY_PATH={'/usr/lib/x86_64-linux-gnu/blas'}) | {r} | {1000 / float(reference):.2f} | {rr} |" if reference != "n/a" else "| EmoPipeNN + reference BLAS | n/a | | |",
    f"| onnxruntime {ort} (same weights, ONNX from scripts/models/export_onnx.py) | {x:.0f} | {1000 / x:.2f} | 1.00x |", "",
    f"libblas.so.3 resolves to {blas}.",
]) + "\n"
open(f"{out}/{datetime.date.today()}-expression.md", "w").write(text)
print(text)
PY
