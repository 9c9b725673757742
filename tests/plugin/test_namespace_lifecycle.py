"""One namespace lifecycle for every scope: --keep-namespaces applies to the suites' module and session
namespaces exactly as to a test's own (the factory owns the policy; the suites only say whose they are)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

REPO = Path(__file__).resolve().parents[2]

# A KubeCluster stand-in that records what the lifecycle does to namespaces, and no final sweep (it would
# dial the kubeconfig's cluster).
CONFTEST = """
import json
import os
from types import SimpleNamespace

import pytest

import fixtures.safety

pytest_plugins = ["fixtures.plugin", "suites.apiserver.conftest"]
fixtures.safety.final_sweep = lambda options: []


class FakeKube:
    def __init__(self):
        self.calls = []
        self.core = SimpleNamespace(list_namespaced_pod=lambda namespace: SimpleNamespace(items=[]))

    def create_namespace(self, name, run_id, labels, annotations=None):
        self.calls.append(["create", name])

    def label_namespace(self, name, labels):
        self.calls.append(["label", name, labels])

    def delete_namespace(self, name):
        self.calls.append(["delete", name])

    def events(self, namespace):
        return []


@pytest.fixture(scope="session")
def kube():
    fake = FakeKube()
    yield fake
    with open(os.environ["NAMESPACE_CALLS"], "w") as out:
        json.dump(fake.calls, out)
"""

TESTS = """
def test_uses_the_module_namespace(module_namespace):
    assert module_namespace.startswith("nc-")


def test_fails_in_the_module(module_namespace):
    assert False, "the failure whose namespace one wants to debug"
"""


def _run(pytester: pytest.Pytester, tmp_path: Path, *args: str) -> list[list[object]]:
    calls = tmp_path / "calls.json"
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_servers=TESTS)
    pytester.makeini("[pytest]\nmarkers =\n  apiserver: area\n  cluster: needs a cluster\n")
    result = pytester.runpytest_subprocess("-p", "no:randomly", "-p", "no:hypothesispytest", *args)
    result.assert_outcomes(passed=1, failed=1)
    loaded: list[list[object]] = json.loads(calls.read_text())
    return loaded


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PYTHONPATH", str(REPO))
    monkeypatch.setenv("NAMESPACE_CALLS", str(tmp_path / "calls.json"))


@pytest.mark.usefixtures("env")
def test_a_module_namespace_is_kept_when_a_test_of_the_module_failed(
    pytester: pytest.Pytester, tmp_path: Path
) -> None:
    calls = _run(pytester, tmp_path, "--keep-namespaces=failed")
    created = [c[1] for c in calls if c[0] == "create"]
    assert len(created) == 1
    assert ["label", created[0], {"netconform.io/keep": "failed"}] in calls
    assert ["delete", created[0]] not in calls


@pytest.mark.usefixtures("env")
def test_a_module_namespace_is_removed_by_default(pytester: pytest.Pytester, tmp_path: Path) -> None:
    calls = _run(pytester, tmp_path)
    created = [c[1] for c in calls if c[0] == "create"]
    assert len(created) == 1
    assert not [c for c in calls if c[0] == "label"]
    assert ["delete", created[0]] in calls
