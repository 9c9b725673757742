"""The emulated VPC's datapath: every ENI attached to an emulated instance is a veth whose node end carries
the ENI's MAC inside the node's network namespace and whose router end sits in the router namespace (nc-cp),
and the router routes every address and /28 prefix EC2 assigned to that ENI to it.

Driven by the emulator's hooks, inside the EC2 request that changed the state (attach, detach, assign,
unassign), so the link and the routes exist before EC2 answers ipamd: no polling. Both ends of a veth are
created directly in their namespaces (``ip -n <node> link add ... peer ... netns nc-cp``), so no ENI link ever
exists in the machine's own namespace.

Names: node end ``nc<i>e<device>``, router end ``nc<i>v<device>`` (at most 15 characters for i, device < 10).
The primary ENI (device 0) is configured as EC2's DHCP would: its address on the node end and the default
route via the subnet's gateway (.1), which every router end holds as a /32 and answers for; proxy ARP on the
router ends answers for the rest of the subnet (other nodes' ENIs and pods), as the VPC's router does.
"""

from __future__ import annotations

import ipaddress
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from netconform.testbed.awsemu import NODE_SUBNET_CIDR, VPC_CIDR

ROUTER_NETNS = "nc-cp"  # the bed's router (testbed.addresses.CP_NETNS)
ROOT_LINK = "nc-cp1"  # nc-cp's end of the link to the machine's root namespace
ENI_MTU = 9001  # EC2's jumbo frames inside a VPC; ipamd sets it on every ENI too
GATEWAY = NODE_SUBNET_CIDR.network_address + 1  # the VPC router's address in the subnet


@dataclass(frozen=True)
class Route:
    """One route in the router namespace: ``destination [via via] dev device``."""

    destination: str
    device: str
    via: str | None = None

    def argv(self) -> list[str]:
        return [self.destination, *(["via", self.via] if self.via else []), "dev", self.device]


def link_names(node_index: int, device_index: int) -> tuple[str, str]:
    """(node end, router end) of one ENI's veth."""
    return f"nc{node_index}e{device_index}", f"nc{node_index}v{device_index}"


def node_netns(node_index: int) -> str:
    return f"nc-n{node_index}"


def wanted_routes(backend: Any, instances: Mapping[int, str]) -> dict[str, Route]:
    """Every route the router needs for the ENIs attached to ``instances`` (node index -> instance id):
    each ENI's primary address on its own link, its secondary addresses and /28 prefixes via that primary
    (the node end answers ARP for the primary, never for a pod address)."""
    routes: dict[str, Route] = {}
    for index, instance_id in sorted(instances.items()):
        for device, eni in sorted(backend.get_instance(instance_id).nics.items()):
            _, router_end = link_names(index, int(device))
            primary = eni.private_ip_address
            routes[f"{primary}/32"] = Route(f"{primary}/32", router_end)
            for address in eni.private_ip_addresses:
                ip = address["PrivateIpAddress"]
                if ip != primary:
                    routes[f"{ip}/32"] = Route(f"{ip}/32", router_end, primary)
            for prefix in getattr(eni, "ipv4_prefixes", []):
                block = str(ipaddress.IPv4Network(prefix["Ipv4Prefix"]))
                routes[block] = Route(block, router_end, primary)
    return routes


Runner = Callable[[Sequence[str]], None]


@dataclass(eq=False)
class Datapath:
    """Links and router routes of the emulated VPC; ``run`` executes one ``ip``/``sysctl``/``iptables`` argv
    (raises on failure)."""

    run: Runner
    instances: dict[int, str] = field(default_factory=dict)  # node index -> instance id
    plugged: dict[tuple[int, int], str] = field(default_factory=dict)  # (node, device) -> ENI id
    routed: dict[str, Route] = field(default_factory=dict)
    log: Callable[[str], None] = print
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def set_up_router(self) -> None:
        """The VPC range never reaches the machine's root namespace through the router (the root has no
        route back either: it sinks 192.168.0.0/16, and its guard drops it on the external interface)."""
        for direction in (["-s", str(VPC_CIDR), "-o", ROOT_LINK], ["-d", str(VPC_CIDR), "-i", ROOT_LINK]):
            self.run(
                [
                    "ip",
                    "netns",
                    "exec",
                    ROUTER_NETNS,
                    "iptables",
                    "-w",
                    "5",
                    "-I",
                    "FORWARD",
                    *direction,
                    "-m",
                    "comment",
                    "--comment",
                    "netconform: the VPC stays in the bed",
                    "-j",
                    "DROP",
                ]
            )

    def add_instance(self, node_index: int, instance_id: str, primary_mac: str, primary_ip: str) -> None:
        """Plug the instance's primary ENI and configure it as EC2's DHCP would."""
        with self._lock:
            self.instances[node_index] = instance_id
            node_end, _ = self._plug(node_index, 0, primary_mac, "primary")
            netns = node_netns(node_index)
            self.run(
                [
                    "ip",
                    "-n",
                    netns,
                    "addr",
                    "replace",
                    f"{primary_ip}/{NODE_SUBNET_CIDR.prefixlen}",
                    "dev",
                    node_end,
                ]
            )
            self.run(["ip", "-n", netns, "link", "set", node_end, "up"])
            self.run(["ip", "-n", netns, "route", "replace", "default", "via", str(GATEWAY), "dev", node_end])

    def on_eni(self, kind: str, instance_id: str, eni_id: str, mac: str, device_index: int) -> None:
        index = next((i for i, iid in self.instances.items() if iid == instance_id), None)
        if index is None:
            return  # not an instance of the bed (tests create others)
        with self._lock:
            if kind == "attach":
                self._plug(index, device_index, mac, eni_id)
            elif (index, device_index) in self.plugged:
                self._drop_routes_through(link_names(index, device_index)[1])
                node_end, _ = link_names(index, device_index)
                self.run(["ip", "-n", node_netns(index), "link", "del", node_end])
                del self.plugged[(index, device_index)]
                self.log(f"datapath: unplugged {eni_id} ({node_end})")

    def reconcile(self, backend: Any) -> None:
        """Make the router's routes match EC2's state (called after every request that may change it)."""
        with self._lock:
            wanted = {
                k: r
                for k, r in wanted_routes(backend, self.instances).items()
                if self._plugged_router_end(r.device)
            }
            for key in [k for k, r in self.routed.items() if wanted.get(k) != r]:
                self.run(["ip", "-n", ROUTER_NETNS, "route", "del", self.routed.pop(key).destination])
            for key, route in wanted.items():
                if key not in self.routed:
                    self.run(["ip", "-n", ROUTER_NETNS, "route", "replace", *route.argv()])
                    self.routed[key] = route

    def tear_down(self) -> None:
        """Remove every link and route this datapath created (a node namespace's deletion does too)."""
        with self._lock:
            for route in self.routed.values():
                self._quiet(["ip", "-n", ROUTER_NETNS, "route", "del", route.destination])
            self.routed.clear()
            for index, device in list(self.plugged):
                self._quiet(["ip", "-n", node_netns(index), "link", "del", link_names(index, device)[0]])
            self.plugged.clear()

    def _plug(self, index: int, device: int, mac: str, eni_id: str) -> tuple[str, str]:
        node_end, router_end = link_names(index, device)
        if (index, device) not in self.plugged:
            self.run(
                [
                    "ip",
                    "-n",
                    node_netns(index),
                    "link",
                    "add",
                    node_end,
                    "address",
                    mac,
                    "mtu",
                    str(ENI_MTU),
                    "type",
                    "veth",
                    "peer",
                    "name",
                    router_end,
                    "mtu",
                    str(ENI_MTU),
                    "netns",
                    ROUTER_NETNS,
                ]
            )
            self.plugged[(index, device)] = eni_id
            self.run(["ip", "-n", ROUTER_NETNS, "addr", "replace", f"{GATEWAY}/32", "dev", router_end])
            self.run(
                [
                    "ip",
                    "netns",
                    "exec",
                    ROUTER_NETNS,
                    "sysctl",
                    "-qw",
                    f"net.ipv4.conf.{router_end}.proxy_arp=1",
                ]
            )
            self.run(["ip", "-n", ROUTER_NETNS, "link", "set", router_end, "up"])
            self.log(f"datapath: plugged {eni_id} {mac} as {node_end} <-> {router_end}")
        return node_end, router_end

    def _plugged_router_end(self, device: str) -> bool:
        return any(link_names(i, d)[1] == device for i, d in self.plugged)

    def _drop_routes_through(self, router_end: str) -> None:
        for key in [k for k, r in self.routed.items() if r.device == router_end]:
            self._quiet(["ip", "-n", ROUTER_NETNS, "route", "del", self.routed.pop(key).destination])

    def _quiet(self, argv: Sequence[str]) -> None:
        try:
            self.run(argv)
        except Exception as err:  # teardown goes on; the node namespace's deletion removes the rest
            self.log(f"datapath: {' '.join(argv)}: {err}")
