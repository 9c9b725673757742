"""Networking of the test bed: namespaces, veths, the "VPC" router, routes and guard rules.

Picture (all on this machine)::

    [root netns] kubectl, tests, controllers 172.30.0.1 --veth-- 172.30.0.2 [nc-cp netns]
      nc-sink (no ports) takes our ranges, so none of them    etcd, kube-apiserver, and the "VPC" router:
      ever follows the default route out of the machine       one route per node pod CIDR (spec.podCIDR)
                                                                   |
    [nc-ext netns] "outside" host 172.30.1.2 --veth-- 172.30.1.1 --+
    [nc-n1 netns + own mount ns] 172.30.17.2 --veth-- 172.30.17.1 -+  10.244.A.0/24 via 172.30.17.2
       containerd, kubelet, kube-proxy, kube-router, cni0 + pods   |
    [nc-n2 netns + own mount ns] 172.30.18.2 --veth-- 172.30.18.1 -+  10.244.B.0/24 via 172.30.18.2
                                                      ... up to nc-n3

Every node's iptables rules, ipsets, routes and its cni0 live in its own namespace; nc-cp has no default
route, so nothing a node sends can leave the machine. Guard rules in the root namespace's mangle table drop
every packet to or from our ranges on the external interface anyway (mangle POSTROUTING sees forwarded and
local packets alike, before masquerading).

Isolation (``--topology isolated``) sits on what the control plane *originates*: each node drops new
connections from nc-cp's own addresses to pod IPs in its mangle FORWARD chain, after kube-proxy's DNAT (so
a Service backed by a pod is cut as well, while one backed by a hostNetwork pod is not), while pod-to-pod
traffic between nodes, which crosses nc-cp too, passes.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Sequence

from netconform.testbed import addresses as a
from netconform.testbed import sysctls
from netconform.testbed.shell import run, succeeds

GUARD_CHAIN = "NETCONFORM-GUARD"
ISOLATE_CHAIN = "NETCONFORM-ISOLATE"
OUR_CHAIN_PREFIXES = ("NETCONFORM-", "KUBE-", "CNI-")  # chains our components create (iptables and ip6tables)
OUR_IPSET_PREFIXES = ("KUBE-", "kube-router", "inet6:KUBE-")
NODE_NETNS = re.compile(r"^nc-n[0-9]+$")
# Every address of nc-cp, whatever the node count: what the control plane's connections come from.
CONTROL_PLANE_SOURCES = (
    a.API_IP,
    a.EXTERNAL_GATEWAY_IP,
    *(a.node(i).router_ip for i in range(1, a.MAX_NODES + 1)),
)


def external_interfaces() -> list[str]:
    """Interfaces that carry default routes: the way out of the machine."""
    out = run(["ip", "-o", "route", "show", "default"])
    devices = {line.split(" dev ")[1].split()[0] for line in out.splitlines() if " dev " in line}
    return sorted(devices)


def set_up() -> None:
    """The control plane's namespace (also the router), the outside host, the root sink and the guards."""
    _ensure_netns(a.CP_NETNS)
    if not succeeds(["ip", "link", "show", a.CP_VETH_HOST]):
        run(
            [
                "ip",
                "link",
                "add",
                a.CP_VETH_HOST,
                "type",
                "veth",
                "peer",
                "name",
                a.CP_VETH_NS,
                "netns",
                a.CP_NETNS,
            ]
        )
    _address(None, a.CP_VETH_HOST, a.ADMIN_IP, a.CONTROL_PLANE_LINK)
    _address(a.CP_NETNS, a.CP_VETH_NS, a.API_IP, a.CONTROL_PLANE_LINK)
    run(["ip", "-n", a.CP_NETNS, "link", "set", "lo", "up"])
    _namespace_sysctls(a.CP_NETNS)  # it routes between the nodes and answers for a missing route at once
    _ensure_netns(a.EXT_NETNS)
    if not succeeds(["ip", "-n", a.CP_NETNS, "link", "show", a.EXT_VETH_ROUTER]):
        run(["ip", "-n", a.CP_NETNS, "link", "add", a.EXT_VETH_ROUTER, "type", "veth", "peer", "name",
             a.EXT_VETH_NS, "netns", a.EXT_NETNS])  # fmt: skip
    _address(a.CP_NETNS, a.EXT_VETH_ROUTER, a.EXTERNAL_GATEWAY_IP, a.EXTERNAL_LINK)
    _address(a.EXT_NETNS, a.EXT_VETH_NS, a.EXTERNAL_HOST_IP, a.EXTERNAL_LINK)
    run(["ip", "-n", a.EXT_NETNS, "link", "set", "lo", "up"])
    run(["ip", "-n", a.EXT_NETNS, "route", "replace", "default", "via", str(a.EXTERNAL_GATEWAY_IP)])
    # The root namespace reaches the API server and nothing else of ours. A bridge with no ports swallows our
    # other ranges, so that nothing addressed to them ever follows the default route out of the machine.
    if not succeeds(["ip", "link", "show", a.SINK_BRIDGE]):
        run(["ip", "link", "add", a.SINK_BRIDGE, "type", "bridge"])
    run(["ip", "link", "set", a.SINK_BRIDGE, "up"])
    for cidr in (a.POD_CIDR, a.SERVICE_CIDR, a.FAKE_POD_CIDR, a.EXTERNAL_LINK, a.NODE_LINKS, a.VPC_CIDR):
        run(["ip", "route", "replace", str(cidr), "dev", a.SINK_BRIDGE])
    _install_guard(external_interfaces())


def add_node(node: a.NodeSpec, mtu: int = a.DEFAULT_LINK_MTU) -> None:
    """The node's namespace and its link to the router, both ends at ``mtu`` (pod routes come later)."""
    _ensure_netns(node.netns)
    if not succeeds(["ip", "-n", a.CP_NETNS, "link", "show", node.veth_router]):
        run(["ip", "-n", a.CP_NETNS, "link", "add", node.veth_router, "type", "veth", "peer", "name",
             node.veth_node, "netns", node.netns])  # fmt: skip
    _address(a.CP_NETNS, node.veth_router, node.router_ip, node.link)
    _address(node.netns, node.veth_node, node.ip, node.link)
    set_link_mtu(node, mtu)
    run(["ip", "-n", node.netns, "link", "set", "lo", "up"])
    # The node's only way anywhere is the router; the router has no default route.
    run(["ip", "-n", node.netns, "route", "replace", "default", "via", str(node.router_ip)])
    _namespace_sysctls(node.netns)


def set_link_mtu(node: a.NodeSpec, mtu: int) -> None:
    """Both ends of the node's link: a smaller value reproduces an overlay's MTU between nodes."""
    run(["ip", "-n", a.CP_NETNS, "link", "set", node.veth_router, "mtu", str(mtu)])
    run(["ip", "-n", node.netns, "link", "set", node.veth_node, "mtu", str(mtu)])


def link_mtu(node: a.NodeSpec) -> int:
    out = run(["ip", "-n", node.netns, "-o", "link", "show", node.veth_node])
    return int(out.split(" mtu ")[1].split()[0])


def route_pods(node: a.NodeSpec, pod_cidr: str) -> None:
    """The router's route to the node's pods (host-gw style: the node is the next hop for its pod CIDR)."""
    run(["ip", "-n", a.CP_NETNS, "route", "replace", pod_cidr, "via", str(node.ip)])
    if node.index == 1:
        route_services(node)


def route_services(node: a.NodeSpec) -> None:
    """The API server reaches Services (webhooks, aggregated APIs) through this node's kube-proxy, which
    masquerades it (its source is outside clusterCIDR), so the answer comes back the same way."""
    run(["ip", "-n", a.CP_NETNS, "route", "replace", str(a.SERVICE_CIDR), "via", str(node.ip)])


def router_routes() -> list[str]:
    return [line for line in run(["ip", "-n", a.CP_NETNS, "route", "show"], check=False).splitlines() if line]


def node_netns_list() -> list[str]:
    """Node namespaces that exist (found by name, whatever the bed was brought up with)."""
    return sorted(n for n in netns_names() if NODE_NETNS.match(n))


def netns_names() -> list[str]:
    return [line.split()[0] for line in run(["ip", "netns", "list"], check=False).splitlines() if line]


def set_topology(topology: a.Topology, nodes: Sequence[a.NodeSpec]) -> None:
    for node in nodes:
        _ensure_chain("mangle", ISOLATE_CHAIN, parent="FORWARD", netns=node.netns)
        run(["ip", "netns", "exec", node.netns, "iptables", "-w", "5", "-t", "mangle", "-F", ISOLATE_CHAIN])
        if topology is a.Topology.ISOLATED:
            _install_isolation(node)


def _ensure_netns(netns: str) -> None:
    if not succeeds(["ip", "netns", "exec", netns, "true"]):
        run(["ip", "netns", "add", netns])


def _address(netns: str | None, device: str, ip: ipaddress.IPv4Address, link: ipaddress.IPv4Network) -> None:
    ns = ["-n", netns] if netns else []
    run(["ip", *ns, "addr", "replace", f"{ip}/{link.prefixlen}", "dev", device])
    run(["ip", *ns, "link", "set", device, "up"])


def _namespace_sysctls(netns: str) -> None:
    """Per-namespace settings (the machine's own values are not touched): forwarding, and ICMP
    "destination unreachable" out of the rate mask (see sysctls.DERIVED)."""
    for name, value in sysctls.NETNS_REQUIRED.items():
        run(["ip", "netns", "exec", netns, "sysctl", "-qw", f"{name}={value}"])
    for name, derive in sysctls.DERIVED.items():
        current = run(["ip", "netns", "exec", netns, "sysctl", "-n", name]).strip()
        run(["ip", "netns", "exec", netns, "sysctl", "-qw", f"{name}={derive(current)}"])


def _install_guard(interfaces: Iterable[str]) -> None:
    _ensure_chain("mangle", GUARD_CHAIN, parent="POSTROUTING")
    run(["iptables", "-t", "mangle", "-F", GUARD_CHAIN])
    for interface in interfaces:
        for cidr in a.GUARDED_RANGES:
            for direction in ("-d", "-s"):
                run(
                    [
                        "iptables",
                        "-t",
                        "mangle",
                        "-A",
                        GUARD_CHAIN,
                        "-o",
                        interface,
                        direction,
                        str(cidr),
                        "-m",
                        "comment",
                        "--comment",
                        "netconform: test bed traffic never leaves the machine",
                        "-j",
                        "DROP",
                    ]
                )


def _install_isolation(node: a.NodeSpec) -> None:
    """The control plane may answer pods but never open a connection to one (Calico overlay on EKS).

    Dropping (not rejecting) new connections makes pod-backed webhooks time out with "context deadline
    exceeded", exactly the symptom EKS users see, instead of failing fast. Matched on nc-cp's own addresses,
    not on the interface: pod traffic from other nodes arrives on the same link and must pass.
    """
    sources = ",".join(str(ip) for ip in CONTROL_PLANE_SOURCES)
    run(
        [
            "ip", "netns", "exec", node.netns, "iptables", "-w", "5", "-t", "mangle", "-A", ISOLATE_CHAIN,
            "-s", sources, "-d", str(a.POD_CIDR), "-m", "conntrack", "--ctstate", "NEW",
            "-m", "comment", "--comment", "netconform isolated topology: control plane cannot reach pod IPs",
            "-j", "DROP",
        ]
    )  # fmt: skip


def _ensure_chain(table: str, chain: str, parent: str, netns: str | None = None) -> None:
    tool = ["ip", "netns", "exec", netns, "iptables", "-w", "5"] if netns else ["iptables", "-w", "5"]
    if not succeeds([*tool, "-t", table, "-S", chain]):
        run([*tool, "-t", table, "-N", chain])
    if not succeeds([*tool, "-t", table, "-C", parent, "-j", chain]):
        run([*tool, "-t", table, "-I", parent, "1", "-j", chain])


def tear_down() -> None:
    """Remove every namespace, link, route, chain and ipset of ours. Idempotent.

    Deleting a namespace removes its links, routes, chains and ipsets with it; the root namespace's own
    are removed by name (also those of beds from before the nodes had namespaces: cni0, kube-bridge, ...)."""
    for netns in (*node_netns_list(), a.EXT_NETNS, a.CP_NETNS):
        if netns in netns_names():
            run(["ip", "netns", "delete", netns], check=False)
    for link in (
        a.CP_VETH_HOST,
        "nc-ext0",
        a.SINK_BRIDGE,
        a.POD_BRIDGE,
        "kube-bridge",
        "kube-dummy-if",
    ):
        if succeeds(["ip", "link", "show", link]):
            run(["ip", "link", "delete", link], check=False)
    for tool in ("iptables", "ip6tables"):
        remove_our_chains(tool)
    for name in run(["ipset", "list", "-n"], check=False).split():
        if name.startswith(OUR_IPSET_PREFIXES):
            run(["ipset", "destroy", name], check=False)


def remove_our_chains(tool: str) -> None:
    """Delete the rules that jump to our chains, then the chains. Parsed from `*-save`, not guessed."""
    dump = run([f"{tool}-save"], check=False)
    table = ""
    jumps: list[tuple[str, str]] = []
    chains: list[tuple[str, str]] = []
    for line in dump.splitlines():
        if line.startswith("*"):
            table = line[1:]
        elif line.startswith(":"):
            chain = line[1:].split()[0]
            if chain.startswith(OUR_CHAIN_PREFIXES):
                chains.append((table, chain))
        elif line.startswith("-A "):
            parent = line.split()[1]
            if parent.startswith(OUR_CHAIN_PREFIXES):
                continue
            if _targets_ours(line):
                jumps.append((table, line[3:]))
    for table_name, rule in jumps:
        run([tool, "-t", table_name, "-D", *_split_rule(rule)], check=False)
    for table_name, chain in chains:
        run([tool, "-t", table_name, "-F", chain], check=False)
    for table_name, chain in chains:
        run([tool, "-t", table_name, "-X", chain], check=False)


def _targets_ours(rule: str) -> bool:
    words = rule.split()
    for flag in ("-j", "-g"):
        if flag in words:
            target = words[words.index(flag) + 1]
            if target.startswith(OUR_CHAIN_PREFIXES):
                return True
    return "kube-router" in rule or "netconform" in rule


def _split_rule(rule: str) -> list[str]:
    import shlex

    return shlex.split(rule)


def our_leftovers() -> list[str]:
    """What of ours is still on the machine (for `status` and the teardown test)."""
    found: list[str] = []
    found += [f"netns {n}" for n in netns_names() if n in (a.CP_NETNS, a.EXT_NETNS) or NODE_NETNS.match(n)]
    for link in (a.CP_VETH_HOST, "nc-ext0", a.SINK_BRIDGE, a.POD_BRIDGE):
        if succeeds(["ip", "link", "show", link]):
            found.append(f"link {link}")
    for tool in ("iptables", "ip6tables"):
        for line in run([f"{tool}-save"], check=False).splitlines():
            if line.startswith(":") and line[1:].split()[0].startswith(OUR_CHAIN_PREFIXES):
                found.append(f"{tool} chain {line[1:].split()[0]}")
    found += [
        f"ipset {n}"
        for n in run(["ipset", "list", "-n"], check=False).split()
        if n.startswith(OUR_IPSET_PREFIXES)
    ]
    return found
