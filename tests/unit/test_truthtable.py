"""TruthTable: construction, diff semantics for the four cell states, and the text and HTML renderers."""

from __future__ import annotations

import pytest

from netconform.core.truthtable import (
    Cell,
    Probe,
    Protocol,
    TruthTable,
    describe_diff,
    diff,
    observed_table,
    render_html,
    render_text,
    side_by_side,
)

PODS = ("x/a", "x/b", "y/a")
TCP80 = Probe(80, Protocol.TCP)
UDP81 = Probe(81, Protocol.UDP)


def expected() -> TruthTable:
    return TruthTable.uniform(PODS, [TCP80, UDP81]).with_cells(
        Cell.BLOCKED, destinations=["x/a"], probes=[TCP80]
    )


def test_with_cells_sets_only_the_selected_cells() -> None:
    table = expected()
    assert table.cell("y/a", "x/a", TCP80) is Cell.BLOCKED
    assert table.cell("x/a", "x/a", TCP80) is Cell.BLOCKED
    assert table.cell("y/a", "x/a", UDP81) is Cell.ALLOWED
    assert table.cell("x/a", "x/b", TCP80) is Cell.ALLOWED


def test_the_observed_table_takes_probed_cells_and_copies_the_expectation_elsewhere() -> None:
    seen = {("y/a", "x/a", TCP80): Cell.ALLOWED, ("x/a", "x/b", UDP81): Cell.PROBE_ERROR}
    observed = observed_table(expected(), seen)
    assert observed.cell("y/a", "x/a", TCP80) is Cell.ALLOWED  # probed: what the probe saw
    assert observed.cell("x/a", "x/b", UDP81) is Cell.PROBE_ERROR
    assert observed.cell("x/a", "x/a", TCP80) is Cell.BLOCKED  # a self pair is never probed
    assert observed.cell("x/b", "y/a", TCP80) is Cell.ALLOWED


def test_tables_are_immutable_values() -> None:
    assert expected() == expected()
    with pytest.raises(AttributeError):
        expected().sources = ()  # type: ignore[misc]


@pytest.mark.parametrize(
    ("expected_state", "observed_state", "wrong"),
    [
        (Cell.ALLOWED, Cell.ALLOWED, False),
        (Cell.BLOCKED, Cell.BLOCKED, False),
        (Cell.ALLOWED, Cell.BLOCKED, True),
        (Cell.BLOCKED, Cell.ALLOWED, True),
        (Cell.ALLOWED, Cell.REFUSED, True),  # rejected, or nothing listened: either way not allowed
        (Cell.BLOCKED, Cell.REFUSED, False),  # a policy engine that REJECTs (kube-router) still denies
        (Cell.BLOCKED, Cell.PROBE_ERROR, True),  # a failed exec never passes a deny test
        (Cell.ALLOWED, Cell.PROBE_ERROR, True),
    ],
)
def test_diff_accepts_drop_or_reject_for_denied_and_nothing_else_for_errors(
    expected_state: Cell, observed_state: Cell, wrong: bool
) -> None:
    want = TruthTable.uniform(PODS, [TCP80], expected_state)
    got = want.with_cells(observed_state, sources=["x/b"], destinations=["y/a"])
    differences = diff(want, got)
    assert [(d.source, d.destination) for d in differences] == ([("x/b", "y/a")] if wrong else [])


def test_diff_describes_each_wrong_cell() -> None:
    observed = expected().with_cells(Cell.PROBE_ERROR, sources=["y/a"], destinations=["x/a"], probes=[TCP80])
    text = describe_diff(diff(expected(), observed))
    assert text.splitlines() == [
        "1 wrong cell(s):",
        "  y/a -> x/a on 80/TCP: expected BLOCKED, observed PROBE_ERROR "
        "(the probe failed; this says nothing about policy)",
    ]


def test_diff_refuses_tables_of_different_shapes() -> None:
    with pytest.raises(ValueError, match="different probes"):
        diff(expected(), TruthTable.uniform(PODS, [TCP80]))


def test_render_text_marks_mismatches_and_parses_back() -> None:
    observed = expected().with_cells(Cell.PROBE_ERROR, sources=["x/b"], destinations=["x/a"], probes=[TCP80])
    text = render_text(observed, diff(expected(), observed), legend=False)
    block = text.split("\n\n")[0].splitlines()
    assert block[0] == "80/TCP  (rows: from, columns: to)"
    assert block[3].split() == ["x/b", "E*", ".", "."]
    reparsed = TruthTable.from_grids(
        {
            Probe.parse(chunk.splitlines()[0].split()[0]): "\n".join(chunk.splitlines()[1:])
            for chunk in text.split("\n\n")
        }
    )
    assert reparsed == observed


def test_side_by_side_shows_expected_observed_and_diff() -> None:
    observed = expected().with_cells(Cell.ALLOWED, sources=["y/a"], destinations=["x/a"], probes=[TCP80])
    text = side_by_side(expected(), observed)
    lines = text.splitlines()
    assert lines[0] == "80/TCP: 8 correct, 1 wrong"
    assert lines[1].split() == ["expected", "observed", "diff"]
    assert lines[5].split() == ["y/a", "X", ".", ".", "y/a", ".*", ".", ".", "y/a", "*", ".", "."]
    assert "y/a -> x/a on 80/TCP: expected BLOCKED, observed ALLOWED" in text


def test_render_html_is_self_contained_and_highlights_mismatches() -> None:
    observed = expected().with_cells(Cell.PROBE_ERROR, sources=["y/a"], destinations=["x/a"], probes=[TCP80])
    page = render_html(observed, diff(expected(), observed))
    assert page.startswith("<style>")
    assert page.count('<table class="nc-tt">') == 2
    assert (
        '<td class="probe_error mismatch" title="y/a -&gt; x/a: PROBE_ERROR (expected BLOCKED)">E</td>'
        in page
    )
    assert page.count("mismatch") == 2  # the CSS rule and the one cell


def test_json_uses_booleans_for_allowed_and_blocked() -> None:
    data = (
        expected()
        .with_cells(Cell.PROBE_ERROR, sources=["x/a"], destinations=["y/a"], probes=[UDP81])
        .to_json()
    )
    probes = data["probes"]
    assert isinstance(probes, list)
    assert probes[0]["reachability"]["x/b"] == {"x/a": False, "x/b": True, "y/a": True}
    assert probes[1]["reachability"]["x/a"]["y/a"] == "probe_error"


def test_probe_parse() -> None:
    assert Probe.parse("81/udp") == UDP81
    assert Probe.parse("80") == TCP80
    with pytest.raises(ValueError, match="ICMP"):
        Probe.parse("80/ICMP")
