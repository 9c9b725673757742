"""The verdict of one case step: expected vs observed (one TruthTable type), told so a person can act on it.

Pure: the prober's reproduce commands and attempt counts come in as plain maps.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from netconform.core.netpol.cases.model import Case, StepState, World, engine_inputs
from netconform.core.netpol.deviations import NO_DEVIATIONS, Deviation, Deviations
from netconform.core.netpol.explain import explain
from netconform.core.truthtable import CellDiff, Probe, TruthTable, diff, side_by_side

CellKey = tuple[str, str, Probe]  # source, destination, probe
MAX_EXPLAINED = 6  # explanations are long; the first few wrong cells say enough

LOOPBACK_NOTE = (
    "self pairs (x/a -> x/a, ...) are not probed: loopback is implementation-defined for NetworkPolicy "
    "(kubernetes#95879); their cells show the expectation"
)

HINTS = {
    "BLOCKED": "the CNI let through a connection no policy allows: enforcement missing, late or too broad",
    "ALLOWED": "the CNI dropped or rejected a connection the policies allow: a rule not matched (selectors, "
    "named ports, ipBlock, protocol) or a server not answering",
}


@dataclass(frozen=True)
class StepVerdict:
    case: Case
    step: int
    mode: str
    expected: TruthTable
    observed: TruthTable
    differences: tuple[CellDiff, ...]  # every wrong cell, known deviations included
    text: str
    known: tuple[tuple[CellDiff, Deviation], ...] = ()  # wrong cells a declared deviation covers

    @property
    def unexplained(self) -> tuple[CellDiff, ...]:
        return _uncovered(self.differences, self.known)

    @property
    def passed(self) -> bool:
        """No wrong cell outside the declared deviations (a step with known deviations is not a clean pass:
        see ``deviated``)."""
        return not self.unexplained

    @property
    def deviated(self) -> bool:
        return bool(self.known)


def judge(  # noqa: PLR0917 (the step's identity and its two tables read best positionally)
    case: Case,
    step: int,
    mode: str,
    state: StepState,
    world: World,
    expected: TruthTable,
    observed: TruthTable,
    *,
    reproduce: Mapping[CellKey, str],
    attempts: Mapping[CellKey, int],
    dns_egress: bool = False,
    deviations: Deviations = NO_DEVIATIONS,
) -> StepVerdict:
    differences = tuple(diff(expected, observed))
    known = tuple(
        (cell, deviation)
        for cell in differences
        if (deviation := deviations.explain(case.id, mode, cell)) is not None
    )
    unexplained = _uncovered(differences, known)
    step_name = case.steps[step].name
    if unexplained:
        outcome = f"FAIL: {len(unexplained)} wrong cell(s)"
    elif known:
        outcome = f"KNOWN DEVIATION: {len(known)} cell(s) differ as declared"
    else:
        outcome = "PASS: 0 wrong cells"
    head = (
        f"case {case.id} [{mode}] step {step + 1}/{len(case.steps)} ({step_name}): {case.title}\n"
        f"{outcome} of {_probed(expected)} probed"
        + (f" (and {len(known)} known deviation(s))" if unexplained and known else "")
    )
    retried = sum(1 for n in attempts.values() if n > 1)
    lines = [head, side_by_side(expected, observed), LOOPBACK_NOTE]
    lines.append(
        f"probes: {len(attempts)}, retried: {retried}, most attempts for one cell: "
        f"{max(attempts.values(), default=0)}"
    )
    if unexplained:
        lines.append(_wrong_cells(unexplained, state, world, reproduce, dns_egress=dns_egress))
    if known:
        lines.append(_known_cells(known, reproduce, deviations.cni))
    stale = [d for d in deviations.declared_for(case.id, mode) if d not in {dev for _, dev in known}]
    if stale:
        lines.append(
            "declared for this case but not seen in this step (fixed, or another step): "
            + ", ".join(d.id for d in stale)
        )
    return StepVerdict(case, step, mode, expected, observed, differences, "\n\n".join(lines), known)


def _uncovered(
    differences: tuple[CellDiff, ...], known: tuple[tuple[CellDiff, Deviation], ...]
) -> tuple[CellDiff, ...]:
    covered = {cell for cell, _ in known}
    return tuple(cell for cell in differences if cell not in covered)


def _reproduce_line(reproduce: Mapping[CellKey, str], cell: CellDiff) -> str:
    return f"  reproduce: {reproduce.get((cell.source, cell.destination, cell.probe), '(not probed)')}"


def _probed(table: TruthTable) -> int:
    return len(table.probes) * (len(table.sources) * len(table.destinations) - len(table.sources))


def _known_cells(
    known: tuple[tuple[CellDiff, Deviation], ...], reproduce: Mapping[CellKey, str], cni: str
) -> str:
    lines = [f"known deviations of {cni or 'this CNI'} (declared; reported, not passed):"]
    for cell, deviation in known:
        lines.append(f"- {cell.describe()}")
        lines.append(_reproduce_line(reproduce, cell))
        lines.append(f"  known deviation {deviation.describe()}")
    return "\n".join(lines)


def _wrong_cells(
    differences: tuple[CellDiff, ...],
    state: StepState,
    world: World,
    reproduce: Mapping[CellKey, str],
    *,
    dns_egress: bool,
) -> str:
    cluster, policies = engine_inputs(state, world, dns_egress=dns_egress)
    lines = ["wrong cells, how to reproduce them, and what the policies say:"]
    for number, cell in enumerate(differences):
        lines.append(f"- {cell.describe()}")
        lines.append(_reproduce_line(reproduce, cell))
        lines.append(f"  usually means: {HINTS[cell.expected.name]}")
        if number < MAX_EXPLAINED:
            why = explain(cluster, policies, cell.source, cell.destination, cell.probe).render()
            lines.extend(f"    {line}" for line in why.splitlines())
    if len(differences) > MAX_EXPLAINED:
        lines.append(f"(explained the first {MAX_EXPLAINED}; `netconform policy explain` does the rest)")
    return "\n".join(lines)
