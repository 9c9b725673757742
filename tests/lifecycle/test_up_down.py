"""`testbed up` then `testbed down` leaves the machine exactly as it was.

Runs on its own (not under the session runner): it brings the test bed up and down itself, so it needs the
machine without a test bed (make test runs it after the cluster tier has torn its bed down).
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from netconform.testbed import lifecycle, sysctls
from netconform.testbed.addresses import Topology
from netconform.testbed.binaries import locate
from netconform.testbed.paths import Layout

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
        "pod cgroups": {str(p) for p in Path("/sys/fs/cgroup").glob("*/kubepods")},
        "sysctls": {f"{name}={sysctls.read(name)}" for name in sysctls.TRACKED},
    }


def test_up_then_down_leaves_the_machine_as_it_was() -> None:
    layout = Layout.default()
    if lifecycle.status(layout).running:
        pytest.fail(
            "a test bed is running; this test needs the machine without one (run `make testbed-down`)"
        )
    locate()  # binaries are built (make test-cluster ran before)
    before = machine_state(layout)

    status = lifecycle.up(lifecycle.UpOptions(Topology.ISOLATED), layout)
    assert status.healthy, status
    during = machine_state(layout)
    assert "nc-cp" in during["netns"]
    assert during["processes"], "the test bed did not really come up"
    assert sysctls.read("kernel.panic_on_oops") == "0", "the kubelet's panic_on_oops=1 was not undone"

    leftovers = lifecycle.down(layout)
    after = machine_state(layout)
    assert leftovers == []
    differences = {
        key: {"added": sorted(after[key] - before[key]), "removed": sorted(before[key] - after[key])}
        for key in before
        if after[key] != before[key]
    }
    assert differences == {}


def test_down_is_idempotent() -> None:
    layout = Layout.default()
    assert lifecycle.down(layout) == []
    assert lifecycle.down(layout) == []
