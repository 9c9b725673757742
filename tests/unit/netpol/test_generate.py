"""The generator: deterministic per SEED:INDEX, always valid for the API server, every shape it promises."""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from netconform.core.netpol.cases import Case, World, expected_tables, resolve
from netconform.core.netpol.cases.model import POD_KEYS, POD_LABEL, Cidr, NsName
from netconform.core.netpol.generate import CATEGORY, MAX_POLICIES, case_at, case_id, generate, parse_case_ref
from netconform.core.netpol.parse import parse_policy
from netconform.core.truthtable import Protocol

MODEL = World.model()
IPV6 = World.model({key: ipaddress.ip_address(f"fd00:10::{i + 1:x}") for i, key in enumerate(POD_KEYS)})
# A world like a real cluster's: pods spread over node ranges, so few pods share a /24.
SPREAD = World.model(
    {key: ipaddress.ip_address(f"10.244.{i % 3}.{7 * i + 2}") for i, key in enumerate(POD_KEYS)}
)


def docs(case: Case) -> Iterator[Any]:
    for step in case.steps:
        yield from step.apply


def as_cluster_sees_it(doc: Any, world: World) -> Any:
    """The document as it is sent to the API server: real namespace names, real IPs."""
    return resolve(doc, lambda ns: f"nc-1a2b-gw0-{ns}", lambda pod: world.pod_ips[pod])


@settings(max_examples=150, deadline=None)
@given(
    st.integers(0, 2**32),
    st.integers(0, 10**6),
    st.sampled_from([MODEL, IPV6, SPREAD]),
    st.booleans(),
)
def test_every_generated_policy_is_valid_and_the_engine_computes_its_tables(
    seed: int, index: int, world: World, sctp: bool
) -> None:
    case = case_at(seed, index, world, sctp=sctp)
    for doc in docs(case):
        parse_policy(as_cluster_sees_it(doc, world), case.id)  # strict v1.36 validation: raises if invalid
    tables = expected_tables(case, world)
    assert len(tables) == len(case.steps)
    assert all(table.probes == case.probes for table in tables)


def test_a_case_is_the_same_alone_and_in_a_batch_and_carries_its_replay() -> None:
    batch = generate(7, 40)
    assert [case.id for case in batch] == [f"gen-7-{i}" for i in range(40)]
    assert case_at(7, 23) == batch[23]
    assert case_at(7, 23) == case_at(7, 23)
    assert (batch[23].seed, batch[23].index, batch[23].category) == (7, 23, CATEGORY)
    assert parse_case_ref(f"{batch[23].seed}:{batch[23].index}") == (7, 23)
    assert case_id(7, 23) == "gen-7-23"
    assert case_at(8, 23) != batch[23]
    assert len({json.dumps(_plain(case), sort_keys=True) for case in batch}) == len(batch)


@pytest.mark.parametrize("text", ["7", "7:", ":3", "a:1", "-1:2", "1:2:3", "1.5:2"])
def test_a_bad_case_reference_is_a_value_error(text: str) -> None:
    with pytest.raises(ValueError, match="SEED:INDEX"):
        parse_case_ref(text)


def test_sctp_only_when_asked() -> None:
    assert not any(Protocol.SCTP in c.protocols or "SCTP" in _text(c) for c in generate(3, 100))
    with_sctp = generate(3, 100, sctp=True)
    assert all(c.needs_sctp for c in with_sctp)
    assert any('"SCTP"' in _text(c) for c in with_sctp)


def test_generated_cases_never_touch_the_service_selector_label() -> None:
    for case in generate(5, 200):
        for step in case.steps:
            assert all(POD_LABEL not in changes for changes in step.pod_labels.values())


def test_excepts_are_computed_from_the_world_ips() -> None:
    """On a spread-out world a /24 holds few pods, so /32 excepts name only those (still valid: see above)."""
    found = 0
    for case in generate(11, 300, SPREAD):
        for block in _ip_blocks(case):
            cidr = block["cidr"]
            for excluded in block.get("except", []):
                if isinstance(cidr, Cidr) and isinstance(excluded, Cidr) and excluded.pod != cidr.pod:
                    network = ipaddress.ip_network(cidr.network(SPREAD.pod_ips[cidr.pod]))
                    assert SPREAD.pod_ips[excluded.pod] in network
                    found += 1
    assert found > 10


def _without_pod_excepts(value: Any) -> Any:
    """The document with every except entry that names another pod's /32 (the world's choice) left out."""
    if isinstance(value, dict):
        return {
            key: (
                [e for e in item if not (isinstance(e, Cidr) and e.prefix == 32)]
                if key == "except"
                else _without_pod_excepts(item)
            )
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_without_pod_excepts(item) for item in value]
    return value


def test_a_case_has_the_same_shape_on_every_world() -> None:
    """SEED:INDEX replays the same policies on another cluster: only the /32 excepts follow its pod IPs (a
    world-dependent draw on the case's own stream once turned 1:61 into another case on another bed)."""
    differing_excepts = 0
    for index in range(200):
        model, spread = case_at(3, index, MODEL), case_at(3, index, SPREAD)
        assert model.title == spread.title
        for mine, theirs in zip(model.steps, spread.steps, strict=True):
            assert (mine.pod_labels, mine.namespace_labels) == (theirs.pod_labels, theirs.namespace_labels)
            assert _without_pod_excepts(list(mine.apply)) == _without_pod_excepts(list(theirs.apply))
            differing_excepts += mine.apply != theirs.apply
    assert differing_excepts > 0  # the worlds do differ where they should: the test compares something


def test_the_generator_produces_every_shape_it_promises() -> None:
    cases = generate(2026, 400)
    features: set[str] = set()
    for case in cases:
        features |= _features(case)
    assert features >= {
        *(f"op-{op}" for op in ("In", "NotIn", "Exists", "DoesNotExist")),
        "empty-selector", "match-labels", "both-selectors", "ns-name-label", "empty-label-value",
        "repeated-value", "repeated-entry", "exists-empty-values",
        "ip-block", "ip-except", "other-family", "all-addresses",
        "numeric-port", "named-port", "unknown-named-port", "end-port", "protocol-only", "udp",
        "types-defaulted", "types-ingress", "types-egress", "types-both", "types-repeated",
        "ingress-and-egress", "deny-rules", "allow-all-rule", "label-change-step", "initial-labels",
        *(f"policies-{n}" for n in range(1, MAX_POLICIES + 1)),
    }  # fmt: skip


def test_most_generated_cases_say_something() -> None:
    """A case whose every table is all-allowed only proves the CNI does nothing wrong by doing nothing."""
    cases = generate(99, 100)
    informative = sum(
        any(cell.name == "BLOCKED" for table in expected_tables(case, MODEL) for *_, cell in table.cells())
        for case in cases
    )
    assert informative >= 60


# --- helpers ------------------------------------------------------------------------------------------------
def _plain(value: Any) -> Any:
    if isinstance(value, Case):
        return _plain([value.steps, value.protocols])
    if isinstance(value, Cidr | NsName):
        return repr(value)
    if isinstance(value, Protocol):
        return value.value
    if hasattr(value, "__dataclass_fields__"):
        return {name: _plain(getattr(value, name)) for name in value.__dataclass_fields__}
    if isinstance(value, dict) or hasattr(value, "items"):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _text(case: Case) -> str:
    return json.dumps(_plain(case))


def _walk(value: Any) -> Iterator[Any]:
    yield value
    if isinstance(value, dict):
        for item in value.values():
            yield from _walk(item)
    elif isinstance(value, list):
        for item in value:
            yield from _walk(item)


def _ip_blocks(case: Case) -> Iterator[dict[str, Any]]:
    for doc in docs(case):
        for node in _walk(doc["spec"]):
            if isinstance(node, dict) and "ipBlock" in node:
                yield node["ipBlock"]


def _features(case: Case) -> set[str]:
    found: set[str] = set()
    found.add(f"policies-{len(list(docs(case)))}")
    if len(case.steps) > 1:
        found.add("label-change-step")
    if case.steps[0].pod_labels or case.steps[0].namespace_labels:
        found.add("initial-labels")
    for doc in docs(case):
        spec = doc["spec"]
        types = spec.get("policyTypes")
        found.add(
            "types-defaulted"
            if types is None
            else "types-repeated"
            if len(set(types)) < len(types)
            else "types-both"
            if len(types) == 2
            else f"types-{types[0].lower()}"
        )
        if "ingress" in spec and "egress" in spec:
            found.add("ingress-and-egress")
        for field in ("ingress", "egress"):
            if field in spec and not spec[field]:
                found.add("deny-rules")
            if any(rule == {} or not (rule.get("from") or rule.get("to")) for rule in spec.get(field) or []):
                found.add("allow-all-rule")
        for node in _walk(spec):
            if isinstance(node, dict):
                found |= _node_features(node)
    return found


def _node_features(node: dict[str, Any]) -> set[str]:
    found: set[str] = set()
    if "podSelector" in node and "namespaceSelector" in node:
        found.add("both-selectors")
    for selector_field in ("podSelector", "namespaceSelector"):
        if node.get(selector_field) == {}:
            found.add("empty-selector")
    if "matchLabels" in node:
        found.add("match-labels")
        if "" in node["matchLabels"].values():
            found.add("empty-label-value")
    if "operator" in node:
        found.add(f"op-{node['operator']}")
        values = node.get("values")
        if values == [] and node["operator"] in ("Exists", "DoesNotExist"):
            found.add("exists-empty-values")
        if values and len(set(map(repr, values))) < len(values):
            found.add("repeated-value")
        if "" in (values or []):
            found.add("empty-label-value")
        if node["key"] == "kubernetes.io/metadata.name":
            found.add("ns-name-label")
    for list_field in ("from", "to", "ports", "matchExpressions", "except"):
        entries = node.get(list_field) or []
        if len({repr(e) for e in entries}) < len(entries):
            found.add("repeated-entry")
    if "cidr" in node:
        found.add("ip-block")
        if node.get("except"):
            found.add("ip-except")
        if isinstance(node["cidr"], str):
            found.add("all-addresses" if node["cidr"].endswith("/0") else "other-family")
    if "endPort" in node:
        found.add("end-port")
    if isinstance(node.get("port"), int):
        found.add("numeric-port")
    if isinstance(node.get("port"), str):
        found.add("unknown-named-port" if node["port"] == "no-such-port" else "named-port")
    if "protocol" in node and "port" not in node:
        found.add("protocol-only")
    if node.get("protocol") == "UDP":
        found.add("udp")
    return found
