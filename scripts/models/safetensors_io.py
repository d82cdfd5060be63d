"""Reading and writing safetensors files (float32, and float16 where asked) for EmoPipe's model
scripts: an 8-byte little-endian header length, a JSON header (dtype, shape, byte range per
tensor), the raw data. Float16 tensors are read back widened to float32, as EmoPipeNN reads them."""
import json
import struct

import numpy as np


def write_safetensors(path, tensors, half=()):
    """Writes `tensors` (name -> array) as float32, those named in `half` as float16."""
    header, offset, blobs = {}, 0, []
    for name in sorted(tensors):
        dtype = "F16" if name in half else "F32"
        data = np.ascontiguousarray(tensors[name], dtype="<f2" if dtype == "F16" else "<f4").tobytes()
        header[name] = {"dtype": dtype, "shape": list(np.shape(tensors[name])), "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)


def read_safetensors(path):
    with open(path, "rb") as f:
        (length,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(length))
        data = f.read()
    tensors = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        start, end = entry["data_offsets"]
        kind = {"F32": "<f4", "F16": "<f2"}[entry["dtype"]]
        tensors[name] = np.frombuffer(data[start:end], dtype=kind).astype(np.float32).reshape(entry["shape"])
    return tensors
