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

import ipaddress
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace

from netconform.core.netpol import matching
from netconform.core.netpol.model import Cluster, Namespace, Pod, Probe
from netconform.core.netpol.policy import Direction, IPBlock, NetworkPolicy, Peer, PortRule, Rule
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


def kube_router_named_ports(
    cluster: Cluster, policies: Sequence[NetworkPolicy], source: str, destination: str, probe: Probe
) -> Cell:
    """kube-router (read in v2.1.0, policy.go) on named ports, where it departs from the API twice.

    * processNetworkPolicyPorts keeps a named port only when some pod declares that name with that protocol
      (for an ingress rule the policy's own pods, for an egress rule the rule's peer pods) and drops the
      others in silence. A rule whose every port was dropped is left with no ports, and for its pod and
      namespace peers processIngressRules / processEgressRules then write the "no ports at all" rule: every
      port and protocol between the peers and the policy's pods, where the API admits nothing.
    * processEgressRules writes an egress rule's ipBlock peers with its numeric ports only (the loop over
      ``egressRule.ports``; the resolved named ports are never written for ipBlocks), so a named port admits
      nothing towards an ipBlock. Ingress ipBlocks do get the named ports (resolved on the policy's pods).

    Modelled as those rules rewritten, then kube-router's chains as :func:`one_chain_per_policy` runs them
    (both are how kube-router behaves, so a case may need both)."""
    return one_chain_per_policy(
        cluster, [_ports_as_kube_router_writes(p, cluster) for p in policies], source, destination, probe
    )


def _ports_as_kube_router_writes(policy: NetworkPolicy, cluster: Cluster) -> NetworkPolicy:
    namespaces = {ns.name: ns for ns in cluster.namespaces}
    selected = [pod for pod in cluster.pods if matching.policy_selects(policy, pod)]

    def rewritten(rule: Rule, direction: Direction) -> tuple[Rule, ...]:
        """The rule as the rules kube-router writes for it (rules are ORed, so one may become two)."""
        if not rule.ports or not rule.peers:
            return (rule,)
        blocks, selectors = _split_peers(rule)
        written: list[Rule] = []
        if blocks:
            ports = rule.ports
            if direction is Direction.EGRESS:
                ports = tuple(port for port in rule.ports if not isinstance(port.port, str))
            if ports:  # no ports left: the ipBlocks got no rule at all
                written.append(Rule(peers=blocks, ports=ports))
        if selectors:
            to_selectors = Rule(peers=selectors, ports=rule.ports)
            resolving = selected
            if direction is Direction.EGRESS:
                resolving = [
                    pod
                    for pod in cluster.pods
                    if matching.rule_peers_match(
                        to_selectors, policy.namespace, pod, namespaces[pod.namespace]
                    )
                ]
            kept = any(_resolves(port, resolving) for port in rule.ports)
            written.append(to_selectors if kept else Rule(peers=selectors, ports=()))
        return tuple(written)

    return _with_rules(policy, rewritten)


def rule_wide_ipblock_excepts(
    cluster: Cluster, policies: Sequence[NetworkPolicy], source: str, destination: str, probe: Probe
) -> Cell:
    """kube-router (read in v2.1.0) puts all ipBlock peers of one rule into ONE ipset, excepts included.

    policy.go evalIPBlockPeer turns each ipBlock into ``cidr`` entries and its excepts into ``nomatch``
    entries, appended for every ipBlock peer of the rule into the rule's one hash:net ipset
    (policyIndexedSourceIPBlockIPSetName / ...DestinationIPBlock..., per rule). A hash:net lookup takes the
    most specific entry that contains the address, and a ``nomatch`` one means "not in the set". So one
    peer's except also removes the address from every other ipBlock peer of the same rule, where the API ORs
    the peers (the bed, old seed 1 case 119 shrunk: ``from: [10.244.0.0/16 except z/b, 10.244.0.0/16]``
    rejects z/b). Of entries with the same prefix the last added wins (ipset restore with -exist).

    Modelled as each rule's ipBlock peers rewritten into the /32s of the pods that set matches, then
    kube-router's chains as :func:`one_chain_per_policy` runs them."""
    rewritten = [
        _with_rules(policy, lambda rule, _: (_one_ipset(rule, cluster.pods),)) for policy in policies
    ]
    return one_chain_per_policy(cluster, rewritten, source, destination, probe)


def _one_ipset(rule: Rule, pods: Sequence[Pod]) -> Rule:
    blocks = [peer.ip_block for peer in rule.peers if peer.ip_block is not None]
    if not blocks:
        return rule
    # (network, nomatch) in the order kube-router adds them: each block's cidr, then its excepts
    entries = [
        (net, nomatch) for b in blocks for net, nomatch in ((b.cidr, False), *((e, True) for e in b.excepts))
    ]
    members = []
    for pod in pods:
        containing = [
            (net.prefixlen, order, nomatch) for order, (net, nomatch) in enumerate(entries) if pod.ip in net
        ]
        if containing and not max(containing)[2]:  # most specific, then the last added
            members.append(Peer(ip_block=IPBlock(ipaddress.ip_network(pod.ip))))
    if not members:
        # no pod is in the set; an empty peer list would mean "every peer", so name an address no pod has
        members.append(Peer(ip_block=IPBlock(ipaddress.ip_network("0.0.0.0/32"))))
    _, selectors = _split_peers(rule)
    return Rule(peers=(*selectors, *members), ports=rule.ports)


def _split_peers(rule: Rule) -> tuple[tuple[Peer, ...], tuple[Peer, ...]]:
    """The rule's ipBlock peers and its pod/namespace selector peers (kube-router writes them apart)."""
    blocks = tuple(peer for peer in rule.peers if peer.ip_block is not None)
    return blocks, tuple(peer for peer in rule.peers if peer.ip_block is None)


def _with_rules(
    policy: NetworkPolicy, rewrite: Callable[[Rule, Direction], tuple[Rule, ...]]
) -> NetworkPolicy:
    """The policy with each rule replaced by the rules ``rewrite`` makes of it."""
    return replace(
        policy,
        ingress=tuple(new for rule in policy.ingress for new in rewrite(rule, Direction.INGRESS)),
        egress=tuple(new for rule in policy.egress for new in rewrite(rule, Direction.EGRESS)),
    )


def _resolves(port: PortRule, pods: Sequence[Pod]) -> bool:
    """Whether kube-router keeps the port entry: numeric and protocol-only ones always, a name if declared."""
    if not isinstance(port.port, str):
        return True
    name = port.port
    return any(pod.resolve_named_port(name, port.protocol) is not None for pod in pods)


# The names a deviations file may give as ``shape`` (its reason and link say whose mechanism it is).
MECHANISMS: Mapping[str, Mechanism] = {
    "one-chain-per-policy": one_chain_per_policy,
    "kube-router-named-ports": kube_router_named_ports,
    "rule-wide-ipblock-excepts": rule_wide_ipblock_excepts,
}
