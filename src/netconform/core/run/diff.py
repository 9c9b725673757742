"""Conformance verdicts of a run, and what changed between two runs (before/after an add-on upgrade).

The order of a diff is the order a platform engineer reads it in: new failures first (the upgrade broke
them), then tests that vanished or newly fail to run, then fixes, then the rest.
"""

from __future__ import annotations

import enum
import html
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from netconform.core.run.outcomes import CaseResult, Outcome


@dataclass(frozen=True)
class Run:
    verdicts: Mapping[str, CaseResult]
    label: str = ""  # where it came from (file name), for the report

    @classmethod
    def of(cls, verdicts: Iterable[CaseResult], label: str = "") -> Run:
        return cls({v.test_id: v for v in verdicts}, label)

    def counts(self) -> dict[str, int]:
        return {o.value: sum(v.outcome is o for v in self.verdicts.values()) for o in Outcome}


class ChangeKind(enum.Enum):
    # Values give the reading order.
    NEW_FAILURE = 1  # passed (or skipped) before, fails now
    STILL_FAILING_DIFFERENTLY = 2
    NEW_TEST_FAILING = 3
    DISAPPEARED = 4  # ran before, not now: coverage lost
    FIXED = 5
    NEW_TEST_PASSING = 6
    NEWLY_SKIPPED = 7
    UNSKIPPED = 8


@dataclass(frozen=True)
class Change:
    kind: ChangeKind
    test_id: str
    before: CaseResult | None
    after: CaseResult | None

    def describe(self) -> str:
        was = self.before.outcome.value if self.before else "absent"
        now = self.after.outcome.value if self.after else "absent"
        why = self.after.message if self.after and self.after.outcome is not Outcome.PASSED else ""
        return f"{self.kind.name.replace('_', ' ').lower()}: {self.test_id} ({was} -> {now})" + (
            f"\n      {why}" if why else ""
        )


def diff_runs(before: Run, after: Run) -> list[Change]:
    changes = []
    for test_id in sorted(set(before.verdicts) | set(after.verdicts)):
        was, now = before.verdicts.get(test_id), after.verdicts.get(test_id)
        kind = _classify(was, now)
        if kind is not None:
            changes.append(Change(kind, test_id, was, now))
    return sorted(changes, key=lambda c: (c.kind.value, c.test_id))


def _classify(was: CaseResult | None, now: CaseResult | None) -> ChangeKind | None:
    if was is None and now is not None:
        return ChangeKind.NEW_TEST_FAILING if now.outcome.bad else ChangeKind.NEW_TEST_PASSING
    if now is None:
        return ChangeKind.DISAPPEARED
    assert was is not None
    if was.outcome is now.outcome:
        if now.outcome.bad and was.message != now.message:
            return ChangeKind.STILL_FAILING_DIFFERENTLY
        return None
    if now.outcome.bad:
        return ChangeKind.NEW_FAILURE if not was.outcome.bad else ChangeKind.STILL_FAILING_DIFFERENTLY
    if was.outcome.bad:
        return ChangeKind.FIXED if now.outcome is Outcome.PASSED else ChangeKind.NEWLY_SKIPPED
    if now.outcome in (Outcome.SKIPPED, Outcome.KNOWN):
        return ChangeKind.NEWLY_SKIPPED
    return ChangeKind.UNSKIPPED


def regressions(changes: Iterable[Change]) -> list[Change]:
    """The changes that should fail an upgrade gate."""
    bad = {ChangeKind.NEW_FAILURE, ChangeKind.NEW_TEST_FAILING, ChangeKind.DISAPPEARED}
    return [c for c in changes if c.kind in bad]


def render_text(before: Run, after: Run, changes: list[Change]) -> str:
    head = (
        f"before: {before.label or 'baseline'} {_summary(before)}\n"
        f"after:  {after.label or 'current'} {_summary(after)}\n"
    )
    if not changes:
        return head + "no verdict changed"
    regressed = regressions(changes)
    verdict = f"REGRESSED: {len(regressed)} new failure(s)" if regressed else "NO REGRESSIONS"
    return head + f"{verdict}; {len(changes)} change(s):\n" + "\n".join(f"  {c.describe()}" for c in changes)


def render_html(before: Run, after: Run, changes: list[Change]) -> str:
    rows = "".join(
        f'<tr class="{c.kind.name.lower()}"><td>{html.escape(c.kind.name.replace("_", " ").lower())}</td>'
        f"<td><code>{html.escape(c.test_id)}</code></td>"
        f"<td>{html.escape(c.before.outcome.value if c.before else '-')}</td>"
        f"<td>{html.escape(c.after.outcome.value if c.after else '-')}</td>"
        f"<td>{html.escape(c.after.message if c.after else '')}</td></tr>"
        for c in changes
    )
    return (
        "<style>table.nc-diff{border-collapse:collapse;font-family:sans-serif;font-size:13px}"
        "table.nc-diff td,table.nc-diff th{border:1px solid #ccc;padding:3px 6px;text-align:left}"
        ".new_failure,.new_test_failing,.disappeared{background:#fde2e1}.fixed{background:#e3f6e5}</style>"
        f"<p>before: {html.escape(_summary(before))}<br>after: {html.escape(_summary(after))}</p>"
        '<table class="nc-diff">'
        "<tr><th>change</th><th>test</th><th>before</th><th>after</th><th>why</th></tr>"
        f"{rows}</table>"
    )


def _summary(run: Run) -> str:
    counts = run.counts()
    return ", ".join(f"{n} {k}" for k, n in counts.items() if n) or "no tests"
