"""The shared vocabulary: severities order, a finding describes itself in one line."""

from __future__ import annotations

from netconform.core.findings import Finding, Severity, evidence, worst, worst_first


def test_severities_are_ordered_worst_last() -> None:
    assert [s.name for s in sorted(Severity)] == ["OK", "INFO", "WARNING", "ERROR"]


def test_worst_of_none_is_ok_and_of_many_is_the_max() -> None:
    assert worst([]) is Severity.OK
    findings = [Finding(Severity.INFO, "a", "m"), Finding(Severity.ERROR, "b", "m")]
    assert worst(findings) is Severity.ERROR


def test_worst_first_keeps_the_order_within_a_severity() -> None:
    found = [
        Finding(Severity.INFO, "first-info", "m"),
        Finding(Severity.ERROR, "error", "m"),
        Finding(Severity.INFO, "second-info", "m"),
        Finding(Severity.WARNING, "warning", "m"),
    ]
    assert [f.code for f in worst_first(found)] == ["error", "warning", "first-info", "second-info"]


def test_evidence_keeps_the_order_and_reads_back_by_key() -> None:
    finding = Finding(Severity.WARNING, "c", "m", evidence({"current": 1, "target": "v2"}))
    assert finding.evidence == (("current", "1"), ("target", "v2"))
    assert finding.fact("target") == "v2"
    assert finding.fact("absent") == ""


def test_describe_is_one_line_with_subject_evidence_and_fix() -> None:
    full = Finding(
        Severity.ERROR, "no-ready-backend", "no pods", (("backend", "svc a/b:443"),), "fix it", "wh"
    )
    assert full.describe() == "ERROR no-ready-backend: wh (svc a/b:443): no pods — fix it"
    assert Finding(Severity.OK, "ok", "fine").describe() == "OK ok: fine"
