"""Lays out a pytester directory that runs suites/netpol, copied in unchanged, against the simulated cluster
(simulated_cluster.py: a KubeCluster stand-in and an oracle that asks the engine about the real names)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from child_pytest import PYTESTER_ADDOPTS, REPO

HERE = Path(__file__).resolve().parent
SUITE = REPO / "suites" / "netpol" / "test_networkpolicy.py"

__all__ = ["REPO", "SUITE", "netpol_suite"]


def netpol_suite(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    # The repository for fixtures.plugin, this folder for simulated_cluster.py.
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join((str(REPO), str(HERE))))
    monkeypatch.setenv("PYTEST_ADDOPTS", PYTESTER_ADDOPTS)
    pytester.makeconftest('pytest_plugins = ["fixtures.plugin", "simulated_cluster"]\n')
    pytester.makeini("[pytest]\nmarkers =\n  netpol: area\n  smoke: area\n  cluster: needs a cluster\n")
    shutil.copy(SUITE, pytester.path / "test_networkpolicy.py")
    return pytester
