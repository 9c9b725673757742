"""EC2 facts for the preflight: instance types (Nitro?) and subnets with what occupies them."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import Any

from netconform.adapters.aws.errors import DEFAULT_RETRY, RetryPolicy, call
from netconform.adapters.aws.instance_types import fetch_instance_limits
from netconform.core.upgrade.facts import SubnetFacts
from netconform.core.upgrade.subnets import SubnetUsage, parse_networks
from netconform.errors import InputError

# DescribeSubnets / DescribeNetworkInterfaces filters take at most 200 values; stay well below.
IDS_PER_REQUEST = 100


def describe_instance_types(ec2: Any, names: Iterable[str]) -> dict[str, InstanceTypeFacts]:
    """Types EC2 describes; a type it does not know is left out (the rules report it as unknown)."""
    wanted = sorted(set(names))
    if not wanted:
        return {}
    try:
        limits = fetch_instance_limits(wanted, client=ec2)
    except InputError:
        # InvalidInstanceType for one name fails the whole request; ask one by one to keep the known ones.
        limits = {}
        for name in wanted:
            try:
                limits.update(fetch_instance_limits([name], client=ec2))
            except InputError:
                continue
    return {
        name: InstanceTypeFacts(name, lim.hypervisor, lim.bare_metal, lim.ipv4_per_eni)
        for name, lim in limits.items()
    }


def _chunks(ids: list[str]) -> Iterable[list[str]]:
    for start in range(0, len(ids), IDS_PER_REQUEST):
        yield ids[start : start + IDS_PER_REQUEST]


def _paged(action: str, method: Any, key: str, retry: RetryPolicy, **kwargs: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    token: str | None = None
    while True:  # bounded by the API's pages
        page = call(action, method, retry, **kwargs, **({"NextToken": token} if token else {}))
        items.extend(page.get(key, []))
        token = page.get("NextToken")
        if not token:
            return items


def _usage_by_subnet(ec2: Any, subnet_ids: list[str], retry: RetryPolicy) -> dict[str, list[dict[str, Any]]]:
    enis: dict[str, list[dict[str, Any]]] = {sid: [] for sid in subnet_ids}
    for chunk in _chunks(subnet_ids):
        for eni in _paged(
            "ec2:DescribeNetworkInterfaces",
            ec2.describe_network_interfaces,
            "NetworkInterfaces",
            retry,
            Filters=[{"Name": "subnet-id", "Values": chunk}],
        ):
            enis.setdefault(eni.get("SubnetId", ""), []).append(eni)
    return enis


def describe_subnets(
    ec2: Any, subnet_ids: Iterable[str], retry: RetryPolicy = DEFAULT_RETRY
) -> tuple[SubnetFacts, ...]:
    """IPv4 subnets with every address and /28 prefix their ENIs hold (the input to the free-/28 count)."""
    ids = sorted(set(subnet_ids))
    if not ids:
        return ()
    subnets = [
        s
        for chunk in _chunks(ids)
        for s in _paged("ec2:DescribeSubnets", ec2.describe_subnets, "Subnets", retry, SubnetIds=chunk)
    ]
    enis = _usage_by_subnet(ec2, ids, retry)
    facts = []
    for subnet in sorted(subnets, key=lambda s: s["SubnetId"]):
        if not subnet.get("CidrBlock"):
            continue  # IPv6-only subnet: no IPv4 space to count
        addresses = frozenset(
            ipaddress.IPv4Address(a["PrivateIpAddress"])
            for eni in enis.get(subnet["SubnetId"], [])
            for a in eni.get("PrivateIpAddresses", [])
            if a.get("PrivateIpAddress")
        )
        prefixes = parse_networks(
            p["Ipv4Prefix"] for eni in enis.get(subnet["SubnetId"], []) for p in eni.get("Ipv4Prefixes", [])
        )
        facts.append(
            SubnetFacts(
                subnet_id=subnet["SubnetId"],
                availability_zone=str(subnet.get("AvailabilityZone", "")),
                available_ip_count=int(subnet.get("AvailableIpAddressCount", 0)),
                usage=SubnetUsage(ipaddress.IPv4Network(subnet["CidrBlock"]), addresses, prefixes),
            )
        )
    return tuple(facts)
