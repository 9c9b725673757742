"""Audit of the cluster's own admission webhooks and APIServices: which break if pod IPs are unreachable."""

from __future__ import annotations

import pytest

from fixtures.reporting import attach
from netconform.adapters.kube import labels
from netconform.adapters.kube.cluster import KubeCluster
from netconform.adapters.kube.errors import NotFound, call
from netconform.checks.apiserver import apiservices, webhooks
from netconform.core.apiserver import webhook_audit
from netconform.core.findings import Severity
from netconform.core.profiles import Profile

pytestmark = [pytest.mark.apiserver, pytest.mark.readonly]


def test_cluster_webhooks_and_api_services_survive_the_profile(
    kube: KubeCluster, profile: Profile, request: pytest.FixtureRequest
) -> None:
    """Fails on ERROR findings (requests or discovery that fail); warnings are reported only."""
    theirs = [
        f for f in webhooks.read_cluster_webhooks(kube) if not _harness_owned(kube, f.kind, f.configuration)
    ]
    services = [
        s for s in apiservices.read_cluster_api_services(kube) if not s.name.endswith(".netconform.io")
    ]
    pod_cidrs = _pod_ranges(kube)
    findings = webhook_audit.audit(theirs, services, profile, pod_cidrs)
    table = webhook_audit.render_table(findings)
    attach(f"webhook and APIService audit (profile {profile.name.value})", table)
    request.node.add_report_section("call", "audit", table)
    errors = [f for f in findings if f.severity is Severity.ERROR]
    assert not errors, (
        f"{len(errors)} webhook(s)/APIService(s) at risk under profile {profile.name.value}:\n"
        + ("\n".join(f.describe() for f in errors))
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
