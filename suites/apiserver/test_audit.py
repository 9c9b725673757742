"""Audit of the cluster's own admission webhooks and APIServices: which break if pod IPs are unreachable."""

from __future__ import annotations

import pytest

from fixtures.reporting import attach
from netconform.adapters.kube import labels
from netconform.adapters.kube.cluster import KubeCluster
from netconform.checks.apiserver import apiservices, webhooks
from netconform.core.apiserver import webhook_audit
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
    pod_cidrs = [n.spec.pod_cidr for n in kube.core.list_node().items if n.spec.pod_cidr]
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
        meta = reader(name).metadata
    except Exception:  # deleted meanwhile
        return True
    return (meta.labels or {}).get(labels.OWNER) == labels.OWNER_VALUE
