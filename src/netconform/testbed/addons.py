"""In-cluster objects the test bed adds after the control plane is up: RBAC glue and CoreDNS."""

from __future__ import annotations

from typing import Any

from kubernetes import client, utils
from kubernetes.client.rest import ApiException

from netconform.testbed import addresses as a
from netconform.testbed import images, pki

COREFILE = f"""\
.:53 {{
    errors
    health {{
        lameduck 5s
    }}
    ready
    kubernetes {a.CLUSTER_DOMAIN} in-addr.arpa ip6.arpa {{
        pods insecure
        fallthrough in-addr.arpa ip6.arpa
        ttl 30
    }}
    cache 30
    loadbalance
}}
"""
# No `forward` plugin: the test bed's DNS answers the cluster domain and nothing else, so no query ever
# reaches a resolver outside the machine.


def rbac_objects() -> list[dict[str, Any]]:
    return [
        {
            # kube-apiserver -> kubelet (exec, logs, port-forward, proxy) authenticates as this user.
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRoleBinding",
            "metadata": {"name": "netconform-testbed:apiserver-kubelet-admin"},
            "roleRef": {
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "ClusterRole",
                "name": "system:kubelet-api-admin",
            },
            "subjects": [
                {
                    "apiGroup": "rbac.authorization.k8s.io",
                    "kind": "User",
                    "name": pki.APISERVER_KUBELET_CLIENT,
                }
            ],
        }
    ]


def coredns_objects() -> list[dict[str, Any]]:
    labels = {"k8s-app": "kube-dns"}
    return [
        {
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": {"name": "coredns", "namespace": "kube-system"},
        },
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRole",
            "metadata": {"name": "netconform-testbed:coredns"},
            "rules": [
                {
                    "apiGroups": [""],
                    "resources": ["endpoints", "services", "pods", "namespaces"],
                    "verbs": ["list", "watch"],
                },
                {
                    "apiGroups": ["discovery.k8s.io"],
                    "resources": ["endpointslices"],
                    "verbs": ["list", "watch"],
                },
            ],
        },
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRoleBinding",
            "metadata": {"name": "netconform-testbed:coredns"},
            "roleRef": {
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "ClusterRole",
                "name": "netconform-testbed:coredns",
            },
            "subjects": [{"kind": "ServiceAccount", "name": "coredns", "namespace": "kube-system"}],
        },
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "coredns", "namespace": "kube-system"},
            "data": {"Corefile": COREFILE},
        },
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "coredns", "namespace": "kube-system", "labels": labels},
            "spec": {
                "replicas": 1,
                "selector": {"matchLabels": labels},
                "template": {
                    "metadata": {"labels": labels},
                    "spec": {
                        "serviceAccountName": "coredns",
                        # On node 1, like a system node group: breaking another node's path in a test (a
                        # route, the link MTU) then leaves cluster DNS alone.
                        "nodeSelector": {"kubernetes.io/hostname": a.FIRST_NODE.name},
                        "dnsPolicy": "Default",
                        "priorityClassName": "system-cluster-critical",
                        "terminationGracePeriodSeconds": 1,
                        "containers": [
                            {
                                "name": "coredns",
                                "image": images.COREDNS_IMAGE,
                                "imagePullPolicy": "Never",
                                "args": ["-conf", "/etc/coredns/Corefile"],
                                "ports": [
                                    {"name": "dns", "containerPort": 53, "protocol": "UDP"},
                                    {"name": "dns-tcp", "containerPort": 53, "protocol": "TCP"},
                                ],
                                "readinessProbe": {
                                    "httpGet": {"path": "/ready", "port": 8181},
                                    "periodSeconds": 2,
                                },
                                "resources": {
                                    "requests": {"cpu": "10m", "memory": "30Mi"},
                                    "limits": {"memory": "170Mi"},
                                },
                                "volumeMounts": [{"name": "config", "mountPath": "/etc/coredns"}],
                            }
                        ],
                        "volumes": [{"name": "config", "configMap": {"name": "coredns"}}],
                    },
                },
            },
        },
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "kube-dns", "namespace": "kube-system", "labels": labels},
            "spec": {
                "selector": labels,
                "clusterIP": str(a.DNS_SERVICE_IP),
                "ports": [
                    {"name": "dns", "port": 53, "protocol": "UDP"},
                    {"name": "dns-tcp", "port": 53, "protocol": "TCP"},
                ],
            },
        },
    ]


def apply(api: client.ApiClient, objects: list[dict[str, Any]]) -> None:
    """Create each object; one that exists already is left as it is (bring-up starts from an empty etcd)."""
    for obj in objects:
        try:
            utils.create_from_dict(api, obj)
        except utils.FailToCreateError as err:
            if not all(isinstance(e, ApiException) and e.status == 409 for e in err.api_exceptions):
                raise
