"""``netconform testbed up --hardened``: a production cluster's defaults, made with the real mechanisms.

- PodSecurity admission enforcing ``restricted`` in every namespace but kube-system (AdmissionConfiguration,
  as EKS Auto Mode and most platform teams configure it);
- the bed's own policy webhook (testbed/policy_webhook.py, a process in nc-cp, ``failurePolicy: Fail``):
  pods whose containers do not request CPU and memory are denied, with the rule's name in the message;
- a NoSchedule taint on the last real node (with two or more), as a dedicated node group has;
- KWOK fake nodes labelled Windows, Fargate and virtual-kubelet, which must never get probe pods (the Windows
  and virtual ones without a taint, so only the harness's own placement keeps it off them);
- a namespace controller (testbed/namespace_policies.py) that puts a ResourceQuota, a LimitRange and a
  default-deny NetworkPolicy into every new namespace, as Kyverno generate rules do.

Bring-up cost over the plain bed: two small Python processes, KWOK with three nodes, one webhook round trip
per pod creation.
"""

from __future__ import annotations

import base64
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from kubernetes import client

from netconform.adapters.tls import CertificateAuthority
from netconform.adapters.waits import Bound, NotYet, wait_until
from netconform.testbed import addons, policy_webhook, processes, shell
from netconform.testbed import addresses as a
from netconform.testbed.kwok_nodes import fake_node
from netconform.testbed.paths import Layout
from netconform.testbed.processes import Daemon

TAINT = "netconform.io/dedicated=infra:NoSchedule"  # kubectl taint syntax; on the last real node
WEBHOOK_DAEMON = "policy-webhook"
CONTROLLER_DAEMON = "namespace-policies"
DAEMONS = (WEBHOOK_DAEMON, CONTROLLER_DAEMON)
SPECIAL_NODES: tuple[tuple[str, dict[str, str], list[dict[str, str]]], ...] = (
    ("kwok-windows-0", {"kubernetes.io/os": "windows"}, []),
    (
        "kwok-fargate-0",
        {"eks.amazonaws.com/compute-type": "fargate"},
        [{"key": "eks.amazonaws.com/compute-type", "value": "fargate", "effect": "NoSchedule"}],
    ),
    ("kwok-virtual-0", {"type": "virtual-kubelet", "kubernetes.io/role": "agent"}, []),
)
WEBHOOK_SERVING = Bound("the bed's policy webhook to answer", timeout_s=30, interval_s=0.5)
SPECIAL_NODES_READY = Bound("the Windows, Fargate and virtual KWOK nodes to report Ready", timeout_s=120)


def hardened_file(layout: Layout) -> Path:
    return layout.state / "hardened"


def is_hardened(layout: Layout) -> bool:
    return hardened_file(layout).exists()


def admission_config(layout: Layout) -> Path:
    """PodSecurity defaults: enforce (and warn, audit) ``restricted``; kube-system is exempt (CoreDNS)."""
    level = {
        "enforce": "restricted",
        "enforce-version": "latest",
        "warn": "restricted",
        "audit": "restricted",
    }
    config = {
        "apiVersion": "apiserver.config.k8s.io/v1",
        "kind": "AdmissionConfiguration",
        "plugins": [
            {
                "name": "PodSecurity",
                "configuration": {
                    "apiVersion": "pod-security.admission.config.k8s.io/v1",
                    "kind": "PodSecurityConfiguration",
                    "defaults": level,
                    "exemptions": {"usernames": [], "runtimeClasses": [], "namespaces": ["kube-system"]},
                },
            }
        ],
    }
    path = layout.config / "admission.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def apiserver_flags(layout: Layout) -> tuple[str, ...]:
    return (f"--admission-control-config-file={admission_config(layout)}",)


def webhook_daemon(layout: Layout) -> tuple[Daemon, bytes]:
    """The policy webhook's daemon and the CA that signed its certificate (for the configuration)."""
    ca = CertificateAuthority.create("netconform-testbed policy webhook CA")
    pair = ca.issue("policy-webhook", ip_addresses=(a.API_IP,), server=True)
    cert, key = layout.pki / "policy-webhook.crt", layout.pki / "policy-webhook.key"
    cert.write_bytes(pair.cert_pem)
    key.write_bytes(pair.key_pem)
    key.chmod(0o600)
    argv = (
        sys.executable,
        "-m",
        "netconform.testbed.policy_webhook",
        f"--cert={cert}",
        f"--key={key}",
        f"--address={a.API_IP}",
        f"--port={policy_webhook.PORT}",
    )
    return Daemon(WEBHOOK_DAEMON, argv, netns=a.CP_NETNS), ca.pair.cert_pem


def controller_daemon(layout: Layout) -> Daemon:
    argv = (
        sys.executable,
        "-m",
        "netconform.testbed.namespace_policies",
        f"--kubeconfig={layout.admin_kubeconfig}",
    )
    return Daemon(CONTROLLER_DAEMON, argv, netns=a.CP_NETNS)


def webhook_configuration(ca_pem: bytes) -> dict[str, Any]:
    return {
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "ValidatingWebhookConfiguration",
        "metadata": {"name": policy_webhook.CONFIGURATION_NAME},
        "webhooks": [
            {
                "name": policy_webhook.WEBHOOK_NAME,
                "clientConfig": {
                    "url": f"https://{a.API_IP}:{policy_webhook.PORT}{policy_webhook.PATH}",
                    "caBundle": base64.b64encode(ca_pem).decode(),
                },
                "rules": [
                    {
                        "operations": ["CREATE"],
                        "apiGroups": [""],
                        "apiVersions": ["v1"],
                        "resources": ["pods"],
                    }
                ],
                "namespaceSelector": {
                    "matchExpressions": [
                        {"key": "kubernetes.io/metadata.name", "operator": "NotIn", "values": ["kube-system"]}
                    ]
                },
                "failurePolicy": "Fail",
                "sideEffects": "None",
                "admissionReviewVersions": ["v1"],
                "timeoutSeconds": 5,
            }
        ],
    }


def special_node_manifests() -> list[dict[str, Any]]:
    capacity = {"cpu": "4", "memory": "16Gi", "pods": "110", "ephemeral-storage": "100Gi"}
    return [
        fake_node(name, {"netconform.io/special-node": "true", **labels}, taints, capacity)
        for name, labels, taints in SPECIAL_NODES
    ]


AddNodes = Callable[[list[dict[str, Any]], Bound], None]


def start(layout: Layout, api: client.ApiClient, add_nodes: AddNodes) -> None:
    """After the nodes are Ready: the webhook, the controller and the special nodes (``add_nodes`` creates
    and waits for KWOK nodes, starting KWOK)."""
    daemon, ca_pem = webhook_daemon(layout)
    processes.start(layout, daemon)
    wait_until(WEBHOOK_SERVING, lambda: _answers(layout))
    addons.apply(api, [webhook_configuration(ca_pem)])
    processes.start(layout, controller_daemon(layout))
    add_nodes(special_node_manifests(), SPECIAL_NODES_READY)
    hardened_file(layout).write_text("1\n")


_CONNECT = "import socket, sys; socket.create_connection((sys.argv[1], int(sys.argv[2])), 1); print('up')"


def _answers(layout: Layout) -> None:
    """A TCP connect from inside nc-cp, where the API server dials it (the root namespace reaches 6443)."""
    processes.ensure_alive(layout, WEBHOOK_DAEMON)
    argv = ["nsenter", f"--net=/run/netns/{a.CP_NETNS}", "--", sys.executable, "-c", _CONNECT]
    out = shell.run([*argv, str(a.API_IP), str(policy_webhook.PORT)], check=False)
    if out.strip() != "up":
        raise NotYet(f"{a.API_IP}:{policy_webhook.PORT}: {out.strip()[-200:] or 'no answer'}")


def stop(layout: Layout) -> None:
    for name in DAEMONS:
        processes.stop(layout, name)
    hardened_file(layout).unlink(missing_ok=True)


def taint_flag() -> str:
    return f"--register-with-taints={TAINT}"
