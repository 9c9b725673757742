"""Table-driven engine tests: each scenario's computed table must equal its full expected table."""

from __future__ import annotations

import pytest
from netpol_cases import CASES
from netpol_model import ScenarioCase

from netconform.core.netpol import PolicyEngine, explain, parse_scenario
from netconform.core.truthtable import Cell, diff, side_by_side


def test_there_are_enough_scenarios() -> None:
    assert len(CASES) >= 40
    assert len({case.name for case in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_engine_computes_the_expected_table(case: ScenarioCase) -> None:
    scenario = parse_scenario(case.document(), strict_cidr=case.strict_cidr)
    observed = PolicyEngine(scenario.cluster, scenario.policies).truth_table(scenario.probes)
    expected = case.expected_table()
    differences = diff(expected, observed)
    assert differences == [], side_by_side(expected, observed)


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_explain_agrees_with_the_engine_on_every_cell(case: ScenarioCase) -> None:
    scenario = parse_scenario(case.document(), strict_cidr=case.strict_cidr)
    table = PolicyEngine(scenario.cluster, scenario.policies).truth_table(scenario.probes)
    wrong = [
        (probe, src, dst)
        for probe, src, dst, state in table.cells()
        if explain(scenario.cluster, scenario.policies, src, dst, probe).allowed != (state is Cell.ALLOWED)
    ]
    assert wrong == []
