"""A kubeconfig for a ServiceAccount: a short-lived token from the TokenRequest API, the cluster's server and
CA taken from an existing client. Used to run the harness with exactly the rights of a shipped role."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import yaml
from kubernetes import client

from netconform.adapters.kube.cluster import KubeCluster
from netconform.adapters.kube.errors import call

DEFAULT_TOKEN_LIFETIME_S = 3600  # the API server's minimum is 600


def request_token(
    cluster: KubeCluster, namespace: str, service_account: str, lifetime_s: int = DEFAULT_TOKEN_LIFETIME_S
) -> str:
    body = client.AuthenticationV1TokenRequest(
        spec=client.V1TokenRequestSpec(audiences=[], expiration_seconds=lifetime_s)
    )
    result = call(
        f"create serviceaccounts/token for {namespace}/{service_account}",
        lambda: cluster.core.create_namespaced_service_account_token(service_account, namespace, body),
    )
    return str(result.status.token)


def kubeconfig_for_token(cluster: KubeCluster, token: str, user: str) -> dict[str, Any]:
    """A kubeconfig (as a dict) that reaches ``cluster``'s API server as ``user`` with ``token``."""
    configuration = cluster.api.configuration
    server = str(configuration.host)
    entry: dict[str, Any] = {"server": server}
    if configuration.ssl_ca_cert:
        entry["certificate-authority-data"] = _base64(Path(configuration.ssl_ca_cert).read_bytes())
    elif not configuration.verify_ssl:
        entry["insecure-skip-tls-verify"] = True
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "cluster", "cluster": entry}],
        "users": [{"name": user, "user": {"token": token}}],
        "contexts": [{"name": user, "context": {"cluster": "cluster", "user": user}}],
        "current-context": user,
    }


def write_serviceaccount_kubeconfig(
    cluster: KubeCluster,
    namespace: str,
    service_account: str,
    path: Path,
    lifetime_s: int = DEFAULT_TOKEN_LIFETIME_S,
) -> Path:
    token = request_token(cluster, namespace, service_account, lifetime_s)
    document = kubeconfig_for_token(cluster, token, f"{namespace}-{service_account}")
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    path.chmod(0o600)
    return path


def _base64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")
