"""The fill test's I/O: pin pause pods to one node up to its ceiling, then one more, and observe.

Cordon-free: the pods select the node by ``metadata.name`` node affinity, so the scheduler (not the
kubelet, as ``spec.nodeName`` would) decides, and the pod beyond the ceiling gets the scheduler's
"Too many pods". Nothing else on the node is touched; deleting the namespace cleans up.
"""

from __future__ import annotations

import functools
import json
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Final

from netconform.adapters.kube.cluster import KubeCluster
from netconform.adapters.kube.errors import call
from netconform.adapters.waits import Bound, NotYet, wait_until
from netconform.checks.density.nodes import pods_on_node
from netconform.core.density.fill import FillPlan, FillRun, PodObservation, PodState, classify_pod

FILL_SETTLED = Bound("fill pods to run (or settle)", timeout_s=900, interval_s=3)
EXTRA_JUDGED = Bound("the scheduler to judge the pod beyond the ceiling", timeout_s=120, interval_s=2)
STALL_S: Final = 120.0  # no pod got further for this long: stop waiting and report what is stuck
CREATE_WORKERS: Final = 8
FILL_LABEL: Final = "netconform.io/density-fill"


def pause_pod(name: str, node: str, image: str, pull_policy: str) -> dict[str, Any]:
    """A pause pod that only the scheduler can place, and only on ``node``; no requests, so the pod
    count is the only resource it spends."""
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "labels": {FILL_LABEL: "true"}},
        "spec": {
            "containers": [{"name": "pause", "image": image, "imagePullPolicy": pull_policy}],
            "affinity": {
                "nodeAffinity": {
                    "requiredDuringSchedulingIgnoredDuringExecution": {
                        "nodeSelectorTerms": [
                            {"matchFields": [{"key": "metadata.name", "operator": "In", "values": [node]}]}
                        ]
                    }
                }
            },
            "terminationGracePeriodSeconds": 0,
            "automountServiceAccountToken": False,
            "enableServiceLinks": False,
        },
    }


def run_fill(
    kube: KubeCluster,
    namespace: str,
    node: str,
    *,
    advertised: int,
    image: str,
    pull_policy: str,
    ip_slots: int | None = None,
) -> FillRun:
    """Fill ``node`` to ``advertised`` pods (or to the IP ceiling of ``ip_slots`` pod IPs, when lower) with
    pause pods in ``namespace``, then create one more."""
    existing = pods_on_node(kube, node)
    plan = FillPlan(
        node=node,
        advertised=advertised,
        existing=len(existing),
        ip_slots=ip_slots,
        existing_host_network=len(pods_on_node(kube, node, host_network=True)),
    )
    names = [f"fill-{i:04d}" for i in range(plan.to_create)]
    start = time.monotonic()
    with ThreadPoolExecutor(max_workers=CREATE_WORKERS) as pool:
        list(pool.map(lambda n: kube.create(namespace, pause_pod(n, node, image, pull_policy)), names))
    fill, stalled = _wait_settled(kube, namespace, names)
    fill_seconds = time.monotonic() - start
    extra_name = "fill-extra"
    kube.create(namespace, pause_pod(extra_name, node, image, pull_policy))
    extra = wait_until(EXTRA_JUDGED, functools.partial(_judged, kube, namespace, extra_name))
    return FillRun(
        plan=plan,
        fill=tuple(fill[n] for n in names),
        extra=extra,
        bound_after=len(pods_on_node(kube, node)),
        fill_seconds=fill_seconds,
        stalled=stalled,
    )


def observe(kube: KubeCluster, namespace: str) -> dict[str, PodObservation]:
    """Every pod of ``namespace`` classified (one pod list, one event list)."""
    pods = call(
        f"list pods in {namespace}",
        functools.partial(kube.core.list_namespaced_pod, namespace, _preload_content=False),
    )
    events = call(
        f"list sandbox events in {namespace}",
        functools.partial(
            kube.core.list_namespaced_event,
            namespace,
            field_selector="reason=FailedCreatePodSandBox",
            _preload_content=False,
        ),
    )
    sandbox: dict[str, list[str]] = {}
    for event in json.loads(events.data).get("items") or []:
        sandbox.setdefault(event["involvedObject"]["name"], []).append(str(event.get("message", "")))
    return {
        raw["metadata"]["name"]: _classify(raw, sandbox.get(raw["metadata"]["name"], []))
        for raw in json.loads(pods.data).get("items") or []
    }


def _classify(raw: dict[str, Any], sandbox_errors: Sequence[str]) -> PodObservation:
    status = raw.get("status") or {}
    scheduled: dict[str, Any] = next(
        (c for c in status.get("conditions") or [] if c.get("type") == "PodScheduled"), {}
    )
    unschedulable = (
        str(scheduled.get("message", ""))
        if scheduled.get("status") == "False" and scheduled.get("reason") == "Unschedulable"
        else None
    )
    running = any("running" in (s.get("state") or {}) for s in status.get("containerStatuses") or [])
    return classify_pod(
        raw["metadata"]["name"],
        phase=str(status.get("phase", "")),
        node=str((raw.get("spec") or {}).get("nodeName") or ""),
        running=running,
        unschedulable_message=unschedulable,
        sandbox_errors=sandbox_errors,
        failure=str(status.get("reason", "")) + ": " + str(status.get("message", "")),
    )


def _wait_settled(
    kube: KubeCluster, namespace: str, names: Sequence[str]
) -> tuple[dict[str, PodObservation], bool]:
    """Wait until every fill pod is settled, or until none got further for ``STALL_S``."""
    progress = {"running": -1, "since": time.monotonic()}

    def settled() -> tuple[dict[str, PodObservation], bool]:
        seen = observe(kube, namespace)
        missing = PodObservation("?", PodState.STARTING, detail="not created")
        pods = {n: seen.get(n, missing) for n in names}
        running = sum(1 for p in pods.values() if p.state is PodState.RUNNING)
        if all(p.state.settled for p in pods.values()):
            return pods, False
        now = time.monotonic()
        if running != progress["running"]:
            progress.update(running=running, since=now)
        elif now - progress["since"] > STALL_S:
            return pods, True
        waiting = [p for p in pods.values() if not p.state.settled]
        raise NotYet(f"{running}/{len(names)} running; {len(waiting)} not settled, e.g. {waiting[0]}")

    return wait_until(FILL_SETTLED, settled)


def _judged(kube: KubeCluster, namespace: str, name: str) -> PodObservation:
    pod = observe(kube, namespace).get(name)
    # Bound but without an IP (or sandbox) is a verdict too: the kubelet would retry forever.
    if pod is None or pod.state is PodState.STARTING:
        raise NotYet(f"{name}: {pod.state.value if pod else 'not created'}")
    return pod
