"""Benchmark: the density check over hundreds of nodes (verdicts alone, and listing the test bed's nodes).

The acceptance bound is "200 KWOK nodes flagged in under 30 seconds"; the pure verdicts take milliseconds,
so nearly all of the time is the node list. The cluster part runs only with a reachable test bed
(NETCONFORM_TESTBED=1 and KUBECONFIG, as `source /var/lib/netconform/testbed/env` sets them).
"""

from __future__ import annotations

import os
import timeit
from typing import Any

from netconform.core.density.check import NodeFacts, context_for, group_rows, judge_nodes
from netconform.core.instance_types import bundled_limits
from netconform.core.profiles import PROFILES, ProfileName
from netconform.testbed.kwok_nodes import node_manifest

REPEATS = 5
SYNTHETIC_NODES = (200, 2000)


def _synthetic(count: int) -> list[NodeFacts]:
    nodes = []
    for index in range(count):
        manifest = node_manifest(index)
        labels = manifest["metadata"]["labels"]
        pods = int(manifest["status"]["capacity"]["pods"]) + (1 if index % 50 == 0 else 0)  # 2% wrong
        nodes.append(
            NodeFacts(
                manifest["metadata"]["name"],
                labels["node.kubernetes.io/instance-type"],
                labels["eks.amazonaws.com/nodegroup"],
                pods,
                pods,
            )
        )
    return nodes


def run() -> dict[str, Any]:
    context = context_for(PROFILES[ProfileName.VPC_CNI], None, bundled_limits())
    result: dict[str, Any] = {"name": "density check", "repeats": REPEATS}
    for count in SYNTHETIC_NODES:
        nodes = _synthetic(count)

        def verdicts(nodes: list[NodeFacts] = nodes) -> object:
            return group_rows(judge_nodes(nodes, context))

        seconds = min(timeit.repeat(verdicts, number=1, repeat=REPEATS))
        result[f"verdicts_{count}_nodes_ms"] = round(seconds * 1000, 2)
    if os.environ.get("NETCONFORM_TESTBED") and os.environ.get("KUBECONFIG"):
        result.update(_cluster(context))
    print(
        "density check: verdicts + node-group table "
        + ", ".join(f"{n} nodes {result[f'verdicts_{n}_nodes_ms']} ms" for n in SYNTHETIC_NODES)
        + (
            f"; test bed: list {result['cluster_nodes']} nodes {result['cluster_list_ms']} ms,"
            f" list + verdicts {result['cluster_total_ms']} ms"
            if "cluster_nodes" in result
            else "; test bed not reachable (source its env to measure the node list)"
        )
        + f" (best of {REPEATS})"
    )
    return result


def _cluster(context: Any) -> dict[str, Any]:
    from netconform.adapters.kube.client import api_client
    from netconform.adapters.kube.cluster import KubeCluster
    from netconform.checks.density.nodes import list_node_facts

    kube = KubeCluster(api_client(None, None))
    try:
        nodes = list_node_facts(kube)
        list_s = min(timeit.repeat(lambda: list_node_facts(kube), number=1, repeat=REPEATS))
        total_s = min(
            timeit.repeat(
                lambda: group_rows(judge_nodes(list_node_facts(kube), context)), number=1, repeat=REPEATS
            )
        )
    finally:
        kube.api.close()
    return {
        "cluster_nodes": len(nodes),
        "cluster_list_ms": round(list_s * 1000, 1),
        "cluster_total_ms": round(total_s * 1000, 1),
    }


if __name__ == "__main__":
    run()
