"""What a failed connectivity path usually means, given which related paths passed.

The baseline suite probes each path together with a few *control* paths (the Service check also dials the
backing pod's IP, the DNS check also dials the Service IP, ...). A failure alone says little; the pattern
does: "Service IP unreachable but pod IP reachable" points at kube-proxy, "full-size packets dropped while
TCP transfers pass" at an MTU mismatch. The rules are data, first match wins, and every path has a fallback.

Pure: the adapters collect observations, this module only reads them.
"""

from __future__ import annotations

import enum
import ipaddress
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field

from netconform.core.profiles import EgressSnat


class Path(enum.StrEnum):
    """One kind of connectivity the baseline checks; the value is the check's id."""

    POD_TCP = "pod-to-pod-tcp"
    POD_UDP = "pod-to-pod-udp"
    CROSS_NODE = "pod-to-pod-cross-node"
    CROSS_NODE_SERVICE = "pod-to-service-backend-on-another-node"
    CROSS_NODE_MTU = "mtu-dont-fragment-cross-node"
    CROSS_ENI = "pod-to-pod-cross-eni"
    CLUSTER_IP = "pod-to-cluster-ip"
    NODE_PORT = "pod-to-node-port"
    DNS_FQDN = "dns-fqdn"
    DNS_SHORT = "dns-short-name"
    DNS_HEADLESS = "dns-headless"
    HOST_TO_POD = "host-network-to-pod"
    POD_TO_HOST = "pod-to-host-network"
    NODE_TO_POD = "node-to-pod-kubelet-probe"
    LARGE_TRANSFER = "large-transfer"
    MTU_DF = "mtu-dont-fragment"
    EGRESS_SOURCE = "egress-source-address"


TITLES: dict[Path, str] = {
    Path.POD_TCP: "pod -> pod by pod IP (TCP, same node)",
    Path.POD_UDP: "pod -> pod by pod IP (UDP, same node)",
    Path.CROSS_NODE: "pod -> pod on another node",
    Path.CROSS_NODE_SERVICE: "pod -> ClusterIP Service whose only backend runs on another node",
    Path.CROSS_NODE_MTU: "don't-fragment packet at the interface MTU to a pod on another node",
    Path.CROSS_ENI: "pod -> pod on a secondary ENI of another node",
    Path.CLUSTER_IP: "pod -> ClusterIP Service",
    Path.NODE_PORT: "pod -> NodePort on a node's InternalIP",
    Path.DNS_FQDN: "pod -> Service by its svc.cluster.local name",
    Path.DNS_SHORT: "pod -> Service by its short name (resolv.conf search path)",
    Path.DNS_HEADLESS: "headless Service DNS records",
    Path.HOST_TO_POD: "hostNetwork pod -> pod",
    Path.POD_TO_HOST: "pod -> hostNetwork pod",
    Path.NODE_TO_POD: "node (kubelet) -> pod health check",
    Path.LARGE_TRANSFER: "large payload (well above the MTU), both directions",
    Path.MTU_DF: "don't-fragment packet at the interface MTU, both directions",
    Path.EGRESS_SOURCE: "egress source address seen outside the pod network",
}


@dataclass(frozen=True)
class DiagnosisRule:
    """When ``failed`` fails while every path in ``passed`` passed (and every one in ``also_failed``
    failed), it usually means ``meaning``."""

    failed: Path
    meaning: str
    passed: frozenset[Path] = frozenset()
    also_failed: frozenset[Path] = frozenset()

    def matches(self, failed: Path, observed: Mapping[Path, bool]) -> bool:
        return (
            failed is self.failed
            and all(observed.get(p) is True for p in self.passed)
            and all(observed.get(p) is False for p in self.also_failed)
        )


def _rule(
    failed: Path, meaning: str, passed: Collection[Path] = (), also_failed: Collection[Path] = ()
) -> DiagnosisRule:
    return DiagnosisRule(failed, meaning, frozenset(passed), frozenset(also_failed))


POD_NETWORK_DOWN = (
    "the target pod itself is unreachable by its pod IP: fix pod -> pod first (CNI not ready on the node, "
    "missing host route to the pod's veth, or a NetworkPolicy/firewall in the way); the Service and DNS "
    "failures follow from it"
)

RULES: tuple[DiagnosisRule, ...] = (
    _rule(Path.CLUSTER_IP, POD_NETWORK_DOWN, also_failed=[Path.POD_TCP]),
    _rule(
        Path.CLUSTER_IP,
        "Service IP unreachable but pod IP reachable -> kube-proxy rules: kube-proxy (or the CNI's "
        "replacement for it) has not programmed this Service (check its logs and `iptables-save -t nat | "
        "grep <namespace>/<service>` or `ipvsadm -Ln` on the node), or the EndpointSlice lists no ready "
        "endpoint",
        passed=[Path.POD_TCP],
    ),
    _rule(
        Path.NODE_PORT,
        "ClusterIP works but the NodePort does not -> kube-proxy does not serve NodePorts on that address "
        "(--nodeport-addresses), or a security group/host firewall blocks 30000-32767 to the node",
        passed=[Path.CLUSTER_IP],
    ),
    _rule(Path.NODE_PORT, POD_NETWORK_DOWN, also_failed=[Path.CLUSTER_IP, Path.POD_TCP]),
    _rule(
        Path.DNS_FQDN,
        "the Service IP answers but its name does not -> cluster DNS: CoreDNS down or not reachable at "
        "the kube-dns Service IP (UDP/TCP 53 filtered), or the kubelet's --cluster-dns/--cluster-domain "
        "do not match CoreDNS",
        passed=[Path.CLUSTER_IP],
    ),
    _rule(
        Path.DNS_SHORT,
        "the FQDN resolves but the short name does not -> the pod's /etc/resolv.conf search path: "
        "dnsPolicy, the kubelet's --cluster-domain, or a resolv.conf override",
        passed=[Path.DNS_FQDN],
    ),
    _rule(
        Path.DNS_HEADLESS,
        "ClusterIP names resolve but the headless records are wrong -> CoreDNS's kubernetes plugin does not "
        "see the EndpointSlices (RBAC, stale cache) or a backing pod is not Ready",
        passed=[Path.DNS_FQDN],
    ),
    _rule(
        Path.POD_UDP,
        "TCP passes but UDP does not -> UDP filtered (security group or NACL allowing TCP only, a firewall "
        "rule) or stale conntrack entries for the UDP flow",
        passed=[Path.POD_TCP],
    ),
    _rule(
        Path.CROSS_NODE,
        "same-node traffic works, cross-node does not -> inter-node routing: a missing route to a node's "
        "pod CIDR (VPC route table, host-gw route), security groups between nodes, the overlay tunnel "
        "blocked (VXLAN UDP 4789, IP-in-IP protocol 4), or EC2 source/dest check on with an overlay",
        passed=[Path.POD_TCP],
    ),
    _rule(
        Path.CROSS_NODE_SERVICE,
        "follows from pod -> pod across nodes, which fails as well: fix that path first",
        also_failed=[Path.CROSS_NODE],
    ),
    _rule(
        Path.CROSS_NODE_SERVICE,
        "the backend's pod IP answers from the other node but its Service does not -> kube-proxy on the "
        "client's node has not programmed the remote endpoint (its EndpointSlice view or sync), or the "
        "node's masquerade/conntrack for the DNATed flow",
        passed=[Path.CROSS_NODE],
    ),
    _rule(
        Path.CROSS_NODE_MTU,
        "full-size packets are dropped between nodes while same-node ones pass -> the link between the "
        "nodes is narrower than the pods' interface MTU: an overlay's or VPC link's MTU not subtracted "
        "from the pod MTU (jumbo 9001 pods over a 1500 path, VXLAN's 50 bytes)",
        passed=[Path.MTU_DF, Path.CROSS_NODE],
    ),
    _rule(
        Path.CROSS_ENI,
        "primary-ENI pods are reachable but secondary-ENI ones are not -> policy routing for secondary "
        "ENIs on the node (aws-node's `ip rule`s), the secondary ENI's security groups, or rp_filter",
        passed=[Path.CROSS_NODE],
    ),
    _rule(
        Path.HOST_TO_POD,
        "pods reach each other but the host network does not reach them -> the node's route to the pod "
        "(host-side veth route), rp_filter, or a host firewall in the FORWARD/OUTPUT chain",
        passed=[Path.POD_TCP],
    ),
    _rule(
        Path.POD_TO_HOST,
        "pods reach each other but not the node's own address -> a host firewall (INPUT chain), a security "
        "group without the pod CIDR, or the hostNetwork server not listening on the node IP",
        passed=[Path.POD_TCP],
    ),
    _rule(
        Path.NODE_TO_POD,
        "the kubelet cannot reach the pod it runs: liveness/readiness probes fail, pods never become Ready "
        "or restart -> the node's route to its pods, or a host firewall between the node and the pod CIDR",
    ),
    _rule(
        Path.MTU_DF,
        "full-size packets are dropped while small probes and TCP transfers pass (TCP's MSS hides it) -> "
        "the interface MTU is larger than the path: overlay overhead not subtracted, or MTU differs "
        "between pods/nodes (e.g. jumbo 9001 on one side)",
        passed=[Path.LARGE_TRANSFER],
    ),
    _rule(
        Path.LARGE_TRANSFER,
        "small probes pass but large transfers stall -> MTU black hole: the path is narrower than the "
        "interface MTU and ICMP 'fragmentation needed' is filtered, so path-MTU discovery cannot fix it",
        passed=[Path.POD_TCP],
    ),
)

FALLBACK: dict[Path, str] = {
    Path.POD_TCP: "the pod network does not carry traffic between pods: CNI not ready on the node, IPAM out "
    "of addresses, or a NetworkPolicy/firewall in the way (no policy exists in the check's namespace)",
    Path.POD_UDP: "UDP between pods fails: firewall, conntrack or a CNI without UDP support on that path",
    Path.CROSS_NODE: "pods on different nodes cannot reach each other: inter-node routing or security groups",
    Path.CROSS_NODE_SERVICE: "a Service with a backend on another node is unreachable: kube-proxy or routing",
    Path.CROSS_NODE_MTU: "packets at the interface MTU are dropped between nodes: the path is narrower",
    Path.CROSS_ENI: "pods on secondary ENIs are unreachable: ENI routing or security groups",
    Path.CLUSTER_IP: "the Service IP is unreachable: kube-proxy rules or the endpoints behind it",
    Path.NODE_PORT: "the NodePort is unreachable: kube-proxy NodePort rules or a security group",
    Path.DNS_FQDN: "the Service name does not resolve or connect: cluster DNS",
    Path.DNS_SHORT: "the short name does not resolve: resolv.conf search path",
    Path.DNS_HEADLESS: "headless Service records do not list the ready pods: CoreDNS or EndpointSlices",
    Path.HOST_TO_POD: "the host network cannot reach pods: host routes or a host firewall",
    Path.POD_TO_HOST: "pods cannot reach the node's address: host firewall or security groups",
    Path.NODE_TO_POD: "kubelet health checks cannot reach the pod: host routes or a host firewall",
    Path.LARGE_TRANSFER: "large transfers fail: MTU/path-MTU problem",
    Path.MTU_DF: "packets at the interface MTU are dropped: MTU larger than the path",
    Path.EGRESS_SOURCE: "the egress source address differs from what the CNI profile implies: SNAT settings",
}


def diagnose(failed: Path, observed: Mapping[Path, bool]) -> str:
    """The usual meaning of ``failed`` given the other paths' outcomes (True passed, False failed)."""
    for rule in RULES:
        if rule.matches(failed, observed):
            return rule.meaning
    return FALLBACK[failed]


@dataclass(frozen=True)
class PathFailure:
    """One failed path, written for the person who has to fix it."""

    path: Path
    source: str  # e.g. "pod nc-…/b (10.244.0.4, node n1)"
    target: str
    detail: str  # what was observed: agnhost's word, the answer that came back, ...
    reproduce: str  # a command a person can paste
    observed: Mapping[Path, bool] = field(default_factory=dict)

    @property
    def meaning(self) -> str:
        return diagnose(self.path, self.observed)

    def message(self) -> str:
        controls = ", ".join(
            f"{p.value} {'passed' if ok else 'FAILED'}"
            for p, ok in self.observed.items()
            if p is not self.path
        )
        lines = [
            f"{self.path.value} FAILED: {TITLES[self.path]}",
            f"  from:      {self.source}",
            f"  to:        {self.target}",
            f"  observed:  {self.detail}",
        ]
        if controls:
            lines.append(f"  controls:  {controls}")
        lines += [f"  reproduce: {self.reproduce}", f"  usually:   {self.meaning}"]
        return "\n".join(lines)


# --- cross-node patterns --------------------------------------------------------------------------------


def node_cut_off(
    pairs: Collection[tuple[str, str]],
    failed: Collection[tuple[str, str]],
    answered_unreachable: Collection[tuple[str, str]] = (),
) -> str | None:
    """The one node that every failed (source node, target node) pair involves, failing both to and from
    it, while every pair without it passed: that node's pod addresses are not routed between the nodes.

    With two nodes every pair involves both; then the direction tells: a hop without the route answers the
    sender at once ("network is unreachable") on the way *to* the cut-off node, while the way back loses
    only the replies (a timeout). ``answered_unreachable``: the failed pairs that got such an answer.
    """
    if not failed:
        return None
    candidates = []
    for node in sorted(set.intersection(*({s, t} for s, t in failed))):
        to_it = any(t == node for _, t in failed)
        from_it = any(s == node for s, _ in failed)
        involved = {p for p in pairs if node in p}
        if to_it and from_it and involved == set(failed):
            candidates.append(node)
    if len(candidates) > 1 and answered_unreachable:
        candidates = [n for n in candidates if all(t == n for _, t in answered_unreachable)]
    return candidates[0] if len(candidates) == 1 else None


def missing_route_note(node: str, pod_cidr: str | None) -> str:
    cidr = pod_cidr or "its pod CIDR"
    return (
        f"; every pair to and from node {node} fails, every other pair passes: no route to {node}'s pod "
        f"CIDR {cidr} between the nodes (the VPC route table or host-gw route for {cidr} via the node's IP "
        f"is missing; `ip route get <pod ip>` on the path shows where it goes)"
    )


# --- MTU ------------------------------------------------------------------------------------------------

IPV4_ICMP_OVERHEAD = 28  # 20 bytes IPv4 header + 8 bytes ICMP header


def ping_payload_for_mtu(mtu: int) -> int:
    """The ICMP payload that makes an IPv4 echo request exactly ``mtu`` bytes long."""
    if mtu <= IPV4_ICMP_OVERHEAD:
        raise ValueError(f"MTU {mtu} is too small for an IPv4 ping")
    return mtu - IPV4_ICMP_OVERHEAD


def mtu_note(source_mtu: int | None, target_mtu: int | None) -> str:
    """A hint when the two ends of a dropped full-size packet disagree about the MTU."""
    if source_mtu is None or target_mtu is None or source_mtu == target_mtu:
        return ""
    return (
        f"; the interface MTUs differ (source {source_mtu}, target {target_mtu}): packets the source "
        f"may send at {source_mtu} bytes exceed what the target accepts"
    )


# --- egress source address ------------------------------------------------------------------------------


class EgressSource(enum.Enum):
    POD_IP = "pod IP"
    NODE_IP = "node IP"
    OTHER = "another address (a NAT gateway or proxy)"


def classify_egress_source(seen: str, pod_ip: str, node_ips: Collection[str]) -> EgressSource:
    """Which address a destination outside the pod network saw; ``seen`` may carry a port (ip:port)."""
    address = _strip_port(seen)
    if address == pod_ip:
        return EgressSource.POD_IP
    if address in set(node_ips):
        return EgressSource.NODE_IP
    return EgressSource.OTHER


def expected_egress_source(snat: EgressSnat, external_snat: bool | None = None) -> EgressSource | None:
    """What a destination outside the VPC and the pod network should see; None: no expectation.

    ``external_snat`` is the VPC CNI's AWS_VPC_K8S_CNI_EXTERNALSNAT: when true the node does not SNAT and the
    pod IP leaves the node (a NAT gateway may translate it further, which we cannot tell apart here).
    """
    if snat is EgressSnat.UNKNOWN:
        return None
    if snat is EgressSnat.NODE_IP_OUTSIDE_VPC and external_snat:
        return EgressSource.POD_IP
    return EgressSource.NODE_IP


def egress_meaning(expected: EgressSource, seen: EgressSource) -> str:
    if expected is EgressSource.NODE_IP and seen is EgressSource.POD_IP:
        return (
            "the node did not SNAT: AWS_VPC_K8S_CNI_EXTERNALSNAT=true, the destination is inside the VPC "
            "or EXCLUDE_SNAT_CIDRS, or Calico's natOutgoing is off; replies may not find their way back "
            "through an internet gateway"
        )
    if expected is EgressSource.POD_IP and seen is EgressSource.NODE_IP:
        return (
            "the node SNATs although external SNAT was configured: aws-node has not picked up "
            "AWS_VPC_K8S_CNI_EXTERNALSNAT=true (restart it) or another masquerade rule exists"
        )
    return "an address that is neither the pod's nor the node's: a proxy or NAT device in between"


def _strip_port(address: str) -> str:
    text = address.strip()
    if text.startswith("["):  # [v6]:port
        return text[1 : text.index("]")]
    host, sep, port = text.rpartition(":")
    if sep and port.isdigit():
        try:
            ipaddress.ip_address(host)
            return host
        except ValueError:
            pass
    return text
