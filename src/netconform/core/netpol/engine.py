"""The policy engine: which connections the NetworkPolicies allow, for every pod pair and probe.

A connection from S to D is allowed when S's egress allows it AND D's ingress allows it. In each direction a
pod is isolated iff some policy selects it and lists that direction in policyTypes; an isolated pod allows
what the union of those policies' rules allows (policies are additive, there is no deny rule).

Speed: selectors, peers and ports are evaluated once per (rule, pod) into bit masks over the pod list, so a
table is a few bit operations per cell (10 namespaces × 20 pods × 50 policies in well under a second).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass

from netconform.core.netpol import matching
from netconform.core.netpol.model import Cluster, Pod, Probe
from netconform.core.netpol.policy import Direction, NetworkPolicy, Rule
from netconform.core.truthtable import Cell, TruthTable


@dataclass(frozen=True)
class _CompiledRule:
    number: int  # position in the engine's rule list: the key of the port-mask cache
    rule: Rule
    peers: int  # bit i set: pod i is a peer of this rule (the remote end)


class PolicyEngine:
    """Immutable after construction; build one per (cluster, policy set)."""

    def __init__(self, cluster: Cluster, policies: Sequence[NetworkPolicy]) -> None:
        self.cluster = cluster
        self.policies = tuple(policies)
        self._pods = cluster.pods
        self._index = {pod.key: i for i, pod in enumerate(self._pods)}
        self._all = (1 << len(self._pods)) - 1
        namespaces = {ns.name: ns for ns in cluster.namespaces}
        self._pod_namespaces = tuple(namespaces[pod.namespace] for pod in self._pods)
        self._rule_count = 0
        self._port_masks: dict[tuple[int, Probe], int] = {}  # a cache, filled on demand
        self._rules: dict[Direction, list[list[_CompiledRule] | None]] = {}
        for direction in Direction:
            # None: no policy isolates the pod in this direction; a list (maybe empty): the rules that apply.
            per_pod: list[list[_CompiledRule] | None] = [None] * len(self._pods)
            for policy in self.policies:
                if not policy.isolates(direction):
                    continue
                compiled = [self._compile(policy, rule) for rule in policy.rules(direction)]
                for i, pod in enumerate(self._pods):
                    if matching.policy_selects(policy, pod):
                        per_pod[i] = (per_pod[i] or []) + compiled
            self._rules[direction] = per_pod

    def _compile(self, policy: NetworkPolicy, rule: Rule) -> _CompiledRule:
        peers = 0
        for i, pod in enumerate(self._pods):
            if matching.rule_peers_match(rule, policy.namespace, pod, self._pod_namespaces[i]):
                peers |= 1 << i
        self._rule_count += 1
        return _CompiledRule(self._rule_count, rule, peers)

    # --- queries --------------------------------------------------------------------------------------------
    def is_isolated(self, pod: str, direction: Direction) -> bool:
        return self._rules[direction][self._index[pod]] is not None

    def is_allowed(self, source: str, destination: str, probe: Probe) -> bool:
        src, dst = self._index[source], self._index[destination]
        return bool(self._egress_mask(src, probe) >> dst & 1 and self._ingress_mask(dst, probe) >> src & 1)

    def truth_table(self, probes: Sequence[Probe]) -> TruthTable:
        """The expected table: every pod to every pod (self pairs included), one grid per probe."""
        keys = tuple(pod.key for pod in self._pods)
        grids = []
        for probe in probes:
            egress = [self._egress_mask(i, probe) for i in range(len(self._pods))]
            ingress = [self._ingress_mask(i, probe) for i in range(len(self._pods))]
            grids.append(
                tuple(
                    tuple(
                        Cell.ALLOWED if egress[s] >> d & 1 and ingress[d] >> s & 1 else Cell.BLOCKED
                        for d in range(len(keys))
                    )
                    for s in range(len(keys))
                )
            )
        return TruthTable(keys, keys, tuple(probes), tuple(grids))

    # --- masks ----------------------------------------------------------------------------------------------
    def _egress_mask(self, src: int, probe: Probe) -> int:
        """Destinations the source's egress allows for this probe."""
        rules = self._rules[Direction.EGRESS][src]
        if rules is None:
            return self._all
        allowed = 0
        for compiled in rules:
            allowed |= compiled.peers & self._port_mask(compiled, probe)
        return allowed

    def _ingress_mask(self, dst: int, probe: Probe) -> int:
        """Sources the destination's ingress allows for this probe."""
        rules = self._rules[Direction.INGRESS][dst]
        if rules is None:
            return self._all
        allowed = 0
        for compiled in rules:
            if matching.rule_ports_match(compiled.rule, probe, self._pods[dst]):
                allowed |= compiled.peers
        return allowed

    def _port_mask(self, compiled: _CompiledRule, probe: Probe) -> int:
        """Destinations whose ports the rule admits: all or none unless a named port makes it per pod."""
        cached = self._port_masks.get((compiled.number, probe))
        if cached is not None:
            return cached
        rule = compiled.rule
        if not any(isinstance(port.port, str) for port in rule.ports):
            mask = self._all if matching.rule_ports_match(rule, probe, _ANY_POD) else 0
        else:
            mask = 0
            for i, pod in enumerate(self._pods):
                if matching.rule_ports_match(rule, probe, pod):
                    mask |= 1 << i
        self._port_masks[(compiled.number, probe)] = mask
        return mask

    def pod(self, key: str) -> Pod:
        return self._pods[self._index[key]]


# Rules without named ports never look at the destination pod; this stands in for "any pod".
_ANY_POD = Pod(namespace="", name="", ip=ipaddress.ip_address("0.0.0.0"))
