"""The test bed's KWOK fake nodes (make test-cluster starts the bed with 200): joined, Ready, EKS-like."""

from __future__ import annotations

import time
from collections import Counter

import pytest

from netconform.adapters.kube.cluster import KubeCluster
from netconform.core.density.maxpods import DensityOptions, max_pods
from netconform.core.instance_types import bundled_limits

EXPECTED_FAKE_NODES = 200


def test_fake_nodes_are_ready_and_carry_eks_capacities(
    kube: KubeCluster, record_property: pytest.RecordProperty
) -> None:
    started = time.monotonic()
    nodes = kube.core.list_node(label_selector="type=kwok").items
    record_property("list_fake_nodes_seconds", round(time.monotonic() - started, 3))  # tracked, not asserted
    if len(nodes) < EXPECTED_FAKE_NODES:
        pytest.fail(f"{len(nodes)} KWOK nodes; start the bed with `netconform testbed up --nodes-fake 200`")
    not_ready = [
        n.metadata.name
        for n in nodes
        if not any(c.type == "Ready" and c.status == "True" for c in n.status.conditions or [])
    ]
    assert not_ready == []
    types = Counter(n.metadata.labels["node.kubernetes.io/instance-type"] for n in nodes)
    assert len(types) >= 3
    for node in nodes:
        instance_type = node.metadata.labels["node.kubernetes.io/instance-type"]
        expected = max_pods(bundled_limits()[instance_type], DensityOptions()).value
        assert node.status.capacity["pods"] == str(expected), node.metadata.name
