# Sourced by the benchmark scripts: the repository root, the standard inputs of ../shared/bench,
# the run count, the peers' Python, the release binary (built if missing), and a temporary
# folder removed on exit. Environment: BENCHMEDIA, RUNS (default 3), PEERVENV, SHARED.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SHARED="${SHARED:-$ROOT/../shared}"
MEDIA="${BENCHMEDIA:-/tmp/benchmedia}"
RUNS="${RUNS:-3}"
PY="${PEERVENV:-/tmp/peervenv}/bin/python"
cd "$ROOT"
EMO="$ROOT/.build/release/emopipe"
[[ -x "$EMO" ]] || swift build -c release --static-swift-stdlib >&2
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
