"""Command lines and configuration files of the test bed's daemons, after hack/local-up-cluster.sh."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from netconform.testbed import addresses as a
from netconform.testbed import images, pki
from netconform.testbed.binaries import Binaries
from netconform.testbed.paths import Layout
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


def kube_apiserver(layout: Layout, bins: Binaries) -> Daemon:
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
        ),
        netns=a.CP_NETNS,
    )


def kube_controller_manager(layout: Layout, bins: Binaries) -> Daemon:
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
            "--allocate-node-cidrs=true",
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


def containerd(layout: Layout, bins: Binaries) -> Daemon:
    config = layout.config / "containerd.toml"
    config.write_text(containerd_config(layout))
    return Daemon(
        "containerd",
        (str(bins.path("containerd", "containerd")), f"--config={config}"),
        env={"PATH": f"{bins.dirs['containerd']}:/usr/sbin:/usr/bin:/sbin:/bin"},
    )


def containerd_config(layout: Layout) -> str:
    return f"""version = 3
root = "{layout.containerd_root}"
state = "{layout.containerd_state}"

[grpc]
  address = "{layout.containerd_socket}"

[ttrpc]
  address = "{layout.containerd_state}/containerd.sock.ttrpc"

[plugins]
  [plugins.'io.containerd.internal.v1.opt']
    path = "{layout.lib}/containerd-opt"
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
          Root = "{layout.run}/runc"
    [plugins.'io.containerd.cri.v1.runtime'.cni]
      bin_dirs = ["{layout.cni_bin_dir}"]
      conf_dir = "{layout.cni_conf_dir}"
      max_conf_num = 1
  [plugins.'io.containerd.grpc.v1.cri']
    stream_server_address = "127.0.0.1"
    stream_server_port = "0"
"""


def cni_conflist(layout: Layout, node_pod_cidr: str) -> str:
    return json.dumps(
        {
            "cniVersion": "1.0.0",
            "name": "netconform-pods",
            "plugins": [
                {
                    "type": "bridge",
                    "bridge": a.POD_BRIDGE,
                    "isGateway": True,
                    "ipMasq": False,  # nothing of ours leaves the machine, so there is nothing to masquerade
                    "hairpinMode": True,
                    "ipam": {
                        "type": "host-local",
                        "dataDir": str(layout.cni_data_dir),
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


def kubelet(layout: Layout, bins: Binaries, max_pods: int = MAX_PODS) -> Daemon:
    config = layout.config / "kubelet.yaml"
    resolv = layout.config / "resolv.conf"
    # Pods and CoreDNS never see the machine's resolver: only the cluster DNS.
    resolv.write_text(f"nameserver {a.DNS_SERVICE_IP}\nsearch {a.CLUSTER_DOMAIN}\noptions ndots:5\n")
    config.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "kubelet.config.k8s.io/v1beta1",
                "kind": "KubeletConfiguration",
                "address": str(a.NODE_IP),
                "cgroupDriver": "cgroupfs",
                "failCgroupV1": False,  # this machine is cgroup v1; 1.35+ refuses it unless told (KEP-5573)
                "containerRuntimeEndpoint": f"unix://{layout.containerd_socket}",
                "failSwapOn": False,
                "rotateCertificates": False,
                "serverTLSBootstrap": False,
                "tlsCertFile": str(layout.pki / "kubelet-serving.crt"),
                "tlsPrivateKeyFile": str(layout.pki / "kubelet-serving.key"),
                "authentication": {
                    "anonymous": {"enabled": False},
                    "webhook": {"enabled": True},
                    "x509": {"clientCAFile": str(layout.pki / "client-ca.crt")},
                },
                "authorization": {"mode": "Webhook"},
                "clusterDNS": [str(a.DNS_SERVICE_IP)],
                "clusterDomain": a.CLUSTER_DOMAIN,
                "resolvConf": str(resolv),
                "maxPods": max_pods,
                "podLogsDir": str(layout.pod_logs),
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
                "healthzBindAddress": "127.0.0.1",
                "healthzPort": 10248,
                "readOnlyPort": 0,
                "nodeStatusReportFrequency": "20s",
            }
        )
    )
    return Daemon(
        "kubelet",
        (
            str(bins.path("k8s", "kubelet")),
            f"--config={config}",
            f"--kubeconfig={pki.kubeconfig_path(layout, pki.KUBELET)}",
            f"--hostname-override={a.NODE_NAME}",
            f"--node-ip={a.NODE_IP}",
            f"--root-dir={layout.kubelet_root}",
            "--node-labels=node.kubernetes.io/instance-type=netconform-testbed,"
            "topology.kubernetes.io/zone=testbed-a",
            "--v=1",
        ),
        env={"PATH": f"{layout.cni_bin_dir}:/usr/sbin:/usr/bin:/sbin:/bin"},
    )


def kube_proxy(layout: Layout, bins: Binaries) -> Daemon:
    config = layout.config / "kube-proxy.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "kubeproxy.config.k8s.io/v1alpha1",
                "kind": "KubeProxyConfiguration",
                "mode": "iptables",
                "clusterCIDR": str(a.POD_CIDR),
                "hostnameOverride": a.NODE_NAME,
                "bindAddress": str(a.NODE_IP),
                "clientConnection": {"kubeconfig": str(pki.kubeconfig_path(layout, pki.KUBE_PROXY))},
                "nodePortAddresses": [
                    str(a.CONTROL_PLANE_LINK)
                ],  # NodePorts on the node link only, never eth0
                "iptables": {"localhostNodePorts": False},  # else it sets route_localnet=1 on the host
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
    return Daemon("kube-proxy", (str(bins.path("k8s", "kube-proxy")), f"--config={config}", "--v=1"))


KUBE_ROUTER_HEALTH_PORT = 20244  # /healthz on the host's loopback


def kube_router(layout: Layout, bins: Binaries) -> Daemon:
    return Daemon(
        "kube-router",
        (
            str(bins.path("kube-router", "kube-router")),
            f"--kubeconfig={pki.kubeconfig_path(layout, pki.KUBE_ROUTER)}",
            f"--hostname-override={a.NODE_NAME}",
            "--run-firewall=true",
            "--run-router=false",
            "--run-service-proxy=false",
            f"--service-cluster-ip-range={a.SERVICE_CIDR}",
            "--iptables-sync-period=1m",
            f"--health-port={KUBE_ROUTER_HEALTH_PORT}",
            "--metrics-port=0",
            "--v=1",
        ),
    )


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
