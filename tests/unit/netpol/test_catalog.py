"""The conformance catalog: enough cases, every category, valid policies, tables that say something."""

from __future__ import annotations

import ipaddress
import itertools

import pytest

from netconform.core.netpol.cases import (
    CASES,
    Case,
    Cidr,
    NsName,
    World,
    by_id,
    expected_tables,
    resolve,
    states,
)
from netconform.core.netpol.cases.model import POD_LABEL, TargetMode, engine_inputs, with_dns_egress
from netconform.core.netpol.cases.plan import plan_case
from netconform.core.netpol.cases.verdict import judge
from netconform.core.truthtable import Cell, Probe, Protocol
from netconform.report.netpol import verdict_text

WORLD = World.model()
CATEGORIES = {
    "default-deny", "pod-selector", "namespace-selector", "combined", "allow-all", "stacked", "update",
    "labels", "named-port", "end-port", "multi-port", "ip-block", "dns", "ingress-egress", "protocol",
    "sctp", "deletion",
}  # fmt: skip


def test_the_catalog_is_big_enough_and_covers_every_category() -> None:
    assert len(CASES) >= 45
    assert {case.category for case in CASES} == CATEGORIES
    assert len({case.id for case in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_every_case_parses_and_its_table_differs_from_the_baseline_somewhere(case: Case) -> None:
    tables = expected_tables(case, WORLD)
    assert len(tables) == len(case.steps)
    blocked = [sum(1 for *_, cell in table.cells() if cell is Cell.BLOCKED) for table in tables]
    # A case whose every step is "all allowed" would prove nothing about enforcement.
    assert any(blocked), f"{case.id}: no step blocks anything"


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_cases_never_touch_the_service_selector_label(case: Case) -> None:
    for step in case.steps:
        for changes in step.pod_labels.values():
            assert POD_LABEL not in changes


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_dns_augmentation_does_not_change_the_probed_cells(case: Case) -> None:
    assert expected_tables(case, WORLD, dns_egress=True) == expected_tables(case, WORLD)


def test_multi_step_cases_change_the_table_between_steps() -> None:
    for case in CASES:
        tables = expected_tables(case, WORLD)
        for before, after in itertools.pairwise(tables):
            assert before != after, f"{case.id}: a step that changes nothing"


def test_cidr_placeholders_resolve_from_real_pod_ips() -> None:
    doc = {"cidr": Cidr("z/c", 24), "except": [Cidr("y/b")], "ns": NsName("y")}
    resolved = resolve(doc, lambda ns: f"real-{ns}", lambda key: ipaddress.ip_address("10.244.0.37"))
    assert resolved == {"cidr": "10.244.0.0/24", "except": ["10.244.0.37/32"], "ns": "real-y"}


def test_ip_block_except_is_computed_from_the_given_ips() -> None:
    ips = {key: ipaddress.ip_address(f"10.244.0.{i + 10}") for i, key in enumerate(WORLD.pod_ips)}
    world = World.model(ips)
    table = expected_tables(by_id("ip-block-ingress-except"), world)[0]
    tcp80 = Probe(80, Protocol.TCP)
    assert table.cell("y/b", "x/a", tcp80) is Cell.BLOCKED
    assert table.cell("z/a", "x/a", tcp80) is Cell.BLOCKED
    assert table.cell("y/a", "x/a", tcp80) is Cell.ALLOWED


def test_label_changes_accumulate_and_can_be_undone() -> None:
    step_states = states(by_id("namespace-label-change-peer"))
    assert step_states[1].namespace_labels == {"z": {"team": "blue"}}
    assert step_states[3].namespace_labels == {"z": {"team": None}, "y": {"team": "blue"}}
    cluster, _ = engine_inputs(step_states[3], WORLD)
    assert "team" not in cluster.namespace("z").labels


def test_protocol_cases_block_the_other_protocol() -> None:
    table = expected_tables(by_id("udp-only-blocks-tcp"), WORLD)[0]
    assert table.cell("y/a", "x/a", Probe(80, Protocol.TCP)) is Cell.BLOCKED
    assert table.cell("y/a", "x/a", Probe(80, Protocol.UDP)) is Cell.ALLOWED
    sctp = expected_tables(by_id("sctp-policy-does-not-open-tcp"), WORLD)[0]
    assert all(cell is Cell.BLOCKED for _, _, dst, cell in sctp.cells() if dst.startswith("x/"))


def test_dns_rule_is_added_only_to_egress_isolating_policies() -> None:
    ingress = {"metadata": {"name": "p", "namespace": "x"}, "spec": {"policyTypes": ["Ingress"]}}
    assert with_dns_egress(ingress) == ingress
    egress = {"metadata": {"name": "p", "namespace": "x"}, "spec": {"policyTypes": ["Egress"], "egress": []}}
    assert with_dns_egress(egress)["spec"]["egress"] == [
        {"ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]}
    ]


def test_a_wrong_cell_is_named_with_its_command_and_the_deciding_policy() -> None:
    case = by_id("deny-all-ingress")
    expected = expected_tables(case, WORLD)[0]
    probe = Probe(80, Protocol.TCP)
    observed = expected.with_cells(Cell.ALLOWED, sources=["y/a"], destinations=["x/b"], probes=[probe])
    key = ("y/a", "x/b", probe)
    verdict = judge(
        plan_case(case, WORLD, TargetMode.POD_IP), 0, observed,
        reproduce={key: "kubectl exec -n real-y a -- /agnhost connect 10.0.1.2:80"}, attempts={key: 5},
    )  # fmt: skip
    assert not verdict.passed
    assert "y/a -> x/b on 80/TCP: expected BLOCKED, observed ALLOWED" in verdict_text(verdict)
    assert "reproduce: kubectl exec -n real-y a -- /agnhost connect 10.0.1.2:80" in verdict_text(verdict)
    assert "isolated by x/deny-ingress" in verdict_text(verdict)
    for heading in ("expected", "observed", "diff"):
        assert heading in verdict_text(verdict)
