"""probe_until_expected: re-probe only what differs (bounded), confirm once, and tell a one-off reading from a
flapping cell."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from netconform.adapters.probe import retry
from netconform.adapters.probe.model import Endpoint, ProbeJob, ProbeResult
from netconform.adapters.probe.retry import probe_until_expected
from netconform.core.truthtable import Cell, Protocol

SOURCE = Endpoint("x/a", "nc-x", "a")
JOBS = [ProbeJob(SOURCE, target, "10.0.0.1", 80, Protocol.UDP) for target in ("x/b", "x/c")]
EXPECTED = {JOBS[0]: Cell.BLOCKED, JOBS[1]: Cell.ALLOWED}


class Scripted:
    """Answers from a script: one list of states per pass, per job (None: not probed in that pass)."""

    def __init__(self, answers: dict[ProbeJob, list[Cell]]) -> None:
        self.answers = {job: list(states) for job, states in answers.items()}
        self.passes: list[list[str]] = []

    def probe(self, jobs: Sequence[ProbeJob]) -> list[ProbeResult]:
        self.passes.append([job.target_key for job in jobs])
        return [ProbeResult(job, self.answers[job].pop(0), "", "kubectl ...") for job in jobs]


def run(answers: dict[ProbeJob, list[Cell]]) -> tuple[list[ProbeResult], Scripted]:
    prober = Scripted(answers)
    results = probe_until_expected(prober, JOBS, EXPECTED, max_attempts=4, pause_s=0)
    return results, prober


def test_a_table_that_matches_at_once_costs_one_pass_and_the_confirmation() -> None:
    results, prober = run({JOBS[0]: [Cell.REFUSED, Cell.REFUSED], JOBS[1]: [Cell.ALLOWED, Cell.ALLOWED]})
    assert prober.passes == [["x/b", "x/c"], ["x/b", "x/c"]]
    assert [(r.state, r.attempts) for r in results] == [(Cell.REFUSED, 1), (Cell.ALLOWED, 1)]


def test_only_differing_cells_are_re_probed_until_they_match() -> None:
    results, prober = run(
        {JOBS[0]: [Cell.ALLOWED, Cell.ALLOWED, Cell.BLOCKED, Cell.BLOCKED], JOBS[1]: [Cell.ALLOWED] * 2}
    )
    assert prober.passes == [["x/b", "x/c"], ["x/b"], ["x/b"], ["x/b", "x/c"]]
    assert [(r.state, r.attempts) for r in results] == [(Cell.BLOCKED, 3), (Cell.ALLOWED, 1)]


def test_a_cell_that_never_matches_is_reported_after_the_bound() -> None:
    results, _ = run({JOBS[0]: [Cell.ALLOWED] * 5, JOBS[1]: [Cell.ALLOWED] * 2})
    assert (results[0].state, results[0].attempts) == (Cell.ALLOWED, 4)


def test_one_odd_confirming_reading_is_probed_again_and_does_not_count_when_it_does_not_repeat() -> None:
    results, prober = run(
        {JOBS[0]: [Cell.BLOCKED, Cell.ALLOWED, Cell.BLOCKED], JOBS[1]: [Cell.ALLOWED, Cell.ALLOWED]}
    )
    assert prober.passes == [["x/b", "x/c"], ["x/b", "x/c"], ["x/b"]]
    assert (results[0].state, results[0].attempts) == (Cell.BLOCKED, 3)
    assert "a confirming probe read ALLOWED once" in results[0].detail


def test_a_cell_that_reads_differently_twice_after_matching_is_flapping() -> None:
    results, _ = run({JOBS[0]: [Cell.BLOCKED, Cell.ALLOWED, Cell.ALLOWED], JOBS[1]: [Cell.ALLOWED] * 2})
    assert (results[0].state, results[0].attempts) == (Cell.ALLOWED, 3)
    assert "flapped: was BLOCKED" in results[0].detail


def test_a_cell_reading_as_a_declared_deviation_predicts_stops_after_settle_after_attempts() -> None:
    prober = Scripted({JOBS[0]: [Cell.ALLOWED] * 9, JOBS[1]: [Cell.ALLOWED] * 2})
    results = probe_until_expected(
        prober, JOBS, EXPECTED, max_attempts=8, pause_s=0, settled={JOBS[0]: Cell.ALLOWED}, settle_after=3
    )
    assert prober.passes == [["x/b", "x/c"], ["x/b"], ["x/b"], ["x/b", "x/c"]]  # 3 attempts, then confirm
    assert (results[0].state, results[0].attempts) == (Cell.ALLOWED, 3)  # still judged against BLOCKED


def test_a_cell_reading_otherwise_than_predicted_gets_the_whole_budget() -> None:
    prober = Scripted({JOBS[0]: [Cell.PROBE_ERROR] * 9, JOBS[1]: [Cell.ALLOWED] * 2})
    results = probe_until_expected(
        prober, JOBS, EXPECTED, max_attempts=5, pause_s=0, settled={JOBS[0]: Cell.ALLOWED}, settle_after=2
    )
    assert results[0].attempts == 5


def test_pauses_ramp_from_first_pause_to_the_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    slept: list[float] = []
    monkeypatch.setattr(retry.time, "sleep", slept.append)
    prober = Scripted({JOBS[0]: [Cell.ALLOWED] * 6, JOBS[1]: [Cell.ALLOWED] * 2})
    probe_until_expected(prober, JOBS, EXPECTED, max_attempts=5, pause_s=1.0, first_pause_s=0.25)
    assert slept == [0.25, 0.5, 1.0, 1.0]
