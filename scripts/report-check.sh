#!/usr/bin/env bash
# Browser check of a soilbeta HTML report (issue 5 item 4).
#   scripts/report-check.sh REPORT.html [SCREENSHOT.png]
# Opens the report in headless Chromium, saves a screenshot, dumps the DOM after the page's
# inline self-check has run and fails (exit 1) on: a self-check verdict other than "ok"
# (images that did not load or are one flat colour, SVG figures without drawn elements,
# script/resource errors, console.error), or JavaScript console errors logged by Chromium.
# Exit 2 when chromium is missing (scripts/ensure-deps.sh test installs it).
set -euo pipefail
report="${1:?usage: report-check.sh REPORT.html [SCREENSHOT.png]}"
shot="${2:-${report%.html}.png}"
[ -f "$report" ] || { echo "report-check: no such file: $report" >&2; exit 1; }
browser=""
for b in chromium chromium-browser google-chrome; do
  if command -v "$b" >/dev/null 2>&1; then browser="$(command -v "$b")"; break; fi
done
[ -n "$browser" ] || { echo "report-check: chromium not found; run scripts/ensure-deps.sh test" >&2; exit 2; }
abs="$(cd "$(dirname "$report")" && pwd)/$(basename "$report")"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
flags=(--headless --no-sandbox --disable-gpu --disable-dev-shm-usage --hide-scrollbars --no-first-run
       --disable-extensions --disable-background-networking --user-data-dir="$work/profile"
       --virtual-time-budget=20000 --run-all-compositor-stages-before-draw)
# A very first chromium start on a fresh machine can stall (seen once); bound each attempt and retry once.
shoot() { timeout 120 "$browser" "${flags[@]}" --window-size=1300,5200 --screenshot="$shot" "file://$abs" >"$work/shot.out" 2>"$work/shot.err"; }
shoot || shoot || {
  echo "report-check: chromium failed to take the screenshot:" >&2; tail -5 "$work/shot.err" >&2; exit 1; }
timeout 180 "$browser" "${flags[@]}" --enable-logging=stderr --v=0 --dump-dom "file://$abs" >"$work/dom.html" 2>"$work/dom.err" || {
  echo "report-check: chromium failed to load the report:" >&2; tail -5 "$work/dom.err" >&2; exit 1; }
marker="$(grep -o '<div id="soilbeta-selfcheck"[^>]*>[^<]*' "$work/dom.html" || true)"
console="$(grep -E 'CONSOLE' "$work/dom.err" | grep -iE 'error|uncaught|failed' || true)"
echo "report-check: ${marker:-no self-check marker found}"
[ -f "$shot" ] && echo "report-check: screenshot $shot"
if [ -n "$console" ]; then echo "report-check: console errors:"; echo "$console"; exit 1; fi
case "$marker" in
  *'data-result="ok"'*) echo "report-check: OK"; exit 0 ;;
  *) echo "report-check: FAILED"; exit 1 ;;
esac
