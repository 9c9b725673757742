"""Fidelity patches to moto 5.2.5's EC2 ENIs, each one a gap ipamd trips over (vpc-cni-on-testbed.md §2.3).

- ASSIGN_ANSWERS_NEW_ONLY: AssignPrivateIpAddresses answers only the addresses it assigned. moto answers every
  address of the ENI, the primary included, and ipamd would hand the primary to a pod.
- SUBNET_UNIQUE: every address (ENI primaries, secondaries, instance IPs, /28 prefix members) comes from one
  allocator per subnet that skips AWS's five reserved addresses (network, .1 router, .2 DNS, .3, broadcast).
  moto draws ENI addresses at random with no subnet-wide check, and hands out .1 and .3.
- IPV4_PREFIXES: Ipv4PrefixCount on Create/AssignPrivateIpAddresses, Ipv4Prefixes on Unassign and in
  DescribeNetworkInterfaces. moto ignores them, and ipamd's prefix mode waits forever for a /28.
"""

from __future__ import annotations

import enum
import ipaddress
from collections.abc import Iterable
from typing import Any

from moto.core.responses import ActionResult, EmptyResult
from moto.ec2.models import elastic_network_interfaces as eni_models
from moto.ec2.models import subnets as subnet_models
from moto.ec2.responses import elastic_network_interfaces as eni_responses


class Patch(enum.Enum):
    ASSIGN_ANSWERS_NEW_ONLY = "assign-answers-new-only"
    SUBNET_UNIQUE = "subnet-unique"
    IPV4_PREFIXES = "ipv4-prefixes"


class SubnetFull(Exception):
    """EC2's InsufficientFreeAddressesInSubnet / InsufficientCidrBlocks (ipamd matches these strings)."""


_ORIGINAL: dict[str, Any] = {}
_APPLIED: set[Patch] = set()


def _reserved(net: ipaddress.IPv4Network) -> set[str]:
    base = int(net.network_address)
    return {str(ipaddress.IPv4Address(base + i)) for i in range(4)} | {str(net.broadcast_address)}


def _taken(subnet: Any) -> set[str]:
    """Every address the subnet has handed out: ENI addresses, /28 prefix members, instance IPs."""
    used = set(getattr(subnet, "_subnet_ips", {}))
    for eni in subnet.ec2_backend.enis.values():
        if eni.subnet is not subnet:
            continue
        if eni.private_ip_address:
            used.add(eni.private_ip_address)
        used |= {a["PrivateIpAddress"] for a in eni.private_ip_addresses}
        for p in getattr(eni, "ipv4_prefixes", []):
            used |= {str(h) for h in ipaddress.ip_network(p["Ipv4Prefix"])}
    return used


def next_ip(subnet: Any, extra: Iterable[str] = ()) -> str:
    net = ipaddress.IPv4Network(subnet.cidr_block)
    used = _taken(subnet) | set(extra) | _reserved(net)
    for host in net:
        if str(host) not in used:
            return str(host)
    raise SubnetFull("InsufficientFreeAddressesInSubnet")


def next_prefix(subnet: Any) -> str:
    net = ipaddress.IPv4Network(subnet.cidr_block)
    used = _taken(subnet) | _reserved(net)
    for block in net.subnets(new_prefix=28):
        if not any(str(h) in used for h in block):
            return str(block)
    raise SubnetFull("InsufficientCidrBlocks")


def _create_backend(self: Any, subnet: Any, private_ip_address: Any, *args: Any, **kwargs: Any) -> Any:
    eni = _ORIGINAL["create_backend"](self, subnet, private_ip_address, *args, **kwargs)
    if Patch.SUBNET_UNIQUE in _APPLIED and not private_ip_address and not (args and args[0]):
        # moto drew the primary and the secondaries at random; draw them again, one at a time.
        count = len(eni.private_ip_addresses) - 1
        eni.private_ip_addresses = []
        eni.private_ip_address = None
        eni.private_ip_address = next_ip(eni.subnet)
        eni.private_ip_addresses = [{"Primary": True, "PrivateIpAddress": eni.private_ip_address}]
        for _ in range(count):
            eni.private_ip_addresses.append({"Primary": False, "PrivateIpAddress": next_ip(eni.subnet)})
    return eni


def _assign_backend(
    self: Any, eni_id: str, private_ip_addresses: Any = None, secondary_ips_count: Any = None
) -> Any:
    if Patch.SUBNET_UNIQUE not in _APPLIED or private_ip_addresses:
        return _ORIGINAL["assign_backend"](self, eni_id, private_ip_addresses, secondary_ips_count)
    eni = self.get_network_interface(eni_id)
    for _ in range(int(secondary_ips_count or 0)):
        eni.private_ip_addresses.append({"Primary": False, "PrivateIpAddress": next_ip(eni.subnet)})
    return eni


def _subnet_ip(self: Any, instance: Any) -> str:
    if Patch.SUBNET_UNIQUE not in _APPLIED:
        return str(_ORIGINAL["subnet_ip"](self, instance))
    ip = next_ip(self)
    self._subnet_ips[ip] = instance
    return ip


def _assign_prefixes(eni: Any, count: int) -> list[dict[str, str]]:
    added = []
    for _ in range(count):
        p = {"Ipv4Prefix": next_prefix(eni.subnet)}
        eni.ipv4_prefixes = [*eni.ipv4_prefixes, p]  # one at a time: the next draw must see this one
        added.append(p)
    return added


def _assign_response(self: Any) -> Any:
    if not _APPLIED & {Patch.ASSIGN_ANSWERS_NEW_ONLY, Patch.IPV4_PREFIXES}:
        return _ORIGINAL["assign_response"](self)
    eni_id = self._get_param("NetworkInterfaceId")
    eni = self.ec2_backend.get_network_interface(eni_id)
    before = {a["PrivateIpAddress"] for a in eni.private_ip_addresses}
    self.ec2_backend.assign_private_ip_addresses(
        eni_id,
        self._get_param("PrivateIpAddresses", []),
        self._get_int_param("SecondaryPrivateIpAddressCount", 0),
    )
    if Patch.ASSIGN_ANSWERS_NEW_ONLY in _APPLIED:
        answered = [
            {"PrivateIpAddress": a["PrivateIpAddress"]}
            for a in eni.private_ip_addresses
            if a["PrivateIpAddress"] not in before
        ]
    else:
        answered = list(eni.private_ip_addresses)
    result: dict[str, Any] = {"NetworkInterfaceId": eni.id, "AssignedPrivateIpAddresses": answered}
    if Patch.IPV4_PREFIXES in _APPLIED:
        result["AssignedIpv4Prefixes"] = _assign_prefixes(eni, self._get_int_param("Ipv4PrefixCount", 0))
    return ActionResult(result)


def _unassign_response(self: Any) -> Any:
    if Patch.IPV4_PREFIXES in _APPLIED:
        eni = self.ec2_backend.get_network_interface(self._get_param("NetworkInterfaceId"))
        drop = set(self._get_param("Ipv4Prefixes", []))
        eni.ipv4_prefixes = [p for p in eni.ipv4_prefixes if p["Ipv4Prefix"] not in drop]
        self.ec2_backend.unassign_private_ip_addresses(eni.id, self._get_param("PrivateIpAddresses", []))
        return EmptyResult()
    return _ORIGINAL["unassign_response"](self)


def _create_response(self: Any) -> Any:
    result = _ORIGINAL["create_response"](self)
    count = self._get_int_param("Ipv4PrefixCount", 0)
    if Patch.IPV4_PREFIXES in _APPLIED and count:
        eni = result.result["NetworkInterface"]  # the model object; rendered when the response is serialized
        _assign_prefixes(eni, count)
    return result


def apply(patches: Iterable[Patch] = tuple(Patch)) -> None:
    """Install the patches (idempotent); those not named stay off, which is how the tests
    show each is needed."""
    if not _ORIGINAL:
        _ORIGINAL.update(
            create_backend=eni_models.NetworkInterfaceBackend.create_network_interface,
            assign_backend=eni_models.NetworkInterfaceBackend.assign_private_ip_addresses,
            subnet_ip=subnet_models.Subnet.get_available_subnet_ip,
            assign_response=eni_responses.ElasticNetworkInterfaces.assign_private_ip_addresses,
            unassign_response=eni_responses.ElasticNetworkInterfaces.unassign_private_ip_addresses,
            create_response=eni_responses.ElasticNetworkInterfaces.create_network_interface,
        )
        # setattr: these are monkey patches of moto's private API, pinned and tested (tests/unit/awsemu).
        setattr(eni_models.NetworkInterfaceBackend, "create_network_interface", _create_backend)  # noqa: B010
        setattr(eni_models.NetworkInterfaceBackend, "assign_private_ip_addresses", _assign_backend)  # noqa: B010
        setattr(subnet_models.Subnet, "get_available_subnet_ip", _subnet_ip)  # noqa: B010
        responses = eni_responses.ElasticNetworkInterfaces
        setattr(responses, "assign_private_ip_addresses", _assign_response)  # noqa: B010
        setattr(responses, "unassign_private_ip_addresses", _unassign_response)  # noqa: B010
        setattr(responses, "create_network_interface", _create_response)  # noqa: B010
        # moto's serializer renders this attribute as Ipv4Prefixes in DescribeNetworkInterfaces.
        setattr(eni_models.NetworkInterface, "ipv4_prefixes", [])  # noqa: B010
    _APPLIED.clear()
    _APPLIED.update(patches)


def applied() -> frozenset[Patch]:
    return frozenset(_APPLIED)
