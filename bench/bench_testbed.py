"""Benchmark of the multi-node test bed (issue 15): warm bring-up, memory at rest per node, conformance time.

* warm bring-up (binaries cached) for 1, 2 and 3 real nodes: `testbed up` from a torn-down machine until every
  node is Ready and CoreDNS answers (target: 3 nodes in under 60 s);
* memory at rest per node, 20 s after bring-up: the RSS of the node's daemons (containerd, kubelet,
  kube-proxy, kube-router) and of everything else in its mount namespace (shims, pause, CoreDNS on node 1)
  (target: under 300 MB per extra node);
* the VPC CNI profile (issue 16): warm bring-up of 2 nodes with ``--cni vpc-cni`` (the real aws-node against
  aws-emu; target: under 2 minutes), and pod start latency (create -> Ready, the median of a few pods placed
  on node 2) on it against the bridge profile;
* with ``NETCONFORM_BENCH_CONFORMANCE=1``: `pytest suites -n 2` (what `make conformance` runs) on a 1-node
  and a 2-node bed (target: 2 nodes at most 1.3x the 1-node time). About 8 minutes each.

Needs root and the machine without a running test bed (it brings beds up and down itself); the last bed is
torn down at the end, whatever happens.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from netconform.testbed import host, lifecycle, nodes, processes, vpccni
from netconform.testbed.addresses import Topology
from netconform.testbed.paths import Layout

REPO = Path(__file__).resolve().parents[1]
TARGET_3_NODES_S = 60.0
TARGET_EXTRA_NODE_MB = 300.0
TARGET_CONFORMANCE_RATIO = 1.3
SETTLE_S = 20.0
TARGET_VPC_CNI_2_NODES_S = 120.0
LATENCY_PODS = 4


def _rss_mb(pids: list[int]) -> float:
    total = 0
    for pid in set(pids):
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


def node_memory_mb(layout: Layout) -> dict[str, float]:
    found = {}
    for spec in lifecycle.node_specs(layout):
        daemons = [processes.running_pid(layout, name) for name in nodes.daemon_names(spec)]
        pids = [p for p in daemons if p is not None] + host.pids_in_mount_ns(layout.node(spec.index).mount_ns)
        found[spec.name] = _rss_mb(pids)
    return found


def bring_up(count: int, layout: Layout, vpc: vpccni.VpcCniOptions | None = None) -> float:
    lifecycle.down(layout, say=lambda _m: None)
    started = time.monotonic()
    lifecycle.up(
        lifecycle.UpOptions(Topology.ROUTABLE, nodes=count, vpc_cni=vpc), layout, say=lambda _m: None
    )
    return time.monotonic() - started


def pod_start_latency_s(layout: Layout) -> float:
    """Median create -> Ready of LATENCY_PODS probe pods created one after another on node 2."""
    from netconform.testbed.images import PROBE_IMAGE

    env = {**os.environ, "KUBECONFIG": str(layout.admin_kubeconfig)}

    def kubectl(*args: str, stdin: str | None = None) -> str:
        return subprocess.run(
            ["kubectl", *args], input=stdin, env=env, capture_output=True, text=True, check=True, timeout=180
        ).stdout

    kubectl("create", "namespace", "bench-latency")
    seconds = []
    try:
        for i in range(LATENCY_PODS):
            pod = {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {"name": f"p{i}", "namespace": "bench-latency"},
                "spec": {
                    "nodeName": "netconform-node-2",
                    "containers": [
                        {"name": "c", "image": PROBE_IMAGE, "imagePullPolicy": "Never", "args": ["netexec"]}
                    ],
                },
            }
            started = time.monotonic()
            kubectl("apply", "-f", "-", stdin=json.dumps(pod))
            kubectl("-n", "bench-latency", "wait", "--for=condition=Ready", f"pod/p{i}", "--timeout=150s")
            seconds.append(time.monotonic() - started)
    finally:
        kubectl("delete", "namespace", "bench-latency", "--wait=false")
    return statistics.median(seconds)


def conformance_s(layout: Layout) -> tuple[float, int]:
    env = dict(os.environ)
    for line in layout.env_file.read_text().splitlines():
        key, _, value = line.removeprefix("export ").partition("=")
        env[key] = value
    started = time.monotonic()
    done = subprocess.run(
        [str(REPO / ".venv/bin/pytest"), "suites", "-n", "2", "-q", "-p", "no:cacheprovider"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    return time.monotonic() - started, done.returncode


def main() -> int:
    if os.geteuid() != 0:
        print("bench_testbed: needs root (it brings the test bed up and down); skipped")
        return 0
    layout = Layout.default()
    if lifecycle.status(layout).running:
        print("bench_testbed: a test bed is running; run it on a machine without one (make testbed-down)")
        return 2
    try:
        print("test bed, warm bring-up (binaries cached) until every node is Ready and CoreDNS answers:")
        for count in (1, 2, 3):
            seconds = bring_up(count, layout)
            verdict = f" (target < {TARGET_3_NODES_S:.0f} s)" if count == 3 else ""
            print(f"  {count} node(s): {seconds:5.1f} s{verdict}")
        time.sleep(SETTLE_S)
        memory = node_memory_mb(layout)
        print(f"test bed, memory at rest (RSS, {SETTLE_S:.0f} s after bring-up, 3 nodes):")
        for name, mb in memory.items():
            print(f"  {name}: {mb:6.0f} MB")
        extra = [mb for name, mb in memory.items() if not name.endswith("-1")]
        if extra:
            print(
                f"  per extra node: {sum(extra) / len(extra):.0f} MB (target < {TARGET_EXTRA_NODE_MB:.0f} MB)"
            )
        print("pod start latency (create -> Ready, median of 4 on node 2) and the VPC CNI bring-up:")
        bring_up(2, layout)
        print(f"  bridge profile: {pod_start_latency_s(layout):.2f} s")
        seconds = bring_up(2, layout, vpccni.VpcCniOptions())
        print(f"  VPC CNI bring-up, 2 nodes: {seconds:5.1f} s (target < {TARGET_VPC_CNI_2_NODES_S:.0f} s)")
        print(f"  VPC CNI profile: {pod_start_latency_s(layout):.2f} s")
        if os.environ.get("NETCONFORM_BENCH_CONFORMANCE") == "1":
            times = {}
            for count in (1, 2):
                bring_up(count, layout)
                times[count], rc = conformance_s(layout)
                print(
                    f"  conformance (pytest suites -n 2), {count} node(s): {times[count]:.0f} s (exit {rc})"
                )
            ratio = times[2] / times[1]
            print(f"  2 nodes / 1 node: {ratio:.2f}x (target <= {TARGET_CONFORMANCE_RATIO}x)")
    finally:
        lifecycle.down(layout, say=lambda _m: None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
