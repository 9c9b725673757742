"""Evidence from pod and node addresses."""

from __future__ import annotations

import pytest

from netconform.core.connectivity.address_ranges import pod_ip_evidence


@pytest.mark.parametrize(
    ("pods", "nodes", "expected"),
    [
        (
            ["10.0.1.17", "10.0.2.9"],
            ["10.0.1.5", "10.0.2.7"],
            "all 2 sampled pod IPs lie in the nodes' ranges",
        ),
        (["192.168.12.4"], ["10.0.1.5"], "none of 1 sampled pod IPs lie in the nodes' ranges"),
        (["10.244.0.5", "10.0.3.3"], ["10.0.1.5"], "1 of 2 sampled pod IPs lie in the nodes' ranges"),
    ],
)
def test_pod_ips_against_node_ranges(pods: list[str], nodes: list[str], expected: str) -> None:
    line = pod_ip_evidence(pods, nodes)
    assert line is not None
    assert line.startswith(expected)


def test_nothing_to_compare_says_nothing() -> None:
    assert pod_ip_evidence([], ["10.0.1.5"]) is None
    assert pod_ip_evidence(["10.0.1.7"], []) is None
