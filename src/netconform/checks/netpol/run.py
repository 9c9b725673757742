"""Run one planned case on a deployed topology: reach each step's state, probe until expected, judge.

The topology is shared by many tests, so a case first brings it to a known state: if it already holds this
case's first step (the previous test ran the same case in another target mode) nothing is redone; otherwise
the leftovers are removed and, when there were any, a cheap baseline pass proves traffic flows again before
the case's policies go in (a stale rule must not be mistaken for this case's).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace

from netconform.adapters.probe.model import ProbeJob, Prober, ProbeResult
from netconform.adapters.probe.retry import probe_until_expected
from netconform.checks.netpol.topology import NetpolTopology
from netconform.core.netpol.cases.model import Case, PolicyDoc, TargetMode, with_dns_egress
from netconform.core.netpol.cases.plan import CasePlan, StepPlan, plan_case
from netconform.core.netpol.cases.verdict import StepVerdict, judge
from netconform.core.netpol.deviations import NO_DEVIATIONS, Deviations
from netconform.core.netpol.foreign import clashes
from netconform.core.truthtable import Cell, CellDiff, Probe, Protocol, observed_table
from netconform.errors import CannotCheck

BASELINE_PROBES = (Probe(80, Protocol.TCP), Probe(80, Protocol.UDP))
# Policy engines program rules asynchronously (kube-router: well under a second after the event). A re-probe
# comes 1 s after a pass that differed; with a pass itself taking up to the probe deadline, 8 attempts give an
# engine 10-20 s to converge before a difference counts.
BASELINE_ATTEMPTS = 8
STEP_ATTEMPTS = 8
STEP_PAUSE_S = 1.0
# The pauses ramp from this up to STEP_PAUSE_S: kube-router's rules are in place 0.2-0.5 s after the event
# (README, enforcement timing), so most cells that differ in the first pass agree a quarter second later.
FIRST_PAUSE_S = 0.25
# A cell reading as a declared deviation's mechanism predicts stops being re-probed after this many attempts
# (enough for kube-router, as for shrinking), not after all STEP_ATTEMPTS.
SETTLE_ATTEMPTS = 3


@dataclass(frozen=True)
class StepRun:
    verdict: StepVerdict
    results: tuple[ProbeResult, ...]


def run_case(
    topology: NetpolTopology,
    prober: Prober,
    case: Case,
    mode: TargetMode,
    *,
    on_step: Callable[[StepRun], None] | None = None,
    deviations: Deviations = NO_DEVIATIONS,
    attempts: int = STEP_ATTEMPTS,
    cluster_transform: Callable[[PolicyDoc], PolicyDoc] | None = None,
) -> list[StepRun]:
    """Plan the case on this topology, then run it (see :func:`run_plan`)."""
    plan = plan_case(case, topology.world(), mode)
    return run_plan(
        topology,
        prober,
        plan,
        on_step=on_step,
        deviations=deviations,
        attempts=attempts,
        cluster_transform=cluster_transform,
    )


def run_plan(
    topology: NetpolTopology,
    prober: Prober,
    plan: CasePlan,
    *,
    on_step: Callable[[StepRun], None] | None = None,
    deviations: Deviations = NO_DEVIATIONS,
    attempts: int = STEP_ATTEMPTS,
    cluster_transform: Callable[[PolicyDoc], PolicyDoc] | None = None,
) -> list[StepRun]:
    """Every step of the plan, probed and judged; stops at the first failing step (later ones build on it).

    ``cluster_transform`` changes what the cluster gets behind the engine's back (the harness's own tests
    plant an engine bug with it); ``attempts`` bounds the re-probes of a differing cell (shrinking spends
    fewer).
    """
    transform = _compose(with_dns_egress if plan.dns_egress else None, cluster_transform)
    clash = clashes(list(topology.foreign), [key for step in plan.steps for key in step.state.policies])
    if clash:
        raise CannotCheck(
            f"case {plan.case.id} would replace (and then delete) the foreign NetworkPolicies "
            f"{', '.join(clash)} of the same name: not run"
        )
    # The DNS companions of foreign egress-isolating policies (World.dns_companions), which the engine's
    # expectation counts in, go onto the cluster with every step's own policies.
    companions = topology.world().dns_companions() if plan.dns_egress else {}
    runs: list[StepRun] = []
    for step in plan.steps:
        key = plan.state_key(step.index)
        if step.index == 0 and topology.state_key != key and topology.reset():
            # the removed policies' rules go as fast as new ones come (the same ramp of pauses)
            topology.check_baseline(
                prober,
                BASELINE_PROBES,
                [TargetMode.POD_IP],
                BASELINE_ATTEMPTS,
                pause_s=STEP_PAUSE_S,
                first_pause_s=FIRST_PAUSE_S,
            )
        if topology.state_key != key:
            state = replace(step.state, policies={**companions, **step.state.policies})
            topology.apply_state(state, transform)
            topology.state_key = key
        expected = step.expected
        jobs = topology.jobs(expected.probes, plan.mode)
        wanted = {
            job: expected.cell(job.source.key, job.target_key, Probe(job.port, job.protocol)) for job in jobs
        }
        settled = _settled(deviations, plan, step, wanted)
        results = probe_until_expected(
            prober,
            jobs,
            wanted,
            max_attempts=attempts,
            pause_s=STEP_PAUSE_S,
            first_pause_s=FIRST_PAUSE_S,
            settled=settled,
            settle_after=SETTLE_ATTEMPTS,
        )
        cells = {_cell_key(r): r for r in results}
        observed = observed_table(expected, {k: r.state for k, r in cells.items()})
        verdict = judge(
            plan,
            step.index,
            observed,
            reproduce={k: r.reproduce for k, r in cells.items()},
            attempts={k: r.attempts for k, r in cells.items()},
            deviations=deviations,
        )
        run = StepRun(verdict, tuple(results))
        runs.append(run)
        if on_step is not None:
            on_step(run)
        if not verdict.passed:
            topology.state_key = ("failed", plan.case.id)  # unknown state: the next case resets
            break
    return runs


def _settled(
    deviations: Deviations, plan: CasePlan, step: StepPlan, wanted: Mapping[ProbeJob, Cell]
) -> dict[ProbeJob, Cell]:
    """Per probed cell, the verdict a declared mechanism predicts instead of the expected one (if any)."""
    if not deviations.shaped(plan.case.id, plan.mode.value):
        return {}
    settled = {}
    for job, expected in wanted.items():
        cell = CellDiff(Probe(job.port, job.protocol), job.source.key, job.target_key, expected, expected)
        state = deviations.predicted(plan.case.id, plan.mode.value, step.cluster, step.policies, cell)
        if state is not None:
            settled[job] = state
    return settled


def _compose(
    first: Callable[[PolicyDoc], PolicyDoc] | None, then: Callable[[PolicyDoc], PolicyDoc] | None
) -> Callable[[PolicyDoc], PolicyDoc] | None:
    if first is None or then is None:
        return first or then
    return lambda doc: then(first(doc))


def _cell_key(result: ProbeResult) -> tuple[str, str, Probe]:
    job = result.job
    return (job.source.key, job.target_key, Probe(job.port, job.protocol))
