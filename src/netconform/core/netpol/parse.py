"""Loaded data (dicts shaped like the Kubernetes API objects) → model and policies, validated like the API.

Validation follows the API server (pkg/apis/networking/validation): what it rejects we reject, with one line
naming the place in the input; what it defaults we default (protocol TCP, policyTypes, the namespace name
label). No I/O here: the caller loads the YAML or JSON.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from netconform.core.netpol import validation
from netconform.core.netpol.cidr import INVALID_CIDR, GoIPNet, check_cidr, is_strict_subset
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
    describe_type,
    fail,
    integer,
    mapping,
    port_name,
    port_number,
    sequence,
    string,
    string_map,
)
from netconform.core.selectors import LabelSelector, Operator, Requirement

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


def parse_scenario(document: object, *, strict_cidr: bool = True) -> Scenario:
    doc = mapping(
        document, "", allowed=("namespaces", "pods", "policies", "probes"), required=("namespaces", "probes")
    )
    namespaces = parse_namespaces(doc.get("namespaces"), "namespaces")
    pods = parse_pods(doc.get("pods"), "pods", {ns.name for ns in namespaces})
    namespace_names = {ns.name for ns in namespaces}
    policies: list[NetworkPolicy] = []
    seen: set[str] = set()
    for i, item in enumerate(sequence(doc.get("policies"), "policies")):
        policy = parse_policy(item, at("policies", i), namespace_names, strict_cidr=strict_cidr)
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
        for problem in validation.is_dns1123_label(name):
            fail(at(here, "name"), validation.invalid(name, problem))
        namespaces.append(Namespace(name, labels(fields.get("labels"), at(here, "labels"))))
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
        pods.append(Pod(namespace, name, ip, labels(fields.get("labels"), at(here, "labels")), ports))
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
    supported = tuple(protocol.value for protocol in Protocol)
    if not isinstance(value, str) or value not in supported:
        if not isinstance(value, str):
            string(value, where)
        fail(where, validation.not_supported(value, supported))
    return Protocol(value)


# --- policies -----------------------------------------------------------------------------------------------
# Upstream's order of checks (kubernetes pkg/apis/networking/validation ValidateNetworkPolicy): metadata, then
# spec.podSelector, each ingress rule (ports, then from), each egress rule (ports, then to), then policyTypes.
# The API server reports every error; we report the first, in its words.
def parse_policy(
    value: object, where: str, namespaces: set[str] | None = None, *, strict_cidr: bool = True
) -> NetworkPolicy:
    """One NetworkPolicy object. With ``namespaces``, its namespace must be one of them.

    ``strict_cidr`` False reads ipBlock CIDRs as a cluster with the StrictIPCIDRValidation gate off would
    (before v1.36, or opted out): leading zeros and host bits accepted.
    """
    fields = mapping(
        value, where, allowed=("apiVersion", "kind", "metadata", "spec", "status"), required=("metadata",)
    )
    if fields.get("apiVersion", "networking.k8s.io/v1") != "networking.k8s.io/v1":
        fail(at(where, "apiVersion"), f'expected "networking.k8s.io/v1", got "{fields["apiVersion"]}"')
    if fields.get("kind", "NetworkPolicy") != "NetworkPolicy":
        fail(at(where, "kind"), f'expected "NetworkPolicy", got "{fields["kind"]}"')
    namespace, name = _object_meta(fields["metadata"], at(where, "metadata"))
    if namespaces is not None and namespace not in namespaces:
        fail(
            at(at(where, "metadata"), "namespace"), f'namespace "{namespace}" is not listed under namespaces'
        )
    where = f"{where} ({namespace}/{name})"  # from here on every message names the policy too
    spec_where = at(where, "spec")
    # spec is a struct in the Go type: absent or null is the zero spec (empty podSelector, no rules).
    raw_spec = fields.get("spec")
    spec = mapping(
        {} if raw_spec is None else raw_spec,
        spec_where,
        allowed=("podSelector", "policyTypes", "ingress", "egress"),
        required=(),
    )
    # podSelector is a struct too: absent or null is the empty selector (all pods of the namespace).
    raw_selector = spec.get("podSelector")
    pod_selector = parse_selector({} if raw_selector is None else raw_selector, at(spec_where, "podSelector"))
    ingress = _rules(spec.get("ingress"), at(spec_where, "ingress"), Direction.INGRESS, strict_cidr)
    egress = _rules(spec.get("egress"), at(spec_where, "egress"), Direction.EGRESS, strict_cidr)
    return NetworkPolicy(
        namespace=namespace,
        name=name,
        pod_selector=pod_selector,
        policy_types=_policy_types(spec.get("policyTypes"), at(spec_where, "policyTypes"), bool(egress)),
        ingress=ingress,
        egress=egress,
    )


def _object_meta(value: object, where: str) -> tuple[str, str]:
    """ValidateObjectMeta for a namespaced object named like a DNS subdomain (ValidateNetworkPolicyName).

    generateName alone is accepted by the API server (it makes the name); the engine needs a stable name to
    key the policy by, so here ``name`` is required all the same.
    """
    meta = mapping(value, where, allowed=_OBJECT_META)
    name = _meta_string(meta.get("name"), at(where, "name"), "name or generateName is required")
    for problem in validation.is_dns1123_subdomain(name):
        fail(at(where, "name"), validation.invalid(name, problem))
    namespace = _meta_string(meta.get("namespace"), at(where, "namespace"), "")
    for problem in validation.is_dns1123_label(namespace):
        fail(at(where, "namespace"), validation.invalid(namespace, problem))
    generate_name = meta.get("generateName")
    if generate_name is not None:
        prefix = string(generate_name, at(where, "generateName"))
        # NameIsDNSSubdomain(prefix=true) masks one trailing dash: "web-" is a fine prefix.
        masked = prefix[:-1] + "a" if prefix.endswith("-") else prefix
        for problem in validation.is_dns1123_subdomain(masked):
            fail(at(where, "generateName"), validation.invalid(prefix, problem))
    generation = meta.get("generation")
    if (
        generation is not None
        and integer(generation, at(where, "generation"), low=-(2**63), high=2**63 - 1) < 0
    ):
        fail(at(where, "generation"), validation.invalid(generation, "must be greater than or equal to 0"))
    labels(meta.get("labels"), at(where, "labels"))
    annotations = string_map(meta.get("annotations"), at(where, "annotations"))
    for key in annotations:
        # ValidateAnnotations: a qualified name, case-insensitively.
        for problem in validation.is_qualified_name(key.lower()):
            fail(at(where, "annotations"), validation.invalid(key, problem))
    size = sum(len(k.encode()) + len(v.encode()) for k, v in annotations.items())
    if size > validation.ANNOTATIONS_SIZE_LIMIT:
        fail(at(where, "annotations"), validation.too_long(validation.ANNOTATIONS_SIZE_LIMIT))
    return namespace, name


def _meta_string(value: object, where: str, detail: str) -> str:
    if value is None or value == "":
        fail(where, validation.required(detail))
    return string(value, where)


def labels(value: object, where: str) -> dict[str, str]:
    """A label map, validated like ValidateLabels (errors name the map, as upstream's do)."""
    result = string_map(value, where)
    for key, item in result.items():
        for problem in validation.is_qualified_name(key):
            fail(where, validation.invalid(key, problem))
        for problem in validation.is_label_value(item):
            fail(where, validation.invalid(item, problem))
    return result


_POLICY_TYPES = ("Ingress", "Egress")


def _policy_types(value: object, where: str, has_egress_rules: bool) -> frozenset[Direction]:
    """Upstream allows at most two entries, each Ingress or Egress; a repeated one is accepted."""
    items = sequence(value, where)
    if not items:
        return default_policy_types(has_egress_rules)
    if len(items) > len(_POLICY_TYPES):
        fail(where, validation.invalid(items, "may not specify more than two policyTypes"))
    types: set[Direction] = set()
    for i, item in enumerate(items):
        if not isinstance(item, str) or item not in _POLICY_TYPES:
            if not isinstance(item, str):
                string(item, at(where, i))
            fail(at(where, i), validation.not_supported(item, _POLICY_TYPES))
        types.add(Direction(item))
    return frozenset(types)


def _rules(value: object, where: str, direction: Direction, strict_cidr: bool) -> tuple[Rule, ...]:
    rules = []
    for i, item in enumerate(sequence(value, where)):
        here = at(where, i)
        peers_field = direction.peers_field
        fields = mapping({} if item is None else item, here, allowed=(peers_field, "ports"))
        ports = tuple(
            _port_rule(port, at(at(here, "ports"), j))
            for j, port in enumerate(sequence(fields.get("ports"), at(here, "ports")))
        )
        peers = tuple(
            _peer(peer, at(at(here, peers_field), j), strict_cidr)
            for j, peer in enumerate(sequence(fields.get(peers_field), at(here, peers_field)))
        )
        rules.append(Rule(peers, ports))
    return tuple(rules)


def _peer(value: object, where: str, strict_cidr: bool) -> Peer:
    """ValidateNetworkPolicyPeer: selectors and ipBlock are validated first, then how many were given."""
    fields = mapping(
        {} if value is None else value, where, allowed=("podSelector", "namespaceSelector", "ipBlock")
    )
    pod, namespace, block = (fields.get(key) for key in ("podSelector", "namespaceSelector", "ipBlock"))
    pod_selector = None if pod is None else parse_selector(pod, at(where, "podSelector"))
    namespace_selector = (
        None if namespace is None else parse_selector(namespace, at(where, "namespaceSelector"))
    )
    ip_block = None if block is None else _ip_block(block, at(where, "ipBlock"), strict_cidr)
    given = sum(part is not None for part in (pod, namespace, block))
    if given == 0:
        fail(where, validation.required("must specify a peer"))
    if given > 1 and ip_block is not None:
        fail(where, validation.forbidden("may not specify both ipBlock and another peer"))
    return Peer(pod_selector=pod_selector, namespace_selector=namespace_selector, ip_block=ip_block)


def _cidr_value(value: object, where: str, strict: bool) -> GoIPNet:
    if value is None or value == "":
        fail(where, validation.required())
    text = string(value, where)
    parsed, problem = check_cidr(text, strict=strict)
    if problem is not None or parsed is None:
        fail(where, validation.invalid(text, problem or INVALID_CIDR))
    return parsed


def _ip_block(value: object, where: str, strict: bool) -> IPBlock:
    """ValidateIPBlock: cidr, then each except (valid, and a strict subset of cidr)."""
    fields = mapping(value, where, allowed=("cidr", "except"))
    cidr = _cidr_value(fields.get("cidr"), at(where, "cidr"), strict)
    excepts: list[IPNetwork] = []
    for i, item in enumerate(sequence(fields.get("except"), at(where, "except"))):
        here = at(at(where, "except"), i)
        excluded = _cidr_value(item, here, strict)
        if not is_strict_subset(cidr, excluded):
            fail(here, validation.invalid(item, "must be a strict subset of `cidr`"))
        excepts.append(excluded.network())
    return IPBlock(cidr.network(), tuple(excepts))


def _port_rule(value: object, where: str) -> PortRule:
    """ValidateNetworkPolicyPort (protocol defaulted to TCP first, as SetDefaults_NetworkPolicyPort does)."""
    fields = mapping({} if value is None else value, where, allowed=("protocol", "port", "endPort"))
    protocol = parse_protocol(fields.get("protocol"), at(where, "protocol"))
    raw_port, raw_end = fields.get("port"), fields.get("endPort")
    end_port = None if raw_end is None else _int32(raw_end, at(where, "endPort"))
    port: int | str | None
    if raw_port is None:
        port = None
        if end_port is not None:
            fail(
                at(where, "endPort"),
                validation.invalid(end_port, "may not be specified when `port` is not specified"),
            )
    elif isinstance(raw_port, str):
        port = port_name(raw_port, at(where, "port"))
        if end_port is not None:
            fail(
                at(where, "endPort"),
                validation.invalid(end_port, "may not be specified when `port` is non-numeric"),
            )
    else:
        port = _int32(raw_port, at(where, "port"))
        for problem in validation.is_valid_port_num(port):
            fail(at(where, "port"), validation.invalid(port, problem))
        if end_port is not None:
            if end_port < port:
                # Upstream shows the port, not the endPort, as the bad value here.
                fail(
                    at(where, "endPort"), validation.invalid(port, "must be greater than or equal to `port`")
                )
            for problem in validation.is_valid_port_num(end_port):
                fail(at(where, "endPort"), validation.invalid(end_port, problem))
    return PortRule(protocol, port, end_port)


def _int32(value: object, where: str) -> int:
    """An int32 field: anything else fails to decode before validation runs."""
    return integer(value, where, low=-(2**31), high=2**31 - 1)


def parse_selector(value: object, where: str) -> LabelSelector:
    """ValidateLabelSelector: matchLabels (keys and values), then each matchExpressions entry."""
    fields = mapping(value, where, allowed=("matchLabels", "matchExpressions"))
    match_labels = labels(fields.get("matchLabels"), at(where, "matchLabels"))
    requirements = [
        _requirement(item, at(at(where, "matchExpressions"), i))
        for i, item in enumerate(sequence(fields.get("matchExpressions"), at(where, "matchExpressions")))
    ]
    return LabelSelector.of(match_labels, *requirements)


_OPERATORS = tuple(operator.value for operator in Operator)


def _requirement(value: object, where: str) -> Requirement:
    """ValidateLabelSelectorRequirement: operator and values, then the key, then each value."""
    fields = mapping(value, where, allowed=("key", "operator", "values"))
    raw_values = sequence(fields.get("values"), at(where, "values"))
    values = []
    for i, item in enumerate(raw_values):
        if not isinstance(item, str):
            fail(at(at(where, "values"), i), f"expected a string, got {describe_type(item)}")
        values.append(item)
    operator_text = _go_string(fields.get("operator"), at(where, "operator"))
    if operator_text not in _OPERATORS:
        fail(at(where, "operator"), validation.invalid(operator_text, "not a valid selector operator"))
    operator = Operator(operator_text)
    if operator in (Operator.IN, Operator.NOT_IN) and not values:
        fail(at(where, "values"), validation.required("must be specified when `operator` is 'In' or 'NotIn'"))
    if operator in (Operator.EXISTS, Operator.DOES_NOT_EXIST) and values:
        fail(
            at(where, "values"),
            validation.forbidden("may not be specified when `operator` is 'Exists' or 'DoesNotExist'"),
        )
    key = _go_string(fields.get("key"), at(where, "key"))
    for problem in validation.is_qualified_name(key):
        fail(at(where, "key"), validation.invalid(key, problem))
    for i, item in enumerate(values):
        for problem in validation.is_label_value(item):
            fail(at(at(where, "values"), i), validation.invalid(item, problem))
    return Requirement(key, operator, frozenset(values))


def _go_string(value: object, where: str) -> str:
    """A Go string field: absent or null decodes as "", which validation then judges; other types fail."""
    if value is None:
        return ""
    if not isinstance(value, str):
        fail(where, f"expected a string, got {describe_type(value)}")
    return value


def parse_policies(
    values: Sequence[Mapping[str, object]], where: str = "policies", *, strict_cidr: bool = True
) -> tuple[NetworkPolicy, ...]:
    """Several NetworkPolicy objects (e.g. a suite's manifests), each named ``where[i]`` in errors."""
    return tuple(parse_policy(value, at(where, i), strict_cidr=strict_cidr) for i, value in enumerate(values))
