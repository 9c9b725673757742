"""The running aws-node DaemonSet's configuration, read from the cluster (read-only)."""

from __future__ import annotations

from netconform.adapters.kube.cluster import KubeCluster
from netconform.adapters.kube.errors import NotFound, call

AWS_NODE = ("kube-system", "aws-node")


def read_aws_node_env(cluster: KubeCluster, ref: tuple[str, str] = AWS_NODE) -> dict[str, str] | None:
    """Literal env of the aws-node container (valueFrom entries cannot drift), or None when absent."""
    namespace, name = ref
    try:
        ds = call(
            f"read daemonset {namespace}/{name}",
            lambda: cluster.apps.read_namespaced_daemon_set(name, namespace),
        )
    except NotFound:
        return None
    for container in ds.spec.template.spec.containers or []:
        if container.name == "aws-node":
            return {e.name: e.value for e in container.env or [] if e.value is not None}
    return None
