"""Warm-pool arithmetic against the example tables of the VPC CNI docs.

Rows come from aws/amazon-vpc-cni-k8s docs/eni-and-ip-target.md and docs/prefix-and-ip-target.md
(t3.small: 3 ENIs x 4 IPv4; p3dn.24xlarge: 15 ENIs x 50 IPv4).
"""

from __future__ import annotations

import pytest

from netconform.core.density.maxpods import IpMode, WarmPoolConfig, warm_pool
from netconform.core.instance_types import InstanceLimits
from netconform.errors import InputError

T3_SMALL = InstanceLimits("t3.small", 3, 4, 2, "nitro", False)
P3DN = InstanceLimits("p3dn.24xlarge", 15, 50, 96, "nitro", False)
WARM_ENI_1 = WarmPoolConfig(warm_eni_target=1)


# (instance, config, pods) -> (attached ENIs, secondary IPs, unused IPs), from eni-and-ip-target.md.
@pytest.mark.parametrize(
    ("limits", "config", "pods", "enis", "ips", "free"),
    [
        (T3_SMALL, WARM_ENI_1, 0, 1, 3, 3),
        (T3_SMALL, WARM_ENI_1, 5, 3, 9, 4),
        (T3_SMALL, WARM_ENI_1, 9, 3, 9, 0),
        (T3_SMALL, WarmPoolConfig(warm_ip_target=1, minimum_ip_target=1), 0, 1, 1, 1),
        (T3_SMALL, WarmPoolConfig(warm_ip_target=1, minimum_ip_target=1), 5, 2, 6, 1),
        (T3_SMALL, WarmPoolConfig(warm_ip_target=1, minimum_ip_target=1), 9, 3, 9, 0),
        (T3_SMALL, WarmPoolConfig(warm_ip_target=2, minimum_ip_target=5), 0, 2, 5, 5),
        (T3_SMALL, WarmPoolConfig(warm_ip_target=2, minimum_ip_target=5), 5, 3, 7, 2),
        (T3_SMALL, WarmPoolConfig(warm_ip_target=2, minimum_ip_target=5), 9, 3, 9, 0),
        (P3DN, WARM_ENI_1, 0, 1, 49, 49),
        (P3DN, WARM_ENI_1, 3, 2, 98, 95),
        (P3DN, WARM_ENI_1, 95, 3, 147, 52),
        (P3DN, WarmPoolConfig(warm_ip_target=5, minimum_ip_target=10), 0, 1, 10, 10),
        (P3DN, WarmPoolConfig(warm_ip_target=5, minimum_ip_target=10), 7, 1, 12, 5),
        (P3DN, WarmPoolConfig(warm_ip_target=5, minimum_ip_target=10), 15, 1, 20, 5),
        (P3DN, WarmPoolConfig(warm_ip_target=5, minimum_ip_target=10), 45, 2, 50, 5),
    ],
)
def test_secondary_ip_examples(*, limits, config, pods, enis, ips, free) -> None:
    pool = warm_pool(limits, config, pods)
    assert pool.mode is IpMode.SECONDARY_IP
    assert (pool.enis, pool.ips, pool.free_ips, pool.prefixes) == (enis, ips, free, None)


def pd(**targets: int) -> WarmPoolConfig:
    return WarmPoolConfig(prefix_delegation=True, **targets)


# (instance, config, pods) -> (ENIs, prefixes, unused IPs), from prefix-and-ip-target.md. The p3dn rows of
# that table also list an empty second ENI; we count only ENIs that hold prefixes, so they are checked for
# prefixes and unused IPs only (enis=None). The t3.small 7/20 row at 0 pods says "1" attached prefix but
# "2" prefixes per ENI; MINIMUM_IP_TARGET=20 needs two /28s, as the doc's own rounding note says.
@pytest.mark.parametrize(
    ("limits", "config", "pods", "enis", "prefixes", "free"),
    [
        (T3_SMALL, pd(warm_prefix_target=1), 0, 1, 1, 16),
        (T3_SMALL, pd(warm_prefix_target=1), 5, 1, 2, 27),
        (T3_SMALL, pd(warm_prefix_target=1), 16, 1, 2, 16),
        (T3_SMALL, pd(warm_prefix_target=1), 17, 1, 3, 31),
        (T3_SMALL, pd(warm_prefix_target=1), 58, 2, 5, 22),
        (T3_SMALL, pd(warm_ip_target=1, minimum_ip_target=1), 0, 1, 1, 16),
        (T3_SMALL, pd(warm_ip_target=1, minimum_ip_target=1), 5, 1, 1, 11),
        (T3_SMALL, pd(warm_ip_target=1, minimum_ip_target=1), 17, 1, 2, 15),
        (T3_SMALL, pd(warm_ip_target=1, minimum_ip_target=1), 58, 2, 4, 6),
        (T3_SMALL, pd(warm_ip_target=7, minimum_ip_target=20), 0, 1, 2, 32),
        (T3_SMALL, pd(warm_ip_target=7, minimum_ip_target=20), 5, 1, 2, 27),
        (T3_SMALL, pd(warm_ip_target=7, minimum_ip_target=20), 17, 1, 2, 15),
        (T3_SMALL, pd(warm_ip_target=7, minimum_ip_target=20), 58, 2, 5, 22),
        (P3DN, pd(warm_prefix_target=1), 0, 1, 1, 16),
        (P3DN, pd(warm_prefix_target=1), 3, None, 2, 29),
        (P3DN, pd(warm_prefix_target=1), 95, None, 7, 17),
        (P3DN, pd(warm_ip_target=5, minimum_ip_target=10), 0, 1, 1, 16),
        (P3DN, pd(warm_ip_target=5, minimum_ip_target=10), 7, 1, 1, 9),
        (P3DN, pd(warm_ip_target=5, minimum_ip_target=10), 15, 1, 2, 17),
        (P3DN, pd(warm_ip_target=5, minimum_ip_target=10), 45, None, 4, 19),
    ],
)
def test_prefix_examples(*, limits, config, pods, enis, prefixes, free) -> None:
    pool = warm_pool(limits, config, pods)
    assert pool.mode is IpMode.PREFIX_DELEGATION
    assert (pool.prefixes, pool.free_ips, pool.ips) == (prefixes, free, prefixes * 16)
    if enis is not None:
        assert pool.enis == enis


def test_ip_targets_override_warm_eni_target() -> None:
    pool = warm_pool(T3_SMALL, WarmPoolConfig(warm_eni_target=3, warm_ip_target=1), 0)
    assert (pool.enis, pool.ips) == (1, 1)
    assert pool.rule.startswith("WARM_IP_TARGET=1")


def test_minimum_without_warm_target_stops_at_the_minimum() -> None:
    pool = warm_pool(P3DN, WarmPoolConfig(minimum_ip_target=10), 12)
    assert (pool.ips, pool.free_ips, pool.pods_without_ip) == (10, 0, 2)


def test_max_eni_bounds_the_pool() -> None:
    pool = warm_pool(T3_SMALL, WarmPoolConfig(max_eni=2), 9)
    assert (pool.enis, pool.ips, pool.pods_without_ip) == (2, 6, 3)


def test_full_prefix_node_reports_pods_without_ip() -> None:
    pool = warm_pool(T3_SMALL, pd(warm_prefix_target=1), 150)  # 9 prefixes = 144 IPs at most
    assert (pool.enis, pool.prefixes, pool.pods_without_ip) == (3, 9, 6)


@pytest.mark.parametrize(
    "build",
    [lambda: WarmPoolConfig(warm_ip_target=-1), lambda: WarmPoolConfig(max_eni=0)],
)
def test_bad_settings_are_input_errors(build) -> None:
    with pytest.raises(InputError):
        build()


def test_negative_pods_are_input_errors() -> None:
    with pytest.raises(InputError, match="pods"):
        warm_pool(T3_SMALL, WarmPoolConfig(), -1)


# The real allocator on the bed (tests/vpccni/test_warm_pool.py, v1.22.4, t3.small): after WARM_ENI_TARGET=2
# had attached 2 ENIs, WARM_IP_TARGET=2 with no pods kept both ENIs and 2 IPs; a fresh node attaches 1.
def test_a_shrunk_ip_target_pool_may_keep_an_eni_per_needed_ip() -> None:
    pool = warm_pool(T3_SMALL, WarmPoolConfig(warm_ip_target=2), 0)
    assert (pool.enis, pool.enis_at_most, pool.ips) == (1, 3, 2)
    assert pool.enis <= 2 <= pool.enis_at_most  # what EC2 held


def test_whole_eni_warming_frees_down_to_the_model() -> None:
    pool = warm_pool(T3_SMALL, WARM_ENI_1, 0)
    assert pool.enis_at_most == pool.enis == 1


def test_the_eni_range_never_exceeds_the_enis_the_type_has() -> None:
    pool = warm_pool(T3_SMALL, WarmPoolConfig(warm_ip_target=1, minimum_ip_target=5), 0)
    assert (pool.enis, pool.enis_at_most) == (2, 3)
    assert warm_pool(P3DN, WarmPoolConfig(warm_ip_target=5, minimum_ip_target=10), 0).enis_at_most == 11
