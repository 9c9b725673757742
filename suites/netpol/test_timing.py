"""NetworkPolicy enforcement timing, reported as figures (core.netpol.timing has the events and the schema).

Policy create, delete and a label change: per cell, the time until the first probe that shows the new verdict
(p50/p95/max); and the start-up window of a pod created after a deny-all ingress policy selects it. The test
fails only when the figures cannot be measured (a probe that cannot run, a state that never settles); the
figures go to the terminal summary and to ``netconform-timing.json`` in the Allure results directory.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from fixtures.netpol_timing import TIMING_PROPERTY
from fixtures.reporting import attach
from netconform.adapters.kube.manifests import ImageSettings
from netconform.adapters.probe.model import Prober
from netconform.checks.netpol.timing import measure_events, measure_startup
from netconform.checks.netpol.topology import NetpolTopology
from netconform.core.netpol.enforcement import Action, Decision
from netconform.core.netpol.foreign import folded_note
from netconform.core.netpol.timing import render_text, timing_document
from netconform.core.profiles import Profile

pytestmark = pytest.mark.netpol_timing


def test_enforcement_timing(  # noqa: PLR0917 (pytest passes fixtures by name)
    netpol_topology: NetpolTopology,
    netpol_prober: Prober,
    netpol_enforcement: Decision,
    images: ImageSettings,
    profile: Profile,
    record_property: Callable[[str, object], None],
) -> None:
    if netpol_enforcement.action is not Action.RUN:
        pytest.skip(f"no enforcement to time: {netpol_enforcement.reason}")
    if netpol_topology.foreign:
        # The events time allowed <-> blocked flips from a policy-free start; a foreign default-deny keeps
        # the cells blocked throughout, so there would be nothing to time (figures, not a verdict).
        pytest.skip(
            f"enforcement timing needs policy-free namespaces: {folded_note(netpol_topology.foreign)}"
        )
    events = measure_events(netpol_topology, netpol_prober)
    startup = measure_startup(netpol_topology, netpol_prober, images)
    engine = profile.network_policy_enforcer or "unknown engine"
    document = timing_document(events, startup, cni=f"profile {profile.name.value} ({engine})")
    attach("netpol enforcement timing", render_text(document))
    attach("netconform-timing.json", json.dumps(document, indent=2))
    record_property(TIMING_PROPERTY, document)
    # Every changed cell was probed, and the late pod was probed at all: figures, not a verdict.
    assert all(event["cells"] for event in document["events"]), document
    assert document["startup"]["probes"] > 0, document
