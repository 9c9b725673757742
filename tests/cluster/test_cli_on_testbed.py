"""`netconform detect` and `netconform sweep` against the real test bed."""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator

import pytest

from netconform.adapters.kube import labels
from netconform.adapters.kube.cluster import KubeCluster
from netconform.cli import main


def test_detect_reports_the_test_bed_as_generic(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["detect", "--output", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["profile"] == "generic"
    assert report["server_version"] == "v1.36.3"
    assert report["evidence"]


@pytest.fixture
def foreign_and_ours(kube: KubeCluster) -> Iterator[tuple[str, str, str]]:
    """One namespace of a made-up earlier run, and one without our labels that must survive."""
    old_run = f"old{secrets.token_hex(3)}"
    ours = f"nc-{old_run}-sweep"
    foreign = f"not-netconform-{secrets.token_hex(3)}"
    kube.create_namespace(ours, old_run)
    kube.core.create_namespace({"metadata": {"name": foreign, "labels": {"team": "payments"}}})
    yield old_run, ours, foreign
    kube.delete_namespace(foreign)
    kube.delete_namespace(ours)


def test_sweep_removes_exactly_the_runs_objects(
    kube: KubeCluster, foreign_and_ours: tuple[str, str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    old_run, ours, foreign = foreign_and_ours
    assert main(["sweep", "--run-id", old_run, "--dry-run"]) == 0
    assert f"would remove Namespace/{ours}" in capsys.readouterr().out
    assert kube.namespace_exists(ours)

    assert main(["sweep", "--run-id", old_run]) == 0
    assert f"removing Namespace/{ours}" in capsys.readouterr().out
    kube.wait_namespaces_gone([ours])
    assert kube.namespace_exists(foreign)
    namespace = kube.core.read_namespace(foreign)
    assert labels.RUN_ID not in (namespace.metadata.labels or {})


def test_sweep_without_a_cluster_is_one_line_and_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sweep", "--run-id", "x", "--kubeconfig", "/nonexistent/kubeconfig"]) == 2
    err = capsys.readouterr().err
    assert err.strip() == "netconform: error: kubeconfig not found: /nonexistent/kubeconfig"
