"""A case planned once: every step's state, the engine's inputs and the expected table, for one target mode.

The plan is the single source the rest of a test reads from: orchestration applies its states and probes its
expected cells, the judge explains wrong cells from its engine inputs (no second parse of the policies), and
the report takes the test's title and parameters from it (no Python ids or reprs in front of a reader).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from netconform.core.netpol.cases.model import (
    Case,
    StepState,
    TargetMode,
    World,
    engine_inputs,
    states,
)
from netconform.core.netpol.engine import PolicyEngine
from netconform.core.netpol.model import Cluster
from netconform.core.netpol.policy import NetworkPolicy
from netconform.core.truthtable import TruthTable

MODE_LABELS = {
    TargetMode.POD_IP: "pod IP",
    TargetMode.SERVICE_IP: "Service IP",
    TargetMode.SERVICE_DNS: "Service DNS name",
}


@dataclass(frozen=True)
class StepPlan:
    """One step: what is in force after it, the engine's view of that, and the table it implies."""

    index: int
    name: str
    state: StepState
    cluster: Cluster
    policies: tuple[NetworkPolicy, ...]
    expected: TruthTable


@dataclass(frozen=True)
class CasePlan:
    case: Case
    mode: TargetMode
    steps: tuple[StepPlan, ...]

    @property
    def dns_egress(self) -> bool:
        """Service DNS targets need DNS: every egress-isolating policy gets a DNS rule added (both sides)."""
        return self.mode is TargetMode.SERVICE_DNS

    @property
    def title(self) -> str:
        """What the test checks, in words: "Deny all ingress in x, via pod IP"."""
        return f"{case_story(self.case)}, via {MODE_LABELS[self.mode]}"

    def state_key(self, step: int) -> tuple[str, int, bool]:
        """Identifies a step's state on a shared topology (the same case in another mode may reuse it)."""
        return (self.case.id, step, self.dns_egress)

    def parameters(self) -> dict[str, str]:
        """Short, meaningful report parameters (case id, target mode, protocols, steps)."""
        return {
            "case": self.case.id,
            "mode": self.mode.value,
            "protocols": ", ".join(p.value for p in self.case.protocols),
            "steps": str(len(self.steps)),
        }


def case_story(case: Case) -> str:
    """The report's story for a case (its three target modes are tests under it): the title, in words."""
    if re.match(r"[a-z]/", case.title):  # starts with a model pod ("x/a admits ..."): its name stays as is
        return case.title
    return case.title[:1].upper() + case.title[1:]


def plan_case(case: Case, world: World, mode: TargetMode) -> CasePlan:
    dns = mode is TargetMode.SERVICE_DNS
    steps = []
    for index, (step, state) in enumerate(zip(case.steps, states(case), strict=True)):
        cluster, policies = engine_inputs(state, world, dns_egress=dns)
        expected = PolicyEngine(cluster, policies).truth_table(case.probes)
        steps.append(StepPlan(index, step.name, state, cluster, policies, expected))
    return CasePlan(case, mode, tuple(steps))
