#!/usr/bin/env python3
"""Reference for `emopipe eval`'s metrics: a random labelled example (fixed seed) and
scikit-learn's metrics on it, written to Tests/EmoPipeFusionTests/Reference/.

  eval_example.csv   task,truth,predicted,score  (task 'emotion': 7 classes; task 'ah': 0/1 with a score)
  eval_metrics_reference.json  accuracy, macro/weighted F1, per-class F1, UAR, confusion, AP

Run: /tmp/peervenv/bin/python scripts/reference/eval_metrics_reference.py (needs numpy, scikit-learn).
"""
import csv
import json
import os

import numpy as np
import sklearn
from sklearn import metrics

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "Tests", "EmoPipeFusionTests", "Reference")
CLASSES = ["neutral", "anger", "disgust", "fear", "happiness", "sadness", "surprise"]

rng = np.random.default_rng(20261127)
n = 300
truth = rng.integers(0, 7, n)
# Right about half the time, otherwise a random class (some classes never predicted).
predicted = np.where(rng.random(n) < 0.5, truth, rng.choice([0, 1, 2, 4, 5], n))
ah_truth = (rng.random(n) < 0.3).astype(int)
ah_score = np.clip(0.35 * ah_truth + rng.random(n) * 0.7, 0, 1).round(3)
ah_score[:20] = 0.5  # ties
ah_pred = (ah_score >= 0.5).astype(int)

with open(os.path.join(OUT, "eval_example.csv"), "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["task", "truth", "predicted", "score"])
    for t, p in zip(truth, predicted):
        w.writerow(["emotion", CLASSES[t], CLASSES[p], ""])
    for t, p, s in zip(ah_truth, ah_pred, ah_score):
        w.writerow(["ah", int(t), int(p), f"{s:.3f}"])


def report(y, yhat, labels):
    return {
        "accuracy": metrics.accuracy_score(y, yhat),
        "macro_f1": metrics.f1_score(y, yhat, labels=labels, average="macro", zero_division=0),
        "weighted_f1": metrics.f1_score(y, yhat, labels=labels, average="weighted", zero_division=0),
        "per_class_f1": list(metrics.f1_score(y, yhat, labels=labels, average=None, zero_division=0)),
        "uar": metrics.recall_score(y, yhat, labels=labels, average="macro", zero_division=0),
        "confusion": metrics.confusion_matrix(y, yhat, labels=labels).tolist(),
    }


emotion = report([CLASSES[t] for t in truth], [CLASSES[p] for p in predicted], CLASSES)
ah = report(ah_truth, ah_pred, [0, 1])
ah["average_precision"] = metrics.average_precision_score(ah_truth, ah_score)
json.dump({"sklearn": sklearn.__version__, "emotion": emotion, "ah": ah},
          open(os.path.join(OUT, "eval_metrics_reference.json"), "w"), indent=1)
print("wrote", OUT)
