"""One test's result, in the one vocabulary the run summary, the report and `netconform diff` share."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from netconform.core.run.categories import CategoryRule, categorize


class Outcome(enum.Enum):
    PASSED = "passed"
    FAILED = "failed"
    ERROR = "error"  # setup or teardown failed: the test could not run to its verdict
    SKIPPED = "skipped"
    KNOWN = "known"  # a declared known deviation (xfail): not a pass, not a new failure

    @property
    def bad(self) -> bool:
        return self in (Outcome.FAILED, Outcome.ERROR)


@dataclass(frozen=True, slots=True)
class CaseResult:
    """One test's verdict: read from pytest's reports during the run, or from a JUnit file afterwards."""

    test_id: str  # "suites/netpol/test_networkpolicy.py::test_networkpolicy[deny-all-ingress[pod-ip]]"
    outcome: Outcome
    message: str = ""  # first line of the failure or skip reason
    area: str = ""
    status: str = ""
    """Allure's status for a failure ("failed" or "broken"); empty for passed and skipped."""

    @property
    def category(self) -> CategoryRule | None:
        return categorize(self.status, self.message) if self.outcome.bad else None
