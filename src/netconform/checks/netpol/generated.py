"""The generated tier on a cluster: run one seeded case, and shrink a disagreement there to a minimal one.

The engine is the oracle (core.netpol.generate makes the case, run_case probes it against the engine's
tables). A case whose cluster verdict differs from the engine's in a cell no declared deviation covers is
shrunk by core.netpol.shrink with the cluster as the predicate: each candidate is applied from a clean
topology and probed (fewer re-probes than a verdict gets, so a failing candidate costs seconds, not tens of
seconds); the minimal case found is then probed once more with the full re-probe budget, and that verdict is
what the report shows, beside the YAML to apply, the label commands, the wrong cells and their ``kubectl
exec`` reproductions.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

import yaml

from netconform.adapters.probe.model import Prober
from netconform.checks.netpol.run import STEP_ATTEMPTS, StepRun, run_case
from netconform.checks.netpol.topology import NetpolTopology
from netconform.core.netpol.cases.model import Case, PolicyDoc, StepState, TargetMode, states
from netconform.core.netpol.deviations import NO_DEVIATIONS, Deviations
from netconform.core.netpol.shrink import shrink, size
from netconform.report.netpol import verdict_text

# A shrink candidate that differs is re-probed this often before it counts as failing: enough for
# kube-router (rules in place well under a second after the event), cheap enough for dozens of candidates.
SHRINK_ATTEMPTS = 3
# Bounds of one shrink: cluster runs, and wall time (a candidate takes 1-10 s on the test bed).
SHRINK_MAX_RUNS = 80
SHRINK_BUDGET_S = 180.0
MODE = TargetMode.POD_IP  # generated cases are probed by pod IP (core.netpol.generate: dns_mode=False)

PolicyTransform = Callable[[PolicyDoc], PolicyDoc]


@dataclass(frozen=True)
class Shrunk:
    """The minimal disagreeing case found, its verdict with the full re-probe budget, and what it cost."""

    original: Case
    case: Case
    failing: StepRun | None  # None: the minimal case did not disagree again under the full budget
    runs: int  # cluster runs the shrinking spent
    seconds: float
    exhausted: bool  # a bound (runs or wall time) stopped the search before it converged
    report: str


@dataclass(frozen=True)
class GeneratedRun:
    case: Case
    runs: tuple[StepRun, ...]
    shrunk: Shrunk | None  # set when the case disagreed with the engine

    @property
    def passed(self) -> bool:
        return all(run.verdict.passed for run in self.runs)


def run_generated(
    topology: NetpolTopology,
    prober: Prober,
    case: Case,
    *,
    deviations: Deviations = NO_DEVIATIONS,
    cluster_transform: PolicyTransform | None = None,
    on_step: Callable[[StepRun], None] | None = None,
    budget_s: float = SHRINK_BUDGET_S,
    max_runs: int = SHRINK_MAX_RUNS,
) -> GeneratedRun:
    runs = run_case(
        topology,
        prober,
        case,
        MODE,
        on_step=on_step,
        deviations=deviations,
        cluster_transform=cluster_transform,
    )
    if all(run.verdict.passed for run in runs):
        return GeneratedRun(case, tuple(runs), None)
    shrunk = shrink_on_cluster(
        topology,
        prober,
        case,
        deviations=deviations,
        cluster_transform=cluster_transform,
        budget_s=budget_s,
        max_runs=max_runs,
    )
    return GeneratedRun(case, tuple(runs), shrunk)


def shrink_on_cluster(
    topology: NetpolTopology,
    prober: Prober,
    case: Case,
    *,
    deviations: Deviations = NO_DEVIATIONS,
    cluster_transform: PolicyTransform | None = None,
    budget_s: float = SHRINK_BUDGET_S,
    max_runs: int = SHRINK_MAX_RUNS,
) -> Shrunk:
    started = time.monotonic()
    spent = 0
    exhausted = False

    def probe(candidate: Case, attempts: int) -> list[StepRun]:
        topology.state_key = None  # every candidate starts from a reset topology (same id, new policies)
        return run_case(
            topology,
            prober,
            candidate,
            MODE,
            deviations=deviations,
            attempts=attempts,
            cluster_transform=cluster_transform,
        )

    def still_fails(candidate: Case) -> bool:
        nonlocal spent, exhausted
        if spent >= max_runs or time.monotonic() - started > budget_s:
            exhausted = True
            return False  # the remaining candidates fall through at once: shrink returns what it has
        spent += 1
        return any(not run.verdict.passed for run in probe(candidate, SHRINK_ATTEMPTS))

    minimal = shrink(case, still_fails, max_tests=max_runs * 20)
    minimal = replace(minimal, title=_title(minimal, case))
    final = probe(minimal, STEP_ATTEMPTS)
    topology.state_key = ("failed", case.id)  # whatever the last run left: the next case resets
    failing = next((run for run in final if not run.verdict.passed), None)
    seconds = time.monotonic() - started
    shrunk = Shrunk(case, minimal, failing, spent, seconds, exhausted, "")
    return replace(shrunk, report=render_report(shrunk, topology))


def _title(minimal: Case, original: Case) -> str:
    policies, rules, peers, ports = size(minimal)
    return (
        f"{original.id} shrunk to {policies} polic{'y' if policies == 1 else 'ies'}, {rules} rule(s), "
        f"{peers} peer(s), {ports} port(s)"
    )


def render_report(shrunk: Shrunk, topology: NetpolTopology) -> str:
    """What a person needs to see the disagreement again by hand: YAML, kubectl lines, the cells."""
    case, original = shrunk.case, shrunk.original
    replay = (
        f"--netpol-generated-case {original.seed}:{original.index}" if original.seed is not None else case.id
    )
    lines = [
        f"generated case {original.id} ({original.title}) disagrees with the policy engine",
        f"replay: pytest suites -m netpol_generated {replay}",
        f"shrunk in {shrunk.runs} cluster run(s), {shrunk.seconds:.0f} s: (policies, rules, peers, ports) "
        f"{size(original)} -> {size(case)}"
        + (" (a bound stopped the search early)" if shrunk.exhausted else ""),
    ]
    if shrunk.failing is None:
        lines.append(
            "the minimal case agreed with the engine when probed again with the full re-probe budget: the "
            "disagreement may be timing; the original case's verdict above is the evidence"
        )
        return "\n".join(lines)
    step = shrunk.failing.verdict.step
    state = states(case)[step]
    documents = cluster_documents(state, topology)
    text = yaml.safe_dump_all(documents, sort_keys=False, default_flow_style=False)
    lines += [
        f"minimal case: the state after step {step + 1} ({case.steps[step].name}), from a clean topology:",
        "kubectl apply -f - <<'EOF'",
        text.rstrip(),
        "EOF",
        *label_commands(state, topology),
        "",
        verdict_text(shrunk.failing.verdict),
    ]
    return "\n".join(lines)


def cluster_documents(state: StepState, topology: NetpolTopology) -> list[dict[str, Any]]:
    """The state's policies as the cluster gets them (real namespace names, real CIDRs)."""
    return [_plain(topology.real_document(doc)) for doc in state.policies.values()]


def label_commands(state: StepState, topology: NetpolTopology) -> list[str]:
    """``kubectl label`` lines for the state's label overrides (``key-`` removes a label)."""
    commands = []
    for pod_key, changes in sorted(state.pod_labels.items()):
        ns, pod = pod_key.split("/")
        commands.append(
            f"kubectl label pod -n {topology.namespace_names[ns]} {pod} {_label_args(changes)} --overwrite"
        )
    for ns, changes in sorted(state.namespace_labels.items()):
        commands.append(
            f"kubectl label namespace {topology.namespace_names[ns]} {_label_args(changes)} --overwrite"
        )
    return commands


def _label_args(changes: Mapping[str, str | None]) -> str:
    return " ".join(
        f"{key}-" if value is None else f"{key}={value}" for key, value in sorted(changes.items())
    )


def _plain(value: Any) -> Any:
    """Mappings and sequences as dicts and lists, so yaml.safe_dump takes them."""
    if isinstance(value, Mapping):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value
