"""`testbed up --nodes 3` then `testbed down` leaves the machine exactly as it was.

Runs on its own (not under the session runner): it brings the test bed up and down itself, so it needs the
machine without a test bed (make test runs it after the cluster tier has torn its bed down). While the bed is
up it also proves that nothing of a node lives in the machine's own namespaces: no chain, ipset or route of
a node, no mount, and every node daemon in a mount namespace of its own.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from netconform.adapters.kube.client import api_client
from netconform.adapters.kube.cluster import KubeCluster
from netconform.testbed import host, images, lifecycle, nodes, processes, sysctls
from netconform.testbed.addresses import Topology
from netconform.testbed.binaries import locate
from netconform.testbed.paths import HARD_CODED_HOST_PATHS, Layout

NODES = 3

pytestmark = pytest.mark.cluster


def _lines(*argv: str) -> set[str]:
    return set(subprocess.run(argv, capture_output=True, text=True, check=False).stdout.splitlines())


def _our_processes(cache: Path) -> set[str]:
    found = set()
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            exe = os.readlink(f"/proc/{pid}/exe")
        except OSError:
            continue
        if exe.startswith(str(cache)):
            found.add(f"{pid} {exe}")
    return found


def machine_state(layout: Layout) -> dict[str, set[str]]:
    """What the test bed could leave behind, as sets that compare easily."""
    # User-defined chains (":NAME - [0:0]") and all rules, per tool. Built-in chains are left out: their lines
    # carry packet counters, and the first use of a table creates them (nf_tables) without changing anything.
    chains: set[str] = set()
    rules: set[str] = set()
    for tool in ("iptables-save", "ip6tables-save"):
        for line in _lines(tool):
            if line.startswith(":") and line.split()[1] == "-":
                chains.add(f"{tool} {line.split()[0]}")
            elif line.startswith("-A"):
                rules.add(f"{tool} {line}")
    return {
        "links": {line.split(":")[1].strip().split("@")[0] for line in _lines("ip", "-o", "link", "show")},
        "netns": {line.split()[0] for line in _lines("ip", "netns", "list") if line},
        "routes": _lines("ip", "route", "show"),
        "mounts": {line.split()[4] for line in Path("/proc/self/mountinfo").read_text().splitlines()},
        "iptables chains": chains,
        "iptables rules": rules,
        "ipsets": _lines("ipset", "list", "-n"),
        "processes": _our_processes(layout.cache),
        "pod cgroups": {str(p) for p in host.our_cgroups()},
        "sysctls": {f"{name}={sysctls.read(name)}" for name in sysctls.TRACKED},
        # Paths the node components hard-code: shim sockets, libcni results, container-log symlinks.
        "hard-coded host paths": host.leak_entries(HARD_CODED_HOST_PATHS),
        "hard-coded host dirs": {str(p) for p in HARD_CODED_HOST_PATHS if p.exists()},
        # containerd 2's default NRI socket: a host path every node would share (the bed disables NRI).
        "nri socket dir": {str(p) for p in (Path("/run/nri"),) if p.exists()},
    }


def test_up_then_down_leaves_the_machine_as_it_was() -> None:
    layout = Layout.default()
    if lifecycle.status(layout).running:
        pytest.fail(
            "a test bed is running; this test needs the machine without one (run `make testbed-down`)"
        )
    locate()  # binaries are built (make test-cluster ran before)
    # The teardown every `up` starts with also removes what beds of older code left in the hard-coded host
    # paths (by proof of ownership); the baseline is the machine after it.
    assert lifecycle.down(layout) == []
    before = machine_state(layout)

    try:
        _assert_up_and_contained(layout, before)
    finally:
        leftovers = lifecycle.down(layout)
    after = machine_state(layout)
    assert leftovers == []
    differences = {
        key: {"added": sorted(after[key] - before[key]), "removed": sorted(before[key] - after[key])}
        for key in before
        if after[key] != before[key]
    }
    assert differences == {}


def _assert_up_and_contained(layout: Layout, before: dict[str, set[str]]) -> None:
    status = lifecycle.up(lifecycle.UpOptions(Topology.ISOLATED, nodes=NODES), layout)
    assert status.healthy, status
    assert status.nodes == NODES
    _one_pod_per_node(layout)  # so every node has shim sockets, CNI results, log symlinks and pod mounts
    during = machine_state(layout)
    assert {"nc-cp", "nc-n1", "nc-n2", "nc-n3"} <= during["netns"]
    assert during["processes"], "the test bed did not really come up"
    assert sysctls.read("kernel.panic_on_oops") == "0", "a kubelet's panic_on_oops=1 was not undone"
    # Nothing of a node in the machine's own namespaces while the bed runs.
    assert not [c for c in during["iptables chains"] if ":KUBE-" in c or ":CNI-" in c], during[
        "iptables chains"
    ]
    assert during["ipsets"] == before["ipsets"]
    assert not [r for r in during["routes"] - before["routes"] if " via " in r], during["routes"]
    added_mounts = during["mounts"] - before["mounts"]
    pins = {str(layout.mount_ns_dir), *map(str, nodes_pins(layout))}
    # `ip netns add` pins network namespaces under /run/netns; our pins hold the nodes' mount namespaces.
    assert {m for m in added_mounts if not m.startswith("/run/netns")} <= pins, added_mounts
    assert during["hard-coded host paths"] == before["hard-coded host paths"]
    root_mnt = os.stat("/proc/self/ns/mnt").st_ino
    for spec in lifecycle.node_specs(layout):
        for name in nodes.daemon_names(spec):
            pid = processes.running_pid(layout, name)
            assert pid is not None, name
            assert os.stat(f"/proc/{pid}/ns/mnt").st_ino != root_mnt, f"{name} runs in the machine's mount ns"
        assert any(p.name == spec.cgroup_root.strip("/") for p in host.our_cgroups()), spec.cgroup_root


def _one_pod_per_node(layout: Layout) -> None:
    kube = KubeCluster(api_client(layout.admin_kubeconfig))
    names = []
    for spec in lifecycle.node_specs(layout):
        name = f"on-{spec.name}"
        container = {
            "name": "pause",
            "image": images.PROBE_IMAGE,
            "imagePullPolicy": "Never",
            "command": ["/agnhost", "pause"],
        }
        manifest = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name}}
        manifest["spec"] = {"nodeName": spec.name, "containers": [container]}
        kube.create("default", manifest)
        names.append(name)
    kube.wait_pods_ready("default", names)


def nodes_pins(layout: Layout) -> list[Path]:
    return [layout.node(i).mount_ns for i in range(1, NODES + 1)]


def test_down_is_idempotent() -> None:
    layout = Layout.default()
    assert lifecycle.down(layout) == []
    assert lifecycle.down(layout) == []
