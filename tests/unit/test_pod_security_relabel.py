"""A hostNetwork pod's namespace is labelled privileged before the pod goes in; PodSecurity may judge by a
namespace copy that does not have the label yet, so that one denial is retried within a bound."""

from __future__ import annotations

import json
from typing import Any

import pytest
from kubernetes import client
from kubernetes.client.exceptions import ApiException

from netconform.adapters.kube import cluster as cluster_module
from netconform.adapters.kube.cluster import KubeCluster
from netconform.adapters.kube.errors import AdmissionDenied
from netconform.adapters.waits import Bound

STALE = (
    'pods "web-host" is forbidden: violates PodSecurity "restricted:latest": host namespaces '
    '(hostNetwork=true), hostPort (container "netexec" uses hostPort 21252)'
)
WEBHOOK = 'admission webhook "deny.example.com" denied the request: [no-host] hostNetwork is not allowed'


def denied(message: str) -> ApiException:
    err = ApiException(status=403, reason="Forbidden")
    err.body = json.dumps({"kind": "Status", "message": message})
    return err


class FakeCore:
    def __init__(self, answers: list[ApiException | None]) -> None:
        self.answers = answers
        self.created = 0
        self.patches: list[dict[str, Any]] = []

    def __getattr__(self, name: str) -> Any:  # create() looks up every kind's creator: none other is called
        def unexpected(*_args: Any) -> None:
            raise AssertionError(f"unexpected call {name}")

        return unexpected

    def patch_namespace(self, name: str, body: dict[str, Any]) -> None:
        self.patches.append(body)

    def create_namespaced_pod(self, namespace: str, manifest: dict[str, Any]) -> None:
        self.created += 1
        answer = self.answers.pop(0) if self.answers else None
        if answer is not None:
            raise answer


def host_pod() -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "web-host"},
        "spec": {"hostNetwork": True, "containers": [{"name": "netexec", "image": "x"}]},
    }


@pytest.fixture(autouse=True)
def quick(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        cluster_module,
        "POD_SECURITY_SEES_LEVEL",
        Bound("PodSecurity to see it", timeout_s=1, interval_s=0.01),
    )


def kube_with(core: FakeCore) -> KubeCluster:
    kube = KubeCluster(client.ApiClient())
    kube.core = core  # type: ignore[assignment]
    return kube


def test_a_stale_pod_security_denial_after_relabelling_is_retried() -> None:
    core = FakeCore([denied(STALE), denied(STALE), None])
    kube = kube_with(core)
    kube.create("nc-1", host_pod())
    assert core.created == 3
    assert core.patches[0]["metadata"]["labels"] == {"pod-security.kubernetes.io/enforce": "privileged"}


def test_a_denial_that_stays_is_still_one_admission_line() -> None:
    core = FakeCore([denied(STALE)] * 1000)
    with pytest.raises(AdmissionDenied) as raised:
        kube_with(core).create("nc-1", host_pod())
    assert "admission plugin PodSecurity (restricted:latest) denied it: host namespaces" in str(raised.value)


def test_other_denials_are_not_retried() -> None:
    core = FakeCore([denied(WEBHOOK), None])
    with pytest.raises(AdmissionDenied):
        kube_with(core).create("nc-1", host_pod())
    assert core.created == 1
    # A namespace already labelled: no patch, and no retry either.
    core = FakeCore([denied(STALE), None])
    kube = kube_with(core)
    kube.privileged_namespaces["nc-1"] = ("privileged", "earlier pod")
    with pytest.raises(AdmissionDenied):
        kube.create("nc-1", host_pod())
    assert (core.created, core.patches) == (1, [])
