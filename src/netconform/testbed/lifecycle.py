"""Bring the test bed up, report on it, and tear it down — idempotently, from any half-done state."""

from __future__ import annotations

import hashlib
import os
import shutil
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from kubernetes import client
from kubernetes.client.rest import ApiException

from netconform.adapters import deviations_file
from netconform.adapters.kube.client import api_client
from netconform.adapters.waits import Bound, NotYet, wait_until
from netconform.errors import CannotCheck, InputError
from netconform.testbed import addons, components, host, images, kwok_nodes, network, pki, processes, sysctls
from netconform.testbed import addresses as a
from netconform.testbed.binaries import REPO_ROOT, Binaries, build, locate
from netconform.testbed.paths import Layout

TESTBED_DEVIATIONS = "testbed-kube-router"  # src/netconform/data/deviations/<name>.yaml

Say = Callable[[str], None]

APISERVER_READY = Bound("kube-apiserver /readyz", timeout_s=120)
CONTAINERD_SOCKET = Bound("containerd's socket", timeout_s=30, interval_s=0.2)
NODE_POD_CIDR = Bound("the node to register and get a pod CIDR", timeout_s=90)
NODE_READY = Bound("the node to report Ready", timeout_s=120)
COREDNS_READY = Bound("CoreDNS to be Ready", timeout_s=120)
KUBE_ROUTER_HEALTHY = Bound("kube-router to answer /healthz after a restart", timeout_s=60)

# Start order; teardown stops them in reverse.
CONTROL_PLANE = ("etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler")
NODE = ("containerd", "kubelet", "kube-proxy", "kube-router")
ALL_DAEMONS = (*CONTROL_PLANE, *NODE, "external-host", "kwok")


@dataclass(frozen=True)
class UpOptions:
    topology: a.Topology = a.Topology.ROUTABLE
    nodes_fake: int = 0


@dataclass(frozen=True)
class Status:
    running: tuple[str, ...]
    stopped: tuple[str, ...]
    topology: a.Topology | None
    kubeconfig: Path
    leftovers: tuple[str, ...] = field(default=())

    @property
    def healthy(self) -> bool:
        return not self.stopped and self.topology is not None


def require_root() -> None:
    if os.geteuid() != 0:
        raise InputError("the test bed needs root (network namespaces, iptables, containers); run as root")


def up(options: UpOptions, layout: Layout | None = None, say: Say = print) -> Status:
    layout = layout or Layout.default()
    require_root()
    current = status(layout)
    if current.healthy and current.topology is options.topology:
        say(f"test bed: already up ({current.topology.value}); kubeconfig {layout.admin_kubeconfig}")
        if options.nodes_fake:
            add_fake_nodes(options.nodes_fake, layout, say)
        return current
    started = time.monotonic()
    say("test bed: tearing down any earlier state")
    down(layout, say=lambda _msg: None)
    build()
    bins = locate()
    if missing := bins.missing():
        raise CannotCheck(f"test bed: binaries missing after build: {', '.join(missing)}")
    for directory in (layout.state, layout.config, layout.run, layout.lib, layout.logs, layout.cni_conf_dir):
        directory.mkdir(parents=True, exist_ok=True)
    sysctls.save(layout.saved_sysctls)
    sysctls.apply_required()
    say(f"test bed: network ({options.topology.value})")
    network.set_up(options.topology)
    layout.topology_file.write_text(options.topology.value)
    pki.generate(layout)
    _start_control_plane(layout, bins, say)
    api = api_client(layout.admin_kubeconfig)
    addons.apply(api, addons.rbac_objects())
    _start_node(layout, bins, api, say)
    processes.start(layout, components.external_host(bins))
    addons.apply(api, addons.coredns_objects())
    wait_until(COREDNS_READY, lambda: _deployment_ready(api, "kube-system", "coredns"))
    _write_env(layout)
    if options.nodes_fake:
        add_fake_nodes(options.nodes_fake, layout, say)
    say(f"test bed: up in {time.monotonic() - started:.0f}s; export KUBECONFIG={layout.admin_kubeconfig}")
    return status(layout)


MAX_PODS_APPLIED = Bound("the node to advertise the new max-pods", timeout_s=90)


def set_max_pods(max_pods: int, layout: Layout | None = None, say: Say = print) -> None:
    """Restart the kubelet with another maxPods (running pods stay; the kubelet re-adopts them)."""
    layout = layout or Layout.default()
    require_root()
    processes.stop(layout, "kubelet")
    processes.start(layout, components.kubelet(layout, locate(), max_pods))
    core = client.CoreV1Api(api_client(layout.admin_kubeconfig))

    def applied() -> None:
        processes.ensure_alive(layout, "kubelet")
        node = core.read_node(a.NODE_NAME)
        ready = any(c.type == "Ready" and c.status == "True" for c in node.status.conditions or [])
        advertised = (node.status.capacity or {}).get("pods")
        if advertised != str(max_pods) or not ready:
            raise NotYet(f"capacity.pods={advertised}, Ready={ready}")

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
    processes.stop(layout, "kube-router")
    try:
        yield
    finally:
        processes.start(layout, components.kube_router(layout, locate()))

        def healthy() -> None:
            processes.ensure_alive(layout, "kube-router")
            url = f"http://127.0.0.1:{components.KUBE_ROUTER_HEALTH_PORT}/healthz"
            try:
                with urllib.request.urlopen(url, timeout=2) as response:
                    status = response.status
            except OSError as err:
                raise NotYet(str(err)) from err
            if status != 200:
                raise NotYet(f"/healthz answered {status}")

        wait_until(KUBE_ROUTER_HEALTHY, healthy)


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


def _start_control_plane(layout: Layout, bins: Binaries, say: Say) -> None:
    say("test bed: etcd, kube-apiserver")
    layout.etcd_data.mkdir(parents=True, exist_ok=True)
    processes.start(layout, components.etcd(layout, bins))
    processes.start(layout, components.kube_apiserver(layout, bins))
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
    processes.start(layout, components.kube_controller_manager(layout, bins))
    processes.start(layout, components.kube_scheduler(layout, bins))


def _start_node(layout: Layout, bins: Binaries, api: client.ApiClient, say: Say) -> None:
    say("test bed: containerd and images")
    layout.cni_bin_dir.mkdir(parents=True, exist_ok=True)
    for plugin in ("bridge", "host-local", "portmap", "loopback"):
        shutil.copy2(bins.path("cni", plugin), layout.cni_bin_dir / plugin)
    processes.start(layout, components.containerd(layout, bins))

    def socket_ready() -> None:
        processes.ensure_alive(layout, "containerd")
        if not layout.containerd_socket.exists():
            raise NotYet("no socket yet")

    wait_until(CONTAINERD_SOCKET, socket_ready)
    _import_images(layout, bins)
    say("test bed: kubelet")
    processes.start(layout, components.kubelet(layout, bins))
    core = client.CoreV1Api(api)

    def pod_cidr() -> str:
        processes.ensure_alive(layout, "kubelet")
        try:
            node = core.read_node(a.NODE_NAME)
        except ApiException as err:
            raise NotYet(f"node not registered ({err.status})") from err
        if not node.spec.pod_cidr:
            raise NotYet("node has no pod CIDR yet")
        return str(node.spec.pod_cidr)

    cidr = wait_until(NODE_POD_CIDR, pod_cidr)
    # The kubelet has applied its kernel tunables by now; give the host back the ones that matter to it.
    sysctls.restore(layout.saved_sysctls, sysctls.RESTORE_AFTER_KUBELET)
    components.write_file(
        layout.cni_conf_dir / "10-netconform.conflist", components.cni_conflist(layout, cidr)
    )
    say("test bed: kube-proxy, kube-router")
    processes.start(layout, components.kube_proxy(layout, bins))
    processes.start(layout, components.kube_router(layout, bins))

    def node_ready() -> None:
        for name in NODE:
            processes.ensure_alive(layout, name)
        node = core.read_node(a.NODE_NAME)
        ready = next((c for c in node.status.conditions or [] if c.type == "Ready"), None)
        if ready is None or ready.status != "True":
            raise NotYet(f"Ready={ready.status if ready else '?'}: {ready.message if ready else ''}")

    wait_until(NODE_READY, node_ready)


def _import_images(layout: Layout, bins: Binaries) -> None:
    ctr = bins.path("containerd", "ctr")
    porter = _porter_dir()
    specs = (
        images.pause_image_spec(bins.path("pause", "pause")),
        images.probe_image_spec(bins.path("k8s", "agnhost"), porter),
        images.coredns_image_spec(bins.path("coredns", "coredns")),
    )
    for spec in specs:
        # Archives are cached beside the binaries, keyed by the reference and the binaries' cache dirs.
        key = spec.reference.replace("/", "_").replace(":", "_")
        sources = "\n".join(sorted(map(str, spec.files.values())))
        archive = layout.images / f"{key}-{hashlib.sha256(sources.encode()).hexdigest()[:12]}.tar"
        if not archive.exists():
            images.write_archive(spec, archive)
        images.import_archive(ctr, layout.containerd_socket, archive)


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
    layout.env_file.write_text(
        f"export KUBECONFIG={layout.admin_kubeconfig}\n"
        f"export NETCONFORM_PROBE_IMAGE={images.PROBE_IMAGE}\n"
        "export NETCONFORM_IMAGE_PULL_POLICY=Never\n"
        "export NETCONFORM_TESTBED=1\n"
        # kube-router's known differences from the API on this bed (SCTP, ...): reported as such, not failed.
        f"export NETCONFORM_NETPOL_DEVIATIONS={deviations_file.bundled(TESTBED_DEVIATIONS)}\n"
    )


def down(layout: Layout | None = None, say: Say = print) -> list[str]:
    """Stop everything, remove our state; returns what could not be removed (empty when clean)."""
    layout = layout or Layout.default()
    require_root()
    for name in ("kwok", "external-host", "kube-router", "kube-proxy", "kubelet"):
        processes.stop(layout, name)
    # Containers outlive the kubelet: kill what runs in the pod cgroups, then the shims, then containerd.
    processes.kill_pids(host.pod_pids())
    shims = _shim_binaries(layout)
    processes.kill_pids(host.pids_running(shims))
    processes.stop(layout, "containerd")
    processes.kill_pids(host.pids_running(shims))
    for name in reversed(CONTROL_PLANE):
        processes.stop(layout, name)
    problems = host.unmount_under(layout.owned_mount_prefixes())
    network.tear_down()
    problems += host.remove_pod_cgroups()
    for directory in (
        layout.run,
        layout.etcd_data,
        layout.state,
        layout.kubelet_root,
        layout.containerd_root,
        layout.cni_data_dir,
        layout.pod_logs,
        layout.lib / "containerd-opt",
    ):
        shutil.rmtree(directory, ignore_errors=True)
    sysctls.restore(layout.saved_sysctls)
    layout.saved_sysctls.unlink(missing_ok=True)
    leftovers = (
        problems
        + network.our_leftovers()
        + [f"process {n}" for n in ALL_DAEMONS if processes.running_pid(layout, n)]
    )
    say("test bed: down" if not leftovers else f"test bed: down, but left: {', '.join(leftovers)}")
    return leftovers


def _shim_binaries(layout: Layout) -> list[Path]:
    try:
        return [locate().path("containerd", "containerd-shim-runc-v2")]
    except CannotCheck:
        return []


def status(layout: Layout | None = None) -> Status:
    layout = layout or Layout.default()
    running = tuple(n for n in (*CONTROL_PLANE, *NODE) if processes.running_pid(layout, n))
    stopped = tuple(n for n in (*CONTROL_PLANE, *NODE) if n not in running)
    try:
        topology: a.Topology | None = a.Topology(layout.topology_file.read_text().strip())
    except (FileNotFoundError, ValueError):
        topology = None
    return Status(running, stopped, topology, layout.admin_kubeconfig)


def set_topology(topology: a.Topology, layout: Layout | None = None) -> None:
    """Switch a running test bed between routable and isolated without a restart (one mangle rule)."""
    layout = layout or Layout.default()
    require_root()
    network.set_topology(topology)
    layout.topology_file.write_text(topology.value)
