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

import enum
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any


class Outcome(enum.Enum):
    PASSED = "passed"
    FAILED = "failed"
    ERROR = "error"  # setup or teardown failed: the test could not run to its verdict
    SKIPPED = "skipped"
    KNOWN = "known"  # a declared known deviation (xfail): not a pass, not a new failure

    @property
    def bad(self) -> bool:
        return self in (Outcome.FAILED, Outcome.ERROR)


class Kind(enum.StrEnum):
    PRODUCT = "product"
    ENVIRONMENT = "environment"
    HARNESS = "harness"


@dataclass(frozen=True, slots=True)
class CategoryRule:
    name: str
    kind: Kind
    statuses: tuple[str, ...]
    pattern: str | None = None
    """A regular expression searched in the failure message; the subset that Python and JavaScript agree on
    (no inline flags, no lookbehind), because Allure 3 evaluates the same text with ``new RegExp``."""
    hint: str = ""

    def matches(self, status: str, message: str) -> bool:
        return status in self.statuses and (
            self.pattern is None or re.search(self.pattern, message) is not None
        )


_BOTH = ("failed", "broken")
CATEGORY_RULES: tuple[CategoryRule, ...] = (
    CategoryRule(
        "Environment: cluster unreachable",
        Kind.ENVIRONMENT,
        _BOTH,
        r"cannot reach the API server|Connection refused|Max retries exceeded|Unable to connect to the server"
        r"|kubeconfig not found|errors\.Transient",
        "the API server did not answer: check the endpoint, VPN/security groups and that the cluster is up",
    ),
    CategoryRule(
        "Environment: image pull",
        Kind.ENVIRONMENT,
        _BOTH,
        r"ErrImagePull|ImagePullBackOff|ErrImageNeverPull|InvalidImageName|image cannot be pulled"
        r"|image is not on the node",
        "nodes cannot pull the probe image: mirror it (--probe-image) or open egress to the registry",
    ),
    CategoryRule(
        "Environment: RBAC / credentials",
        Kind.ENVIRONMENT,
        _BOTH,
        r"errors\.Forbidden|errors\.Unauthorized|is forbidden: User|forbidden: cannot|unauthorized: "
        r"|AccessDenied",
        "the harness's identity lacks a permission or its credentials expired",
    ),
    CategoryRule(
        "Environment: timeouts",
        Kind.ENVIRONMENT,
        ("broken",),
        r"WaitTimeout|timed out after|TimeoutError|deadline exceeded|Timeout",
        "a bounded wait ran out before the cluster got there: a slow or overloaded cluster, or a stuck pod",
    ),
    CategoryRule(
        "Product failures",
        Kind.PRODUCT,
        ("failed",),
        None,
        "the pod network did not do what the profile promises",
    ),
    CategoryRule(
        "Harness or test errors",
        Kind.HARNESS,
        ("broken",),
        None,
        "an unexpected exception: a bug in the harness or a suite",
    ),
)


def categorize(status: str, message: str) -> CategoryRule | None:
    """The first rule that matches (Allure 3 also takes the first match); None for passed and skipped."""
    return next((rule for rule in CATEGORY_RULES if rule.matches(status, message)), None)


def allure_categories() -> dict[str, Any]:
    """``CATEGORY_RULES`` as the ``categories`` value of an allurerc file."""
    rules: list[dict[str, Any]] = []
    for rule in CATEGORY_RULES:
        matcher: dict[str, Any] = {"statuses": list(rule.statuses)}
        if rule.pattern is not None:
            matcher["message"] = rule.pattern
        rules.append({"name": rule.name, "matchers": matcher, "expand": rule.kind is Kind.PRODUCT})
    return {"rules": rules}


@dataclass(frozen=True, slots=True)
class CaseOutcome:
    """One test's verdict as the end-of-run summary sees it."""

    test_id: str
    area: str
    outcome: Outcome
    message: str = ""
    status: str = ""
    """Allure's status for a failure ("failed" or "broken"); empty for passed and skipped."""

    @property
    def category(self) -> CategoryRule | None:
        return categorize(self.status, self.message) if self.outcome.bad else None


_COLUMNS = ("passed", "failed", "error", "skipped", "known")


def tally(outcomes: Iterable[CaseOutcome]) -> dict[str, dict[str, int]]:
    """Counts per area and outcome, areas in first-seen order."""
    table: dict[str, dict[str, int]] = {}
    for o in outcomes:
        row = table.setdefault(o.area, dict.fromkeys(_COLUMNS, 0))
        row[o.outcome.value] += 1
    return table


def worst(outcomes: Iterable[CaseOutcome], limit: int = 10) -> list[CaseOutcome]:
    """Failures in reading order: product failures first (what the run is for), then environment
    problems, then harness errors; within a kind, by area and test id."""
    order = {Kind.PRODUCT: 0, Kind.ENVIRONMENT: 1, Kind.HARNESS: 2}
    bad = [o for o in outcomes if o.outcome.bad]

    def key(o: CaseOutcome) -> tuple[int, str, str]:
        rule = o.category
        return (order[rule.kind] if rule else 3, o.area, o.test_id)

    return sorted(bad, key=key)[:limit]


def render_summary(outcomes: list[CaseOutcome], limit: int = 10) -> str:
    """The table per area and the worst findings, as plain text for the terminal."""
    table = tally(outcomes)
    width = max([len("area"), *(len(a) for a in table)])
    lines = [f"{'area':<{width}}  " + "  ".join(f"{c:>7}" for c in _COLUMNS)]
    for area, row in table.items():
        lines.append(f"{area:<{width}}  " + "  ".join(f"{row[c]:>7}" for c in _COLUMNS))
    total = {c: sum(r[c] for r in table.values()) for c in _COLUMNS}
    if len(table) > 1:
        lines.append(f"{'total':<{width}}  " + "  ".join(f"{total[c]:>7}" for c in _COLUMNS))
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
