"""The fill test's judgment and node choice, and reading node JSON into NodeFacts."""

from __future__ import annotations

import pytest

from netconform.checks.density.nodes import node_facts
from netconform.core.density.check import NodeFacts
from netconform.core.density.fill import (
    FillPlan,
    FillRun,
    PodObservation,
    PodState,
    choose_fill_node,
    classify_pod,
    judge_fill,
)
from netconform.errors import InputError

TOO_MANY = (
    "0/201 nodes are available: 1 Too many pods, 200 node(s) didn't match Pod's node affinity/selector."
)
VPC_IP_ERROR = (
    'Failed to create pod sandbox: plugin type="aws-cni" name="aws-cni" failed (add): add cmd: failed to'
    " assign an IP address to container"
)


@pytest.mark.parametrize(
    ("kwargs", "state"),
    [
        ({"phase": "Running", "node": "n", "running": True, "unschedulable_message": None}, PodState.RUNNING),
        (
            {"phase": "Pending", "node": "", "running": False, "unschedulable_message": TOO_MANY},
            PodState.TOO_MANY_PODS,
        ),
        (
            {"phase": "Pending", "node": "", "running": False, "unschedulable_message": "Insufficient cpu"},
            PodState.UNSCHEDULABLE,
        ),
        (
            {"phase": "Pending", "node": "", "running": False, "unschedulable_message": None},
            PodState.STARTING,
        ),
        (
            {"phase": "Pending", "node": "n", "running": False, "unschedulable_message": None},
            PodState.STARTING,
        ),
        (
            {
                "phase": "Pending",
                "node": "n",
                "running": False,
                "unschedulable_message": None,
                "sandbox_errors": [VPC_IP_ERROR],
            },
            PodState.NO_IP,
        ),
        (
            {
                "phase": "Pending",
                "node": "n",
                "running": False,
                "unschedulable_message": None,
                "sandbox_errors": ["failed to allocate for range 0: no IP addresses available in range set"],
            },
            PodState.NO_IP,
        ),
        (
            {
                "phase": "Pending",
                "node": "n",
                "running": False,
                "unschedulable_message": None,
                "sandbox_errors": ["context deadline exceeded"],
            },
            PodState.SANDBOX_FAILED,
        ),
        (
            {
                "phase": "Failed",
                "node": "n",
                "running": False,
                "unschedulable_message": None,
                "failure": "OutOfpods: x",
            },
            PodState.FAILED,
        ),
    ],
)
def test_classify_pod(kwargs: dict[str, object], state: PodState) -> None:
    assert classify_pod("p", **kwargs).state is state  # type: ignore[arg-type]


def pods(state: PodState, count: int, detail: str = "") -> tuple[PodObservation, ...]:
    return tuple(PodObservation(f"fill-{state.name.lower()}-{i}", state, "n", detail) for i in range(count))


EXTRA_PENDING = PodObservation("fill-extra", PodState.TOO_MANY_PODS, "", TOO_MANY)
PLAN = FillPlan("node-a", advertised=16, existing=4)


def test_plan_counts_the_pods_already_there() -> None:
    assert PLAN.to_create == 12
    assert FillPlan("n", 10, 12).to_create == 0


def test_a_node_that_stops_at_its_ceiling_passes_and_reports_the_time() -> None:
    verdict = judge_fill(
        FillRun(PLAN, pods(PodState.RUNNING, 12), EXTRA_PENDING, bound_after=16, fill_seconds=7.25)
    )
    assert verdict.ok, verdict.message
    assert verdict.ceiling_found == 16
    assert (
        "advertises 16 pods, 4 were there, 12 pause pods created, 12 running; filled in 7.2 s"
        in verdict.message
    )
    assert "pod 17 (fill-extra) stays Pending: 0/201 nodes are available: 1 Too many pods" in verdict.message


def test_pods_queued_behind_other_tests_pods_are_fine_when_the_node_is_full() -> None:
    fill = pods(PodState.RUNNING, 10) + pods(PodState.TOO_MANY_PODS, 2, TOO_MANY)
    verdict = judge_fill(FillRun(PLAN, fill, EXTRA_PENDING, bound_after=16, fill_seconds=3))
    assert verdict.ok
    assert "2 queued behind other pods" in verdict.message


def test_pods_without_an_ip_mean_the_ip_ceiling_is_lower() -> None:
    fill = pods(PodState.RUNNING, 8) + pods(PodState.NO_IP, 4, VPC_IP_ERROR)
    extra = PodObservation("fill-extra", PodState.TOO_MANY_PODS, "", TOO_MANY)
    verdict = judge_fill(FillRun(PLAN, fill, extra, bound_after=16, fill_seconds=30, stalled=True))
    assert not verdict.ok
    assert verdict.ceiling_found == 12
    assert "4 pods got no IP" in verdict.message
    assert "IP ceiling on this node is about 12, below the advertised 16" in verdict.message
    assert "kubectl describe node node-a" in verdict.message


def test_a_node_that_accepts_one_more_fails() -> None:
    extra = PodObservation("fill-extra", PodState.RUNNING, "node-a")
    verdict = judge_fill(FillRun(PLAN, pods(PodState.RUNNING, 12), extra, bound_after=17, fill_seconds=1))
    assert not verdict.ok
    assert (
        "the pod beyond the ceiling (fill-extra) is running, not Pending with 'Too many pods'"
        in verdict.message
    )


def test_wrong_pending_reason_and_wrong_count_fail() -> None:
    extra = PodObservation("fill-extra", PodState.UNSCHEDULABLE, "", "Insufficient memory")
    verdict = judge_fill(FillRun(PLAN, pods(PodState.RUNNING, 12), extra, bound_after=16, fill_seconds=1))
    assert not verdict.ok
    assert "Insufficient memory" in verdict.message
    verdict = judge_fill(
        FillRun(PLAN, pods(PodState.RUNNING, 12), EXTRA_PENDING, bound_after=15, fill_seconds=1)
    )
    assert not verdict.ok
    assert "15 pods are bound to the node, not the advertised 16" in verdict.message


def test_stuck_pods_fail() -> None:
    fill = pods(PodState.RUNNING, 11) + pods(PodState.STARTING, 1, "phase Pending")
    verdict = judge_fill(FillRun(PLAN, fill, EXTRA_PENDING, bound_after=16, fill_seconds=1, stalled=True))
    assert not verdict.ok
    assert "1 pods starting" in verdict.message


def facts(name: str, pods_: int | None = 110, **kw: object) -> NodeFacts:
    return NodeFacts(name, "x", None, pods_, pods_, **kw)  # type: ignore[arg-type]


def test_choose_fill_node_skips_fake_cordoned_tainted_and_unready_nodes() -> None:
    nodes = [
        facts("fake", 16, fake=True),
        facts("cordoned", 16, unschedulable=True),
        facts("tainted", 16, taints=("dedicated=gpu:NoSchedule",)),
        facts("notready", 16, ready=False),
        facts("big", 110),
        facts("small", 29, taints=("hint=x:PreferNoSchedule",)),
    ]
    chosen = choose_fill_node(nodes)
    assert chosen is not None
    assert chosen.name == "small"
    assert choose_fill_node(nodes[:4]) is None
    named = choose_fill_node(nodes, "big")
    assert named is not None
    assert named.name == "big"
    with pytest.raises(InputError, match="no such node"):
        choose_fill_node(nodes, "nope")


def test_node_facts_from_api_json() -> None:
    raw = {
        "metadata": {
            "name": "kwok-ng-general-0000",
            "labels": {
                "node.kubernetes.io/instance-type": "m5.large",
                "eks.amazonaws.com/nodegroup": "ng-general",
            },
            "annotations": {"kwok.x-k8s.io/node": "fake"},
        },
        "spec": {"taints": [{"key": "kwok.x-k8s.io/node", "value": "fake", "effect": "NoSchedule"}]},
        "status": {
            "capacity": {"pods": "29", "cpu": "8"},
            "allocatable": {"pods": "29"},
            "conditions": [{"type": "Ready", "status": "Unknown"}],
        },
    }
    node = node_facts(raw)
    assert node == NodeFacts(
        "kwok-ng-general-0000",
        "m5.large",
        "ng-general",
        29,
        29,
        ready=False,
        taints=("kwok.x-k8s.io/node=fake:NoSchedule",),
        fake=True,
    )
    bare = node_facts({"metadata": {"name": "n", "labels": {"karpenter.sh/nodepool": "default"}}})
    assert (bare.node_group, bare.instance_type, bare.advertised, bare.ready) == (
        "default",
        None,
        None,
        False,
    )


IPAMD = (
    "Failed to create pod sandbox: rpc error: code = Unknown desc = failed to setup network for sandbox"
    ' "ec97": plugin type="aws-cni" name="aws-cni" failed (add): add cmd: failed to assign an IP address'
    " to container"
)
# t3.small with the kubelet's max-pods raised to 20: 3 ENIs x 3 pod IPs; aws-node and kube-router on the
# host network, CoreDNS holding one IP.
IP_PLAN = FillPlan("node-a", advertised=20, existing=3, ip_slots=9, existing_host_network=2)


def test_an_ip_limited_node_is_filled_to_the_eni_ceiling_not_the_advertised_count() -> None:
    assert IP_PLAN.ip_limited
    assert IP_PLAN.ip_ceiling == 11
    assert IP_PLAN.to_create == 8
    assert not FillPlan("n", 11, 3, ip_slots=9, existing_host_network=2).ip_limited  # the kubelet binds first
    assert FillPlan("n", 11, 3, ip_slots=9, existing_host_network=2).to_create == 8


def test_the_pod_beyond_the_ip_ceiling_without_an_ip_passes_with_ipamds_message() -> None:
    extra = PodObservation("fill-extra", PodState.NO_IP, "n", IPAMD)
    verdict = judge_fill(FillRun(IP_PLAN, pods(PodState.RUNNING, 8), extra, bound_after=12, fill_seconds=4))
    assert verdict.ok, verdict.message
    assert verdict.ceiling_found == 11
    assert "the ENIs give 9 pod IPs (+2 host-network pods = 11)" in verdict.message
    assert "pod 12 (fill-extra) stays ContainerCreating, no IP from the CNI: " in verdict.message
    assert "failed to assign an IP address to container" in verdict.message


def test_an_ip_limited_node_fails_when_the_extra_pod_gets_an_ip_or_only_the_scheduler_stops_it() -> None:
    running = PodObservation("fill-extra", PodState.RUNNING, "n")
    verdict = judge_fill(FillRun(IP_PLAN, pods(PodState.RUNNING, 8), running, bound_after=12, fill_seconds=4))
    assert not verdict.ok
    assert "more IPs than the ENI math allows" in verdict.message
    verdict = judge_fill(
        FillRun(IP_PLAN, pods(PodState.RUNNING, 8), EXTRA_PENDING, bound_after=11, fill_seconds=1)
    )
    assert not verdict.ok


def test_fill_pods_without_an_ip_below_the_eni_ceiling_fail_the_ip_limited_node() -> None:
    fill = pods(PodState.RUNNING, 6) + pods(PodState.NO_IP, 2, IPAMD)
    extra = PodObservation("fill-extra", PodState.NO_IP, "n", IPAMD)
    verdict = judge_fill(FillRun(IP_PLAN, fill, extra, bound_after=12, fill_seconds=4))
    assert not verdict.ok
    assert "below the ENI math's 11" in verdict.message
