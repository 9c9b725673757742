"""Fake nodes for scale tests: KWOK keeps their leases and Ready conditions; nothing runs on them.

They carry EKS-like labels (instance type, zone) and advertise the pod capacity that the max-pods calculator
gives for their instance type, so density checks can compare hundreds of nodes against real expectations.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kubernetes import client
from kubernetes.client.rest import ApiException

from netconform.adapters.waits import Bound, NotYet, wait_until
from netconform.core.density.maxpods import DensityOptions, max_pods
from netconform.core.instance_types import bundled_limits

FAKE_ANNOTATION = "kwok.x-k8s.io/node"
FAKE_LABEL = {"type": "kwok", "netconform.io/fake-node": "true"}
TAINT = {"key": "kwok.x-k8s.io/node", "value": "fake", "effect": "NoSchedule"}
# A mix of node groups as a real EKS cluster might have; the counts cycle through these.
NODE_GROUPS = (
    ("m5.large", "ng-general"),
    ("m5.xlarge", "ng-general-xl"),
    ("c5.18xlarge", "ng-compute"),
    ("t3.medium", "ng-small"),
    ("m6i.2xlarge", "ng-m6i"),
)
ZONES = ("us-east-1a", "us-east-1b", "us-east-1c")
KWOK_NODES_READY = Bound("KWOK nodes to report Ready", timeout_s=180, interval_s=2)


def node_manifest(index: int) -> dict[str, Any]:
    instance_type, group = NODE_GROUPS[index % len(NODE_GROUPS)]
    pods = max_pods(bundled_limits()[instance_type], DensityOptions()).value
    name = f"kwok-{group}-{index:04d}"
    capacity = {"cpu": "8", "memory": "32Gi", "pods": str(pods), "ephemeral-storage": "100Gi"}
    labels = {
        **FAKE_LABEL,
        "node.kubernetes.io/instance-type": instance_type,
        "eks.amazonaws.com/nodegroup": group,
        "topology.kubernetes.io/zone": ZONES[index % len(ZONES)],
    }
    return fake_node(name, labels, [TAINT], capacity)


def fake_node(
    name: str, labels: dict[str, str], taints: list[dict[str, str]], capacity: dict[str, str]
) -> dict[str, Any]:
    """A Node that KWOK manages (by the annotation) with these labels over the standard ones, and taints."""
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": name,
            "annotations": {FAKE_ANNOTATION: "fake", "node.alpha.kubernetes.io/ttl": "0"},
            "labels": {
                "kubernetes.io/hostname": name,
                "kubernetes.io/os": "linux",
                "kubernetes.io/arch": "amd64",
                **labels,
            },
        },
        "spec": {"taints": taints, "providerID": f"kwok://{name}"},
        "status": {"capacity": capacity, "allocatable": capacity},
    }


def create(api: client.ApiClient, count: int) -> None:
    core = client.CoreV1Api(api)
    for index in range(count):
        try:
            core.create_node(node_manifest(index))
        except ApiException as err:
            if err.status != 409:
                raise


def wait_ready(api: client.ApiClient, count: int, alive: Callable[[], None]) -> None:
    core = client.CoreV1Api(api)

    def all_ready() -> None:
        alive()
        nodes = core.list_node(label_selector="type=kwok").items
        ready = sum(
            1
            for n in nodes
            if any(c.type == "Ready" and c.status == "True" for c in n.status.conditions or [])
        )
        if ready < count:
            raise NotYet(f"{ready}/{count} Ready")

    wait_until(KWOK_NODES_READY, all_ready)
