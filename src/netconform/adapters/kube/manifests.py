"""Manifests of the harness's pods and services, built from a few facts (image, pull policy, ports).

Server pods follow upstream's e2e netpol model: named container ports serve-<port>-<proto>, so named-port
policies resolve as the engine expects; server_pod has one container per (port, protocol) as upstream does,
netexec_server_pod one netexec per port serving every protocol (the NetworkPolicy suite's pods).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from netconform.core.truthtable import Protocol

GRACE_S = 0  # probe pods hold no state; deleting them should not wait


@dataclass(frozen=True)
class ImageSettings:
    probe_image: str
    pull_policy: str


def pod(
    name: str,
    labels: dict[str, str],
    containers: list[dict[str, Any]],
    *,
    host_network: bool = False,
    node_name: str | None = None,
    volumes: list[dict[str, Any]] | None = None,
    share_process_namespace: bool = False,
) -> dict[str, Any]:
    """The Pod around the harness's containers: no service-account token and no Service env vars (probe pods
    need neither), deleted without grace, and on hostNetwork with the DNS policy that keeps cluster DNS."""
    spec: dict[str, Any] = {
        "containers": containers,
        "terminationGracePeriodSeconds": GRACE_S,
        "automountServiceAccountToken": False,
        "enableServiceLinks": False,
    }
    if volumes:
        spec["volumes"] = volumes
    if share_process_namespace:
        spec["shareProcessNamespace"] = True
    if host_network:
        spec["hostNetwork"] = True
        spec["dnsPolicy"] = "ClusterFirstWithHostNet"
    if node_name:
        spec["nodeName"] = node_name
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": labels}, "spec": spec}


def container_name(port: int, protocol: Protocol) -> str:
    return f"cont-{port}-{protocol.value.lower()}"


def port_name(port: int, protocol: Protocol) -> str:
    return f"serve-{port}-{protocol.value.lower()}"


def _server_container(image: ImageSettings, port: int, protocol: Protocol) -> dict[str, Any]:
    if protocol is Protocol.SCTP:
        args = ["porter"]
        env = [{"name": f"SERVE_SCTP_PORT_{port}", "value": "foo"}]
    else:
        args = ["serve-hostname", f"--{protocol.value.lower()}", "--http=false", f"--port={port}"]
        env = []
    container: dict[str, Any] = {
        "name": container_name(port, protocol),
        "image": image.probe_image,
        "imagePullPolicy": image.pull_policy,
        "command": ["/agnhost"],
        "args": args,
        "ports": [{"name": port_name(port, protocol), "containerPort": port, "protocol": protocol.value}],
        "securityContext": {"allowPrivilegeEscalation": False},
        "resources": {"requests": {"cpu": "1m", "memory": "8Mi"}},
    }
    if env:
        container["env"] = env
    return container


def server_pod(
    name: str,
    labels: dict[str, str],
    image: ImageSettings,
    ports: Sequence[tuple[int, Protocol]],
    *,
    host_network: bool = False,
    node_name: str | None = None,
) -> dict[str, Any]:
    containers = [_server_container(image, port, protocol) for port, protocol in ports]
    return pod(name, labels, containers, host_network=host_network, node_name=node_name)


def netexec_server_pod(
    name: str,
    labels: dict[str, str],
    image: ImageSettings,
    ports: Sequence[int],
    protocols: Sequence[Protocol],
    *,
    node_name: str | None = None,
) -> dict[str, Any]:
    """One agnhost netexec container per port serving every protocol on it (HTTP over TCP, UDP, SCTP), with
    named container ports serve-<port>-<proto>. netexec also answers ``/dial``, so the same pods are the
    probes' sources (see probe.methods.NetexecDial)."""
    containers = [_netexec_container(image, port, protocols) for port in ports]
    # A shared PID namespace makes the pause container PID 1, and it reaps orphans: a probe batch's watchdog
    # outlives the exec's shell, as does the watcher of a probe run under `timeout`; netexec as PID 1 would
    # never reap them, and a catalog run once piled up tens of thousands of zombies until fork failed.
    return pod(name, labels, containers, share_process_namespace=True, node_name=node_name)


def netexec_container_name(port: int) -> str:
    return f"cont-{port}"


def _netexec_container(image: ImageSettings, port: int, protocols: Sequence[Protocol]) -> dict[str, Any]:
    args = ["netexec", f"--http-port={port}"]
    args.append(f"--udp-port={port}" if Protocol.UDP in protocols else "--udp-port=-1")
    if Protocol.SCTP in protocols:  # only where the kernel has SCTP: netexec exits if it cannot listen
        args.append(f"--sctp-port={port}")
    served = [Protocol.TCP, *(p for p in protocols if p is not Protocol.TCP)]
    return {
        "name": netexec_container_name(port),
        "image": image.probe_image,
        "imagePullPolicy": image.pull_policy,
        "command": ["/agnhost"],
        "args": args,
        "ports": [
            {"name": port_name(port, protocol), "containerPort": port, "protocol": protocol.value}
            for protocol in served
        ],
        # tcpSocket: netexec's /healthz also waits for UDP; the suite's readiness pass proves every protocol.
        "readinessProbe": {"tcpSocket": {"port": port}, "periodSeconds": 1},
        "securityContext": {"allowPrivilegeEscalation": False},
        "resources": {"requests": {"cpu": "1m", "memory": "8Mi"}},
    }


def http_pod(
    name: str,
    labels: dict[str, str],
    image: ImageSettings,
    port: int = 8080,
    *,
    host_network: bool = False,
) -> dict[str, Any]:
    """agnhost netexec: answers /hostname, /echo, /clientip, /dial — the target of proxy and HTTP checks."""
    container = {
        "name": "netexec",
        "image": image.probe_image,
        "imagePullPolicy": image.pull_policy,
        "command": ["/agnhost"],
        "args": ["netexec", f"--http-port={port}", "--udp-port=-1"],
        "ports": [{"name": "http", "containerPort": port, "protocol": "TCP"}],
        # tcpSocket: netexec's /healthz waits for its UDP server, which is off here.
        "readinessProbe": {"tcpSocket": {"port": port}, "periodSeconds": 1},
        "resources": {"requests": {"cpu": "1m", "memory": "8Mi"}},
    }
    return pod(name, labels, [container], host_network=host_network)


def client_pod(name: str, labels: dict[str, str], image: ImageSettings) -> dict[str, Any]:
    """A pod that only runs probes (agnhost pause keeps it alive)."""
    container = {
        "name": "client",
        "image": image.probe_image,
        "imagePullPolicy": image.pull_policy,
        "command": ["/agnhost"],
        "args": ["pause"],
        "resources": {"requests": {"cpu": "1m", "memory": "8Mi"}},
    }
    return pod(name, labels, [container])


def service_for(
    name: str,
    selector: dict[str, str],
    ports: Sequence[tuple[int, Protocol]],
    *,
    service_type: str = "ClusterIP",
    headless: bool = False,
) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "selector": selector,
        "type": service_type,
        "ports": [
            {"name": port_name(port, protocol), "port": port, "targetPort": port, "protocol": protocol.value}
            for port, protocol in ports
        ],
    }
    if headless:
        spec["clusterIP"] = "None"
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name}, "spec": spec}
