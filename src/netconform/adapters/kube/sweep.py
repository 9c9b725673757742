"""Finding and removing the harness's objects by label: exactly ours, never by name prefix."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from netconform.adapters.kube import labels
from netconform.adapters.kube.cluster import KubeCluster
from netconform.adapters.kube.errors import NotFound, call


@dataclass(frozen=True)
class Leftover:
    kind: str
    name: str
    run_id: str
    age_s: float
    terminating: bool = False  # deletion requested, finalizers still running

    def describe(self) -> str:
        return f"{self.kind}/{self.name} (run {self.run_id}, {self.age_s / 60:.0f} min old)"


def _kinds(cluster: KubeCluster) -> dict[str, tuple[Callable[..., Any], Callable[[str], Any]]]:
    """Kind -> (list with label_selector, delete by name), for every kind the harness creates cluster-wide."""
    return {
        "Namespace": (cluster.core.list_namespace, cluster.core.delete_namespace),
        "ValidatingWebhookConfiguration": (
            cluster.admission.list_validating_webhook_configuration,
            cluster.admission.delete_validating_webhook_configuration,
        ),
        "MutatingWebhookConfiguration": (
            cluster.admission.list_mutating_webhook_configuration,
            cluster.admission.delete_mutating_webhook_configuration,
        ),
        "APIService": (cluster.apiregistration.list_api_service, cluster.apiregistration.delete_api_service),
        "ClusterRoleBinding": (
            cluster.rbac.list_cluster_role_binding,
            cluster.rbac.delete_cluster_role_binding,
        ),
        "ClusterRole": (cluster.rbac.list_cluster_role, cluster.rbac.delete_cluster_role),
    }


def find(cluster: KubeCluster, run_id: str | None = None, older_than_s: float = 0.0) -> list[Leftover]:
    selector = labels.run_selector(run_id)
    now = time.time()
    found = []
    for kind, (lister, _) in _kinds(cluster).items():
        items = call(f"list {kind} objects labelled {selector}", _list_call(lister, selector))
        for item in items.items:
            meta = item.metadata
            created = meta.creation_timestamp.timestamp() if meta.creation_timestamp else now
            age = now - created
            if age >= older_than_s:
                run = (meta.labels or {}).get(labels.RUN_ID, "?")
                found.append(Leftover(kind, meta.name, run, age, meta.deletion_timestamp is not None))
    return found


def delete(cluster: KubeCluster, leftovers: list[Leftover]) -> None:
    kinds = _kinds(cluster)
    # Webhook configurations first: a dangling webhook can block the deletion of everything else.
    order = [
        "ValidatingWebhookConfiguration",
        "MutatingWebhookConfiguration",
        "APIService",
        "ClusterRoleBinding",
        "ClusterRole",
        "Namespace",
    ]
    for leftover in sorted(leftovers, key=lambda x: order.index(x.kind)):
        _, deleter = kinds[leftover.kind]
        try:
            call(f"delete {leftover.kind} {leftover.name}", _bind(deleter, leftover.name))
        except NotFound:
            pass


def _list_call(lister: Callable[..., Any], selector: str) -> Callable[[], Any]:
    return lambda: lister(label_selector=selector)


def _bind(deleter: Callable[[str], Any], name: str) -> Callable[[], Any]:
    return lambda: deleter(name)
