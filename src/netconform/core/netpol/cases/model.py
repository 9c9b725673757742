"""Conformance cases as data, and the pure machinery that turns one into expected truth tables.

A case is written in the upstream e2e model's names: namespaces x, y, z; pods a, b, c; pod label
``pod: <name>``, namespace label ``ns: <name>``. Two things only the cluster knows are placeholders:

* ``Cidr("z/c", 24)``: an ipBlock CIDR computed from a real pod IP (``<ip of z/c>/24``);
* ``NsName("y")``: the value of ``kubernetes.io/metadata.name`` for model namespace y (the real name).

``resolve`` replaces them, once for the engine (model names, real IPs) and once for the cluster (real names).
Expected tables always come from :class:`~netconform.core.netpol.PolicyEngine`; no case carries one.
"""

from __future__ import annotations

import enum
import ipaddress
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from netconform.core.netpol.engine import PolicyEngine
from netconform.core.netpol.foreign import policy_types
from netconform.core.netpol.model import Cluster, ContainerPort, IPAddress, Namespace, Pod
from netconform.core.netpol.parse import parse_policy
from netconform.core.netpol.policy import NetworkPolicy
from netconform.core.truthtable import Probe, Protocol, TruthTable

NAMESPACES = ("x", "y", "z")
POD_NAMES = ("a", "b", "c")
POD_KEYS = tuple(f"{ns}/{pod}" for ns in NAMESPACES for pod in POD_NAMES)
PORTS = (80, 81)
POD_LABEL = "pod"  # also the Service selector: cases never change it
NAMESPACE_LABEL = "ns"
DNS_PORT = 53

PolicyDoc = Mapping[str, Any]
LabelChange = Mapping[str, str | None]  # None removes the label


@dataclass(frozen=True)
class Cidr:
    """Placeholder for ``<IP of pod>/<prefix>`` (IPv4 prefix; an IPv6 pod gets prefix + 96)."""

    pod: str
    prefix: int = 32

    def network(self, ip: IPAddress) -> str:
        prefix = self.prefix if ip.version == 4 else self.prefix + 96
        return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False))


@dataclass(frozen=True)
class NsName:
    """Placeholder for the name of model namespace ``base`` (what ``kubernetes.io/metadata.name`` holds)."""

    base: str


class TargetMode(enum.Enum):
    """What a probe dials: the pod IP, the per-pod Service's ClusterIP, or the Service's DNS name."""

    POD_IP = "pod-ip"
    SERVICE_IP = "service-ip"
    SERVICE_DNS = "service-dns"


@dataclass(frozen=True)
class Step:
    """One state of a case: what changes before this step's probe (the first step starts from nothing)."""

    name: str
    apply: tuple[PolicyDoc, ...] = ()  # created, or replaced when a policy of that name exists
    delete: tuple[str, ...] = ()  # "x/name"
    pod_labels: Mapping[str, LabelChange] = field(default_factory=dict)  # "x/a" -> changes
    namespace_labels: Mapping[str, LabelChange] = field(default_factory=dict)  # "x" -> changes


@dataclass(frozen=True)
class Case:
    id: str
    category: str
    title: str
    steps: tuple[Step, ...]
    protocols: tuple[Protocol, ...] = (Protocol.TCP, Protocol.UDP)
    dns_mode: bool = True  # also run with Service DNS names as targets
    # Generated cases (core.netpol.generate) say where they came from, so ``SEED:INDEX`` replays exactly one.
    seed: int | None = None
    index: int | None = None

    @property
    def needs_sctp(self) -> bool:
        return Protocol.SCTP in self.protocols

    @property
    def probes(self) -> tuple[Probe, ...]:
        return tuple(Probe(port, protocol) for protocol in self.protocols for port in PORTS)


# --- policy construction helpers (keep the catalog short) ---------------------------------------------
def policy(
    namespace: str,
    name: str,
    pod_selector: Mapping[str, Any] | None = None,
    *,
    ingress: Sequence[Mapping[str, Any]] | None = None,
    egress: Sequence[Mapping[str, Any]] | None = None,
    types: Sequence[str] | None = None,
) -> PolicyDoc:
    """A NetworkPolicy document in model names; ``types`` defaults to the directions given rules."""
    spec: dict[str, Any] = {"podSelector": dict(pod_selector or {})}
    if types is None:
        types = [t for t, rules in (("Ingress", ingress), ("Egress", egress)) if rules is not None]
    spec["policyTypes"] = list(types)
    if ingress is not None:
        spec["ingress"] = [dict(rule) for rule in ingress]
    if egress is not None:
        spec["egress"] = [dict(rule) for rule in egress]
    return MappingProxyType(
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": {"name": name, "namespace": namespace},
            "spec": spec,
        }
    )


def pods(*names: str) -> dict[str, Any]:
    """podSelector matching ``pod`` in names (matchLabels for one, matchExpressions In for several)."""
    if len(names) == 1:
        return {"matchLabels": {POD_LABEL: names[0]}}
    return {"matchExpressions": [{"key": POD_LABEL, "operator": "In", "values": list(names)}]}


def namespaces(*names: str) -> dict[str, Any]:
    if len(names) == 1:
        return {"matchLabels": {NAMESPACE_LABEL: names[0]}}
    return {"matchExpressions": [{"key": NAMESPACE_LABEL, "operator": "In", "values": list(names)}]}


def port(number: int | str | None, protocol: str = "TCP", end: int | None = None) -> dict[str, Any]:
    entry: dict[str, Any] = {"protocol": protocol}
    if number is not None:
        entry["port"] = number
    if end is not None:
        entry["endPort"] = end
    return entry


# --- resolution ---------------------------------------------------------------------------------------
def resolve(value: Any, namespace_name: Callable[[str], str], pod_ip: Callable[[str], IPAddress]) -> Any:
    """A deep copy with placeholders replaced and ``metadata.namespace`` mapped through ``namespace_name``."""
    if isinstance(value, Cidr):
        return value.network(pod_ip(value.pod))
    if isinstance(value, NsName):
        return namespace_name(value.base)
    if isinstance(value, Mapping):
        resolved = {key: resolve(item, namespace_name, pod_ip) for key, item in value.items()}
        metadata = resolved.get("metadata")
        if isinstance(metadata, dict) and "namespace" in metadata and "spec" in resolved:
            metadata["namespace"] = namespace_name(metadata["namespace"])
        return resolved
    if isinstance(value, list | tuple):
        return [resolve(item, namespace_name, pod_ip) for item in value]
    return value


def with_dns_egress(doc: Mapping[str, Any]) -> dict[str, Any]:
    """The policy plus an egress rule for UDP and TCP 53 to anywhere, if it isolates egress and lacks one.

    Probing by Service DNS name needs the name to resolve; like cyclonus' ``--allow-dns`` we open port 53 in
    egress-isolating policies. Probes use ports 80 and 81 only, so their expected cells do not change (the
    engine computes them from the augmented policy all the same).
    """
    spec = dict(doc["spec"])
    if "Egress" not in spec.get("policyTypes", ()):
        return dict(doc)
    egress = [dict(rule) for rule in spec.get("egress", [])]
    if any(p.get("port") == DNS_PORT for rule in egress for p in rule.get("ports", [])):
        return dict(doc)
    egress.append({"ports": [port(DNS_PORT, "UDP"), port(DNS_PORT, "TCP")]})
    spec["egress"] = egress
    return {**doc, "spec": spec}


# --- the world a case runs in and the state after each step -------------------------------------------
def container_ports(protocols: Sequence[Protocol]) -> tuple[ContainerPort, ...]:
    return tuple(
        ContainerPort(number, protocol, f"serve-{number}-{protocol.value.lower()}")
        for number in PORTS
        for protocol in protocols
    )


@dataclass(frozen=True)
class World:
    """What the engine needs to know about the deployed topology, in model names."""

    pod_ips: Mapping[str, IPAddress]
    namespace_labels: Mapping[str, Mapping[str, str]]  # base labels per model namespace
    pod_labels: Mapping[str, Mapping[str, str]]  # base labels per model pod
    served: tuple[Protocol, ...] = (Protocol.TCP, Protocol.UDP, Protocol.SCTP)  # container ports declared
    # Policies in force that no case wrote ("x/name" -> document in model names): a generated default-deny
    # (core.netpol.foreign). Every step's expected table includes them.
    standing: Mapping[str, PolicyDoc] = field(default_factory=dict)

    def standing_policies(self, *, dns_egress: bool = False) -> dict[str, PolicyDoc]:
        """The standing policies, and with Service DNS targets the DNS companion of each that isolates
        egress (the cluster gets the same companions: ``dns_companions``)."""
        return {**self.standing, **(self.dns_companions() if dns_egress else {})}

    def dns_companions(self) -> dict[str, PolicyDoc]:
        """A standing policy that isolates egress blocks DNS, which Service DNS probes need: the harness adds
        a policy for the same pods that allows only port 53 (as ``with_dns_egress`` does for a case's own).
        Its pods are egress-isolated already, so it changes no cell on ports 80 and 81."""
        companions: dict[str, PolicyDoc] = {}
        for key, doc in self.standing.items():
            spec = doc.get("spec") or {}
            if "Egress" not in policy_types(spec):
                continue
            ns, name = key.split("/", 1)
            companion = policy(ns, f"nc-dns-{name}"[:63], spec.get("podSelector") or {}, egress=[])
            companions[f"{ns}/{companion['metadata']['name']}"] = with_dns_egress(companion)
        return companions

    @classmethod
    def model(
        cls,
        pod_ips: Mapping[str, IPAddress] | None = None,
        served: tuple[Protocol, ...] = (Protocol.TCP, Protocol.UDP, Protocol.SCTP),
    ) -> World:
        """The model's labels; IPs default to 10.0.<ns>.<pod> (unit tests)."""
        ips = pod_ips or {
            key: ipaddress.ip_address(f"10.0.{NAMESPACES.index(key[0]) + 1}.{POD_NAMES.index(key[2]) + 1}")
            for key in POD_KEYS
        }
        return cls(
            pod_ips=ips,
            namespace_labels={ns: {NAMESPACE_LABEL: ns} for ns in NAMESPACES},
            pod_labels={key: {POD_LABEL: key.split("/")[1]} for key in POD_KEYS},
            served=served,
        )


@dataclass(frozen=True)
class StepState:
    """Everything in force after a step: policies (model names, placeholders in) and label overrides."""

    policies: Mapping[str, PolicyDoc]  # "x/name" -> document
    pod_labels: Mapping[str, Mapping[str, str | None]]
    namespace_labels: Mapping[str, Mapping[str, str | None]]


def states(case: Case) -> list[StepState]:
    """The state after each step, cumulatively."""
    policies: dict[str, PolicyDoc] = {}
    pod_labels: dict[str, dict[str, str | None]] = {}
    namespace_labels: dict[str, dict[str, str | None]] = {}
    result = []
    for step in case.steps:
        for key in step.delete:
            if key not in policies:
                raise ValueError(f"case {case.id}, step {step.name}: deletes unknown policy {key}")
            del policies[key]
        for doc in step.apply:
            policies[f"{doc['metadata']['namespace']}/{doc['metadata']['name']}"] = doc
        for pod_key, changes in step.pod_labels.items():
            pod_labels.setdefault(pod_key, {}).update(changes)
        for ns, changes in step.namespace_labels.items():
            namespace_labels.setdefault(ns, {}).update(changes)
        result.append(
            StepState(
                dict(policies),
                {k: dict(v) for k, v in pod_labels.items()},
                {k: dict(v) for k, v in namespace_labels.items()},
            )
        )
    return result


def apply_changes(base: Mapping[str, str], changes: Mapping[str, str | None]) -> dict[str, str]:
    labels = dict(base)
    for key, value in changes.items():
        if value is None:
            labels.pop(key, None)
        else:
            labels[key] = value
    return labels


def engine_inputs(
    state: StepState, world: World, *, dns_egress: bool = False
) -> tuple[Cluster, tuple[NetworkPolicy, ...]]:
    """The engine's cluster (model names, real IPs, labels after the step) and parsed policies."""
    cluster = Cluster(
        tuple(
            Namespace(ns, apply_changes(world.namespace_labels[ns], state.namespace_labels.get(ns, {})))
            for ns in NAMESPACES
        ),
        tuple(
            Pod(
                key.split("/")[0],
                key.split("/")[1],
                world.pod_ips[key],
                apply_changes(world.pod_labels[key], state.pod_labels.get(key, {})),
                container_ports(world.served),
            )
            for key in POD_KEYS
        ),
    )
    # Standing policies go in as they are on the cluster (no DNS rule added: their companions carry it); a
    # case policy of the same name replaces one on the cluster, so it does here too.
    standing = world.standing_policies(dns_egress=dns_egress)
    standing = {key: doc for key, doc in standing.items() if key not in state.policies}
    policies = tuple(
        parse_policy(engine_document(doc, world), f"standing policy {key}") for key, doc in standing.items()
    ) + tuple(
        parse_policy(engine_document(doc, world, dns_egress=dns_egress), f"policy {key}")
        for key, doc in state.policies.items()
    )
    return cluster, policies


def engine_document(doc: PolicyDoc, world: World, *, dns_egress: bool = False) -> dict[str, Any]:
    resolved: dict[str, Any] = resolve(doc, lambda ns: ns, lambda key: world.pod_ips[key])
    return with_dns_egress(resolved) if dns_egress else resolved


def expected_tables(case: Case, world: World, *, dns_egress: bool = False) -> list[TruthTable]:
    """The engine's expected table after each step of the case."""
    tables = []
    for state in states(case):
        cluster, policies = engine_inputs(state, world, dns_egress=dns_egress)
        tables.append(PolicyEngine(cluster, policies).truth_table(case.probes))
    return tables
