"""Measure enforcement timing on a deployed topology (core.netpol.timing says what and how it is reported).

Each event starts from a converged state, makes one change through the API, then probes the cells the change
flips, back to back and without pauses, until each shows the new verdict or the bound runs out; a cell's
figure is the end of the first pass that saw it. Only port 80/TCP is probed: one probe per cell keeps a pass
short, so the resolution (one pass) stays a fraction of a second on an engine that rejects; an engine that
drops costs the probe deadline per denied pass, which ``pass_s`` shows.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

from netconform.adapters.kube import manifests
from netconform.adapters.probe.model import ProbeJob, Prober, ProbeResult
from netconform.adapters.probe.retry import probe_until_expected
from netconform.adapters.waits import Bound
from netconform.checks.netpol.run import BASELINE_ATTEMPTS, BASELINE_PROBES, STEP_PAUSE_S
from netconform.checks.netpol.topology import NetpolTopology
from netconform.core.netpol.cases.model import POD_LABEL, PORTS, StepState, TargetMode, policy
from netconform.core.netpol.timing import CellTiming, Event, EventTiming, Startup
from netconform.core.truthtable import Cell, Probe, Protocol, satisfies
from netconform.errors import CannotCheck

PROBE = Probe(80, Protocol.TCP)
EVENT_BOUND_S = (
    30.0  # a change not seen in a cell within this long counts as "not seen" (a figure, not a fail)
)
SETTLE_ATTEMPTS = 15  # re-probes (1 s apart) for the state before an event to converge
STARTUP_WATCH_S = 3.0  # how long after Ready the late pod is still probed
LATE_POD = "late"
LATE_POD_READY = Bound("the late pod of the start-up window to become Ready", timeout_s=120, interval_s=0.05)
CLIENT_LABEL = ("role", "client")
CLIENTS = ("y/b", "z/b")

DENY = policy("x", "timing-deny", ingress=[])
ONLY_CLIENTS = policy(
    "x",
    "timing-clients",
    ingress=[{"from": [{"namespaceSelector": {}, "podSelector": {"matchLabels": dict([CLIENT_LABEL])}}]}],
)


def measure_events(topology: NetpolTopology, prober: Prober) -> list[EventTiming]:
    """create, delete and label-change, each from a converged state; the topology is reset afterwards."""
    into_x = [job for job in topology.jobs([PROBE], TargetMode.POD_IP) if job.target_key.startswith("x/")]
    from_clients = [job for job in into_x if job.source.key in CLIENTS]
    _baseline(topology, prober)
    try:
        create = _event(
            prober,
            into_x,
            Event.CREATE,
            f"deny-all ingress policy {_name(topology, DENY)} created",
            allowed=False,
            change=lambda: topology.apply_state(_state(DENY)),
        )
        delete = _event(
            prober,
            into_x,
            Event.DELETE,
            f"deny-all ingress policy {_name(topology, DENY)} deleted",
            allowed=True,
            change=lambda: topology.apply_state(_state()),
        )
        topology.apply_state(_state(ONLY_CLIENTS))
        _settle(prober, into_x, Cell.BLOCKED)
        clients = ", ".join(CLIENTS)
        label = _event(
            prober,
            from_clients,
            Event.LABEL_CHANGE,
            f"{clients} labelled {'='.join(CLIENT_LABEL)} under {_name(topology, ONLY_CLIENTS)} "
            f"(admits {'='.join(CLIENT_LABEL)} only)",
            allowed=True,
            change=lambda: topology.apply_state(
                _state(ONLY_CLIENTS, pod_labels={pod: {CLIENT_LABEL[0]: CLIENT_LABEL[1]} for pod in CLIENTS})
            ),
        )
    finally:
        topology.reset()
    return [create, delete, label]


def measure_startup(
    topology: NetpolTopology, prober: Prober, images: manifests.ImageSettings, source: str = "y/a"
) -> Startup:
    """A pod created in x after a deny-all ingress policy selects it: probed from ``source`` from the moment
    it has an IP (an allowed probe then is a window without enforcement) until STARTUP_WATCH_S after Ready."""
    namespace = topology.namespace_names["x"]
    kube = topology.kube
    _baseline(topology, prober)
    topology.apply_state(_state(DENY))
    try:
        into_x = [j for j in topology.jobs([PROBE], TargetMode.POD_IP) if j.target_key.startswith("x/")]
        _settle(prober, into_x, Cell.BLOCKED)
        manifest = manifests.netexec_server_pod(
            LATE_POD, {POD_LABEL: LATE_POD}, images, PORTS, topology.protocols
        )
        created = time.monotonic()
        kube.create(namespace, manifest)
        try:
            return _watch_late_pod(topology, prober, namespace, source, created)
        finally:
            kube.core.delete_namespaced_pod(LATE_POD, namespace, grace_period_seconds=0)
    finally:
        topology.reset()


def _watch_late_pod(
    topology: NetpolTopology, prober: Prober, namespace: str, source: str, created: float
) -> Startup:
    results: list[tuple[float, bool, ProbeResult]] = []  # (time, ready yet, result)
    ready_at: float | None = None
    deadline = created + LATE_POD_READY.timeout_s
    job: ProbeJob | None = None
    while time.monotonic() < deadline:
        pod = topology.kube.core.read_namespaced_pod(LATE_POD, namespace)
        if ready_at is None and _is_ready(pod):
            ready_at = time.monotonic()
        if job is None and pod.status.pod_ip:
            target = f"x/{LATE_POD}"
            job = ProbeJob(topology.endpoint(source), target, pod.status.pod_ip, PROBE.port, PROBE.protocol)
        if job is not None:
            (result,) = prober.probe([job])
            results.append((time.monotonic(), ready_at is not None, result))
        if ready_at is not None and time.monotonic() - ready_at >= STARTUP_WATCH_S:
            break
        if job is None:
            time.sleep(LATE_POD_READY.interval_s)
    if ready_at is None:
        raise CannotCheck(
            f"timed out after {LATE_POD_READY.timeout_s:.0f}s waiting for {LATE_POD_READY.name} "
            f"({namespace}/{LATE_POD})"
        )
    errors = [r for _, _, r in results if r.state is Cell.PROBE_ERROR]
    if errors and len(errors) == len(results):
        raise CannotCheck(f"the start-up probes could not run: {errors[0].describe()}")
    judged = [(t, ready, r) for t, ready, r in results if r.state is not Cell.PROBE_ERROR]
    allowed = [(t, r) for t, _, r in judged if r.state is Cell.ALLOWED]
    first_denied = next((t for t, _, r in judged if r.state is not Cell.ALLOWED), None)
    before_deny = [t for t, _ in allowed if first_denied is None or t < first_denied]
    window = (max(allowed)[0] - ready_at) if allowed else 0.0
    return Startup(
        pod=f"x/{LATE_POD}",
        source=source,
        probe=PROBE,
        ready_s=ready_at - created,
        first_allowed=bool(judged) and judged[0][2].state is Cell.ALLOWED,
        allowed_probes=len(before_deny),
        window_s=max(window, 0.0),
        probes=len(judged),
        observed_s=(judged[-1][0] - ready_at) if judged else 0.0,
    )


def _event(
    prober: Prober,
    jobs: Sequence[ProbeJob],
    event: Event,
    what: str,
    *,
    allowed: bool,
    change: Callable[[], None],
) -> EventTiming:
    change()
    start = time.monotonic()
    pending = list(jobs)
    seen: dict[ProbeJob, float] = {}
    passes: list[float] = []
    while pending and time.monotonic() - start < EVENT_BOUND_S:
        began = time.monotonic()
        results = prober.probe(pending)
        ended = time.monotonic()
        passes.append(ended - began)
        for result in results:
            if result.state is Cell.PROBE_ERROR:
                raise CannotCheck(f"a timing probe could not run: {result.describe()}")
            if (result.state is Cell.ALLOWED) == allowed:
                seen[result.job] = ended - start
        pending = [job for job in pending if job not in seen]
    cells = tuple(
        CellTiming(job.source.key, job.target_key, Probe(job.port, job.protocol), seen.get(job))
        for job in jobs
    )
    return EventTiming(event, what, allowed, cells, EVENT_BOUND_S, sum(passes) / max(len(passes), 1))


def _settle(prober: Prober, jobs: Sequence[ProbeJob], want: Cell) -> None:
    results = probe_until_expected(
        prober, jobs, dict.fromkeys(jobs, want), max_attempts=SETTLE_ATTEMPTS, pause_s=STEP_PAUSE_S
    )
    wrong = [r for r in results if not satisfies(want, r.state)]
    if wrong:
        raise CannotCheck(f"the state before a timing event never settled: {wrong[0].describe()}")


def _baseline(topology: NetpolTopology, prober: Prober) -> None:
    topology.reset()
    topology.check_baseline(
        prober, BASELINE_PROBES, [TargetMode.POD_IP], BASELINE_ATTEMPTS, pause_s=STEP_PAUSE_S
    )


def _state(*docs: Any, pod_labels: dict[str, dict[str, str | None]] | None = None) -> StepState:
    policies = {f"{d['metadata']['namespace']}/{d['metadata']['name']}": d for d in docs}
    return StepState(policies, pod_labels or {}, {})


def _name(topology: NetpolTopology, doc: Any) -> str:
    return f"{topology.namespace_names[doc['metadata']['namespace']]}/{doc['metadata']['name']}"


def _is_ready(pod: Any) -> bool:
    conditions = (pod.status.conditions or []) if pod.status else []
    return any(c.type == "Ready" and c.status == "True" for c in conditions)
