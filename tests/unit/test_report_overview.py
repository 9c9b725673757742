"""The run overview: counts per area from Allure results (known deviations apart), timing figures, trend."""

from __future__ import annotations

from typing import Any

import pytest

from netconform.core.run.categories import KNOWN_DEVIATION_PREFIX
from netconform.core.run.summary import known_deviation_counts
from netconform.report.overview import (
    TIMING_SCHEMA,
    TimingError,
    build_overview,
    history_line,
    parse_timing,
    render_overview,
    render_terminal,
)


def result(area: str, status: str, message: str = "", history: str = "", stop: int = 0) -> dict[str, Any]:
    return {
        "status": status,
        "labels": [{"name": "epic", "value": area}],
        "statusDetails": {"message": message},
        "historyId": history or f"{area}-{status}-{message}",
        "stop": stop,
    }


KNOWN = (
    f"{KNOWN_DEVIATION_PREFIX}: no-sctp: no SCTP (https://e.org); evidence: x\n"
    "z-c: z/c (https://e.org); covers 2"
)


def test_counts_per_area_keep_known_deviations_apart_from_skips() -> None:
    overview = build_overview(
        [
            result("netpol", "passed"),
            result("netpol", "skipped", KNOWN),
            result("netpol", "skipped", "no SCTP in this kernel"),
            result("smoke", "broken", "boom"),
            result("smoke", "failed", "wrong"),
        ],
        {"profile": "generic"},
    )
    assert overview.counts == {
        "netpol": {"passed": 1, "failed": 0, "known": 1, "skipped": 1},
        "smoke": {"passed": 0, "failed": 2, "known": 0, "skipped": 0},
    }
    assert overview.known_ids == {"no-sctp": 1, "z-c": 1}
    page = render_overview(overview)
    assert '<tr class="nc-area" data-area="netpol">' in page
    assert '<td class="known" data-column="known">! 1</td>' in page
    assert "generic" in page


def test_a_retried_test_counts_once_by_its_last_attempt() -> None:
    overview = build_overview(
        [result("smoke", "failed", history="t", stop=1), result("smoke", "passed", history="t", stop=2)], {}
    )
    assert overview.counts["smoke"] == {"passed": 1, "failed": 0, "known": 0, "skipped": 0}


def _event(name: str, seconds: tuple[float, ...], p50: float | None) -> dict[str, Any]:
    return {
        "event": name,
        "change": f"{name} of deny-all",
        "expected": "denied",
        "cells": [{"source": "y/a", "destination": "x/b", "probe": "80/TCP", "seconds": s} for s in seconds],
        "p50_s": p50,
        "p95_s": p50,
        "max_s": max(seconds, default=None),
        "unconverged": 0,
        "bound_s": 30.0,
        "pass_s": 0.1,
    }


def test_timing_figures_are_the_netpol_suites_document_one_row_per_event() -> None:
    one = {
        "schema": TIMING_SCHEMA,
        "cni": "",
        "events": [_event("create", (0.3, 0.4), 0.37)],
        "startup": None,
    }
    two = {
        **one,
        "events": [_event("delete", (0.5,), 0.5)],
        "startup": {
            "pod": "x/late",
            "first_probe": "allowed",
            "allowed_probes": 1,
            "probes": 51,
            "window_s": 0.1,
        },
    }
    timing = parse_timing([("a.json", one), ("b.json", two)])
    assert timing is not None
    assert [(r.event, r.cells, r.p50_s, r.max_s) for r in timing.rows] == [
        ("create", 2, 0.37, 0.4),
        ("delete", 1, 0.5, 0.5),
    ]
    assert "first probe allowed, 1 of 51 probes through" in timing.startup
    assert parse_timing([]) is None
    overview = build_overview([result("netpol", "passed")], {}, timing)
    terminal = "\n".join(render_terminal(overview))
    assert "create -> denied: 2 cells, p50 0.37 s, p95 0.37 s, max 0.40 s" in terminal
    assert 'id="nc-timing"' in render_overview(overview)


@pytest.mark.parametrize(
    ("doc", "error"),
    [
        ({"events": []}, "not a netconform-timing/1 document"),
        ({"schema": TIMING_SCHEMA, "events": {}}, "'events' must be a list"),
        ({"schema": TIMING_SCHEMA, "events": [{"cells": {}}]}, "events[0] needs 'cells'"),
        ({"schema": TIMING_SCHEMA, "events": [{"cells": [], "p50_s": "1"}]}, "events[0].p50_s must be"),
        ({"schema": TIMING_SCHEMA, "events": [{"cells": [], "max_s": -1}]}, "events[0].max_s must be"),
    ],
)
def test_a_malformed_timing_file_is_one_line_naming_it(doc: dict[str, Any], error: str) -> None:
    with pytest.raises(TimingError, match=r"^t\.json: ") as raised:
        parse_timing([("t.json", doc)])
    assert error in str(raised.value)
    assert "\n" not in str(raised.value)


def test_the_trend_shows_earlier_runs_and_this_one() -> None:
    first = build_overview([result("netpol", "failed")], {"run.id": "r1"})
    line = history_line(first, "2026-12-02 01:00")
    assert line == {"run": "r1", "started": "2026-12-02 01:00", "counts": {"netpol": first.counts["netpol"]}}
    second = build_overview([result("netpol", "passed")], {"run.id": "r2"}, history=[line])
    page = render_overview(second)
    assert "Trend (last 2 run(s))" in page
    assert "2026-12-02 01:00 r1" in page
    assert "0 passed / 1 failed / 0 known / 0 skipped" in page
    assert "1 passed / 0 failed / 0 known / 0 skipped" in page


def test_known_deviation_ids_are_read_from_the_reason_only_when_it_is_one() -> None:
    assert known_deviation_counts([KNOWN, KNOWN, "a skip: with a colon"]) == {"no-sctp": 2, "z-c": 2}
