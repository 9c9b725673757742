"""The two control-plane topologies: routable (VPC CNI-like) and isolated (Calico overlay on EKS-like).

In ``isolated`` the API server reaches the node (hostNetwork pods, the kubelet) but not pod IPs; its proxy
request to a pod must time out, as EKS users see with an overlay, while the hostNetwork pod still answers.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from contextlib import AbstractContextManager

import pytest
from kubernetes.client.exceptions import ApiException

from fixtures.namespaces import NamespaceSet
from netconform.adapters.kube import manifests
from netconform.adapters.kube.cluster import KubeCluster
from netconform.testbed.addresses import Topology

PROXY_TIMEOUT_S = 8  # a healthy proxy answers in milliseconds
APISERVER_DIAL_TIMEOUT_S = 30  # kube-apiserver's proxy dialer gives up after this
HOST_PORT = 32101  # a free high port on the node for the hostNetwork server
NODE_HOSTNAME = socket.gethostname()  # a hostNetwork pod shares the node's UTS namespace: the machine's name


@pytest.fixture
def servers(kube: KubeCluster, namespaces: NamespaceSet, images: manifests.ImageSettings) -> str:
    ns = namespaces.make("proxy")
    kube.create(ns, manifests.http_pod("in-pod-network", {"app": "web"}, images, 8080))
    kube.create(
        ns, manifests.http_pod("on-host-network", {"app": "host"}, images, HOST_PORT, host_network=True)
    )
    kube.wait_pods_ready(ns, ["in-pod-network", "on-host-network"])
    return ns


def proxy_get(kube: KubeCluster, ns: str, pod: str, port: int, timeout_s: float = PROXY_TIMEOUT_S) -> str:
    """GET /hostname through the API server's pods/proxy subresource."""
    return str(
        kube.core.connect_get_namespaced_pod_proxy_with_path(
            f"{pod}:{port}", ns, "hostname", _request_timeout=timeout_s
        )
    )


def test_routable_api_server_reaches_pods_and_host_network(kube: KubeCluster, servers: str) -> None:
    assert proxy_get(kube, servers, "in-pod-network", 8080) == "in-pod-network"
    assert proxy_get(kube, servers, "on-host-network", HOST_PORT) == NODE_HOSTNAME


def test_isolated_api_server_reaches_host_network_but_not_pod_ips(
    kube: KubeCluster, servers: str, topology: Callable[[Topology], AbstractContextManager[None]]
) -> None:
    with topology(Topology.ISOLATED):
        assert proxy_get(kube, servers, "on-host-network", HOST_PORT) == NODE_HOSTNAME
        # The API server gives up after its own 30 s dial timeout and answers 503, the symptom EKS users
        # see with an overlay ("error trying to reach service: dial tcp <pod-ip>:8080: i/o timeout").
        with pytest.raises(ApiException) as failure:
            proxy_get(kube, servers, "in-pod-network", 8080, timeout_s=APISERVER_DIAL_TIMEOUT_S + 15)
        assert failure.value.status == 503
        assert "i/o timeout" in failure.value.body or "deadline exceeded" in failure.value.body
    # And back: the switch is complete in both directions.
    assert proxy_get(kube, servers, "in-pod-network", 8080) == "in-pod-network"
