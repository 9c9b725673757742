"""Running a suite against the test bed in a child pytest, as a user would, and reading its verdicts."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from child_pytest import REPO, run_pytest

from netconform.adapters.junit import load_run
from netconform.core.run.diff import Run
from netconform.core.run.outcomes import Outcome


@dataclass(frozen=True)
class SuiteRun:
    returncode: int
    output: str
    run: Run

    def outcomes(self, outcome: Outcome) -> list[str]:
        return sorted(t for t, v in self.run.verdicts.items() if v.outcome is outcome)


def run_suite(junit: Path, *args: str) -> SuiteRun:
    result = run_pytest(REPO, "-q", f"--junitxml={junit}", *args, cluster=True)
    output = result.stdout + result.stderr
    run = load_run(junit) if junit.exists() else Run.of([])
    return SuiteRun(result.returncode, output, run)
