"""pods/proxy and services/proxy (API server → pod); exec, logs, port-forward (API server → kubelet)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

import pytest

from netconform.adapters.kube import manifests
from netconform.adapters.kube.cluster import KubeCluster
from netconform.checks.apiserver import reachability
from netconform.checks.apiserver.webhooks import free_host_port
from netconform.core.apiserver.paths import Backend, Mechanism, path
from netconform.core.truthtable import Protocol
from suites.apiserver.conftest import VerdictOf

pytestmark = pytest.mark.apiserver

POD_PORT = 8080


@dataclass(frozen=True)
class HttpServer:
    namespace: str
    pod: str
    service: str
    port: int
    expected_body: str | None  # /hostname: the pod's name; a hostNetwork pod answers the node's hostname


@pytest.fixture(scope="module")
def http_servers(
    kube: KubeCluster, module_namespace: str, images: manifests.ImageSettings
) -> dict[Backend, HttpServer]:
    """agnhost netexec on the pod network and on the host network, each behind a Service."""
    host_port = free_host_port()
    specs = {
        Backend.POD_NETWORK: ("web-pod", POD_PORT, False),
        Backend.HOST_NETWORK: ("web-host", host_port, True),
    }
    for name, port, host_network in specs.values():
        pod = manifests.http_pod(name, {"app": name}, images, port, host_network=host_network)
        kube.create(module_namespace, pod)
        kube.create(module_namespace, manifests.service_for(name, {"app": name}, [(port, Protocol.TCP)]))
    kube.wait_pods_ready(module_namespace, [name for name, _, _ in specs.values()])
    return {
        backend: HttpServer(module_namespace, name, name, port, None if host_network else name)
        for backend, (name, port, host_network) in specs.items()
    }


BACKENDS = {Backend.POD_NETWORK: "pod", Backend.HOST_NETWORK: "host"}


@pytest.mark.parametrize("backend", list(BACKENDS), ids=list(BACKENDS.values()))
def test_pods_proxy(
    kube: KubeCluster,
    http_servers: dict[Backend, HttpServer],
    backend: Backend,
    verdict_of: VerdictOf,
) -> None:
    server = http_servers[backend]
    verdict_of(
        reachability.pod_proxy(
            kube,
            path(Mechanism.POD_PROXY, backend),
            server.namespace,
            server.pod,
            port=server.port,
            expected_body=server.expected_body,
        )
    )


@pytest.mark.parametrize("backend", list(BACKENDS), ids=list(BACKENDS.values()))
def test_services_proxy(
    kube: KubeCluster,
    http_servers: dict[Backend, HttpServer],
    backend: Backend,
    verdict_of: VerdictOf,
) -> None:
    server = http_servers[backend]
    verdict_of(
        reachability.service_proxy(
            kube,
            path(Mechanism.SERVICE_PROXY, backend),
            server.namespace,
            server.service,
            port=server.port,
            expected_body=server.expected_body,
        )
    )


def test_exec(kube: KubeCluster, http_servers: dict[Backend, HttpServer], verdict_of: VerdictOf) -> None:
    server = http_servers[Backend.POD_NETWORK]
    token = f"netconform-{secrets.token_hex(4)}"
    verdict_of(
        reachability.exec_echo(
            kube, path(Mechanism.EXEC, Backend.KUBELET), server.namespace, server.pod, token
        )
    )


def test_logs(kube: KubeCluster, http_servers: dict[Backend, HttpServer], verdict_of: VerdictOf) -> None:
    server = http_servers[Backend.POD_NETWORK]
    verdict_of(
        reachability.logs_contain(
            kube,
            path(Mechanism.LOGS, Backend.KUBELET),
            server.namespace,
            server.pod,
            container="netexec",
            needle=f"Started HTTP server on port {server.port}",
        )
    )


def test_port_forward(
    kube: KubeCluster, http_servers: dict[Backend, HttpServer], verdict_of: VerdictOf
) -> None:
    server = http_servers[Backend.POD_NETWORK]
    verdict_of(
        reachability.port_forward_http(
            kube,
            path(Mechanism.PORT_FORWARD, Backend.KUBELET),
            server.namespace,
            server.pod,
            port=server.port,
            expected_body=server.pod,
        )
    )
