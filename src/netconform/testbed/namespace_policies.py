"""The hardened test bed's namespace controller: what Kyverno ``generate`` rules do on many clusters.

Every new namespace (not kube-*, not default) gets a ResourceQuota, a LimitRange and a default-deny
NetworkPolicy (all pods, ingress and egress), created a moment after the namespace, as a controller would:

    python -m netconform.testbed.namespace_policies --kubeconfig K

Like a Kyverno policy's ``exclude`` block, the ConfigMap kube-system/netconform-testbed-generate may name a
label (``excludeNetworkPolicyLabel: key=value``) whose namespaces get no NetworkPolicy; it is read at every
event, so editing it takes effect at once. ``objects_for`` is the whole policy (pure, unit-tested).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Mapping, Sequence
from typing import Any

from kubernetes import client, utils, watch
from kubernetes.client.rest import ApiException

from netconform.adapters.kube.client import api_client

SYSTEM_NAMESPACES = frozenset({"default", "kube-system", "kube-public", "kube-node-lease"})
GENERATED_LABEL = {"app.kubernetes.io/managed-by": "netconform-testbed-generate"}
SETTINGS = ("kube-system", "netconform-testbed-generate")
EXCLUDE_KEY = "excludeNetworkPolicyLabel"
QUOTA = {
    "pods": "60",
    "requests.cpu": "4",
    "requests.memory": "4Gi",
    "limits.cpu": "64",
    "limits.memory": "16Gi",
}
CONTAINER_MAX = {"cpu": "2", "memory": "1Gi"}
POLICY_NAME = "default-deny"


def objects_for(
    namespace: str, labels: Mapping[str, str], exclude: str | None = None
) -> list[dict[str, Any]]:
    """What a new namespace gets; ``exclude`` (key=value) spares matching namespaces the NetworkPolicy."""
    if namespace in SYSTEM_NAMESPACES or namespace.startswith("kube-"):
        return []
    meta = {"namespace": namespace, "labels": GENERATED_LABEL}
    objects: list[dict[str, Any]] = [
        {
            "apiVersion": "v1",
            "kind": "ResourceQuota",
            "metadata": {"name": "hardened-quota", **meta},
            "spec": {"hard": QUOTA},
        },
        {
            "apiVersion": "v1",
            "kind": "LimitRange",
            "metadata": {"name": "hardened-limits", **meta},
            # A maximum and no defaults: containers must state their limits, nothing fills them in.
            "spec": {"limits": [{"type": "Container", "max": CONTAINER_MAX}]},
        },
    ]
    key, _, value = (exclude or "").partition("=")
    if not (key and labels.get(key) == value):
        objects.append(
            {
                "apiVersion": "networking.k8s.io/v1",
                "kind": "NetworkPolicy",
                "metadata": {"name": POLICY_NAME, **meta},
                "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]},
            }
        )
    return objects


def _exclusion(core: client.CoreV1Api) -> str | None:
    try:
        data = core.read_namespaced_config_map(SETTINGS[1], SETTINGS[0]).data or {}
    except ApiException as err:
        if err.status == 404:
            return None
        raise
    return data.get(EXCLUDE_KEY) or None


def _generate(api: client.ApiClient, core: client.CoreV1Api, namespace: Any) -> None:
    meta = namespace.metadata
    if meta.deletion_timestamp is not None:
        return
    for obj in objects_for(meta.name, meta.labels or {}, _exclusion(core)):
        try:
            utils.create_from_dict(api, obj)
        except utils.FailToCreateError as err:
            # 409: made already; 403/404: the namespace is terminating or gone. Neither is ours to fix.
            if not all(
                isinstance(e, ApiException) and e.status in (403, 404, 409) for e in err.api_exceptions
            ):
                raise


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m netconform.testbed.namespace_policies")
    parser.add_argument("--kubeconfig", required=True)
    args = parser.parse_args(argv)
    api = api_client(args.kubeconfig)
    core = client.CoreV1Api(api)
    while True:  # a watch ends when the server closes it; the controller resumes, as informers do
        try:
            for event in watch.Watch().stream(core.list_namespace, timeout_seconds=300):
                if event["type"] == "ADDED":
                    _generate(api, core, event["object"])
        except (ApiException, OSError) as err:
            sys.stderr.write(f"namespace_policies: {err}; resuming in 1s\n")
            time.sleep(1)


if __name__ == "__main__":
    sys.exit(main())
