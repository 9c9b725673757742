"""Webhooks that would reject the harness's own objects before the first test: fail-closed, matching what the
harness creates in its namespaces, and served by nothing (Service gone, or no ready endpoint).

Without this a run meets the same ``failed calling webhook`` 500 in every test. With it the run stops once,
naming the webhook and the ways around it. Pure: the adapter resolves each webhook's Service and pods.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from netconform.core.apiserver.webhook_audit import WebhookFacts

# What the harness creates (CREATE) in its own namespaces, by API group; the namespaces themselves too.
HARNESS_WRITES: frozenset[tuple[str, str]] = frozenset(
    {
        ("", "namespaces"),
        ("", "pods"),
        ("", "services"),
        ("", "configmaps"),
        ("", "secrets"),
        ("", "serviceaccounts"),
        ("networking.k8s.io", "networkpolicies"),
    }
)


@dataclass(frozen=True)
class WebhookRule:
    """One ``rules`` entry of a webhook: operations x apiGroups x resources ("*" wildcards)."""

    operations: frozenset[str]
    api_groups: frozenset[str]
    resources: frozenset[str]

    def covers_create(self, group: str, resource: str) -> bool:
        return (
            bool({"CREATE", "*"} & self.operations)
            and bool({group, "*"} & self.api_groups)
            and bool({resource, "*", "*/*"} & self.resources)
        )


@dataclass(frozen=True)
class AdmissionGate:
    """A webhook with what it intercepts: its rules, and whether an objectSelector narrows it."""

    facts: WebhookFacts
    rules: tuple[WebhookRule, ...]
    object_selector_empty: bool = True
    harness_owned: bool = False  # the harness's own (apiserver suite): selects only its probe objects


@dataclass(frozen=True)
class Blocker:
    gate: AdmissionGate
    why: str

    def describe(self) -> str:
        facts = self.gate.facts
        return (
            f'fail-closed webhook "{facts.webhook}" ({facts.kind}/{facts.configuration}) would reject the '
            f"harness's objects: {self.why}; fix its backend, set failurePolicy: Ignore, or exclude "
            "namespaces labelled netconform.io/owner=netconform from its namespaceSelector"
        )


def blockers(gates: Sequence[AdmissionGate], namespace_labels: Mapping[str, str]) -> list[Blocker]:
    """Webhooks that will reject what the harness creates in a namespace labelled ``namespace_labels``.

    Only what is certain: a URL-configured webhook or one narrowed by an objectSelector is left to the run
    (its backend cannot be judged, or it may not match the harness's objects)."""
    found = []
    for gate in gates:
        facts = gate.facts
        if gate.harness_owned or not facts.fails_closed or facts.service is None:
            continue
        if not gate.object_selector_empty:
            continue
        selector = facts.namespace_selector
        if selector is not None and not selector.matches(namespace_labels):
            continue
        if not any(rule.covers_create(g, r) for rule in gate.rules for g, r in HARNESS_WRITES):
            continue
        service = facts.service
        if not service.exists:
            found.append(Blocker(gate, f"its {service.ref} does not exist"))
        elif not service.ready_pods:
            found.append(Blocker(gate, f"its {service.ref} has no ready endpoint"))
    return found
