"""The translation of cyclonus v0.5.6's default case list (bundled dump of bench/cyclonus/dump)."""

from __future__ import annotations

import pytest

from netconform.core.netpol.cases.cyclonus import bundled, translate
from netconform.core.netpol.cases.model import Cidr, World, expected_tables, states
from netconform.core.truthtable import Cell, Probe


def test_all_112_cases_are_there_and_only_the_topology_changing_ones_are_left_out() -> None:
    translation = bundled()
    assert len(translation.cases) + len(translation.left_out) == 112  # AWS's verify script counts 112
    assert [(n, d) for n, d, _ in translation.left_out] == [
        (93, "Create/delete namespace"),
        (95, "Create/delete pod"),
    ]
    assert translation.cases[0].id == "cyclonus-001"


def test_every_case_has_engine_tables_for_every_step() -> None:
    world = World.model()
    for case in bundled().cases:
        assert len(expected_tables(case, world)) == len(case.steps), case.id


def test_ipblocks_derived_from_z_c_become_placeholders() -> None:
    case = next(c for c in bundled().cases if c.id == "cyclonus-031")
    assert case.title == "cyclonus v0.5.6 #31: simple ipblock"
    (doc,) = case.steps[0].apply
    assert doc["spec"]["egress"][0]["to"] == [{"ipBlock": {"cidr": Cidr("z/c", 24)}}]
    # x/a may send 80/TCP only into z/c's /24 (and DNS): with the model's IPs that is z/c alone.
    table = expected_tables(case, World.model())[0]
    assert table.cell("x/a", "z/c", Probe(80)) is Cell.ALLOWED
    assert table.cell("x/a", "y/b", Probe(80)) is Cell.BLOCKED


def test_label_actions_replace_labels() -> None:
    case = next(c for c in bundled().cases if c.id == "cyclonus-096")
    pods = [state.pod_labels for state in states(case)]
    assert pods[1] == {"y/b": {"new-label": "abc"}}
    assert pods[2] == {"y/b": {"new-label": None}}


def test_an_unknown_action_is_an_error_not_a_silent_skip() -> None:
    dump = [{"Description": "d", "Steps": [{"Probe": {"AllAvailable": True}, "Actions": [{"Teleport": {}}]}]}]
    with pytest.raises(ValueError, match=r"unknown action \['Teleport'\]"):
        translate(dump)
