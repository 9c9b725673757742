"""kube-router as the VPC CNI bed's NetworkPolicy engine, run as a DaemonSet beside aws-node.

On EKS a policy engine beside the VPC CNI (Calico policy-only) is a DaemonSet, and that is how `netconform
detect` sees it. The bridge bed runs kube-router as a host process per node, which the API cannot show; on
the VPC CNI bed it is a DaemonSet instead, so detection names the policy engine from the cluster, never
from the bed's word. The flags are the host process's (``components.kube_router``), with the same
kubeconfig (mounted from the bed's PKI directory, visible in every node's mount namespace).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from netconform.testbed import addresses as a
from netconform.testbed import components, pki
from netconform.testbed.images import ImageSpec
from netconform.testbed.paths import Layout

NAME = "kube-router"
NAMESPACE = "kube-system"
IMAGE = "netconform.local/kube-router:v2.1.0"  # testbed/kube-router/go.mod pins v2.1.0
KUBECONFIG_IN_POD = "/var/lib/kube-router/kubeconfig"
NODE = "spec.nodeName"


def image_spec(binary: Path) -> ImageSpec:
    """The kube-router binary; iptables and ipset are the node's (its /usr is mounted at run time)."""
    return ImageSpec(
        reference=IMAGE,
        files={"kube-router": binary},
        symlinks={"bin": "usr/bin", "sbin": "usr/sbin", "lib": "usr/lib", "lib64": "usr/lib64"},
        entrypoint=("/kube-router",),
        texts={"etc/passwd": "root:x:0:0:root:/root:/bin/sh\n"},
    )


def args() -> list[str]:
    return [
        f"--kubeconfig={KUBECONFIG_IN_POD}",
        "--hostname-override=$(NODE_NAME)",
        "--run-firewall=true",
        "--run-router=false",
        "--run-service-proxy=false",
        f"--service-cluster-ip-range={a.SERVICE_CIDR}",
        "--iptables-sync-period=1m",
        f"--health-port={components.KUBE_ROUTER_HEALTH_PORT}",
        "--metrics-port=0",
        "--v=1",
    ]


def daemonset(layout: Layout) -> dict[str, Any]:
    labels = {"k8s-app": NAME}

    def host(name: str, path: str, kind: str) -> dict[str, Any]:
        return {"name": name, "hostPath": {"path": path, "type": kind}}

    return {
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": {"name": NAME, "namespace": NAMESPACE, "labels": labels},
        "spec": {
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {
                    "hostNetwork": True,
                    "priorityClassName": "system-node-critical",
                    "terminationGracePeriodSeconds": 5,
                    "tolerations": [{"operator": "Exists"}],
                    "containers": [
                        {
                            "name": NAME,
                            "image": IMAGE,
                            "imagePullPolicy": "Never",
                            "args": args(),
                            "env": [{"name": "NODE_NAME", "valueFrom": {"fieldRef": {"fieldPath": NODE}}}],
                            "livenessProbe": {
                                "httpGet": {
                                    "host": "127.0.0.1",
                                    "path": "/healthz",
                                    "port": components.KUBE_ROUTER_HEALTH_PORT,
                                },
                                "initialDelaySeconds": 10,
                                "periodSeconds": 5,
                            },
                            "resources": {"requests": {"cpu": "25m"}},
                            # iptables and ipset in the node's namespace
                            "securityContext": {"privileged": True},
                            "volumeMounts": [
                                {"name": "kubeconfig", "mountPath": KUBECONFIG_IN_POD, "readOnly": True},
                                {"name": "usr", "mountPath": "/usr", "readOnly": True},
                                {"name": "alternatives", "mountPath": "/etc/alternatives", "readOnly": True},
                                {"name": "ld-cache", "mountPath": "/etc/ld.so.cache", "readOnly": True},
                            ],
                        }
                    ],
                    "volumes": [
                        host("kubeconfig", str(pki.kubeconfig_path(layout, pki.KUBE_ROUTER)), "File"),
                        host("usr", "/usr", "Directory"),
                        host("alternatives", "/etc/alternatives", "Directory"),
                        host("ld-cache", "/etc/ld.so.cache", "File"),
                    ],
                },
            },
        },
    }
