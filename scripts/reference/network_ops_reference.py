#!/usr/bin/env python3
"""A tiny random network that uses every operation of EmoPipe's network runtime, and its outputs
from onnxruntime, for Tests/EmoPipeNNTests (the runtime against a reference implementation).

    pip install numpy onnx onnxruntime
    python3 scripts/reference/network_ops_reference.py

Writes Tests/EmoPipeNNTests/Reference/ops/{graph.json,weights.safetensors} and
Tests/EmoPipeNNTests/Reference/ops-outputs.json. Covers: conv2d "valid", explicit and TensorFlow
"same" padding (odd and even sizes, stride 2), 1x1 convolution, depthwise convolution with bias,
max and average pooling with "same" padding, global average pooling, residual add, relu, relu6,
dense, softmax.
"""
import json
import os
import sys

import numpy as np
import onnxruntime

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "scripts", "models"))
import export_onnx  # noqa: E402
from safetensors_io import write_safetensors  # noqa: E402

OUT = os.path.join(ROOT, "Tests", "EmoPipeNNTests", "Reference")


def main():
    rng = np.random.default_rng(42)
    w = lambda *shape: rng.normal(0, 0.5, shape).astype(np.float32)
    tensors = {
        "c1.w": w(4, 2, 3, 3), "c1.b": w(4),
        "c2.w": w(6, 4, 3, 3), "c2.b": w(6),
        "dw.w": w(6, 1, 3, 3), "dw.b": w(6),
        "pw.w": w(6, 6, 1, 1),
        "skip.w": w(6, 4, 1, 1), "skip.b": w(6),
        "c3.w": w(5, 6, 2, 2),
        "d.w": w(3, 5), "d.b": w(3),
    }
    layers = [
        {"name": "c1", "op": "conv2d", "input": "image", "weight": "c1.w", "bias": "c1.b", "padding": "valid", "activation": "relu"},
        {"name": "c2", "op": "conv2d", "input": "c1", "weight": "c2.w", "bias": "c2.b", "stride": [2, 2], "padding": "same", "activation": "relu6"},
        {"name": "dw", "op": "depthwise_conv2d", "input": "c2", "weight": "dw.w", "bias": "dw.b", "padding": "same"},
        {"name": "pw", "op": "conv2d", "input": "dw", "weight": "pw.w", "activation": "relu"},
        {"name": "mp", "op": "max_pool", "input": "pw", "size": [3, 3], "stride": [2, 2], "padding": "same"},
        {"name": "skip", "op": "conv2d", "input": "c1", "weight": "skip.w", "bias": "skip.b", "stride": [4, 4], "padding": "same"},
        {"name": "sum", "op": "add", "inputs": ["mp", "skip"]},
        {"name": "ap", "op": "average_pool", "input": "sum", "size": [3, 3], "stride": [1, 1], "padding": "same"},
        {"name": "c3", "op": "conv2d", "input": "ap", "weight": "c3.w", "padding": [1, 0, 0, 1], "activation": "relu"},
        {"name": "gap", "op": "global_average_pool", "input": "c3"},
        {"name": "d", "op": "dense", "input": "gap", "weight": "d.w", "bias": "d.b"},
        {"name": "probabilities", "op": "softmax", "input": "d"},
    ]
    folder = os.path.join(OUT, "ops")
    os.makedirs(folder, exist_ok=True)
    write_safetensors(os.path.join(folder, "weights.safetensors"), tensors)
    graph = {"format": "emopipe-network/1", "name": "ops", "input": {"name": "image", "channels": 2, "height": 15, "width": 14},
             "output": "probabilities", "classes": ["a", "b", "c"],
             "preprocessing": {"color": "gray", "scale": 1, "offset": 0}, "layers": layers}
    with open(os.path.join(folder, "graph.json"), "w") as f:
        json.dump(graph, f, indent=1)
        f.write("\n")
    model = export_onnx.build(folder)
    session = onnxruntime.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    cases = []
    for _ in range(3):
        image = np.round(rng.uniform(-1, 1, (1, 2, 15, 14)), 3).astype(np.float32)
        out = session.run(None, {"image": image})[0][0]
        cases.append({"image": image.reshape(-1).tolist(), "probabilities": out.tolist()})
    with open(os.path.join(OUT, "ops-outputs.json"), "w") as f:
        json.dump({"generator": "scripts/reference/network_ops_reference.py (onnxruntime)", "cases": cases}, f)
    print(f"wrote {folder} and ops-outputs.json")


if __name__ == "__main__":
    main()
