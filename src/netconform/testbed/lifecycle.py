"""Bring the test bed up, report on it, and tear it down — idempotently, from any half-done state."""

from __future__ import annotations

import hashlib
import ipaddress
import json
import os
import shutil
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kubernetes import client
from kubernetes.client.rest import ApiException

from netconform.adapters import deviations_file
from netconform.adapters.kube.client import api_client
from netconform.adapters.waits import Bound, NotYet, wait_until
from netconform.errors import CannotCheck, InputError
from netconform.testbed import (
    addons,
    capacity,
    components,
    hardened,
    host,
    images,
    kwok_nodes,
    network,
    nodes,
    pki,
    policy_daemonset,
    processes,
    shell,
    sysctls,
    vpccni,
)
from netconform.testbed import addresses as a
from netconform.testbed.binaries import COMPONENTS, REPO_ROOT, Binaries, build, locate
from netconform.testbed.paths import HARD_CODED_HOST_PATHS, Layout, NodeLayout

TESTBED_DEVIATIONS = "testbed-kube-router"  # src/netconform/data/deviations/<name>.yaml

Say = Callable[[str], None]

APISERVER_READY = Bound("kube-apiserver /readyz", timeout_s=120)
CONTAINERD_SOCKET = Bound("containerd's socket", timeout_s=30, interval_s=0.2)
NODE_POD_CIDR = Bound("the nodes to register and get pod CIDRs", timeout_s=90)
NODE_READY = Bound("the nodes to report Ready", timeout_s=120)
COREDNS_READY = Bound("CoreDNS to be Ready", timeout_s=120)
KUBE_ROUTER_HEALTHY = Bound("kube-router to answer /healthz after a restart", timeout_s=60)
AWS_EMU_READY = Bound("aws-emu to serve EC2 and IMDS and plug the primary ENIs", timeout_s=90)
NODE_REGISTERED = Bound("the nodes to register", timeout_s=90)
# Under the VPC CNI a node is Ready only once aws-node's ipamd serves and wrote the conflist: more to start.
NODE_READY_VPC_CNI = Bound("the nodes to report Ready (aws-node's ipamd serving)", timeout_s=240)

# Start order; teardown stops them in reverse. Each real node's daemons: nodes.daemon_names.
CONTROL_PLANE = ("etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler")
SHARED_DAEMONS = (*CONTROL_PLANE, "external-host", "kwok")


@dataclass(frozen=True)
class UpOptions:
    topology: a.Topology = a.Topology.ROUTABLE
    nodes_fake: int = 0
    nodes: int = a.DEFAULT_NODES
    link_mtu: int = a.DEFAULT_LINK_MTU
    hardened: bool = False  # production defaults: testbed/hardened.py
    vpc_cni: vpccni.VpcCniOptions | None = None  # None: the bridge CNI (the default)


@dataclass(frozen=True)
class Status:
    running: tuple[str, ...]
    stopped: tuple[str, ...]
    topology: a.Topology | None
    kubeconfig: Path
    leftovers: tuple[str, ...] = field(default=())
    nodes: int = 0

    @property
    def healthy(self) -> bool:
        return not self.stopped and self.topology is not None


def require_root() -> None:
    if os.geteuid() != 0:
        raise InputError("the test bed needs root (network namespaces, iptables, containers); run as root")


def up(options: UpOptions, layout: Layout | None = None, say: Say = print) -> Status:
    layout = layout or Layout.default()
    capacity.check_node_count(options.nodes, 10**9)  # the range first: no root needed to be told
    require_root()
    current = status(layout)
    if (
        current.healthy
        and current.topology is options.topology
        and current.nodes == options.nodes
        and hardened.is_hardened(layout) == options.hardened
        and _recorded_cni(layout) == options.vpc_cni
    ):
        say(
            f"test bed: already up ({current.topology.value}, {current.nodes} nodes); "
            f"kubeconfig {layout.admin_kubeconfig}"
        )
        if options.nodes_fake:
            add_fake_nodes(options.nodes_fake, layout, say)
        return current
    # A running bed is torn down first: what its nodes hold comes back before ours start.
    capacity.check_machine(options.nodes, reclaimable_mb=capacity.NODE_BUDGET_MB * current.nodes)
    started = time.monotonic()
    say("test bed: tearing down any earlier state")
    down(layout, say=lambda _msg: None)
    vpc = options.vpc_cni
    build((*COMPONENTS, *((f"vpc-cni-{vpc.version}",) if vpc else ())))
    bins = locate()
    if missing := bins.missing():
        raise CannotCheck(f"test bed: binaries missing after build: {', '.join(missing)}")
    if vpc and options.topology is not a.Topology.ROUTABLE:
        raise InputError("--cni vpc-cni runs the routable topology only (pods hold VPC addresses)")
    for directory in (layout.state, layout.config, layout.run, layout.lib, layout.logs):
        directory.mkdir(parents=True, exist_ok=True)
    sysctls.save(layout.saved_sysctls)
    sysctls.apply_required()
    specs = a.nodes(options.nodes)
    say(f"test bed: network ({options.topology.value}, {options.nodes} nodes, link MTU {options.link_mtu})")
    network.set_up()
    for node in specs:
        network.add_node(node, options.link_mtu)
    network.set_topology(options.topology, specs)
    layout.topology_file.write_text(options.topology.value)
    layout.nodes_file.write_text(str(options.nodes))
    node_ips: dict[int, ipaddress.IPv4Address] = {}
    if vpc:
        vpccni.cni_file(layout).write_text(_cni_record(vpc))
        node_ips = _start_emulator(layout, specs, vpc, say)
    pki.generate(layout, specs, node_ips)
    _start_control_plane(
        layout,
        bins,
        say,
        hardened.apiserver_flags(layout) if options.hardened else (),
        allocate_node_cidrs=vpc is None,
    )
    api = api_client(layout.admin_kubeconfig)
    addons.apply(api, addons.rbac_objects())
    _start_nodes(layout, bins, api, specs, say, hardened_bed=options.hardened, vpc=vpc)
    processes.start(layout, components.external_host(bins))
    addons.apply(api, addons.coredns_objects())
    wait_until(COREDNS_READY, lambda: _deployment_ready(api, "kube-system", "coredns"))
    if options.hardened:
        say("test bed: hardened (PodSecurity restricted, policy webhook, taint, special nodes, generate)")
        hardened.start(layout, api, lambda nodes, bound: _add_nodes(layout, api, nodes, bound))
    _write_env(layout)
    if options.nodes_fake:
        add_fake_nodes(options.nodes_fake, layout, say)
    say(f"test bed: up in {time.monotonic() - started:.0f}s; export KUBECONFIG={layout.admin_kubeconfig}")
    return status(layout)


def node_specs(layout: Layout | None = None) -> tuple[a.NodeSpec, ...]:
    """The running bed's real nodes (none when it is not up)."""
    layout = layout or Layout.default()
    return a.nodes(_node_count(layout))


def _node_count(layout: Layout) -> int:
    try:
        return int(layout.nodes_file.read_text().strip())
    except (FileNotFoundError, ValueError):
        return 0


MAX_PODS_APPLIED = Bound("the node to advertise the new max-pods", timeout_s=90)


def set_max_pods(max_pods: int, layout: Layout | None = None, say: Say = print) -> None:
    """Restart the kubelet with another maxPods (running pods stay; the kubelet re-adopts them)."""
    layout = layout or Layout.default()
    require_root()
    specs = node_specs(layout)
    bins = locate()
    for node in specs:
        name = components.node_daemon_name(node, "kubelet")
        processes.stop(layout, name)
        flags = _kubelet_flags(node, len(specs), hardened.is_hardened(layout))
        processes.start(
            layout, _kubelet(layout, layout.node(node.index), node, bins, max_pods=max_pods, extra=flags)
        )
    core = client.CoreV1Api(api_client(layout.admin_kubeconfig))

    def applied() -> None:
        waiting = []
        for node in specs:
            processes.ensure_alive(layout, components.node_daemon_name(node, "kubelet"))
            got = core.read_node(node.name)
            ready = any(c.type == "Ready" and c.status == "True" for c in got.status.conditions or [])
            advertised = (got.status.capacity or {}).get("pods")
            if advertised != str(max_pods) or not ready:
                waiting.append(f"{node.name}: capacity.pods={advertised}, Ready={ready}")
        if waiting:
            raise NotYet("; ".join(waiting))

    wait_until(MAX_PODS_APPLIED, applied)
    # The kubelet re-applies its kernel tunables at every start.
    sysctls.restore(layout.saved_sysctls, sysctls.RESTORE_AFTER_KUBELET)
    say(f"test bed: kubelet maxPods {max_pods}")


@contextmanager
def policy_engine_stopped(layout: Layout | None = None) -> Iterator[None]:
    """Stop kube-router, the bed's NetworkPolicy engine, for the body; then start it and wait until healthy.

    For tests that prove the harness notices a cluster that does not enforce NetworkPolicy. Rules kube-router
    already wrote stay; policies created meanwhile take effect once it is back (it resyncs all at start).
    """
    layout = layout or Layout.default()
    require_root()
    specs = node_specs(layout)
    for node in specs:
        processes.stop(layout, components.node_daemon_name(node, "kube-router"))
    try:
        yield
    finally:
        bins = locate()
        for node in specs:
            processes.start(layout, components.kube_router(layout.node(node.index), node, bins))

        def healthy() -> None:
            for node in specs:
                processes.ensure_alive(layout, components.node_daemon_name(node, "kube-router"))
                # /healthz listens on the node namespace's own loopback.
                answer = run_in_node(
                    node, [sys.executable, "-c", _HEALTHZ.format(components.KUBE_ROUTER_HEALTH_PORT)]
                )
                if answer.strip() != "200":
                    raise NotYet(f"{node.name}: /healthz: {answer.strip()[-200:] or 'no answer'}")

        wait_until(KUBE_ROUTER_HEALTHY, healthy)


_HEALTHZ = """
import urllib.request
try:
    print(urllib.request.urlopen("http://127.0.0.1:{0}/healthz", timeout=2).status)
except OSError as err:
    print(err)
"""


def import_image(archive: Path, name: str, layout: Layout | None = None) -> None:
    """Import an OCI image archive (`make image`'s) into every real node's containerd, named ``name``."""
    layout = layout or Layout.default()
    require_root()
    ctr = locate().path("containerd", "ctr")
    for node in node_specs(layout):
        images.import_oci_archive(ctr, layout.node(node.index).containerd_socket, archive, name)


def run_in_node(node: a.NodeSpec, argv: list[str]) -> str:
    """``argv``'s output, run in the node's network namespace (never the machine's)."""
    return shell.run(["nsenter", f"--net=/run/netns/{node.netns}", "--", *argv], check=False)


def add_fake_nodes(count: int, layout: Layout | None = None, say: Say = print) -> None:
    """Make sure ``count`` KWOK nodes exist and are Ready on the running test bed (starts KWOK if needed)."""
    layout = layout or Layout.default()
    require_root()
    if processes.running_pid(layout, "kwok") is None:
        processes.start(
            layout, components.kwok(layout, locate(), _module_dir("testbed/kwok/go.mod", "sigs.k8s.io/kwok"))
        )
    api = api_client(layout.admin_kubeconfig)
    started = time.monotonic()
    kwok_nodes.create(api, count)
    kwok_nodes.wait_ready(api, count, lambda: processes.ensure_alive(layout, "kwok"))
    say(f"test bed: {count} KWOK nodes Ready in {time.monotonic() - started:.0f}s")


def _add_nodes(layout: Layout, api: client.ApiClient, manifests: list[dict[str, Any]], bound: Bound) -> None:
    """Create these KWOK nodes (starting KWOK if needed) and wait until each is Ready."""
    if processes.running_pid(layout, "kwok") is None:
        processes.start(
            layout, components.kwok(layout, locate(), _module_dir("testbed/kwok/go.mod", "sigs.k8s.io/kwok"))
        )
    addons.apply(api, manifests)
    core = client.CoreV1Api(api)

    def ready() -> None:
        processes.ensure_alive(layout, "kwok")
        waiting = [
            m["metadata"]["name"]
            for m in manifests
            if not any(
                c.type == "Ready" and c.status == "True"
                for c in core.read_node(m["metadata"]["name"]).status.conditions or []
            )
        ]
        if waiting:
            raise NotYet(f"not Ready: {', '.join(waiting)}")

    wait_until(bound, ready)


def _start_control_plane(
    layout: Layout,
    bins: Binaries,
    say: Say,
    extra: tuple[str, ...] = (),
    *,
    allocate_node_cidrs: bool = True,
) -> None:
    say("test bed: etcd, kube-apiserver")
    layout.etcd_data.mkdir(parents=True, exist_ok=True)
    processes.start(layout, components.etcd(layout, bins))
    processes.start(layout, components.kube_apiserver(layout, bins, extra))
    api = api_client(layout.admin_kubeconfig)

    def apiserver_ready() -> None:
        for name in ("etcd", "kube-apiserver"):
            processes.ensure_alive(layout, name)
        try:
            response = api.call_api("GET", f"{pki.api_server_url()}/readyz", _request_timeout=5)
        except Exception as err:  # connection refused while it starts: look again
            raise NotYet(str(err).splitlines()[0]) from err
        if response.status != 200:
            raise NotYet(f"/readyz answered {response.status}")

    wait_until(APISERVER_READY, apiserver_ready)
    say("test bed: kube-controller-manager, kube-scheduler")
    processes.start(layout, components.kube_controller_manager(layout, bins, allocate_node_cidrs))
    processes.start(layout, components.kube_scheduler(layout, bins))


def _kubelet_flags(node: a.NodeSpec, count: int, hardened_bed: bool) -> tuple[str, ...]:
    """The hardened bed taints its last real node (with two or more), as a dedicated node group is."""
    return (hardened.taint_flag(),) if hardened_bed and count > 1 and node.index == count else ()


def _start_nodes(
    layout: Layout,
    bins: Binaries,
    api: client.ApiClient,
    specs: tuple[a.NodeSpec, ...],
    say: Say,
    *,
    hardened_bed: bool = False,
    vpc: vpccni.VpcCniOptions | None = None,
) -> None:
    """All nodes in stages, so their waits overlap: containerd, images, kubelet, then (once each has its
    pod CIDR) routes, CNI config, kube-proxy and kube-router. Under the VPC CNI there is no pod CIDR: the
    nodes' InternalIPs are their primary ENI addresses, aws-node (a DaemonSet) writes the CNI config."""
    say(f"test bed: {len(specs)} node(s): containerd and images")
    layout.cni_bin_dir.mkdir(parents=True, exist_ok=True)
    for plugin in ("bridge", "host-local", "portmap", "loopback"):
        shutil.copy2(bins.path("cni", plugin), layout.cni_bin_dir / plugin)
    extra_paths = vpccni.HOST_PATHS if vpc else ()
    layouts = {node: nodes.prepare(layout, node, extra_paths) for node in specs}
    for node, nl in layouts.items():
        conf_dir = vpccni.CNI_CONF_DIR if vpc else None
        processes.start(layout, components.containerd(nl, node, bins, conf_dir))
    archives = _image_archives(layout, bins, vpc)
    for node, nl in layouts.items():
        _wait_containerd(layout, node, nl)
        for archive in archives:
            images.import_archive(bins.path("containerd", "ctr"), nl.containerd_socket, archive)
    say("test bed: kubelets")
    for node, nl in layouts.items():
        flags = _kubelet_flags(node, len(specs), hardened_bed)
        processes.start(layout, _kubelet(layout, nl, node, bins, extra=flags))
    core = client.CoreV1Api(api)

    def pod_cidrs() -> dict[a.NodeSpec, str]:
        found: dict[a.NodeSpec, str] = {}
        for node in specs:
            processes.ensure_alive(layout, components.node_daemon_name(node, "kubelet"))
            try:
                cidr = core.read_node(node.name).spec.pod_cidr
            except ApiException as err:
                raise NotYet(f"{node.name} not registered ({err.status})") from err
            if not cidr and vpc is None:
                raise NotYet(f"{node.name} has no pod CIDR yet")
            found[node] = str(cidr or "")
        return found

    cidrs = wait_until(NODE_REGISTERED if vpc else NODE_POD_CIDR, pod_cidrs)
    # Every kubelet re-applies its kernel tunables at start; all have by now (they registered after).
    sysctls.restore(layout.saved_sysctls, sysctls.RESTORE_AFTER_KUBELET)
    say("test bed: routes, kube-proxy, kube-router" + (", aws-node" if vpc else ""))
    _node_networking(layout, bins, layouts, cidrs, vpc)
    if vpc:
        addons.apply(api, [*vpccni.objects(vpc), policy_daemonset.daemonset(layout)])

    def nodes_ready() -> None:
        waiting = []
        for node in specs:
            for name in nodes.daemon_names(node, host_kube_router=vpc is None):
                processes.ensure_alive(layout, name)
            if vpc:
                processes.ensure_alive(layout, vpccni.EMULATOR)
            got = core.read_node(node.name)
            ready = next((c for c in got.status.conditions or [] if c.type == "Ready"), None)
            if ready is None or ready.status != "True":
                waiting.append(
                    f"{node.name} Ready={ready.status if ready else '?'}: {ready.message if ready else ''}"
                )
        if vpc:
            router = client.AppsV1Api(api).read_namespaced_daemon_set(
                policy_daemonset.NAME, policy_daemonset.NAMESPACE
            )
            if (router.status.number_ready or 0) < len(specs):
                waiting.append(f"DaemonSet kube-router: {router.status.number_ready or 0}/{len(specs)} Ready")
        if waiting:
            raise NotYet("; ".join(waiting))

    wait_until(NODE_READY_VPC_CNI if vpc else NODE_READY, nodes_ready)
    sysctls.restore(layout.saved_sysctls, sysctls.RESTORE_AFTER_KUBELET)


def _node_networking(
    layout: Layout,
    bins: Binaries,
    layouts: dict[a.NodeSpec, NodeLayout],
    cidrs: dict[a.NodeSpec, str],
    vpc: vpccni.VpcCniOptions | None,
) -> None:
    node_ips = vpccni.node_ips(layout) if vpc else {}
    for node, cidr in cidrs.items():
        nl = layouts[node]
        if vpc is None:
            # Read after registration, never guessed: the range allocator hands CIDRs out in arrival order.
            network.route_pods(node, cidr)
            components.write_file(
                nl.cni_conf_dir / "10-netconform.conflist", components.cni_conflist(nl, cidr)
            )
        elif node.index == 1:
            network.route_services(node)
        cluster_cidr = a.VPC_CIDR if vpc else a.POD_CIDR
        processes.start(layout, components.kube_proxy(nl, node, bins, node_ips.get(node.index), cluster_cidr))
        if vpc is None:  # under the VPC CNI kube-router is a DaemonSet, seen by detection as on EKS
            processes.start(layout, components.kube_router(nl, node, bins))


def _kubelet(
    layout: Layout,
    nl: NodeLayout,
    node: a.NodeSpec,
    bins: Binaries,
    *,
    max_pods: int | None = None,
    extra: tuple[str, ...] = (),
) -> processes.Daemon:
    """The node's kubelet; under the VPC CNI with the primary ENI address as InternalIP, the emulated type's
    labels and (unless told) the calculator's max pods for that type, as EKS's bootstrap sets them."""
    vpc = _recorded_cni(layout)
    if vpc is None:
        return components.kubelet(nl, node, bins, max_pods or components.MAX_PODS, extra)
    return components.kubelet(
        nl,
        node,
        bins,
        max_pods or vpccni.kubelet_max_pods(vpc),
        extra,
        node_ip=vpccni.node_ips(layout)[node.index],
        labels=vpccni.node_labels(node, vpc.instance_type),
    )


def _start_emulator(
    layout: Layout, specs: tuple[a.NodeSpec, ...], vpc: vpccni.VpcCniOptions, say: Say
) -> dict[int, ipaddress.IPv4Address]:
    say(f"test bed: aws-emu (EC2 + IMDS, {vpc.instance_type} per node, VPC {a.VPC_CIDR})")
    vpccni.world_file(layout).unlink(missing_ok=True)
    daemon = vpccni.emulator(layout, [n.name for n in specs], vpc.instance_type, sys.executable)
    processes.start(layout, daemon)

    def world() -> dict[int, ipaddress.IPv4Address]:
        processes.ensure_alive(layout, vpccni.EMULATOR)
        ips = vpccni.node_ips(layout)
        if len(ips) != len(specs):
            raise NotYet("no world file yet")
        return ips

    return wait_until(AWS_EMU_READY, world)


def _cni_record(vpc: vpccni.VpcCniOptions) -> str:
    return json.dumps(
        {
            "version": vpc.version,
            "prefix_delegation": vpc.prefix_delegation,
            "instance_type": vpc.instance_type,
            "env": [list(kv) for kv in vpc.env],
        }
    )


def _recorded_cni(layout: Layout) -> vpccni.VpcCniOptions | None:
    """The VPC CNI options the running bed was brought up with (None: the bridge)."""
    try:
        record = json.loads(vpccni.cni_file(layout).read_text())
    except (FileNotFoundError, ValueError):
        return None
    return vpccni.VpcCniOptions(
        version=record["version"],
        prefix_delegation=record["prefix_delegation"],
        instance_type=record["instance_type"],
        env=tuple((k, v) for k, v in record["env"]),
    )


def _wait_containerd(layout: Layout, node: a.NodeSpec, nl: NodeLayout) -> None:
    def socket_ready() -> None:
        processes.ensure_alive(layout, components.node_daemon_name(node, "containerd"))
        if not nl.containerd_socket.exists():
            raise NotYet(f"{node.name}: no socket yet")

    wait_until(CONTAINERD_SOCKET, socket_ready)


def _image_archives(layout: Layout, bins: Binaries, vpc: vpccni.VpcCniOptions | None = None) -> list[Path]:
    porter = _porter_dir()
    specs = [
        images.pause_image_spec(bins.path("pause", "pause")),
        images.probe_image_spec(bins.path("k8s", "agnhost"), porter, bins.path("dialer", "dialer")),
        images.coredns_image_spec(bins.path("coredns", "coredns")),
    ]
    if vpc:
        # Both versions, so that a rolling update of the DaemonSet finds the other one on every node.
        specs += [
            vpccni.image_spec(vpccni.bin_dir(v), v) for v in vpccni.VERSIONS if vpccni.bin_dir(v).exists()
        ]
        specs.append(policy_daemonset.image_spec(bins.path("kube-router", "kube-router")))
    archives = []
    for spec in specs:
        # Archives are cached beside the binaries, keyed by the reference and the binaries' cache dirs (and
        # for aws-node, whose entrypoint is generated, by that too).
        key = spec.reference.replace("/", "_").replace(":", "_")
        sources = "\n".join(sorted(map(str, spec.files.values())))
        if spec.reference.startswith(vpccni.IMAGE_REPOSITORY):
            sources += "\n".join(sorted(spec.texts.values()))
        archive = layout.images / f"{key}-{hashlib.sha256(sources.encode()).hexdigest()[:12]}.tar"
        if not archive.exists():
            images.write_archive(spec, archive)
        archives.append(archive)
    return archives


def _module_dir(wrapper_go_mod: str, module: str) -> Path:
    """Where the Go module cache holds the version of ``module`` that a wrapper go.mod pins."""
    text = (REPO_ROOT / wrapper_go_mod).read_text()
    version = next(line.split()[2] for line in text.splitlines() if line.startswith(f"require {module} "))
    modcache = Path(os.environ.get("GOMODCACHE", Path.home() / "go/pkg/mod"))
    return modcache / f"{module}@{version}"


def _porter_dir() -> Path | None:
    porter = _module_dir("testbed/k8s/go.mod", "k8s.io/kubernetes") / "test/images/agnhost/porter"
    return porter if porter.exists() else None


def _deployment_ready(api: client.ApiClient, namespace: str, name: str) -> None:
    deployment = client.AppsV1Api(api).read_namespaced_deployment(name, namespace)
    if (deployment.status.ready_replicas or 0) < (deployment.spec.replicas or 1):
        raise NotYet(f"{namespace}/{name}: {deployment.status.ready_replicas or 0} ready")


def _write_env(layout: Layout) -> None:
    hardened_line = "export NETCONFORM_TESTBED_HARDENED=1\n" if hardened.is_hardened(layout) else ""
    layout.env_file.write_text(
        f"export KUBECONFIG={layout.admin_kubeconfig}\n"
        f"export NETCONFORM_PROBE_IMAGE={images.PROBE_IMAGE}\n"
        "export NETCONFORM_IMAGE_PULL_POLICY=Never\n"
        "export NETCONFORM_TESTBED=1\n"
        f"{hardened_line}"
        # kube-router's known differences from the API on this bed (SCTP, ...): reported as such, not failed.
        f"export NETCONFORM_NETPOL_DEVIATIONS={deviations_file.bundled(TESTBED_DEVIATIONS)}\n"
    )


def down(layout: Layout | None = None, say: Say = print) -> list[str]:
    """Stop everything, remove our state; returns what could not be removed (empty when clean)."""
    layout = layout or Layout.default()
    require_root()
    hardened.stop(layout)
    for name in ("kwok", "external-host"):
        processes.stop(layout, name)
    problems: list[str] = []
    # aws-emu removes its routes and ENI links on SIGTERM; deleting the namespaces below removes them anyway.
    processes.stop(layout, vpccni.EMULATOR)
    for index in nodes.indices(layout):
        problems += nodes.tear_down(layout, index)
    problems += nodes.release_pins(layout)
    # A bed from before the nodes had namespaces ran its node in the root namespace: same names, no prefix.
    for name in ("kube-router", "kube-proxy", "kubelet"):
        processes.stop(layout, name)
    processes.kill_pids(host.pod_pids())
    shims = _shim_binaries(layout)
    processes.kill_pids(host.pids_running(shims))
    processes.stop(layout, "containerd")
    processes.kill_pids(host.pids_running(shims))
    for name in reversed(CONTROL_PLANE):
        processes.stop(layout, name)
    problems += host.unmount_under(layout.owned_mount_prefixes())
    network.tear_down()
    problems += host.remove_pod_cgroups()
    host.remove_old_leaks(HARD_CODED_HOST_PATHS, layout.lib, components.CNI_NETWORK)
    for directory in (
        layout.run,
        layout.etcd_data,
        layout.state,
        layout.lib / "nodes",
        layout.kubelet_root,
        layout.containerd_root,
        layout.cni_data_dir,
        layout.pod_logs,
        layout.lib / "containerd-opt",
    ):
        shutil.rmtree(directory, ignore_errors=True)
    nodes.remove_created_host_dirs(layout)
    sysctls.restore(layout.saved_sysctls)
    layout.saved_sysctls.unlink(missing_ok=True)
    leftovers = (
        problems
        + network.our_leftovers()
        + [f"cgroup {p}" for p in host.our_cgroups()]
        + [f"process {n}" for n in _daemon_pid_names(layout) if processes.running_pid(layout, n)]
    )
    say("test bed: down" if not leftovers else f"test bed: down, but left: {', '.join(leftovers)}")
    return leftovers


def _daemon_pid_names(layout: Layout) -> list[str]:
    try:
        return sorted(p.stem for p in layout.pids.glob("*.pid"))
    except OSError:
        return []


def _shim_binaries(layout: Layout) -> list[Path]:
    try:
        return [locate().path("containerd", "containerd-shim-runc-v2")]
    except CannotCheck:
        return []


def status(layout: Layout | None = None) -> Status:
    layout = layout or Layout.default()
    count = _node_count(layout)
    host_router = _recorded_cni(layout) is None
    expected = (
        *CONTROL_PLANE,
        *(n for node in a.nodes(count) for n in nodes.daemon_names(node, host_kube_router=host_router)),
    )
    running = tuple(n for n in expected if processes.running_pid(layout, n))
    stopped = tuple(n for n in expected if n not in running)
    try:
        topology: a.Topology | None = a.Topology(layout.topology_file.read_text().strip())
    except (FileNotFoundError, ValueError):
        topology = None
    if count == 0:
        topology = None  # no nodes recorded: not a bed this code brought up
    return Status(running, stopped, topology, layout.admin_kubeconfig, nodes=count)


def set_topology(topology: a.Topology, layout: Layout | None = None) -> None:
    """Switch a running test bed between routable and isolated without a restart (one mangle rule)."""
    layout = layout or Layout.default()
    require_root()
    network.set_topology(topology, node_specs(layout))
    layout.topology_file.write_text(topology.value)
