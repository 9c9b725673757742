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
from netconform.checks.netpol.run import StepRun, run_plan
from netconform.checks.netpol.topology import NetpolTopology, SctpSupport
from netconform.core.netpol.cases import CASES, Case, TargetMode
from netconform.core.netpol.cases.plan import case_story, plan_case
from netconform.core.netpol.cases.verdict import merge_known
from netconform.core.netpol.deviations import Deviations
from netconform.core.netpol.enforcement import Action, Decision
from netconform.core.netpol.foreign import clashes
from netconform.core.run.categories import KNOWN_DEVIATION_PREFIX
from netconform.core.truthtable import Protocol
from netconform.report.netpol import failure_message, known_line, passed_html, verdict_html, verdict_text

pytestmark = pytest.mark.netpol

PARAMS = [
    pytest.param(
        case,
        mode,
        id=f"{case.id}[{mode.value}]",
        marks=pytest.mark.allure_label(case_story(case), label_type="story"),
    )
    for case in CASES
    for mode in TargetMode
    if mode is not TargetMode.SERVICE_DNS or case.dns_mode
]


class _Evidence:
    """What the report shows inline: every step's verdict, in order (the HTML grows as steps run)."""

    def __init__(self) -> None:
        self.parts: list[str] = []

    def __call__(self, run: StepRun) -> None:
        verdict = run.verdict
        step = verdict.step_plan
        attach(f"step {step.index + 1} {step.name}: verdict", verdict_text(verdict))
        self.parts.append(
            verdict_html(verdict) if not verdict.passed or verdict.deviated else passed_html(verdict)
        )
        allure.dynamic.description_html("\n".join(self.parts))


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
    not_probed = _unavailable_protocols(case, sctp_support)
    probed = replace(case, protocols=tuple(p for p in case.protocols if p not in not_probed))
    plan = plan_case(probed, netpol_topology.world(), mode)
    allure.dynamic.title(plan.title)
    clash = clashes(list(netpol_topology.foreign), [k for step in plan.steps for k in step.state.policies])
    if clash:
        pytest.skip(f"a foreign NetworkPolicy has this case's policy name ({', '.join(clash)}): not replaced")
    for name, value in {**plan.parameters(), "protocols": ", ".join(p.value for p in case.protocols)}.items():
        allure.dynamic.parameter(name, value)
    if netpol_enforcement.action is Action.SKIP:
        pytest.skip(netpol_enforcement.reason)
    if netpol_enforcement.action is Action.FAIL:
        pytest.fail(netpol_enforcement.reason, pytrace=False)
    runs = []
    if probed.protocols:  # an SCTP-only case on a cluster without SCTP has nothing left to probe
        runs = run_plan(
            netpol_topology, netpol_prober, plan, on_step=_Evidence(), deviations=netpol_deviations
        )
    failed = [run for run in runs if not run.verdict.passed]
    if failed:
        # The whole verdict (grids, explanations) to the captured output, which pytest shows with the failure;
        # the message stays a few lines: the report's error box and the summary's worst findings read it.
        print(verdict_text(failed[0].verdict))
        pytest.fail(failure_message(failed[0].verdict), pytrace=False)
    known = [known_line(k) for k in merge_known(run.verdict for run in runs)]
    if not_probed:
        known.extend(_protocols_not_probed(not_probed, case, mode, sctp_support, netpol_deviations))
    if known:
        # one paragraph per deviation (not per cell): the report's message and the -rx line read the same
        pytest.xfail(f"{KNOWN_DEVIATION_PREFIX}: " + "\n".join(known))


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
