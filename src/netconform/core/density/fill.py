"""The fill test's judgment: what each pause pod's state means, and whether the node stopped at its ceiling.

The adapter (``adapters.kube.fill``) pins pause pods to one node up to its advertised ceiling, then one
more, and hands the observed states here. A node passes when it holds exactly the advertised number of
pods, every pod of ours that was bound runs, and the pod beyond the ceiling stays Pending with the
scheduler's "Too many pods". Pods that got no IP from the CNI (the VPC CNI's "failed to assign an IP
address to container", host-local's "no IP addresses available") mean the IP ceiling is below the
advertised one: the node fails, with that explanation.

Where the ENI math says the CNI runs out of pod IPs before the advertised count (a kubelet max-pods above
the ENI value: ``FillPlan.ip_slots``), the fill aims at the IP ceiling instead, and the pod beyond it must
stay ContainerCreating with the CNI's own "no IP" error (ipamd's "failed to assign an IP address to
container"), which the verdict quotes: the IP ceiling is measured, not the scheduler's.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from netconform.core.density.check import NodeFacts
from netconform.errors import InputError

TOO_MANY_PODS: Final = "Too many pods"
# Sandbox errors that mean "the CNI has no address for this pod" (VPC CNI, host-local IPAM, Calico IPAM).
IP_ERROR_MARKERS: Final = (
    "failed to assign an IP address",
    "no IP addresses available",
    "InsufficientCidrBlocks",
    "failed to allocate for range",
    "cannot allocate IP",
)


class PodState(enum.Enum):
    RUNNING = "running"
    TOO_MANY_PODS = "pending: too many pods"
    UNSCHEDULABLE = "pending: unschedulable for another reason"
    NO_IP = "no IP from the CNI"
    SANDBOX_FAILED = "sandbox creation failing"
    STARTING = "starting"
    FAILED = "failed"

    @property
    def settled(self) -> bool:
        """Will this state hold without outside change? (sandbox errors are retried by the kubelet)."""
        return self in (PodState.RUNNING, PodState.TOO_MANY_PODS, PodState.UNSCHEDULABLE, PodState.FAILED)


@dataclass(frozen=True, slots=True)
class PodObservation:
    name: str
    state: PodState
    node: str = ""
    detail: str = ""
    """The scheduler's or the kubelet's message behind the state."""


def classify_pod(
    name: str,
    *,
    phase: str,
    node: str,
    running: bool,
    unschedulable_message: str | None,
    sandbox_errors: Sequence[str] = (),
    failure: str = "",
) -> PodObservation:
    """One pod's state from its phase, binding, PodScheduled condition and FailedCreatePodSandBox events."""
    if phase == "Failed":
        return PodObservation(name, PodState.FAILED, node, failure or "phase Failed")
    if running:
        return PodObservation(name, PodState.RUNNING, node)
    if not node:
        if unschedulable_message is None:
            return PodObservation(name, PodState.STARTING, node, "not scheduled yet")
        state = PodState.TOO_MANY_PODS if TOO_MANY_PODS in unschedulable_message else PodState.UNSCHEDULABLE
        return PodObservation(name, state, node, unschedulable_message)
    if sandbox_errors:
        last = sandbox_errors[-1]
        state = PodState.NO_IP if any(m in last for m in IP_ERROR_MARKERS) else PodState.SANDBOX_FAILED
        return PodObservation(name, state, node, last)
    return PodObservation(name, PodState.STARTING, node, f"phase {phase}")


@dataclass(frozen=True, slots=True)
class FillPlan:
    node: str
    advertised: int
    existing: int
    """Pods already bound to the node (other tests', DaemonSets', static pods)."""
    ip_slots: int | None = None
    """Pod IPs the CNI can hand out on the node by the ENI math (ENIs × slots, host-network pods not
    counted); None where pod IPs do not come from ENIs."""
    existing_host_network: int = 0
    """Of ``existing``, pods on the host network (they hold no pod IP)."""

    @property
    def ip_ceiling(self) -> int | None:
        """Pods the node can run before the CNI has no IP left (host-network pods take none)."""
        return None if self.ip_slots is None else self.existing_host_network + self.ip_slots

    @property
    def ip_limited(self) -> bool:
        """Does the CNI run out of IPs before the kubelet's advertised count?"""
        return self.ip_ceiling is not None and self.ip_ceiling < self.advertised

    @property
    def target(self) -> int:
        """Pods the node should run: the advertised count, or the IP ceiling when that is lower."""
        return self.ip_ceiling if self.ip_limited and self.ip_ceiling is not None else self.advertised

    @property
    def to_create(self) -> int:
        return max(self.target - self.existing, 0)


@dataclass(frozen=True, slots=True)
class FillRun:
    plan: FillPlan
    fill: tuple[PodObservation, ...]
    extra: PodObservation
    bound_after: int
    """Pods bound to the node when the extra pod was judged."""
    fill_seconds: float
    """From the first create to the last fill pod running (or the fill settling)."""
    stalled: bool = False
    """The fill stopped making progress before every pod settled."""


@dataclass(frozen=True, slots=True)
class FillVerdict:
    ok: bool
    ceiling_found: int
    message: str


def judge_fill(run: FillRun) -> FillVerdict:
    """Did the node run exactly its advertised number of pods and refuse one more, and why not."""
    plan = run.plan
    by_state: dict[PodState, list[PodObservation]] = {}
    for pod in run.fill:
        by_state.setdefault(pod.state, []).append(pod)
    running = len(by_state.get(PodState.RUNNING, []))
    queued = len(by_state.get(PodState.TOO_MANY_PODS, []))
    limit = (
        f", the ENIs give {plan.ip_slots} pod IPs (+{plan.existing_host_network} host-network pods"
        f" = {plan.ip_ceiling})"
        if plan.ip_limited
        else ""
    )
    head = (
        f"node {plan.node}: advertises {plan.advertised} pods{limit}, {plan.existing} were there,"
        f" {len(run.fill)} pause pods created, {running} running"
        + (f", {queued} queued behind other pods" if queued else "")
        + f"; filled in {run.fill_seconds:.1f} s"
    )
    problems = _fill_problems(run, by_state)
    ceiling = plan.existing + running
    if problems:
        return FillVerdict(False, ceiling, head + "\n" + "\n".join(problems))
    extra = run.extra
    stays = "ContainerCreating, no IP from the CNI" if plan.ip_limited else "Pending"
    return FillVerdict(
        True,
        run.bound_after - (1 if plan.ip_limited else 0),  # the extra pod is bound too when it lacks an IP
        head + f"\npod {plan.target + 1} ({extra.name}) stays {stays}: {extra.detail}",
    )


def _fill_problems(run: FillRun, by_state: dict[PodState, list[PodObservation]]) -> list[str]:
    plan = run.plan
    problems = []
    no_ip = by_state.get(PodState.NO_IP, [])
    if no_ip:
        expected = (
            f"the ENI math's {plan.ip_ceiling}" if plan.ip_limited else f"the advertised {plan.advertised}"
        )
        problems.append(
            f"{len(no_ip)} pods got no IP ({_example(no_ip)}): the CNI's IP ceiling on this node is about"
            f" {plan.existing + len(by_state.get(PodState.RUNNING, []))}, below {expected};"
            " lower the kubelet's max-pods to the ENI value (see the density check)"
        )
    for state in (PodState.SANDBOX_FAILED, PodState.FAILED, PodState.UNSCHEDULABLE, PodState.STARTING):
        pods = by_state.get(state, [])
        if pods:
            problems.append(f"{len(pods)} pods {state.value} ({_example(pods)})")
    if run.stalled and not problems:
        problems.append("the fill stopped making progress before every pod settled")
    if plan.ip_limited and run.extra.state is not PodState.NO_IP:
        problems.append(
            f"the pod beyond the IP ceiling ({run.extra.name}) is {run.extra.state.value}, not without an IP"
            f" from the CNI: {run.extra.detail or 'no message'} (the CNI handed out more IPs than the ENI"
            " math allows?)"
        )
    if not plan.ip_limited and run.extra.state is not PodState.TOO_MANY_PODS:
        problems.append(
            f"the pod beyond the ceiling ({run.extra.name}) is {run.extra.state.value}, not Pending with"
            f" '{TOO_MANY_PODS}': {run.extra.detail or 'no message'}"
        )
    # Without an IP the extra pod is bound all the same (the scheduler saw room): count it.
    bound = plan.target + (1 if plan.ip_limited else 0)
    if run.bound_after != bound and not problems:
        which = f"the IP ceiling {plan.target} + the extra pod" if plan.ip_limited else "the advertised"
        problems.append(
            f"{run.bound_after} pods are bound to the node, not {which} {bound}"
            " (pods of other tests came or went while it was full?)"
        )
    if problems:
        problems.append(
            f"reproduce: kubectl get pods -A --field-selector spec.nodeName={plan.node} | wc -l;"
            f" kubectl describe node {plan.node}"
        )
    return problems


def _example(pods: Sequence[PodObservation]) -> str:
    first = pods[0]
    return f"e.g. {first.name}: {first.detail}" if first.detail else f"e.g. {first.name}"


def choose_fill_node(nodes: Sequence[NodeFacts], wanted: str | None = None) -> NodeFacts | None:
    """The node to fill: ``wanted`` if named, else the real, schedulable node with the lowest ceiling.

    None when no node qualifies (all fake, cordoned, tainted or without a pods capacity).
    """
    if wanted:
        named = [n for n in nodes if n.name == wanted]
        if not named:
            raise InputError(f"--fill-node {wanted!r}: no such node")
        return named[0]
    candidates = [n for n in nodes if n.accepts_pods and n.advertised is not None]
    return min(candidates, key=lambda n: (n.advertised or 0, n.name), default=None)
