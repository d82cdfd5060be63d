#!/usr/bin/env bash
# `make install` into a temporary prefix, then that prefix's emopipe runs av-affect on the face
# fixture (with a sidecar transcript) from another folder with the source checkout out of reach:
# EMOPIPE_MODELS/EMOPIPE_PIPELINES unset and the checkout hidden (an empty tmpfs mounted over it
# in a private mount namespace, so the path the binary was compiled in shows nothing; where
# `unshare` is refused, its Models/ and Pipelines/ are moved aside for the run instead). The
# installed models and pipelines must give the full av-affect record (face, voice and the
# sidecar's words), the face network's expression columns, and words recognised by the installed
# Whisper on a clip without a transcript. Run by `make test`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
checkout=$PWD
prefix=$(mktemp -d)
work=$(mktemp -d)
trap 'rm -rf "$prefix" "$work"' EXIT
make --no-print-directory install PREFIX="$prefix" >/dev/null
cp Fixtures/face.mp4 "$work/face.mp4"
cp Fixtures/speech.srt "$work/face.srt"
cp Fixtures/clip.mp4 "$work/clip.mp4"
cat > "$work/expression.yaml" <<'YAML'
version: 1
name: installed-expression
stages:
  - {id: media, use: source.media}
  - {id: face, use: face.landmarks, in: media.video}
  - {id: expression, use: face.expression, in: [media.video, face], with: {network: face-expression}}
  - {id: out, use: sink.jsonl, in: expression}
YAML
cat > "$work/run.sh" <<RUN
set -e
cd "$work"
test ! -e "$checkout/Models" || { echo "the checkout is still in reach" >&2; exit 3; }
env -u EMOPIPE_MODELS -u EMOPIPE_PIPELINES "$prefix/bin/emopipe" run face.mp4 -o out
env -u EMOPIPE_MODELS -u EMOPIPE_PIPELINES "$prefix/bin/emopipe" run expression.yaml face.mp4 > expression.jsonl
env -u EMOPIPE_MODELS -u EMOPIPE_PIPELINES "$prefix/bin/emopipe" run transcribe clip.mp4 > words.jsonl
RUN
status=0
if unshare -m true 2>/dev/null; then
  unshare -m bash -c "mount -t tmpfs emopipe-hidden '$checkout' && bash '$work/run.sh'" 2> "$work/errors.txt" || status=$?
else
  stash=$(mktemp -d -p "$checkout" .install-test-XXXX)
  mv Models Pipelines "$stash/"
  bash "$work/run.sh" 2> "$work/errors.txt" || status=$?
  mv "$stash/Models" "$stash/Pipelines" "$checkout/" && rmdir "$stash"
fi
if [[ $status -ne 0 ]]; then
  echo "test-install: the installed emopipe failed ($status):" >&2
  cat "$work/errors.txt" >&2
  exit 1
fi
python3 - "$work/out/face.jsonl" "$prefix" "$work/expression.jsonl" "$work/words.jsonl" <<'PY'
import json, sys
rows = [json.loads(line) for line in open(sys.argv[1])]
expression = [json.loads(line) for line in open(sys.argv[3])]
recognised = [json.loads(line) for line in open(sys.argv[4])]
assert recognised and all(r.get("origin") == "whisper-tiny.en" and r.get("words") for r in recognised), recognised
recording = [r for r in rows if r.get("stream") == "recording"]
frames = [r for r in rows if r.get("stream") == "ah"]
assert len(recording) == 1, f"{len(recording)} recording records"
record = recording[0]
for key in ["emotion", "emotion_probabilities", "valence_mean", "ah", "ah_label", "modalities"]:
    assert key in record, f"recording record lacks {key}: {sorted(record)}"
coverage = record["coverage"]
assert coverage["face"] > 0 and coverage["voice"] > 0, coverage
words = record.get("words", {})
assert words.get("source") == "transcript" and words.get("count", 0) > 0, f"the sidecar's words: {words}"
assert record["ah_cues"] and record["ah_cues"][0]["name"] == "text_ah", record["ah_cues"]
faces = [r for r in expression if isinstance(r.get("expression_p_happiness"), float)]
assert faces, "no face-network expression columns"
print(f"test-install: installed into {sys.argv[2]}: {len(frames)} frame rows and the recording record "
      f"(emotion {record['emotion']}, A/H {record['ah']:.2f} from {words['count']} transcript words, coverage {coverage}), "
      f"{len(faces)} frames with the face network's expression columns, "
      f"'{' '.join(r['text'] for r in recognised)}' recognised in clip.mp4")
print("test-install: 1 passed, 0 failed")
PY
