"""The audit of a cluster's own webhooks and APIServices, on recorded shapes of real clusters."""

from __future__ import annotations

import pytest

from netconform.core.apiserver.paths import Backend, Mechanism, Observation, Reach, path
from netconform.core.apiserver.webhook_audit import (
    ApiServiceFacts,
    BackendPod,
    PodNetworkReach,
    ServiceBackend,
    WebhookFacts,
    audit,
    render_table,
)
from netconform.core.findings import Severity, worst
from netconform.core.profiles import Expect
from netconform.core.selectors import LabelSelector, Operator, Requirement

PROXY = path(Mechanism.POD_PROXY, Backend.POD_NETWORK)
REPRODUCE = "kubectl get --raw /api/v1/namespaces/nc-1/pods/web-pod:8080/proxy/hostname"
# What the run observed of the control plane reaching pod IPs (never what a profile claims).
VPC = PodNetworkReach.observed([Observation(PROXY, Reach.REACHED, 200, "web-pod", REPRODUCE)])
OVERLAY = PodNetworkReach.observed([Observation(PROXY, Reach.UNREACHABLE, 503, "i/o timeout", REPRODUCE)])
GENERIC = PodNetworkReach.not_measured("--read-only: no pod of the harness to reach")

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
        (webhook(), VPC, Severity.OK, "pod-network-reached"),
        (webhook(), OVERLAY, Severity.ERROR, "pod-network-unreachable"),
        (webhook(failure_policy="Ignore"), OVERLAY, Severity.WARNING, "pod-network-unreachable"),
        (webhook(), GENERIC, Severity.INFO, "pod-network-not-measured"),
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
        (webhook(None, url="https://10.244.3.7:8443/validate"), VPC, Severity.OK, "pod-network-reached"),
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
        (ApiServiceFacts("v1beta1.metrics.k8s.io", METRICS, True), VPC, Severity.OK, "pod-network-reached"),
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


def test_the_audit_says_what_it_observed_and_how_to_repeat_it() -> None:
    (reached,) = reachability(audit([webhook()], [], VPC))
    assert "the control plane reached in this run" in reached.message
    assert REPRODUCE in reached.message
    (unreached,) = reachability(audit([webhook()], [], OVERLAY))
    assert "could not reach in this run (pods-proxy/pod-network: unreachable" in unreached.message
    (unmeasured,) = reachability(audit([webhook()], [], GENERIC))
    assert unmeasured.message.endswith("was not measured: --read-only: no pod of the harness to reach")


def test_pod_network_reach_comes_from_pod_network_observations_only() -> None:
    host = Observation(path(Mechanism.POD_PROXY, Backend.HOST_NETWORK), Reach.REACHED)
    assert PodNetworkReach.observed([host]).seen is Expect.UNKNOWN
    assert "no pod-network path" in PodNetworkReach.observed([host]).evidence
    mixed = [
        Observation(PROXY, Reach.REACHED),
        Observation(path(Mechanism.VALIDATING_WEBHOOK, Backend.POD_NETWORK), Reach.UNREACHABLE),
    ]
    assert PodNetworkReach.observed(mixed).seen is Expect.UNKNOWN
    assert PodNetworkReach.observed([Observation(PROXY, Reach.INCONCLUSIVE)]).seen is Expect.UNKNOWN
