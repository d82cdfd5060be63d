"""Writes Fixtures/eeg.edf: a small EDF+C recording with known content (standard library only).

4 channels (EEG F3, F4, O1, O2; uV), 128 Hz, 10 one-second records, plus an annotation signal:
- every channel: a 6 Hz sine of 10 uV, and pseudo-random noise of 2 uV RMS (fixed seed);
- O1, O2: a 10 Hz alpha sine of 20 uV from 5 s on ("eyes closed" annotation at 5 s, 5 s long);
- F4 has 2x F3's alpha (from 5 s), so frontal alpha asymmetry ln(F4/F3) = ln 4 there;
- an annotation "start" at 0 s.
"""
import math
import os
import random

RATE, SECONDS = 128, 10
LABELS = ["EEG F3", "EEG F4", "EEG O1", "EEG O2"]
ALPHA = {"EEG F3": 5.0, "EEG F4": 10.0, "EEG O1": 20.0, "EEG O2": 20.0}
PHYS, DIG = 500.0, 32767
ANNOTATION_BYTES = 64  # 32 samples of the annotation signal per record

random.seed(7)
signals = []
for label in LABELS:
    values = []
    for n in range(RATE * SECONDS):
        t = n / RATE
        v = 10 * math.sin(2 * math.pi * 6 * t) + random.gauss(0, 2)
        if t >= 5:
            v += ALPHA[label] * math.sin(2 * math.pi * 10 * t)
        values.append(v)
    signals.append(values)


def field(text, width):
    return text.ljust(width)[:width].encode("ascii")


ns = len(LABELS) + 1
header = b"".join([
    field("0", 8), field("X X X X", 80), field("Startdate 01-JAN-2025 X X X", 80),
    field("01.01.25", 8), field("10.00.00", 8), field(str(256 * (ns + 1)), 8), field("EDF+C", 44),
    field(str(SECONDS), 8), field("1", 8), field(str(ns), 4),
])
labels = LABELS + ["EDF Annotations"]
columns = [
    [field(l, 16) for l in labels],
    [field("AgAgCl electrode", 80)] * len(LABELS) + [field("", 80)],
    [field("uV", 8)] * len(LABELS) + [field("", 8)],
    [field(str(-PHYS), 8)] * len(LABELS) + [field("-1", 8)],
    [field(str(PHYS), 8)] * len(LABELS) + [field("1", 8)],
    [field(str(-DIG - 1), 8)] * ns,
    [field(str(DIG), 8)] * ns,
    [field("HP:0.1Hz LP:75Hz", 80)] * len(LABELS) + [field("", 80)],
    [field(str(RATE), 8)] * len(LABELS) + [field(str(ANNOTATION_BYTES // 2), 8)],
    [field("", 32)] * ns,
]
header += b"".join(b"".join(column) for column in columns)
gain = PHYS * 2 / (2 * DIG + 1)
records = []
for second in range(SECONDS):
    record = b""
    for values in signals:
        for v in values[second * RATE:(second + 1) * RATE]:
            digital = max(-DIG - 1, min(DIG, round((v + PHYS) / gain) - DIG - 1))
            record += int(digital).to_bytes(2, "little", signed=True)
    tal = f"+{second}\x14\x14\x00".encode()
    if second == 0:
        tal += b"+0\x14start\x14\x00"
    if second == 5:
        tal += b"+5\x155\x14eyes closed\x14\x00"
    records.append(record + tal.ljust(ANNOTATION_BYTES, b"\x00"))
path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "eeg.edf")
with open(path, "wb") as f:
    f.write(header + b"".join(records))
