"""The one way the harness's own tests run pytest in a child process, in every tier.

- ``LEAN``: none of the plugins a child run does not need (hypothesis' entry point alone costs about a second
  of start-up per child; no cache, no random order, so a child's output is reproducible).
- ``child_env()``: the repository's plugin on the path and, for the plugin tier, no kubeconfig or
  NETCONFORM_* settings inherited; ``child_env(cluster=True)`` keeps them, so a cluster-tier child runs
  against the test bed its parent runs against.

``pytest.ini_options.pythonpath`` puts this folder on the path, so every tier imports it as ``child_pytest``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
LEAN = ("-p", "no:cacheprovider", "-p", "no:randomly", "-p", "no:hypothesispytest")
PYTESTER_ADDOPTS = "-p no:hypothesispytest"
"""PYTEST_ADDOPTS for pytester's ``runpytest_subprocess``: the part of ``LEAN`` its tests do not pass."""
PLUGIN_TIMEOUT_S = 120
"""A plugin-tier child runs a handful of simulated tests."""
CLUSTER_TIMEOUT_S = 1800
"""A cluster-tier child runs whole suites against the bed (the netpol catalog takes minutes)."""


def child_env(*, cluster: bool = False) -> dict[str, str]:
    inherited = os.environ.items()
    env = (
        dict(inherited)
        if cluster
        else {k: v for k, v in inherited if not k.startswith(("KUBECONFIG", "NETCONFORM_"))}
    )
    env["PYTHONPATH"] = str(REPO)
    return env


def pytest_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "pytest", *LEAN, *args]


def run_pytest(
    cwd: Path, *args: str, cluster: bool = False, timeout_s: float | None = None
) -> subprocess.CompletedProcess[str]:
    """``pytest *args`` in ``cwd``, output captured; the plugin tier's environment unless ``cluster``."""
    bound = timeout_s if timeout_s is not None else (CLUSTER_TIMEOUT_S if cluster else PLUGIN_TIMEOUT_S)
    return subprocess.run(
        pytest_command(*args),
        cwd=cwd, env=child_env(cluster=cluster), capture_output=True, text=True, timeout=bound, check=False,
    )  # fmt: skip
