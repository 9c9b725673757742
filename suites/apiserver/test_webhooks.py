"""Admission webhooks served by pods: the API server must call them to deny and to patch."""

from __future__ import annotations

import pytest

from fixtures.reporting import attach
from netconform.adapters.kube.cluster import KubeCluster
from netconform.adapters.kube.manifests import ImageSettings
from netconform.checks.apiserver import webhooks
from netconform.core.apiserver import webhook_audit
from netconform.core.apiserver.paths import Backend, Mechanism, Reach, path
from netconform.core.apiserver.webhook_audit import PodNetworkReach
from netconform.core.findings import Severity
from suites.apiserver.conftest import VerdictOf

pytestmark = pytest.mark.apiserver

KINDS = {
    webhooks.WebhookKind.VALIDATING: (Mechanism.VALIDATING_WEBHOOK, "/always-deny", "deny"),
    webhooks.WebhookKind.MUTATING: (Mechanism.MUTATING_WEBHOOK, "/add-label", "mutate"),
}
BACKENDS = {Backend.POD_NETWORK: "pod", Backend.HOST_NETWORK: "host"}


@pytest.fixture(scope="module")
def servers(
    kube: KubeCluster, module_namespace: str, images: ImageSettings
) -> dict[Backend, webhooks.TlsServer]:
    """agnhost webhook servers: one on the pod network, one with hostNetwork on a free high port."""
    return {
        backend: webhooks.deploy_webhook_server(
            kube,
            module_namespace,
            f"webhook-{short}",
            images,
            host_network=backend is Backend.HOST_NETWORK,
        )
        for backend, short in BACKENDS.items()
    }


@pytest.mark.parametrize("backend", list(BACKENDS), ids=list(BACKENDS.values()))
@pytest.mark.parametrize("kind", list(KINDS), ids=[v[2] for v in KINDS.values()])
def test_api_server_calls_the_webhook(  # noqa: PLR0917 (pytest passes fixtures by name)
    kube: KubeCluster,
    servers: dict[Backend, webhooks.TlsServer],
    run_id: str,
    kind: webhooks.WebhookKind,
    backend: Backend,
    verdict_of: VerdictOf,
) -> None:
    """A ConfigMap the validating webhook must deny, or the mutating webhook must label: either proves the
    API server reached the webhook's pod; "failed calling webhook" proves it could not."""
    mechanism, url_path, verb = KINDS[kind]
    server = servers[backend]
    manifest = webhooks.webhook_configuration(
        kind,
        server,
        run_id,
        path=url_path,
        probe_value=f"{verb}-{BACKENDS[backend]}",
        timeout_s=webhooks.WEBHOOK_TIMEOUT_S,
    )
    with webhooks.registered(kube, manifest):
        observation = webhooks.probe_webhook(
            kube,
            path(mechanism, backend),
            server.namespace,
            kind=kind,
            probe_value=f"{verb}-{BACKENDS[backend]}",
            port=server.port,
        )
    verdict_of(observation)


def test_audit_names_a_pod_backed_webhook_and_passes_a_host_network_one(
    kube: KubeCluster, servers: dict[Backend, webhooks.TlsServer], run_id: str
) -> None:
    """The audit of the cluster's own webhooks, fed two of ours and what this run observed of the API server
    calling the pod-backed one: that one is at risk exactly when the call did not get through, and the
    finding quotes the observation; the hostNetwork one never is."""
    configurations = {
        backend: webhooks.webhook_configuration(
            webhooks.WebhookKind.VALIDATING,
            server,
            run_id,
            path="/always-deny",
            probe_value=f"audit-{BACKENDS[backend]}",
            timeout_s=webhooks.WEBHOOK_TIMEOUT_S,
        )
        for backend, server in servers.items()
    }
    names = {backend: manifest["metadata"]["name"] for backend, manifest in configurations.items()}
    server = servers[Backend.POD_NETWORK]
    with (
        webhooks.registered(kube, configurations[Backend.POD_NETWORK]),
        webhooks.registered(kube, configurations[Backend.HOST_NETWORK]),
    ):
        facts = [f for f in webhooks.read_cluster_webhooks(kube) if f.configuration in names.values()]
        observation = webhooks.probe_webhook(
            kube,
            path(Mechanism.VALIDATING_WEBHOOK, Backend.POD_NETWORK),
            server.namespace,
            kind=webhooks.WebhookKind.VALIDATING,
            probe_value="audit-pod",
            port=server.port,
        )
    reach = PodNetworkReach.observed([observation])
    findings = webhook_audit.audit(facts, [], reach)
    attach("webhook audit", webhook_audit.render_table(findings))
    by_configuration = {f.subject.split(" ")[0].split("/", 1)[1]: f for f in findings}
    host = by_configuration[names[Backend.HOST_NETWORK]]
    pod = by_configuration[names[Backend.POD_NETWORK]]
    assert host.severity is Severity.OK, host.describe()
    assert host.code == "host-network", host.describe()
    assert observation.reach is not Reach.INCONCLUSIVE, observation
    reached = observation.reach is Reach.REACHED
    assert (pod.severity, pod.code) == (
        (Severity.OK, "pod-network-reached") if reached else (Severity.ERROR, "pod-network-unreachable")
    ), pod.describe()
    assert f"validating-webhook/pod-network: {observation.reach.value}" in pod.message, pod.describe()
    assert server.name in pod.fact("backend"), pod.describe()
    # Ours select only their own namespace: never a kube-system coverage warning.
    assert not [f for f in findings if f.code == "fail-closed-covers-kube-system"], findings
