#!/usr/bin/env bash
# Checks an emopipe report in a real browser: headless Chromium renders REPORT.html offline to a
# PNG (default: beside it), and the script fails when the page does not render or is blank.
# Usage: scripts/report-screenshot.sh report.html [out.png]. Needs Debian's chromium package.
set -euo pipefail
report="$(realpath "$1")"
png="${2:-${report%.html}.png}"
browser=$(command -v chromium || command -v chromium-browser || true)
[[ -n "$browser" ]] || { echo "report-screenshot: chromium is not installed (apt-get install chromium)" >&2; exit 1; }
"$browser" --headless=new --no-sandbox --disable-gpu --hide-scrollbars --window-size=1000,1600 \
  --screenshot="$png" "file://$report" >/dev/null 2>&1
[[ -s "$png" ]] || { echo "report-screenshot: no screenshot written" >&2; exit 1; }
# Blank pages compress to almost nothing; a rendered report with timelines does not.
size=$(stat -c %s "$png")
(( size > 20000 )) || { echo "report-screenshot: $png is only $size bytes: blank page?" >&2; exit 1; }
echo "report-screenshot: $png ($size bytes)"
