"""NetworkPolicies in the harness's namespaces that it did not create (a Kyverno generate rule, a platform
controller). They are named, and folded into the world the engine computes the expected tables from: a
generated default-deny is then part of every case's expectation, and each cell it decides is explained by it.
Only a policy the engine cannot model (it does not parse) stops the run, in one line.

The other suites test the pod network, not policies: their namespaces get the harness's own allow-all
(policies are additive, so it undoes any isolation a NetworkPolicy adds) and the report says so. Pure: the
adapter lists the policies as manifests.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from netconform.errors import CannotCheck, RunExitCode

ALLOW_ALL_NAME = "netconform-allow-all"  # in namespaces whose suite does not test NetworkPolicy
BASELINE_ALLOW_NAME = "netconform-baseline-allow"  # in the policy model's namespaces, while proving servers


class ForeignPolicyUnmodelled(CannotCheck):
    """A foreign policy the engine cannot read: no expected table would be right, so the run stops."""

    run_exit_code = RunExitCode.FOREIGN_POLICY


def describe(policy: Mapping[str, Any]) -> str:
    """'NetworkPolicy default-deny (all pods; ingress and egress denied)' — what it does, in a few words."""
    spec = policy.get("spec") or {}
    selector = spec.get("podSelector") or {}
    pods = (
        "all pods"
        if not selector.get("matchLabels") and not selector.get("matchExpressions")
        else "some pods"
    )
    denied = [t.lower() for t in policy_types(spec) if not spec.get(t.lower())]
    rules = f"{' and '.join(denied)} denied" if denied else "with allow rules"
    return f"NetworkPolicy {policy['metadata']['name']} ({pods}; {rules})"


def policy_types(spec: Mapping[str, Any]) -> list[str]:
    """policyTypes as the API server defaults them (Ingress always, Egress when there are egress rules)."""
    return list(spec.get("policyTypes") or (["Ingress", "Egress"] if spec.get("egress") else ["Ingress"]))


def seen_line(policies: Sequence[Mapping[str, Any]], namespace: str, owner_label: str) -> str:
    """The one warning of a run whose new namespaces get policies it did not create."""
    names = "; ".join(describe(p) for p in policies)
    return (
        f"foreign NetworkPolicy in every new namespace: {names} appeared in {namespace} without the harness "
        "creating it — folded into the NetworkPolicy suite's expected tables; the other suites' namespaces "
        f"get {ALLOW_ALL_NAME} (policies are additive) so they measure the pod network, not that policy. To "
        f"run without either, exclude namespaces labelled {owner_label} from the policy that generates it "
        "(Kyverno: exclude.any.resources.namespaceSelector)"
    )


def to_model(policy: Mapping[str, Any], real_to_model: Mapping[str, str]) -> dict[str, Any]:
    """The policy in the model's names: its namespace and every selector value naming one of the harness's
    namespaces (``kubernetes.io/metadata.name: nc-…-x-…``) become the model name (x). Only name and
    namespace stay of the metadata; ``status`` goes."""
    meta = policy["metadata"]
    namespace = real_to_model.get(meta["namespace"], meta["namespace"])
    spec = _renamed(policy.get("spec") or {}, real_to_model)
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": meta["name"], "namespace": namespace},
        "spec": spec,
    }


def _renamed(value: Any, names: Mapping[str, str]) -> Any:
    if isinstance(value, str):
        return names.get(value, value)
    if isinstance(value, Mapping):
        return {key: _renamed(item, names) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_renamed(item, names) for item in value]
    return value


def allow_all(namespace: str, name: str = ALLOW_ALL_NAME) -> dict[str, Any]:
    """Every pod of the namespace: ingress from anywhere and egress to anywhere (empty rules match all)."""
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"], "ingress": [{}], "egress": [{}]},
    }


def clashes(foreign: Sequence[str], case_policies: Sequence[str]) -> list[str]:
    """Case policies ("x/name") that would replace a foreign one of the same name (and delete it after)."""
    return sorted(set(foreign) & set(case_policies))


def folded_note(foreign: Mapping[str, Mapping[str, Any]]) -> str:
    """What the report says once: which foreign policies every expected table includes."""
    if not foreign:
        return "no foreign NetworkPolicies in the model's namespaces"
    listed = "; ".join(f"{key.split('/')[0]}: {describe(doc)}" for key, doc in sorted(foreign.items()))
    return f"foreign NetworkPolicies folded into every expected table: {listed}"
