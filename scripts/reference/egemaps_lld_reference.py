#!/usr/bin/env python3
"""Writes Tests/EmoPipeAudioTests/Reference/egemaps_lld_reference.csv: openSMILE's eGeMAPSv02
LLDs (PyPI `opensmile`) for four RAVDESS utterances (two actors of each sex, four emotions),
the columns the LLD-agreement test checks. Frame k of openSMILE starts at k x 10 ms.

    /tmp/peervenv/bin/python scripts/reference/egemaps_lld_reference.py
"""
import os
import opensmile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FILES = ["Actor_01/03-01-05-02-01-01-01.flac", "Actor_02/03-01-03-02-01-01-02.flac",
         "Actor_11/03-01-04-02-01-01-11.flac", "Actor_14/03-01-06-02-01-01-14.flac"]
COLUMNS = ["Loudness_sma3", "alphaRatio_sma3", "hammarbergIndex_sma3", "slope0-500_sma3", "mfcc1_sma3", "mfcc2_sma3",
           "mfcc3_sma3", "mfcc4_sma3", "F0semitoneFrom27.5Hz_sma3nz", "HNRdBACF_sma3nz"]

smile = opensmile.Smile(feature_set=opensmile.FeatureSet.eGeMAPSv02, feature_level=opensmile.FeatureLevel.LowLevelDescriptors)
out = os.path.join(ROOT, "Tests", "EmoPipeAudioTests", "Reference", "egemaps_lld_reference.csv")
with open(out, "w") as f:
    f.write(f"# openSMILE {opensmile.__version__} eGeMAPSv02 LLDs of ../shared/data/speech/ravdess files\n")
    f.write("file,frame," + ",".join(COLUMNS) + "\n")
    for name in FILES:
        frame = smile.process_file(os.path.join(ROOT, "..", "shared", "data", "speech", "ravdess", name))
        for k, row in enumerate(frame[COLUMNS].itertuples(index=False)):
            f.write(f"{name},{k}," + ",".join(f"{v:.6g}" for v in row) + "\n")
print("wrote", out)

names = opensmile.Smile(feature_set=opensmile.FeatureSet.eGeMAPSv02, feature_level=opensmile.FeatureLevel.Functionals).feature_names
with open(os.path.join(ROOT, "Tests", "EmoPipeAudioTests", "Reference", "egemaps_functional_names.txt"), "w") as f:
    f.write("\n".join(names) + "\n")
print("wrote", len(names), "functional names")
