#!/usr/bin/env bash
# Scores the face estimate on FER2013's PublicTest faces (3,589 48x48 stills no training touched)
# and on the five shared clips, as docs/models.md reports them:
#   1. the default run on the files as stills (`emopipe run FOLDER`: av-affect, faces detected,
#      aligned from their landmarks; a small still with no face found is taken as a crop);
#   2. the crop option (`face-affect --set expression.whole_image=always`: the whole image is the face);
#   3. per-clip emotion shares and mean face valence for the five clips, and lp_d0's smile
#      (frames 25-60, 0-based) and neutral (2-12) frames.
# Accuracy, mean per-class recall, per-class recall and the confusion matrix from each image's
# recording record. Extra `emopipe run` options go to every run (e.g. --set expression.mirror=false).
#   scripts/validation/face-expression.sh [--set stage.param=value ...]
set -euo pipefail
cd "$(dirname "$0")/../.."
data=${DATA:-../shared/data/faces/fer2013}
video=${VIDEO:-../shared/data/video}
emopipe=${EMOPIPE:-.build/release/emopipe}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$emopipe" run "$data/publictest" -o "$work/default" --jobs 2 "$@" 2>"$work/default.log" || { tail -5 "$work/default.log"; exit 1; }
"$emopipe" run face-affect "$data/publictest" -o "$work/crop" --jobs 2 --set expression.whole_image=always "$@" 2>"$work/crop.log" || { tail -5 "$work/crop.log"; exit 1; }
for clip in lp_d0 lp_d20 st_WDA_KH vr_face1 vr_face4; do
  "$emopipe" run "$video/$clip.mp4" -o "$work/clips" "$@" 2>>"$work/clips.log"
done
python3 - "$work" <<'PY'
import glob, json, os, sys
work = sys.argv[1]
folders = {"angry": "anger", "disgust": "disgust", "fear": "fear", "happy": "happiness",
           "neutral": "neutral", "sad": "sadness", "surprise": "surprise"}
classes = ["anger", "disgust", "fear", "happiness", "sadness", "surprise", "neutral"]

def recording(path):
    for line in open(path):
        record = json.loads(line)
        if record.get("stream") == "recording":
            return record

for run, title in [("default", "default run on the stills"), ("crop", "crop option (whole image is the face)")]:
    matrix = [[0] * len(classes) for _ in classes]
    faces = whole = 0
    for path in sorted(glob.glob(f"{work}/{run}/*/*.jsonl")):
        truth = folders[os.path.basename(os.path.dirname(path))]
        record = recording(path)
        matrix[classes.index(truth)][classes.index(record["emotion"])] += 1
    total = sum(map(sum, matrix))
    correct = sum(matrix[i][i] for i in range(len(classes)))
    recalls = [matrix[i][i] / max(1, sum(matrix[i])) for i in range(len(classes))]
    print(f"\n## FER2013 PublicTest, {title}: {total} faces")
    print(f"accuracy {correct / total:.3f}, mean per-class recall {sum(recalls) / len(recalls):.3f}")
    print("| true \\ predicted | " + " | ".join(classes) + " | recall |")
    print("|---|" + "---:|" * (len(classes) + 1))
    for i, name in enumerate(classes):
        print(f"| {name} | " + " | ".join(str(v) for v in matrix[i]) + f" | {recalls[i]:.3f} |")

print("\n## The five shared clips (default run)")
print("| clip | frames | emotion shares | face valence (mean) |")
print("|---|---:|---|---:|")
for path in sorted(glob.glob(f"{work}/clips/*.jsonl")):
    frames = [json.loads(l) for l in open(path) if '"stream":"ah"' in l]
    record = recording(path)
    shares = ", ".join(f"{k} {v:.2f}" for k, v in sorted(record["emotion_shares"].items(), key=lambda kv: -kv[1]) if v >= 0.01)
    valence = record["modalities"]["face"]["valence"]
    print(f"| {os.path.basename(path)[:-6]} | {len(frames)} | {shares} | {valence:.2f} |")
    if os.path.basename(path) == "lp_d0.jsonl":
        smile = frames[25:61]
        neutral = frames[2:13]
        print(f"\nlp_d0: smile frames 25-60 read as happiness: {sum(f['emotion'] == 'happiness' for f in smile)} of {len(smile)}; "
              f"neutral frames 2-12 read as neutral: {sum(f['emotion'] == 'neutral' for f in neutral)} of {len(neutral)}\n")
PY
