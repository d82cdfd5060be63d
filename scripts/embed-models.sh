#!/usr/bin/env bash
# Regenerates Sources/EmoPipeFusion/EmbeddedModelFiles.swift from Models/*.json, so the default
# estimators are compiled into the binary. A test fails when the two drift apart.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
scripts/embed-text.sh Models json Sources/EmoPipeFusion/EmbeddedModelFiles.swift EmbeddedModelFiles \
  "The model files of Models/, compiled in: name (file name without .json) to JSON text." scripts/embed-models.sh
