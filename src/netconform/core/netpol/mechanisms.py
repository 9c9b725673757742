"""CNI mechanisms a known deviation can name: what a CNI does instead of the API, from the policies.

A deviation that names a *shape* (core.netpol.deviations) covers a wrong cell only where its mechanism, run on
the step's own cluster and policies, predicts exactly the observed verdict. So a deviation found on one
hand-written case also explains a generated case of the same shape, and nothing else: a generated case is
never matched by its id, which says nothing about its policies.

Each mechanism is a small model of the implementation, written from its source and checked against the bed's
measurements (tests/unit/netpol/test_mechanisms.py holds both: the catalog's one observed deviation and the
generated cases that disagreed).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from netconform.core.netpol import matching
from netconform.core.netpol.model import Cluster, Namespace, Pod, Probe
from netconform.core.netpol.policy import Direction, NetworkPolicy
from netconform.core.truthtable import Cell

# (cluster, policies in force, source, destination, probe) -> the verdict the CNI gives the connection
Mechanism = Callable[[Cluster, Sequence[NetworkPolicy], str, str, Probe], Cell]


def one_chain_per_policy(
    cluster: Cluster, policies: Sequence[NetworkPolicy], source: str, destination: str, probe: Probe
) -> Cell:
    """kube-router's iptables policy controller (v1.0 to at least v2.1): a rule admits in either direction.

    kube-router writes ONE chain per NetworkPolicy holding both its ingress rules (source in the rule's
    peers, destination in the policy's pods) and its egress rules (source in the policy's pods, destination
    in the peers), and ONE firewall chain per pod that jumps to every policy selecting that pod. A packet
    passes a pod's check when any rule in those chains marks it (pkg/controllers/netpol: policy.go
    processIngressRules/processEgressRules append to the same policyChainName; pod.go jumps from the pod's
    chain to each policy with the pod in targetPods). The pod's chain is entered for the source's egress
    check (``-s pod``) and for the destination's ingress check (``-d pod``) alike, so:

    * the source's egress check also passes on an *ingress* rule of a policy selecting the source that
      admits the source into the destination, when that policy also selects the destination (same
      namespace): the destination's ingress lets an egress-isolated source out;
    * the destination's ingress check also passes on an *egress* rule of a policy selecting the destination
      that admits the connection, when that policy also selects the source (k3s-io/k3s#2390: an egress
      policy lets its pods past another pod's ingress policy).

    A pod that no policy isolates in a direction is not checked in it (no jump), as the API says.
    """
    pods = {pod.key: pod for pod in cluster.pods}
    namespaces = {ns.name: ns for ns in cluster.namespaces}
    src, dst = pods[source], pods[destination]
    return (
        Cell.ALLOWED
        if _passes(policies, namespaces, src, dst, probe, checked=src, direction=Direction.EGRESS)
        and _passes(policies, namespaces, src, dst, probe, checked=dst, direction=Direction.INGRESS)
        else Cell.BLOCKED
    )


def _passes(
    policies: Sequence[NetworkPolicy],
    namespaces: Mapping[str, Namespace],
    src: Pod,
    dst: Pod,
    probe: Probe,
    *,
    checked: Pod,
    direction: Direction,
) -> bool:
    """The checked pod's firewall chain: not entered unless isolated in ``direction``; then any rule marks."""
    chain = [policy for policy in policies if matching.policy_selects(policy, checked)]
    if not any(policy.isolates(direction) for policy in chain):
        return True
    return any(_rule_marks(policy, namespaces, src, dst, probe) for policy in chain)


def _rule_marks(
    policy: NetworkPolicy, namespaces: Mapping[str, Namespace], src: Pod, dst: Pod, probe: Probe
) -> bool:
    """Whether any rule in the policy's one chain matches the packet src -> dst (either direction's rules)."""
    if policy.isolates(Direction.INGRESS) and matching.policy_selects(policy, dst):
        for rule in policy.ingress:
            if matching.rule_peers_match(
                rule, policy.namespace, src, namespaces[src.namespace]
            ) and matching.rule_ports_match(rule, probe, dst):
                return True
    if policy.isolates(Direction.EGRESS) and matching.policy_selects(policy, src):
        for rule in policy.egress:
            if matching.rule_peers_match(
                rule, policy.namespace, dst, namespaces[dst.namespace]
            ) and matching.rule_ports_match(rule, probe, dst):
                return True
    return False


# The names a deviations file may give as ``shape`` (its reason and link say whose mechanism it is).
MECHANISMS: Mapping[str, Mechanism] = {"one-chain-per-policy": one_chain_per_policy}
