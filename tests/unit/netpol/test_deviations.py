"""Known deviations: parsing (one-line errors), which wrong cells they cover, how a verdict reports them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from netconform.adapters.deviations_file import bundled, read_deviations
from netconform.core.netpol.cases import World, by_id, expected_tables
from netconform.core.netpol.cases.model import TargetMode
from netconform.core.netpol.cases.plan import plan_case
from netconform.core.netpol.cases.verdict import judge
from netconform.core.netpol.deviations import Deviations, DeviationsError, parse_deviations
from netconform.core.truthtable import Cell, CellDiff, Probe, Protocol
from netconform.report.netpol import verdict_text
from netconform.testbed.lifecycle import TESTBED_DEVIATIONS

WORLD = World.model()
TCP80 = Probe(80, Protocol.TCP)
UDP81 = Probe(81, Protocol.UDP)

SAME_NODE = {
    "id": "same-node-egress",
    "cases": ["deny-all-*"],
    "modes": ["pod-ip"],
    "cells": ["z/c -> z/*", "x/a -> y/b 81/UDP"],
    "observed": ["allowed"],
    "reason": "egress is not checked\n  for same-node traffic",
    "link": "https://example.org/issue/1",
}
NO_SCTP = {"id": "no-sctp", "protocols": ["sctp"], "reason": "kernel without SCTP", "link": "https://k.org"}


def deviations(*entries: dict[str, Any]) -> Deviations:
    return parse_deviations({"cni": "kube-router", "deviations": list(entries)})


def wrong(source: str, destination: str, probe: Probe = TCP80, observed: Cell = Cell.ALLOWED) -> CellDiff:
    return CellDiff(probe, source, destination, Cell.BLOCKED, observed)


@pytest.mark.parametrize(
    ("case", "mode", "cell", "covered"),
    [
        ("deny-all-egress", "pod-ip", wrong("z/c", "z/a"), True),
        ("deny-all-egress", "pod-ip", wrong("z/c", "z/b", UDP81), True),  # no port/protocol: any
        ("deny-all-egress", "pod-ip", wrong("x/a", "y/b", UDP81), True),
        ("deny-all-egress", "pod-ip", wrong("x/a", "y/b"), False),  # only 81/UDP declared for this pair
        ("deny-all-egress", "pod-ip", wrong("z/c", "y/a"), False),  # other destination namespace
        ("deny-all-egress", "service-ip", wrong("z/c", "z/a"), False),  # other mode
        ("pod-selector-egress", "pod-ip", wrong("z/c", "z/a"), False),  # other case
        ("deny-all-egress", "pod-ip", wrong("z/c", "z/a", observed=Cell.PROBE_ERROR), False),  # other outcome
    ],
)
def test_a_deviation_covers_exactly_the_cells_it_names(
    case: str, mode: str, cell: CellDiff, covered: bool
) -> None:
    assert (deviations(SAME_NODE).explain(case, mode, cell) is not None) is covered


def test_a_protocol_deviation_covers_that_protocol_everywhere_and_nothing_else() -> None:
    declared = deviations(NO_SCTP)
    assert declared.unavailable(Protocol.SCTP, "sctp-80", "service-ip") is not None
    assert declared.unavailable(Protocol.UDP) is None
    assert declared.explain("any", "pod-ip", wrong("x/a", "x/b", Probe(80, Protocol.SCTP))) is not None
    assert declared.explain("any", "pod-ip", wrong("x/a", "x/b")) is None


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ([], "expected a mapping with 'cni' and 'deviations'"),
        ({"deviations": {}}, "'deviations' a list"),
        ({"deviations": [{**SAME_NODE, "links": "x"}]}, "deviation 1: unknown key(s) links"),
        ({"deviations": [{**SAME_NODE, "reason": " "}]}, "deviation 1: 'reason' is required"),
        ({"deviations": [{k: v for k, v in SAME_NODE.items() if k != "link"}]}, "'link' is required"),
        ({"deviations": [{**SAME_NODE, "cells": ["z/c to z/a"]}]}, "cell 'z/c to z/a' is not 'source ->"),
        ({"deviations": [{**SAME_NODE, "cells": ["a -> b 80/ICMP"]}]}, "unknown protocol 'ICMP'"),
        ({"deviations": [{**SAME_NODE, "observed": ["dropped"]}]}, "unknown observed state 'dropped'"),
        ({"deviations": [{**SAME_NODE, "modes": "pod-ip"}]}, "'modes' must be a list of strings"),
        ({"deviations": [{**SAME_NODE, "cases": []}]}, "'cases' is empty (leave it out to mean all)"),
        ({"deviations": [{**NO_SCTP, "cells": ["a -> b"]}]}, "'protocols' declares whole protocols"),
        ({"deviations": [SAME_NODE, SAME_NODE]}, "duplicate deviation id(s): same-node-egress"),
    ],
)
def test_malformed_files_fail_with_one_line_naming_the_entry(document: Any, message: str) -> None:
    with pytest.raises(DeviationsError) as caught:
        parse_deviations(document, "dev.yaml")
    text = str(caught.value)
    assert message in text
    assert text.startswith("dev.yaml")
    assert "\n" not in text


def test_reading_a_missing_or_broken_file_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(DeviationsError, match="cannot read the deviations file"):
        read_deviations(tmp_path / "absent.yaml")
    broken = tmp_path / "broken.yaml"
    broken.write_text("deviations: [\n")
    with pytest.raises(DeviationsError, match="not valid YAML at line"):
        read_deviations(broken)


def test_the_bundled_test_bed_file_declares_sctp_with_a_reason_and_a_link() -> None:
    declared = read_deviations(bundled(TESTBED_DEVIATIONS))
    sctp = declared.unavailable(Protocol.SCTP)
    assert sctp is not None
    assert "CONFIG_IP_SCTP" in sctp.reason
    assert sctp.link.startswith("https://")


def step_with_wrong_cells(*cells: tuple[str, str]) -> tuple[Any, ...]:
    case = by_id("deny-all-ingress")
    (expected,) = expected_tables(case, WORLD)
    observed = expected
    for source, destination in cells:
        observed = observed.with_cells(
            Cell.ALLOWED, sources=[source], destinations=[destination], probes=[TCP80]
        )
    return case, expected, observed


def test_covered_cells_make_a_known_deviation_not_a_pass_and_not_a_failure() -> None:
    case, _, observed = step_with_wrong_cells(("y/a", "x/b"))
    declared = deviations({**SAME_NODE, "cases": ["deny-all-ingress"], "cells": ["y/a -> x/b 80/TCP"]})
    verdict = judge(
        plan_case(case, WORLD, TargetMode.POD_IP), 0, observed,
        reproduce={}, attempts={}, deviations=declared,
    )  # fmt: skip
    assert verdict.passed
    assert verdict.deviated
    assert verdict.unexplained == ()
    assert "KNOWN DEVIATION: 1 cell(s) differ as declared" in verdict_text(verdict)
    assert "known deviation same-node-egress: egress is not checked for same-node traffic" in verdict_text(
        verdict
    )
    assert "(https://example.org/issue/1)" in verdict_text(verdict)


def test_an_uncovered_cell_still_fails_next_to_a_covered_one() -> None:
    case, _, observed = step_with_wrong_cells(("y/a", "x/b"), ("z/a", "x/c"))
    declared = deviations({**SAME_NODE, "cases": ["deny-all-ingress"], "cells": ["y/a -> x/b"]})
    verdict = judge(
        plan_case(case, WORLD, TargetMode.POD_IP), 0, observed,
        reproduce={}, attempts={}, deviations=declared,
    )  # fmt: skip
    assert not verdict.passed
    assert [c.source for c in verdict.unexplained] == ["z/a"]
    assert "FAIL: 1 wrong cell(s) of 288 probed (and 1 known deviation(s))" in verdict_text(verdict)


def test_a_declared_deviation_that_did_not_happen_is_noted() -> None:
    case, expected, _ = step_with_wrong_cells()
    declared = deviations({**SAME_NODE, "cases": ["deny-all-ingress"]})
    verdict = judge(
        plan_case(case, WORLD, TargetMode.POD_IP), 0, expected,
        reproduce={}, attempts={}, deviations=declared,
    )  # fmt: skip
    assert verdict.passed
    assert not verdict.deviated
    assert "not seen in this step (fixed, or another step): same-node-egress" in verdict_text(verdict)
