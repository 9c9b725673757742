"""The run overview: one page per run with the counts per area (passed / failed / known / skipped), the
profile and cluster facts, the enforcement timing figures when measured, and the trend across runs.

Allure counts an xfail as "skipped"; this page counts a declared known deviation apart (the reason starts
with ``KNOWN_DEVIATION_PREFIX``), so 9 known deviations are never read as 9 skips. Pure: results come in as
parsed Allure result documents, the page goes out as a string (``reports/overview.py`` does the files).

Timing figures: the ``netconform-timing/1`` documents the netpol suite writes (schema in
``netconform.core.netpol.timing``), one row per event (create, delete, label change) and the start-up window.
Several files (one per process that measured) are merged by concatenating their events.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from netconform.core.netpol.timing import FILE_NAME as TIMING_FILE
from netconform.core.netpol.timing import SCHEMA as TIMING_SCHEMA
from netconform.core.run.categories import KNOWN_DEVIATION_PREFIX
from netconform.core.run.summary import known_deviation_counts

TIMING_GLOB = TIMING_FILE.replace(".json", "*.json")
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
class TimingRow:
    """One event's figures: how long after the change each cell showed the new verdict."""

    event: str
    expected: str
    cells: int
    p50_s: float | None
    p95_s: float | None
    max_s: float | None
    unconverged: int


@dataclass(frozen=True)
class Timing:
    rows: tuple[TimingRow, ...]
    startup: str = ""  # the start-up window in words, "" when not measured
    title: str = "NetworkPolicy enforcement timing (change -> first probe showing the new verdict, per cell)"


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
    }


# --- timing -------------------------------------------------------------------------------------------------
def parse_timing(documents: Sequence[tuple[str, Any]]) -> Timing | None:
    """Merge timing documents (``(source, parsed JSON)``); None when there are none."""
    rows: list[TimingRow] = []
    startup = ""
    for source, doc in documents:
        if not isinstance(doc, Mapping) or doc.get("schema") != TIMING_SCHEMA:
            raise TimingError(f"{source}: not a {TIMING_SCHEMA} document (a mapping with that 'schema')")
        events = doc.get("events")
        if not isinstance(events, list):
            raise TimingError(f"{source}: 'events' must be a list")
        for n, event in enumerate(events):
            rows.append(_row(source, n, event))
        window = doc.get("startup")
        if isinstance(window, Mapping):
            startup = _startup_words(window)
    if not rows and not startup:
        return None
    return Timing(tuple(rows), startup)


def _row(source: str, n: int, event: Any) -> TimingRow:
    if not isinstance(event, Mapping) or not isinstance(event.get("cells"), list):
        raise TimingError(f"{source}: events[{n}] needs 'cells', a list")
    figures = {key: event.get(key) for key in ("p50_s", "p95_s", "max_s")}
    for key, value in figures.items():
        if value is not None and (not isinstance(value, int | float) or isinstance(value, bool) or value < 0):
            raise TimingError(f"{source}: events[{n}].{key} must be a number >= 0 or null")
    p50, p95, peak = (None if v is None else float(v) for v in figures.values())
    return TimingRow(
        event=str(event.get("event", "")),
        expected=str(event.get("expected", "")),
        cells=len(event["cells"]),
        p50_s=p50,
        p95_s=p95,
        max_s=peak,
        unconverged=int(event.get("unconverged") or 0),
    )


def _startup_words(window: Mapping[str, Any]) -> str:
    return (
        f"a pod created after a deny-all ingress ({window.get('pod', '')}): first probe "
        f"{window.get('first_probe', '')}, {window.get('allowed_probes', 0)} of {window.get('probes', 0)} "
        f"probes through, window {_seconds(window.get('window_s'))} after Ready"
    )


def _seconds(value: Any) -> str:
    return "-" if not isinstance(value, int | float) else f"{value:.2f} s"


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
        rows = "".join(
            f"<tr><td>{html.escape(r.event)} → {html.escape(r.expected)}</td><td>{r.cells}</td>"
            f"<td>{_seconds(r.p50_s)}</td><td>{_seconds(r.p95_s)}</td><td>{_seconds(r.max_s)}</td>"
            f"<td>{r.unconverged}</td></tr>"
            for r in t.rows
        )
        startup = f"<p>{html.escape(t.startup)}</p>" if t.startup else ""
        parts.append(
            f'<h2>{html.escape(t.title)}</h2><table id="nc-timing"><tr><th>change</th><th>cells</th>'
            f"<th>p50</th><th>p95</th><th>max</th><th>not seen</th></tr>{rows}</table>{startup}"
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
        lines.append("enforcement timing:")
        lines += [
            f"  {r.event} -> {r.expected}: {r.cells} cells, p50 {_seconds(r.p50_s)}, "
            f"p95 {_seconds(r.p95_s)}, max {_seconds(r.max_s)}"
            for r in overview.timing.rows
        ]
        if overview.timing.startup:
            lines.append(f"  start-up: {overview.timing.startup}")
    return lines
