"""Invariants of NetworkPolicy semantics, checked on random clusters and policy sets (hypothesis)."""

from __future__ import annotations

import ipaddress
from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st
from netpol_model import allowed_cells

from netconform.core.netpol import (
    Cluster,
    ContainerPort,
    Direction,
    IPBlock,
    LabelSelector,
    Namespace,
    NetworkPolicy,
    Operator,
    Peer,
    Pod,
    PolicyEngine,
    PortRule,
    Probe,
    Protocol,
    Requirement,
    Rule,
    explain,
)
from netconform.core.netpol.matching import policy_selects
from netconform.core.truthtable import Cell

NAMESPACES = ("x", "y")
PROBES = (Probe(80, Protocol.TCP), Probe(81, Protocol.TCP), Probe(80, Protocol.UDP))
LABEL_KEYS = ("app", "tier")
LABEL_VALUES = ("a", "b")

labels = st.dictionaries(st.sampled_from(LABEL_KEYS), st.sampled_from(LABEL_VALUES), max_size=2)


@st.composite
def requirements(draw: st.DrawFn) -> Requirement:
    operator = draw(st.sampled_from(Operator))
    values: frozenset[str] = frozenset()
    if operator in (Operator.IN, Operator.NOT_IN):
        values = frozenset(draw(st.lists(st.sampled_from(LABEL_VALUES), min_size=1, max_size=2)))
    return Requirement(draw(st.sampled_from(LABEL_KEYS)), operator, values)


selectors = st.builds(
    lambda match, reqs: LabelSelector.of(match, *reqs), labels, st.lists(requirements(), max_size=2)
)


@st.composite
def clusters(draw: st.DrawFn) -> Cluster:
    namespaces = tuple(Namespace(name, {"team": draw(st.sampled_from(LABEL_VALUES))}) for name in NAMESPACES)
    pods = []
    for n, ns in enumerate(NAMESPACES):
        for i in range(draw(st.integers(1, 3))):
            named = draw(st.sampled_from([(), (80, Protocol.TCP), (81, Protocol.TCP), (80, Protocol.UDP)]))
            ports = (ContainerPort(named[0], named[1], "http"),) if named else ()
            ip = ipaddress.ip_address(f"10.0.{n}.{i + 1}")
            pods.append(Pod(ns, f"p{i}", ip, draw(labels), ports))
    return Cluster(namespaces, tuple(pods))


@st.composite
def peers(draw: st.DrawFn) -> Peer:
    kind = draw(st.sampled_from(["pod", "namespace", "both", "ip"]))
    if kind == "ip":
        cidr = ipaddress.ip_network(draw(st.sampled_from(["10.0.0.0/16", "10.0.0.0/24", "10.0.1.0/24"])))
        excepts = (
            (ipaddress.ip_network("10.0.0.1/32"),) if draw(st.booleans()) and cidr.prefixlen < 32 else ()
        )
        if excepts and not excepts[0].subnet_of(cidr):  # type: ignore[arg-type]
            excepts = ()
        return Peer(ip_block=IPBlock(cidr, excepts))
    pod = draw(selectors) if kind in ("pod", "both") else None
    namespace = draw(selectors) if kind in ("namespace", "both") else None
    return Peer(pod_selector=pod, namespace_selector=namespace)


@st.composite
def port_rules(draw: st.DrawFn) -> PortRule:
    protocol = draw(st.sampled_from([Protocol.TCP, Protocol.UDP]))
    port = draw(st.sampled_from([None, 80, 81, "http"]))
    end_port = draw(st.sampled_from([None, 81, 90])) if port == 80 else None
    return PortRule(protocol, port, end_port)


rules = st.builds(
    lambda p, q: Rule(tuple(p), tuple(q)), st.lists(peers(), max_size=2), st.lists(port_rules(), max_size=2)
)


@st.composite
def policies(draw: st.DrawFn) -> NetworkPolicy:
    types = draw(st.sets(st.sampled_from(Direction), min_size=1))
    return NetworkPolicy(
        namespace=draw(st.sampled_from(NAMESPACES)),
        name=f"p{draw(st.integers(0, 10**6))}",
        pod_selector=draw(selectors),
        policy_types=frozenset(types),
        ingress=tuple(draw(st.lists(rules, max_size=2))),
        egress=tuple(draw(st.lists(rules, max_size=2))),
    )


policy_sets = st.lists(policies(), max_size=4)


def table_allowed(cluster: Cluster, policy_set: list[NetworkPolicy]) -> set[tuple[Probe, str, str]]:
    return allowed_cells(PolicyEngine(cluster, policy_set).truth_table(PROBES))


@settings(max_examples=80, deadline=None)
@given(clusters(), policy_sets)
def test_a_pod_selected_by_no_policy_is_not_isolated(
    cluster: Cluster, policy_set: list[NetworkPolicy]
) -> None:
    engine = PolicyEngine(cluster, policy_set)
    for pod in cluster.pods:
        if not any(policy_selects(policy, pod) for policy in policy_set):
            assert not engine.is_isolated(pod.key, Direction.INGRESS)
            assert not engine.is_isolated(pod.key, Direction.EGRESS)


@settings(max_examples=80, deadline=None)
@given(clusters(), policy_sets)
def test_without_egress_policies_an_unselected_pod_accepts_everyone(
    cluster: Cluster, policy_set: list[NetworkPolicy]
) -> None:
    ingress_only = [replace(p, policy_types=frozenset({Direction.INGRESS})) for p in policy_set]
    table = PolicyEngine(cluster, ingress_only).truth_table(PROBES)
    for pod in cluster.pods:
        if not any(policy_selects(policy, pod) for policy in ingress_only):
            column = {table.cell(src, pod.key, probe) for probe in PROBES for src in cluster.pod_keys}
            assert column == {Cell.ALLOWED}


@settings(max_examples=80, deadline=None)
@given(clusters(), st.lists(policies(), min_size=1, max_size=4), st.data())
def test_adding_an_allow_rule_never_removes_a_connection(
    cluster: Cluster, policy_set: list[NetworkPolicy], data: st.DataObject
) -> None:
    before = table_allowed(cluster, policy_set)
    index = data.draw(st.integers(0, len(policy_set) - 1))
    extra = data.draw(rules)
    grown = list(policy_set)
    if data.draw(st.booleans()):
        grown[index] = replace(grown[index], ingress=(*grown[index].ingress, extra))
    else:
        grown[index] = replace(grown[index], egress=(*grown[index].egress, extra))
    assert before <= table_allowed(cluster, grown)


@settings(max_examples=80, deadline=None)
@given(clusters(), policy_sets, policies())
def test_adding_a_policy_without_rules_never_adds_a_connection(
    cluster: Cluster, policy_set: list[NetworkPolicy], deny: NetworkPolicy
) -> None:
    deny = replace(deny, ingress=(), egress=())
    assert table_allowed(cluster, [*policy_set, deny]) <= table_allowed(cluster, policy_set)


@settings(max_examples=60, deadline=None)
@given(clusters(), policy_sets)
def test_policy_order_does_not_matter(cluster: Cluster, policy_set: list[NetworkPolicy]) -> None:
    assert table_allowed(cluster, policy_set) == table_allowed(cluster, policy_set[::-1])


@settings(max_examples=60, deadline=None)
@given(clusters(), policy_sets)
def test_explain_agrees_with_the_engine(cluster: Cluster, policy_set: list[NetworkPolicy]) -> None:
    engine = PolicyEngine(cluster, policy_set)
    for probe in PROBES:
        for src in cluster.pod_keys:
            for dst in cluster.pod_keys:
                explanation = explain(cluster, policy_set, src, dst, probe)
                assert explanation.allowed == engine.is_allowed(src, dst, probe)
