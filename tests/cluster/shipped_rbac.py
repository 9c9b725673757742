"""deploy/rbac.yaml's objects applied to the bed and removed again, for tests that run as its identities."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml

from netconform.adapters.kube.cluster import KubeCluster
from netconform.adapters.kube.errors import Conflict, NotFound, call

RBAC_FILE = Path(__file__).resolve().parents[2] / "deploy" / "rbac.yaml"
SA_NAMESPACE = "netconform-system"


def shipped() -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(RBAC_FILE.read_text()) if doc]


def apply(kube: KubeCluster, doc: dict[str, Any]) -> None:
    """Create or replace one object of the kinds rbac.yaml holds."""
    kind, name = doc["kind"], doc["metadata"]["name"]
    namespace = doc["metadata"].get("namespace")
    create, replace = {
        "ClusterRole": (kube.rbac.create_cluster_role, kube.rbac.replace_cluster_role),
        "ClusterRoleBinding": (kube.rbac.create_cluster_role_binding, kube.rbac.replace_cluster_role_binding),
        "Namespace": (kube.core.create_namespace, kube.core.replace_namespace),
        "ServiceAccount": (
            lambda body: kube.core.create_namespaced_service_account(namespace, body),
            lambda n, body: kube.core.replace_namespaced_service_account(n, namespace, body),
        ),
    }[kind]
    try:
        call(f"create {kind} {name}", lambda: create(doc))
    except Conflict:
        if kind not in ("Namespace", "ServiceAccount"):  # those have nothing to update
            call(f"replace {kind} {name}", lambda: replace(name, doc))


def remove(kube: KubeCluster, doc: dict[str, Any]) -> None:
    kind, name = doc["kind"], doc["metadata"]["name"]
    namespace = doc["metadata"].get("namespace")
    deleters: dict[str, Callable[[], Any]] = {
        "ClusterRole": lambda: kube.rbac.delete_cluster_role(name),
        "ClusterRoleBinding": lambda: kube.rbac.delete_cluster_role_binding(name),
        "Namespace": lambda: kube.core.delete_namespace(name),
        "ServiceAccount": lambda: kube.core.delete_namespaced_service_account(name, namespace),
    }
    try:
        call(f"delete {kind} {name}", deleters[kind])
    except NotFound:
        pass


@contextmanager
def shipped_rbac_applied(kube: KubeCluster) -> Iterator[list[dict[str, Any]]]:
    """rbac.yaml applied for the block; afterwards removed, its namespace gone (not terminating), so the next
    module that applies the same objects does not meet a namespace that is being deleted."""
    docs = shipped()
    for doc in docs:
        apply(kube, doc)
    try:
        yield docs
    finally:
        for doc in reversed(docs):
            remove(kube, doc)
        kube.wait_namespaces_gone([SA_NAMESPACE])
