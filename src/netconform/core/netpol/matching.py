"""The semantics in one place: does a policy select a pod, a peer match a pod, a port rule match a probe.

Both the fast engine and ``explain`` call these, so the two can never disagree about what a rule means.
"""

from __future__ import annotations

from netconform.core.netpol.model import Namespace, Pod, Probe
from netconform.core.netpol.policy import NetworkPolicy, Peer, PortRule, Rule


def policy_selects(policy: NetworkPolicy, pod: Pod) -> bool:
    """A policy applies only to pods in its own namespace that its podSelector matches."""
    return pod.namespace == policy.namespace and policy.pod_selector.matches(pod.labels)


def peer_matches(peer: Peer, policy_namespace: str, other: Pod, other_namespace: Namespace) -> bool:
    """Whether ``other`` (the remote end of the connection) is one of the peers this entry describes."""
    if peer.ip_block is not None:
        # Pod IPs are known to the model, so an ipBlock matches a pod by its IP. (Real CNIs differ on whether
        # ipBlock applies to in-cluster IPs, e.g. calico#6634; that is a per-CNI deviation, not the oracle's.)
        return peer.ip_block.contains(other.ip)
    if peer.namespace_selector is None:
        in_namespace = other.namespace == policy_namespace
    else:
        in_namespace = peer.namespace_selector.matches(other_namespace.labels)
    return in_namespace and (peer.pod_selector is None or peer.pod_selector.matches(other.labels))


def port_matches(rule: PortRule, probe: Probe, destination: Pod) -> bool:
    """Whether a NetworkPolicyPort admits the probe to ``destination``.

    Named ports resolve against the destination pod's container ports in both directions (for ingress that is
    the selected pod, for egress the peer), with the rule's protocol; a name the pod does not declare matches
    nothing.
    """
    if rule.protocol is not probe.protocol:
        return False
    if rule.port is None:
        return True
    if isinstance(rule.port, str):
        return destination.resolve_named_port(rule.port, rule.protocol) == probe.port
    if rule.end_port is None:
        return probe.port == rule.port
    return rule.port <= probe.port <= rule.end_port


def rule_ports_match(rule: Rule, probe: Probe, destination: Pod) -> bool:
    return not rule.ports or any(port_matches(port, probe, destination) for port in rule.ports)


def rule_peers_match(rule: Rule, policy_namespace: str, other: Pod, other_namespace: Namespace) -> bool:
    return not rule.peers or any(
        peer_matches(peer, policy_namespace, other, other_namespace) for peer in rule.peers
    )
