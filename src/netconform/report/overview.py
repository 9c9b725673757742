"""The run overview: one page per run with the counts per area (passed / failed / known / skipped), the
profile and cluster facts, the enforcement timing figures when measured, and the trend across runs.

Allure counts an xfail as "skipped"; this page counts a declared known deviation apart (the reason starts
with ``KNOWN_DEVIATION_PREFIX``), so 9 known deviations are never read as 9 skips. Pure: results come in as
parsed Allure result documents, the page goes out as a string (``reports/overview.py`` does the files).

Timing figures (``timing.json`` schema, written by whatever measured them, e.g. the netpol suite)::

    {
      "schema": "netconform.timing/1",
      "title": "NetworkPolicy enforcement: policy applied -> every cell as expected",
      "unit": "s",
      "cells": [{"case": "deny-all-ingress", "mode": "pod-ip", "step": 1, "seconds": 0.82}, ...],
      "p50_s": 0.8, "p90_s": 1.4, "max_s": 2.1          # optional: computed from "cells" when absent
    }

Several files (one per xdist worker) are merged by concatenating their cells.
"""

from __future__ import annotations

import html
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from netconform.core.run.categories import KNOWN_DEVIATION_PREFIX
from netconform.core.run.summary import known_deviation_counts

TIMING_SCHEMA = "netconform.timing/1"
TIMING_GLOB = "netconform-timing*.json"
"""Where timing files go: the Allure results directory (``--alluredir``), one per process that measured."""
COLUMNS = ("passed", "failed", "known", "skipped")
HISTORY_SHOWN = 10
FACT_KEYS = (
    "profile",
    "profile.detected",
    "cni",
    "cluster.version",
    "node.types",
    "run.id",
    "harness.version",
)


class TimingError(ValueError):
    """A timing file that is not the schema above: one line naming the file and the problem."""


@dataclass(frozen=True)
class Timing:
    title: str
    unit: str
    samples: tuple[float, ...]
    p50: float
    p90: float
    maximum: float


@dataclass(frozen=True)
class Overview:
    counts: Mapping[str, Mapping[str, int]]  # area -> column -> count
    facts: Mapping[str, str]
    timing: Timing | None = None
    history: tuple[Mapping[str, Any], ...] = ()  # earlier runs' history_line(), oldest first
    known_ids: Mapping[str, int] = field(default_factory=dict)  # deviation id -> tests it turned known

    @property
    def total(self) -> dict[str, int]:
        return {c: sum(row[c] for row in self.counts.values()) for c in COLUMNS}


def outcome_of(result: Mapping[str, Any]) -> str:
    """An Allure result's column: passed, failed (failed or broken), known, or skipped."""
    status = result.get("status", "unknown")
    message = (result.get("statusDetails") or {}).get("message", "")
    if status == "passed":
        return "passed"
    if status in ("failed", "broken"):
        return "failed"
    if status == "skipped" and KNOWN_DEVIATION_PREFIX in message:
        return "known"
    return "skipped"


def _label(result: Mapping[str, Any], name: str) -> str:
    return next((str(lb.get("value")) for lb in result.get("labels", ()) if lb.get("name") == name), "")


def latest_results(results: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """One result per test: the last attempt (xdist re-runs and retries leave more than one)."""
    chosen: dict[str, Mapping[str, Any]] = {}
    for result in results:
        key = str(result.get("historyId") or result.get("fullName") or result.get("uuid"))
        if key not in chosen or result.get("stop", 0) >= chosen[key].get("stop", 0):
            chosen[key] = result
    return list(chosen.values())


def build_overview(
    results: Iterable[Mapping[str, Any]],
    facts: Mapping[str, str],
    timing: Timing | None = None,
    history: Sequence[Mapping[str, Any]] = (),
) -> Overview:
    counts: dict[str, dict[str, int]] = {}
    known_messages: list[str] = []
    for result in latest_results(results):
        area = _label(result, "epic") or "other"
        column = outcome_of(result)
        counts.setdefault(area, dict.fromkeys(COLUMNS, 0))[column] += 1
        if column == "known":
            known_messages.append((result.get("statusDetails") or {}).get("message", ""))
    return Overview(counts, dict(facts), timing, tuple(history), known_deviation_counts(known_messages))


def history_line(overview: Overview, started: str) -> dict[str, Any]:
    """What the next run's trend needs of this one (one JSON line in reports/history/overview.jsonl)."""
    return {
        "run": overview.facts.get("run.id", ""),
        "started": started,
        "counts": {a: dict(r) for a, r in overview.counts.items()},
        **({"p50_s": overview.timing.p50} if overview.timing else {}),
    }


# --- timing -------------------------------------------------------------------------------------------------
def parse_timing(documents: Sequence[tuple[str, Any]]) -> Timing | None:
    """Merge timing documents (``(source, parsed JSON)``); None when there are none."""
    if not documents:
        return None
    samples: list[float] = []
    title, unit = "", "s"
    given: dict[str, float] = {}
    for source, doc in documents:
        if not isinstance(doc, Mapping) or doc.get("schema") != TIMING_SCHEMA:
            raise TimingError(f"{source}: not a {TIMING_SCHEMA} document (a mapping with that 'schema')")
        cells = doc.get("cells", [])
        if not isinstance(cells, list):
            raise TimingError(f"{source}: 'cells' must be a list")
        for n, cell in enumerate(cells):
            seconds = cell.get("seconds") if isinstance(cell, Mapping) else None
            if not isinstance(seconds, int | float) or isinstance(seconds, bool) or seconds < 0:
                raise TimingError(f"{source}: cells[{n}] needs 'seconds', a number >= 0")
            samples.append(float(seconds))
        title = str(doc.get("title") or title)
        unit = str(doc.get("unit") or unit)
        for key in ("p50_s", "p90_s", "max_s"):
            if isinstance(doc.get(key), int | float):
                given[key] = float(doc[key])
    if samples and len(documents) > 1:
        given = {}  # one file's percentiles are not the merged run's: recompute from every cell
    if not samples and not given:
        return None
    return Timing(
        title or "enforcement timing",
        unit,
        tuple(samples),
        given.get("p50_s", _quantile(samples, 0.5)),
        given.get("p90_s", _quantile(samples, 0.9)),
        given.get("max_s", max(samples, default=0.0)),
    )


def _quantile(samples: Sequence[float], q: float) -> float:
    if not samples:
        return 0.0
    if len(samples) == 1:
        return samples[0]
    return statistics.quantiles(samples, n=100, method="inclusive")[round(q * 100) - 1]


# --- HTML ---------------------------------------------------------------------------------------------------
_CSS = """
body{font-family:system-ui,sans-serif;margin:1.5em;color:#202124}
table{border-collapse:collapse;margin:0.5em 0 1.2em 0}
th,td{border:1px solid #ccc;padding:3px 10px;text-align:right}
th:first-child,td:first-child{text-align:left}
td.passed{background:#e6f4ea} td.failed{background:#fce8e6} td.known{background:#fef7e0}
td.skipped{background:#f1f3f4} td.zero{background:#fff;color:#999}
.bar{display:inline-block;height:0.8em;vertical-align:middle}
""".strip()
_SYMBOL = {"passed": "✓", "failed": "✗", "known": "!", "skipped": "–"}
_BAR = {"passed": "#34a853", "failed": "#d93025", "known": "#f9ab00", "skipped": "#9aa0a6"}


def _count_row(name: str, row: Mapping[str, int], cls: str = "nc-area") -> str:
    cells = "".join(
        f'<td class="{c if row[c] else "zero"}" data-column="{c}">{_SYMBOL[c]} {row[c]}</td>' for c in COLUMNS
    )
    return f'<tr class="{cls}" data-area="{html.escape(name)}"><td>{html.escape(name)}</td>{cells}</tr>'


def _bar(counts: Mapping[str, Mapping[str, int]]) -> str:
    total = {c: sum(r.get(c, 0) for r in counts.values()) for c in COLUMNS}
    n = sum(total.values()) or 1
    return (
        "".join(
            f'<span class="bar" style="width:{200 * total[c] / n:.0f}px;background:{_BAR[c]}" '
            f'title="{c} {total[c]}"></span>'
            for c in COLUMNS
            if total[c]
        )
        + " "
        + " / ".join(f"{total[c]} {c}" for c in COLUMNS)
    )


def render_overview(overview: Overview, report_link: str = "index.html") -> str:
    head = "".join(f"<th>{c}</th>" for c in COLUMNS)
    rows = "".join(_count_row(area, row) for area, row in overview.counts.items())
    rows += _count_row("total", overview.total, "nc-total")
    facts = "".join(
        f'<tr><td>{html.escape(k)}</td><td style="text-align:left">{html.escape(overview.facts[k])}</td></tr>'
        for k in FACT_KEYS
        if overview.facts.get(k)
    )
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'><title>netconform run overview</title>",
        f"<style>{_CSS}</style></head><body>",
        "<h1>netconform run overview</h1>",
        "<p>Every test, per area. Known deviations are declared CNI differences, counted apart from skips "
        f'and never as passes. <a href="{html.escape(report_link)}">The full report</a> has every '
        "verdict.</p>",
        f'<h2>Results per area</h2><table id="nc-counts"><tr><th>area</th>{head}</tr>{rows}</table>',
    ]
    if overview.known_ids:
        items = "".join(
            f"<li><code>{html.escape(i)}</code>: {n} test(s)</li>"
            for i, n in sorted(overview.known_ids.items())
        )
        parts.append(f'<h2>Known deviations</h2><ul id="nc-known">{items}</ul>')
    parts.append(f'<h2>Cluster and profile</h2><table id="nc-facts">{facts}</table>')
    if overview.timing is not None:
        t = overview.timing
        parts.append(
            f'<h2>{html.escape(t.title)}</h2><table id="nc-timing"><tr><th>cells measured</th><th>p50</th>'
            f"<th>p90</th><th>max</th></tr><tr><td>{len(t.samples)}</td><td>{t.p50:.2f} {t.unit}</td>"
            f"<td>{t.p90:.2f} {t.unit}</td><td>{t.maximum:.2f} {t.unit}</td></tr></table>"
        )
    runs = [*overview.history[-(HISTORY_SHOWN - 1) :]]
    trend = "".join(
        f"<tr><td>{html.escape(str(r.get('started', '')))} {html.escape(str(r.get('run', '')))}</td>"
        f'<td style="text-align:left">{_bar(r.get("counts", {}))}</td></tr>'
        for r in runs
    )
    trend += f'<tr><td><b>this run</b></td><td style="text-align:left">{_bar(overview.counts)}</td></tr>'
    parts.append(
        f'<h2>Trend (last {len(runs) + 1} run(s))</h2><table id="nc-trend">{trend}</table></body></html>'
    )
    return "\n".join(parts)


def render_terminal(overview: Overview) -> list[str]:
    """The overview in a few lines, for the end of `make report`."""
    total = overview.total
    lines = ["overview: " + ", ".join(f"{total[c]} {c}" for c in COLUMNS)]
    if overview.known_ids:
        lines.append(
            "known deviations: " + ", ".join(f"{i} ×{n}" for i, n in sorted(overview.known_ids.items()))
        )
    if overview.timing is not None:
        t = overview.timing
        lines.append(
            f"{t.title}: p50 {t.p50:.2f} {t.unit}, p90 {t.p90:.2f} {t.unit}, max {t.maximum:.2f} {t.unit}"
        )
    return lines
