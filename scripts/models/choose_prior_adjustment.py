#!/usr/bin/env python3
"""Scores face-expression checkpoints on the watch faces (training faces the network never
trained on; never PublicTest) with the mirror average, for each logit adjustment tau (the log
class prior times tau taken off the logits), and prints accuracy, mean per-class recall and
per-class recall. How PRIOR_ADJUSTMENT in train_face_expression.py, and the checkpoint shipped,
were chosen:

    python3 scripts/models/choose_prior_adjustment.py /tmp/face-expression-checkpoint.pt [more.pt ...]
"""
import json
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import train_face_expression as training  # noqa: E402


def main():
    if len(sys.argv) < 2:
        raise SystemExit(__doc__)
    images, labels, votes = training.load_faces(os.path.join(training.ROOT, "..", "shared", "data", "faces", "fer2013"))
    print("per-class recall in the order " + ", ".join(training.CLASSES))
    for checkpoint in sys.argv[1:]:
        settings = json.load(open(checkpoint + ".log.json"))["settings"]
        watch, train = training.split(len(labels), settings["watch"])
        x = torch.from_numpy(images[watch]).float().div(255).mul(2).sub(1).unsqueeze(1)
        y = labels[watch]
        prior = training.soft_targets(labels, votes, settings["ferplus_weight"])[train].mean(0)
        model = training.Network(settings["widths"])
        model.load_state_dict(torch.load(checkpoint))
        model.eval()
        with torch.no_grad():
            p = ((F.softmax(model(x), 1) + F.softmax(model(torch.flip(x, dims=[3])), 1)) / 2).numpy()
        for tau in (0, 0.25, 0.5, 0.75, 1.0):
            predicted = (p / prior ** tau).argmax(1)
            recall = [(predicted[y == c] == c).mean() for c in range(len(training.CLASSES))]
            print(f"{os.path.basename(checkpoint)} tau {tau:.2f}: accuracy {(predicted == y).mean():.3f}, "
                  f"mean recall {np.mean(recall):.3f} ({' '.join(f'{r:.2f}' for r in recall)})")


if __name__ == "__main__":
    main()
