"""Running a suite against the test bed in a child pytest, as a user would, and reading its verdicts."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from netconform.adapters.junit import load_run
from netconform.core.run.diff import Run
from netconform.core.run.outcomes import Outcome

REPO = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class SuiteRun:
    returncode: int
    output: str
    run: Run

    def outcomes(self, outcome: Outcome) -> list[str]:
        return sorted(t for t, v in self.run.verdicts.items() if v.outcome is outcome)


def run_suite(junit: Path, *args: str) -> SuiteRun:
    command = [str(REPO / ".venv/bin/pytest"), "-p", "no:cacheprovider", "-q", f"--junitxml={junit}", *args]
    result = subprocess.run(
        command, cwd=REPO, env=os.environ.copy(), capture_output=True, text=True, check=False
    )
    output = result.stdout + result.stderr
    run = load_run(junit) if junit.exists() else Run.of([])
    return SuiteRun(result.returncode, output, run)
