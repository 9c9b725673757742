"""Reading a run's verdicts from pytest's JUnit XML (or a stored baseline, which is the same XML)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from netconform.core.run.diff import Run
from netconform.core.run.outcomes import CaseResult, Outcome
from netconform.errors import InputError


def load_run(path: Path) -> Run:
    try:
        root = ET.parse(path).getroot()  # our own pytest output, not untrusted input
    except FileNotFoundError as err:
        raise InputError(f"results file not found: {path}") from err
    except ET.ParseError as err:
        raise InputError(f"{path}: not JUnit XML ({err})") from err
    cases = root.iter("testcase")
    verdicts = [_verdict(case) for case in cases]
    if root.tag not in ("testsuites", "testsuite"):
        raise InputError(f"{path}: not JUnit XML (root element <{root.tag}>)")
    return Run.of(verdicts, label=path.name)


def _verdict(case: ET.Element) -> CaseResult:
    classname = case.get("classname", "")
    name = case.get("name", "?")
    test_id = f"{classname.replace('.', '/')}.py::{name}" if classname else name
    for tag, outcome in (("failure", Outcome.FAILED), ("error", Outcome.ERROR), ("skipped", Outcome.SKIPPED)):
        element = case.find(tag)
        if element is not None:
            # The suites mark declared known deviations xfail; JUnit has only <skipped type="pytest.xfail">.
            known = outcome is Outcome.SKIPPED and element.get("type") == "pytest.xfail"
            message = (element.get("message") or element.text or "").strip().splitlines()
            return CaseResult(
                test_id, Outcome.KNOWN if known else outcome, message[0][:300] if message else ""
            )
    return CaseResult(test_id, Outcome.PASSED)
