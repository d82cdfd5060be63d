#!/usr/bin/env python3
"""A/H from recognised words: BAH's train and val answers spoken by a Debian voice (espeak-ng),
recognised by voice-affect's default recogniser (Whisper tiny.en), and scored with BAH's metrics
(AP of the A/H class, macro-F1) beside the transcripts.

The BAH transcripts are research-only: this script reads them in place and writes the audio and
every derived table to a temporary folder (--work, removed unless --keep); nothing from them goes
into the repository.

1. Speech: each answer read by espeak-ng, the voice (en-us, en-gb, en-gb-x-rp, en-gb-scotland,
   en-gb-x-gbclan) and rate (150-180 words per minute) varying by person.
2. `emopipe run voice-affect` over the folder (its sink also writes the recognised words):
   recognised text per answer and its word error rate against the transcript.
3. Nested cross-validation by person (`emopipe train --task ah`, 5 person folds, the grid chosen
   inside each fold) on train + val: from transcripts, and from recognised words.
4. Held-out people: models fitted on the train split's people (from transcripts, and from
   recognised words) applied to the val split's 25 other people, on their transcripts and on their
   recognised words; and the val answers' recording A/H through voice-affect itself with each model.

    scripts/validation/bah_speech.py [--binary .build/release/emopipe] [--jobs 2] [--limit N]
"""
import argparse
import csv
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
BAH = os.path.join(ROOT, "..", "shared", "data", "ah", "bah")
VOICES = ["en-us", "en-gb", "en-gb-x-rp", "en-gb-scotland", "en-gb-x-gbclan"]

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from asr_wer import edits, normalise  # noqa: E402


def average_precision(labels, scores):
    order = sorted(range(len(scores)), key=lambda i: -scores[i])
    positives = sum(labels)
    hits, total = 0, 0.0
    for rank, index in enumerate(order, 1):
        if labels[index]:
            hits += 1
            total += hits / rank
    return total / max(positives, 1)


def macro_f1(labels, predicted):
    scores = []
    for positive in (0, 1):
        tp = sum(1 for l, p in zip(labels, predicted) if l == positive and p == positive)
        fp = sum(1 for l, p in zip(labels, predicted) if l != positive and p == positive)
        fn = sum(1 for l, p in zip(labels, predicted) if l == positive and p != positive)
        scores.append(2 * tp / max(2 * tp + fp + fn, 1))
    return sum(scores) / 2


def write_table(path, rows, text_key):
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "participant", "ah", "text"])
        for row in rows:
            writer.writerow([row["id"], row["participant"], row["ah"], row[text_key]])


def train(binary, table, model, log):
    started = time.perf_counter()
    subprocess.run([binary, "train", "--task", "ah", "--labels", table, "--label-column", "ah", "--text-column", "text",
                    "--group-column", "participant", "-o", model], check=True, stdout=log, stderr=log)
    with open(model) as handle:
        scores = json.load(handle)["provenance"]["scores"]
    return scores, time.perf_counter() - started


def score_text(binary, rows, text_key, model, work, name):
    """The text A/H model's score of each answer's text: text-affect over sidecar-free .txt
    transcripts, read from the recording records."""
    folder = os.path.join(work, "text-" + name)
    os.makedirs(folder, exist_ok=True)
    for row in rows:
        with open(os.path.join(folder, row["id"] + ".txt"), "w") as handle:
            handle.write(row[text_key] + "\n")
    out = os.path.join(work, "out-text-" + name)
    subprocess.run([binary, "run", "text-affect", folder, "-o", out, "--force", "--jobs", "2", "--set", "text_ah.model=" + model],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return [recording(os.path.join(out, row["id"] + ".jsonl")) for row in rows]


def recording(path):
    record = None
    if os.path.exists(path):
        for line in open(path):
            item = json.loads(line)
            if item.get("stream") == "recording":
                record = item
    return record


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--binary", default=os.path.join(ROOT, ".build/release/emopipe"))
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--limit", type=int, default=0, help="only the first N answers of each split (a quick look)")
    parser.add_argument("--work", help="working folder (default: a temporary one)")
    parser.add_argument("--keep", action="store_true", help="keep the working folder")
    options = parser.parse_args()
    work = options.work or tempfile.mkdtemp(prefix="emopipe-bah-speech-")
    os.makedirs(work, exist_ok=True)
    log = open(os.path.join(work, "log.txt"), "a")
    rows = []
    for split in ("train", "val"):
        table = list(csv.DictReader(open(os.path.join(BAH, split + ".csv"))))
        if options.limit:
            table = table[:options.limit]
        for index, row in enumerate(table):
            rows.append({"id": f"{split}_{index:04d}", "split": split, "participant": row["participant"], "ah": int(row["ah"]),
                         "transcript": row["transcript"]})
    people = sorted({row["participant"] for row in rows})

    # 1. Speech.
    audio = os.path.join(work, "audio")
    os.makedirs(audio, exist_ok=True)

    def speak(row):
        person = people.index(row["participant"])
        path = os.path.join(audio, row["id"] + ".wav")
        if not os.path.exists(path):
            subprocess.run(["espeak-ng", "-v", VOICES[person % len(VOICES)], "-s", str(150 + (person * 7) % 31), "-w", path + ".partial",
                            row["transcript"]], check=True, stdout=subprocess.DEVNULL)
            os.rename(path + ".partial", path)
        return float(subprocess.run(["soxi", "-D", path], check=True, capture_output=True, text=True).stdout)

    with ThreadPoolExecutor(options.jobs) as pool:
        seconds = sum(pool.map(speak, rows))
    print(f"{len(rows)} answers by {len(people)} people spoken: {seconds / 3600:.2f} h of audio", flush=True)

    # 2. voice-affect, with the recognised words written too.
    pipeline = open(os.path.join(ROOT, "Pipelines", "voice-affect.yaml")).read()
    pipeline = pipeline.replace("    in: [ah, recording]", "    in: [ah, recording, asr]")
    assert "[ah, recording, asr]" in pipeline
    with open(os.path.join(work, "voice-affect-words.yaml"), "w") as handle:
        handle.write(pipeline)
    out = os.path.join(work, "out-voice")
    started = time.perf_counter()
    subprocess.run([options.binary, "run", os.path.join(work, "voice-affect-words.yaml"), audio, "-o", out, "--jobs", str(options.jobs)],
                   check=True, stdout=log, stderr=log)
    elapsed = time.perf_counter() - started
    print(f"voice-affect with recognition: {elapsed:.0f} s for {seconds:.0f} s of audio ({seconds / elapsed:.1f}x real time, {options.jobs} jobs)", flush=True)
    errors = words = 0
    for row in rows:
        path = os.path.join(out, row["id"] + ".jsonl")
        lines = [json.loads(line) for line in open(path)]
        row["recognised"] = " ".join(line["text"] for line in lines if line.get("stream") == "asr")
        reference = normalise(row["transcript"])
        errors += edits(reference, normalise(row["recognised"]))
        words += len(reference)
    print(f"word error rate of the recognised answers: {errors / words:.3f} ({words} reference words)", flush=True)

    # 3. Nested person-fold cross-validation on train + val.
    results = {}
    plural = {"transcript": "transcripts", "recognised": "recognised words"}
    for key in ("transcript", "recognised"):
        table = os.path.join(work, f"table-{key}.csv")
        write_table(table, rows, key)
        scores, took = train(options.binary, table, os.path.join(work, f"model-all-{key}.json"), log)
        results[f"cv_{key}"] = scores
        print(f"nested person-fold CV, {plural[key]} ({len(rows)} answers, {len(people)} people): AP {scores['person_cv_ap_pooled']:.3f}, "
              f"macro-F1 {scores['person_cv_macro_f1_pooled']:.3f}, F1 A/H {scores['person_cv_f1_ah']:.3f}, F1 no A/H {scores['person_cv_f1_no_ah']:.3f} "
              f"(trained in {took:.0f} s)", flush=True)

    # 4. Held-out people: fit on train people, apply to val people.
    train_rows = [row for row in rows if row["split"] == "train"]
    val_rows = [row for row in rows if row["split"] == "val"]
    if val_rows and train_rows:
        labels = [row["ah"] for row in val_rows]
        print(f"\nheld-out people: fitted on {len({r['participant'] for r in train_rows})} train people, "
              f"scored on {len({r['participant'] for r in val_rows})} val people ({len(val_rows)} answers)")
        print("| model fitted on | scored on | AP (A/H) | macro-F1 |")
        print("|---|---|---|---|")
        for fitted in ("transcript", "recognised"):
            table = os.path.join(work, f"table-train-{fitted}.csv")
            write_table(table, train_rows, fitted)
            model = os.path.join(work, f"model-train-{fitted}.json")
            train(options.binary, table, model, log)
            for scored in ("transcript", "recognised"):
                records = score_text(options.binary, val_rows, scored, model, work, f"{fitted}-{scored}")
                ah = [r["ah"] if r else 0.0 for r in records]
                predicted = [r["ah_label"] if r else 0 for r in records]
                print(f"| {plural[fitted]} (text-affect) | {plural[scored]} | {average_precision(labels, ah):.3f} | {macro_f1(labels, predicted):.3f} |")
            # The whole default pipeline on the val speech with this model.
            val_audio = os.path.join(work, "audio-val")
            os.makedirs(val_audio, exist_ok=True)
            for row in val_rows:
                target = os.path.join(val_audio, row["id"] + ".wav")
                if not os.path.exists(target):
                    os.link(os.path.join(audio, row["id"] + ".wav"), target)
            out_val = os.path.join(work, f"out-voice-val-{fitted}")
            subprocess.run([options.binary, "run", "voice-affect", val_audio, "-o", out_val, "--force", "--jobs", str(options.jobs),
                            "--set", "text_ah.model=" + model], check=True, stdout=log, stderr=log)
            records = [recording(os.path.join(out_val, row["id"] + ".jsonl")) for row in val_rows]
            ah = [r["ah"] if r else 0.0 for r in records]
            predicted = [r["ah_label"] if r else 0 for r in records]
            print(f"| {plural[fitted]} (voice-affect, recording A/H) | speech | {average_precision(labels, ah):.3f} | {macro_f1(labels, predicted):.3f} |")
        lengths = [len(row["recognised"].split()) for row in val_rows]
        print(f"| (answer length alone) | recognised words | {average_precision(labels, lengths):.3f} | |")
    if not options.keep and not options.work:
        shutil.rmtree(work, ignore_errors=True)
    else:
        print(f"working folder: {work}")


if __name__ == "__main__":
    main()
