"""aws-emu's datapath, driven by real EC2 requests to the patched moto: attach plugs a veth whose node end
carries the ENI's MAC in the node's namespace, every assigned address and /28 is routed by the router
through that ENI's link, detach unplugs it. The commands are recorded, not run (no namespaces here)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import pytest

from netconform.testbed.awsemu.datapath import GATEWAY, Datapath, Route, wanted_routes
from netconform.testbed.awsemu.emulator import Emulator

NODE = 7  # a node index no other test's instance uses


@pytest.fixture
def datapath(emu: Emulator) -> Iterator[tuple[Datapath, list[list[str]]]]:
    commands: list[list[str]] = []

    def record(argv: Sequence[str]) -> None:
        commands.append(list(argv))

    dp = Datapath(run=record, log=lambda _line: None)
    inst = emu.add_instance(f"dp-{len(emu.instances)}", "t3.small")
    dp.add_instance(NODE, inst.instance_id, inst.primary_mac, inst.primary_ip)

    def on_eni(e: Any) -> None:
        dp.on_eni(e.kind, e.instance_id, e.eni_id, e.mac, e.device_index)

    emu.hooks.append(on_eni)
    emu.changed.append(dp.reconcile)
    yield dp, commands
    emu.hooks.remove(on_eni)
    emu.changed.remove(dp.reconcile)


def _routes(commands: list[list[str]]) -> list[list[str]]:
    return [c[5:] for c in commands if c[:5] == ["ip", "-n", "nc-cp", "route", "replace"]]


def test_primary_eni_is_plugged_and_configured_like_dhcp(
    emu: Emulator, datapath: tuple[Datapath, list[list[str]]]
) -> None:
    dp, commands = datapath
    iid = dp.instances[NODE]
    inst = next(i for i in emu.instances.values() if i.instance_id == iid)
    add = next(c for c in commands if c[3:5] == ["link", "add"])
    assert add[:6] == ["ip", "-n", f"nc-n{NODE}", "link", "add", f"nc{NODE}e0"]
    assert add[add.index("address") + 1] == inst.primary_mac  # ipamd finds the ENI by this MAC
    assert add[-2:] == ["netns", "nc-cp"]  # the peer is created in the router, never in the root namespace
    assert [
        "ip",
        "-n",
        f"nc-n{NODE}",
        "route",
        "replace",
        "default",
        "via",
        str(GATEWAY),
        "dev",
        f"nc{NODE}e0",
    ] in (commands)
    dp.reconcile(emu.backend)
    assert [f"{inst.primary_ip}/32", "dev", f"nc{NODE}v0"] in _routes(commands)


def test_attach_assign_prefix_detach(
    ec2: Any, emu: Emulator, datapath: tuple[Datapath, list[list[str]]]
) -> None:
    dp, commands = datapath
    iid = dp.instances[NODE]
    eni = ec2.create_network_interface(
        SubnetId=emu.subnet_id, Groups=[emu.sg_id], SecondaryPrivateIpAddressCount=2
    )["NetworkInterface"]
    primary = eni["PrivateIpAddress"]
    secondaries = [a["PrivateIpAddress"] for a in eni["PrivateIpAddresses"] if not a["Primary"]]
    attachment = ec2.attach_network_interface(
        NetworkInterfaceId=eni["NetworkInterfaceId"], InstanceId=iid, DeviceIndex=1
    )["AttachmentId"]
    add = [c for c in commands if c[3:6] == ["link", "add", f"nc{NODE}e1"]]
    assert len(add) == 1
    assert add[0][add[0].index("address") + 1] == eni["MacAddress"]
    routes = _routes(commands)
    assert [f"{primary}/32", "dev", f"nc{NODE}v1"] in routes
    for ip in secondaries:  # routed before EC2 answered the attach: ipamd can hand them out at once
        assert [f"{ip}/32", "via", primary, "dev", f"nc{NODE}v1"] in routes

    new = ec2.assign_private_ip_addresses(
        NetworkInterfaceId=eni["NetworkInterfaceId"], SecondaryPrivateIpAddressCount=1, Ipv4PrefixCount=1
    )
    ip = new["AssignedPrivateIpAddresses"][0]["PrivateIpAddress"]
    prefix = new["AssignedIpv4Prefixes"][0]["Ipv4Prefix"]
    routes = _routes(commands)
    assert [f"{ip}/32", "via", primary, "dev", f"nc{NODE}v1"] in routes
    assert [prefix, "via", primary, "dev", f"nc{NODE}v1"] in routes

    ec2.unassign_private_ip_addresses(NetworkInterfaceId=eni["NetworkInterfaceId"], PrivateIpAddresses=[ip])
    assert ["ip", "-n", "nc-cp", "route", "del", f"{ip}/32"] in commands
    assert f"{ip}/32" not in dp.routed

    ec2.detach_network_interface(AttachmentId=attachment)
    assert ["ip", "-n", f"nc-n{NODE}", "link", "del", f"nc{NODE}e1"] in commands
    assert not [r for r in dp.routed.values() if r.device == f"nc{NODE}v1"]
    assert (NODE, 1) not in dp.plugged


def test_wanted_routes_ignore_instances_not_of_the_bed(emu: Emulator) -> None:
    other = emu.add_instance(f"other-{len(emu.instances)}", "t3.nano")
    mine = emu.add_instance(f"mine-{len(emu.instances)}", "t3.nano")
    routes = wanted_routes(emu.backend, {2: mine.instance_id})
    assert routes == {f"{mine.primary_ip}/32": Route(f"{mine.primary_ip}/32", "nc2v0")}
    assert f"{other.primary_ip}/32" not in routes


def test_one_imds_answers_as_the_instance_of_the_client_address(emu: Emulator) -> None:
    import threading
    import urllib.error
    import urllib.request

    from netconform.testbed.awsemu import ACCOUNT, REGION, imds

    inst = emu.add_instance(f"src-{len(emu.instances)}", "t3.micro")
    srv = imds.server(emu.backend, {"127.0.0.1": inst.instance_id}.get, REGION, ACCOUNT, ("127.0.0.1", 0))
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{srv.server_port}/latest/meta-data/instance-id"
        with urllib.request.urlopen(url, timeout=5) as r:
            assert r.read().decode() == inst.instance_id
    finally:
        srv.shutdown()
        srv.server_close()
    # The bed's one IMDS: 127.0.0.1 is no instance's primary address, so it is answered 404.
    by_source = emu.serve_imds_by_source(0)
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(f"{by_source}/latest/meta-data/instance-id", timeout=5)
    assert err.value.code == 404
