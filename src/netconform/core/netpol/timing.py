"""Enforcement timing as figures: how long after a change the dataplane shows the new verdict (pure).

Three events on the x/y/z × a/b/c model (checks.netpol.timing measures them):

* ``create``: a deny-all ingress policy in x goes in; every cell into x turns from allowed to denied;
* ``delete``: that policy is deleted; the same cells turn back to allowed;
* ``label-change``: with a policy in x admitting only pods labelled ``role=client``, y/b and z/b get that
  label; their cells into x turn from denied to allowed.

For each cell the figure is the time from the API call's return to the end of the first probe pass that
observed the new verdict (resolution: one pass, ``pass_s``). And the **start-up window**: a pod created in x
*after* the deny-all ingress policy selects it is probed from y/a as soon as it is Ready (before that a
refusal cannot be told from a server that does not listen yet); the figures say whether the first probe was
denied and for how long probes still got through.

Reported as figures, never pass/fail. :func:`timing_document` writes them as one JSON document, the file
``netconform-timing.json`` in the Allure results directory (read by the report's overview page). Schema
(version 1)::

    {
      "schema": "netconform-timing/1",
      "cni": "kube-router v2.1.0 ...",          # free text: what was measured ("" if unknown)
      "events": [
        {
          "event": "create" | "delete" | "label-change",
          "change": "deny-all ingress policy x/timing-deny created",   # what was done
          "expected": "denied" | "allowed",                         # the new verdict
          "cells": [{"source": "y/a", "destination": "x/b", "probe": "80/TCP",
                     "seconds": 0.42 | null}],                     # null: not seen within the bound
          "p50_s": 0.4, "p95_s": 0.6, "max_s": 0.7,   # over the cells that converged; null if none
          "unconverged": 0, "bound_s": 30.0, "pass_s": 0.12          # bound of the wait; mean probe pass
        }
      ],
      "startup": {
        "pod": "x/late", "source": "y/a", "probe": "80/TCP",
        "ready_s": 3.1,                        # pod create call -> Ready
        "first_probe": "denied" | "allowed",   # the first probe after Ready
        "allowed_probes": 0,                   # probes that got through before the first denied one
        "window_s": 0.0 | null,                # Ready -> last probe that got through (0: none did)
        "probes": 12, "observed_s": 3.0        # probes sent, over how long after Ready
      } | null
    }
"""

from __future__ import annotations

import enum
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from netconform.core.truthtable import Probe

SCHEMA = "netconform-timing/1"
FILE_NAME = "netconform-timing.json"


class Event(enum.Enum):
    CREATE = "create"
    DELETE = "delete"
    LABEL_CHANGE = "label-change"


@dataclass(frozen=True, slots=True)
class CellTiming:
    source: str
    destination: str
    probe: Probe
    seconds: float | None  # None: the new verdict was not observed within the bound


@dataclass(frozen=True, slots=True)
class EventTiming:
    event: Event
    change: str
    expected_allowed: bool
    cells: tuple[CellTiming, ...]
    bound_s: float
    pass_s: float  # mean duration of one probe pass: the figures' resolution

    @property
    def converged(self) -> tuple[float, ...]:
        return tuple(sorted(c.seconds for c in self.cells if c.seconds is not None))

    @property
    def unconverged(self) -> int:
        return sum(1 for c in self.cells if c.seconds is None)

    def percentile(self, q: float) -> float | None:
        return percentile(self.converged, q)


@dataclass(frozen=True, slots=True)
class Startup:
    pod: str
    source: str
    probe: Probe
    ready_s: float
    first_allowed: bool
    allowed_probes: int
    window_s: float | None
    probes: int
    observed_s: float


def percentile(values: Sequence[float], q: float) -> float | None:
    """Nearest-rank percentile (q in 0..100) of sorted values; None for none."""
    if not values:
        return None
    rank = max(1, math.ceil(q / 100 * len(values)))
    return values[rank - 1]


def _verdict(allowed: bool) -> str:
    return "allowed" if allowed else "denied"


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def timing_document(events: Sequence[EventTiming], startup: Startup | None, cni: str = "") -> dict[str, Any]:
    return {
        "schema": SCHEMA,
        "cni": cni,
        "events": [
            {
                "event": e.event.value,
                "change": e.change,
                "expected": _verdict(e.expected_allowed),
                "cells": [
                    {
                        "source": c.source,
                        "destination": c.destination,
                        "probe": str(c.probe),
                        "seconds": _round(c.seconds),
                    }
                    for c in e.cells
                ],
                "p50_s": _round(e.percentile(50)),
                "p95_s": _round(e.percentile(95)),
                "max_s": _round(e.converged[-1] if e.converged else None),
                "unconverged": e.unconverged,
                "bound_s": e.bound_s,
                "pass_s": _round(e.pass_s),
            }
            for e in events
        ],
        "startup": None
        if startup is None
        else {
            "pod": startup.pod,
            "source": startup.source,
            "probe": str(startup.probe),
            "ready_s": _round(startup.ready_s),
            "first_probe": _verdict(startup.first_allowed),
            "allowed_probes": startup.allowed_probes,
            "window_s": _round(startup.window_s),
            "probes": startup.probes,
            "observed_s": _round(startup.observed_s),
        },
    }


def render_text(document: dict[str, Any]) -> str:
    """The figures for the terminal summary, from the JSON document (so both say the same)."""

    def s(value: float | None) -> str:
        return "-" if value is None else f"{value:.2f}s"

    lines = ["netpol enforcement timing (change -> first probe showing the new verdict, per cell)"]
    for e in document["events"]:
        lines.append(
            f"  {e['event']:<13} -> {e['expected']:<8} cells {len(e['cells']):>3}  p50 {s(e['p50_s'])}  "
            f"p95 {s(e['p95_s'])}  max {s(e['max_s'])}  not seen in {e['bound_s']:.0f}s: {e['unconverged']}  "
            f"(probe pass {s(e['pass_s'])})"
        )
    startup = document.get("startup")
    if startup:
        lines.append(
            f"  start-up      pod {startup['pod']} created after a deny-all ingress: Ready in "
            f"{s(startup['ready_s'])}; first probe from {startup['source']} {startup['probe']} "
            f"{startup['first_probe']}; {startup['allowed_probes']} of {startup['probes']} probes through "
            f"(window {s(startup['window_s'])} after Ready, watched {s(startup['observed_s'])})"
        )
    return "\n".join(lines)
