"""CNI mechanisms behind shape deviations: each model agrees with what the bed measured, and a deviation that
names one covers exactly the cells it predicts, in any case of that shape and in no other cell."""

from __future__ import annotations

from typing import Any

import pytest

from netconform.adapters.deviations_file import bundled, read_deviations
from netconform.core.netpol.cases import CASES, World, by_id
from netconform.core.netpol.cases.model import Case, PolicyDoc, Step, TargetMode, policy
from netconform.core.netpol.cases.plan import CasePlan, plan_case
from netconform.core.netpol.cases.verdict import judge
from netconform.core.netpol.deviations import DeviationsError, parse_deviations
from netconform.core.netpol.generate import case_at
from netconform.core.netpol.mechanisms import (
    Mechanism,
    kube_router_named_ports,
    one_chain_per_policy,
    rule_wide_ipblock_excepts,
)
from netconform.core.truthtable import Cell, Probe, Protocol, TruthTable
from netconform.report.netpol import verdict_text
from netconform.testbed.lifecycle import TESTBED_DEVIATIONS

WORLD = World.model()
SHAPED = {
    "id": "one-chain",
    "shape": "one-chain-per-policy",
    "observed": ["allowed"],
    "reason": "one chain per policy",
    "link": "https://example.org/k3s/2390",
}

Cells = set[tuple[int, str, str, str]]  # step, source, destination, probe


def predicted(plan: CasePlan, mechanism: Mechanism = one_chain_per_policy) -> Cells:
    """Probed cells (no self pairs) where the mechanism differs from the engine."""
    cells: Cells = set()
    for step in plan.steps:
        table = step.expected
        for p, probe in enumerate(table.probes):
            for s, source in enumerate(table.sources):
                for d, destination in enumerate(table.destinations):
                    got = mechanism(step.cluster, step.policies, source, destination, probe)
                    if source != destination and got is not table.grids[p][s][d]:
                        cells.add((step.index, source, destination, str(probe)))
    return cells


def test_on_the_catalog_the_model_differs_exactly_where_the_bed_measured_kube_router_differ() -> None:
    # The bed (2026-12-01, two nodes, 189 tests): only deny-all-allow-dns-everywhere, z/c -> z/a and
    # z/c -> z/b on every port/protocol, in every target mode.
    found = {
        (case.id, mode.value): predicted(plan_case(case, WORLD, mode))
        for case in CASES
        for mode in TargetMode
    }
    deviating = {key: cells for key, cells in found.items() if cells}
    probes = [str(p) for p in by_id("deny-all-allow-dns-everywhere").probes]
    expected = {(0, "z/c", destination, probe) for destination in ("z/a", "z/b") for probe in probes}
    assert deviating == {("deny-all-allow-dns-everywhere", mode.value): expected for mode in TargetMode}


def test_generated_case_1_0_is_the_same_shape_one_policy_selects_both_ends() -> None:
    # gen-0 in y selects y/a and y/b, isolates their egress (port 82 only), admits everyone on 80 and 81/TCP.
    plan = plan_case(case_at(1, 0, WORLD), WORLD, TargetMode.POD_IP)
    assert predicted(plan) == {
        (0, source, destination, probe)
        for source, destination in (("y/a", "y/b"), ("y/b", "y/a"))
        for probe in ("80/TCP", "81/TCP")
    }


def test_an_egress_rule_of_a_policy_selecting_both_ends_lets_a_source_past_the_destination_ingress() -> None:
    # k3s-io/k3s#2390's shape: one policy of both types isolates all of x, admits no ingress, allows egress
    # to x; its egress rule also runs in the destination's chain.
    both = policy("x", "both", {}, ingress=[], egress=[{"to": [{"podSelector": {}}]}])
    cells = predicted(plan_case(_case(both), WORLD, TargetMode.POD_IP))
    pairs = {(s, d) for _, s, d, _ in cells}
    assert pairs == {(s, d) for s in ("x/a", "x/b", "x/c") for d in ("x/a", "x/b", "x/c") if s != d}


def test_a_policy_of_one_type_runs_in_its_own_direction_only() -> None:
    # The same rules split into an Ingress-only and an Egress-only policy: kube-router jumps to each for its
    # own direction (-d / -s), so nothing leaks and the model agrees with the engine.
    split = (
        policy("x", "in", {}, ingress=[]),
        policy("x", "out", {}, egress=[{"to": [{"podSelector": {}}]}]),
    )
    assert predicted(plan_case(_case(*split), WORLD, TargetMode.POD_IP)) == set()


NAMED = kube_router_named_ports
EVERY_PROBE = ("80/TCP", "81/TCP", "80/UDP", "81/UDP")


def test_an_ingress_rule_whose_named_ports_resolve_nowhere_admits_its_peers_on_every_port() -> None:
    # kube-router drops the unknown name, is left with no ports, and writes the rule for every port
    unknown = policy(
        "x",
        "named",
        {"matchLabels": {"pod": "a"}},
        ingress=[{"from": [{"namespaceSelector": {}}], "ports": [{"port": "no-such-port"}]}],
    )
    cells = predicted(plan_case(_case(unknown), WORLD, TargetMode.POD_IP), NAMED)
    sources = {f"{ns}/{pod}" for ns in "xyz" for pod in "abc"} - {"x/a"}
    assert cells == {(0, source, "x/a", probe) for source in sources for probe in EVERY_PROBE}


def test_an_egress_rule_resolves_its_names_on_the_peers_and_a_protocol_mismatch_does_not_resolve() -> None:
    # serve-80-tcp exists, but not for UDP: the only port entry is dropped, the peers y/* are open
    mismatched = policy(
        "x",
        "out",
        {"matchLabels": {"pod": "a"}},
        egress=[
            {
                "to": [{"namespaceSelector": {"matchLabels": {"ns": "y"}}}],
                "ports": [{"protocol": "UDP", "port": "serve-80-tcp"}],
            }
        ],
    )
    cells = predicted(plan_case(_case(mismatched), WORLD, TargetMode.POD_IP), NAMED)
    assert cells == {(0, "x/a", f"y/{pod}", probe) for pod in "abc" for probe in EVERY_PROBE}


def test_an_egress_ipblock_gets_only_the_numeric_ports_of_its_rule() -> None:
    # The bed, old seed 1 case 81 shrunk: egress to ipBlock on serve-81-udp; kube-router rejects 81/UDP.
    to_all = {"to": [{"ipBlock": {"cidr": "10.0.0.0/8"}}]}
    named = policy(
        "x",
        "out",
        {"matchLabels": {"pod": "a"}},
        egress=[{**to_all, "ports": [{"protocol": "UDP", "port": "serve-81-udp"}]}],
    )
    others = {f"{ns}/{pod}" for ns in "xyz" for pod in "abc"} - {"x/a"}
    cells = predicted(plan_case(_case(named), WORLD, TargetMode.POD_IP), NAMED)
    assert cells == {(0, "x/a", destination, "81/UDP") for destination in others}
    # with a numeric port beside it, the ipBlock keeps that one: still only 81/UDP differs
    mixed = policy(
        "x",
        "out",
        {"matchLabels": {"pod": "a"}},
        egress=[{**to_all, "ports": [{"protocol": "UDP", "port": "serve-81-udp"}, {"port": 80}]}],
    )
    assert predicted(plan_case(_case(mixed), WORLD, TargetMode.POD_IP), NAMED) == cells


def _ingress_from(*blocks: dict[str, Any]) -> PolicyDoc:
    return policy("y", "blocks", {}, ingress=[{"from": [{"ipBlock": b} for b in blocks]}])


def test_one_ipblocks_except_removes_the_address_from_the_rules_other_ipblocks() -> None:
    # The bed, old seed 1 case 119 shrunk: from [10.244.0.0/16 except z/b, 10.244.0.0/16] rejected z/b.
    # (Ingress only here, so kube-router's chains add nothing of their own.) z/b is 10.0.3.2 in WORLD.
    doc = _ingress_from({"cidr": "10.0.0.0/8", "except": ["10.0.3.2/32"]}, {"cidr": "10.0.0.0/8"})
    cells = predicted(plan_case(_case(doc), WORLD, TargetMode.POD_IP), rule_wide_ipblock_excepts)
    assert cells == {(0, "z/b", f"y/{pod}", probe) for pod in "abc" for probe in EVERY_PROBE}


@pytest.mark.parametrize(
    "blocks",
    [
        ({"cidr": "10.0.0.0/8", "except": ["10.0.3.0/24"]}, {"cidr": "10.0.3.2/32"}),  # more specific wins
        ({"cidr": "10.0.0.0/8", "except": ["10.0.3.2/32"]},),  # one block: the API's own except
        ({"cidr": "10.0.3.0/24", "except": ["10.0.3.2/32"]}, {"cidr": "10.0.2.0/24"}),  # disjoint blocks
    ],
)
def test_where_the_excepts_do_not_meet_another_block_one_ipset_agrees_with_the_api(
    blocks: tuple[dict[str, Any], ...],
) -> None:
    doc = _ingress_from(*blocks)
    assert predicted(plan_case(_case(doc), WORLD, TargetMode.POD_IP), rule_wide_ipblock_excepts) == set()


def test_a_shape_that_predicts_blocked_covers_a_refused_cell() -> None:
    declared = parse_deviations(
        {"deviations": [{**SHAPED, "id": "named", "shape": "kube-router-named-ports", "observed": None}]}
    )
    doc = policy(
        "x",
        "out",
        {"matchLabels": {"pod": "a"}},
        egress=[
            {
                "to": [{"ipBlock": {"cidr": "10.0.0.0/8"}}],
                "ports": [{"protocol": "UDP", "port": "serve-81-udp"}],
            }
        ],
    )
    plan = plan_case(_case(doc), WORLD, TargetMode.POD_IP)
    step = plan.steps[0]
    refused = step.expected.with_cells(
        Cell.REFUSED, sources=["x/a"], destinations=["y/b"], probes=[Probe(81, Protocol.UDP)]
    )
    verdict = judge(plan, 0, refused, reproduce={}, attempts={}, deviations=declared)
    assert verdict.passed
    assert verdict.deviated
    # refused where the model (like the API) allows, y/b -> x/a: a failure
    worse = refused.with_cells(Cell.REFUSED, sources=["y/b"], destinations=["x/a"], probes=[Probe(80)])
    assert not judge(plan, 0, worse, reproduce={}, attempts={}, deviations=declared).passed


@pytest.mark.parametrize(
    "rule",
    [
        {"from": [{"namespaceSelector": {}}], "ports": [{"port": "no-such-port"}, {"port": 81}]},  # one kept
        {"from": [{"namespaceSelector": {}}], "ports": [{"port": "serve-81-tcp"}]},  # resolves
        {"from": [{"namespaceSelector": {}}], "ports": [{"protocol": "UDP"}]},  # protocol only: kept
        {"from": [{"ipBlock": {"cidr": "0.0.0.0/0"}}], "ports": [{"port": "no-such-port"}]},  # no pod peers
        {"ports": [{"port": "no-such-port"}]},  # every source: loops over no ports
    ],
)
def test_where_a_port_survives_or_no_pod_peer_is_named_kube_router_agrees_with_the_api(
    rule: dict[str, Any],
) -> None:
    doc = policy("x", "named", {"matchLabels": {"pod": "a"}}, ingress=[rule])
    assert predicted(plan_case(_case(doc), WORLD, TargetMode.POD_IP), NAMED) == set()


def test_the_named_port_model_keeps_kube_routers_chains() -> None:
    # A case of the one-chain shape alone: the named-port model predicts the same cells (it runs the chains).
    plan = plan_case(case_at(1, 0, WORLD), WORLD, TargetMode.POD_IP)
    assert predicted(plan, NAMED) == predicted(plan) != set()


def _case(*docs: PolicyDoc) -> Case:
    return Case("shape", "test", "one step", (_step(*docs),))


def _step(*docs: PolicyDoc) -> Step:
    return Step("apply", tuple(docs))


def observed_as_predicted(plan: CasePlan) -> TruthTable:
    step = plan.steps[0]
    return TruthTable.from_function(
        step.expected.sources,
        step.expected.destinations,
        step.expected.probes,
        lambda s, d, p: (
            step.expected.cell(s, d, p)
            if s == d
            else one_chain_per_policy(step.cluster, step.policies, s, d, p)
        ),
    )


def test_a_shape_deviation_covers_a_generated_case_by_its_policies_not_its_id() -> None:
    declared = parse_deviations({"deviations": [SHAPED]})
    plan = plan_case(case_at(1, 0, WORLD), WORLD, TargetMode.POD_IP)
    observed = observed_as_predicted(plan)
    verdict = judge(plan, 0, observed, reproduce={}, attempts={}, deviations=declared)
    assert verdict.passed
    assert verdict.deviated
    assert len(verdict.known[0].cells) == 4
    # y/a may not leave y: a cell the mechanism does not predict still fails
    worse = observed.with_cells(Cell.ALLOWED, sources=["y/a"], destinations=["x/a"], probes=[Probe(80)])
    failing = judge(plan, 0, worse, reproduce={}, attempts={}, deviations=declared)
    assert [(c.source, c.destination) for c in failing.unexplained] == [("y/a", "x/a")]


def test_a_shape_deviation_predicted_but_not_seen_is_noted_and_silent_where_nothing_is_predicted() -> None:
    declared = parse_deviations({"deviations": [SHAPED]})
    plan = plan_case(case_at(1, 0, WORLD), WORLD, TargetMode.POD_IP)
    conforming = judge(plan, 0, plan.steps[0].expected, reproduce={}, attempts={}, deviations=declared)
    assert conforming.passed
    assert "not seen in this step (fixed, or another step): one-chain" in verdict_text(conforming)
    other = plan_case(by_id("deny-all-ingress"), WORLD, TargetMode.POD_IP)
    quiet = judge(other, 0, other.steps[0].expected, reproduce={}, attempts={}, deviations=declared)
    assert quiet.stale == ()


def test_without_the_step_a_shape_covers_nothing() -> None:
    declared = parse_deviations({"deviations": [SHAPED]})
    plan = plan_case(case_at(1, 0, WORLD), WORLD, TargetMode.POD_IP)
    cell = judge(plan, 0, observed_as_predicted(plan), reproduce={}, attempts={}).differences[0]
    assert declared.explain("gen-1-0", "pod-ip", cell) is None
    step = plan.steps[0]
    assert declared.explain("gen-1-0", "pod-ip", cell, cluster=step.cluster, policies=step.policies)


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        (
            {**SHAPED, "shape": "no-such"},
            "unknown shape 'no-such' (known: kube-router-named-ports, one-chain-per-policy, "
            "rule-wide-ipblock-excepts)",
        ),
        ({**SHAPED, "protocols": ["SCTP"]}, "'protocols' declares whole protocols"),
    ],
)
def test_a_bad_shape_is_one_line(entry: dict[str, Any], message: str) -> None:
    with pytest.raises(DeviationsError, match="deviation 1") as caught:
        parse_deviations({"deviations": [entry]}, "dev.yaml")
    assert message in str(caught.value)


def test_the_bundled_test_bed_file_declares_the_shape_not_case_ids() -> None:
    declared = read_deviations(bundled(TESTBED_DEVIATIONS))
    shapes = declared.shaped("gen-1-4", "pod-ip")
    assert [d.shape for d in shapes] == [
        "one-chain-per-policy",
        "kube-router-named-ports",
        "rule-wide-ipblock-excepts",
    ]
    assert shapes[0].observed == frozenset({Cell.ALLOWED})
    assert shapes[1].observed == frozenset()  # it allows and blocks: the model says which, per cell
    assert shapes[2].observed == frozenset({Cell.BLOCKED, Cell.REFUSED})
    for shaped in shapes:
        assert shaped.cases == ("*",)
        assert shaped.link.startswith("https://")
        assert Protocol.SCTP not in shaped.protocols
