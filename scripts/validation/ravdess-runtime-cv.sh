#!/usr/bin/env bash
# Leave-actors-out validation of the voice estimator as it runs (voice-affect, 3 s windows every
# 0.5 s, recording-level emotion from aggregate.recording), with and without subject
# calibration. Complements the recording-level cross-validation `emopipe train` records in the
# model file: here every fold's model is trained by `emopipe train --subject-from` on 18 actors
# and run on the 6 held-out actors' files, once calibrated per actor (--subject-from) and once
# without subject information (the model's uncalibrated heads). Prints emopipe eval's scores of
# both. Usage: scripts/validation/ravdess-runtime-cv.sh [SHARED]   (release build; about 3 min)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
SHARED="${1:-$ROOT/../shared}"
RAVDESS="$SHARED/data/speech/ravdess"
EMO="$ROOT/.build/release/emopipe"
[[ -x "$EMO" ]] || (cd "$ROOT" && swift build -c release --static-swift-stdlib >&2)
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
MAP="calm=neutral,happy=happiness,sad=sadness,angry=anger,fearful=fear,surprised=surprise"
python3 - "$RAVDESS/labels.csv" "$tmp" <<'PY'
import csv, sys
names = {"calm": "neutral", "happy": "happiness", "sad": "sadness", "angry": "anger", "fearful": "fear", "surprised": "surprise"}
rows = list(csv.DictReader(open(sys.argv[1])))
with open(f"{sys.argv[2]}/eval.csv", "w") as out:
    out.write("file,label\n")
    for row in rows:
        out.write(f"{row['file']},{names.get(row['emotion'], row['emotion'])}\n")
for fold in range(4):
    held = {f"{a:02d}" for a in range(fold * 6 + 1, fold * 6 + 7)}
    with open(f"{sys.argv[2]}/train{fold}.csv", "w") as out:
        writer = csv.DictWriter(out, fieldnames=rows[0].keys(), lineterminator="\n")
        writer.writeheader()
        writer.writerows(r for r in rows if r["actor"] not in held)
    with open(f"{sys.argv[2]}/held{fold}.txt", "w") as out:
        out.write("\n".join(sorted(held)) + "\n")
PY
for fold in 0 1 2 3; do
  "$EMO" train --labels "$tmp/train$fold.csv" --root "$RAVDESS" --label-column emotion --subject-from 'Actor_(\d+)' \
    --map "$MAP" --name "voice-fold$fold" -o "$tmp/model$fold.json" > /dev/null
  mkdir -p "$tmp/in$fold"
  while read -r actor; do ln -s "$RAVDESS/Actor_$actor" "$tmp/in$fold/Actor_$actor"; done < "$tmp/held$fold.txt"
  "$EMO" run voice-affect "$tmp/in$fold" --set "voice.model=$tmp/model$fold.json" --subject-from 'Actor_(\d+)' -o "$tmp/calibrated" 2> /dev/null
  "$EMO" run voice-affect "$tmp/in$fold" --set "voice.model=$tmp/model$fold.json" -o "$tmp/uncalibrated" 2> /dev/null
  echo "fold $fold done (held out: $(tr '\n' ' ' < "$tmp/held$fold.txt"))" >&2
done
for condition in calibrated uncalibrated; do
  echo "== $condition (4 folds of 6 held-out actors, recording-level emotion of voice-affect)"
  "$EMO" eval "$tmp/$condition" --labels "$tmp/eval.csv" | grep -E "^accuracy|^average"
done
