"""aws-emu: each moto fidelity patch (fails with that patch off), IMDS
formatting, instance types, ENI hooks."""

from __future__ import annotations

import ipaddress
import json
import urllib.error
import urllib.request
from typing import Any

import pytest

from netconform.testbed.awsemu import NODE_SUBNET_CIDR
from netconform.testbed.awsemu.emulator import Emulator, EniEvent

RESERVED = {str(NODE_SUBNET_CIDR.network_address + i) for i in range(4)} | {
    str(NODE_SUBNET_CIDR.broadcast_address)
}


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, ""


def _new_eni(ec2: Any, emu: Emulator, **kw: Any) -> dict[str, Any]:
    return ec2.create_network_interface(SubnetId=emu.subnet_id, Groups=[emu.sg_id], **kw)["NetworkInterface"]


def _all_addresses(ec2: Any) -> list[str]:
    out = []
    for eni in ec2.describe_network_interfaces()["NetworkInterfaces"]:
        out += [a["PrivateIpAddress"] for a in eni["PrivateIpAddresses"]]
    return out


# --- (a) AssignPrivateIpAddresses answers only the new addresses ---
def test_assign_answers_only_new_addresses(ec2: Any, emu: Emulator) -> None:
    eni = _new_eni(ec2, emu)
    primary = eni["PrivateIpAddress"]
    out = ec2.assign_private_ip_addresses(
        NetworkInterfaceId=eni["NetworkInterfaceId"], SecondaryPrivateIpAddressCount=3
    )
    answered = [a["PrivateIpAddress"] for a in out["AssignedPrivateIpAddresses"]]
    assert len(answered) == 3, answered
    assert primary not in answered  # ipamd would hand the primary to a pod


# --- (b) subnet-unique allocation that skips AWS's reserved addresses ---
def test_allocation_is_subnet_unique_and_skips_reserved(ec2: Any, emu: Emulator) -> None:
    for _ in range(6):
        eni = _new_eni(ec2, emu, SecondaryPrivateIpAddressCount=5)
        ec2.assign_private_ip_addresses(
            NetworkInterfaceId=eni["NetworkInterfaceId"], SecondaryPrivateIpAddressCount=5
        )
    emu.add_instance(f"extra-{len(emu.instances)}", "t3.nano")  # RunInstances draws from the same allocator
    addrs = _all_addresses(ec2)
    assert len(addrs) == len(set(addrs)), sorted(a for a in addrs if addrs.count(a) > 1)
    assert not RESERVED & set(addrs), sorted(RESERVED & set(addrs))
    # sequential from .4 up: a random draw in a /19 would almost never be this dense
    hosts = sorted(int(ipaddress.IPv4Address(a)) - int(NODE_SUBNET_CIDR.network_address) for a in addrs)
    assert (hosts[0], hosts[-1]) == (4, 3 + len(hosts)), hosts


# --- (c) IPv4 /28 prefixes ---
def test_ipv4_prefixes_assign_describe_unassign_create(ec2: Any, emu: Emulator) -> None:
    eni = _new_eni(ec2, emu, Ipv4PrefixCount=1)
    eni_id = eni["NetworkInterfaceId"]
    out = ec2.assign_private_ip_addresses(NetworkInterfaceId=eni_id, Ipv4PrefixCount=2)
    assigned = [p["Ipv4Prefix"] for p in out.get("AssignedIpv4Prefixes", [])]
    assert len(assigned) == 2, out
    described = ec2.describe_network_interfaces(NetworkInterfaceIds=[eni_id])["NetworkInterfaces"][0]
    prefixes = [p["Ipv4Prefix"] for p in described.get("Ipv4Prefixes", [])]
    assert len(set(prefixes)) == len(prefixes) == 3, prefixes
    nets = [ipaddress.IPv4Network(p) for p in prefixes]
    assert all(n.prefixlen == 28 and n.subnet_of(NODE_SUBNET_CIDR) for n in nets), nets
    taken = set(_all_addresses(ec2))
    assert not any(str(h) in taken or str(h) in RESERVED for n in nets for h in n), nets
    ec2.unassign_private_ip_addresses(NetworkInterfaceId=eni_id, Ipv4Prefixes=[prefixes[0]])
    left = ec2.describe_network_interfaces(NetworkInterfaceIds=[eni_id])["NetworkInterfaces"][0]
    assert [p["Ipv4Prefix"] for p in left.get("Ipv4Prefixes", [])] == prefixes[1:]


# --- IMDS from moto's live state ---
def test_imds_formatting_and_live_state(ec2: Any, emu: Emulator) -> None:
    inst = emu.add_instance("imds-node", "t3.small")
    md = f"{inst.imds_url}/latest/meta-data"
    assert _get(f"{md}/mac") == (200, inst.primary_mac)  # no trailing newline: ipamd compares it untrimmed
    assert _get(f"{md}/instance-type") == (200, "t3.small")
    assert _get(f"{md}/local-ipv4") == (200, inst.primary_ip)
    code, listing = _get(f"{md}/")
    assert code == 200
    assert "network/" in listing.split("\n")
    assert "mac" in listing.split("\n")
    base = f"{md}/network/interfaces/macs/{inst.primary_mac}"
    code, fields = _get(f"{base}/")
    assert code == 200, fields
    assert "local-ipv4s" in fields.split("\n"), fields
    assert _get(f"{base}/ipv4-prefix")[0] == 404  # no prefixes yet: IMDS answers 404, ipamd's IsNotFound
    assert _get(f"{md}/no-such-key")[0] == 404
    ec2.assign_private_ip_addresses(NetworkInterfaceId=inst.primary_eni, SecondaryPrivateIpAddressCount=2)
    ec2.assign_private_ip_addresses(NetworkInterfaceId=inst.primary_eni, Ipv4PrefixCount=1)
    code, ips = _get(f"{base}/local-ipv4s")
    assert code == 200, ips
    assert ips.split("\n")[0] == inst.primary_ip, ips
    assert len(ips.split("\n")) == 3, ips
    described = ec2.describe_network_interfaces(NetworkInterfaceIds=[inst.primary_eni])["NetworkInterfaces"][
        0
    ]
    assert _get(f"{base}/ipv4-prefix") == (200, described["Ipv4Prefixes"][0]["Ipv4Prefix"])
    assert _get(f"{md}/network/interfaces/macs/") == (200, f"{inst.primary_mac}/")
    doc = json.loads(_get(f"{inst.imds_url}/latest/dynamic/instance-identity/document")[1])
    assert doc["instanceId"] == inst.instance_id
    assert doc["region"] == "us-west-2"


def test_imds_token_put_needs_ttl(emu: Emulator) -> None:
    inst = emu.instances.get("imds-node") or emu.add_instance("imds-node", "t3.small")
    ok = urllib.request.Request(
        f"{inst.imds_url}/latest/api/token",
        method="PUT",
        headers={"X-aws-ec2-metadata-token-ttl-seconds": "21600"},
    )
    with urllib.request.urlopen(ok, timeout=5) as r:
        assert r.status == 200
        assert r.read()
    bad = urllib.request.Request(f"{inst.imds_url}/latest/api/token", method="PUT")
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(bad, timeout=5)
    assert err.value.code == 400


def test_instance_type_is_the_chosen_one(ec2: Any, emu: Emulator) -> None:
    inst = emu.add_instance("typed", "m5.large")
    got = ec2.describe_instances(InstanceIds=[inst.instance_id])["Reservations"][0]["Instances"][0]
    assert got["InstanceType"] == "m5.large"


# --- hooks: the bed turns these into veths ---
def test_attach_and_detach_reach_the_hooks(ec2: Any, emu: Emulator, events: list[EniEvent]) -> None:
    inst = emu.add_instance("hooked", "t3.small")
    eni = _new_eni(ec2, emu)
    att = ec2.attach_network_interface(
        NetworkInterfaceId=eni["NetworkInterfaceId"], InstanceId=inst.instance_id, DeviceIndex=1
    )["AttachmentId"]
    ec2.detach_network_interface(AttachmentId=att)
    assert events == [
        EniEvent("attach", inst.instance_id, eni["NetworkInterfaceId"], eni["MacAddress"], 1),
        EniEvent("detach", inst.instance_id, eni["NetworkInterfaceId"], eni["MacAddress"], 1),
    ]
