"""Probe until observed matches expected (bounded), then confirm once: retries only where they can help.

A cell that matches at once is never probed again (apart from the confirmation), so a correct cluster costs
two passes; a cell that keeps differing is reported with how many attempts it had. A cell the confirmation
reads differently is probed once more: it counts as flapping when that probe agrees with the confirmation.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import replace

from netconform.adapters.probe.model import ProbeJob, Prober, ProbeResult
from netconform.core.truthtable import Cell, satisfies

MAX_ATTEMPTS = 4
RETRY_PAUSE_S = 2.0  # policy engines program rules asynchronously: give them a moment between attempts


def probe_until_expected(
    prober: Prober,
    jobs: Sequence[ProbeJob],
    expected: Mapping[ProbeJob, Cell],
    *,
    max_attempts: int = MAX_ATTEMPTS,
    pause_s: float = RETRY_PAUSE_S,
    confirm: bool = True,
    first_pause_s: float | None = None,
    settled: Mapping[ProbeJob, Cell] | None = None,
    settle_after: int = 3,
) -> list[ProbeResult]:
    """``first_pause_s``: the pauses ramp up from it (doubling, at most ``pause_s``), for an engine that is
    usually in place within a pass but sometimes needs seconds. ``settled``: a second reading per cell that
    also ends its re-probes when it still reads so after ``settle_after`` attempts (a declared deviation's
    prediction: re-probing a cell that keeps reading as the CNI is known to behave only costs time); the
    verdict still judges it against ``expected``."""
    results = {r.job: r for r in prober.probe(jobs)}
    settled = settled or {}
    pause = pause_s if first_pause_s is None else min(first_pause_s, pause_s)
    for attempt in range(2, max_attempts + 1):
        wrong = [
            j
            for j in jobs
            if j in expected
            and not satisfies(expected[j], results[j].state)
            and not (attempt > settle_after and j in settled and satisfies(settled[j], results[j].state))
        ]
        if not wrong:
            break
        time.sleep(pause)
        pause = min(pause * 2, pause_s)
        for result in prober.probe(wrong):
            results[result.job] = replace(result, attempts=attempt)
    if confirm:
        # One more pass over everything: a table that matched only once in a flapping dataplane is caught.
        flipped = [r for r in prober.probe(jobs) if r.state != results[r.job].state]
        if flipped:
            # A cell that reads differently once is asked once more before it counts as flapping: a UDP probe
            # whose random source port repeats an earlier flow rides that flow's conntrack entry, which a
            # stateful policy engine accepts (about one cell in a few hundred on a busy run).
            time.sleep(pause_s)
            again = {r.job: r for r in prober.probe([r.job for r in flipped])}
            for result in flipped:
                previous = results[result.job]
                second = again[result.job]
                if second.state == previous.state:
                    results[result.job] = replace(
                        previous,
                        attempts=previous.attempts + 2,
                        detail=f"{previous.detail} (a confirming probe read {result.state.name} once)",
                    )
                else:
                    results[result.job] = replace(
                        second,
                        attempts=previous.attempts + 2,
                        detail=f"{second.detail} (flapped: was {previous.state.name})",
                    )
    return [results[j] for j in jobs]
