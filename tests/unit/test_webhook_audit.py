"""The audit of a cluster's own webhooks and APIServices, on recorded shapes of real clusters."""

from __future__ import annotations

import pytest

from netconform.core.apiserver.webhook_audit import (
    ApiServiceFacts,
    BackendPod,
    ServiceBackend,
    Severity,
    WebhookFacts,
    audit,
    render_table,
    worst,
)
from netconform.core.profiles import PROFILES, ProfileName
from netconform.core.selectors import LabelSelector, Operator, Requirement

VPC = PROFILES[ProfileName.VPC_CNI]
OVERLAY = PROFILES[ProfileName.CALICO_OVERLAY]
GENERIC = PROFILES[ProfileName.GENERIC]

NOT_KUBE_SYSTEM = LabelSelector.of(
    None, Requirement("kubernetes.io/metadata.name", Operator.NOT_IN, frozenset({"kube-system"}))
)
POD_BACKED = ServiceBackend(
    "cert-manager", "cert-manager-webhook", 443, pods=(BackendPod("cm-webhook-1", False),)
)
HOST_BACKED = ServiceBackend(
    "cert-manager", "cert-manager-webhook", 443, pods=(BackendPod("cm-webhook-1", True),)
)
MIXED = ServiceBackend("gk", "gatekeeper", 443, pods=(BackendPod("gk-1", True), BackendPod("gk-2", False)))
NOT_READY = ServiceBackend("gk", "gatekeeper", 443, pods=(BackendPod("gk-1", False, ready=False),))
MISSING = ServiceBackend("gone", "old-webhook", 443, exists=False)


def webhook(
    service: ServiceBackend | None = POD_BACKED,
    failure_policy: str = "Fail",
    url: str | None = None,
    selector: LabelSelector | None = NOT_KUBE_SYSTEM,
) -> WebhookFacts:
    return WebhookFacts(
        "ValidatingWebhookConfiguration",
        "cert-manager-webhook",
        "webhook.cert-manager.io",
        failure_policy,
        10,
        service=service,
        url=url,
        namespace_selector=selector,
    )


def reachability(findings):  # type: ignore[no-untyped-def]
    return [f for f in findings if f.code != "fail-closed-covers-kube-system"]


@pytest.mark.parametrize(
    ("facts", "profile", "severity", "code"),
    [
        (webhook(), VPC, Severity.OK, "pod-network-routable"),
        (webhook(), OVERLAY, Severity.ERROR, "pod-network-unreachable"),
        (webhook(failure_policy="Ignore"), OVERLAY, Severity.WARNING, "pod-network-unreachable"),
        (webhook(), GENERIC, Severity.INFO, "pod-network-unverified"),
        (webhook(HOST_BACKED), OVERLAY, Severity.OK, "host-network"),
        (webhook(MIXED), OVERLAY, Severity.ERROR, "pod-network-unreachable"),
        (webhook(NOT_READY), VPC, Severity.ERROR, "no-ready-backend"),
        (webhook(MISSING, failure_policy="Ignore"), VPC, Severity.WARNING, "service-missing"),
        (
            webhook(None, url="https://127.0.0.1:23443/mutate"),
            OVERLAY,
            Severity.OK,
            "served-by-control-plane",
        ),
        (
            webhook(None, url="https://10.244.3.7:8443/validate"),
            OVERLAY,
            Severity.ERROR,
            "pod-network-unreachable",
        ),
        (webhook(None, url="https://10.244.3.7:8443/validate"), VPC, Severity.OK, "pod-network-routable"),
        (webhook(None, url="https://opa.example.com/v1/admit"), OVERLAY, Severity.INFO, "url-unverified"),
    ],
)
def test_webhook_reachability(facts, profile, severity, code) -> None:  # type: ignore[no-untyped-def]
    (finding,) = reachability(audit([facts], [], profile, pod_cidrs=["10.244.0.0/16"]))
    assert (finding.severity, finding.code) == (severity, code), finding.describe()
    assert (
        finding.subject
        == "ValidatingWebhookConfiguration/cert-manager-webhook webhook webhook.cert-manager.io"
    )


def test_an_at_risk_webhook_names_its_pods_why_and_the_fix() -> None:
    (finding,) = reachability(audit([webhook()], [], OVERLAY))
    assert "cm-webhook-1" in finding.fact("backend")
    assert "service cert-manager/cert-manager-webhook:443" in finding.fact("backend")
    assert "context deadline exceeded" in finding.message
    assert "hostNetwork: true" in finding.fix


@pytest.mark.parametrize(
    ("selector", "failure_policy", "flagged"),
    [
        (None, "Fail", True),
        (LabelSelector(), "Fail", True),
        (NOT_KUBE_SYSTEM, "Fail", False),
        (LabelSelector.of({"team": "a"}), "Fail", False),
        (LabelSelector.of({"kubernetes.io/metadata.name": "kube-system"}), "Fail", True),
        (None, "Ignore", False),
    ],
)
def test_fail_closed_webhooks_that_cover_kube_system(selector, failure_policy, flagged) -> None:  # type: ignore[no-untyped-def]
    findings = audit([webhook(HOST_BACKED, failure_policy, selector=selector)], [], VPC)
    codes = [f.code for f in findings]
    assert ("fail-closed-covers-kube-system" in codes) is flagged
    if flagged:
        assert worst(findings) is Severity.WARNING


METRICS = ServiceBackend("kube-system", "metrics-server", 443, pods=(BackendPod("metrics-server-1", False),))


@pytest.mark.parametrize(
    ("facts", "profile", "severity", "code"),
    [
        (ApiServiceFacts("v1.apps", None), OVERLAY, Severity.OK, "served-by-control-plane"),
        (ApiServiceFacts("v1beta1.metrics.k8s.io", METRICS, True), VPC, Severity.OK, "pod-network-routable"),
        (
            ApiServiceFacts("v1beta1.metrics.k8s.io", METRICS, True),
            OVERLAY,
            Severity.ERROR,
            "pod-network-unreachable",
        ),
        (
            ApiServiceFacts(
                "v1beta1.metrics.k8s.io", METRICS, False, "FailedDiscoveryCheck: context deadline exceeded"
            ),
            OVERLAY,
            Severity.ERROR,
            "pod-network-unreachable",
        ),
        (
            ApiServiceFacts("v1beta1.metrics.k8s.io", METRICS, False, "FailedDiscoveryCheck: bad status 403"),
            VPC,
            Severity.ERROR,
            "unavailable",
        ),
    ],
)
def test_api_services(facts, profile, severity, code) -> None:  # type: ignore[no-untyped-def]
    (finding,) = audit([], [facts], profile)
    assert (finding.severity, finding.code) == (severity, code), finding.describe()
    if facts.available is False:
        assert facts.message in finding.message


def test_findings_are_worst_first_and_render_as_a_table() -> None:
    findings = audit(
        [webhook(HOST_BACKED), webhook()],
        [ApiServiceFacts("v1beta1.metrics.k8s.io", METRICS)],
        OVERLAY,
    )
    assert [f.severity for f in findings] == sorted((f.severity for f in findings), reverse=True)
    table = render_table(findings)
    assert table.splitlines()[0].split()[:3] == ["severity", "code", "subject"]
    assert "APIService/v1beta1.metrics.k8s.io" in table
    assert render_table([]).startswith("no admission webhooks")
