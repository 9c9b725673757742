"""`make report`'s overview page: reports/allure-report/overview.html from the run's Allure results.

    overview.py RESULTS_DIR OUT_DIR HISTORY_FILE

Reads every ``*-result.json``, ``environment.properties`` and the timing files ``netconform-timing*.json``
(schema in ``netconform.report.overview``) in RESULTS_DIR, the earlier runs in HISTORY_FILE (one JSON line
per run, appended to here), and writes OUT_DIR/overview.html. A malformed timing file: one line, exit 2.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path

from netconform.report.overview import (
    TIMING_GLOB,
    TimingError,
    build_overview,
    history_line,
    parse_timing,
    render_overview,
    render_terminal,
)

HISTORY_KEPT = 60  # as many runs as Allure's own history keeps (allurerc.json historyLimit)


def _properties(path: Path) -> dict[str, str]:
    if not path.exists():
        return {}
    pairs = (line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)
    return {k.strip(): v.strip() for k, v in pairs}


def main(results_dir: str, out_dir: str, history_file: str) -> int:
    results = Path(results_dir)
    history_path = Path(history_file)
    docs = [json.loads(p.read_text()) for p in sorted(results.glob("*-result.json"))]
    try:
        timing = parse_timing(
            [(str(p), json.loads(p.read_text())) for p in sorted(results.glob(TIMING_GLOB))]
        )
    except (TimingError, json.JSONDecodeError) as err:
        print(f"make report: timing figures: {err}", file=sys.stderr)
        return 2
    history = []
    if history_path.exists():
        history = [json.loads(line) for line in history_path.read_text().splitlines() if line.strip()]
    overview = build_overview(docs, _properties(results / "environment.properties"), timing, history)
    out = Path(out_dir) / "overview.html"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render_overview(overview))
    started = datetime.now(UTC).strftime("%Y-%m-%d %H:%M")
    history.append(history_line(overview, started))
    history_path.parent.mkdir(parents=True, exist_ok=True)
    history_path.write_text("".join(json.dumps(h) + "\n" for h in history[-HISTORY_KEPT:]))
    for line in render_terminal(overview):
        print(line)
    print(f"overview: file://{out.resolve()}")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 4:
        print("usage: overview.py RESULTS_DIR OUT_DIR HISTORY_FILE", file=sys.stderr)
        sys.exit(2)
    sys.exit(main(*sys.argv[1:]))
