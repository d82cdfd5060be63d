#!/usr/bin/env python3
"""Builds an ONNX file from an EmoPipe network (graph.json + weights.safetensors), the same weights
EmoPipe's native runtime reads, so onnxruntime can run the identical network beside it
(Benchmarks/expression.sh) and check it (--check). A recurrent encoder's folder (encoder.json,
e.g. Models/voice-encoder) becomes a chain of ONNX LSTM nodes, input "frames" [time, 1, inputs].

    pip install onnx onnxruntime numpy
    python3 scripts/models/export_onnx.py Models/face-expression /tmp/face-expression.onnx [--check]

Padding follows the graph's rules: "valid", "same" (TensorFlow's: the odd pixel at the end), or
explicit [top, left, bottom, right]; shapes are inferred from the input size, as the Swift
runtime does at load.
"""
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from safetensors_io import read_safetensors  # noqa: E402
import onnx
from onnx import TensorProto, helper, numpy_helper


def pads_for(padding, size, kernel, stride):
    if padding == "valid":
        return [0, 0, 0, 0]
    if padding == "same":
        result = []
        for s, k, st in zip(size, kernel, stride):
            out = -(-s // st)
            total = max((out - 1) * st + k - s, 0)
            result.append((total // 2, total - total // 2))
        return [result[0][0], result[1][0], result[0][1], result[1][1]]
    top, left, bottom, right = padding
    return [top, left, bottom, right]


def build(folder):
    graph = json.load(open(os.path.join(folder, "graph.json")))
    weights = read_safetensors(os.path.join(folder, "weights.safetensors"))
    spec = graph["input"]
    shapes = {spec["name"]: (spec["channels"], spec["height"], spec["width"])}
    nodes, initialisers = [], []
    used = set()

    def initialiser(name):
        if name not in used:
            used.add(name)
            initialisers.append(numpy_helper.from_array(weights[name].astype(np.float32), name))
        return name

    for layer in graph["layers"]:
        op, name = layer["op"], layer["name"]
        if op in ("conv2d", "depthwise_conv2d"):
            c, h, w = shapes[layer["input"]]
            kernel = weights[layer["weight"]]
            out_channels, _, kh, kw = kernel.shape
            stride = layer.get("stride", [1, 1])
            pads = pads_for(layer.get("padding", "valid"), (h, w), (kh, kw), stride)
            inputs = [layer["input"], initialiser(layer["weight"])]
            if "bias" in layer:
                inputs.append(initialiser(layer["bias"]))
            target = name + ".linear" if layer.get("activation") else name
            nodes.append(helper.make_node("Conv", inputs, [target], kernel_shape=[kh, kw], strides=stride, pads=pads,
                                          group=c if op == "depthwise_conv2d" else 1))
            if layer.get("activation") == "relu":
                nodes.append(helper.make_node("Relu", [target], [name]))
            elif layer.get("activation") == "relu6":
                nodes.append(helper.make_node("Clip", [target, initialiser_constant(initialisers, used, 0.0),
                                                       initialiser_constant(initialisers, used, 6.0)], [name]))
            oh = (h + pads[0] + pads[2] - kh) // stride[0] + 1
            ow = (w + pads[1] + pads[3] - kw) // stride[1] + 1
            shapes[name] = (c if op == "depthwise_conv2d" else out_channels, oh, ow)
        elif op in ("max_pool", "average_pool"):
            c, h, w = shapes[layer["input"]]
            size, stride = layer["size"], layer.get("stride", layer["size"])
            pads = pads_for(layer.get("padding", "valid"), (h, w), size, stride)
            kind = "MaxPool" if op == "max_pool" else "AveragePool"
            extra = {} if op == "max_pool" else {"count_include_pad": 0}
            nodes.append(helper.make_node(kind, [layer["input"]], [name], kernel_shape=size, strides=stride, pads=pads, **extra))
            shapes[name] = (c, (h + pads[0] + pads[2] - size[0]) // stride[0] + 1, (w + pads[1] + pads[3] - size[1]) // stride[1] + 1)
        elif op == "add":
            nodes.append(helper.make_node("Add", layer["inputs"], [name]))
            shapes[name] = shapes[layer["inputs"][0]]
        elif op == "relu":
            nodes.append(helper.make_node("Relu", [layer["input"]], [name]))
            shapes[name] = shapes[layer["input"]]
        elif op == "global_average_pool":
            nodes.append(helper.make_node("GlobalAveragePool", [layer["input"]], [name + ".4d"]))
            nodes.append(helper.make_node("Flatten", [name + ".4d"], [name], axis=1))
            shapes[name] = (shapes[layer["input"]][0],)
        elif op == "dense":
            nodes.append(helper.make_node("Gemm", [layer["input"], initialiser(layer["weight"]), initialiser(layer["bias"])],
                                          [name], transB=1))
            shapes[name] = (weights[layer["weight"]].shape[0],)
        elif op == "softmax":
            nodes.append(helper.make_node("Softmax", [layer["input"]], [name], axis=1))
            shapes[name] = shapes[layer["input"]]
        else:
            raise SystemExit(f"{folder}: layer {name}: op {op} has no ONNX mapping here")
    image = helper.make_tensor_value_info(spec["name"], TensorProto.FLOAT, ["batch", spec["channels"], spec["height"], spec["width"]])
    output = helper.make_tensor_value_info(graph["output"], TensorProto.FLOAT, ["batch", len(graph["classes"])])
    model = helper.make_model(helper.make_graph(nodes, graph["name"], [image], [output], initialisers),
                              opset_imports=[helper.make_opsetid("", 13)], producer_name="emopipe export_onnx.py")
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def initialiser_constant(initialisers, used, value):
    name = f"constant_{value}"
    if name not in used:
        used.add(name)
        initialisers.append(numpy_helper.from_array(np.array(value, dtype=np.float32), name))
    return name


def build_recurrent(folder):
    """PyTorch's LSTM weights (gates i, f, g, o) as ONNX LSTM nodes (gates i, o, f, c)."""
    description = json.load(open(os.path.join(folder, "encoder.json")))
    tensors = read_safetensors(os.path.join(folder, "weights.safetensors"))
    hidden, order = description["hidden"], [0, 3, 1, 2]

    def gates(matrix):
        return np.concatenate([matrix[g * hidden:(g + 1) * hidden] for g in order])[None]

    nodes, initialisers, previous = [], [], "frames"
    for layer in range(description["layers"]):
        w, r = gates(tensors[f"weight_ih_l{layer}"]), gates(tensors[f"weight_hh_l{layer}"])
        b = np.concatenate([gates(tensors[f"bias_ih_l{layer}"]), gates(tensors[f"bias_hh_l{layer}"])], axis=1)
        for name, value in (("W", w), ("R", r), ("B", b)):
            initialisers.append(numpy_helper.from_array(np.ascontiguousarray(value, dtype=np.float32), f"{name}{layer}"))
        nodes.append(helper.make_node("LSTM", [previous, f"W{layer}", f"R{layer}", f"B{layer}"], [f"y{layer}"], hidden_size=hidden))
        initialisers.append(numpy_helper.from_array(np.array([1], dtype=np.int64), f"axis{layer}"))
        nodes.append(helper.make_node("Squeeze", [f"y{layer}", f"axis{layer}"], [f"h{layer}"]))
        previous = f"h{layer}"
    graph = helper.make_graph(nodes, "voice-encoder",
                              [helper.make_tensor_value_info("frames", TensorProto.FLOAT, ["time", 1, description["inputs"]])],
                              [helper.make_tensor_value_info(previous, TensorProto.FLOAT, ["time", 1, hidden])], initialisers)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def main():
    if len(sys.argv) < 3:
        raise SystemExit(__doc__)
    folder, target = sys.argv[1], sys.argv[2]
    if os.path.exists(os.path.join(folder, "encoder.json")):
        onnx.save(build_recurrent(folder), target)
        print(f"wrote {target}")
        return
    model = build(folder)
    onnx.save(model, target)
    print(f"wrote {target}")
    if "--check" in sys.argv:
        import onnxruntime
        root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        reference = json.load(open(os.path.join(root, "Tests", "EmoPipeFaceTests", "Reference", "face-expression.json")))
        session = onnxruntime.InferenceSession(target, providers=["CPUExecutionProvider"])
        worst = 0.0
        for case in reference["cases"]:
            image = np.array(case["image"], dtype=np.float32).reshape(1, 1, reference["height"], reference["width"])
            got = session.run(None, {"image": image})[0][0]
            worst = max(worst, float(np.abs(got - np.array(case["probabilities"])).max()))
        print(f"onnxruntime against the training script's float64 reference of the stored weights: max |difference| {worst:.2e}")


if __name__ == "__main__":
    main()
