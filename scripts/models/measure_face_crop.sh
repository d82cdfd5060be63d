#!/usr/bin/env bash
# Measures where FER2013's training faces have their eyes (the crop face.expression must cut to
# feed the expression network as it was trained): runs EmoPipe's face-features pipeline on every
# 10th training face (stills: detected with a border when the face fills the image) and prints
# the median eye-centre midpoint and distance in 48x48 pixels (pixel centres at integers).
#   scripts/models/measure_face_crop.sh [../shared/data/faces/fer2013] [.build/release/emopipe]
# The numbers go into scripts/models/train_face_expression.py (ALIGNMENT).
set -euo pipefail
data=${1:-../shared/data/faces/fer2013}
emopipe=${2:-.build/release/emopipe}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/faces"
tr -d '\r' < "$data/labels.csv" | awk -F, 'NR > 1 && $3 == "train" && NR % 10 == 0 {print $1}' | while read -r file; do
  ln -s "$(cd "$data" && pwd)/$file" "$work/faces/$(basename "$file")"
done
"$emopipe" run face-features "$work/faces" -o "$work/landmarks" --jobs 2 2>/dev/null
python3 - "$work/landmarks" <<'PY'
import csv, glob, sys
import numpy as np
points = []
files = glob.glob(sys.argv[1] + "/*.csv")
for path in files:
    rows = [r for r in csv.DictReader(open(path)) if float(r["success"]) == 1]
    if rows:
        r = rows[0]
        points.append([[float(r[f"x_{i}"]), float(r[f"y_{i}"])] for i in range(68)])
points = np.array(points)
left, right = points[:, 36:42].mean(1), points[:, 42:48].mean(1)
midpoint, distance = (left + right) / 2, np.linalg.norm(right - left, axis=1)
print(f"faces with landmarks: {len(points)} of {len(files)}")
print(f"eye midpoint (x, y): {np.median(midpoint[:, 0]):.2f} {np.median(midpoint[:, 1]):.2f} px; "
      f"eye distance: {np.median(distance):.2f} px (IQR {np.percentile(distance, 25):.2f}-{np.percentile(distance, 75):.2f})")
PY
