"""Host networking of the test bed: namespaces, veths, the sink bridge, routes and guard rules.

Picture (all on this machine)::

    [nc-cp netns] etcd, kube-apiserver 172.30.0.2 --veth-- 172.30.0.1 [root netns: node]
                                                                      |-- cni0 10.244.0.1/24 -- pods
                                                                      |-- nc-sink (no ports): the rest of
                                                                      |   10.244/16, 10.96/16, 10.250/16
    [nc-ext netns] "outside" host 172.30.1.2 --veth-- 172.30.1.1 ------+

Guard rules in the mangle table drop every packet to or from our ranges on the external interface: mangle
POSTROUTING sees forwarded and local packets alike, before masquerading, and neither kube-proxy nor
kube-router (which ACCEPT in filter chains) touches it.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from netconform.testbed import addresses as a
from netconform.testbed.shell import run, succeeds

GUARD_CHAIN = "NETCONFORM-GUARD"
ISOLATE_CHAIN = "NETCONFORM-ISOLATE"
OUR_CHAIN_PREFIXES = ("NETCONFORM-", "KUBE-", "CNI-")  # chains our components create (iptables and ip6tables)
OUR_IPSET_PREFIXES = ("KUBE-", "kube-router", "inet6:KUBE-")


def external_interfaces() -> list[str]:
    """Interfaces that carry default routes: the way out of the machine."""
    out = run(["ip", "-o", "route", "show", "default"])
    devices = {line.split(" dev ")[1].split()[0] for line in out.splitlines() if " dev " in line}
    return sorted(devices)


def set_up(topology: a.Topology) -> None:
    _add_netns_with_veth(a.CP_NETNS, a.CP_VETH_HOST, a.CP_VETH_NS, a.CONTROL_PLANE_LINK)
    _add_netns_with_veth(a.EXT_NETNS, a.EXT_VETH_HOST, a.EXT_VETH_NS, a.EXTERNAL_LINK)
    # The control plane reaches the node's pods and Services through the node, as on EKS.
    for cidr in (a.POD_CIDR, a.SERVICE_CIDR):
        run(["ip", "-n", a.CP_NETNS, "route", "replace", str(cidr), "via", str(a.NODE_IP)])
    run(["ip", "-n", a.EXT_NETNS, "route", "replace", "default", "via", str(a.EXTERNAL_GATEWAY_IP)])
    # A bridge with no ports swallows whatever of our ranges no more specific route claims. `unreachable`
    # would not do for Services: host connect() would fail at route lookup before kube-proxy's DNAT.
    if not succeeds(["ip", "link", "show", a.SINK_BRIDGE]):
        run(["ip", "link", "add", a.SINK_BRIDGE, "type", "bridge"])
    run(["ip", "link", "set", a.SINK_BRIDGE, "up"])
    for cidr in (a.POD_CIDR, a.SERVICE_CIDR, a.FAKE_POD_CIDR):
        run(["ip", "route", "replace", str(cidr), "dev", a.SINK_BRIDGE])
    _install_guard(external_interfaces())
    set_topology(topology)


def set_topology(topology: a.Topology) -> None:
    _ensure_chain("mangle", ISOLATE_CHAIN, parent="FORWARD")
    run(["iptables", "-t", "mangle", "-F", ISOLATE_CHAIN])
    if topology is a.Topology.ISOLATED:
        _install_isolation()


def _add_netns_with_veth(netns: str, host_end: str, ns_end: str, link: ipaddress.IPv4Network) -> None:
    host_ip, ns_ip = list(link.hosts())[:2]
    if not succeeds(["ip", "netns", "exec", netns, "true"]):
        run(["ip", "netns", "add", netns])
    if not succeeds(["ip", "link", "show", host_end]):
        run(["ip", "link", "add", host_end, "type", "veth", "peer", "name", ns_end, "netns", netns])
    run(["ip", "addr", "replace", f"{host_ip}/{link.prefixlen}", "dev", host_end])
    run(["ip", "link", "set", host_end, "up"])
    run(["ip", "-n", netns, "addr", "replace", f"{ns_ip}/{link.prefixlen}", "dev", ns_end])
    run(["ip", "-n", netns, "link", "set", ns_end, "up"])
    run(["ip", "-n", netns, "link", "set", "lo", "up"])


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


def _install_isolation() -> None:
    """The control plane may answer pods but never open a connection to one (Calico overlay on EKS).

    Dropping (not rejecting) new connections makes pod-backed webhooks time out with "context deadline
    exceeded", exactly the symptom EKS users see, instead of failing fast.
    """
    run(
        [
            "iptables",
            "-t",
            "mangle",
            "-A",
            ISOLATE_CHAIN,
            "-i",
            a.CP_VETH_HOST,
            "-d",
            str(a.POD_CIDR),
            "-m",
            "conntrack",
            "--ctstate",
            "NEW",
            "-m",
            "comment",
            "--comment",
            "netconform isolated topology: control plane cannot reach pod IPs",
            "-j",
            "DROP",
        ]
    )


def _ensure_chain(table: str, chain: str, parent: str) -> None:
    if not succeeds(["iptables", "-t", table, "-S", chain]):
        run(["iptables", "-t", table, "-N", chain])
    if not succeeds(["iptables", "-t", table, "-C", parent, "-j", chain]):
        run(["iptables", "-t", table, "-I", parent, "1", "-j", chain])


def tear_down() -> None:
    """Remove every namespace, link, route, chain and ipset of ours. Idempotent."""
    for netns in (a.CP_NETNS, a.EXT_NETNS):
        if succeeds(["ip", "netns", "exec", netns, "true"]):
            run(["ip", "netns", "delete", netns], check=False)
    for link in (
        a.CP_VETH_HOST,
        a.EXT_VETH_HOST,
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
    netns_list = run(["ip", "netns", "list"], check=False)
    found += [
        f"netns {n}"
        for n in (a.CP_NETNS, a.EXT_NETNS)
        if any(line.split()[0] == n for line in netns_list.splitlines() if line)
    ]
    for link in (a.CP_VETH_HOST, a.EXT_VETH_HOST, a.SINK_BRIDGE, a.POD_BRIDGE):
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
