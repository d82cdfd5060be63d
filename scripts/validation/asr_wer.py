#!/usr/bin/env python3
"""Word error rate of emopipe's recogniser (Pipelines/transcribe.yaml through `emopipe run`)
beside faster-whisper running the same Whisper tiny.en files with the same greedy decoding, on
the same audio in the same run: ../shared/data/speech/asr (real recorded English speech with
reference transcripts; read in place), per style (read, spontaneous) and per folder.

Both tools run on one core (taskset -c 0, one thread each); x real time = audio seconds /
wall seconds of the whole set (model loading included once per tool: emopipe runs the folder
as one batch, faster-whisper in one process).

Normalisation of reference and hypothesis alike: markup ([adif], <VOCNOISE>) dropped, lower
case, $ and % and numbers written as words, hyphens as spaces, other punctuation and
apostrophes removed, fillers (um, uh, hmm, mm, mhm) removed. WER = (substitutions + deletions +
insertions) / reference words, summed over the utterances of a group.

    scripts/validation/asr_wer.py [--binary .build/release/emopipe] [--data ../shared/data/speech/asr]
"""
import argparse
import csv
import json
import os
import re
import subprocess
import sys
import tempfile
import time

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
ONES = "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen".split()
TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()
FILLERS = {"um", "uh", "hmm", "mm", "mhm", "er", "ah", "uhm"}


def number_words(n):
    if n < 20:
        return ONES[n]
    if n < 100:
        return TENS[n // 10] + ("" if n % 10 == 0 else " " + ONES[n % 10])
    if n < 1000:
        return ONES[n // 100] + " hundred" + ("" if n % 100 == 0 else " " + number_words(n % 100))
    for size, name in ((10**9, "billion"), (10**6, "million"), (1000, "thousand")):
        if n >= size:
            return number_words(n // size) + " " + name + ("" if n % size == 0 else " " + number_words(n % size))
    return str(n)


def spoken_number(match):
    text = match.group(0).replace(",", "")
    whole, _, fraction = text.partition(".")
    words = number_words(int(whole)) if whole else "zero"
    if fraction:
        words += " point " + " ".join(ONES[int(d)] for d in fraction)
    return " " + words + " "


def normalise(text):
    text = re.sub(r"\[[^\]]*\]|<[^>]*>", " ", text)
    text = text.lower()
    text = re.sub(r"\$\s?([0-9][0-9,]*(?:\.[0-9]+)?)(\s*(?:million|billion|thousand))?", lambda m: m.group(1) + (m.group(2) or "") + " dollars", text)
    text = text.replace("%", " percent")
    text = re.sub(r"[0-9][0-9,]*(?:\.[0-9]+)?", spoken_number, text)
    text = text.replace("&", " and ").replace("-", " ")
    text = re.sub(r"[^a-z ]", "", text.replace("'", ""))
    return [w for w in text.split() if w not in FILLERS]


def edits(reference, hypothesis):
    previous = list(range(len(hypothesis) + 1))
    for i, word in enumerate(reference, 1):
        current = [i] + [0] * len(hypothesis)
        for j, other in enumerate(hypothesis, 1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (word != other))
        previous = current
    return previous[-1]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--binary", default=os.path.join(ROOT, ".build/release/emopipe"))
    parser.add_argument("--data", default=os.path.join(ROOT, "..", "shared", "data", "speech", "asr"))
    parser.add_argument("--python", default=sys.executable, help="a Python with faster-whisper")
    options = parser.parse_args()
    rows = list(csv.DictReader(open(os.path.join(options.data, "transcripts.csv"))))
    files = [os.path.join(options.data, row["file"]) for row in rows]
    work = tempfile.mkdtemp(prefix="emopipe-wer-")

    started = time.perf_counter()
    subprocess.run(["taskset", "-c", "0", options.binary, "run", os.path.join(ROOT, "Pipelines", "transcribe.yaml"), options.data,
                    "-o", os.path.join(work, "emopipe"), "--jobs", "1", "--force"], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    emopipe_seconds = time.perf_counter() - started
    hypotheses = {}
    for row in rows:
        path = os.path.join(work, "emopipe", os.path.splitext(row["file"])[0] + ".jsonl")
        lines = [json.loads(line) for line in open(path)] if os.path.exists(path) else []
        hypotheses[row["file"]] = " ".join(line["text"] for line in lines if line.get("stream") == "words")

    started = time.perf_counter()
    output = subprocess.run(["taskset", "-c", "0", options.python, os.path.join(ROOT, "scripts/reference/whisper_reference.py"), "transcribe"] + files,
                            check=True, capture_output=True, text=True, env=dict(os.environ, THREADS="1")).stdout
    peer_seconds = time.perf_counter() - started
    peer = {os.path.relpath(r["file"], options.data): r["text"] for r in map(json.loads, output.splitlines())}
    audio_seconds = sum(r["seconds"] for r in map(json.loads, output.splitlines()))

    groups = {}
    for row in rows:
        reference = normalise(row["text"])
        for group in ("all", row["style"], row["file"].split("/")[0]):
            entry = groups.setdefault(group, {"words": 0, "emopipe": 0, "faster-whisper": 0, "n": 0})
            entry["words"] += len(reference)
            entry["n"] += 1
            entry["emopipe"] += edits(reference, normalise(hypotheses[row["file"]]))
            entry["faster-whisper"] += edits(reference, normalise(peer[row["file"]]))
    same = sum(normalise(hypotheses[r["file"]]) == normalise(peer[r["file"]]) for r in rows)
    print(f"| group | utterances | reference words | WER emopipe | WER faster-whisper | difference |")
    print(f"|---|---|---|---|---|---|")
    for group in ["all", "read", "spontaneous"] + sorted(g for g in groups if g not in ("all", "read", "spontaneous")):
        e = groups[group]
        a, b = e["emopipe"] / e["words"], e["faster-whisper"] / e["words"]
        print(f"| {group} | {e['n']} | {e['words']} | {a:.3f} | {b:.3f} | {a - b:+.3f} |")
    print(f"\nidentical normalised transcripts: {same} of {len(rows)}")
    print(f"audio {audio_seconds:.1f} s; one core: emopipe {emopipe_seconds:.1f} s ({audio_seconds / emopipe_seconds:.1f}x real time), "
          f"faster-whisper {peer_seconds:.1f} s ({audio_seconds / peer_seconds:.1f}x real time)")


if __name__ == "__main__":
    main()
