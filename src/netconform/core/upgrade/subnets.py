"""Subnet address arithmetic for the vpc-cni preflight: free /28 blocks and warm-pool needs.

EC2 reports ``AvailableIpAddressCount`` per subnet but not whether the free space is *contiguous*. Prefix
delegation needs aligned, fully free /28 blocks; a subnet with thousands of scattered free addresses can still
fail with ``InsufficientCidrBlocks``. So we derive the free blocks from the subnet CIDR and what is in use:
ENI addresses, ENI prefixes, CIDR reservations and the five addresses AWS reserves in every subnet.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import math
from collections.abc import Iterable, Mapping

PREFIX_LENGTH = 28  # IPv4 prefix delegation hands out /28 blocks (16 addresses)
ADDRESSES_PER_PREFIX = 16
# AWS reserves the first four addresses and the last one of every subnet (VPC "Subnet CIDR blocks" docs).
RESERVED_AT_START = 4
RESERVED_AT_END = 1

# Documented vpc-cni defaults for the warm-pool knobs (README "CNI Configuration Variables").
DEFAULT_WARM_ENI_TARGET = 1
DEFAULT_WARM_PREFIX_TARGET = 1

IPv4Net = ipaddress.IPv4Network


@dataclasses.dataclass(frozen=True)
class SubnetUsage:
    """What occupies a subnet: single addresses (ENI primaries and secondaries) and whole blocks."""

    cidr: IPv4Net
    addresses: frozenset[ipaddress.IPv4Address] = frozenset()
    blocks: tuple[IPv4Net, ...] = ()  # ENI /28 prefixes and CIDR reservations


def aws_reserved(cidr: IPv4Net) -> frozenset[ipaddress.IPv4Address]:
    first = int(cidr.network_address)
    last = int(cidr.broadcast_address)
    reserved = [first + i for i in range(RESERVED_AT_START)] + [last - i for i in range(RESERVED_AT_END)]
    return frozenset(ipaddress.IPv4Address(a) for a in reserved)


def free_prefix_blocks(usage: SubnetUsage, prefix_length: int = PREFIX_LENGTH) -> tuple[IPv4Net, ...]:
    """The aligned blocks of ``prefix_length`` inside the subnet that nothing occupies."""
    if usage.cidr.prefixlen > prefix_length:
        return ()
    taken = usage.addresses | aws_reserved(usage.cidr)
    # Index occupied blocks by their aligned /prefix_length parent: O(used), not O(blocks x used).
    busy: set[IPv4Net] = {ipaddress.IPv4Network((a, prefix_length), strict=False) for a in taken}
    for block in usage.blocks:
        if block.prefixlen >= prefix_length:
            busy.add(block.supernet(new_prefix=prefix_length))
        else:
            busy.update(block.subnets(new_prefix=prefix_length))
    return tuple(b for b in usage.cidr.subnets(new_prefix=prefix_length) if b not in busy)


def free_address_count(usage: SubnetUsage) -> int:
    """Free addresses by our own count (EC2's ``AvailableIpAddressCount`` is the authority when present)."""
    taken = set(usage.addresses) | set(aws_reserved(usage.cidr))
    for block in usage.blocks:
        taken.update(a for a in block if a in usage.cidr)
    return usage.cidr.num_addresses - len(taken)


@dataclasses.dataclass(frozen=True)
class WarmPoolNeed:
    """What one new node claims from its subnet as soon as ipamd starts, before any pod runs."""

    addresses: int
    prefixes: int  # /28 blocks; 0 outside prefix delegation
    reason: str


def _int_setting(env: Mapping[str, str], name: str) -> int | None:
    raw = env.get(name, "").strip()
    return int(raw) if raw.isdigit() else None


def warm_pool_need(env: Mapping[str, str], ipv4_per_interface: int, prefix_delegation: bool) -> WarmPoolNeed:
    """Per-node warm-pool claim from the vpc-cni env settings.

    The rules follow the README: WARM_IP_TARGET / MINIMUM_IP_TARGET override WARM_ENI_TARGET (and
    WARM_PREFIX_TARGET under prefix delegation, where prefixes are added until the IP count is met).
    """
    warm_ip = _int_setting(env, "WARM_IP_TARGET")
    minimum_ip = _int_setting(env, "MINIMUM_IP_TARGET")
    if warm_ip is not None or minimum_ip is not None:
        ips = max(warm_ip or 0, minimum_ip or 0)
        if prefix_delegation:
            prefixes = math.ceil(ips / ADDRESSES_PER_PREFIX)
            return WarmPoolNeed(prefixes * ADDRESSES_PER_PREFIX, prefixes, f"WARM/MINIMUM_IP_TARGET={ips}")
        return WarmPoolNeed(ips, 0, f"WARM/MINIMUM_IP_TARGET={ips}")
    if prefix_delegation:
        setting = _int_setting(env, "WARM_PREFIX_TARGET")
        prefixes = DEFAULT_WARM_PREFIX_TARGET if setting is None else setting
        # The primary ENI's first prefix is in use by pods; warm prefixes come on top of it.
        return WarmPoolNeed(prefixes * ADDRESSES_PER_PREFIX, prefixes, f"WARM_PREFIX_TARGET={prefixes}")
    setting = _int_setting(env, "WARM_ENI_TARGET")
    enis = DEFAULT_WARM_ENI_TARGET if setting is None else setting
    # A warm ENI takes its primary address plus all its secondary addresses from the subnet.
    return WarmPoolNeed(enis * ipv4_per_interface, 0, f"WARM_ENI_TARGET={enis}")


def parse_networks(cidrs: Iterable[str]) -> tuple[IPv4Net, ...]:
    return tuple(ipaddress.IPv4Network(c, strict=False) for c in cidrs)
