"""Editing the hardened bed's generate rule, as a user following the README would."""

from __future__ import annotations

from kubernetes import client

from netconform.adapters.kube.client import api_client
from netconform.testbed import namespace_policies

EXCLUDE = "netconform.io/owner=netconform"


def set_exclusion(value: str | None) -> None:
    """Which namespaces get no default-deny NetworkPolicy (None: every new namespace gets it)."""
    core = client.CoreV1Api(api_client(None))
    namespace, name = namespace_policies.SETTINGS
    try:
        core.delete_namespaced_config_map(name, namespace)
    except client.ApiException as err:
        if err.status != 404:
            raise
    if value is not None:
        body = {"metadata": {"name": name}, "data": {namespace_policies.EXCLUDE_KEY: value}}
        core.create_namespaced_config_map(namespace, body)
