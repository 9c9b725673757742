"""Seeded random NetworkPolicy cases over the x/y/z × a/b/c model, for the engine to be the oracle of.

Every case is a :class:`~netconform.core.netpol.cases.Case` like the catalog's, so the suite runs it with the
machinery it already has. Case ``i`` of seed ``s`` is ``case_at(s, i, world)``: its own random stream, seeded
by ``(s, i)`` alone, so ``SEED:INDEX`` replays exactly one case without generating the ones before it.

What cluster facts a case needs stay placeholders (``Cidr`` for pod IPs, ``NsName`` for real namespace names),
resolved late like the catalog's. The world's IPs are an input only to keep ipBlock ``except`` lists valid: an
except is either a longer prefix of the same pod's address (a strict subset whatever the IP) or another pod's
/32 that the world puts inside the block. Which pod that is comes from a second random stream, so a case has
the same policies, rules, peers and ports on every cluster; only those /32 entries follow the cluster's IPs.

The shapes cover what the API allows (see core.netpol.validation), including the unusual ones: empty selectors
and label values, both selectors in one peer, every operator, repeated entries (values, expressions, peers,
ports, policyTypes), ``values: []`` with Exists, ipBlock of the other IP family, numeric, named (declared or
not) and ranged ports, a port entry with only a protocol, 1-4 stacked policies, and label changes as a step.
"""

from __future__ import annotations

import ipaddress
import random
from collections.abc import Mapping
from typing import Any

from netconform.core.netpol.cases.model import (
    NAMESPACE_LABEL,
    NAMESPACES,
    POD_KEYS,
    POD_LABEL,
    POD_NAMES,
    Case,
    Cidr,
    LabelChange,
    NsName,
    Step,
    World,
    container_ports,
)
from netconform.core.netpol.model import NAMESPACE_NAME_LABEL
from netconform.core.truthtable import Protocol

CATEGORY = "generated"
MAX_POLICIES = 4

# Labels the generator selects on and changes. Never POD_LABEL (the Service selector) and never the harness's
# own netconform.io/* labels (the cluster has them, the model does not).
_POD_VALUES: Mapping[str, tuple[str, ...]] = {
    POD_LABEL: POD_NAMES,
    "role": ("client", "db", ""),
    "example.com/tier": ("front", "back"),
    "absent": ("x",),  # no pod ever carries it
}
_NAMESPACE_VALUES: Mapping[str, tuple[Any, ...]] = {
    NAMESPACE_LABEL: NAMESPACES,
    "team": ("blue", "red", ""),
    NAMESPACE_NAME_LABEL: tuple(NsName(ns) for ns in NAMESPACES),
    "absent": ("x",),
}
_CHANGED_POD_LABELS = ("role", "example.com/tier")
_CHANGED_NAMESPACE_LABELS = ("team",)
_PROBE_PORTS = (79, 80, 81, 82)
_OPERATORS = ("In", "NotIn", "Exists", "DoesNotExist")
_POLICY_TYPES: tuple[tuple[str, ...] | None, ...] = (
    None,  # defaulted by the API server from the rules present
    ("Ingress",),
    ("Egress",),
    ("Ingress", "Egress"),
    ("Egress", "Ingress"),
    ("Ingress", "Ingress"),  # repeated: accepted upstream, means Ingress
)


def case_id(seed: int, index: int) -> str:
    return f"gen-{seed}-{index}"


def parse_case_ref(text: str) -> tuple[int, int]:
    """``SEED:INDEX`` (both non-negative integers) as given to ``--netpol-generated-case``."""
    seed, colon, index = text.partition(":")
    if not colon or not seed.isdigit() or not index.isdigit():
        raise ValueError(f'expected SEED:INDEX (two non-negative integers), got "{text}"')
    return int(seed), int(index)


def generate(seed: int, count: int, world: World | None = None, *, sctp: bool = False) -> tuple[Case, ...]:
    """Cases 0..count-1 of a seed (each one the same as ``case_at(seed, i, world)``)."""
    return tuple(case_at(seed, index, world, sctp=sctp) for index in range(count))


def case_at(seed: int, index: int, world: World | None = None, *, sctp: bool = False) -> Case:
    """Case ``index`` of ``seed``: deterministic, independent of every other index."""
    world = world or World.model()
    rng = random.Random(f"netconform-generated:{seed}:{index}")  # str seeds hash with SHA-512: stable
    # Choices that depend on the world's IPs (which pods an ipBlock contains) draw from a stream of their own,
    # so the case's shape is the same on every cluster and only those except entries follow its IPs.
    world_rng = random.Random(f"netconform-generated:{seed}:{index}:world")
    protocols = (Protocol.TCP, Protocol.UDP, Protocol.SCTP) if sctp else (Protocol.TCP, Protocol.UDP)
    builder = _Builder(rng, world_rng, world, protocols)
    docs = tuple(builder.policy(i) for i in range(rng.randint(1, MAX_POLICIES)))
    first = Step(
        "apply", docs, pod_labels=builder.pod_label_changes(0.4), namespace_labels=builder.ns_changes(0.3)
    )
    steps = [first]
    if rng.random() < 0.5:
        pod_changes, ns_changes = builder.pod_label_changes(0.9), builder.ns_changes(0.5)
        if pod_changes or ns_changes:
            steps.append(Step("relabel", pod_labels=pod_changes, namespace_labels=ns_changes))
    rules = sum(len(doc["spec"].get(field) or ()) for doc in docs for field in ("ingress", "egress"))
    title = f"{len(docs)} polic{'y' if len(docs) == 1 else 'ies'}, {rules} rule{'' if rules == 1 else 's'}"
    title += ", then labels change" if len(steps) > 1 else ""
    return Case(
        case_id(seed, index),
        CATEGORY,
        title,
        tuple(steps),
        protocols=protocols,
        dns_mode=False,  # probed by pod IP: Service DNS would need an egress rule for 53 in every case
        seed=seed,
        index=index,
    )


class _Builder:
    """One case's random choices (one instance per case, so nothing leaks between cases)."""

    def __init__(
        self, rng: random.Random, world_rng: random.Random, world: World, protocols: tuple[Protocol, ...]
    ) -> None:
        self.rng = rng
        self.world_rng = world_rng
        self.world = world
        self.protocols = protocols
        self.ipv6 = world.pod_ips[POD_KEYS[0]].version == 6
        self.port_names = [port.name for port in container_ports(world.served) if port.name is not None]

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    # --- policies and rules ---------------------------------------------------------------------------
    def policy(self, number: int) -> dict[str, Any]:
        rng = self.rng
        spec: dict[str, Any] = {"podSelector": self.selector(_POD_VALUES, empty=0.4)}
        for field, peers_field in (("ingress", "from"), ("egress", "to")):
            if self.chance(0.65):
                spec[field] = [self.rule(peers_field) for _ in range(rng.choice((0, 1, 1, 2, 3)))]
        types = rng.choice(_POLICY_TYPES)
        if types is not None:
            spec["policyTypes"] = list(types)
        return {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": {"name": f"gen-{number}", "namespace": rng.choice(NAMESPACES)},
            "spec": spec,
        }

    def rule(self, peers_field: str) -> dict[str, Any]:
        rule: dict[str, Any] = {}
        if self.chance(0.8):
            rule[peers_field] = self.repeat([self.peer() for _ in range(self.rng.choice((0, 1, 1, 2, 3)))])
        if self.chance(0.7):
            rule["ports"] = self.repeat([self.port() for _ in range(self.rng.choice((0, 1, 1, 2, 3)))])
        return rule

    def repeat(self, items: list[Any]) -> list[Any]:
        """Sometimes the same entry twice: the API keeps duplicates and they must change nothing."""
        if items and self.chance(0.08):
            items.append(self.rng.choice(items))
        return items

    # --- peers ----------------------------------------------------------------------------------------
    def peer(self) -> dict[str, Any]:
        kind = self.rng.choice(("pod", "namespace", "both", "both", "ip"))
        if kind == "ip":
            return {"ipBlock": self.ip_block()}
        peer: dict[str, Any] = {}
        if kind in ("namespace", "both"):
            peer["namespaceSelector"] = self.selector(_NAMESPACE_VALUES, empty=0.3)
        if kind in ("pod", "both"):
            peer["podSelector"] = self.selector(_POD_VALUES, empty=0.3)
        return peer

    def selector(self, vocabulary: Mapping[str, tuple[Any, ...]], *, empty: float) -> dict[str, Any]:
        if self.chance(empty):
            return {}
        rng = self.rng
        selector: dict[str, Any] = {}
        shape = rng.choice(("labels", "expressions", "both"))
        if shape in ("labels", "both"):
            # "absent" only in expressions: in matchLabels it would just empty the selection
            keys = rng.sample(sorted(key for key in vocabulary if key != "absent"), rng.randint(1, 2))
            selector["matchLabels"] = {key: rng.choice(vocabulary[key]) for key in keys}
        if shape in ("expressions", "both"):
            selector["matchExpressions"] = self.repeat(
                [self.expression(vocabulary) for _ in range(rng.randint(1, 2))]
            )
        return selector

    def expression(self, vocabulary: Mapping[str, tuple[Any, ...]]) -> dict[str, Any]:
        rng = self.rng
        key = rng.choice(sorted(vocabulary))
        operator = rng.choice(_OPERATORS)
        entry: dict[str, Any] = {"key": key, "operator": operator}
        if operator in ("In", "NotIn"):
            # with replacement: a repeated value is allowed and must not matter
            entry["values"] = [rng.choice(vocabulary[key]) for _ in range(rng.randint(1, 3))]
        elif self.chance(0.15):
            entry["values"] = []  # explicitly empty: allowed for Exists/DoesNotExist
        return entry

    def ip_block(self) -> dict[str, Any]:
        rng = self.rng
        roll = rng.random()
        if roll < 0.1:  # the other IP family: matches no pod
            return {"cidr": "10.0.0.0/8"} if self.ipv6 else {"cidr": "fd00::/8", "except": ["fd00:1::/32"]}
        if roll < 0.2:  # everything of the pods' family, minus some
            return {"cidr": "::/0" if self.ipv6 else "0.0.0.0/0", "except": self.excepts(None, 0)}
        pod = rng.choice(POD_KEYS)
        prefix = rng.choice((8, 16, 24, 28, 32))
        block: dict[str, Any] = {"cidr": Cidr(pod, prefix)}
        excepts = self.excepts(pod, prefix)
        if excepts:
            block["except"] = excepts
        return block

    def excepts(self, pod: str | None, prefix: int) -> list[Any]:
        """Strict subsets of the block: longer prefixes of its own pod, or /32s of pods it contains."""
        if prefix >= 32 or self.chance(0.4):
            return []
        inside = [key for key in POD_KEYS if pod is None or self._ip(key) in self._network(pod, prefix)]
        result: list[Any] = []
        for _ in range(self.rng.randint(1, 2)):
            if pod is not None and self.chance(0.4):
                result.append(Cidr(pod, self.rng.randint(prefix + 1, 32)))
            elif inside:
                result.append(Cidr(self.world_rng.choice(inside), 32))
        return self.repeat(result)

    def _ip(self, pod: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
        return self.world.pod_ips[pod]

    def _network(self, pod: str, prefix: int) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
        return ipaddress.ip_network(Cidr(pod, prefix).network(self._ip(pod)))

    # --- ports ----------------------------------------------------------------------------------------
    def port(self) -> dict[str, Any]:
        rng = self.rng
        entry: dict[str, Any] = {}
        protocol = rng.choice((None, *(p.value for p in self.protocols)))
        if protocol is not None:
            entry["protocol"] = protocol
        kind = rng.choice(("any", "number", "number", "name", "range"))
        if kind == "number":
            entry["port"] = rng.choice(_PROBE_PORTS)
        elif kind == "name":
            # a declared name (maybe of another protocol: then it matches nothing) or one no pod declares
            entry["port"] = rng.choice((*self.port_names, "no-such-port"))
        elif kind == "range":
            start = rng.choice(_PROBE_PORTS)
            entry["port"] = start
            entry["endPort"] = rng.choice((start, start + 1, start + 10, 65535))
        return entry

    # --- label changes --------------------------------------------------------------------------------
    def pod_label_changes(self, p: float) -> dict[str, LabelChange]:
        if not self.chance(p):
            return {}
        changes: dict[str, LabelChange] = {}
        for pod in self.rng.sample(POD_KEYS, self.rng.randint(1, 3)):
            key = self.rng.choice(_CHANGED_POD_LABELS)
            changes[pod] = {key: self.rng.choice((*_POD_VALUES[key], None))}  # None removes it
        return changes

    def ns_changes(self, p: float) -> dict[str, LabelChange]:
        if not self.chance(p):
            return {}
        key = self.rng.choice(_CHANGED_NAMESPACE_LABELS)
        return {self.rng.choice(NAMESPACES): {key: self.rng.choice((*_NAMESPACE_VALUES[key], None))}}
