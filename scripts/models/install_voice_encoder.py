#!/usr/bin/env python3
"""Installs the voice encoder's weights into the model store (Models/voice-encoder/weights.safetensors).

The weights come from one wheel on PyPI, pinned and checked by sha256: Resemblyzer 0.1.4
(Apache-2.0), whose resemblyzer/pretrained.pt is Resemble AI's GE2E speaker encoder. This script
downloads the wheel with pip (`pip download --no-deps`), reads pretrained.pt (PyTorch's legacy
serialisation: pickles, then each storage's raw bytes) with the standard library, and writes the
three LSTM layers' float32 tensors byte for byte under PyTorch's names (`weight_ih_l0` ...). The
folder's encoder.json (what the network expects, provenance) and LICENSE (the wheel's
Apache-2.0 text) are in the repository; scripts/models/convert_voice_encoder.py wrote them and
the test reference (it needs torch).

Idempotent: when the weights already say they are this conversion of this wheel (their
safetensors metadata) it does nothing and touches no network. Run by scripts/install-deps.sh;
nothing downloads at run time.

    scripts/models/install_voice_encoder.py [--store Models] [--wheel path/to.whl] [--force]
"""
import collections
import json
import os
import pickle
import shutil
import struct
import sys
import tempfile
import zipfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pinned_wheel import check, metadata, run, sha256, write_safetensors  # noqa: E402

PACKAGE = "Resemblyzer"
VERSION = "0.1.4"
WHEEL = "Resemblyzer-0.1.4-py3-none-any.whl"
WHEEL_SHA256 = "8f12eb2f1a9982d32e8db7856de754709b59c93a77bcf0ff536584b619a9dd1f"
FOLDER = "voice-encoder"
CONVERTER = 1  # bump when the output changes: installed copies are then rewritten
LAYERS = 3

# Bytes per element of PyTorch's legacy storage classes (every storage is skipped or read by size).
STORAGE_WIDTHS = {"DoubleStorage": 8, "FloatStorage": 4, "HalfStorage": 2, "BFloat16Storage": 2, "LongStorage": 8,
                  "IntStorage": 4, "ShortStorage": 2, "CharStorage": 1, "ByteStorage": 1, "BoolStorage": 1}


class _Unpickler(pickle.Unpickler):
    """Builds tensors as (storage key, offset, shape, stride) records; refuses every class a
    state dict of tensors does not need, so the file cannot run code."""

    def find_class(self, module, name):
        if (module, name) == ("collections", "OrderedDict"):
            return collections.OrderedDict
        if (module, name) == ("torch._utils", "_rebuild_tensor_v2"):
            return lambda storage, offset, shape, stride, *rest: ("tensor", storage, offset, tuple(shape), tuple(stride))
        if module == "torch" and name in STORAGE_WIDTHS:
            return name
        raise pickle.UnpicklingError(f"{module}.{name} is not part of a tensor state dict")

    def persistent_load(self, pid):
        # ('storage', storage class, key, location, element count, view metadata)
        if not isinstance(pid, tuple) or len(pid) < 5 or pid[0] != "storage":
            raise pickle.UnpicklingError(f"unknown persistent id {pid!r}")
        return (pid[1], str(pid[2]), pid[4])


def read_legacy_torch(path):
    """The tensors of a PyTorch legacy-format file (torch.save before 1.6): magic number,
    protocol, system info, the object, the storage keys, then per key an 8-byte element count and
    the raw little-endian elements. Returns (object, {key: raw bytes}) with tensors in the object
    as ("tensor", (class, key, count), offset, shape, stride)."""
    with open(path, "rb") as handle:
        magic = pickle.load(handle)
        if magic != 0x1950A86A20F9469CFC6C:
            raise SystemExit(f"{path}: not a PyTorch legacy file (magic {magic!r})")
        protocol = pickle.load(handle)
        info = pickle.load(handle)
        if protocol != 1001 or not info.get("little_endian"):
            raise SystemExit(f"{path}: protocol {protocol}, {info}: this reader knows protocol 1001, little-endian")
        storages = {}

        class Recording(_Unpickler):
            def persistent_load(self, pid):
                kind, key, count = super().persistent_load(pid)
                storages[key] = (kind, count)
                return (kind, key, count)

        value = Recording(handle).load()
        raw = {}
        for key in pickle.load(handle):
            kind, count = storages[str(key)]
            stored = struct.unpack("<q", handle.read(8))[0]
            if stored != count:
                raise SystemExit(f"{path}: storage {key} holds {stored} elements, its tensors say {count}")
            data = handle.read(count * STORAGE_WIDTHS[kind])
            if len(data) != count * STORAGE_WIDTHS[kind]:
                raise SystemExit(f"{path}: storage {key} is truncated")
            raw[str(key)] = data
    return value, raw


def float32_tensor(record, raw, name):
    """The bytes of one contiguous float32 tensor record."""
    if not (isinstance(record, tuple) and record and record[0] == "tensor"):
        raise SystemExit(f"pretrained.pt: {name} is not a tensor")
    _, (kind, key, _), offset, shape, stride = record
    expected, step = [], 1
    for size in reversed(shape):
        expected.insert(0, step)
        step *= size
    if kind != "FloatStorage" or tuple(expected) != stride:
        raise SystemExit(f"pretrained.pt: {name} is {kind} with strides {stride}; a contiguous float32 tensor is expected")
    return list(shape), raw[key][4 * offset:4 * (offset + step)]


def convert(wheel, target):
    check(wheel, WHEEL_SHA256, f"{PACKAGE} {VERSION}")
    with open(os.path.join(target, "encoder.json")) as handle:
        description = json.load(handle)
    work = tempfile.mkdtemp(prefix="emopipe-voice-encoder-")
    try:
        with zipfile.ZipFile(wheel) as archive:
            archive.extract("resemblyzer/pretrained.pt", work)
        source = os.path.join(work, "resemblyzer", "pretrained.pt")
        # encoder.json names the pretrained.pt the estimators were trained on: the same file or nothing.
        digest = sha256(source)
        if digest not in description["provenance"]["source"]:
            raise SystemExit(f"{wheel}: pretrained.pt has sha256 {digest}; {target}/encoder.json was written from another")
        value, raw = read_legacy_torch(source)
        state = value["model_state"]
        tensors = {}
        for layer in range(LAYERS):
            for kind in ["weight_ih", "weight_hh", "bias_ih", "bias_hh"]:
                name = f"{kind}_l{layer}"
                shape, data = float32_tensor(state[f"lstm.{name}"], raw, name)
                tensors[name] = ("F32", shape, data)
        hidden, inputs = description["hidden"], description["inputs"]
        if tensors["weight_ih_l0"][1] != [4 * hidden, inputs] or tensors["weight_hh_l2"][1] != [4 * hidden, hidden]:
            raise SystemExit(f"pretrained.pt: LSTM shapes {tensors['weight_ih_l0'][1]} do not match encoder.json")
        stamp = {"format": "emopipe-recurrent/1", "source_sha256": WHEEL_SHA256, "converter": str(CONVERTER)}
        staging = os.path.join(target, "weights.safetensors.partial")
        write_safetensors(staging, tensors, stamp)
        os.replace(staging, os.path.join(target, "weights.safetensors"))
    finally:
        shutil.rmtree(work, ignore_errors=True)


def installed(target):
    meta = metadata(os.path.join(target, "weights.safetensors")) or {}
    return meta.get("source_sha256") == WHEEL_SHA256 and meta.get("converter") == str(CONVERTER)


def main():
    run(__doc__, "install_voice_encoder", FOLDER, PACKAGE, VERSION, WHEEL, convert, installed, required="encoder.json")


if __name__ == "__main__":
    main()
