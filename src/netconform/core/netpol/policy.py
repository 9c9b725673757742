"""NetworkPolicy (networking.k8s.io/v1) as frozen data, after parsing and API-server defaulting."""

from __future__ import annotations

import enum
import ipaddress
from dataclasses import dataclass

from netconform.core.netpol.model import IPAddress, Protocol
from netconform.core.selectors import LabelSelector

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class Direction(enum.Enum):
    INGRESS = "Ingress"
    EGRESS = "Egress"

    @property
    def rules_field(self) -> str:
        return "ingress" if self is Direction.INGRESS else "egress"

    @property
    def peers_field(self) -> str:
        return "from" if self is Direction.INGRESS else "to"


@dataclass(frozen=True)
class IPBlock:
    cidr: IPNetwork
    excepts: tuple[IPNetwork, ...] = ()

    def contains(self, ip: IPAddress) -> bool:
        return ip in self.cidr and not any(ip in excluded for excluded in self.excepts)

    def __str__(self) -> str:
        if not self.excepts:
            return f"ipBlock {self.cidr}"
        return f"ipBlock {self.cidr} except {', '.join(str(e) for e in self.excepts)}"


@dataclass(frozen=True)
class Peer:
    """One entry of ``from``/``to``: an ipBlock alone, or pod and/or namespace selectors (ANDed when both).

    ``None`` selectors mean "not given", which is not the same as the empty selector: podSelector alone means
    the policy's own namespace; namespaceSelector alone means every pod in the selected namespaces.
    """

    pod_selector: LabelSelector | None = None
    namespace_selector: LabelSelector | None = None
    ip_block: IPBlock | None = None

    def __str__(self) -> str:
        if self.ip_block is not None:
            return str(self.ip_block)
        parts = []
        if self.namespace_selector is not None:
            parts.append(f"namespaceSelector {self.namespace_selector}")
        if self.pod_selector is not None:
            parts.append(f"podSelector {self.pod_selector}")
        return " AND ".join(parts)


@dataclass(frozen=True)
class PortRule:
    """One NetworkPolicyPort. ``port`` None means every port of ``protocol``; a str is a named port."""

    protocol: Protocol = Protocol.TCP
    port: int | str | None = None
    end_port: int | None = None

    def __str__(self) -> str:
        if self.port is None:
            return f"any/{self.protocol.value}"
        if self.end_port is not None:
            return f"{self.port}-{self.end_port}/{self.protocol.value}"
        return f"{self.port}/{self.protocol.value}"


@dataclass(frozen=True)
class Rule:
    """One ingress or egress rule. Empty ``peers`` means every peer, empty ``ports`` every port (API docs)."""

    peers: tuple[Peer, ...] = ()
    ports: tuple[PortRule, ...] = ()


@dataclass(frozen=True)
class NetworkPolicy:
    namespace: str
    name: str
    pod_selector: LabelSelector
    policy_types: frozenset[Direction]
    ingress: tuple[Rule, ...] = ()
    egress: tuple[Rule, ...] = ()

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"

    def rules(self, direction: Direction) -> tuple[Rule, ...]:
        return self.ingress if direction is Direction.INGRESS else self.egress

    def isolates(self, direction: Direction) -> bool:
        return direction in self.policy_types


def default_policy_types(has_egress_rules: bool) -> frozenset[Direction]:
    """policyTypes when the policy does not set them.

    Mirrors the API server's SetDefaults_NetworkPolicy (kubernetes pkg/apis/networking/v1/defaults.go): always
    Ingress, plus Egress when ``len(spec.egress) != 0``. Go cannot tell an absent list from an empty one, so
    ``egress: []`` does NOT make a policy egress-isolating; the API reference says the same ("policies that
    contain an egress section are assumed to affect egress ... if you want to write an egress-only policy, you
    must explicitly specify policyTypes").
    """
    if has_egress_rules:
        return frozenset({Direction.INGRESS, Direction.EGRESS})
    return frozenset({Direction.INGRESS})
