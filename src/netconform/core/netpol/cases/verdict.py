"""The verdict of one case step, as data: expected vs observed (one TruthTable type), the wrong cells with
what reproduces and explains them, and the known deviations that cover cells.

Judging only; how a verdict reads (terminal text, HTML in the report) is ``netconform.report.netpol``. Pure:
the prober's reproduce commands and attempt counts come in as plain maps.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from netconform.core.netpol.cases.plan import CasePlan, StepPlan
from netconform.core.netpol.deviations import NO_DEVIATIONS, Deviation, Deviations
from netconform.core.netpol.explain import explain
from netconform.core.truthtable import CellDiff, Probe, TruthTable, diff

CellKey = tuple[str, str, Probe]  # source, destination, probe
MAX_EXPLAINED = 6  # explanations are long; the first few wrong cells say enough

HINTS = {
    "BLOCKED": "the CNI let through a connection no policy allows: enforcement missing, late or too broad",
    "ALLOWED": "the CNI dropped or rejected a connection the policies allow: a rule not matched (selectors, "
    "named ports, ipBlock, protocol) or a server not answering",
}


class StepOutcome(enum.Enum):
    PASS = "pass"
    FAIL = "fail"
    KNOWN = "known deviation"


@dataclass(frozen=True)
class WrongCell:
    """A cell no declared deviation covers: a failure, with how to repeat it and what the policies say."""

    cell: CellDiff
    reproduce: str
    attempts: int
    hint: str
    explanation: str | None  # the engine's rule-by-rule reasoning (the first MAX_EXPLAINED cells only)


@dataclass(frozen=True)
class KnownDeviation:
    """One declared deviation and every cell of the step it covers: reported once, not once per cell."""

    deviation: Deviation
    cells: tuple[CellDiff, ...]
    reproduce: tuple[str, ...]  # one per cell, same order

    def merged(self, other: KnownDeviation) -> KnownDeviation:
        """The same deviation seen in several steps of a case: its cells together, each once."""
        seen = dict(zip(self.cells, self.reproduce, strict=True))
        for cell, line in zip(other.cells, other.reproduce, strict=True):
            seen.setdefault(cell, line)
        return KnownDeviation(self.deviation, tuple(seen), tuple(seen.values()))


@dataclass(frozen=True)
class StepVerdict:
    plan: CasePlan
    step: int
    observed: TruthTable
    differences: tuple[CellDiff, ...]  # every wrong cell, known deviations included
    wrong: tuple[WrongCell, ...]  # the cells no deviation covers
    known: tuple[KnownDeviation, ...]
    stale: tuple[Deviation, ...]  # declared for this case and mode but not seen in this step
    attempts: Mapping[CellKey, int]

    @property
    def step_plan(self) -> StepPlan:
        return self.plan.steps[self.step]

    @property
    def expected(self) -> TruthTable:
        return self.step_plan.expected

    @property
    def unexplained(self) -> tuple[CellDiff, ...]:
        """The wrong cells no deviation covers, as plain cells."""
        return tuple(w.cell for w in self.wrong)

    @property
    def outcome(self) -> StepOutcome:
        if self.wrong:
            return StepOutcome.FAIL
        return StepOutcome.KNOWN if self.known else StepOutcome.PASS

    @property
    def passed(self) -> bool:
        """No wrong cell outside the declared deviations (a step with known deviations is not a clean pass:
        see ``deviated``)."""
        return not self.wrong

    @property
    def deviated(self) -> bool:
        return bool(self.known)

    @property
    def probed(self) -> int:
        """Cells probed: every pair but the self pairs (loopback is not NetworkPolicy's to decide)."""
        table = self.expected
        return len(table.probes) * (len(table.sources) * len(table.destinations) - len(table.sources))

    @property
    def retried(self) -> int:
        return sum(1 for n in self.attempts.values() if n > 1)

    @property
    def most_attempts(self) -> int:
        return max(self.attempts.values(), default=0)


def judge(
    plan: CasePlan,
    step: int,
    observed: TruthTable,
    *,
    reproduce: Mapping[CellKey, str],
    attempts: Mapping[CellKey, int],
    deviations: Deviations = NO_DEVIATIONS,
) -> StepVerdict:
    step_plan = plan.steps[step]
    mode = plan.mode.value
    differences = tuple(diff(step_plan.expected, observed))
    covering = {
        cell: deviations.explain(
            plan.case.id, mode, cell, cluster=step_plan.cluster, policies=step_plan.policies
        )
        for cell in differences
    }
    known = _group_known([(cell, dev) for cell, dev in covering.items() if dev is not None], reproduce)
    uncovered = [cell for cell, dev in covering.items() if dev is None]
    wrong = tuple(
        WrongCell(
            cell,
            _reproduce(reproduce, cell),
            attempts.get(_key(cell), 0),
            HINTS[cell.expected.name],
            explain(step_plan.cluster, step_plan.policies, cell.source, cell.destination, cell.probe).render()
            if number < MAX_EXPLAINED
            else None,
        )
        for number, cell in enumerate(uncovered)
    )
    seen = {k.deviation for k in known}
    stale = tuple(d for d in deviations.declared_for(plan.case.id, mode) if d not in seen) + tuple(
        d for d in deviations.shaped(plan.case.id, mode) if d not in seen and _predicts(d, step_plan)
    )
    return StepVerdict(plan, step, observed, differences, wrong, known, stale, dict(attempts))


def merge_known(verdicts: Iterable[StepVerdict]) -> tuple[KnownDeviation, ...]:
    """The known deviations of a whole case (all its steps), one per deviation, in first-seen order."""
    merged: dict[str, KnownDeviation] = {}
    for verdict in verdicts:
        for known in verdict.known:
            before = merged.get(known.deviation.id)
            merged[known.deviation.id] = known if before is None else before.merged(known)
    return tuple(merged.values())


def _group_known(
    covered: list[tuple[CellDiff, Deviation]], reproduce: Mapping[CellKey, str]
) -> tuple[KnownDeviation, ...]:
    cells: dict[str, list[CellDiff]] = {}
    by_id: dict[str, Deviation] = {}
    for cell, deviation in covered:
        cells.setdefault(deviation.id, []).append(cell)
        by_id[deviation.id] = deviation
    return tuple(
        KnownDeviation(by_id[i], tuple(c), tuple(_reproduce(reproduce, cell) for cell in c))
        for i, c in cells.items()
    )


def _predicts(deviation: Deviation, step_plan: StepPlan) -> bool:
    """Whether a shape's mechanism predicts some cell of this step to differ from the engine (probed cells:
    not the self pairs). Such a deviation not seen is worth saying: the CNI may have been fixed."""
    mechanism = deviation.mechanism
    if mechanism is None:
        return False
    table = step_plan.expected
    return any(
        mechanism(step_plan.cluster, step_plan.policies, source, destination, probe)
        is not table.grids[p][s][d]
        for p, probe in enumerate(table.probes)
        for s, source in enumerate(table.sources)
        for d, destination in enumerate(table.destinations)
        if source != destination
    )


def _key(cell: CellDiff) -> CellKey:
    return (cell.source, cell.destination, cell.probe)


def _reproduce(reproduce: Mapping[CellKey, str], cell: CellDiff) -> str:
    return reproduce.get(_key(cell), "(not probed)")
