"""Loaded data (dicts shaped like the Kubernetes API objects) → model and policies, validated like the API.

Validation follows the API server (pkg/apis/networking/validation): what it rejects we reject, with one line
naming the place in the input; what it defaults we default (protocol TCP, policyTypes, the namespace name
label). No I/O here: the caller loads the YAML or JSON.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from netconform.core.netpol.model import Cluster, ContainerPort, Namespace, Pod, Probe, Protocol
from netconform.core.netpol.policy import (
    Direction,
    IPBlock,
    IPNetwork,
    NetworkPolicy,
    Peer,
    PortRule,
    Rule,
    default_policy_types,
)
from netconform.core.netpol.reader import (
    at,
    fail,
    integer,
    mapping,
    port_name,
    port_number,
    sequence,
    string,
    string_map,
)
from netconform.core.netpol.selectors import LabelSelector, Operator, Requirement

_OBJECT_META = frozenset(
    {
        "name",
        "namespace",
        "labels",
        "annotations",
        "uid",
        "resourceVersion",
        "generation",
        "creationTimestamp",
        "deletionTimestamp",
        "deletionGracePeriodSeconds",
        "generateName",
        "finalizers",
        "ownerReferences",
        "managedFields",
        "selfLink",
    }
)


@dataclass(frozen=True)
class Scenario:
    """Everything a truth-table file holds."""

    cluster: Cluster
    policies: tuple[NetworkPolicy, ...]
    probes: tuple[Probe, ...]


def parse_scenario(document: object) -> Scenario:
    doc = mapping(
        document, "", allowed=("namespaces", "pods", "policies", "probes"), required=("namespaces", "probes")
    )
    namespaces = parse_namespaces(doc.get("namespaces"), "namespaces")
    pods = parse_pods(doc.get("pods"), "pods", {ns.name for ns in namespaces})
    namespace_names = {ns.name for ns in namespaces}
    policies: list[NetworkPolicy] = []
    seen: set[str] = set()
    for i, item in enumerate(sequence(doc.get("policies"), "policies")):
        policy = parse_policy(item, at("policies", i), namespace_names)
        if policy.key in seen:
            fail(at("policies", i), f"duplicate policy {policy.key}")
        seen.add(policy.key)
        policies.append(policy)
    probes = parse_probes(doc.get("probes"), "probes")
    return Scenario(Cluster(tuple(namespaces), tuple(pods)), tuple(policies), probes)


# --- cluster ------------------------------------------------------------------------------------------------
def parse_namespaces(value: object, where: str) -> list[Namespace]:
    namespaces: list[Namespace] = []
    for i, item in enumerate(sequence(value, where)):
        here = at(where, i)
        fields = mapping(item, here, allowed=("name", "labels"), required=("name",))
        name = string(fields["name"], at(here, "name"))
        if any(ns.name == name for ns in namespaces):
            fail(at(here, "name"), f'duplicate namespace "{name}"')
        namespaces.append(Namespace(name, string_map(fields.get("labels"), at(here, "labels"))))
    return namespaces


def parse_pods(value: object, where: str, namespaces: set[str]) -> list[Pod]:
    pods: list[Pod] = []
    for i, item in enumerate(sequence(value, where)):
        here = at(where, i)
        fields = mapping(
            item,
            here,
            allowed=("namespace", "name", "labels", "ip", "ports"),
            required=("namespace", "name", "ip"),
        )
        namespace = string(fields["namespace"], at(here, "namespace"))
        if namespace not in namespaces:
            fail(at(here, "namespace"), f'namespace "{namespace}" is not listed under namespaces')
        name = string(fields["name"], at(here, "name"))
        if any(pod.key == f"{namespace}/{name}" for pod in pods):
            fail(here, f"duplicate pod {namespace}/{name}")
        ip_text = string(fields["ip"], at(here, "ip"))
        try:
            ip = ipaddress.ip_address(ip_text)
        except ValueError:
            fail(at(here, "ip"), f'invalid IP address "{ip_text}"')
        ports = tuple(
            _container_port(port, at(at(here, "ports"), j))
            for j, port in enumerate(sequence(fields.get("ports"), at(here, "ports")))
        )
        pods.append(Pod(namespace, name, ip, string_map(fields.get("labels"), at(here, "labels")), ports))
    return pods


def _container_port(value: object, where: str) -> ContainerPort:
    fields = mapping(value, where, allowed=("name", "containerPort", "protocol"), required=("containerPort",))
    name = fields.get("name")
    return ContainerPort(
        port=port_number(fields["containerPort"], at(where, "containerPort")),
        protocol=parse_protocol(fields.get("protocol"), at(where, "protocol")),
        name=None if name is None else port_name(string(name, at(where, "name")), at(where, "name")),
    )


def parse_probes(value: object, where: str) -> tuple[Probe, ...]:
    probes: list[Probe] = []
    for i, item in enumerate(sequence(value, where)):
        here = at(where, i)
        fields = mapping(item, here, allowed=("port", "protocol"), required=("port",))
        probe = Probe(
            port_number(fields["port"], at(here, "port")),
            parse_protocol(fields.get("protocol"), at(here, "protocol")),
        )
        if probe in probes:
            fail(here, f"duplicate probe {probe}")
        probes.append(probe)
    if not probes:
        fail(where, "at least one probe is needed, e.g. [{port: 80, protocol: TCP}]")
    return tuple(probes)


def parse_protocol(value: object, where: str) -> Protocol:
    """Absent means TCP (the API server's default); the names are case-sensitive, as in the API."""
    if value is None:
        return Protocol.TCP
    text = string(value, where)
    try:
        return Protocol(text)
    except ValueError:
        fail(where, f'unsupported protocol "{text}" (expected TCP, UDP or SCTP)')


# --- policies -----------------------------------------------------------------------------------------------
def parse_policy(value: object, where: str, namespaces: set[str] | None = None) -> NetworkPolicy:
    """One NetworkPolicy object. With ``namespaces``, its namespace must be one of them."""
    fields = mapping(
        value, where, allowed=("apiVersion", "kind", "metadata", "spec", "status"), required=("metadata",)
    )
    if fields.get("apiVersion", "networking.k8s.io/v1") != "networking.k8s.io/v1":
        fail(at(where, "apiVersion"), f'expected "networking.k8s.io/v1", got "{fields["apiVersion"]}"')
    if fields.get("kind", "NetworkPolicy") != "NetworkPolicy":
        fail(at(where, "kind"), f'expected "NetworkPolicy", got "{fields["kind"]}"')
    meta_where = at(where, "metadata")
    meta = mapping(fields["metadata"], meta_where, allowed=_OBJECT_META, required=("name", "namespace"))
    name = string(meta["name"], at(meta_where, "name"))
    namespace = string(meta["namespace"], at(meta_where, "namespace"))
    if namespaces is not None and namespace not in namespaces:
        fail(at(meta_where, "namespace"), f'namespace "{namespace}" is not listed under namespaces')
    where = f"{where} ({namespace}/{name})"  # from here on every message names the policy too
    spec_where = at(where, "spec")
    spec = mapping(
        fields.get("spec"),
        spec_where,
        allowed=("podSelector", "policyTypes", "ingress", "egress"),
        required=(),
    )
    ingress = _rules(spec.get("ingress"), at(spec_where, "ingress"), Direction.INGRESS)
    egress = _rules(spec.get("egress"), at(spec_where, "egress"), Direction.EGRESS)
    return NetworkPolicy(
        namespace=namespace,
        name=name,
        # podSelector is required by the API but an empty one is the common "all pods"; treat absent the same.
        pod_selector=parse_selector(spec.get("podSelector") or {}, at(spec_where, "podSelector")),
        policy_types=_policy_types(spec.get("policyTypes"), at(spec_where, "policyTypes"), bool(egress)),
        ingress=ingress,
        egress=egress,
    )


def _policy_types(value: object, where: str, has_egress_rules: bool) -> frozenset[Direction]:
    items = sequence(value, where)
    if not items:
        return default_policy_types(has_egress_rules)
    types: set[Direction] = set()
    for i, item in enumerate(items):
        text = string(item, at(where, i))
        try:
            direction = Direction(text)
        except ValueError:
            fail(at(where, i), f'unsupported policy type "{text}" (expected Ingress or Egress)')
        if direction in types:
            fail(at(where, i), f'duplicate policy type "{text}"')
        types.add(direction)
    return frozenset(types)


def _rules(value: object, where: str, direction: Direction) -> tuple[Rule, ...]:
    rules = []
    for i, item in enumerate(sequence(value, where)):
        here = at(where, i)
        peers_field = direction.peers_field
        fields = mapping(item, here, allowed=(peers_field, "ports"))
        peers = tuple(
            _peer(peer, at(at(here, peers_field), j))
            for j, peer in enumerate(sequence(fields.get(peers_field), at(here, peers_field)))
        )
        ports = tuple(
            _port_rule(port, at(at(here, "ports"), j))
            for j, port in enumerate(sequence(fields.get("ports"), at(here, "ports")))
        )
        rules.append(Rule(peers, ports))
    return tuple(rules)


def _peer(value: object, where: str) -> Peer:
    fields = mapping(value, where, allowed=("podSelector", "namespaceSelector", "ipBlock"))
    given = [key for key in ("podSelector", "namespaceSelector", "ipBlock") if fields.get(key) is not None]
    if not given:
        fail(where, "must specify a peer (podSelector, namespaceSelector or ipBlock)")
    if "ipBlock" in given and len(given) > 1:
        fail(where, "may not specify both ipBlock and another peer")
    if "ipBlock" in given:
        return Peer(ip_block=_ip_block(fields["ipBlock"], at(where, "ipBlock")))
    pod = fields.get("podSelector")
    namespace = fields.get("namespaceSelector")
    return Peer(
        pod_selector=None if pod is None else parse_selector(pod, at(where, "podSelector")),
        namespace_selector=None
        if namespace is None
        else parse_selector(namespace, at(where, "namespaceSelector")),
    )


def _cidr(value: object, where: str) -> IPNetwork:
    text = string(value, where)
    try:
        if "/" not in text:
            raise ValueError(text)
        # strict=False: the API server accepts host bits set (10.0.0.5/24) and means the network.
        return ipaddress.ip_network(text, strict=False)
    except ValueError:
        fail(where, f'invalid CIDR "{text}"')


def _ip_block(value: object, where: str) -> IPBlock:
    fields = mapping(value, where, allowed=("cidr", "except"), required=("cidr",))
    cidr = _cidr(fields["cidr"], at(where, "cidr"))
    excepts: list[IPNetwork] = []
    for i, item in enumerate(sequence(fields.get("except"), at(where, "except"))):
        here = at(at(where, "except"), i)
        excluded = _cidr(item, here)
        # API validation: each except must be a strict subset of cidr.
        inside = excluded.version == cidr.version and excluded.subnet_of(cidr)  # type: ignore[arg-type]
        if not inside or excluded.prefixlen <= cidr.prefixlen:
            fail(here, f'"{item}" must be a strict subset of cidr "{fields["cidr"]}"')
        excepts.append(excluded)
    return IPBlock(cidr, tuple(excepts))


def _port_rule(value: object, where: str) -> PortRule:
    fields = mapping(value, where, allowed=("protocol", "port", "endPort"))
    protocol = parse_protocol(fields.get("protocol"), at(where, "protocol"))
    raw_port = fields.get("port")
    port: int | str | None
    if raw_port is None:
        port = None
    elif isinstance(raw_port, str):
        port = port_name(raw_port, at(where, "port"))
    else:
        port = port_number(raw_port, at(where, "port"))
    end_port = None
    if fields.get("endPort") is not None:
        if not isinstance(port, int):
            fail(at(where, "endPort"), "may only be set together with a numeric port")
        end_port = integer(fields["endPort"], at(where, "endPort"), low=port, high=65535)
    return PortRule(protocol, port, end_port)


def parse_selector(value: object, where: str) -> LabelSelector:
    fields = mapping(value, where, allowed=("matchLabels", "matchExpressions"))
    requirements = [
        _requirement(item, at(at(where, "matchExpressions"), i))
        for i, item in enumerate(sequence(fields.get("matchExpressions"), at(where, "matchExpressions")))
    ]
    return LabelSelector.of(string_map(fields.get("matchLabels"), at(where, "matchLabels")), *requirements)


def _requirement(value: object, where: str) -> Requirement:
    fields = mapping(value, where, allowed=("key", "operator", "values"), required=("key", "operator"))
    key = string(fields["key"], at(where, "key"))
    operator_text = string(fields["operator"], at(where, "operator"))
    try:
        operator = Operator(operator_text)
    except ValueError:
        fail(
            at(where, "operator"),
            f'unsupported operator "{operator_text}" (expected In, NotIn, Exists, DoesNotExist)',
        )
    values = [
        string(v, at(at(where, "values"), i))
        for i, v in enumerate(sequence(fields.get("values"), at(where, "values")))
    ]
    if operator in (Operator.IN, Operator.NOT_IN) and not values:
        fail(at(where, "values"), f"must be non-empty when operator is {operator.value}")
    if operator in (Operator.EXISTS, Operator.DOES_NOT_EXIST) and values:
        fail(at(where, "values"), f"must be empty when operator is {operator.value}")
    return Requirement(key, operator, frozenset(values))


def parse_policies(
    values: Sequence[Mapping[str, object]], where: str = "policies"
) -> tuple[NetworkPolicy, ...]:
    """Several NetworkPolicy objects (e.g. a suite's manifests), each named ``where[i]`` in errors."""
    return tuple(parse_policy(value, at(where, i)) for i, value in enumerate(values))
