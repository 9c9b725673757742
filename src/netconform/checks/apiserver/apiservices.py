"""Aggregated APIs: an APIService backed by the harness's own pod, and a read-only view of the cluster's.

The backend is agnhost ``netexec`` over TLS with ``--http-override`` so that every path — the aggregator's
discovery check of ``/apis/<group>/<version>`` and its discovery fetch — answers an empty, valid
``APIResourceList``. That keeps the group harmless to discovery while it is Available. An APIService the
API server cannot reach makes discovery of its group fail, which stalls namespace deletion cluster-wide,
so the harness's APIService lives only inside a ``with`` block.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from netconform.adapters.kube import labels
from netconform.adapters.kube.cluster import KubeCluster
from netconform.adapters.kube.errors import NotFound, call
from netconform.adapters.kube.manifests import ImageSettings
from netconform.adapters.waits import Bound, NotYet, wait_until
from netconform.checks.apiserver.webhooks import (
    POD_NETWORK_PORT,
    TlsServer,
    free_host_port,
    prepare_tls_server,
    resolve_service,
    tls_server_pod,
)
from netconform.core.apiserver.paths import ApiServerPath, Observation, Reach
from netconform.core.apiserver.webhook_audit import ApiServiceFacts

VERSION = "v1"
# The availability controller's discovery check gives up after 5 s; a failure must persist this long
# before it counts, so that a first check racing the Service's endpoints is not taken for the verdict.
FAILURE_SETTLE_S = 12.0
APISERVICE_VERDICT = Bound("the APIService's Available condition", timeout_s=90, interval_s=1)


@dataclass(frozen=True)
class AggregatedBackend:
    server: TlsServer
    group: str

    @property
    def api_service(self) -> str:
        return f"{VERSION}.{self.group}"


def resource_list(group: str) -> str:
    return json.dumps(
        {
            "kind": "APIResourceList",
            "apiVersion": "v1",
            "groupVersion": f"{group}/{VERSION}",
            "resources": [],
        },
        separators=(",", ":"),
    )


def deploy_backend(
    kube: KubeCluster, namespace: str, name: str, group: str, image: ImageSettings, *, host_network: bool
) -> AggregatedBackend:
    """A TLS netexec pod that answers every path with an empty APIResourceList for ``group``."""
    port = free_host_port() if host_network else POD_NETWORK_PORT
    server = prepare_tls_server(kube, namespace, name, port, host_network=host_network)
    args = [
        "netexec",
        f"--http-port={port}",
        "--udp-port=-1",
        "--tls-cert-file=/certs/tls.crt",
        "--tls-private-key-file=/certs/tls.key",
        f"--http-override=/echo?msg={quote(resource_list(group))}",
    ]
    readiness = {"tcpSocket": {"port": port}}
    kube.create(
        namespace, tls_server_pod(name, image, args, port, host_network=host_network, readiness=readiness)
    )
    kube.wait_pods_ready(namespace, [name])
    return AggregatedBackend(server, group)


def api_service_manifest(backend: AggregatedBackend, run_id: str) -> dict[str, Any]:
    return {
        "apiVersion": "apiregistration.k8s.io/v1",
        "kind": "APIService",
        "metadata": {"name": backend.api_service, "labels": labels.harness_labels(run_id)},
        "spec": {
            "group": backend.group,
            "version": VERSION,
            "service": {"namespace": backend.server.namespace, "name": backend.server.name, "port": 443},
            "caBundle": backend.server.ca_bundle,
            "groupPriorityMinimum": 100,
            "versionPriority": 10,
        },
    }


@contextmanager
def registered(kube: KubeCluster, backend: AggregatedBackend, run_id: str) -> Iterator[str]:
    """The APIService exists for the ``with`` block only."""
    name = backend.api_service
    manifest = api_service_manifest(backend, run_id)
    call(f"create APIService {name}", lambda: kube.apiregistration.create_api_service(manifest))
    try:
        yield name
    finally:
        try:
            call(f"delete APIService {name}", lambda: kube.apiregistration.delete_api_service(name))
        except NotFound:
            pass


def observe_availability(
    kube: KubeCluster, target: ApiServerPath, name: str, bound: Bound = APISERVICE_VERDICT
) -> Observation:
    """Available=True: the aggregator reached the backend. FailedDiscoveryCheck that persists for
    ``FAILURE_SETTLE_S``: it could not; the condition's message is the API server's error text."""
    first_failure: list[float] = []
    reproduce = f"kubectl get apiservice {name} -o jsonpath='{{.status.conditions}}'"

    def check() -> Observation:
        service = call(f"read APIService {name}", lambda: kube.apiregistration.read_api_service_status(name))
        condition = next((c for c in (service.status.conditions or []) if c.type == "Available"), None)
        if condition is None:
            raise NotYet("no Available condition yet")
        if condition.status == "True":
            return Observation(target, Reach.REACHED, None, f"Available=True ({condition.reason})", reproduce)
        if condition.reason != "FailedDiscoveryCheck":
            raise NotYet(f"Available={condition.status} {condition.reason}: {condition.message}")
        if not first_failure:
            first_failure.append(time.monotonic())
        if time.monotonic() - first_failure[0] < FAILURE_SETTLE_S:
            raise NotYet(f"FailedDiscoveryCheck (confirming): {condition.message}")
        return Observation(
            target,
            Reach.UNREACHABLE,
            None,
            f"Available=False FailedDiscoveryCheck: {condition.message}",
            reproduce,
        )

    return wait_until(bound, check)


def read_cluster_api_services(kube: KubeCluster) -> list[ApiServiceFacts]:
    """Every APIService, the Service-backed ones resolved to their pods."""
    facts = []
    for item in call("list APIService objects", kube.apiregistration.list_api_service).items:
        ref = item.spec.service
        condition = next(
            (c for c in ((item.status.conditions or []) if item.status else []) if c.type == "Available"),
            None,
        )
        available = None if condition is None else condition.status == "True"
        message = "" if condition is None else f"{condition.reason}: {condition.message or ''}".strip(": ")
        service = (
            None if ref is None else resolve_service(kube, ref.namespace, ref.name, int(ref.port or 443))
        )
        facts.append(ApiServiceFacts(item.metadata.name, service, available, message))
    return facts
