"""probe_webhook: which API server answers it waits out, which conclude at once (a stub core, no cluster)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any, cast

from kubernetes.client.rest import ApiException

from netconform.adapters.kube.cluster import KubeCluster
from netconform.adapters.waits import Bound
from netconform.checks.apiserver.webhooks import DENY_MESSAGE, WebhookKind, probe_webhook
from netconform.core.apiserver.paths import Backend, Mechanism, Reach, path

TARGET = path(Mechanism.VALIDATING_WEBHOOK, Backend.HOST_NETWORK)
SHORT = Bound("the test's webhook to take effect", timeout_s=0.5, interval_s=0.01)
FAILED_CALLING = (
    'Internal error occurred: failed calling webhook "deny-host.ns.netconform.io": failed to call webhook: '
    'Post "https://webhook-host.ns.svc:443/always-deny?timeout=5s": dial tcp 10.96.27.158:443: connect: {}'
)
DENIED = f'admission webhook "deny-host.ns.netconform.io" denied the request: {DENY_MESSAGE}'


def rejection(message: str, status: int = 500) -> ApiException:
    err = ApiException(status=status, reason="Internal Server Error")
    err.body = json.dumps({"kind": "Status", "message": message})
    return err


class StubCore:
    """Answers ConfigMap creation from a script: an exception is raised, anything else is returned."""

    def __init__(self, answers: Iterator[Any]) -> None:
        self.answers = answers
        self.created = 0

    def create_namespaced_config_map(self, namespace: str, manifest: dict[str, Any]) -> Any:
        self.created += 1
        answer = next(self.answers)
        if isinstance(answer, Exception):
            raise answer
        return answer

    def delete_namespaced_config_map(self, name: str, namespace: str) -> None:
        return None


def probe(answers: list[Any]) -> tuple[Any, StubCore]:
    def script() -> Iterator[Any]:
        yield from answers
        while True:
            yield answers[-1]

    core = StubCore(script())
    kube = cast(KubeCluster, SimpleNamespace(core=core))
    observation = probe_webhook(
        kube, TARGET, "ns", kind=WebhookKind.VALIDATING, probe_value="deny-host", bound=SHORT
    )
    return observation, core


def test_no_route_to_a_service_not_programmed_yet_is_waited_out() -> None:
    no_route = rejection(FAILED_CALLING.format("no route to host"))
    observation, core = probe([no_route, no_route, rejection(DENIED, status=400)])
    assert observation.reach is Reach.REACHED
    assert core.created == 3


def test_a_refusal_is_waited_out_too() -> None:
    refused = rejection(FAILED_CALLING.format("connection refused"))
    observation, core = probe([refused, rejection(DENIED, status=400)])
    assert observation.reach is Reach.REACHED
    assert core.created == 2


def test_no_route_that_lasts_the_bound_is_reported_unreachable() -> None:
    observation, core = probe([rejection(FAILED_CALLING.format("no route to host"))])
    assert observation.reach is Reach.UNREACHABLE
    assert observation.symptom == "no route to host"
    assert core.created > 1


def test_a_timeout_concludes_at_once() -> None:
    observation, core = probe([rejection(FAILED_CALLING.format("i/o timeout"))])
    assert observation.reach is Reach.UNREACHABLE
    assert observation.symptom == "timeout (i/o timeout)"
    assert core.created == 1
