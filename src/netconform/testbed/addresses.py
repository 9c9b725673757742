"""Every address the test bed uses. All of them live on bridges, veths and network namespaces the test bed
creates; guard rules drop them on the machine's external interface so nothing leaves the machine."""

from __future__ import annotations

import enum
import ipaddress
from dataclasses import dataclass

POD_CIDR = ipaddress.IPv4Network("10.244.0.0/16")
SERVICE_CIDR = ipaddress.IPv4Network("10.96.0.0/16")
API_SERVICE_IP = ipaddress.IPv4Address("10.96.0.1")
DNS_SERVICE_IP = ipaddress.IPv4Address("10.96.0.10")
FAKE_POD_CIDR = ipaddress.IPv4Network("10.250.0.0/16")  # KWOK's fake pods: never probed, never routed out

# The control plane (etcd, kube-apiserver) sits in its own network namespace, nc-cp, which is also the
# "VPC" router: every node hangs off it on a /30 of its own, and it routes each node's pod CIDR to that node
# (host-gw style, as a flat VPC routes ENI addresses). The API server thus reaches pods across a routed hop,
# as on EKS, and NetworkPolicy engines do not exempt it as "local". The machine's root namespace reaches the
# API server over one more /30 and nothing else (no route of a node, no pod address).
CONTROL_PLANE_LINK = ipaddress.IPv4Network("172.30.0.0/30")
ADMIN_IP = ipaddress.IPv4Address("172.30.0.1")  # root-namespace end: kubectl, the tests, controllers
API_IP = ipaddress.IPv4Address("172.30.0.2")  # control-plane end: where kube-apiserver listens
API_PORT = 6443

# A host outside the pod network, for egress source-address checks: its own namespace behind the router.
EXTERNAL_LINK = ipaddress.IPv4Network("172.30.1.0/30")
EXTERNAL_GATEWAY_IP = ipaddress.IPv4Address("172.30.1.1")
EXTERNAL_HOST_IP = ipaddress.IPv4Address("172.30.1.2")

# Node i's link to the router is 172.30.(16+i).0/30: .1 the router, .2 the node's InternalIP.
NODE_LINKS = ipaddress.IPv4Network("172.30.16.0/20")
MAX_NODES = 3
DEFAULT_NODES = 2  # what `make conformance` and CI use: cross-node paths are proven for real
DEFAULT_LINK_MTU = 1500

# The emulated VPC of the VPC CNI profile (testbed.awsemu: its subnet, ENIs and pod addresses). It exists only
# in the node namespaces and the router; the root namespace sinks it like the other ranges.
VPC_CIDR = ipaddress.IPv4Network("192.168.0.0/16")

GUARDED_RANGES = (
    POD_CIDR,
    SERVICE_CIDR,
    FAKE_POD_CIDR,
    CONTROL_PLANE_LINK,
    EXTERNAL_LINK,
    NODE_LINKS,
    VPC_CIDR,
)

CLUSTER_DOMAIN = "cluster.local"
NODE_NAME_PREFIX = "netconform-node-"
REGION = "testbed"
INSTANCE_TYPE = "netconform-testbed"  # not an EC2 type: the density check says so instead of guessing

# Names of the links and namespaces we create (kept short: interface names are at most 15 characters).
CP_NETNS = "nc-cp"
EXT_NETNS = "nc-ext"
CP_VETH_HOST = "nc-cp0"
CP_VETH_NS = "nc-cp1"
EXT_VETH_ROUTER = "nc-ext0"  # in nc-cp
EXT_VETH_NS = "nc-ext1"
SINK_BRIDGE = "nc-sink"
POD_BRIDGE = "cni0"


class Topology(enum.Enum):
    """Whether the control plane can open connections to pod IPs."""

    ROUTABLE = "routable"  # like the Amazon VPC CNI: pods hold VPC addresses the control plane reaches
    ISOLATED = "isolated"  # like a Calico overlay on EKS: the control plane reaches nodes, never pod IPs


@dataclass(frozen=True)
class NodeSpec:
    """Everything that names one real node of the bed: its namespace, link, addresses and cgroup root."""

    index: int  # 1-based

    @property
    def name(self) -> str:
        return f"{NODE_NAME_PREFIX}{self.index}"

    @property
    def netns(self) -> str:
        return f"nc-n{self.index}"

    @property
    def link(self) -> ipaddress.IPv4Network:
        return ipaddress.IPv4Network(f"172.30.{NODE_LINKS.network_address.packed[2] + self.index}.0/30")

    @property
    def router_ip(self) -> ipaddress.IPv4Address:
        return self.link.network_address + 1

    @property
    def ip(self) -> ipaddress.IPv4Address:
        """The node's InternalIP (the kubelet, kube-proxy and NodePorts listen here)."""
        return self.link.network_address + 2

    @property
    def veth_node(self) -> str:
        return f"nc-n{self.index}n"  # in the node's namespace

    @property
    def veth_router(self) -> str:
        return f"nc-n{self.index}r"  # in nc-cp

    @property
    def cgroup_root(self) -> str:
        return f"/nc-node-{self.index}"

    @property
    def zone(self) -> str:
        return f"{REGION}-{'abcdefghi'[self.index - 1]}"

    @property
    def labels(self) -> dict[str, str]:
        return {
            "node.kubernetes.io/instance-type": INSTANCE_TYPE,
            "topology.kubernetes.io/region": REGION,
            "topology.kubernetes.io/zone": self.zone,
        }


def node(index: int) -> NodeSpec:
    if not 1 <= index <= 9:
        raise ValueError(f"node index {index} out of range")
    return NodeSpec(index)


def nodes(count: int) -> tuple[NodeSpec, ...]:
    return tuple(node(i) for i in range(1, count + 1))


FIRST_NODE = NodeSpec(1)


def node_named(name: str) -> NodeSpec:
    """The real node called ``name`` (netconform-node-<i>)."""
    suffix = name.removeprefix(NODE_NAME_PREFIX)
    if suffix == name or not suffix.isdigit():
        raise ValueError(f"{name!r} is not a node of the test bed")
    return node(int(suffix))
