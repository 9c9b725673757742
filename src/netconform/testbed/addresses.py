"""Every address the test bed uses. All of them live on bridges, veths and network namespaces the test bed
creates; guard rules drop them on the machine's external interface so nothing leaves the machine."""

from __future__ import annotations

import enum
import ipaddress

POD_CIDR = ipaddress.IPv4Network("10.244.0.0/16")
SERVICE_CIDR = ipaddress.IPv4Network("10.96.0.0/16")
API_SERVICE_IP = ipaddress.IPv4Address("10.96.0.1")
DNS_SERVICE_IP = ipaddress.IPv4Address("10.96.0.10")
FAKE_POD_CIDR = ipaddress.IPv4Network("10.250.0.0/16")  # KWOK's fake pods: never probed, never routed out

# The control plane (etcd, kube-apiserver) sits in its own network namespace behind a veth pair, so that it
# reaches pods across a routed hop as on EKS, and NetworkPolicy engines do not exempt it as "local".
CONTROL_PLANE_LINK = ipaddress.IPv4Network("172.30.0.0/30")
NODE_IP = ipaddress.IPv4Address("172.30.0.1")  # root-namespace end: the node's InternalIP
API_IP = ipaddress.IPv4Address("172.30.0.2")  # control-plane end: where kube-apiserver listens
API_PORT = 6443

# A host outside the pod network, for egress source-address checks: its own namespace, reached via the node.
EXTERNAL_LINK = ipaddress.IPv4Network("172.30.1.0/30")
EXTERNAL_GATEWAY_IP = ipaddress.IPv4Address("172.30.1.1")
EXTERNAL_HOST_IP = ipaddress.IPv4Address("172.30.1.2")

GUARDED_RANGES = (POD_CIDR, SERVICE_CIDR, FAKE_POD_CIDR, CONTROL_PLANE_LINK, EXTERNAL_LINK)

CLUSTER_DOMAIN = "cluster.local"
NODE_NAME = "netconform-node"

# Names of the links and namespaces we create (kept short: interface names are at most 15 characters).
CP_NETNS = "nc-cp"
EXT_NETNS = "nc-ext"
CP_VETH_HOST = "nc-cp0"
CP_VETH_NS = "nc-cp1"
EXT_VETH_HOST = "nc-ext0"
EXT_VETH_NS = "nc-ext1"
SINK_BRIDGE = "nc-sink"
POD_BRIDGE = "cni0"


class Topology(enum.Enum):
    """Whether the control plane can open connections to pod IPs."""

    ROUTABLE = "routable"  # like the Amazon VPC CNI: pods hold VPC addresses the control plane reaches
    ISOLATED = "isolated"  # like a Calico overlay on EKS: the control plane reaches nodes, never pod IPs
