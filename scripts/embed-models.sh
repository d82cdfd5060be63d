#!/usr/bin/env bash
# Regenerates Sources/EmoPipeFusion/EmbeddedModelFiles.swift from Models/*.json and
# EmbeddedLexiconFiles.swift from Models/lexicons/*.tsv, so the default estimators and word lists
# are compiled into the binary (as string literals, which compile fast). A test fails when the two drift apart.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
scripts/embed-text.sh Models json Sources/EmoPipeFusion/EmbeddedModelFiles.swift EmbeddedModelFiles \
  "The model files of Models/, compiled in: name (file name without .json) to JSON text." scripts/embed-models.sh
scripts/embed-text.sh Models/lexicons tsv Sources/EmoPipeFusion/EmbeddedLexiconFiles.swift EmbeddedLexiconFiles \
  "The word lists of Models/lexicons/, compiled in: name (file name without .tsv) to text." scripts/embed-models.sh
