"""Reference band powers for eeg.bands, computed with MNE (psd_array_welch).

Writes Tests/EmoPipeEEGTests/Reference/eeg_bands_reference.json. Run with a Python that has mne
(e.g. the benchmark venv: /tmp/peervenv/bin/python scripts/reference/eeg_bands_reference.py).
Input: ../shared/data/eeg/physionet-eegmmidb/S001R02.edf (64 ch, 160 Hz), first 20 s, channels
below. Band power = sum of PSD bins in [low, high) times the bin width, in uV^2, as in
../shared/bench/peers/peer_mne.py.
"""
import json
import os

import mne
import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EDF = os.path.join(ROOT, "..", "shared", "data", "eeg", "physionet-eegmmidb", "S001R02.edf")
CHANNELS = ["Fc5.", "C3..", "Cz..", "O1..", "Oz..", "O2..", "F3..", "F4.."]
BANDS = {"theta": (4, 8), "alpha": (8, 14), "beta": (14, 31), "gamma": (31, 49)}
CONFIGS = [
    # One Hann segment per 1 s window, 0.5 s hop (the peer benchmark's setup).
    {"name": "single_segment", "window_s": 1.0, "hop_s": 0.5, "segment_s": 1.0, "segment_overlap": 0.0, "nfft": 160},
    # Welch proper: 0.5 s segments overlapping by half in 2 s windows, zero-padded to 256 points.
    {"name": "welch_segments", "window_s": 2.0, "hop_s": 1.0, "segment_s": 0.5, "segment_overlap": 0.5, "nfft": 256},
]

raw = mne.io.read_raw_edf(EDF, preload=True, verbose=False)
fs = raw.info["sfreq"]
data = raw.get_data(picks=CHANNELS)[:, : int(20 * fs)]
out = {"file": "physionet-eegmmidb/S001R02.edf", "seconds": 20, "channels": CHANNELS, "bands": BANDS,
       "mne": mne.__version__, "configs": []}
for config in CONFIGS:
    window, hop = int(config["window_s"] * fs), int(config["hop_s"] * fs)
    segment = int(config["segment_s"] * fs)
    overlap = int(segment * config["segment_overlap"])
    rows = []
    for start in range(0, data.shape[1] - window + 1, hop):
        psd, freqs = mne.time_frequency.psd_array_welch(
            data[:, start:start + window], fs, n_fft=config["nfft"], n_per_seg=segment, n_overlap=overlap,
            window="hann", verbose=False)
        df = freqs[1] - freqs[0]
        powers = [[float(psd[c, (freqs >= lo) & (freqs < hi)].sum() * df * 1e12) for lo, hi in BANDS.values()]
                  for c in range(len(CHANNELS))]
        rows.append({"t": start / fs, "power_uV2": powers})
    out["configs"].append(config | {"windows": rows})
path = os.path.join(ROOT, "Tests", "EmoPipeEEGTests", "Reference", "eeg_bands_reference.json")
with open(path, "w") as f:
    json.dump(out, f, indent=1)
print(f"wrote {path}: " + ", ".join(f"{c['name']} {len(c['windows'])} windows" for c in out["configs"]))
