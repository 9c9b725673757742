"""Cyclonus v0.5.6's default case set (112 cases, as AWS's network-policy CI runs it) through our prober.

The cases are cyclonus' (core.netpol.cases.cyclonus translates its generator's list); the expected tables are
our engine's, the verdicts our cell-level ones, so a run sets beside AWS's and cyclonus' runs case by case
(numbered as cyclonus numbers them). Probed by pod IP. ``pytest suites -m netpol_cyclonus``.
"""

from __future__ import annotations

from dataclasses import replace

import allure
import pytest

from netconform.adapters.probe.model import Prober
from netconform.checks.netpol.run import run_case
from netconform.checks.netpol.topology import NetpolTopology, SctpSupport
from netconform.core.netpol.cases import Case, TargetMode
from netconform.core.netpol.cases.cyclonus import bundled
from netconform.core.netpol.cases.verdict import merge_known
from netconform.core.netpol.deviations import Deviations
from netconform.core.netpol.enforcement import Action, Decision
from netconform.core.run.categories import KNOWN_DEVIATION_PREFIX
from netconform.core.truthtable import Protocol
from netconform.report.netpol import failure_message, known_line, verdict_text

pytestmark = pytest.mark.netpol_cyclonus

PARAMS = [pytest.param(case, id=case.id) for case in bundled().cases]


@pytest.mark.parametrize("case", PARAMS)
def test_cyclonus_case(  # noqa: PLR0917 (pytest passes fixtures by name)
    case: Case,
    netpol_topology: NetpolTopology,
    netpol_prober: Prober,
    sctp_support: SctpSupport,
    netpol_deviations: Deviations,
    netpol_enforcement: Decision,
) -> None:
    allure.dynamic.story(case.id)
    allure.dynamic.parameter("cyclonus case", case.title)
    if netpol_enforcement.action is Action.SKIP:
        pytest.skip(netpol_enforcement.reason)
    if netpol_enforcement.action is Action.FAIL:
        pytest.fail(netpol_enforcement.reason, pytrace=False)
    probed = case
    if not sctp_support.supported:  # SCTP cells cannot be probed here; the rest of the case still is
        probed = replace(case, protocols=tuple(p for p in case.protocols if p is not Protocol.SCTP))
    if not probed.protocols:
        pytest.skip(f"SCTP only, and pods here cannot open SCTP sockets: {sctp_support.evidence}")
    runs = run_case(netpol_topology, netpol_prober, probed, TargetMode.POD_IP, deviations=netpol_deviations)
    failed = [run for run in runs if not run.verdict.passed]
    if failed:
        print(verdict_text(failed[0].verdict))  # the whole verdict to the captured output
        pytest.fail(failure_message(failed[0].verdict), pytrace=False)
    known = [known_line(k) for k in merge_known(run.verdict for run in runs)]
    if known:
        pytest.xfail(f"{KNOWN_DEVIATION_PREFIX}: " + "\n".join(known))
