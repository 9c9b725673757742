"""Where to put probe pods so that cross-node and cross-ENI paths are really exercised.

Cross-node: a ring over the usable nodes (each node sends to the next), so every node is both a source and a
target with one probe per node instead of n².

Cross-ENI (Amazon VPC CNI, secondary-IP mode): a node's primary ENI carries at most ``ipv4_per_eni - 1`` pod
addresses (its own primary address is the node's). Once a node holds ``ipv4_per_eni`` pods with pod IPs, at
least one of them must have an address from a secondary ENI, whatever order ipamd assigns them in. The plan
tops the target node up to that count and the check probes every pod there, so both kinds are covered without
asking EC2 which ENI owns which address.

Pure: the adapter turns Node objects into ``NodeView``s and creates what the plan says.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

MAX_RING = 8  # more nodes add probes, not coverage of a different path
MAX_SPREAD_PODS = 40  # a smoke suite must stay small; beyond this the ENI check reports skipped
PREFIX_IPS = 16  # a /28 prefix delegated to an ENI slot


@dataclass(frozen=True)
class NodeView:
    name: str
    internal_ip: str
    ready: bool = True
    schedulable: bool = True
    """Not cordoned and without NoSchedule/NoExecute taints (a plain probe pod would not land there)."""
    simulated: bool = False
    """A node without a dataplane (KWOK and the like): it cannot carry traffic."""
    instance_type: str | None = None
    pods_with_pod_ips: int = 0
    """Pods already on the node that use an address from the pod network (hostNetwork pods do not)."""
    max_pods: int = 110
    excluded: str | None = None
    """Why the harness never places pods here (Windows, Fargate, virtual-kubelet, not --node-selector)."""


def usable_nodes(nodes: Sequence[NodeView]) -> list[NodeView]:
    """Nodes a probe pod can run on and that carry real traffic, by name."""
    return sorted(
        (n for n in nodes if n.ready and n.schedulable and not n.simulated and n.excluded is None),
        key=lambda n: n.name,
    )


def unusable_reasons(nodes: Sequence[NodeView], examples: int = 3) -> list[str]:
    """Why nodes were left out, grouped by reason with a few example names (200 KWOK nodes stay short)."""
    groups: dict[str, list[str]] = {}
    for node in sorted(nodes, key=lambda n: n.name):
        why = [
            text
            for bad, text in (
                (node.excluded is not None, f"excluded: {node.excluded}"),
                (node.simulated and node.excluded is None, "simulated (no dataplane)"),
                (not node.ready, "not Ready"),
                (not node.schedulable, "cordoned or tainted"),
            )
            if bad
        ]
        if why:
            groups.setdefault(", ".join(why), []).append(node.name)
    return [
        f"{len(names)} {reason}: {', '.join(names[:examples])}{', ...' if len(names) > examples else ''}"
        for reason, names in groups.items()
    ]


def ring_pairs(names: Sequence[str], limit: int = MAX_RING) -> list[tuple[str, str]]:
    """(source node, target node) pairs: each of the first ``limit`` nodes sends to the next one."""
    chosen = list(names)[:limit]
    if len(chosen) < 2:
        return []
    if len(chosen) == 2:
        return [(chosen[0], chosen[1]), (chosen[1], chosen[0])]
    return [(chosen[i], chosen[(i + 1) % len(chosen)]) for i in range(len(chosen))]


@dataclass(frozen=True)
class SpreadPlan:
    node: str | None
    pods: int  # how many probe pods to create on ``node``
    skipped: str | None = None  # why there is no cross-ENI check (then pods == 0)


def plan_eni_spread(
    target: NodeView,
    ipv4_per_eni: int | None,
    *,
    prefix_delegation: bool = False,
    cap: int = MAX_SPREAD_PODS,
) -> SpreadPlan:
    """How many pods to add on ``target`` so that at least one gets a secondary-ENI address."""
    if ipv4_per_eni is None:
        return SpreadPlan(
            None, 0, f"{target.name}: instance type {target.instance_type!r} has no known limits"
        )
    primary_capacity = (ipv4_per_eni - 1) * (PREFIX_IPS if prefix_delegation else 1)
    needed_total = primary_capacity + 1
    to_add = max(needed_total - target.pods_with_pod_ips, 1)  # always at least one pod of our own
    held = f"primary ENI holds {primary_capacity}{' with prefix delegation' if prefix_delegation else ''}"
    if target.pods_with_pod_ips + to_add > target.max_pods:
        return SpreadPlan(
            None,
            0,
            f"{target.name}: a secondary-ENI address needs {target.pods_with_pod_ips + to_add} pods there "
            f"({held}), over its max pods ({target.max_pods})",
        )
    if to_add > cap:
        return SpreadPlan(
            None,
            0,
            f"{target.name}: reaching a secondary ENI needs {to_add} more pods ({held}), over the smoke "
            f"suite's cap of {cap}",
        )
    return SpreadPlan(target.name, to_add)


def round_robin(keys: Sequence[str], nodes: Sequence[str]) -> dict[str, str]:
    """A fixed placement: keys in their order onto the nodes in theirs (x/a n1, x/b n2, x/c n1, ... on two
    nodes), so every run of a model puts the same pod on the same node and both relations occur."""
    if not nodes:
        return {}
    return {key: nodes[i % len(nodes)] for i, key in enumerate(keys)}


def describe_placement(placement: Mapping[str, str]) -> str:
    """``node: key, key; node: ...`` for the report."""
    by_node: dict[str, list[str]] = {}
    for key, node in placement.items():
        by_node.setdefault(node, []).append(key)
    return "; ".join(f"{node}: {', '.join(keys)}" for node, keys in sorted(by_node.items()))
