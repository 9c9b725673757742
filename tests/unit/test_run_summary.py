from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from netconform.core.run.categories import Kind, allure_categories, categorize
from netconform.core.run.outcomes import CaseResult, Outcome
from netconform.core.run.summary import render_summary, tally, worst

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("status", "message", "category"),
    [
        ("failed", "AssertionError: expected BLOCKED, observed ALLOWED x/a -> y/b", "Product failures"),
        # a probe that timed out is the product's verdict (BLOCKED), not an environment problem
        (
            "failed",
            "Failed: x/a -> y/b: expected ALLOWED, observed BLOCKED (connect timed out)",
            "Product failures",
        ),
        (
            "broken",
            "errors.Transient: list pods: cannot reach the API server (Connection refused)",
            "Environment: cluster unreachable",
        ),
        (
            "broken",
            "PodStartFailure: pod a: ErrImageNeverPull: the image is not on the node",
            "Environment: image pull",
        ),
        ("failed", "Failed: server pod did not start: ImagePullBackOff", "Environment: image pull"),
        (
            "broken",
            'errors.Forbidden: forbidden: cannot create pods in nc-x (pods is forbidden: User "ci")',
            "Environment: RBAC / credentials",
        ),
        (
            "broken",
            "netconform.adapters.waits.WaitTimeout: timed out after 120s waiting for pods ready: a Pending",
            "Environment: timeouts",
        ),
        ("broken", "KeyError: 'status'", "Harness or test errors"),
    ],
)
def test_categorize(status: str, message: str, category: str) -> None:
    rule = categorize(status, message)
    assert rule is not None
    assert rule.name == category


def test_passed_and_skipped_have_no_category() -> None:
    assert categorize("passed", "") is None
    assert categorize("skipped", "no SCTP") is None


def test_allurerc_categories_are_the_python_rules() -> None:
    allurerc = json.loads((REPO / "reports" / "allurerc.json").read_text())
    assert allurerc["categories"] == allure_categories(), (
        "reports/allurerc.json is out of date: paste "
        "netconform.core.run.categories.allure_categories() into it"
    )


def _outcomes() -> list[CaseResult]:
    return [
        CaseResult("suites/netpol/t.py::test_a", Outcome.PASSED, area="netpol"),
        CaseResult(
            "suites/netpol/t.py::test_b", Outcome.FAILED, "expected BLOCKED", area="netpol", status="failed"
        ),
        CaseResult("suites/netpol/t.py::test_c", Outcome.SKIPPED, "no SCTP", area="netpol"),
        CaseResult(
            "suites/density/t.py::test_d",
            Outcome.ERROR,
            "WaitTimeout: timed out after",
            area="density",
            status="broken",
        ),
        CaseResult("suites/density/t.py::test_e", Outcome.PASSED, area="density"),
        CaseResult(
            "suites/apiserver/t.py::test_f", Outcome.FAILED, "KeyError: x", area="apiserver", status="broken"
        ),
    ]


def test_tally_counts_per_area_in_first_seen_order() -> None:
    table = tally(_outcomes())
    assert list(table) == ["netpol", "density", "apiserver"]
    assert table["netpol"] == {"passed": 1, "failed": 1, "error": 0, "skipped": 1, "known": 0}
    assert table["density"] == {"passed": 1, "failed": 0, "error": 1, "skipped": 0, "known": 0}


def test_worst_findings_put_product_failures_first() -> None:
    found = worst(_outcomes())
    assert [o.test_id.rsplit("::", 1)[1] for o in found] == ["test_b", "test_d", "test_f"]
    assert [o.category.kind for o in found if o.category] == [Kind.PRODUCT, Kind.ENVIRONMENT, Kind.HARNESS]


def test_render_summary() -> None:
    text = render_summary(_outcomes(), limit=2)
    lines = text.splitlines()
    assert lines[0].split() == ["area", "passed", "failed", "error", "skipped", "known"]
    assert lines[1].split() == ["netpol", "1", "1", "0", "1", "0"]
    assert lines[4].split() == ["total", "2", "2", "1", "1", "0"]
    assert "FAILED [netpol] suites/netpol/t.py::test_b" in text
    assert "Product failures: expected BLOCKED" in text
    assert "Environment: timeouts: WaitTimeout: timed out after" in text
    assert "... and 1 more (see the report)" in text


def test_strip_analytics_removes_the_beacon_and_nothing_else() -> None:
    sys.path.insert(0, str(REPO / "reports"))
    try:
        import strip_analytics
    finally:
        sys.path.pop(0)
    html = (
        '<head><script src="data:x"></script>\n'
        '    <script async src="https://www.googletagmanager.com/gtag/js?id=G-1"></script>\n'
        "    <script>\n        window.dataLayer = window.dataLayer || [];\n        function gtag(){}\n"
        "        gtag('js', new Date());\n    </script>\n"
        "    <script async>window.allureReportData = {};</script>"
    )
    out, removed = strip_analytics.strip(html)
    assert removed == 1
    assert "googletagmanager" not in out
    assert "gtag" not in out
    assert '<script src="data:x"></script>' in out
    assert "window.allureReportData" in out
