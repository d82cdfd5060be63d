#!/usr/bin/env python3
"""Converts VADER's word lexicon (the vaderSentiment package on PyPI, MIT licence) into
Models/lexicons/vader.tsv: one `token<TAB>valence` line per entry (valence in VADER's -4..4 scale),
after a header of `#` lines with provenance and licence. Run once by a developer:

    pip install vaderSentiment==3.3.2
    python3 scripts/models/convert_vader.py

The booster, negation and special-case lists of VADER's rules are short and live in
Sources/EmoPipeFusion/SentimentScorer.swift with the same attribution.
"""
import os
import sys

import vaderSentiment
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
out = os.path.join(root, "Models", "lexicons", "vader.tsv")
version = getattr(vaderSentiment, "__version__", None)
try:
    from importlib.metadata import version as package_version
    version = package_version("vaderSentiment")
except Exception:
    pass
lexicon = SentimentIntensityAnalyzer().lexicon
with open(out, "w", encoding="utf-8", newline="\n") as f:
    f.write("# VADER sentiment lexicon (Hutto & Gilbert, ICWSM 2014), from the vaderSentiment package %s on PyPI.\n" % version)
    f.write("# Licence: MIT, Copyright (c) 2016 C.J. Hutto. Converted by scripts/models/convert_vader.py.\n")
    f.write("# token<TAB>mean valence rating on -4..4 (10 raters); %d entries.\n" % len(lexicon))
    for token in sorted(lexicon):
        if "\t" in token or "\n" in token:
            sys.exit("unexpected token %r" % token)
        f.write("%s\t%s\n" % (token, repr(float(lexicon[token]))))
print("wrote %s (%d entries)" % (out, len(lexicon)))
