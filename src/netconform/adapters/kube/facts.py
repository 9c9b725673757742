"""Read-only gathering of the cluster facts that profile detection and the reports need.

We fetch the raw API JSON (no client models) and hand it to ``core.cluster_objects.facts_from_objects``,
the same conversion the unit tests run on recorded objects.
"""

from __future__ import annotations

import dataclasses
import functools
import json
from typing import Any

from kubernetes import client

from netconform.adapters.kube.cluster import KubeCluster
from netconform.adapters.kube.errors import Forbidden, NotFound, call
from netconform.core.cluster_objects import facts_from_objects
from netconform.core.profiles import KNOWN_DAEMONSETS, ClusterFacts

# DaemonSets that tell us which CNI and policy engine run (every one detection knows, plus kube-proxy and
# the standalone policy agent for the report); other DaemonSets are ignored.
CNI_DAEMONSET_NAMES = frozenset({*KNOWN_DAEMONSETS, "kube-proxy", "aws-network-policy-agent"})


def gather_cluster_facts(cluster: KubeCluster) -> ClusterFacts:
    daemonsets = _items(
        call(
            "list daemonsets in all namespaces",
            functools.partial(cluster.apps.list_daemon_set_for_all_namespaces, _preload_content=False),
        )
    )
    facts = facts_from_objects(
        daemonsets=[ds for ds in daemonsets if _name(ds) in CNI_DAEMONSET_NAMES],
        installations=_custom(cluster, "operator.tigera.io", "v1", "installations"),
        ip_pools=_custom(cluster, "crd.projectcalico.org", "v1", "ippools"),
        vpc_cni_configmap=_vpc_cni_configmap(cluster),
    )
    pod_ips, node_ips = _addresses(cluster)
    return dataclasses.replace(facts, pod_ips=pod_ips, node_ips=node_ips)


ADDRESS_SAMPLE = 200  # pods and nodes read for the address evidence: bounded on big clusters


def _addresses(cluster: KubeCluster) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Running pods' IPs (not hostNetwork) and the real nodes' InternalIPs, from a bounded sample."""
    try:
        pods = call(
            "list pods in all namespaces",
            lambda: cluster.core.list_pod_for_all_namespaces(
                limit=ADDRESS_SAMPLE, field_selector="status.phase=Running"
            ),
        ).items
        # KWOK fakes carry type=kwok: their addresses are made up.
        nodes = call(
            "list nodes", lambda: cluster.core.list_node(label_selector="!type", limit=ADDRESS_SAMPLE)
        ).items
    except Forbidden:  # the address evidence is advisory: without it, nothing to reconcile
        return (), ()
    return (
        tuple(p.status.pod_ip for p in pods if p.status.pod_ip and not p.spec.host_network),
        tuple(a.address for n in nodes for a in n.status.addresses or [] if a.type == "InternalIP"),
    )


def _items(response: Any) -> list[dict[str, Any]]:
    document = json.loads(response.data)
    return list(document.get("items") or [])


def _name(obj: dict[str, Any]) -> str:
    return str((obj.get("metadata") or {}).get("name", ""))


def _custom(cluster: KubeCluster, group: str, version: str, plural: str) -> list[dict[str, Any]]:
    api = client.CustomObjectsApi(cluster.api)
    try:
        result = call(
            f"list {plural}.{group}", lambda: api.list_cluster_custom_object(group, version, plural)
        )
    except (NotFound, Forbidden):  # not installed, or we may not look: detection goes on without it
        return []
    return list(result.get("items", []))


def _vpc_cni_configmap(cluster: KubeCluster) -> dict[str, Any] | None:
    try:
        response = call(
            "read configmap kube-system/amazon-vpc-cni",
            functools.partial(
                cluster.core.read_namespaced_config_map,
                "amazon-vpc-cni",
                "kube-system",
                _preload_content=False,
            ),
        )
    except (NotFound, Forbidden):
        return None
    document: dict[str, Any] = json.loads(response.data)
    return document
