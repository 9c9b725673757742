"""Before/after conformance diff: classification, reading order, JUnit input, the `diff` command."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from netconform.adapters.junit import load_run
from netconform.cli import main
from netconform.core.run.diff import ChangeKind, Run, diff_runs, regressions
from netconform.core.run.outcomes import CaseResult, Outcome

P, F, E, S = Outcome.PASSED, Outcome.FAILED, Outcome.ERROR, Outcome.SKIPPED


@pytest.mark.parametrize(
    ("before", "after", "kind"),
    [
        (P, F, ChangeKind.NEW_FAILURE),
        (P, E, ChangeKind.NEW_FAILURE),
        (S, F, ChangeKind.NEW_FAILURE),
        (F, P, ChangeKind.FIXED),
        (E, P, ChangeKind.FIXED),
        (P, S, ChangeKind.NEWLY_SKIPPED),
        (S, P, ChangeKind.UNSKIPPED),
        (F, E, ChangeKind.STILL_FAILING_DIFFERENTLY),
        (P, None, ChangeKind.DISAPPEARED),
        (None, F, ChangeKind.NEW_TEST_FAILING),
        (None, P, ChangeKind.NEW_TEST_PASSING),
        (P, P, None),
        (S, S, None),
    ],
)
def test_each_transition_is_classified(
    before: Outcome | None, after: Outcome | None, kind: ChangeKind | None
) -> None:
    run_before = Run.of([CaseResult("t", before)] if before else [])
    run_after = Run.of([CaseResult("t", after)] if after else [])
    assert [c.kind for c in diff_runs(run_before, run_after)] == ([kind] if kind else [])


def test_same_failure_with_a_new_message_is_reported() -> None:
    before = Run.of([CaseResult("t", F, "timeout")])
    after = Run.of([CaseResult("t", F, "refused")])
    assert [c.kind for c in diff_runs(before, after)] == [ChangeKind.STILL_FAILING_DIFFERENTLY]


def test_new_failures_come_first_and_only_they_regress() -> None:
    before = Run.of(
        [CaseResult("a-fixed", F), CaseResult("b-broken", P), CaseResult("c-gone", P), CaseResult("d", P)]
    )
    after = Run.of([CaseResult("a-fixed", P), CaseResult("b-broken", F, "boom"), CaseResult("d", P)])
    changes = diff_runs(before, after)
    assert [(c.kind, c.test_id) for c in changes] == [
        (ChangeKind.NEW_FAILURE, "b-broken"),
        (ChangeKind.DISAPPEARED, "c-gone"),
        (ChangeKind.FIXED, "a-fixed"),
    ]
    assert [c.test_id for c in regressions(changes)] == ["b-broken", "c-gone"]


JUNIT = """<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="pytest" tests="4">
<testcase classname="suites.netpol.test_x" name="test_a[pod-ip]" time="1"/>
<testcase classname="suites.netpol.test_x" name="test_b">
<failure message="AssertionError: 2 wrong cells&#10;more">t</failure></testcase>
<testcase classname="suites.smoke.test_y" name="test_c"><skipped message="single node"/></testcase>
<testcase classname="suites.smoke.test_y" name="test_d"><error message="fixture failed"/></testcase>
</testsuite></testsuites>
"""


def test_junit_is_read_into_verdicts(tmp_path: Path) -> None:
    path = tmp_path / "junit.xml"
    path.write_text(JUNIT)
    run = load_run(path)
    assert run.verdicts["suites/netpol/test_x.py::test_a[pod-ip]"].outcome is P
    assert run.verdicts["suites/netpol/test_x.py::test_b"] == CaseResult(
        "suites/netpol/test_x.py::test_b", F, "AssertionError: 2 wrong cells"
    )
    assert run.counts() == {"passed": 1, "failed": 1, "error": 1, "skipped": 1, "known": 0}


def test_diff_command_exit_codes_and_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before, after = tmp_path / "before.xml", tmp_path / "after.xml"
    before.write_text(
        JUNIT.replace('<failure message="AssertionError: 2 wrong cells&#10;more">t</failure>', "")
    )
    after.write_text(JUNIT)
    assert main(["diff", str(before), str(after), "--output", "json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["regressions"] == 1
    assert report["changes"][0] == {
        "kind": "new_failure",
        "test": "suites/netpol/test_x.py::test_b",
        "before": "passed",
        "after": "failed",
        "message": "AssertionError: 2 wrong cells",
    }
    assert main(["diff", str(after), str(after)]) == 0
    assert "no verdict changed" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "results file not found"),
        ("not xml at all", "not JUnit XML"),
        ("<html><body/></html>", "not JUnit XML (root element <html>)"),
    ],
)
def test_bad_results_files_are_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str | None, message: str
) -> None:
    path = tmp_path / "x.xml"
    if content is not None:
        path.write_text(content)
    assert main(["diff", str(path), str(path)]) == 2
    err = capsys.readouterr().err
    assert message in err
    assert len(err.strip().splitlines()) == 1
