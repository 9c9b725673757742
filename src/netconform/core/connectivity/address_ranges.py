"""Do pod IPs come from the nodes' own address range (VPC CNI: pods hold VPC addresses) or from a separate
range (an overlay)? Evidence for detection; the VPC CIDR itself is not visible from inside the cluster, so the
nodes' addresses stand in for it."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

# Nodes of one VPC share far more than this; a pod range of an overlay (192.168.0.0/16, 10.244.0.0/16, ...)
# is normally disjoint from the node subnets at this width.
_SHARED_PREFIX = 16


def pod_ip_evidence(pod_ips: Sequence[str], node_ips: Sequence[str]) -> str | None:
    """One evidence line, or None when there is nothing to compare."""
    pods = [ipaddress.ip_address(ip) for ip in pod_ips if ip]
    nodes = [ipaddress.ip_address(ip) for ip in node_ips if ip]
    if not pods or not nodes:
        return None
    node_ranges = {
        ipaddress.ip_network(f"{ip}/{_SHARED_PREFIX}", strict=False) for ip in nodes if ip.version == 4
    }
    inside = [ip for ip in pods if any(ip in net for net in node_ranges)]
    ranges = ", ".join(sorted(str(n) for n in node_ranges))
    if len(inside) == len(pods):
        return (
            f"all {len(pods)} sampled pod IPs lie in the nodes' ranges ({ranges}): "
            "pods hold addresses of the node network (VPC CNI-like)"
        )
    if not inside:
        return (
            f"none of {len(pods)} sampled pod IPs lie in the nodes' ranges ({ranges}): "
            "pods use a separate range (overlay-like, or a custom-networking subnet)"
        )
    return f"{len(inside)} of {len(pods)} sampled pod IPs lie in the nodes' ranges ({ranges}): mixed"
