"""Command lines and configuration files of the test bed's daemons, after hack/local-up-cluster.sh."""

from __future__ import annotations

import ipaddress
import json
from pathlib import Path

import yaml

from netconform.testbed import addresses as a
from netconform.testbed import images, pki
from netconform.testbed.binaries import Binaries
from netconform.testbed.paths import Layout, NodeLayout
from netconform.testbed.processes import Daemon

MAX_PODS = 110
NODE_POD_CIDR_MASK = 24


def etcd(layout: Layout, bins: Binaries) -> Daemon:
    return Daemon(
        "etcd",
        (
            str(bins.path("etcd", "etcd")),
            f"--data-dir={layout.etcd_data}",
            "--listen-client-urls=http://127.0.0.1:2379",
            "--advertise-client-urls=http://127.0.0.1:2379",
            "--listen-peer-urls=http://127.0.0.1:2380",
            "--initial-advertise-peer-urls=http://127.0.0.1:2380",
            "--initial-cluster=default=http://127.0.0.1:2380",
            "--log-level=warn",
            "--unsafe-no-fsync",  # a throwaway cluster on tmpfs: fsync only costs time
        ),
        netns=a.CP_NETNS,
    )


def kube_apiserver(layout: Layout, bins: Binaries, extra: tuple[str, ...] = ()) -> Daemon:
    p = layout.pki
    audit_policy = layout.config / "audit-policy.yaml"
    audit_policy.write_text(
        yaml.safe_dump({"apiVersion": "audit.k8s.io/v1", "kind": "Policy", "rules": [{"level": "None"}]})
    )
    return Daemon(
        "kube-apiserver",
        (
            str(bins.path("k8s", "kube-apiserver")),
            f"--advertise-address={a.API_IP}",
            f"--bind-address={a.API_IP}",
            f"--secure-port={a.API_PORT}",
            "--etcd-servers=http://127.0.0.1:2379",
            f"--service-cluster-ip-range={a.SERVICE_CIDR}",
            "--authorization-mode=Node,RBAC",
            "--enable-admission-plugins=NamespaceLifecycle,LimitRanger,ServiceAccount,DefaultTolerationSeconds,"
            "Priority,MutatingAdmissionWebhook,ValidatingAdmissionWebhook,ResourceQuota,NodeRestriction",
            "--allow-privileged=true",
            f"--client-ca-file={p / 'client-ca.crt'}",
            f"--tls-cert-file={p / 'apiserver.crt'}",
            f"--tls-private-key-file={p / 'apiserver.key'}",
            f"--kubelet-client-certificate={p / 'apiserver-kubelet-client.crt'}",
            f"--kubelet-client-key={p / 'apiserver-kubelet-client.key'}",
            "--kubelet-preferred-address-types=InternalIP",
            f"--service-account-key-file={p / 'service-account.pub'}",
            f"--service-account-signing-key-file={p / 'service-account.key'}",
            "--service-account-issuer=https://kubernetes.default.svc",
            f"--requestheader-client-ca-file={p / 'front-proxy-ca.crt'}",
            "--requestheader-allowed-names=front-proxy-client",
            "--requestheader-extra-headers-prefix=X-Remote-Extra-",
            "--requestheader-group-headers=X-Remote-Group",
            "--requestheader-username-headers=X-Remote-User",
            f"--proxy-client-cert-file={p / 'front-proxy-client.crt'}",
            f"--proxy-client-key-file={p / 'front-proxy-client.key'}",
            f"--audit-policy-file={audit_policy}",
            "--storage-media-type=application/vnd.kubernetes.protobuf",
            "--endpoint-reconciler-type=lease",
            "--profiling=false",
            "--v=1",
            *extra,
        ),
        netns=a.CP_NETNS,
    )


def kube_controller_manager(layout: Layout, bins: Binaries, allocate_node_cidrs: bool = True) -> Daemon:
    """``allocate_node_cidrs``: False under the VPC CNI, as on EKS (pods take VPC addresses, no podCIDR)."""
    p = layout.pki
    kubeconfig = pki.kubeconfig_path(layout, pki.CONTROLLER_MANAGER)
    return Daemon(
        "kube-controller-manager",
        (
            str(bins.path("k8s", "kube-controller-manager")),
            f"--kubeconfig={kubeconfig}",
            f"--authentication-kubeconfig={kubeconfig}",
            f"--authorization-kubeconfig={kubeconfig}",
            f"--service-account-private-key-file={p / 'service-account.key'}",
            f"--root-ca-file={p / 'server-ca.crt'}",
            f"--cluster-signing-cert-file={p / 'client-ca.crt'}",
            f"--cluster-signing-key-file={p / 'client-ca.key'}",
            f"--service-cluster-ip-range={a.SERVICE_CIDR}",
            f"--allocate-node-cidrs={str(allocate_node_cidrs).lower()}",
            f"--cluster-cidr={a.POD_CIDR}",
            f"--node-cidr-mask-size={NODE_POD_CIDR_MASK}",
            "--use-service-account-credentials=true",
            "--controllers=*",
            "--leader-elect=false",
            "--bind-address=127.0.0.1",
            "--secure-port=10257",
            "--v=1",
        ),
    )


def kube_scheduler(layout: Layout, bins: Binaries) -> Daemon:
    config = layout.config / "scheduler.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "kubescheduler.config.k8s.io/v1",
                "kind": "KubeSchedulerConfiguration",
                "clientConnection": {"kubeconfig": str(pki.kubeconfig_path(layout, pki.SCHEDULER))},
                "leaderElection": {"leaderElect": False},
            }
        )
    )
    return Daemon(
        "kube-scheduler",
        (
            str(bins.path("k8s", "kube-scheduler")),
            f"--config={config}",
            "--bind-address=127.0.0.1",
            "--secure-port=10259",
            "--v=1",
        ),
    )


def node_daemon_name(node: a.NodeSpec, component: str) -> str:
    """Pid and log file name of one node's component: n2-kubelet."""
    return f"n{node.index}-{component}"


def _on_node(node: a.NodeSpec, nl: NodeLayout, component: str, argv: tuple[str, ...], path: str) -> Daemon:
    return Daemon(
        node_daemon_name(node, component),
        argv,
        netns=node.netns,
        mount_ns=nl.mount_ns,
        env={"PATH": f"{path + ':' if path else ''}/usr/sbin:/usr/bin:/sbin:/bin"},
    )


def containerd(nl: NodeLayout, node: a.NodeSpec, bins: Binaries, cni_conf_dir: Path | None = None) -> Daemon:
    config = nl.config / "containerd.toml"
    write_file(config, containerd_config(nl, cni_conf_dir))
    argv = (str(bins.path("containerd", "containerd")), f"--config={config}")
    return _on_node(node, nl, "containerd", argv, str(bins.dirs["containerd"]))


def containerd_config(nl: NodeLayout, cni_conf_dir: Path | None = None) -> str:
    return f"""version = 3
root = "{nl.containerd_root}"
state = "{nl.containerd_state}"

[grpc]
  address = "{nl.containerd_socket}"

[ttrpc]
  address = "{nl.containerd_state}/containerd.sock.ttrpc"

[plugins]
  # NRI listens on /var/run/nri/nri.sock, a host path every node would share: two containerds started at once
  # race for it (bind: address already in use) and the socket outlives the bed. The bed runs no NRI plugins.
  [plugins.'io.containerd.nri.v1.nri']
    disable = true
  [plugins.'io.containerd.internal.v1.opt']
    path = "{nl.containerd_opt}"
  [plugins.'io.containerd.cri.v1.images']
    snapshotter = "overlayfs"
    [plugins.'io.containerd.cri.v1.images'.pinned_images]
      sandbox = "{images.PAUSE_IMAGE}"
  [plugins.'io.containerd.cri.v1.runtime']
    # This machine withholds CAP_SYS_RESOURCE, so runc may not lower a container's oom_score_adj below
    # containerd's own (the kubelet asks -998 for pause); clamp instead of failing every sandbox.
    restrict_oom_score_adj = true
    netns_mounts_under_state_dir = true
    tolerate_missing_hugetlb_controller = true
    disable_hugetlb_controller = true
    [plugins.'io.containerd.cri.v1.runtime'.containerd]
      default_runtime_name = "runc"
      [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc]
        runtime_type = "io.containerd.runc.v2"
        [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc.options]
          SystemdCgroup = false
          BinaryName = "/usr/sbin/runc"
          Root = "{nl.runc_root}"
    [plugins.'io.containerd.cri.v1.runtime'.cni]
      bin_dirs = ["{nl.bed.cni_bin_dir}"]
      conf_dir = "{cni_conf_dir or nl.cni_conf_dir}"
      max_conf_num = 1
  [plugins.'io.containerd.grpc.v1.cri']
    stream_server_address = "127.0.0.1"
    stream_server_port = "0"
"""


def cni_conflist(nl: NodeLayout, node_pod_cidr: str) -> str:
    return json.dumps(
        {
            "cniVersion": "1.0.0",
            "name": CNI_NETWORK,
            "plugins": [
                {
                    "type": "bridge",
                    "bridge": a.POD_BRIDGE,  # in the node's own namespace: one cni0 per node, no clash
                    "isGateway": True,
                    "ipMasq": False,  # nothing of ours leaves the machine, so there is nothing to masquerade
                    "hairpinMode": True,
                    "ipam": {
                        "type": "host-local",
                        "dataDir": str(nl.cni_data_dir),
                        "ranges": [[{"subnet": node_pod_cidr}]],
                        "routes": [{"dst": "0.0.0.0/0"}],
                    },
                },
                {
                    "type": "portmap",
                    "capabilities": {"portMappings": True},
                    "externalSetMarkChain": "KUBE-MARK-MASQ",
                },
            ],
        },
        indent=2,
    )


CNI_NETWORK = "netconform-pods"  # libcni names its cached results after it


def kubelet(
    nl: NodeLayout,
    node: a.NodeSpec,
    bins: Binaries,
    max_pods: int = MAX_PODS,
    extra: tuple[str, ...] = (),
    *,
    node_ip: ipaddress.IPv4Address | None = None,
    labels: dict[str, str] | None = None,
) -> Daemon:
    """``extra``: more kubelet flags (the hardened bed's taint); ``node_ip``: the InternalIP when it is not
    the node's link address (the VPC CNI's primary ENI address); ``labels``: instead of the default labels."""
    ip = node_ip or node.ip
    config = nl.config / "kubelet.yaml"
    resolv = nl.config / "resolv.conf"
    # Pods and CoreDNS never see the machine's resolver: only the cluster DNS.
    write_file(resolv, f"nameserver {a.DNS_SERVICE_IP}\nsearch {a.CLUSTER_DOMAIN}\noptions ndots:5\n")
    config.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "kubelet.config.k8s.io/v1beta1",
                "kind": "KubeletConfiguration",
                "address": str(ip),
                "cgroupDriver": "cgroupfs",
                "cgroupRoot": node.cgroup_root,  # one tree per node: teardown finds every pod by it
                "failCgroupV1": False,  # this machine is cgroup v1; 1.35+ refuses it unless told (KEP-5573)
                "containerRuntimeEndpoint": f"unix://{nl.containerd_socket}",
                "failSwapOn": False,
                "rotateCertificates": False,
                "serverTLSBootstrap": False,
                "tlsCertFile": str(nl.pki / "kubelet-serving.crt"),
                "tlsPrivateKeyFile": str(nl.pki / "kubelet-serving.key"),
                "authentication": {
                    "anonymous": {"enabled": False},
                    "webhook": {"enabled": True},
                    "x509": {"clientCAFile": str(nl.bed.pki / "client-ca.crt")},
                },
                "authorization": {"mode": "Webhook"},
                "clusterDNS": [str(a.DNS_SERVICE_IP)],
                "clusterDomain": a.CLUSTER_DOMAIN,
                "resolvConf": str(resolv),
                "maxPods": max_pods,
                "podLogsDir": str(nl.pod_logs),
                "serializeImagePulls": False,
                "imageGCHighThresholdPercent": 100,
                "imageGCLowThresholdPercent": 99,
                "evictionHard": {
                    "memory.available": "200Mi",
                    "nodefs.available": "1%",
                    "imagefs.available": "1%",
                },
                "protectKernelDefaults": False,
                "localStorageCapacityIsolation": True,
                # Per network namespace: every node's kubelet has its own loopback, so no port clashes.
                "healthzBindAddress": "127.0.0.1",
                "healthzPort": 10248,
                "readOnlyPort": 0,
                "nodeStatusReportFrequency": "20s",
            }
        )
    )
    label_text = ",".join(f"{k}={v}" for k, v in (labels or node.labels).items())
    argv = (
        str(bins.path("k8s", "kubelet")),
        f"--config={config}",
        f"--kubeconfig={nl.pki / 'kubelet.kubeconfig'}",
        f"--hostname-override={node.name}",
        f"--node-ip={ip}",
        f"--root-dir={nl.kubelet_root}",
        f"--node-labels={label_text}",
        "--v=1",
        *extra,
    )
    return _on_node(node, nl, "kubelet", argv, str(nl.bed.cni_bin_dir))


def kube_proxy(
    nl: NodeLayout,
    node: a.NodeSpec,
    bins: Binaries,
    node_ip: ipaddress.IPv4Address | None = None,
    cluster_cidr: ipaddress.IPv4Network = a.POD_CIDR,
) -> Daemon:
    """``cluster_cidr``: where pods live (the VPC under the VPC CNI: pod-to-Service traffic is not
    masqueraded, so NetworkPolicy sees the pod's own address)."""
    config = nl.config / "kube-proxy.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "kubeproxy.config.k8s.io/v1alpha1",
                "kind": "KubeProxyConfiguration",
                "mode": "iptables",
                "clusterCIDR": str(cluster_cidr),
                "hostnameOverride": node.name,
                "bindAddress": str(node_ip or node.ip),
                "clientConnection": {"kubeconfig": str(pki.kubeconfig_path(nl.bed, pki.KUBE_PROXY))},
                # NodePorts on the node's own address only
                "nodePortAddresses": [f"{node_ip}/32" if node_ip else str(node.link)],
                "iptables": {"localhostNodePorts": False},  # else it sets route_localnet=1
                "conntrack": {
                    "maxPerCore": 0,
                    "min": 0,
                    "tcpEstablishedTimeout": "0s",
                    "tcpCloseWaitTimeout": "0s",
                },
                "metricsBindAddress": "127.0.0.1:10249",
                "healthzBindAddress": "127.0.0.1:10256",
            }
        )
    )
    argv = (str(bins.path("k8s", "kube-proxy")), f"--config={config}", "--v=1")
    return _on_node(node, nl, "kube-proxy", argv, "")


KUBE_ROUTER_HEALTH_PORT = 20244  # /healthz on the node namespace's loopback


def kube_router(nl: NodeLayout, node: a.NodeSpec, bins: Binaries) -> Daemon:
    argv = (
        str(bins.path("kube-router", "kube-router")),
        f"--kubeconfig={pki.kubeconfig_path(nl.bed, pki.KUBE_ROUTER)}",
        f"--hostname-override={node.name}",
        "--run-firewall=true",
        "--run-router=false",
        "--run-service-proxy=false",
        f"--service-cluster-ip-range={a.SERVICE_CIDR}",
        "--iptables-sync-period=1m",
        f"--health-port={KUBE_ROUTER_HEALTH_PORT}",
        "--metrics-port=0",
        "--v=1",
    )
    return _on_node(node, nl, "kube-router", argv, "")


# KWOK v0.8 ships its behaviours as Stage objects; without any it refuses to start ("no stages found").
KWOK_STAGES = (
    "kustomize/stage/node/fast/node-initialize.yaml",
    "kustomize/stage/node/heartbeat-with-lease/node-heartbeat-with-lease.yaml",
    "kustomize/stage/pod/fast/pod-ready.yaml",
    "kustomize/stage/pod/fast/pod-complete.yaml",
    "kustomize/stage/pod/fast/pod-delete.yaml",
)


def kwok_config(layout: Layout, kwok_module_dir: Path) -> Path:
    """One config file holding KWOK's upstream node and pod stages, read from the module cache."""
    docs = [(kwok_module_dir / stage).read_text().strip() for stage in KWOK_STAGES]
    path = layout.config / "kwok.yaml"
    path.write_text("\n---\n".join(docs) + "\n")
    return path


def kwok(layout: Layout, bins: Binaries, kwok_module_dir: Path) -> Daemon:
    return Daemon(
        "kwok",
        (
            str(bins.path("kwok", "kwok")),
            f"--config={kwok_config(layout, kwok_module_dir)}",
            f"--kubeconfig={pki.kubeconfig_path(layout, pki.KWOK)}",
            "--manage-all-nodes=false",
            "--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake",
            "--manage-nodes-with-label-selector=",
            "--manage-single-node=",
            f"--cidr={a.FAKE_POD_CIDR}",
            "--node-ip=10.250.255.254",
            "--node-lease-duration-seconds=40",
            "--server-address=127.0.0.1:10247",
        ),
    )


def write_file(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


EXTERNAL_HTTP_PORT = 8080
EXTERNAL_UDP_PORT = 8081


def external_host(bins: Binaries) -> Daemon:
    """A server "outside" the pod network (its own namespace, reached through the node), for egress checks:
    netexec answers /clientip with the source address it sees, so SNAT is visible."""
    return Daemon(
        "external-host",
        (
            str(bins.path("k8s", "agnhost")),
            "netexec",
            f"--http-port={EXTERNAL_HTTP_PORT}",
            f"--udp-port={EXTERNAL_UDP_PORT}",
        ),
        netns=a.EXT_NETNS,
    )
