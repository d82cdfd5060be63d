"""Reference FIR kernels for eeg.filter (zero-phase mode), made by MNE's create_filter with its
defaults (fir_design="firwin", phase="zero", automatic transition bands and length).
Writes Tests/EmoPipeEEGTests/Reference/eeg_filter_reference.json. Run with a Python that has mne
(e.g. /tmp/peervenv/bin/python scripts/reference/eeg_filter_reference.py)."""
import json
import os

import mne

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CASES = [(250.0, 1.0, 45.0), (128.0, 4.0, 30.0), (160.0, 1.0, None), (512.0, None, 40.0)]
out = {"mne": mne.__version__, "kernels": []}
for rate, low, high in CASES:
    taps = mne.filter.create_filter(None, rate, low, high, fir_design="firwin", phase="zero", verbose=False)
    out["kernels"].append({"rate": rate, "low_hz": low or 0.0, "high_hz": high or 0.0, "taps": [float(t) for t in taps]})
path = os.path.join(ROOT, "Tests", "EmoPipeEEGTests", "Reference", "eeg_filter_reference.json")
with open(path, "w") as f:
    json.dump(out, f)
print(f"wrote {path}: " + ", ".join(f"{k['rate']} Hz {k['low_hz']}-{k['high_hz']}: {len(k['taps'])} taps" for k in out["kernels"]))
