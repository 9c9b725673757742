"""The test bed's certificates and kubeconfigs, laid out like hack/local-up-cluster.sh's CERT_DIR."""

from __future__ import annotations

import base64
import ipaddress
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from netconform.adapters.tls import CertificateAuthority, KeyPair, new_private_key_pem, public_key_pem
from netconform.testbed import addresses as a
from netconform.testbed.paths import Layout


@dataclass(frozen=True)
class Identity:
    """A client identity of one component: its kubeconfig file name, user and groups."""

    name: str
    user: str
    groups: tuple[str, ...] = ()


ADMIN = Identity("admin", "netconform-admin", ("system:masters",))
CONTROLLER_MANAGER = Identity("controller-manager", "system:kube-controller-manager")
SCHEDULER = Identity("scheduler", "system:kube-scheduler")
KUBE_PROXY = Identity("kube-proxy", "system:kube-proxy")
# kube-router and KWOK read and write across the cluster; on a throwaway test bed they run as admins.
KUBE_ROUTER = Identity("kube-router", "netconform:kube-router", ("system:masters",))
KWOK = Identity("kwok", "netconform:kwok", ("system:masters",))
APISERVER_KUBELET_CLIENT = "kube-apiserver"  # bound to system:kubelet-api-admin after start

CLIENT_IDENTITIES = (ADMIN, CONTROLLER_MANAGER, SCHEDULER, KUBE_PROXY, KUBE_ROUTER, KWOK)


def api_server_url() -> str:
    return f"https://{a.API_IP}:{a.API_PORT}"


def generate(
    layout: Layout,
    nodes: Sequence[a.NodeSpec] = (a.FIRST_NODE,),
    node_ips: Mapping[int, ipaddress.IPv4Address] | None = None,
) -> None:
    """Write CAs, serving and client certificates, the service-account key and one kubeconfig per identity;
    each node gets its own kubelet identity (system:node:<name>, so the Node authorizer and NodeRestriction
    treat it as that node) and serving certificate for its InternalIP."""
    pki = layout.pki
    pki.mkdir(parents=True, exist_ok=True)
    server_ca = CertificateAuthority.create("netconform-server-ca")
    client_ca = CertificateAuthority.create("netconform-client-ca")
    front_proxy_ca = CertificateAuthority.create("netconform-front-proxy-ca")
    _write_pair(pki, "server-ca", server_ca.pair)
    _write_pair(pki, "client-ca", client_ca.pair)
    _write_pair(pki, "front-proxy-ca", front_proxy_ca.pair)
    _write_pair(
        pki,
        "apiserver",
        server_ca.issue(
            "kube-apiserver",
            dns_names=(
                "kubernetes",
                "kubernetes.default",
                "kubernetes.default.svc",
                f"kubernetes.default.svc.{a.CLUSTER_DOMAIN}",
                "localhost",
            ),
            ip_addresses=(a.API_IP, a.API_SERVICE_IP, ipaddress.ip_address("127.0.0.1")),
            server=True,
        ),
    )
    _write_pair(pki, "apiserver-kubelet-client", client_ca.issue(APISERVER_KUBELET_CLIENT, client=True))
    _write_pair(pki, "front-proxy-client", front_proxy_ca.issue("front-proxy-client", client=True))
    for node in nodes:
        node_pki = layout.node(node.index).pki
        node_pki.mkdir(parents=True, exist_ok=True)
        ips = (node.ip, *([node_ips[node.index]] if node_ips and node.index in node_ips else []))
        serving = server_ca.issue(node.name, dns_names=(node.name,), ip_addresses=ips, server=True)
        _write_pair(node_pki, "kubelet-serving", serving)
        client = client_ca.issue(f"system:node:{node.name}", organizations=("system:nodes",), client=True)
        kubeconfig = node_pki / "kubelet.kubeconfig"
        kubeconfig.write_text(render_kubeconfig(f"system:node:{node.name}", server_ca.pair.cert_pem, client))
        kubeconfig.chmod(0o600)
    sa_key = new_private_key_pem()
    (pki / "service-account.key").write_bytes(sa_key)
    (pki / "service-account.pub").write_bytes(public_key_pem(sa_key))
    for identity in CLIENT_IDENTITIES:
        pair = client_ca.issue(identity.user, organizations=identity.groups, client=True)
        path = kubeconfig_path(layout, identity)
        path.write_text(render_kubeconfig(identity.user, server_ca.pair.cert_pem, pair))
        path.chmod(0o600)


def kubeconfig_path(layout: Layout, identity: Identity) -> Path:
    if identity is ADMIN:
        return layout.admin_kubeconfig
    return layout.pki / f"{identity.name}.kubeconfig"


def render_kubeconfig(user: str, ca_pem: bytes, pair: KeyPair, server: str | None = None) -> str:
    def b64(data: bytes) -> str:
        return base64.b64encode(data).decode()

    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {
                "name": "netconform-testbed",
                "cluster": {"server": server or api_server_url(), "certificate-authority-data": b64(ca_pem)},
            }
        ],
        "users": [
            {
                "name": user,
                "user": {"client-certificate-data": b64(pair.cert_pem), "client-key-data": b64(pair.key_pem)},
            }
        ],
        "contexts": [
            {"name": "netconform-testbed", "context": {"cluster": "netconform-testbed", "user": user}}
        ],
        "current-context": "netconform-testbed",
    }
    return yaml.safe_dump(config, sort_keys=False)


def _write_pair(directory: Path, name: str, pair: KeyPair) -> None:
    (directory / f"{name}.crt").write_bytes(pair.cert_pem)
    key = directory / f"{name}.key"
    key.write_bytes(pair.key_pem)
    key.chmod(0o600)
