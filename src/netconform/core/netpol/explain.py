"""Why a cell of the truth table is what it is: the policies and rules that decide one connection.

Uses the same predicates as the engine (``matching``), rule by rule, so it is slow but says everything.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from netconform.core.netpol import matching
from netconform.core.netpol.model import Cluster, Probe
from netconform.core.netpol.policy import Direction, NetworkPolicy, Rule


@dataclass(frozen=True)
class RuleCheck:
    """One rule of one isolating policy, checked against the connection."""

    policy: str  # namespace/name
    direction: Direction
    index: int
    rule: Rule
    peer_index: int | None  # the first matching peer; None when no peer matched or the rule lists none
    port_index: int | None  # the first matching port; None when no port matched or the rule lists none
    peers_match: bool
    ports_match: bool

    @property
    def allows(self) -> bool:
        return self.peers_match and self.ports_match

    @property
    def where(self) -> str:
        return f"{self.policy} {self.direction.rules_field}[{self.index}]"

    def describe(self, other: str, probe: Probe) -> str:
        field = self.direction.peers_field
        if not self.rule.peers:
            peers = f"{field}: any peer"
        elif self.peers_match:
            peers = f"{field}[{self.peer_index}] ({self.rule.peers[self.peer_index or 0]}) matches {other}"
        else:
            listed = "; ".join(str(peer) for peer in self.rule.peers)
            peers = f"no {field} entry matches {other} ({listed})"
        if not self.rule.ports:
            ports = "ports: any"
        elif self.ports_match:
            ports = f"ports[{self.port_index}] ({self.rule.ports[self.port_index or 0]}) matches {probe}"
        else:
            ports = f"no port matches {probe} ({', '.join(str(port) for port in self.rule.ports)})"
        verdict = "ALLOWS" if self.allows else "does not allow"
        return f"{self.where} {verdict}: {peers}; {ports}"


@dataclass(frozen=True)
class DirectionVerdict:
    """Egress of the source or ingress of the destination."""

    direction: Direction
    pod: str  # the pod whose policies are checked
    other: str  # the remote end
    isolating: tuple[str, ...]  # policies that select ``pod`` for this direction
    checks: tuple[RuleCheck, ...]

    @property
    def allowed(self) -> bool:
        return not self.isolating or any(check.allows for check in self.checks)

    @property
    def deciding_rules(self) -> tuple[str, ...]:
        return tuple(check.where for check in self.checks if check.allows)

    def lines(self, probe: Probe) -> list[str]:
        preposition = "from" if self.direction is Direction.EGRESS else "to"
        label = f"{self.direction.value.lower()} {preposition} {self.pod}"
        if not self.isolating:
            return [
                f"{label}: allowed (not isolated: no policy with {self.direction.value} selects {self.pod})"
            ]
        verdict = "allowed" if self.allowed else "BLOCKED"
        head = f"{label}: {verdict} (isolated by {', '.join(self.isolating)})"
        body = [f"  {check.describe(self.other, probe)}" for check in self.checks]
        empty = [name for name in self.isolating if not any(c.policy == name for c in self.checks)]
        body.extend(
            f"  {name} has no {self.direction.rules_field} rules: it allows nothing" for name in empty
        )
        return [head, *body]


@dataclass(frozen=True)
class Explanation:
    source: str
    destination: str
    probe: Probe
    egress: DirectionVerdict
    ingress: DirectionVerdict

    @property
    def allowed(self) -> bool:
        return self.egress.allowed and self.ingress.allowed

    @property
    def deciding_rules(self) -> tuple[str, ...]:
        """Rules allowing the connection or, when it is blocked, the isolating policies that leave it out."""
        if self.allowed:
            return self.egress.deciding_rules + self.ingress.deciding_rules
        return tuple(
            name
            for verdict in (self.egress, self.ingress)
            if not verdict.allowed
            for name in verdict.isolating
        )

    def render(self) -> str:
        verdict = "ALLOWED" if self.allowed else "BLOCKED"
        lines = [f"{self.source} -> {self.destination} on {self.probe}: {verdict}"]
        lines.extend(self.egress.lines(self.probe))
        lines.extend(self.ingress.lines(self.probe))
        lines.append(
            "(a connection needs both: egress allowed at the source and ingress allowed at the destination)"
        )
        return "\n".join(lines)


def explain(
    cluster: Cluster, policies: Sequence[NetworkPolicy], source: str, destination: str, probe: Probe
) -> Explanation:
    """Explain one cell; raises KeyError for an unknown pod."""
    return Explanation(
        source,
        destination,
        probe,
        _direction(cluster, policies, Direction.EGRESS, source, destination, probe=probe),
        _direction(cluster, policies, Direction.INGRESS, destination, source, probe=probe),
    )


def _direction(
    cluster: Cluster,
    policies: Sequence[NetworkPolicy],
    direction: Direction,
    pod_key: str,
    other_key: str,
    *,
    probe: Probe,
) -> DirectionVerdict:
    pod, other = cluster.pod(pod_key), cluster.pod(other_key)
    destination = other if direction is Direction.EGRESS else pod
    other_namespace = cluster.namespace(other.namespace)
    isolating = [p for p in policies if p.isolates(direction) and matching.policy_selects(p, pod)]
    checks = []
    for policy in isolating:
        for index, rule in enumerate(policy.rules(direction)):
            peer_hits = [
                i
                for i, peer in enumerate(rule.peers)
                if matching.peer_matches(peer, policy.namespace, other, other_namespace)
            ]
            port_hits = [
                i for i, port in enumerate(rule.ports) if matching.port_matches(port, probe, destination)
            ]
            checks.append(
                RuleCheck(
                    policy=policy.key,
                    direction=direction,
                    index=index,
                    rule=rule,
                    peer_index=peer_hits[0] if peer_hits else None,
                    port_index=port_hits[0] if port_hits else None,
                    peers_match=not rule.peers or bool(peer_hits),
                    ports_match=not rule.ports or bool(port_hits),
                )
            )
    return DirectionVerdict(direction, pod_key, other_key, tuple(p.key for p in isolating), tuple(checks))
