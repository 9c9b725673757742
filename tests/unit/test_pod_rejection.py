"""A pod the kubelet rejects for lack of room is told apart from one that failed on its own."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from netconform.adapters.kube.cluster import PodStartFailure, _raise_if_fatal, is_node_full


def _failed_pod(reason: str, message: str) -> Any:
    status = SimpleNamespace(
        phase="Failed", reason=reason, message=message, container_statuses=None, init_container_statuses=None
    )
    return SimpleNamespace(
        metadata=SimpleNamespace(namespace="x", name="a"), spec=SimpleNamespace(node_name="n1"), status=status
    )


def test_a_pod_rejected_by_a_full_node_names_the_node_and_the_way_out() -> None:
    message = "Pod was rejected: Node didn't have enough resource: pods, requested: 1, used: 11, capacity: 11"
    with pytest.raises(PodStartFailure) as failure:
        _raise_if_fatal(_failed_pod("OutOfpods", message))
    assert failure.value.reason == "OutOfpods"
    text = str(failure.value)
    assert text.startswith("pod x/a was rejected by node n1: Pod was rejected: Node didn't have enough")
    assert "--node-selector" in text
    assert "kubectl describe node n1" in text


def test_other_failures_keep_their_own_line() -> None:
    with pytest.raises(PodStartFailure) as failure:
        _raise_if_fatal(_failed_pod("Evicted", "The node was low on resource: memory."))
    assert str(failure.value) == "pod x/a failed: The node was low on resource: memory."
    assert failure.value.reason == ""


@pytest.mark.parametrize(
    ("reason", "full"),
    [("OutOfpods", True), ("OutOfcpu", True), ("OutOfmemory", True), ("Evicted", False), ("", False)],
)
def test_node_full_reasons(reason: str, full: bool) -> None:
    assert is_node_full(reason) is full
