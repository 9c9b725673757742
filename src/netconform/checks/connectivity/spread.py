"""Cross-node and cross-ENI checks: place pods as ``core.spread`` plans, probe them, report per pair.

Both skip with a reason when the cluster cannot exercise the path (one usable node; pod IPs that are not VPC
addresses; a node whose primary ENI would need more pods than the smoke suite creates).
"""

from __future__ import annotations

import dataclasses
import json
import random

from netconform.adapters.kube.errors import KubeError, call
from netconform.adapters.kube.execution import kubectl_exec
from netconform.adapters.kube.manifests import ImageSettings
from netconform.adapters.probe.model import Endpoint, ProbeJob
from netconform.adapters.probe.retry import probe_until_expected
from netconform.checks.connectivity import payload
from netconform.checks.connectivity.baseline import (
    CONTAINER,
    HOST_PORT_RANGE,
    HTTP_PORT,
    SERVICE_PORT,
    Baseline,
    CheckResult,
    netexec_pod,
    node_views,
    service,
)
from netconform.core.connectivity.diagnosis import Path, PathFailure, missing_route_note, node_cut_off
from netconform.core.connectivity.eni_holdings import EniHolding, eni_cidrs, on_secondary_enis
from netconform.core.connectivity.spread import plan_eni_spread, ring_pairs, unusable_reasons, usable_nodes
from netconform.core.instance_types import bundled_limits
from netconform.core.profiles import Expect, Profile
from netconform.core.truthtable import Cell, Protocol
from netconform.errors import CannotCheck


def _one_node_reason(check: Baseline) -> str | None:
    if len(check.bed.nodes) >= 2:
        return None
    left_out = unusable_reasons(check.bed.all_nodes)
    usable = ", ".join(n.name for n in check.bed.nodes) or "none"
    return f"the cluster has {len(check.bed.nodes)} usable node(s) ({usable}); cross-node paths need two" + (
        f" (left out: {'; '.join(left_out)})" if left_out else ""
    )


def _place(
    check: Baseline, images: ImageSettings, names_to_nodes: dict[str, str], *, services: bool = False
) -> dict[str, tuple[str, str]]:
    """Create one netexec pod per (name, node) (and a Service of its own when asked); return name -> (ip,
    node) once Ready."""
    ns = check.bed.namespace
    for name, node in names_to_nodes.items():
        labels = {"app": "spread", "spread": name}
        check.kube.create(ns, netexec_pod(name, labels, images, udp_port=-1, node_name=node))
        if services:
            check.kube.create(ns, service(f"svc-{name}", {"spread": name}))
    pods = check.kube.wait_pods_ready(ns, list(names_to_nodes))
    return {p.name: (p.ip, p.node) for p in pods}


def _ring(check: Baseline, images: ImageSettings) -> list[tuple[str, str]]:
    """One pod per usable node (and a Service for each), placed once for all cross-node checks; returns the
    ring's (source pod, target pod) pairs."""
    pairs = ring_pairs([n.name for n in check.bed.nodes])
    nodes = sorted({n for pair in pairs for n in pair})
    names = {f"ring-{i}": node for i, node in enumerate(nodes)}
    by_node = {node: name for name, node in names.items()}
    if not check.ring:
        check.ring.update(_place(check, images, names, services=True))
    return [(by_node[s], by_node[t]) for s, t in pairs]


def _route_note(
    check: Baseline,
    pairs: list[tuple[str, str]],
    failed: list[tuple[str, str]],
    unreachable: list[tuple[str, str]],
) -> str:
    """When exactly the pairs to and from one node fail: name the route that is missing."""

    def on_nodes(some: list[tuple[str, str]]) -> list[tuple[str, str]]:
        return [(check.ring[s][1], check.ring[t][1]) for s, t in some]

    node = node_cut_off(on_nodes(pairs), on_nodes(failed), on_nodes(unreachable))
    if node is None:
        return ""
    try:
        cidr = call(f"read node {node}", lambda: check.kube.core.read_node(node)).spec.pod_cidr
    except KubeError:  # the note is a hint; the finding stands without it
        cidr = None
    return missing_route_note(node, cidr)


def _probe_pairs(
    check: Baseline,
    path: Path,
    pairs: list[tuple[str, str]],
    placed: dict[str, tuple[str, str]],
    observed: dict[Path, bool],
) -> CheckResult:
    ns = check.bed.namespace
    jobs = [
        ProbeJob(Endpoint(f"pod {s}", ns, s, CONTAINER), f"pod {t}", placed[t][0], HTTP_PORT, Protocol.TCP)
        for s, t in pairs
    ]
    results = probe_until_expected(check.prober, jobs, dict.fromkeys(jobs, Cell.ALLOWED))
    observed[path] = all(r.state is Cell.ALLOWED for r in results)
    failed = [pair for pair, r in zip(pairs, results, strict=True) if r.state is not Cell.ALLOWED]
    unreachable = [
        pair
        for pair, r in zip(pairs, results, strict=True)
        if r.state is not Cell.ALLOWED and "unreachable" in (r.detail or "")
    ]
    note = _route_note(check, pairs, failed, unreachable) if path is Path.CROSS_NODE else ""
    findings = tuple(
        PathFailure(
            path,
            f"pod {ns}/{s} ({placed[s][0]}, node {placed[s][1]})",
            f"pod {ns}/{t} ({placed[t][0]}, node {placed[t][1]}) port {HTTP_PORT}/TCP",
            f"{r.state.name.lower()}: {r.detail or 'connected'} (attempts: {r.attempts}){note}",
            r.reproduce,
            dict(observed),
        )
        for (s, t), r in zip(pairs, results, strict=True)
        if r.state is not Cell.ALLOWED
    )
    notes = tuple(
        f"{s} ({placed[s][1]}) -> {t} ({placed[t][1]}, {placed[t][0]}): {r.state.name.lower()}"
        for (s, t), r in zip(pairs, results, strict=True)
    )
    return CheckResult(path, findings, notes=notes, observed=dict(observed))


def cross_node(check: Baseline, images: ImageSettings) -> CheckResult:
    """A ring over the usable nodes: one pod per node, each probing the next node's pod."""
    reason = _one_node_reason(check)
    if reason:
        return CheckResult(Path.CROSS_NODE, skipped=reason)
    pairs = _ring(check, images)
    observed = {Path.POD_TCP: check.pod_to_pod_tcp().passed}
    outcome = _probe_pairs(check, Path.CROSS_NODE, pairs, check.ring, observed)
    check.seen[Path.CROSS_NODE] = outcome.passed
    return outcome


def cross_node_service(check: Baseline, images: ImageSettings) -> CheckResult:
    """Each ring pod dials the Service of the next node's pod (its only backend, on another node)."""
    reason = _one_node_reason(check)
    if reason:
        return CheckResult(Path.CROSS_NODE_SERVICE, skipped=reason)
    pairs = _ring(check, images)
    if Path.CROSS_NODE not in check.seen:
        cross_node(check, images)
    ns, placed = check.bed.namespace, check.ring
    ips = {t: str(check.kube.core.read_namespaced_service(f"svc-{t}", ns).spec.cluster_ip) for _, t in pairs}
    jobs = [
        ProbeJob(Endpoint(f"pod {s}", ns, s, CONTAINER), f"svc svc-{t}", ips[t], SERVICE_PORT, Protocol.TCP)
        for s, t in pairs
    ]
    # A new Service is programmed asynchronously (EndpointSlice, then each node's kube-proxy): retried.
    results = probe_until_expected(check.prober, jobs, dict.fromkeys(jobs, Cell.ALLOWED), max_attempts=10)
    observed = {Path.CROSS_NODE: check.seen[Path.CROSS_NODE]}
    observed[Path.CROSS_NODE_SERVICE] = all(r.state is Cell.ALLOWED for r in results)
    findings = tuple(
        PathFailure(
            Path.CROSS_NODE_SERVICE,
            f"pod {ns}/{s} ({placed[s][0]}, node {placed[s][1]})",
            f"Service {ns}/svc-{t} ClusterIP {ips[t]} port {SERVICE_PORT} (backend pod {t} {placed[t][0]}, "
            f"node {placed[t][1]})",
            f"{r.state.name.lower()}: {r.detail or 'connected'} (attempts: {r.attempts})",
            r.reproduce,
            dict(observed),
        )
        for (s, t), r in zip(pairs, results, strict=True)
        if r.state is not Cell.ALLOWED
    )
    notes = tuple(
        f"{s} ({placed[s][1]}) -> svc-{t} ({ips[t]}, backend on {placed[t][1]}): {r.state.name.lower()}"
        for (s, t), r in zip(pairs, results, strict=True)
    )
    return CheckResult(Path.CROSS_NODE_SERVICE, findings, notes=notes, observed=dict(observed))


def cross_node_mtu(check: Baseline, images: ImageSettings) -> CheckResult:
    """Each ring pod pings the next node's pod with don't-fragment packets as large as its interface MTU."""
    reason = _one_node_reason(check)
    if reason:
        return CheckResult(Path.CROSS_NODE_MTU, skipped=reason)
    pairs = _ring(check, images)
    if Path.CROSS_NODE not in check.seen:
        cross_node(check, images)
    if Path.MTU_DF not in check.seen:
        check.seen[Path.MTU_DF] = check.mtu_dont_fragment().passed
    ns, placed = check.bed.namespace, check.ring
    observed = {Path.MTU_DF: check.seen[Path.MTU_DF], Path.CROSS_NODE: check.seen[Path.CROSS_NODE]}
    pings = []
    for s, t in pairs:
        result = check.kube.exec(
            ns, s, ["/bin/sh", "-c", payload.df_ping_script(placed[t][0])], container=CONTAINER
        )
        ping = payload.parse_df_ping(result.stdout, result.stderr)
        command = ["ping", "-c", str(payload.PING_COUNT), "-s", str(ping.size or 1472), placed[t][0]]
        pings.append((s, t, ping, kubectl_exec(ns, s, command, CONTAINER) + "  # iputils: add -M do"))
    observed[Path.CROSS_NODE_MTU] = all(p.ok for _, _, p, _ in pings)
    findings = tuple(
        PathFailure(
            Path.CROSS_NODE_MTU,
            f"pod {ns}/{s} ({placed[s][0]}, node {placed[s][1]})",
            f"pod {ns}/{t} ({placed[t][0]}, node {placed[t][1]})",
            ping.detail,
            reproduce,
            dict(observed),
        )
        for s, t, ping, reproduce in pings
        if not ping.ok
    )
    notes = tuple(f"{s} ({placed[s][1]}) -> {t} ({placed[t][1]}): {p.detail}" for s, t, p, _ in pings)
    return CheckResult(Path.CROSS_NODE_MTU, findings, notes=notes, observed=dict(observed))


def cross_eni(
    check: Baseline, images: ImageSettings, profile: Profile, *, prefix_delegation: bool = False
) -> CheckResult:
    """Fill a second node until some pod must hold a secondary-ENI address, then probe every pod there."""
    if profile.pod_ips_from_vpc is not Expect.YES:
        return CheckResult(
            Path.CROSS_ENI,
            skipped=f"pod IPs are not ENI addresses under the {profile.name.value} profile: no ENI to cross",
        )
    reason = _one_node_reason(check)
    if reason:
        return CheckResult(Path.CROSS_ENI, skipped=reason)
    views = {v.name: v for v in usable_nodes(node_views(check.kube, count_pods=True))}
    client_node, target_node = check.bed.nodes[0].name, check.bed.nodes[1].name
    target = views[target_node]
    limits = bundled_limits().get(target.instance_type or "")
    plan = plan_eni_spread(
        target, limits.ipv4_per_eni if limits else None, prefix_delegation=prefix_delegation
    )
    if plan.node is None:
        return CheckResult(Path.CROSS_ENI, skipped=plan.skipped)
    names = {"eni-client": client_node, **{f"eni-{i}": target_node for i in range(plan.pods)}}
    placed = _place(check, images, names)
    if Path.CROSS_NODE not in check.seen:
        cross_node(check, images)
    observed = {Path.CROSS_NODE: check.seen[Path.CROSS_NODE]}
    targets = [name for name in names if name != "eni-client"]
    cidrs, how = _ipamd_enis(check, images, target_node)
    notes: tuple[str, ...]
    if cidrs is None:
        notes = (f"which ENI holds each pod: not measured ({how}); every pod on {target_node} probed",)
    else:
        secondary = on_secondary_enis(cidrs, {n: placed[n][0] for n in targets})
        if not secondary:
            return CheckResult(
                Path.CROSS_ENI,
                skipped=f"ipamd put none of the {len(targets)} pods on {target_node} on a secondary ENI"
                f" ({how})",
                observed=observed,
            )
        targets = sorted(secondary)
        notes = tuple(
            f"{n} {placed[n][0]} on {e.eni} (device {e.device_number}, {e.cidr}), per ipamd ({how})"
            for n, e in sorted(secondary.items())
        )
    pairs = [("eni-client", name) for name in targets]
    result = _probe_pairs(check, Path.CROSS_ENI, pairs, placed, observed)
    return dataclasses.replace(result, notes=(*result.notes, *notes))


IPAMD_INTROSPECTION = "http://127.0.0.1:61679/v1/enis"  # ipamd's default, on the node's loopback
INTROSPECT_POD = "eni-introspect"


def _ipamd_enis(check: Baseline, images: ImageSettings, node: str) -> tuple[list[EniHolding] | None, str]:
    """ipamd's own record of the node's ENIs, read through a host-network pod there; None and why when it
    cannot be read (introspection disabled, host network refused by admission, ...)."""
    ns = check.bed.namespace
    port = random.randint(*HOST_PORT_RANGE)
    pod = netexec_pod(
        INTROSPECT_POD,
        {"app": "spread"},
        images,
        http_port=port,
        udp_port=-1,
        host_network=True,
        node_name=node,
    )
    # No wget -T: the Debian static busybox crashes on it (probe.methods); `timeout` bounds it instead.
    command = [
        "sh",
        "-c",
        f"timeout 5 wget -qO- {IPAMD_INTROSPECTION} || curl -sf -m 5 {IPAMD_INTROSPECTION}",
    ]
    reproduce = kubectl_exec(ns, INTROSPECT_POD, command)
    try:
        check.kube.create(ns, pod)
        check.kube.wait_pods_ready(ns, [INTROSPECT_POD])
        got = check.kube.exec(ns, INTROSPECT_POD, command)
    except (KubeError, CannotCheck) as err:  # refused by admission, never Ready: the check goes on without
        return None, f"a host-network pod on {node} could not run: {err}"
    if not got.ok:
        return None, f"{reproduce}: exit {got.returncode} {got.stderr.strip()[:200]}"
    try:
        document = json.loads(got.stdout)
    except ValueError:
        return None, f"{reproduce}: not JSON: {got.stdout[:120]!r}"
    return eni_cidrs(document), reproduce
