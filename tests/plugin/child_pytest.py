"""The one way the plugin tier runs pytest in a child process: the repository's plugin on the path, no
kubeconfig or NETCONFORM_* settings inherited, and none of the plugins a child run does not need (hypothesis'
entry point alone costs about a second of start-up per child)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
LEAN = ("-p", "no:cacheprovider", "-p", "no:randomly", "-p", "no:hypothesispytest")


def child_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KUBECONFIG", "NETCONFORM_"))}
    env["PYTHONPATH"] = str(REPO)
    return env


def run_pytest(cwd: Path, *args: str, timeout_s: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest", *LEAN, *args],
        cwd=cwd, env=child_env(), capture_output=True, text=True, timeout=timeout_s, check=False,
    )  # fmt: skip
