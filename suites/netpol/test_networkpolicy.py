"""NetworkPolicy conformance: truth tables probed for real, compared with the policy engine.

Every case of the catalog (netconform.core.netpol.cases) runs in each target mode: pod IP, Service IP and
Service DNS name. Expected tables come from the engine; on a difference the test fails with the expected,
observed and diff grids, each wrong cell's kubectl command and the policy rules that decide it.
"""

from __future__ import annotations

import allure
import pytest

from fixtures.reporting import attach
from netconform.adapters.kube.netpol_model import NetpolTopology, SctpSupport
from netconform.adapters.probe.model import Prober
from netconform.adapters.probe.netpol_run import StepRun, run_case
from netconform.core.netpol.cases import CASES, Case, TargetMode
from netconform.core.truthtable import render_html

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
def test_networkpolicy(
    case: Case,
    mode: TargetMode,
    netpol_topology: NetpolTopology,
    netpol_prober: Prober,
    sctp_support: SctpSupport,
) -> None:
    allure.dynamic.story(case.id)
    allure.dynamic.parameter("target mode", mode.value)
    allure.dynamic.parameter("protocols", ", ".join(p.value for p in case.protocols))
    if case.needs_sctp and not sctp_support.supported:
        pytest.skip(
            "SCTP: pods on this cluster cannot open SCTP sockets (kernel without SCTP); evidence: "
            f"{sctp_support.evidence}"
        )
    runs = run_case(netpol_topology, netpol_prober, case, mode, on_step=_attach)
    failed = [run for run in runs if not run.verdict.passed]
    if failed:
        pytest.fail(failed[0].verdict.text, pytrace=False)
