"""Reading nodes fast for density checks: paginated, raw JSON, only the fields density needs.

The generated client turns every node into a tree of model objects (images, conditions, addresses,
volumes...), which dominates the time on clusters with hundreds of nodes. We ask for the raw JSON
(``_preload_content=False``) and pick out labels, taints, conditions and the pods capacity ourselves.
"""

from __future__ import annotations

import functools
import json
from typing import Any, Final

from netconform.adapters.kube.cluster import KubeCluster
from netconform.adapters.kube.errors import call
from netconform.core.density.check import NodeFacts

PAGE_SIZE: Final = 500
INSTANCE_TYPE_LABELS: Final = ("node.kubernetes.io/instance-type", "beta.kubernetes.io/instance-type")
# Managed node groups, eksctl, Karpenter: the first label present names the node's group.
NODE_GROUP_LABELS: Final = (
    "eks.amazonaws.com/nodegroup",
    "alpha.eksctl.io/nodegroup-name",
    "karpenter.sh/nodepool",
    "karpenter.sh/provisioner-name",
)
FAKE_NODE_ANNOTATION: Final = "kwok.x-k8s.io/node"
TERMINAL_PHASES: Final = ("Succeeded", "Failed")


def list_node_facts(
    kube: KubeCluster, label_selector: str = "", page_size: int = PAGE_SIZE
) -> list[NodeFacts]:
    """Every node (matching ``label_selector``), page by page, as ``NodeFacts``."""
    return [node_facts(raw) for raw in list_raw_nodes(kube, label_selector, page_size)]


def list_raw_nodes(
    kube: KubeCluster, label_selector: str = "", page_size: int = PAGE_SIZE
) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    token: str | None = ""
    while token is not None:
        page = call(
            "list nodes",
            functools.partial(
                kube.core.list_node,
                label_selector=label_selector,
                limit=page_size,
                _continue=token or None,
                _preload_content=False,
            ),
        )
        document = json.loads(page.data)
        items.extend(document.get("items") or [])
        token = (document.get("metadata") or {}).get("continue") or None
    return items


def node_facts(raw: dict[str, Any]) -> NodeFacts:
    """One node's JSON (as the API serves it) → ``NodeFacts``."""
    metadata = raw.get("metadata") or {}
    labels: dict[str, str] = metadata.get("labels") or {}
    annotations: dict[str, str] = metadata.get("annotations") or {}
    spec = raw.get("spec") or {}
    status = raw.get("status") or {}
    conditions = status.get("conditions") or []
    return NodeFacts(
        name=str(metadata.get("name", "")),
        instance_type=next((labels[k] for k in INSTANCE_TYPE_LABELS if k in labels), None),
        node_group=next((labels[k] for k in NODE_GROUP_LABELS if k in labels), None),
        capacity_pods=_pods(status.get("capacity")),
        allocatable_pods=_pods(status.get("allocatable")),
        ready=any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions),
        unschedulable=bool(spec.get("unschedulable", False)),
        taints=tuple(
            f"{t.get('key', '')}={t.get('value', '')}:{t.get('effect', '')}" for t in spec.get("taints") or []
        ),
        fake=FAKE_NODE_ANNOTATION in annotations,
    )


def _pods(resources: dict[str, str] | None) -> int | None:
    value = (resources or {}).get("pods")
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:  # a quantity like "1k" would be legal; nobody writes it for pods
        return None


def pods_on_node(kube: KubeCluster, node: str, *, host_network: bool = False) -> list[str]:
    """``namespace/name`` of every pod bound to ``node`` that still counts against its pods capacity (with
    ``host_network``: only those on the node's network, which take no pod IP)."""
    selector = f"spec.nodeName={node}," + ",".join(f"status.phase!={p}" for p in TERMINAL_PHASES)
    page = call(
        f"list pods on node {node}",
        functools.partial(
            kube.core.list_pod_for_all_namespaces, field_selector=selector, _preload_content=False
        ),
    )
    items = json.loads(page.data).get("items") or []
    if host_network:
        items = [p for p in items if (p.get("spec") or {}).get("hostNetwork")]
    return sorted(f"{p['metadata']['namespace']}/{p['metadata']['name']}" for p in items)
