"""Cluster facts from plain Kubernetes API JSON: one conversion for live clusters and recorded objects.

The input is exactly what the API server (or ``kubectl get -o json``) returns: camelCase keys, absent
fields left out. The kube adapter fetches these dicts from a live cluster; unit tests load recorded
objects from YAML files. Both go through ``facts_from_objects``, so a recorded cluster exercises the same
code as a real one.

What is read, and why:

- DaemonSets: ``spec.template.spec.containers[]`` / ``initContainers[]`` (name, image, literal
  ``env[].value``, ``command`` + ``args``) and ``status.desiredNumberScheduled`` (0 = installed but
  scheduled nowhere, as aws-node after a move to a Calico overlay). ``env[].valueFrom`` is left out:
  its value lives elsewhere (a ConfigMap, the downward API) and we do not guess it.
- Tigera operator ``Installation`` (operator.tigera.io/v1), the one named ``default``: ``spec.cni.type``
  (absent means the operator's default, ``Calico``) and ``spec.calicoNetwork.ipPools[]``.
- Calico ``IPPool`` (crd.projectcalico.org/v1, written by manifest installs and by the operator):
  ``spec.cidr``, ``vxlanMode``, ``ipipMode``, ``natOutgoing``, ``disabled``.
- ConfigMap ``kube-system/amazon-vpc-cni``: its ``data``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

from netconform.core.profiles import (
    ClusterFacts,
    ContainerFacts,
    DaemonSetFacts,
    Encapsulation,
    IpPoolFacts,
)

INSTALLATION_NAME: Final = "default"
"""The operator reconciles only the Installation called ``default``."""
DEFAULT_OPERATOR_CNI: Final = "Calico"
"""``spec.cni.type`` when the Installation leaves it out."""

# Operator spellings of spec.calicoNetwork.ipPools[].encapsulation.
_OPERATOR_ENCAPSULATION: Final = {
    "vxlan": Encapsulation.VXLAN,
    "vxlancrosssubnet": Encapsulation.VXLAN,
    "ipip": Encapsulation.IPIP,
    "ipipcrosssubnet": Encapsulation.IPIP,
    "none": Encapsulation.NONE,
}


def facts_from_objects(
    daemonsets: Sequence[Mapping[str, Any]],
    installations: Sequence[Mapping[str, Any]],
    ip_pools: Sequence[Mapping[str, Any]],
    vpc_cni_configmap: Mapping[str, Any] | None,
) -> ClusterFacts:
    """``ClusterFacts`` from API objects as JSON dicts; every DaemonSet given is kept (the caller selects).

    IP pools come from the IPPool CRs first; pools of the Installation are added when no CR has their
    CIDR yet (the operator creates a CR per Installation pool, and Calico forbids overlapping pools).
    """
    installation = _default_installation(installations)
    pools = [_ip_pool_from_cr(item) for item in ip_pools]
    known_cidrs = {pool.cidr for pool in pools}
    if installation is not None:
        for pool in _ip_pools_from_installation(installation):
            if pool.cidr not in known_cidrs:
                pools.append(pool)
                known_cidrs.add(pool.cidr)
    return ClusterFacts(
        daemonsets=tuple(daemonset_facts(ds) for ds in daemonsets),
        calico_installation_cni=None if installation is None else installation_cni(installation),
        ip_pools=tuple(pools),
        vpc_cni_config=_string_map(_mapping(vpc_cni_configmap or {}, "data")),
    )


def daemonset_facts(ds: Mapping[str, Any]) -> DaemonSetFacts:
    metadata = _mapping(ds, "metadata")
    pod_spec = _mapping(_mapping(_mapping(ds, "spec"), "template"), "spec")
    desired = _mapping(ds, "status").get("desiredNumberScheduled")
    ready = _mapping(ds, "status").get("numberReady", 0 if isinstance(desired, int) else None)
    return DaemonSetFacts(
        namespace=str(metadata.get("namespace", "")),
        name=str(metadata.get("name", "")),
        containers=tuple(container_facts(c) for c in _list(pod_spec, "containers")),
        init_containers=tuple(container_facts(c) for c in _list(pod_spec, "initContainers")),
        desired_pods=desired if isinstance(desired, int) else None,
        ready_pods=ready if isinstance(ready, int) else None,
    )


def container_facts(container: Mapping[str, Any]) -> ContainerFacts:
    env = {
        str(entry["name"]): str(entry["value"])
        for entry in _list(container, "env")
        if "name" in entry and entry.get("value") is not None
    }
    return ContainerFacts(
        name=str(container.get("name", "")),
        image=str(container.get("image") or ""),
        env=env,
        args=tuple(str(a) for a in [*(container.get("command") or []), *(container.get("args") or [])]),
    )


def installation_cni(installation: Mapping[str, Any]) -> str:
    cni_type = _mapping(_mapping(installation, "spec"), "cni").get("type")
    return str(cni_type) if cni_type else DEFAULT_OPERATOR_CNI


def _default_installation(installations: Sequence[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    for item in installations:
        if _mapping(item, "metadata").get("name") == INSTALLATION_NAME:
            return item
    return None


def _ip_pools_from_installation(installation: Mapping[str, Any]) -> list[IpPoolFacts]:
    network = _mapping(_mapping(installation, "spec"), "calicoNetwork")
    pools = []
    for index, pool in enumerate(_list(network, "ipPools")):
        encapsulation = str(pool.get("encapsulation", "None")).lower()
        pools.append(
            IpPoolFacts(
                name=str(pool.get("name") or f"Installation/default ipPools[{index}]"),
                cidr=str(pool.get("cidr", "")),
                encapsulation=_OPERATOR_ENCAPSULATION.get(encapsulation, Encapsulation.NONE),
                nat_outgoing=str(pool.get("natOutgoing", "Enabled")).lower() == "enabled",
            )
        )
    return pools


def _ip_pool_from_cr(item: Mapping[str, Any]) -> IpPoolFacts:
    spec = _mapping(item, "spec")
    if _mode_on(spec, "vxlanMode"):
        encapsulation = Encapsulation.VXLAN
    elif _mode_on(spec, "ipipMode"):
        encapsulation = Encapsulation.IPIP
    else:
        encapsulation = Encapsulation.NONE
    return IpPoolFacts(
        name=str(_mapping(item, "metadata").get("name", "?")),
        cidr=str(spec.get("cidr", "")),
        encapsulation=encapsulation,
        nat_outgoing=spec.get("natOutgoing") is True,
        disabled=spec.get("disabled") is True,
    )


def _mode_on(spec: Mapping[str, Any], key: str) -> bool:
    """``Always`` or ``CrossSubnet``; absent, empty or ``Never`` is off."""
    return str(spec.get(key) or "Never").lower() != "never"


def _mapping(obj: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = obj.get(key)
    return value if isinstance(value, Mapping) else {}


def _list(obj: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    value = obj.get(key)
    if not isinstance(value, list):
        return []
    return [item for item in value if isinstance(item, Mapping)]


def _string_map(data: Mapping[str, Any]) -> dict[str, str]:
    return {str(key): str(value) for key, value in data.items() if value is not None}
