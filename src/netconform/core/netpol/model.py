"""The cluster the engine reasons about: namespaces with labels, pods with labels, an IP and container ports.

Pods are named ``namespace/name`` everywhere (the upstream e2e model writes ``x/a``); that string is also the
row and column key of a truth table.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from netconform.core.selectors import Labels
from netconform.core.truthtable import Probe, Protocol

__all__ = ["Cluster", "ContainerPort", "IPAddress", "Labels", "Namespace", "Pod", "Probe", "Protocol"]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# The API server sets this label on every namespace (NamespaceDefaultLabelName, GA in 1.22) and overwrites any
# other value, so policies can select a namespace by its name.
NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name"


def frozen_labels(labels: Mapping[str, str] | None = None) -> Labels:
    return MappingProxyType(dict(labels or {}))


@dataclass(frozen=True)
class Namespace:
    name: str
    labels: Labels = field(default_factory=frozen_labels)

    def __post_init__(self) -> None:
        # Do what the API server does: the name label is always present and always equals the name.
        object.__setattr__(self, "labels", frozen_labels({**self.labels, NAMESPACE_NAME_LABEL: self.name}))


@dataclass(frozen=True)
class ContainerPort:
    """A port a container declares; only named ones matter to policy (they resolve named rule ports)."""

    port: int
    protocol: Protocol = Protocol.TCP
    name: str | None = None


@dataclass(frozen=True)
class Pod:
    namespace: str
    name: str
    ip: IPAddress
    labels: Labels = field(default_factory=frozen_labels)
    ports: tuple[ContainerPort, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "labels", frozen_labels(self.labels))

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"

    def resolve_named_port(self, name: str, protocol: Protocol) -> int | None:
        """The container port number behind a named port with this protocol, or None if the pod has none."""
        for port in self.ports:
            if port.name == name and port.protocol is protocol:
                return port.port
        return None


@dataclass(frozen=True)
class Cluster:
    """Namespaces and pods; every pod's namespace exists (checked here, so the engine can rely on it)."""

    namespaces: tuple[Namespace, ...]
    pods: tuple[Pod, ...]

    def __post_init__(self) -> None:
        names = [ns.name for ns in self.namespaces]
        if len(set(names)) != len(names):
            raise ValueError("duplicate namespace names")
        keys = [pod.key for pod in self.pods]
        if len(set(keys)) != len(keys):
            raise ValueError("duplicate pods")
        for pod in self.pods:
            if pod.namespace not in names:
                raise ValueError(f"pod {pod.key}: namespace {pod.namespace!r} is not defined")

    def namespace(self, name: str) -> Namespace:
        for ns in self.namespaces:
            if ns.name == name:
                return ns
        raise KeyError(name)

    def pod(self, key: str) -> Pod:
        for pod in self.pods:
            if pod.key == key:
                return pod
        raise KeyError(key)

    @property
    def pod_keys(self) -> tuple[str, ...]:
        return tuple(pod.key for pod in self.pods)
