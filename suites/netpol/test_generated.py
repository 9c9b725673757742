"""NetworkPolicy conformance on generated cases: seeded random policy sets, the engine as the oracle.

``pytest suites -m netpol_generated --netpol-seed S --netpol-generated N`` runs cases 0..N-1 of seed S
(core.netpol.generate); ``--netpol-generated-case S:I`` replays one. Each case is probed by pod IP against
the engine's tables; a case that disagrees in a cell no declared deviation covers is shrunk on the cluster to
a minimal case that still disagrees, and the test fails with that case's YAML, the ``kubectl apply`` and
``kubectl label`` lines, the wrong cells and their ``kubectl exec`` reproductions.
"""

from __future__ import annotations

import allure
import pytest

from fixtures.options import generated_refs
from fixtures.reporting import attach
from netconform.adapters.probe.model import Prober
from netconform.checks.netpol.generated import cluster_documents, run_generated
from netconform.checks.netpol.run import StepRun
from netconform.checks.netpol.topology import NetpolTopology, SctpSupport
from netconform.core.netpol.cases.model import states
from netconform.core.netpol.cases.verdict import merge_known
from netconform.core.netpol.deviations import Deviations
from netconform.core.netpol.enforcement import Action, Decision
from netconform.core.netpol.generate import case_at, case_id
from netconform.core.run.categories import KNOWN_DEVIATION_PREFIX
from netconform.report.netpol import known_line, passed_html, verdict_html, verdict_text

pytestmark = pytest.mark.netpol_generated


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "generated_ref" in metafunc.fixturenames:
        refs = generated_refs(metafunc.config)
        metafunc.parametrize("generated_ref", refs, ids=[case_id(seed, index) for seed, index in refs])


def _attach(run: StepRun) -> None:
    verdict = run.verdict
    name = f"step {verdict.step + 1} {verdict.step_plan.name}"
    attach(f"{name}: verdict", verdict_text(verdict))
    html = verdict_html(verdict) if not verdict.passed or verdict.deviated else passed_html(verdict)
    attach(f"{name}: observed", html, kind="html")


def test_generated(  # noqa: PLR0917 (pytest passes fixtures by name)
    generated_ref: tuple[int, int],
    netpol_topology: NetpolTopology,
    netpol_prober: Prober,
    sctp_support: SctpSupport,
    netpol_deviations: Deviations,
    netpol_enforcement: Decision,
) -> None:
    seed, index = generated_ref
    allure.dynamic.story(case_id(seed, index))
    allure.dynamic.parameter("seed", seed)
    allure.dynamic.parameter("index", index)
    if netpol_enforcement.action is Action.SKIP:
        pytest.skip(netpol_enforcement.reason)
    if netpol_enforcement.action is Action.FAIL:
        pytest.fail(netpol_enforcement.reason, pytrace=False)
    # The world's pod IPs keep ipBlock excepts inside their blocks; SCTP only where pods can open it.
    case = case_at(seed, index, netpol_topology.world(), sctp=sctp_support.supported)
    policies = [cluster_documents(state, netpol_topology) for state in states(case)]
    attach("policies per step (as applied)", repr(policies))
    result = run_generated(
        netpol_topology, netpol_prober, case, deviations=netpol_deviations, on_step=_attach
    )
    if result.shrunk is not None:
        attach("shrunk reproduction", result.shrunk.report)
        pytest.fail(f"{verdict_text(result.runs[-1].verdict)}\n\n{result.shrunk.report}", pytrace=False)
    known = [known_line(k) for k in merge_known(run.verdict for run in result.runs)]
    if known:
        pytest.xfail(f"{KNOWN_DEVIATION_PREFIX}: " + "\n".join(known))
