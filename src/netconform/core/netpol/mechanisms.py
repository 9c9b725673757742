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
    """kube-router's iptables policy controller (read in v2.1.0): a rule admits in either direction.

    kube-router writes ONE chain per NetworkPolicy holding both its ingress rules (source in the rule's
    peers, destination in the policy's pods) and its egress rules (source in the policy's pods, destination
    in the peers): policy.go, processIngressRules and processEgressRules append to the same policyChainName.
    Every pod has ONE firewall chain, entered for packets from it (``-s pod``: its egress check) and to it
    (``-d pod``: its ingress check); pod.go setupPodNetpolRules jumps from it to each policy selecting the
    pod: an Ingress-only policy for ``-d pod`` only, an Egress-only one for ``-s pod`` only, and a policy of
    both types for either, without a direction. A check passes when any rule run marks the packet. So when a
    policy of both types selects both ends of a connection:

    * its ingress rules also pass the source's egress check (the destination's ingress lets an
      egress-isolated source out: the catalog's deny-all-allow-dns-everywhere, z/c -> z/a and z/b);
    * its egress rules also pass the destination's ingress check (k3s-io/k3s#2390: an egress policy lets its
      pods past another pod's ingress).

    A pod no policy isolates in a direction runs the default chain there, which accepts, as the API says.
    """
    pods = {pod.key: pod for pod in cluster.pods}
    namespaces = {ns.name: ns for ns in cluster.namespaces}
    src, dst = pods[source], pods[destination]
    egress = _passes(policies, namespaces, src, dst, probe, checked=src, direction=Direction.EGRESS)
    ingress = _passes(policies, namespaces, src, dst, probe, checked=dst, direction=Direction.INGRESS)
    return Cell.ALLOWED if egress and ingress else Cell.BLOCKED


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
    """The checked pod's firewall chain for one direction: the policies it jumps to, or the default chain."""
    chain = [
        policy
        for policy in policies
        if matching.policy_selects(policy, checked) and policy.isolates(direction)
    ]
    if not chain:
        return True  # the default chain: accept
    return any(_rule_marks(policy, namespaces, src, dst, probe) for policy in chain)


def _rule_marks(
    policy: NetworkPolicy, namespaces: Mapping[str, Namespace], src: Pod, dst: Pod, probe: Probe
) -> bool:
    """Whether any rule in the policy's one chain matches the packet src -> dst (either direction's rules).

    Each rule matches on its own ipsets: ingress rules need the destination among the policy's pods, egress
    rules the source (policy types the policy lacks wrote no rules of that direction)."""
    # (direction, the pod the policy must select, the rule's peer): ingress rules match the source against the
    # destination's policy, egress rules the destination against the source's.
    for direction, selected, peer, rules in (
        (Direction.INGRESS, dst, src, policy.ingress),
        (Direction.EGRESS, src, dst, policy.egress),
    ):
        if not (policy.isolates(direction) and matching.policy_selects(policy, selected)):
            continue
        for rule in rules:
            if matching.rule_peers_match(
                rule, policy.namespace, peer, namespaces[peer.namespace]
            ) and matching.rule_ports_match(rule, probe, dst):
                return True
    return False


# The names a deviations file may give as ``shape`` (its reason and link say whose mechanism it is).
MECHANISMS: Mapping[str, Mechanism] = {"one-chain-per-policy": one_chain_per_policy}
