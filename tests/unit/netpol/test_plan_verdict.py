"""A case planned once, judged as data, rendered apart: plan_case, judge, merge_known and the renderers."""

from __future__ import annotations

from netconform.core.netpol.cases import World, by_id, expected_tables
from netconform.core.netpol.cases.model import TargetMode
from netconform.core.netpol.cases.plan import CasePlan, case_story, plan_case
from netconform.core.netpol.cases.verdict import StepOutcome, judge, merge_known
from netconform.core.netpol.deviations import parse_deviations
from netconform.core.truthtable import Cell, CellDiff, Probe, Protocol, TruthTable
from netconform.report.netpol import (
    compact_cells,
    compact_probes,
    failure_message,
    known_line,
    known_paragraph,
    passed_html,
    verdict_html,
    verdict_text,
)

WORLD = World.model()
TCP80, TCP81, UDP80, UDP81 = (Probe(p, proto) for proto in (Protocol.TCP, Protocol.UDP) for p in (80, 81))
DEVIATIONS = parse_deviations(
    {
        "cni": "sim",
        "deviations": [
            {"id": "z-c", "cells": ["z/c -> x/*"], "reason": "z/c gets through", "link": "https://e.org/1"},
            {"id": "y-a", "cells": ["y/a -> x/b 80/TCP"], "reason": "y/a too", "link": "https://e.org/2"},
        ],
    }
)


def test_a_plan_holds_every_step_and_the_engines_expected_tables() -> None:
    case = by_id("pod-label-change-peer")
    plan = plan_case(case, WORLD, TargetMode.POD_IP)
    assert [s.expected for s in plan.steps] == expected_tables(case, WORLD)
    assert [s.name for s in plan.steps] == [s.name for s in case.steps]
    dns = plan_case(case, WORLD, TargetMode.SERVICE_DNS)
    assert dns.dns_egress
    assert [s.expected for s in dns.steps] == expected_tables(case, WORLD, dns_egress=True)
    assert plan.state_key(1) == (case.id, 1, False)


def test_titles_and_parameters_come_from_the_plan_in_words() -> None:
    plan = plan_case(by_id("deny-all-ingress"), WORLD, TargetMode.SERVICE_IP)
    assert plan.title == "Deny all ingress in x, via Service IP"
    assert plan.parameters() == {
        "case": "deny-all-ingress",
        "mode": "service-ip",
        "protocols": "TCP, UDP",
        "steps": "1",
    }
    assert case_story(by_id("pod-label-change-peer")).startswith("x/a admits")  # a model pod keeps its name


def _observed(cells: list[tuple[str, str, Probe]]) -> tuple[CasePlan, TruthTable]:
    plan = plan_case(by_id("deny-all-ingress"), WORLD, TargetMode.POD_IP)
    observed = plan.steps[0].expected
    for source, destination, probe in cells:
        observed = observed.with_cells(
            Cell.ALLOWED, sources=[source], destinations=[destination], probes=[probe]
        )
    return plan, observed


def test_known_deviations_are_grouped_per_deviation_not_per_cell() -> None:
    wrong = [("z/c", f"x/{p}", probe) for p in "ab" for probe in (TCP80, TCP81, UDP80, UDP81)]
    plan, observed = _observed([*wrong, ("y/a", "x/b", TCP80)])
    verdict = judge(plan, 0, observed, reproduce={}, attempts={}, deviations=DEVIATIONS)
    assert verdict.outcome is StepOutcome.KNOWN
    # in the table's order (80/TCP's y/a row comes first), one entry per deviation
    assert [(k.deviation.id, len(k.cells)) for k in verdict.known] == [("y-a", 1), ("z-c", 8)]
    assert known_paragraph(verdict.known[1]) == (
        "z-c: z/c gets through (https://e.org/1); covers 8 cell(s): z/c -> x/a,x/b on 80,81/TCP,UDP: "
        "expected BLOCKED, observed ALLOWED"
    )
    assert known_line(verdict.known[1]) == (
        "z-c: covers 8 cell(s): z/c -> x/a,x/b on 80,81/TCP,UDP: expected BLOCKED, observed ALLOWED "
        "(https://e.org/1)"
    )
    page = verdict_html(verdict)
    assert page.count('<p class="nc-known">') == 2
    assert verdict_text(verdict).count("- known deviation ") == 2


def test_a_wrong_cell_is_data_with_its_reproduce_line_hint_and_explanation() -> None:
    plan, observed = _observed([("y/a", "x/b", TCP80)])
    key = ("y/a", "x/b", TCP80)
    verdict = judge(plan, 0, observed, reproduce={key: "kubectl exec -n y a -- wget"}, attempts={key: 8})
    (cell,) = verdict.wrong
    assert (cell.reproduce, cell.attempts) == ("kubectl exec -n y a -- wget", 8)
    assert cell.hint.startswith("the CNI let through")
    assert cell.explanation is not None
    assert "isolated by x/deny-ingress" in cell.explanation
    assert (verdict.retried, verdict.most_attempts, verdict.probed) == (1, 8, 288)
    assert failure_message(verdict).splitlines()[:3] == [
        "Deny all ingress in x, via pod IP: FAIL: 1 wrong cell(s) of 288 probed (step 1/1: apply)",
        "- y/a -> x/b on 80/TCP: expected BLOCKED, observed ALLOWED",
        "  reproduce: kubectl exec -n y a -- wget",
    ]
    page = verdict_html(verdict)
    assert page.count('class="w"') == 2  # observed and diff grids mark the one wrong cell
    assert "kubectl exec -n y a -- wget" in page
    assert (
        "81/TCP, 80/UDP, 81/UDP</b>: every cell as expected" in page
    )  # clean probes are one line, not grids


def test_merging_a_cases_steps_keeps_each_deviation_once_and_each_cell_once() -> None:
    plan, observed = _observed([("y/a", "x/b", TCP80), ("z/c", "x/a", TCP80)])
    verdict = judge(plan, 0, observed, reproduce={}, attempts={}, deviations=DEVIATIONS)
    merged = merge_known([verdict, verdict])
    assert [(k.deviation.id, len(k.cells)) for k in merged] == [("y-a", 1), ("z-c", 1)]


def test_a_clean_step_renders_in_one_line() -> None:
    plan, observed = _observed([])
    verdict = judge(plan, 0, observed, reproduce={}, attempts={})
    assert verdict.outcome is StepOutcome.PASS
    assert "nc-grid" not in passed_html(verdict)
    assert "288 cells probed as the engine expects (80,81/TCP,UDP)" in passed_html(verdict)


def test_compact_cells_groups_sources_destinations_and_probes() -> None:
    def d(source: str, destination: str, probe: Probe) -> CellDiff:
        return CellDiff(probe, source, destination, Cell.BLOCKED, Cell.ALLOWED)

    assert compact_probes([TCP80, TCP81, UDP80, UDP81]) == "80,81/TCP,UDP"
    assert compact_probes([TCP80, UDP81]) == "80/TCP, 81/UDP"  # not a full product: listed
    cells = [d("z/c", "z/a", TCP80), d("z/c", "z/b", TCP80), d("y/a", "z/a", TCP80), d("y/a", "z/b", TCP80)]
    assert compact_cells(cells) == "z/c,y/a -> z/a,z/b on 80/TCP"
    assert compact_cells([d("x/a", "y/b", TCP80), d("x/b", "y/c", UDP81)]) == (
        "x/a -> y/b on 80/TCP; x/b -> y/c on 81/UDP"
    )
