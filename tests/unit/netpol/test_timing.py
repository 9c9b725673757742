"""The enforcement timing figures: percentiles, the JSON document (schema netconform-timing/1), the text."""

from __future__ import annotations

import json

import pytest

from netconform.core.netpol.timing import (
    SCHEMA,
    CellTiming,
    Event,
    EventTiming,
    Startup,
    percentile,
    render_text,
    timing_document,
)
from netconform.core.truthtable import Probe


@pytest.mark.parametrize(
    ("values", "q", "expected"),
    [
        ((), 50, None),
        ((1.0,), 95, 1.0),
        ((1.0, 2.0, 3.0, 4.0), 50, 2.0),
        ((1.0, 2.0, 3.0, 4.0), 95, 4.0),
        (tuple(float(i) for i in range(1, 21)), 95, 19.0),
        (tuple(float(i) for i in range(1, 21)), 100, 20.0),
    ],
)
def test_nearest_rank_percentile(values: tuple[float, ...], q: float, expected: float | None) -> None:
    assert percentile(values, q) == expected


def _event() -> EventTiming:
    cells = (
        CellTiming("y/a", "x/a", Probe(80), 0.3),
        CellTiming("y/b", "x/a", Probe(80), 0.1),
        CellTiming("z/a", "x/a", Probe(80), None),
        CellTiming("z/b", "x/a", Probe(80), 0.2),
    )
    return EventTiming(Event.CREATE, "deny-all created", False, cells, 30.0, 0.12345)


STARTUP = Startup("x/late", "y/a", Probe(80), 2.5, True, 3, 0.4, 20, 3.0)


def test_the_document_carries_every_cell_and_figures_over_the_converged_ones() -> None:
    document = timing_document([_event()], STARTUP, cni="kube-router")
    json.dumps(document)  # plain JSON
    assert document["schema"] == SCHEMA
    (event,) = document["events"]
    assert event["event"] == "create"
    assert event["expected"] == "denied"
    assert [c["seconds"] for c in event["cells"]] == [0.3, 0.1, None, 0.2]
    assert event["cells"][0] == {"source": "y/a", "destination": "x/a", "probe": "80/TCP", "seconds": 0.3}
    assert (event["p50_s"], event["p95_s"], event["max_s"]) == (0.2, 0.3, 0.3)
    assert event["unconverged"] == 1
    assert event["pass_s"] == 0.123
    assert document["startup"]["first_probe"] == "allowed"
    assert document["startup"]["allowed_probes"] == 3


def test_no_converged_cell_gives_no_figures_and_no_startup_is_null() -> None:
    cells = (CellTiming("y/a", "x/a", Probe(80), None),)
    event = EventTiming(Event.DELETE, "deleted", True, cells, 30.0, 0.1)
    document = timing_document([event], None)
    assert (document["events"][0]["p50_s"], document["events"][0]["max_s"]) == (None, None)
    assert document["startup"] is None
    line = "delete        -> allowed  cells   1  p50 -  p95 -  max -  not seen in 30s: 1"
    assert line in render_text(document)


def test_the_text_says_each_event_and_the_startup_window() -> None:
    text = render_text(timing_document([_event()], STARTUP))
    assert "create        -> denied   cells   4  p50 0.20s  p95 0.30s  max 0.30s  not seen in 30s: 1" in text
    assert "first probe from y/a 80/TCP allowed; 3 of 20 probes through (window 0.40s after Ready" in text
