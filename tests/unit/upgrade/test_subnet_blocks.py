"""Free /28 blocks and warm-pool needs: the arithmetic EC2 does not report."""

from __future__ import annotations

import ipaddress

import pytest

from netconform.core.upgrade.subnets import (
    SubnetUsage,
    free_address_count,
    free_prefix_blocks,
    parse_networks,
    warm_pool_need,
)

A = ipaddress.IPv4Address


def usage(cidr: str, addresses: tuple[str, ...] = (), blocks: tuple[str, ...] = ()) -> SubnetUsage:
    return SubnetUsage(
        ipaddress.IPv4Network(cidr), frozenset(A(a) for a in addresses), parse_networks(blocks)
    )


@pytest.mark.parametrize(
    ("subnet", "free"),
    [
        # /26 = four /28s; the first holds 4 AWS-reserved addresses, the last the broadcast-reserved one.
        (usage("10.0.0.0/26"), 2),
        # one secondary IP in each middle block kills both, although 54 addresses are still free
        (usage("10.0.0.0/26", ("10.0.0.20", "10.0.0.40")), 0),
        (usage("10.0.0.0/26", blocks=("10.0.0.16/28",)), 1),
        # a reservation bigger than /28 occupies every /28 inside it
        (usage("10.0.0.0/24", blocks=("10.0.0.0/25",)), 7),
        (usage("10.0.0.0/28"), 0),  # a /28 subnet always has reserved addresses in its only block
        (usage("10.0.0.0/29"), 0),  # smaller than a /28: no block at all
    ],
)
def test_free_prefix_blocks(subnet: SubnetUsage, free: int) -> None:
    assert len(free_prefix_blocks(subnet)) == free


def test_free_blocks_are_aligned() -> None:
    blocks = free_prefix_blocks(usage("10.0.0.0/26"))
    assert [str(b) for b in blocks] == ["10.0.0.16/28", "10.0.0.32/28"]


def test_free_address_count_subtracts_reserved_addresses_and_prefixes() -> None:
    subnet = usage("10.0.0.0/26", ("10.0.0.20",), ("10.0.0.32/28",))
    assert free_address_count(subnet) == 64 - 5 - 1 - 16


@pytest.mark.parametrize(
    ("env", "per_eni", "pd", "addresses", "prefixes"),
    [
        ({}, 10, False, 10, 0),  # WARM_ENI_TARGET=1 default: one whole ENI
        ({"WARM_ENI_TARGET": "2"}, 10, False, 20, 0),
        ({"WARM_IP_TARGET": "5"}, 10, False, 5, 0),
        ({"WARM_IP_TARGET": "5", "MINIMUM_IP_TARGET": "12"}, 10, False, 12, 0),
        ({}, 10, True, 16, 1),  # WARM_PREFIX_TARGET=1 default
        ({"WARM_PREFIX_TARGET": "3"}, 10, True, 48, 3),
        ({"WARM_IP_TARGET": "20"}, 10, True, 32, 2),  # prefixes until the IP count is met
        ({"WARM_ENI_TARGET": "junk"}, 4, False, 4, 0),  # unparseable: the default applies
    ],
)
def test_warm_pool_need(env: dict[str, str], per_eni: int, pd: bool, addresses: int, prefixes: int) -> None:
    need = warm_pool_need(env, per_eni, pd)
    assert (need.addresses, need.prefixes) == (addresses, prefixes)
