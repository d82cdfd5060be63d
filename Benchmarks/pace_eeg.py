#!/usr/bin/env python3
"""Writes raw little-endian float32 EEG frames to standard output at real-time pace, as an
amplifier's stream would come: 32 channels (DEAP's 10-20 names, printed by --labels) at 128 Hz,
each a sum of one sine per band (theta 5-6, alpha 9-11, beta 16-26, gamma 33-42 Hz) plus noise,
in microvolts, sent in chunks of 1/16 s. Deterministic (seeded). --fast writes as fast as the
reader takes it. Used by Benchmarks/live.sh for eeg-affect on standard input."""
import argparse
import sys
import time

import numpy as np

LABELS = ["Fp1", "AF3", "F3", "F7", "FC5", "FC1", "C3", "T7", "CP5", "CP1", "P3", "P7", "PO3", "O1", "Oz", "Pz",
          "Fp2", "AF4", "Fz", "F4", "F8", "FC6", "FC2", "Cz", "C4", "T8", "CP6", "CP2", "P4", "P8", "PO4", "O2"]

parser = argparse.ArgumentParser()
parser.add_argument("--seconds", type=float, default=60)
parser.add_argument("--rate", type=int, default=128)
parser.add_argument("--fast", action="store_true")
parser.add_argument("--labels", action="store_true", help="print the channel labels (comma-separated) and exit")
args = parser.parse_args()
if args.labels:
    print(",".join(LABELS))
    sys.exit(0)
rng = np.random.default_rng(7)
frequencies = rng.uniform([5, 9, 16, 33], [6, 11, 26, 42], size=(len(LABELS), 4))
amplitudes = rng.uniform(2, 10, size=(len(LABELS), 4))
chunk = args.rate // 16
total = int(args.seconds * args.rate)
out = sys.stdout.buffer
start = time.monotonic()
for first in range(0, total, chunk):
    n = min(chunk, total - first)
    t = (first + np.arange(n)) / args.rate
    phases = 2 * np.pi * frequencies[None, :, :] * t[:, None, None]
    frames = (amplitudes[None] * np.sin(phases)).sum(axis=2) + rng.normal(0, 3, size=(n, len(LABELS)))
    try:
        out.write(frames.astype("<f4").tobytes())
        out.flush()
    except BrokenPipeError:
        break
    if not args.fast:
        delay = start + (first + n) / args.rate - time.monotonic()
        if delay > 0:
            time.sleep(delay)
