#!/usr/bin/env bash
# Regenerates Sources/EmoPipe/EmbeddedPipelines.swift from Pipelines/*.yaml, so that the default
# pipelines are compiled into the binary. A test fails when the two drift apart.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
scripts/embed-text.sh Pipelines yaml Sources/EmoPipe/EmbeddedPipelines.swift EmbeddedPipelines \
  "The pipeline files of Pipelines/, compiled in: file name to text." scripts/embed-pipelines.sh
