"""A prober that asks a function instead of a cluster: suite wiring is tested without one."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from netconform.adapters.probe.methods import NetexecDial, ProbeMethod, reproduce
from netconform.adapters.probe.model import ProbeJob, ProbeResult
from netconform.core.truthtable import Cell

Oracle = Callable[[ProbeJob], Cell]


class SimulatedProber:
    def __init__(self, oracle: Oracle, method: ProbeMethod | None = None) -> None:
        self.oracle = oracle
        self.method: ProbeMethod = method or NetexecDial()  # only for the reproduce lines
        self.calls: list[list[ProbeJob]] = []

    def probe(self, jobs: Sequence[ProbeJob]) -> list[ProbeResult]:
        self.calls.append(list(jobs))
        return [ProbeResult(j, self.oracle(j), "simulated", reproduce(j, self.method)) for j in jobs]
