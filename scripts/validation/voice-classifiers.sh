#!/usr/bin/env bash
# Which classifier and which features generalise across corpora: leave-one-corpus-out on the four
# shared emotional-speech corpora with scikit-learn, on EmoPipe's 88 eGeMAPS functionals over
# each whole clip (the numbers that chose `emopipe train`'s classifier; docs/models.md quotes them).
# Normalisations: none, each corpus z-scored by its own statistics (what --calibrate batch does),
# each speaker z-scored (subject calibration). Classifiers: logistic regression at three
# penalties, linear SVM, RBF SVM, a 64-unit MLP, shrinkage LDA, extra trees, and their ensemble.
# With SMILE_PYTHON set to a Python that has `opensmile` (../shared/bench/setup_venv.sh makes
# one), the same on openSMILE's eGeMAPSv02 and ComParE_2016 (6,373 features) functionals. With
# RESEMBLYZER set to the GE2E encoder's pretrained.pt (see scripts/models/convert_voice_encoder.py;
# python3 with torch, librosa, soundfile), each encoder layer's output mean and stddev, and its
# embedding, beside the eGeMAPS functionals, with and without level normalisation.
#   scripts/validation/voice-classifiers.sh        (needs python3 with numpy and scikit-learn)
set -euo pipefail
cd "$(dirname "$0")/../.."
corpora=${CORPORA:-../shared/data/speech/corpora}
emopipe=${EMOPIPE:-.build/release/emopipe}
work=${WORK:-$(mktemp -d)}
[ -n "${WORK:-}" ] || trap 'rm -rf "$work"' EXIT
for corpus in ravdess savee emovo nemo; do
  [ -d "$work/$corpus" ] || "$emopipe" run voice-features "$corpora/$corpus" -o "$work/$corpus" --jobs 2 2> "$work/$corpus.log" || { tail -3 "$work/$corpus.log"; exit 1; }
done
if [ -n "${SMILE_PYTHON:-}" ]; then
  for set in eGeMAPSv02 ComParE_2016; do
    "$SMILE_PYTHON" - "$corpora" "$work" "$set" <<'PY'
import csv, sys, numpy as np, opensmile, soundfile, librosa
corpora, work, feature_set = sys.argv[1:]
smile = opensmile.Smile(feature_set=getattr(opensmile.FeatureSet, feature_set), feature_level=opensmile.FeatureLevel.Functionals)
rows = []
for corpus in ["ravdess", "savee", "emovo", "nemo"]:
    for r in csv.DictReader(open(f"{corpora}/{corpus}/labels.csv")):
        x, rate = soundfile.read(f"{corpora}/{corpus}/{r['file']}", dtype="float32")
        x = x.mean(1) if x.ndim > 1 else x
        if rate != 16000: x = librosa.resample(x, orig_sr=rate, target_sr=16000)
        rows.append(smile.process_signal(x, 16000).values[0])
np.save(f"{work}/{feature_set}.npy", np.array(rows))
PY
  done
fi
if [ -n "${RESEMBLYZER:-}" ]; then
  # The GE2E encoder's LSTM outputs (mean and stddev over each clip, per layer; clips level-
  # normalised to -30 dBFS or not) and its 256-d embedding, in PyTorch (torch, librosa, soundfile).
  python3 - "$corpora" "$work" "$RESEMBLYZER" <<'PY'
import csv, sys, numpy as np, torch, soundfile, librosa
corpora, work, weights = sys.argv[1:]
state = torch.load(weights, map_location="cpu")["model_state"]
layers = []
for k in range(3):
    m = torch.nn.LSTM(40 if k == 0 else 256, 256, 1, batch_first=True)
    m.load_state_dict({f"{kind}_l0": state[f"lstm.{kind}_l{k}"] for kind in ["weight_ih", "weight_hh", "bias_ih", "bias_hh"]})
    layers.append(m)
head = torch.nn.Linear(256, 256); head.load_state_dict({"weight": state["linear.weight"], "bias": state["linear.bias"]})
for normalised in [True, False]:
    rows = []
    for corpus in ["ravdess", "savee", "emovo", "nemo"]:
        for r in csv.DictReader(open(f"{corpora}/{corpus}/labels.csv")):
            x, rate = soundfile.read(f"{corpora}/{corpus}/{r['file']}", dtype="float32")
            x = x.mean(1) if x.ndim > 1 else x
            if rate != 16000: x = librosa.resample(x, orig_sr=rate, target_sr=16000)
            if normalised: x = x * (10 ** (-30 / 20) / (np.sqrt(np.mean(x ** 2)) + 1e-9))
            h = torch.from_numpy(librosa.feature.melspectrogram(y=x, sr=16000, n_fft=400, hop_length=160, n_mels=40).astype(np.float32).T)[None]
            row = []
            with torch.no_grad():
                for m in layers:
                    h, (last, _) = m(h)
                    row += [h[0].mean(0).numpy(), h[0].std(0).numpy()]
                e = torch.relu(head(last[-1]))
                row.append((e / e.norm()).numpy().ravel())
            rows.append(np.concatenate(row))
    np.save(f"{work}/encoder-{'normalised' if normalised else 'raw'}.npy", np.array(rows))
PY
fi
python3 - "$corpora" "$work" <<'PY'
import csv, json, os, sys, warnings, numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.svm import LinearSVC, SVC
from sklearn.neural_network import MLPClassifier
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
from sklearn.ensemble import ExtraTreesClassifier
from sklearn.metrics import recall_score
warnings.filterwarnings("ignore")
corpora, work = sys.argv[1:]
classes = ["anger", "disgust", "fear", "happiness", "neutral", "sadness", "surprise"]
high = np.array([1, 1, 1, 1, 0, 0, 1])
names, rows, corpus_of, speaker_of, labels = None, [], [], [], []
for corpus in ["ravdess", "savee", "emovo", "nemo"]:
    for r in csv.DictReader(open(f"{corpora}/{corpus}/labels.csv")):
        path = f"{work}/{corpus}/" + os.path.splitext(r["file"])[0] + ".summary.jsonl"
        record = [json.loads(l) for l in open(path) if '"stream":"functionals"' in l][-1]
        for key in ["stream", "frame", "t"]: record.pop(key)
        names = names or list(record)
        rows.append([np.nan if record[n] is None else record[n] for n in names])
        corpus_of.append(corpus); speaker_of.append(r["speaker"])
        labels.append(classes.index("neutral" if r["emotion"] == "calm" else r["emotion"]))
corpus_of, speaker_of, y = np.array(corpus_of), np.array(speaker_of), np.array(labels)

def within(x, groups):
    z = x.copy()
    for g in np.unique(groups):
        m = groups == g; sd = x[m].std(0); sd[sd == 0] = 1
        z[m] = (x[m] - x[m].mean(0)) / sd
    return z

class Ensemble:
    def __init__(self, models): self.models = models
    def fit(self, x, y):
        for m in self.models: m.fit(x, y)
        return self
    def predict_proba(self, x): return np.exp(np.mean([np.log(m.predict_proba(x) + 1e-9) for m in self.models], 0))

def loco(make, x):
    out = []
    for corpus in ["ravdess", "savee", "emovo", "nemo"]:
        train, test = corpus_of != corpus, corpus_of == corpus
        mean, sd = x[train].mean(0), x[train].std(0); sd[sd == 0] = 1
        model = make().fit((x[train] - mean) / sd, y[train])
        xt = (x[test] - mean) / sd
        scores = model.decision_function(xt) if hasattr(model, "decision_function") else np.log(model.predict_proba(xt) + 1e-9)
        predicted = scores.argmax(1)
        present = np.unique(y[test])
        out.append((recall_score(y[test], predicted, labels=present, average="macro"), (high[predicted] == high[y[test]]).mean(),
                    np.bincount(predicted, minlength=7).max() / test.sum()))
    return np.array(out)

models = {
    "logistic C=0.01": lambda: LogisticRegression(C=0.01, max_iter=3000, class_weight="balanced"),
    "logistic C=0.1": lambda: LogisticRegression(C=0.1, max_iter=3000, class_weight="balanced"),
    "logistic C=1": lambda: LogisticRegression(C=1, max_iter=3000, class_weight="balanced"),
    "linear SVM C=0.001": lambda: LinearSVC(C=0.001, class_weight="balanced"),
    "RBF SVM C=1": lambda: SVC(C=1, class_weight="balanced", probability=True, random_state=0),
    "MLP 64, alpha 1": lambda: MLPClassifier((64,), alpha=1, max_iter=500, random_state=0),
    "shrinkage LDA": lambda: LinearDiscriminantAnalysis(solver="lsqr", shrinkage="auto"),
    "extra trees 500": lambda: ExtraTreesClassifier(500, min_samples_leaf=3, class_weight="balanced", random_state=0),
    "ensemble (logistic, RBF SVM, MLP)": lambda: Ensemble([LogisticRegression(C=0.01, max_iter=3000, class_weight="balanced"),
                                                     SVC(C=1, class_weight="balanced", probability=True, random_state=0),
                                                     MLPClassifier((64,), alpha=1, max_iter=500, random_state=0)]),
}
features = {"EmoPipe eGeMAPS (88)": np.array(rows, float)}
for name in ["eGeMAPSv02", "ComParE_2016"]:
    if os.path.exists(f"{work}/{name}.npy"):
        x = np.load(f"{work}/{name}.npy"); x[~np.isfinite(x)] = 0
        features[f"openSMILE {name} ({x.shape[1]})"] = x
egemaps = np.array(rows, float)
for kind in ["normalised", "raw"]:
    if os.path.exists(f"{work}/encoder-{kind}.npy"):
        e = np.load(f"{work}/encoder-{kind}.npy")
        for name, part in [("layer 1", e[:, 0:512]), ("layer 2", e[:, 512:1024]), ("layer 3", e[:, 1024:1536]), ("embedding", e[:, 1536:])]:
            features[f"encoder {name} ({kind}) + EmoPipe eGeMAPS"] = np.hstack([part, egemaps])
print("UAR per held-out corpus (RAVDESS / SAVEE / EMOVO / nEMO), mean, binary arousal, largest predicted share")
for feature_name, x in features.items():
    # Other sets: logistic regression only (C 0.001 for ComParE's 6,373 features and the encoder's).
    chosen = models if feature_name.startswith("EmoPipe") else {
        "logistic": (lambda: LogisticRegression(C=0.001 if ("ComParE" in feature_name or "encoder" in feature_name) else 0.01,
                                                max_iter=3000, class_weight="balanced"))}
    for norm, groups in [("none", None), ("corpus", corpus_of), ("speaker", speaker_of)]:
        z = x if groups is None else within(x, groups)
        for model_name, make in chosen.items():
            r = loco(make, z)
            print(f"| {feature_name} | {norm} | {model_name} | " + " / ".join(f"{v:.3f}" for v in r[:, 0])
                  + f" | {r[:, 0].mean():.3f} | {r[:, 1].mean():.3f} | {r[:, 2].max():.2f} |", flush=True)
PY
