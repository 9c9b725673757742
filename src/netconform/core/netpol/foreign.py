"""NetworkPolicies in the harness's namespaces that it did not create (a Kyverno generate rule, a platform
controller): the engine's expected table knows nothing of them, so the run names them and stops instead of
reporting every blocked cell as the CNI's fault. Pure: the adapter lists the policies as manifests."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


def describe(policy: Mapping[str, Any]) -> str:
    """'NetworkPolicy default-deny (all pods; ingress and egress denied)' — what it does, in a few words."""
    spec = policy.get("spec") or {}
    selector = spec.get("podSelector") or {}
    pods = (
        "all pods"
        if not selector.get("matchLabels") and not selector.get("matchExpressions")
        else "some pods"
    )
    types = spec.get("policyTypes") or (["Ingress", "Egress"] if spec.get("egress") else ["Ingress"])
    denied = [t.lower() for t in types if not spec.get(t.lower())]
    rules = f"{' and '.join(denied)} denied" if denied else "with allow rules"
    return f"NetworkPolicy {policy['metadata']['name']} ({pods}; {rules})"


def stop_line(policies: Sequence[Mapping[str, Any]], namespace: str, owner_label: str) -> str:
    names = "; ".join(describe(p) for p in policies)
    return (
        f"foreign NetworkPolicy in every new namespace: {names} appeared in {namespace} without the "
        "harness creating it, and the engine's expected tables do not model it — exclude namespaces "
        f"labelled {owner_label} from the policy that generates it "
        "(Kyverno: exclude.any.resources.namespaceSelector)"
    )
