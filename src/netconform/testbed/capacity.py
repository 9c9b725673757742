"""Can this machine hold the test bed asked for? Decided before anything starts.

The budgets are measured at rest on the 2-core bed, rounded up for the first pods' shims and the page cache
(README, test bed section): the control plane with CoreDNS about 0.9 GB, each real node's containerd,
kubelet, kube-proxy and kube-router about 245 MB plus about 18 MB per pod shim.
"""

from __future__ import annotations

from pathlib import Path

from netconform.errors import InputError
from netconform.testbed import addresses as a

CONTROL_PLANE_BUDGET_MB = 1200
NODE_BUDGET_MB = 450
MEMINFO = Path("/proc/meminfo")


def mem_available_mb(meminfo: str) -> int:
    """MemAvailable from /proc/meminfo's text, in MiB."""
    for line in meminfo.splitlines():
        if line.startswith("MemAvailable:"):
            return int(line.split()[1]) // 1024
    raise InputError("cannot tell how much memory is available: /proc/meminfo has no MemAvailable line")


def needed_mb(nodes: int) -> int:
    return CONTROL_PLANE_BUDGET_MB + nodes * NODE_BUDGET_MB


def check_node_count(nodes: int, available_mb: int) -> None:
    """Raise a one-line InputError (exit 2) for a count outside 1..MAX_NODES or beyond the memory."""
    if not 1 <= nodes <= a.MAX_NODES:
        raise InputError(f"--nodes must be between 1 and {a.MAX_NODES} (got {nodes})")
    if needed_mb(nodes) > available_mb:
        raise InputError(
            f"--nodes {nodes} needs about {needed_mb(nodes)} MB ({CONTROL_PLANE_BUDGET_MB} MB for the "
            f"control plane + {NODE_BUDGET_MB} MB per node), but only {available_mb} MB are available"
        )


def check_machine(nodes: int, reclaimable_mb: int = 0) -> None:
    """``check_node_count`` against this machine; ``reclaimable_mb``: what a running bed will give back."""
    check_node_count(nodes, mem_available_mb(MEMINFO.read_text()) + reclaimable_mb)
