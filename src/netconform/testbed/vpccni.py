"""The real Amazon VPC CNI on the test bed (issue 16): aws-node as a DaemonSet on every real node, against the
emulated EC2 and instance metadata of ``testbed.awsemu``.

What comes from upstream, per version, read from the Go module cache (testbed/vpc-cni-<version>/go.mod pins
it): the binaries (built by testbed/build.sh), the ServiceAccount, ClusterRole, ClusterRoleBinding and
ENIConfig CRD of config/master/aws-k8s-cni.yaml verbatim, the aws-node container's env, and
misc/10-aws.conflist (filled in as upstream's entrypoint does). What is ours: the image (one layer, no
registry), the entrypoint (install the plugins, start ipamd, write the conflist once ipamd answers), and
these env changes:

- NETWORK_POLICY_ENFORCING_MODE is unset: the AWS network policy agent cannot be built here (its eBPF SDK is
  not served); unset, the plugin skips the agent (``routed-eni-cni-plugin/cni.go``), any value makes every pod
  fail to connect to its socket. kube-router enforces NetworkPolicy instead, as Calico policy-only does.
- the AWS endpoints are the emulator's (in nc-cp on the control-plane link), credentials are moto's dummies;
- ipamd logs to stdout (the pod's log), not a host file; no /run/xtables.lock mount (iptables here is the
  nf_tables backend, which takes no lock file, and the kubelet would create one in the machine's /run).
"""

from __future__ import annotations

import ipaddress
import json
import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from netconform.core.density.maxpods import DensityOptions, max_pods
from netconform.core.instance_types import bundled_limits
from netconform.errors import CannotCheck, InputError
from netconform.testbed import addresses as a
from netconform.testbed.awsemu import REGION, ZONE
from netconform.testbed.binaries import BUILD_SCRIPT, REPO_ROOT
from netconform.testbed.images import ImageSpec
from netconform.testbed.paths import Layout
from netconform.testbed.processes import Daemon

VERSIONS = ("v1.22.4", "v1.23.2")
DEFAULT_VERSION = "v1.23.2"
DEFAULT_INSTANCE_TYPE = "t3.small"
IMAGE_REPOSITORY = "netconform.local/amazon-k8s-cni"
MODULE = "github.com/aws/amazon-vpc-cni-k8s"
EC2_PORT = 5000
IMDS_PORT = 5001  # one IMDS for all nodes: it answers as the instance whose primary ENI asks
EMULATOR = "aws-emu"  # daemon name (pid and log file)
NAMESPACE = "kube-system"
CONFLIST_CONFIGMAP = "netconform-aws-node-conflist"
# Paths the aws-node pod and the aws-cni plugin use on "the host": in each node's mount namespace they are
# the node's own directories (nodes.prepare binds them), so nothing of ipamd's lands in the machine's.
CNI_CONF_DIR = Path("/etc/cni/net.d")
RUN_DIR = Path("/run/aws-node")  # ipamd's checkpoint (ipam.json) and sockets
LOG_DIR = Path("/var/log/aws-routed-eni")  # the plugins' logs
HOST_PATHS = (CNI_CONF_DIR, RUN_DIR, LOG_DIR)
HEALTH_ADDR_ENV = "NETCONFORM_IPAMD_HEALTH_ADDR"  # the entrypoint waits on what upstream's probes ask
INTROSPECTION = "127.0.0.1:61679"  # ipamd's introspection API, on each node namespace's loopback
# Changed or removed from upstream's env (the module docstring says why).
DROPPED_ENV = frozenset({"NETWORK_POLICY_ENFORCING_MODE"})


@dataclass(frozen=True)
class VpcCniOptions:
    version: str = DEFAULT_VERSION
    prefix_delegation: bool = False
    instance_type: str = DEFAULT_INSTANCE_TYPE
    env: tuple[tuple[str, str], ...] = field(default=())  # extra aws-node env (WARM_IP_TARGET, MAX_ENI, ...)

    def __post_init__(self) -> None:
        if self.version not in VERSIONS:
            raise InputError(f"--vpc-cni-version must be one of {', '.join(VERSIONS)} (got {self.version})")
        if self.instance_type not in bundled_limits():
            raise InputError(f"--instance-type {self.instance_type!r} is not an EC2 instance type we know")

    @property
    def image(self) -> str:
        return f"{IMAGE_REPOSITORY}:{self.version}"


def kubelet_max_pods(options: VpcCniOptions) -> int:
    """What EKS's bootstrap gives the kubelet for the emulated type: our calculator's value."""
    limits = bundled_limits()[options.instance_type]
    max_eni = next((int(v) for k, v in options.env if k == "MAX_ENI"), None)
    return max_pods(
        limits, DensityOptions(prefix_delegation=options.prefix_delegation, max_eni=max_eni)
    ).value


def module_dir(version: str) -> Path:
    text = (REPO_ROOT / "testbed" / f"vpc-cni-{version}" / "go.mod").read_text()
    pinned = next(
        line.split()[2] for line in text.splitlines() if line.strip().startswith(f"require {MODULE} ")
    )
    modcache = Path(os.environ.get("GOMODCACHE", Path.home() / "go/pkg/mod"))
    return modcache / f"{MODULE}@{pinned}"


def upstream_manifest(version: str) -> list[dict[str, Any]]:
    path = module_dir(version) / "config" / "master" / "aws-k8s-cni.yaml"
    return [d for d in yaml.safe_load_all(path.read_text()) if d]


def conflist(version: str, pod_mtu: int = 9001) -> str:
    """misc/10-aws.conflist with the substitutions upstream's entrypoint makes for IPv4 (its defaults)."""
    template = (module_dir(version) / "misc" / "10-aws.conflist").read_text()
    values = {
        "__VETHPREFIX__": "eni",
        "__MTU__": str(pod_mtu),
        "__PODSGENFORCINGMODE__": "strict",
        "__PLUGINLOGFILE__": str(LOG_DIR / "plugin.log"),
        "__PLUGINLOGLEVEL__": "DEBUG",
        "__EGRESSPLUGINENABLED__": "false",
        "__RANDOMIZESNAT__": "prng",
        "__NODEIP__": "",
        "__EGRESSPLUGINIPAMSUBNET__": "fd00::ac:00/118",
        "__EGRESSPLUGINIPAMDST__": "::/0",
        "__EGRESSPLUGINIPAMDATADIR__": "/run/cni/v4pd/egress-v6-ipam",
        "__EGRESSPLUGINLOGFILE__": str(LOG_DIR / "egress-v6-plugin.log"),
    }
    for key, value in values.items():
        template = template.replace(key, value)
    json.loads(template)  # a template change upstream that we do not fill in fails here, not in every pod
    return template


ENTRYPOINT = f"""\
# netconform's aws-node entrypoint (upstream's cmd/aws-vpc-cni does the same steps, plus IPv6 and checks we
# do not need): install the plugins, start ipamd, and write the conflist only once ipamd answers, so the
# kubelet reports the node Ready only when pods can get addresses.
set -eu
for plugin in aws-cni egress-cni; do
  # atomic, and named per node: every node's aws-node installs into the bed's one CNI bin dir
  cp "/app/$plugin" "/host/opt/cni/bin/.$plugin.$MY_NODE_NAME.tmp"
  mv -f "/host/opt/cni/bin/.$plugin.$MY_NODE_NAME.tmp" "/host/opt/cni/bin/$plugin"
done
cd /app
./aws-k8s-agent &
agent=$!
# ipamd treats SIGTERM as "terminating" and keeps running (pkg/ipamd); the kubelet's SIGKILL after the grace
# period ends it, as upstream. Pass TERM on so its log says so.
trap 'kill -TERM "$agent" 2>/dev/null || true' TERM INT
i=0
until /app/grpc-health-probe "-addr=${HEALTH_ADDR_ENV}" -connect-timeout=1s -rpc-timeout=1s >/dev/null; do
  kill -0 "$agent" 2>/dev/null || {{ echo "aws-node: ipamd exited before it answered"; exit 1; }}
  i=$((i + 1)); [ "$i" -lt 120 ] || {{ echo "aws-node: ipamd did not answer within 60s"; exit 1; }}
  sleep 0.5
done
cp /etc/netconform/10-aws.conflist /host/etc/cni/net.d/.10-aws.conflist.tmp
mv -f /host/etc/cni/net.d/.10-aws.conflist.tmp /host/etc/cni/net.d/10-aws.conflist
echo "aws-node: ipamd serving; conflist written"
while kill -0 "$agent" 2>/dev/null; do wait "$agent" || true; done
"""


def image_spec(bin_dir: Path, version: str) -> ImageSpec:
    """upstream's binaries under /app, our entrypoint; the host's /usr (iptables, sh) is mounted at run time,
    so the image carries only the merged-/usr links."""
    binaries = ("aws-k8s-agent", "aws-cni", "egress-cni", "grpc-health-probe")
    return ImageSpec(
        reference=VpcCniOptions(version=version).image,
        files={f"app/{b}": bin_dir / b for b in binaries},
        symlinks={"bin": "usr/bin", "sbin": "usr/sbin", "lib": "usr/lib", "lib64": "usr/lib64"},
        entrypoint=("/bin/sh", "/app/entrypoint.sh"),
        texts={"app/entrypoint.sh": ENTRYPOINT, "etc/passwd": "root:x:0:0:root:/root:/bin/sh\n"},
    )


def emulator_env() -> dict[str, str]:
    return {
        "AWS_EC2_ENDPOINT": f"http://{a.API_IP}:{EC2_PORT}",
        # v1.22.4's awsutils.New builds its EC2 client from a second LoadDefaultConfig that ignores
        # AWS_EC2_ENDPOINT (v1.23 reuses the session's config), so ipamd asked DNS for
        # ec2.us-west-2.amazonaws.com; the SDK's own per-service variable reaches both versions' clients.
        "AWS_ENDPOINT_URL_EC2": f"http://{a.API_IP}:{EC2_PORT}",
        "AWS_EC2_METADATA_SERVICE_ENDPOINT": f"http://{a.API_IP}:{IMDS_PORT}",
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
    }


def objects(options: VpcCniOptions) -> list[dict[str, Any]]:
    docs = upstream_manifest(options.version)
    kept = [
        d
        for d in docs
        if d["kind"] in ("CustomResourceDefinition", "ServiceAccount", "ClusterRole", "ClusterRoleBinding")
    ]
    upstream_ds = next(d for d in docs if d["kind"] == "DaemonSet")
    return [*kept, _conflist_configmap(options), daemonset(options, upstream_ds)]


def _conflist_configmap(options: VpcCniOptions) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": CONFLIST_CONFIGMAP, "namespace": NAMESPACE},
        "data": {"10-aws.conflist": conflist(options.version)},
    }


def _aws_node_container(upstream_ds: dict[str, Any]) -> dict[str, Any]:
    containers = upstream_ds["spec"]["template"]["spec"]["containers"]
    found: dict[str, Any] = next(c for c in containers if c["name"] == "aws-node")
    return found


def health_addr(upstream_ds: dict[str, Any]) -> str:
    """The -addr upstream's readiness probe gives grpc-health-probe."""
    command = _aws_node_container(upstream_ds)["readinessProbe"]["exec"]["command"]
    return next(str(arg).removeprefix("-addr=") for arg in command if str(arg).startswith("-addr="))


def aws_node_env(options: VpcCniOptions, upstream_ds: dict[str, Any]) -> list[dict[str, Any]]:
    container = _aws_node_container(upstream_ds)
    overrides: dict[str, str] = {
        HEALTH_ADDR_ENV: health_addr(upstream_ds),
        # The API server itself, not the kubernetes Service: on a loaded bed a node's kube-proxy may not have
        # synced its rules yet when ipamd starts (seen: node 1's first sync failed, ipamd never reached
        # 10.96.0.1 within the bring-up bound). Explicit env wins over the kubelet's Service variables.
        "KUBERNETES_SERVICE_HOST": str(a.API_IP),
        "KUBERNETES_SERVICE_PORT": str(a.API_PORT),
        **emulator_env(),
        "AWS_VPC_K8S_CNI_LOG_FILE": "stdout",
        "AWS_VPC_K8S_PLUGIN_LOG_FILE": str(LOG_DIR / "plugin.log"),
        "ENABLE_PREFIX_DELEGATION": "true" if options.prefix_delegation else "false",
        **dict(options.env),
    }
    env: list[dict[str, Any]] = []
    for item in container.get("env", []):
        name = item["name"]
        if name in DROPPED_ENV or name in overrides:
            continue
        env.append(item)
    env += [{"name": k, "value": v} for k, v in sorted(overrides.items())]
    return env


def daemonset(options: VpcCniOptions, upstream_ds: dict[str, Any]) -> dict[str, Any]:
    labels = {"k8s-app": "aws-node"}
    upstream = _aws_node_container(upstream_ds)

    def host(name: str, path: str, kind: str = "DirectoryOrCreate") -> dict[str, Any]:
        return {"name": name, "hostPath": {"path": path, "type": kind}}

    layout = Layout.default()
    return {
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": {
            "name": "aws-node",
            "namespace": NAMESPACE,
            "labels": {**upstream_ds["metadata"].get("labels", {}), **labels},
        },
        "spec": {
            "selector": {"matchLabels": labels},
            "updateStrategy": upstream_ds["spec"].get("updateStrategy", {"type": "RollingUpdate"}),
            "template": {
                "metadata": {"labels": {**labels, "app.kubernetes.io/name": "aws-node"}},
                "spec": {
                    "serviceAccountName": "aws-node",
                    "hostNetwork": True,
                    "priorityClassName": "system-node-critical",
                    "terminationGracePeriodSeconds": 10,
                    "tolerations": [{"operator": "Exists"}],
                    "containers": [
                        {
                            "name": "aws-node",
                            "image": options.image,
                            "imagePullPolicy": "Never",
                            "command": ["/bin/sh", "/app/entrypoint.sh"],
                            "env": aws_node_env(options, upstream_ds),
                            "ports": [{"containerPort": 61678, "name": "metrics"}],
                            # upstream's probes verbatim: ipamd's gRPC address differs by version
                            # (v1.22: :50051, v1.23: unix:///var/run/aws-node/ipamd.sock)
                            "readinessProbe": upstream["readinessProbe"],
                            "livenessProbe": upstream["livenessProbe"],
                            "resources": {"requests": {"cpu": "25m"}},
                            # ipamd writes the node namespace's sysctls, routes, rules, iptables, nftables
                            "securityContext": {"privileged": True},
                            "volumeMounts": [
                                {"name": "cni-bin-dir", "mountPath": "/host/opt/cni/bin"},
                                {"name": "cni-net-dir", "mountPath": "/host/etc/cni/net.d"},
                                {"name": "log-dir", "mountPath": "/var/log/aws-routed-eni"},
                                {"name": "run-dir", "mountPath": "/var/run/aws-node"},
                                {"name": "conflist", "mountPath": "/etc/netconform"},
                                # the node's iptables and sh (the image holds only upstream's binaries)
                                {"name": "usr", "mountPath": "/usr", "readOnly": True},
                                {"name": "alternatives", "mountPath": "/etc/alternatives", "readOnly": True},
                                {"name": "ld-cache", "mountPath": "/etc/ld.so.cache", "readOnly": True},
                            ],
                        }
                    ],
                    "volumes": [
                        host("cni-bin-dir", str(layout.cni_bin_dir)),
                        host("cni-net-dir", str(CNI_CONF_DIR)),
                        host("log-dir", str(LOG_DIR)),
                        host("run-dir", str(RUN_DIR)),
                        {"name": "conflist", "configMap": {"name": CONFLIST_CONFIGMAP}},
                        host("usr", "/usr", "Directory"),
                        host("alternatives", "/etc/alternatives", "Directory"),
                        host("ld-cache", "/etc/ld.so.cache", "File"),
                    ],
                },
            },
        },
    }


def emulator(layout: Layout, node_names: list[str], instance_type: str, python: str) -> Daemon:
    """aws-emu in the router namespace: EC2 and the one IMDS on the control-plane link, the datapath on."""
    argv = (
        python,
        "-m",
        "netconform.testbed.awsemu",
        "--address",
        str(a.API_IP),
        "--ec2-port",
        str(EC2_PORT),
        "--imds-by-source-port",
        str(IMDS_PORT),
        "--datapath",
        "--world-file",
        str(world_file(layout)),
        *(arg for name in node_names for arg in ("--node", f"{name}={instance_type}")),
    )
    return Daemon(EMULATOR, argv, netns=a.CP_NETNS)


def world_file(layout: Layout) -> Path:
    return layout.state / "aws-emu-world.json"


def cni_file(layout: Layout) -> Path:
    """Which CNI the running bed was brought up with (absent: the bridge)."""
    return layout.state / "cni-profile.json"


def bin_dir(version: str) -> Path:
    """Where testbed/build.sh keeps this version's binaries (built if missing: `build.sh vpc-cni-<v>`)."""
    out = subprocess.run(
        [str(BUILD_SCRIPT), "--print-dirs", "vpc-cni"], capture_output=True, text=True, check=False
    )
    if out.returncode != 0:
        raise CannotCheck(f"test bed: {BUILD_SCRIPT} --print-dirs vpc-cni failed: {out.stderr.strip()}")
    dirs = dict(line.split("=", 1) for line in out.stdout.splitlines() if "=" in line)
    return Path(dirs[f"vpc-cni-{version}"])


def node_ips(layout: Layout) -> dict[int, ipaddress.IPv4Address]:
    """Each node's primary ENI address (its InternalIP), from the running emulator's world; empty on the
    bridge bed."""
    try:
        world = json.loads(world_file(layout).read_text())
    except (FileNotFoundError, ValueError):
        return {}
    return {
        int(name.removeprefix(a.NODE_NAME_PREFIX)): ipaddress.IPv4Address(node["primary_ip"])
        for name, node in world["nodes"].items()
    }


def node_labels(node: a.NodeSpec, instance_type: str) -> dict[str, str]:
    """What EKS's nodes carry: the emulated instance type and the emulated region and zone."""
    return {
        "node.kubernetes.io/instance-type": instance_type,
        "topology.kubernetes.io/region": REGION,
        "topology.kubernetes.io/zone": ZONE,
    }
