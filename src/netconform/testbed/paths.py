"""Where the test bed keeps its state, binaries and logs. All outside the repository."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Layout:
    state: Path  # certificates, configs, kubeconfigs, pid files, logs
    run: Path  # sockets and runtime state that must not survive a reboot
    lib: Path  # kubelet, containerd and CNI data
    etcd_data: Path  # on tmpfs: etcd's fsyncs are the slowest thing on a 2-core machine
    cache: Path  # built binaries, keyed by versions (see testbed/build.sh)

    @classmethod
    def default(cls) -> Layout:
        return cls(
            state=Path(os.environ.get("NETCONFORM_TESTBED_STATE", "/var/lib/netconform/testbed")),
            run=Path("/run/netconform"),
            lib=Path("/var/lib/netconform"),
            etcd_data=Path("/dev/shm/netconform-etcd"),
            cache=Path(os.environ.get("NETCONFORM_CACHE", "/var/cache/netconform")),
        )

    @property
    def pki(self) -> Path:
        return self.state / "pki"

    @property
    def config(self) -> Path:
        return self.state / "config"

    @property
    def pids(self) -> Path:
        return self.state / "pids"

    @property
    def logs(self) -> Path:
        return self.cache / "testbed-logs"

    @property
    def images(self) -> Path:
        return self.cache / "images"

    @property
    def admin_kubeconfig(self) -> Path:
        return self.state / "admin.kubeconfig"

    @property
    def env_file(self) -> Path:
        return self.state / "env"

    @property
    def kubelet_root(self) -> Path:
        return self.lib / "kubelet"

    @property
    def pod_logs(self) -> Path:
        return self.lib / "pod-logs"

    @property
    def containerd_root(self) -> Path:
        return self.lib / "containerd"

    @property
    def containerd_state(self) -> Path:
        return self.run / "containerd"

    @property
    def containerd_socket(self) -> Path:
        return self.run / "containerd" / "containerd.sock"

    @property
    def cni_conf_dir(self) -> Path:
        return self.state / "cni" / "net.d"

    @property
    def cni_bin_dir(self) -> Path:
        return self.state / "cni" / "bin"

    @property
    def cni_data_dir(self) -> Path:
        return self.lib / "cni-networks"

    @property
    def saved_sysctls(self) -> Path:
        return self.lib / "saved-sysctls.json"  # kept outside `state` so a half-torn-down bed still restores

    @property
    def topology_file(self) -> Path:
        return self.state / "topology"

    @property
    def nodes_file(self) -> Path:
        return self.state / "nodes"  # how many real nodes this bed was brought up with

    @property
    def mount_ns_dir(self) -> Path:
        """Where each node's mount namespace is pinned (a private bind mount, like /run/netns)."""
        return self.run / "mnt"

    @property
    def created_host_dirs(self) -> Path:
        return self.lib / "created-host-dirs"  # host paths we had to create as mount points; rmdir'd at down

    def node(self, index: int) -> NodeLayout:
        return NodeLayout(self, index)

    def owned_mount_prefixes(self) -> tuple[Path, ...]:
        """Mount points under these are ours to unmount at teardown."""
        return (self.lib, self.run, self.state, self.etcd_data)


# Paths the node's components hard-code (outside any setting): containerd's shim sockets, libcni's result
# cache, the kubelet's container-log symlinks and its device-plugin socket directory (deviceplugin v1beta1
# DevicePluginPath, not under --root-dir: each kubelet empties it at start and binds kubelet.sock there, so
# kubelets started together raced for it — CI: "listen unix /var/lib/kubelet/device-plugins/kubelet.sock:
# bind: address already in use" — and it was left in the machine's /var/lib). Each node sees a private
# directory there (a bind mount in its own mount namespace), so nothing of a node's lands in the machine's own
# directories.
HARD_CODED_HOST_PATHS = (
    Path("/run/containerd"),
    Path("/var/lib/cni"),
    Path("/var/log/containers"),
    Path("/var/lib/kubelet/device-plugins"),
)


@dataclass(frozen=True)
class NodeLayout:
    """One real node's own directories; shared ones (pki CAs, CNI binaries, images) stay in ``Layout``."""

    bed: Layout
    index: int

    @property
    def prefix(self) -> str:
        return f"n{self.index}"  # pid and log file names: n2-kubelet.pid

    @property
    def root(self) -> Path:
        return self.bed.lib / "nodes" / str(self.index)

    @property
    def run(self) -> Path:
        return self.bed.run / "nodes" / str(self.index)

    @property
    def mount_ns(self) -> Path:
        return self.bed.mount_ns_dir / self.prefix

    @property
    def config(self) -> Path:
        return self.root / "config"

    @property
    def pki(self) -> Path:
        return self.root / "pki"

    @property
    def kubelet_root(self) -> Path:
        return self.root / "kubelet"

    @property
    def pod_logs(self) -> Path:
        return self.root / "pod-logs"

    @property
    def containerd_root(self) -> Path:
        return self.root / "containerd"

    @property
    def containerd_opt(self) -> Path:
        return self.root / "containerd-opt"

    @property
    def containerd_state(self) -> Path:
        return self.run / "containerd"

    @property
    def containerd_socket(self) -> Path:
        return self.containerd_state / "containerd.sock"

    @property
    def runc_root(self) -> Path:
        return self.run / "runc"

    @property
    def cni_conf_dir(self) -> Path:
        return self.root / "cni" / "net.d"

    @property
    def cni_data_dir(self) -> Path:
        return self.root / "cni-networks"

    def private(self, host_path: Path) -> Path:
        """The node's own directory behind one of HARD_CODED_HOST_PATHS."""
        return self.root / "host" / str(host_path).strip("/").replace("/", "_")

    def directories(self) -> tuple[Path, ...]:
        return (
            self.config,
            self.pki,
            self.kubelet_root,
            self.pod_logs,
            self.containerd_root,
            self.containerd_opt,
            self.containerd_state,
            self.cni_conf_dir,
            self.cni_data_dir,
            *(self.private(p) for p in HARD_CODED_HOST_PATHS),
        )
