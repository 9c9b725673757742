"""A fail-closed webhook served by nothing stops the run before the first test — only when it matches what
the harness creates, in a namespace like the harness's."""

from __future__ import annotations

from netconform.core.apiserver.blocking import AdmissionGate, WebhookRule, blockers
from netconform.core.apiserver.webhook_audit import BackendPod, ServiceBackend, WebhookFacts
from netconform.core.selectors import LabelSelector, Operator, Requirement

OURS = {
    "netconform.io/owner": "netconform",
    "netconform.io/run-id": "r1",
    "kubernetes.io/metadata.name": "nc-r1-gw-preflight",
}
PODS = WebhookRule(frozenset({"CREATE", "UPDATE"}), frozenset({""}), frozenset({"pods"}))
GONE = ServiceBackend("policy-system", "policy", 443, exists=False)
EMPTY = ServiceBackend("policy-system", "policy", 443, pods=(BackendPod("p-1", False, ready=False),))
SERVED = ServiceBackend("policy-system", "policy", 443, pods=(BackendPod("p-1", False),))


def gate(
    service: ServiceBackend | None = GONE,
    *,
    policy: str = "Fail",
    rules: tuple[WebhookRule, ...] = (PODS,),
    selector: LabelSelector | None = None,
    object_selector_empty: bool = True,
    harness_owned: bool = False,
    url: str | None = None,
) -> AdmissionGate:
    facts = WebhookFacts(
        "ValidatingWebhookConfiguration",
        "policy",
        "deny.policy.example.com",
        policy,
        10,
        service,
        url,
        selector,
    )
    return AdmissionGate(facts, rules, object_selector_empty, harness_owned)


def test_a_deleted_service_behind_a_fail_closed_pod_webhook_blocks() -> None:
    found = blockers([gate(GONE)], OURS)
    assert len(found) == 1
    line = found[0].describe()
    assert line.startswith(
        'fail-closed webhook "deny.policy.example.com" (ValidatingWebhookConfiguration/policy) would reject '
        "the harness's objects: its service policy-system/policy:443 does not exist"
    )
    assert "failurePolicy: Ignore" in line
    assert "\n" not in line


def test_a_service_without_ready_endpoints_blocks() -> None:
    assert [b.why for b in blockers([gate(EMPTY)], OURS)] == [
        "its service policy-system/policy:443 has no ready endpoint"
    ]


def test_wildcards_cover_the_harness_objects() -> None:
    everything = WebhookRule(frozenset({"*"}), frozenset({"*"}), frozenset({"*"}))
    assert blockers([gate(rules=(everything,))], OURS)


def test_nothing_blocks_when_the_webhook_is_served_ignored_or_elsewhere() -> None:
    deployments = WebhookRule(frozenset({"CREATE"}), frozenset({"apps"}), frozenset({"deployments"}))
    deletes = WebhookRule(frozenset({"DELETE"}), frozenset({""}), frozenset({"pods"}))
    kube_system_only = LabelSelector.of({"kubernetes.io/metadata.name": "kube-system"})
    excludes_us = LabelSelector.of(None, Requirement("netconform.io/owner", Operator.DOES_NOT_EXIST))
    cases = [
        gate(SERVED),
        gate(policy="Ignore"),
        gate(rules=(deployments, deletes)),
        gate(selector=kube_system_only),
        gate(selector=excludes_us),
        gate(object_selector_empty=False),
        gate(harness_owned=True),
        gate(None, url="https://policy.example.com/validate"),
    ]
    assert blockers(cases, OURS) == []


def test_a_selector_that_excludes_only_system_namespaces_still_matches_ours() -> None:
    not_system = LabelSelector.of(
        None, Requirement("kubernetes.io/metadata.name", Operator.NOT_IN, frozenset({"kube-system"}))
    )
    assert blockers([gate(selector=not_system)], OURS)
