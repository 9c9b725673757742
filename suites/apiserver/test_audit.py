"""Audit of the cluster's own admission webhooks and APIServices: which break if pod IPs are unreachable."""

from __future__ import annotations

import pytest

from fixtures.options import HarnessOptions
from fixtures.reporting import attach
from netconform.adapters.kube import labels, manifests
from netconform.adapters.kube.cluster import KubeCluster
from netconform.adapters.kube.errors import NotFound, call
from netconform.checks.apiserver import apiservices, reachability, webhooks
from netconform.core.apiserver import webhook_audit
from netconform.core.apiserver.paths import Backend, Mechanism, path
from netconform.core.apiserver.webhook_audit import PodNetworkReach
from netconform.core.findings import Severity
from netconform.core.profiles import Profile
from netconform.core.truthtable import Protocol

pytestmark = [pytest.mark.apiserver, pytest.mark.readonly]
PROBE_PORT = 8080


@pytest.fixture(scope="module")
def pod_network_reach(
    kube: KubeCluster,
    options: HarnessOptions,
    images: manifests.ImageSettings,
    request: pytest.FixtureRequest,
) -> PodNetworkReach:
    """Whether the control plane reaches pod IPs, measured here (pods/proxy to a pod on the pod network, the
    path suites/apiserver judges), so the audit never takes the profile's word for it; under --read-only the
    harness creates nothing, so it is not measured."""
    if options.read_only:
        return PodNetworkReach.not_measured(
            "--read-only: the harness created no pod for the API server to reach"
        )
    namespace: str = request.getfixturevalue("module_namespace")
    kube.create(namespace, manifests.http_pod("reach", {"app": "reach"}, images, PROBE_PORT))
    kube.create(namespace, manifests.service_for("reach", {"app": "reach"}, [(PROBE_PORT, Protocol.TCP)]))
    kube.wait_pods_ready(namespace, ["reach"])
    observation = reachability.pod_proxy(
        kube,
        path(Mechanism.POD_PROXY, Backend.POD_NETWORK),
        namespace,
        "reach",
        port=PROBE_PORT,
        expected_body="reach",
    )
    return PodNetworkReach.observed([observation])


def test_cluster_webhooks_and_api_services_survive_the_profile(
    kube: KubeCluster, profile: Profile, pod_network_reach: PodNetworkReach, request: pytest.FixtureRequest
) -> None:
    """Fails on ERROR findings (requests or discovery that fail); warnings are reported only. Pod-backed
    backends are judged by what this run observed of the control plane reaching pod IPs."""
    theirs = [
        f for f in webhooks.read_cluster_webhooks(kube) if not _harness_owned(kube, f.kind, f.configuration)
    ]
    services = [
        s for s in apiservices.read_cluster_api_services(kube) if not s.name.endswith(".netconform.io")
    ]
    pod_cidrs = _pod_ranges(kube)
    findings = webhook_audit.audit(theirs, services, pod_network_reach, pod_cidrs)
    table = webhook_audit.render_table(findings)
    attach(f"webhook and APIService audit (profile {profile.name.value})", table)
    request.node.add_report_section("call", "pod IPs from the control plane", pod_network_reach.evidence)
    request.node.add_report_section("call", "audit", table)
    errors = [f for f in findings if f.severity is Severity.ERROR]
    assert not errors, (
        f"{len(errors)} webhook(s)/APIService(s) at risk (control plane to pod IPs: "
        f"{pod_network_reach.seen.value}):\n" + ("\n".join(f.describe() for f in errors))
    )


def _harness_owned(kube: KubeCluster, kind: str, name: str) -> bool:
    """The harness's own configurations (of any run) are not the cluster's: they are swept, not audited."""
    reader = (
        kube.admission.read_validating_webhook_configuration
        if kind == webhooks.WebhookKind.VALIDATING.value
        else kube.admission.read_mutating_webhook_configuration
    )
    try:
        meta = call(f"read {kind} {name}", lambda: reader(name)).metadata
    except NotFound:  # deleted meanwhile (any other error stops the audit with its line, never hides it)
        return True
    return (meta.labels or {}).get(labels.OWNER) == labels.OWNER_VALUE


def _pod_ranges(kube: KubeCluster) -> list[str]:
    """The nodes' podCIDRs; where they are empty (the VPC CNI hands out subnet addresses, no podCIDR), the
    pod IPs seen, as /32s, so a URL webhook at a pod's address is still recognised as pod-backed."""
    nodes = call("list nodes", kube.core.list_node).items
    cidrs = [n.spec.pod_cidr for n in nodes if n.spec.pod_cidr]
    if cidrs:
        return cidrs
    pods = call("list pods in all namespaces", kube.core.list_pod_for_all_namespaces).items
    return sorted({f"{p.status.pod_ip}/32" for p in pods if p.status.pod_ip and not p.spec.host_network})
