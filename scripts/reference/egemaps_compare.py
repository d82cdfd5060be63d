#!/usr/bin/env python3
"""Compare EmoPipe's eGeMAPS LLDs and functionals with openSMILE's eGeMAPSv02 on RAVDESS.

Runs `emopipe run Pipelines/voice-features.yaml` on each file and openSMILE (PyPI `opensmile`)
on the same file, smooths EmoPipe's LLDs as eGeMAPS does (3-frame moving average; non-zero
values only for the F0/voice/formant set), aligns frames by time (openSMILE stamps a frame at
its start; EmoPipe at its centre) and prints Pearson r per LLD over all frames (energy and
spectral LLDs) or over frames voiced in both (the rest), and r per functional across files.

    /tmp/peervenv/bin/python scripts/reference/egemaps_compare.py [--files N] [--emopipe PATH]
"""
import argparse, csv, glob, json, os, subprocess, sys, tempfile
import numpy as np
import opensmile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RAVDESS = os.path.join(ROOT, "..", "shared", "data", "speech", "ravdess")

# openSMILE LLD name -> (EmoPipe column, voiced-only, centre offset of openSMILE's frame in frames)
LLDS = {
    "Loudness_sma3": ("loudness", False, 1), "alphaRatio_sma3": ("alpha_ratio_db", False, 1),
    "hammarbergIndex_sma3": ("hammarberg_db", False, 1), "slope0-500_sma3": ("slope_0_500", False, 1),
    "slope500-1500_sma3": ("slope_500_1500", False, 1), "spectralFlux_sma3": ("flux", False, 1),
    "mfcc1_sma3": ("mfcc_1", False, 1), "mfcc2_sma3": ("mfcc_2", False, 1),
    "mfcc3_sma3": ("mfcc_3", False, 1), "mfcc4_sma3": ("mfcc_4", False, 1),
    "F0semitoneFrom27.5Hz_sma3nz": ("f0_semitone", True, 3), "jitterLocal_sma3nz": ("jitter_local", True, 3),
    "shimmerLocaldB_sma3nz": ("shimmer_local_db", True, 3), "HNRdBACF_sma3nz": ("hnr_db", True, 3),
    "logRelF0-H1-H2_sma3nz": ("h1_h2_db", True, 3), "logRelF0-H1-A3_sma3nz": ("h1_a3_db", True, 3),
    "F1frequency_sma3nz": ("f1_hz", True, 1), "F1bandwidth_sma3nz": ("f1_bandwidth_hz", True, 1),
    "F1amplitudeLogRelF0_sma3nz": ("f1_amplitude_db", True, 3), "F2frequency_sma3nz": ("f2_hz", True, 1),
    "F2bandwidth_sma3nz": ("f2_bandwidth_hz", True, 1), "F2amplitudeLogRelF0_sma3nz": ("f2_amplitude_db", True, 3),
    "F3frequency_sma3nz": ("f3_hz", True, 1), "F3bandwidth_sma3nz": ("f3_bandwidth_hz", True, 1),
    "F3amplitudeLogRelF0_sma3nz": ("f3_amplitude_db", True, 3),
}


def sma3(x, skip_zeros):
    out = np.zeros_like(x)
    for i in range(len(x)):
        if skip_zeros and x[i] == 0:
            continue
        window = x[max(0, i - 1):i + 2]
        if skip_zeros:
            window = window[window != 0]
        out[i] = window.mean()
    return out


def emopipe_llds(binary, path, out_dir):
    subprocess.run([binary, "run", os.path.join(ROOT, "Pipelines", "voice-features.yaml"), path, "-o", out_dir],
                   check=True, capture_output=True)
    stem = os.path.splitext(os.path.basename(path))[0]
    frames, summary = {}, None
    with open(os.path.join(out_dir, stem + ".jsonl")) as f:
        for line in f:
            record = json.loads(line)
            k = int(round(record["t"] / 0.01))
            frames.setdefault(k, {}).update({key: v for key, v in record.items() if key not in ("stream", "frame", "t")})
    with open(os.path.join(out_dir, stem + ".summary.jsonl")) as f:
        summary = json.loads(f.readline())
    n = max(frames) + 1
    columns = {}
    # Voicing from the pitch stream's F0 (audio.vad also writes a "voiced" column, by its own
    # autocorrelation test, into the same frames).
    voiced = np.array([frames.get(k, {}).get("f0_semitone", 0) > 0 for k in range(n)])
    for name, (ours, voiced_only, _) in LLDS.items():
        x = np.array([float(frames.get(k, {}).get(ours, 0)) for k in range(n)])
        if voiced_only:
            x = np.where(voiced, x, 0)
        columns[ours] = sma3(x, voiced_only)
    return columns, summary


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=0, help="first N files (0 = all)")
    parser.add_argument("--emopipe", default=os.path.join(ROOT, ".build", "release", "emopipe"))
    args = parser.parse_args()
    files = sorted(glob.glob(os.path.join(RAVDESS, "Actor_*", "*.flac")))
    if args.files:
        files = files[:args.files]
    lld = opensmile.Smile(feature_set=opensmile.FeatureSet.eGeMAPSv02, feature_level=opensmile.FeatureLevel.LowLevelDescriptors)
    func = opensmile.Smile(feature_set=opensmile.FeatureSet.eGeMAPSv02, feature_level=opensmile.FeatureLevel.Functionals)
    pairs = {name: ([], []) for name in LLDS}
    voicing = []
    functionals = {name: ([], []) for name in func.feature_names}
    with tempfile.TemporaryDirectory() as tmp:
        for path in files:
            ours, summary = emopipe_llds(args.emopipe, path, tmp)
            theirs = lld.process_file(path)
            f0_theirs = theirs["F0semitoneFrom27.5Hz_sma3nz"].to_numpy()
            for name, (column, voiced_only, offset) in LLDS.items():
                reference = theirs[name].to_numpy()
                n = min(len(reference), len(ours[column]) - offset)
                a, b = ours[column][offset:offset + n], reference[:n]
                if voiced_only:
                    keep = (a != 0) & (b != 0)
                    a, b = a[keep], b[keep]
                pairs[name][0].extend(a)
                pairs[name][1].extend(b)
            n = min(len(f0_theirs), len(ours["f0_semitone"]) - 3)
            voicing.append(np.mean((ours["f0_semitone"][3:3 + n] > 0) == (f0_theirs[:n] > 0)))
            reference = func.process_file(path).iloc[0]
            for name in func.feature_names:
                functionals[name][0].append(summary[name])
                functionals[name][1].append(reference[name])
    print(f"{len(files)} files; voicing agreement with openSMILE {np.mean(voicing):.3f}")
    print("LLD Pearson r (frames):")
    for name, (a, b) in pairs.items():
        print(f"  {name:32s} r = {np.corrcoef(a, b)[0, 1]:+.3f}  (n = {len(a)})")
    print("Functional Pearson r (across files):")
    for name, (a, b) in functionals.items():
        r = np.corrcoef(a, b)[0, 1] if np.std(a) > 0 and np.std(b) > 0 else float("nan")
        print(f"  {name:48s} r = {r:+.3f}")


if __name__ == "__main__":
    main()
