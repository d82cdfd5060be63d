#!/usr/bin/env bash
# Leave-one-corpus-out validation of the voice estimator as a user meets it: for each of the four
# shared emotional-speech corpora, `emopipe train` fits the default voice model's recipe on the
# other three (the command in docs/models.md), then `emopipe run voice-affect` runs that model on the
# held-out corpus (a corpus it never heard) three ways, and `emopipe eval` scores the recording
# records (the recording's emotion pools its frames, as train decides a held-out recording):
#   uncalibrated   (no subject information: the model's uncalibrated heads),
#   batch          (--calibrate batch: the held-out corpus's own feature statistics),
#   speaker        (--subjects: each speaker's profile from the corpus's speaker column).
# Per corpus and mode: UAR over the corpus's classes (a prediction of a class it lacks is a miss),
# binary arousal accuracy, the largest share of one predicted class, and the confusion matrix.
#   scripts/validation/voice-corpora.sh [corpus ...]     (default: ravdess savee emovo nemo)
# L2=VALUE fits each held-out model with that penalty instead of choosing it from train's grid
# by the three remaining corpora (four times faster).
set -euo pipefail
cd "$(dirname "$0")/../.."
corpora=${CORPORA:-../shared/data/speech/corpora}
emopipe=${EMOPIPE:-.build/release/emopipe}
work=${WORK:-$(mktemp -d)}
[ -n "${WORK:-}" ] || trap 'rm -rf "$work"' EXIT
all=(ravdess savee emovo nemo)
held=("${@:-${all[@]}}")
[ $# -gt 0 ] || held=("${all[@]}")
for corpus in "${held[@]}"; do
  tables=()
  for other in "${all[@]}"; do [ "$other" = "$corpus" ] || tables+=(--labels "$corpora/$other/labels.csv"); done
  "$emopipe" train --pipeline voice-affect --stream functionals "${tables[@]}" --label-column emotion --group-column corpus \
    --subject-column speaker --map calm=neutral ${L2:+--l2 "$L2"} -o "$work/without-$corpus.json" > "$work/train-$corpus.txt"
  # file,label and file,subject tables of the held-out corpus.
  awk -F, 'NR == 1 { print "file,label"; next } { print $1 "," ($2 == "calm" ? "neutral" : $2) }' "$corpora/$corpus/labels.csv" > "$work/$corpus-labels.csv"
  awk -F, 'NR == 1 { print "file,subject"; next } { print $1 "," $3 }' "$corpora/$corpus/labels.csv" > "$work/$corpus-subjects.csv"
  for mode in uncalibrated batch speaker; do
    case $mode in
      uncalibrated) options=() ;;
      batch) options=(--calibrate batch) ;;
      speaker) options=(--subjects "$work/$corpus-subjects.csv") ;;
    esac
    "$emopipe" run voice-affect "$corpora/$corpus" -o "$work/$corpus-$mode" --jobs 2 --set "voice.model=$work/without-$corpus.json" \
      ${options[@]+"${options[@]}"} 2> "$work/$corpus-$mode.log" || { tail -3 "$work/$corpus-$mode.log"; exit 1; }
  done
done
python3 - "$work" "$corpora" "${held[@]}" <<'PY'
import csv, glob, json, os, sys
work, corpora, held = sys.argv[1], sys.argv[2], sys.argv[3:]
classes = ["anger", "disgust", "fear", "happiness", "neutral", "sadness", "surprise"]
high = {"anger", "disgust", "fear", "happiness", "surprise"}
table = {}
for corpus in held:
    truth = {os.path.splitext(r["file"])[0]: ("neutral" if r["emotion"] == "calm" else r["emotion"])
             for r in csv.DictReader(open(f"{corpora}/{corpus}/labels.csv"))}
    for mode in ["uncalibrated", "batch", "speaker"]:
        pairs = []
        for path in glob.glob(f"{work}/{corpus}-{mode}/**/*.jsonl", recursive=True):
            stem = os.path.splitext(os.path.relpath(path, f"{work}/{corpus}-{mode}"))[0]
            for line in open(path):
                record = json.loads(line)
                if record.get("stream") == "recording" and stem in truth:
                    pairs.append((truth[stem], record["emotion"] if record["frames"] and record.get("emotion_probabilities") else None))
        present = [c for c in classes if any(t == c for t, _ in pairs)]
        matrix = [[sum(1 for t, p in pairs if t == a and p == b) for b in classes] for a in present]
        recall = [row[classes.index(a)] / max(sum(row), 1) for a, row in zip(present, matrix)]
        uar = sum(recall) / len(recall)
        arousal = sum(1 for t, p in pairs if p is not None and (t in high) == (p in high)) / len(pairs)
        counts = [sum(1 for _, p in pairs if p == c) for c in classes]
        share = max(counts) / len(pairs)
        missing = len(truth) - len(pairs) + sum(1 for _, p in pairs if p is None)
        table[(corpus, mode)] = (uar, arousal, share)
        print(f"\n{corpus}, {mode}: UAR {uar:.3f} over {len(present)} classes, binary arousal {arousal:.3f}, "
              f"largest predicted share {share:.2f}, {len(pairs)} recordings ({missing} without an emotion)")
        print("recall " + " ".join(f"{c} {r:.2f}" for c, r in zip(present, recall)))
        print("confusion (rows true, columns predicted: " + ", ".join(classes) + ")")
        for a, row in zip(present, matrix):
            print(f"  {a:10s}" + "".join(f"{v:5d}" for v in row))
print("\n| held out | " + " | ".join(f"{m} UAR | arousal | largest share" for m in ["uncalibrated", "batch", "speaker"]) + " |")
for corpus in held:
    print(f"| {corpus} | " + " | ".join(f"{table[(corpus, m)][0]:.3f} | {table[(corpus, m)][1]:.3f} | {table[(corpus, m)][2]:.2f}"
                                         for m in ["uncalibrated", "batch", "speaker"]) + " |")
if len(held) > 1:
    print("| mean | " + " | ".join(" | ".join(f"{sum(table[(c, m)][i] for c in held) / len(held):.3f}" for i in range(3))
                                   for m in ["uncalibrated", "batch", "speaker"]) + " |")
PY
