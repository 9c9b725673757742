#!/usr/bin/env bash
# `make report`: one self-contained HTML file from reports/allure-results, offline, with run history.
#   RESULTS   results directory (default reports/allure-results)
#   reports/history/history.jsonl  one line per run; the nightly job restores it before and saves it after,
#                                  so the report shows trends across runs (kept to 60 runs, allurerc.json)
set -euo pipefail
cd "$(dirname "$0")/.."
RESULTS=${RESULTS:-reports/allure-results}
OUT=reports/allure-report

if ! compgen -G "$RESULTS/*-result.json" >/dev/null; then
  echo "make report: no test results in $RESULTS; run \`make conformance\` (or pytest --alluredir $RESULTS) first" >&2
  exit 2
fi
mkdir -p reports/history
# The run overview (per area passed / failed / known / skipped, facts, timing, trend), first: a malformed
# timing file stops here with one line, before anything is written; the page joins the report below.
rm -rf reports/.overview
.venv/bin/python reports/overview.py "$RESULTS" reports/.overview reports/history/overview.jsonl
export ALLURE_NO_ANALYTICS=true
# --no-install: never reach a registry here; `make report` ran `npm ci` from the lockfile when needed.
npx --no-install allure generate --config reports/allurerc.json "$RESULTS" >/dev/null
python3 reports/strip_analytics.py "$OUT/index.html" >/dev/null
mv reports/.overview/overview.html "$OUT/overview.html" && rmdir reports/.overview

runs=$(wc -l < reports/history/history.jsonl 2>/dev/null || echo 0)
size=$(du -h "$OUT/index.html" | cut -f1)
echo "report:  file://$PWD/$OUT/index.html  ($size, single file, opens offline)"
echo "summary: $OUT/summary.json"
if compgen -G "reports/junit*.xml" >/dev/null; then echo "junit:   $(ls reports/junit*.xml | tr '\n' ' ')"; fi
echo "history: reports/history/history.jsonl ($runs run(s); keep this file between runs for trends)"
