"""What a run found, for a person: failure categories and the end-of-run table per area.

A conformance failure means one of two very different things. Either the cluster's network does not do what
its CNI profile promises (a **product** failure: that is what the harness exists to find), or the harness
could not look (an **environment** problem: cluster unreachable, image cannot be pulled, RBAC, a wait that
ran out). The same rules sort failures in the terminal summary and in the Allure report (its ``allurerc``
categories are generated from ``CATEGORY_RULES``, and a unit test keeps the two equal).

Statuses follow Allure: ``failed`` is an assertion (the check ran and disagreed), ``broken`` is any other
exception (the check did not run to its verdict).
"""

from __future__ import annotations

from collections.abc import Iterable

from netconform.core.run.categories import KNOWN_DEVIATION_PREFIX, Kind
from netconform.core.run.outcomes import CaseResult, Outcome

_COLUMNS = ("passed", "failed", "error", "skipped", "known")


def tally(outcomes: Iterable[CaseResult]) -> dict[str, dict[str, int]]:
    """Counts per area and outcome, areas in first-seen order."""
    table: dict[str, dict[str, int]] = {}
    for o in outcomes:
        row = table.setdefault(o.area, dict.fromkeys(_COLUMNS, 0))
        row[o.outcome.value] += 1
    return table


def worst(outcomes: Iterable[CaseResult], limit: int = 10) -> list[CaseResult]:
    """Failures in reading order: product failures first (what the run is for), then environment
    problems, then harness errors; within a kind, by area and test id."""
    order = {Kind.PRODUCT: 0, Kind.ENVIRONMENT: 1, Kind.HARNESS: 2, Kind.KNOWN: 3}
    bad = [o for o in outcomes if o.outcome.bad]

    def key(o: CaseResult) -> tuple[int, str, str]:
        rule = o.category
        return (order[rule.kind] if rule else 3, o.area, o.test_id)

    return sorted(bad, key=key)[:limit]


def render_summary(outcomes: list[CaseResult], limit: int = 10) -> str:
    """The table per area and the worst findings, as plain text for the terminal."""
    table = tally(outcomes)
    width = max([len("area"), *(len(a) for a in table)])
    lines = [f"{'area':<{width}}  " + "  ".join(f"{c:>7}" for c in _COLUMNS)]
    for area, row in table.items():
        lines.append(f"{area:<{width}}  " + "  ".join(f"{row[c]:>7}" for c in _COLUMNS))
    total = {c: sum(r[c] for r in table.values()) for c in _COLUMNS}
    if len(table) > 1:
        lines.append(f"{'total':<{width}}  " + "  ".join(f"{total[c]:>7}" for c in _COLUMNS))
    known = known_deviation_counts(o.message for o in outcomes if o.outcome is Outcome.KNOWN)
    if known:
        lines.append(
            "known deviations (declared, not passed): " + ", ".join(f"{i} ×{n}" for i, n in known.items())
        )
    findings = worst(outcomes, limit)
    if findings:
        lines += ["", "worst findings:"]
        for o in findings:
            rule = o.category
            lines.append(f"  {o.outcome.value.upper():<6} [{o.area}] {o.test_id}")
            lines.append(f"         {rule.name if rule else 'uncategorised'}: {_first_line(o.message)}")
        more = sum(o.outcome.bad for o in outcomes) - len(findings)
        if more > 0:
            lines.append(f"  ... and {more} more (see the report)")
    return "\n".join(lines)


def _first_line(message: str, width: int = 160) -> str:
    line = next((x.strip() for x in message.splitlines() if x.strip()), "(no message)")
    return line if len(line) <= width else line[: width - 1] + "…"


def known_deviation_ids(message: str) -> list[str]:
    """The deviation ids of a known-deviation reason: each paragraph opens with ``id: reason (link)``."""
    if KNOWN_DEVIATION_PREFIX not in message:
        return []
    body = message.split(KNOWN_DEVIATION_PREFIX, 1)[1].lstrip(": ")
    return [line.split(":", 1)[0].strip() for line in body.splitlines() if ":" in line]


def known_deviation_counts(messages: Iterable[str]) -> dict[str, int]:
    """How many tests each declared deviation turned into a known deviation, by id."""
    counts: dict[str, int] = {}
    for message in messages:
        for dev in known_deviation_ids(message):
            counts[dev] = counts.get(dev, 0) + 1
    return dict(sorted(counts.items()))
