#!/usr/bin/env python3
"""Writes the voice encoder's description and test reference from the speaker encoder bundled in
the `Resemblyzer` wheel (PyPI); its weights are installed by install_voice_encoder.py.

Run once by a developer, never at run time:

    pip download resemblyzer==0.1.4 --no-deps -d /tmp/resemblyzer
    unzip -o -q /tmp/resemblyzer/Resemblyzer-0.1.4-py3-none-any.whl -d /tmp/resemblyzer
    pip install torch numpy librosa
    python3 scripts/models/convert_voice_encoder.py /tmp/resemblyzer/resemblyzer/pretrained.pt Models/voice-encoder

Writes encoder.json (shape, the input it expects, provenance with pretrained.pt's sha256, which
install_voice_encoder.py checks) and LICENSE (the wheel's Apache-2.0 text); with
`--reference=FILE`, torch's outputs on 20 generated frames (and on their first 12 alone), which
the Swift test (Tests/EmoPipeNNTests) compares. The weights (weights.safetensors: the three LSTM
layers as PyTorch names them, float32; the embedding head is left out: EmoPipe pools the last
layer's outputs instead) are not in git: scripts/install-deps.sh runs install_voice_encoder.py,
which reads the same pretrained.pt without torch and writes them.

The network: GE2E speaker encoder (Wan et al. 2018, "Generalized End-to-End Loss for Speaker
Verification"), 3 LSTM layers of 256 over 40 mel power bands (25 ms Hann frames every 10 ms,
16 kHz; librosa.feature.melspectrogram(n_fft=400, hop_length=160, n_mels=40)), trained by
Resemble AI on LibriSpeech, VoxCeleb 1 and 2 (speaker verification, no emotion labels); about
1.4 M parameters. Code and weights Apache-2.0 (github.com/resemble-ai/Resemblyzer).
"""
import glob
import hashlib
import json
import os
import shutil
import sys

import numpy as np
import torch



def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    if len(args) != 2:
        sys.exit(__doc__)
    source, folder = args
    reference = next((a.split("=", 1)[1] for a in sys.argv[1:] if a.startswith("--reference=")), None)
    state = torch.load(source, map_location="cpu")["model_state"]
    os.makedirs(folder, exist_ok=True)
    digest = hashlib.sha256(open(source, "rb").read()).hexdigest()
    description = {
        "format": "emopipe-recurrent/1",
        "inputs": 40,
        "hidden": 256,
        "layers": 3,
        "input": "mel power (not dB) of 16 kHz audio: 25 ms periodic Hann frames every 10 ms, n_fft 400, 40 Slaney mels with Slaney norm, centred (librosa.feature.melspectrogram(n_fft=400, hop_length=160, n_mels=40))",
        "provenance": {
            "network": "GE2E speaker encoder (Wan et al. 2018), 3 LSTM layers of 256; the embedding head is not used",
            "source": "Resemblyzer 0.1.4 wheel from PyPI, resemblyzer/pretrained.pt, sha256 " + digest,
            "trained_on": "LibriSpeech, VoxCeleb 1 and 2 by Resemble AI, for speaker verification (no emotion labels)",
            "licence": "Apache-2.0 (github.com/resemble-ai/Resemblyzer)",
            "converted_by": "scripts/models/convert_voice_encoder.py (this description), scripts/models/install_voice_encoder.py (the weights, at install)",
            "used_for": "the voice model's features: mean and standard deviation of the last layer's outputs over each window (audio.encoder, then audio.functionals)",
        },
    }
    # Apache-2.0 asks for its text beside what is redistributed: the wheel's own copy.
    licences = glob.glob(os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(source))), "Resemblyzer-*.dist-info", "LICENSE"))
    if not licences:
        sys.exit("the wheel's Resemblyzer-*.dist-info/LICENSE is not beside resemblyzer/: unzip the whole wheel")
    shutil.copyfile(licences[0], os.path.join(folder, "LICENSE"))
    with open(os.path.join(folder, "encoder.json"), "w") as f:
        json.dump(description, f, indent=2, sort_keys=True)
        f.write("\n")
    if reference:
        lstm = torch.nn.LSTM(40, 256, 3, batch_first=True)
        lstm.load_state_dict({k[5:]: v for k, v in state.items() if k.startswith("lstm.")})
        rng = np.random.default_rng(7)
        frames = (rng.gamma(0.5, 0.02, size=(1, 20, 40))).astype(np.float32)
        with torch.no_grad():
            first, _ = lstm(torch.from_numpy(frames[:, :12]))
            whole, _ = lstm(torch.from_numpy(frames))
        def rounded(a):
            return np.round(a.astype(np.float64), 7).tolist()
        json.dump({"frames": rounded(frames[0]), "outputs": rounded(whole[0].numpy()), "first12": rounded(first[0].numpy())},
                  open(reference, "w"))
    print(f"wrote {folder}/encoder.json and LICENSE; the weights: scripts/models/install_voice_encoder.py")


if __name__ == "__main__":
    main()
