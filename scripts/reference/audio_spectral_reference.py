"""Reference log-mel and MFCC for audio.spectral, computed with librosa.

Writes Tests/EmoPipeAudioTests/Reference/audio_spectral_reference.json. Run with a Python that
has librosa (e.g. /tmp/peervenv/bin/python scripts/reference/audio_spectral_reference.py).
Input: Fixtures/speech.wav (16 kHz). Settings as the peer benchmark: n_fft 512 (window =
n_fft), hop 160, periodic Hann, centred with zero padding, power 2, 64 Slaney mels (0-8000 Hz,
Slaney norm), and, HTK variant, 40 HTK mels without norm; 13 MFCC (DCT-II, ortho, no lifter).
dB = 10 log10(max(S, 1e-10)) without the top_db clip, whose reference (the global maximum) a
stream cannot know.
"""
import json
import os

import librosa
import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
y, sr = librosa.load(os.path.join(ROOT, "Fixtures", "speech.wav"), sr=None)
out = {"file": "Fixtures/speech.wav", "librosa": librosa.__version__, "configs": []}
for name, n_mels, htk, norm in [("slaney64", 64, False, "slaney"), ("htk40", 40, True, None)]:
    mel = librosa.feature.melspectrogram(y=y, sr=sr, n_fft=512, hop_length=160, win_length=512, window="hann",
                                         center=True, pad_mode="constant", power=2.0, n_mels=n_mels, htk=htk, norm=norm)
    logmel = librosa.power_to_db(mel, ref=1.0, amin=1e-10, top_db=None)
    mfcc = librosa.feature.mfcc(S=logmel, n_mfcc=13, dct_type=2, norm="ortho", lifter=0)
    keep = list(range(0, logmel.shape[1], 5))  # every 5th frame keeps the file small
    out["configs"].append({"name": name, "n_mels": n_mels, "htk": htk, "norm": norm or "none", "frames": keep,
                           "total_frames": int(logmel.shape[1]),
                           "logmel": np.round(logmel.T[keep], 5).tolist(), "mfcc": np.round(mfcc.T[keep], 5).tolist()})
path = os.path.join(ROOT, "Tests", "EmoPipeAudioTests", "Reference", "audio_spectral_reference.json")
with open(path, "w") as f:
    json.dump(out, f)
print(f"wrote {path}: {len(out['configs'][0]['logmel'])} frames")
