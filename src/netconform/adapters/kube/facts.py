"""Read-only gathering of the cluster facts that profile detection and the reports need."""

from __future__ import annotations

from typing import Any

from kubernetes import client

from netconform.adapters.kube.cluster import KubeCluster
from netconform.adapters.kube.errors import Forbidden, NotFound, call
from netconform.core.profiles import (
    ClusterFacts,
    ContainerFacts,
    DaemonSetFacts,
    Encapsulation,
    IpPoolFacts,
)

# DaemonSets that tell us which CNI and policy engine run; other DaemonSets are ignored.
CNI_DAEMONSET_NAMES = frozenset(
    {
        "aws-node",
        "calico-node",
        "kube-router",
        "cilium",
        "kube-proxy",
        "aws-network-policy-agent",
    }
)


def gather_cluster_facts(cluster: KubeCluster) -> ClusterFacts:
    daemonsets = call(
        "list daemonsets in all namespaces", cluster.apps.list_daemon_set_for_all_namespaces
    ).items
    facts = tuple(_daemonset(ds) for ds in daemonsets if ds.metadata.name in CNI_DAEMONSET_NAMES)
    return ClusterFacts(
        daemonsets=facts,
        calico_installation_cni=_calico_installation_cni(cluster),
        ip_pools=_ip_pools(cluster),
        vpc_cni_config=_vpc_cni_config(cluster),
    )


def _daemonset(ds: Any) -> DaemonSetFacts:
    spec = ds.spec.template.spec
    return DaemonSetFacts(
        namespace=ds.metadata.namespace,
        name=ds.metadata.name,
        containers=tuple(_container(c) for c in spec.containers or []),
        init_containers=tuple(_container(c) for c in spec.init_containers or []),
        desired_pods=ds.status.desired_number_scheduled if ds.status else None,
    )


def _container(container: Any) -> ContainerFacts:
    env = {e.name: e.value for e in container.env or [] if e.value is not None}
    return ContainerFacts(
        name=container.name,
        image=container.image or "",
        env=env,
        args=tuple((container.command or []) + (container.args or [])),
    )


def _custom(cluster: KubeCluster, group: str, version: str, plural: str) -> list[dict[str, Any]]:
    api = client.CustomObjectsApi(cluster.api)
    try:
        result = call(
            f"list {plural}.{group}", lambda: api.list_cluster_custom_object(group, version, plural)
        )
    except (NotFound, Forbidden):  # not installed, or we may not look: detection goes on without it
        return []
    return list(result.get("items", []))


def _calico_installation_cni(cluster: KubeCluster) -> str | None:
    for item in _custom(cluster, "operator.tigera.io", "v1", "installations"):
        if item.get("metadata", {}).get("name") == "default":
            cni = item.get("spec", {}).get("cni", {}).get("type")
            return str(cni) if cni else "Calico"
    return None


def _ip_pools(cluster: KubeCluster) -> tuple[IpPoolFacts, ...]:
    pools = []
    for item in _custom(cluster, "crd.projectcalico.org", "v1", "ippools"):
        spec = item.get("spec", {})
        if spec.get("vxlanMode", "Never") != "Never":
            encapsulation = Encapsulation.VXLAN
        elif spec.get("ipipMode", "Never") != "Never":
            encapsulation = Encapsulation.IPIP
        else:
            encapsulation = Encapsulation.NONE
        pools.append(
            IpPoolFacts(
                name=item.get("metadata", {}).get("name", "?"),
                cidr=spec.get("cidr", ""),
                encapsulation=encapsulation,
                nat_outgoing=bool(spec.get("natOutgoing", False)),
                disabled=bool(spec.get("disabled", False)),
            )
        )
    return tuple(pools)


def _vpc_cni_config(cluster: KubeCluster) -> dict[str, str]:
    try:
        cm = call(
            "read configmap kube-system/amazon-vpc-cni",
            lambda: cluster.core.read_namespaced_config_map("amazon-vpc-cni", "kube-system"),
        )
    except (NotFound, Forbidden):
        return {}
    return dict(cm.data or {})
