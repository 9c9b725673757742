"""NetworkPolicy conformance: truth tables probed for real, compared with the policy engine.

Every case of the catalog (netconform.core.netpol.cases) runs in each target mode: pod IP, Service IP and
Service DNS name. Expected tables come from the engine; on a difference the test fails with the expected,
observed and diff grids, each wrong cell's kubectl command and the policy rules that decide it.
"""

from __future__ import annotations

from dataclasses import replace

import allure
import pytest

from fixtures.reporting import attach
from netconform.adapters.probe.model import Prober
from netconform.checks.netpol.run import StepRun, run_case
from netconform.checks.netpol.topology import NetpolTopology, SctpSupport
from netconform.core.netpol.cases import CASES, Case, TargetMode
from netconform.core.netpol.deviations import Deviations
from netconform.core.netpol.enforcement import Action, Decision
from netconform.core.truthtable import Protocol, render_html

pytestmark = pytest.mark.netpol

PARAMS = [
    pytest.param(case, mode, id=f"{case.id}[{mode.value}]")
    for case in CASES
    for mode in TargetMode
    if mode is not TargetMode.SERVICE_DNS or case.dns_mode
]


def _attach(run: StepRun) -> None:
    verdict = run.verdict
    name = f"step {verdict.step + 1} {verdict.case.steps[verdict.step].name}"
    attach(f"{name}: verdict", verdict.text)
    attach(f"{name}: expected", render_html(verdict.expected), kind="html")
    attach(f"{name}: observed", render_html(verdict.observed, verdict.differences), kind="html")


@pytest.mark.parametrize(("case", "mode"), PARAMS)
def test_networkpolicy(  # noqa: PLR0917 (pytest passes fixtures by name)
    case: Case,
    mode: TargetMode,
    netpol_topology: NetpolTopology,
    netpol_prober: Prober,
    sctp_support: SctpSupport,
    netpol_deviations: Deviations,
    netpol_enforcement: Decision,
) -> None:
    allure.dynamic.story(case.id)
    allure.dynamic.parameter("target mode", mode.value)
    allure.dynamic.parameter("protocols", ", ".join(p.value for p in case.protocols))
    if netpol_enforcement.action is Action.SKIP:
        pytest.skip(netpol_enforcement.reason)
    if netpol_enforcement.action is Action.FAIL:
        pytest.fail(netpol_enforcement.reason, pytrace=False)
    not_probed = _unavailable_protocols(case, sctp_support)
    probed = replace(case, protocols=tuple(p for p in case.protocols if p not in not_probed))
    runs = []
    if probed.protocols:  # an SCTP-only case on a cluster without SCTP has nothing left to probe
        runs = run_case(
            netpol_topology, netpol_prober, probed, mode, on_step=_attach, deviations=netpol_deviations
        )
    failed = [run for run in runs if not run.verdict.passed]
    if failed:
        pytest.fail(failed[0].verdict.text, pytrace=False)
    known = [f"{cell.describe()}: {dev.describe()}" for run in runs for cell, dev in run.verdict.known]
    if not_probed:
        known.extend(_protocols_not_probed(not_probed, case, mode, sctp_support, netpol_deviations))
    if known:
        pytest.xfail("known deviation(s), declared in --netpol-deviations: " + "; ".join(known))


def _unavailable_protocols(case: Case, sctp_support: SctpSupport) -> tuple[Protocol, ...]:
    return (Protocol.SCTP,) if case.needs_sctp and not sctp_support.supported else ()


def _protocols_not_probed(
    protocols: tuple[Protocol, ...],
    case: Case,
    mode: TargetMode,
    sctp_support: SctpSupport,
    deviations: Deviations,
) -> list[str]:
    """SCTP on a cluster that cannot carry it: a known deviation when declared, otherwise a skip — either way
    with the evidence; the case's other protocols were probed and passed."""
    declared = [deviations.unavailable(p, case.id, mode.value) for p in protocols]
    evidence = f"evidence: {sctp_support.evidence}"
    if not all(declared):
        pytest.skip(
            "SCTP: pods on this cluster cannot open SCTP sockets (kernel without SCTP), so its cells were "
            f"not probed (declare it in --netpol-deviations to report a known deviation); {evidence}"
        )
    return [f"{d.describe()}; {evidence}" for d in declared if d is not None]
