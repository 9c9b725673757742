"""Connectivity baseline: the pod network works before its policies are judged.

One check per path; each failure names the path, both endpoints, the command that reproduces it and what
it usually means, judged against control paths probed alongside (see netconform.core.connectivity.diagnosis).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from netconform.adapters.kube.manifests import ImageSettings
from netconform.checks.connectivity import spread
from netconform.checks.connectivity.baseline import Baseline, CheckResult
from netconform.core.connectivity.diagnosis import EgressSource
from netconform.core.profiles import Detection, Profile

Judge = Callable[[CheckResult], None]

pytestmark = pytest.mark.smoke


def test_pod_to_pod_tcp(judge: Judge, baseline: Baseline) -> None:
    judge(baseline.pod_to_pod_tcp())


def test_pod_to_pod_udp(judge: Judge, baseline: Baseline) -> None:
    judge(baseline.pod_to_pod_udp())


def test_pod_to_pod_across_nodes(judge: Judge, baseline: Baseline, images: ImageSettings) -> None:
    judge(spread.cross_node(baseline, images))


def test_service_backend_on_another_node(judge: Judge, baseline: Baseline, images: ImageSettings) -> None:
    judge(spread.cross_node_service(baseline, images))


def test_dont_fragment_across_nodes(judge: Judge, baseline: Baseline, images: ImageSettings) -> None:
    judge(spread.cross_node_mtu(baseline, images))


def test_pod_to_pod_across_enis(
    judge: Judge, baseline: Baseline, images: ImageSettings, profile: Profile, detection: Detection
) -> None:
    outcome = spread.cross_eni(baseline, images, profile, prefix_delegation=detection.prefix_delegation)
    judge(outcome)


def test_cluster_ip_service(judge: Judge, baseline: Baseline) -> None:
    judge(baseline.cluster_ip())


def test_node_port_on_each_node(judge: Judge, baseline: Baseline) -> None:
    judge(baseline.node_port())


def test_service_by_fqdn(judge: Judge, baseline: Baseline) -> None:
    judge(baseline.dns_fqdn())


def test_service_by_short_name(judge: Judge, baseline: Baseline) -> None:
    judge(baseline.dns_short_name())


def test_headless_service_records(judge: Judge, baseline: Baseline) -> None:
    judge(baseline.dns_headless())


def test_host_network_pod_to_pod(judge: Judge, baseline: Baseline) -> None:
    judge(baseline.host_network_to_pod())


def test_pod_to_host_network_pod(judge: Judge, baseline: Baseline) -> None:
    judge(baseline.pod_to_host_network())


def test_node_to_pod_kubelet_probe(judge: Judge, baseline: Baseline) -> None:
    judge(baseline.node_to_pod())


def test_large_payload_both_directions(judge: Judge, baseline: Baseline) -> None:
    judge(baseline.large_transfer())


def test_dont_fragment_at_interface_mtu(judge: Judge, baseline: Baseline) -> None:
    judge(baseline.mtu_dont_fragment())


def test_egress_source_address(
    judge: Judge, baseline: Baseline, egress_target: str, expected_egress: EgressSource | None
) -> None:
    judge(baseline.egress_source(egress_target, expected_egress))
