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

    def owned_mount_prefixes(self) -> tuple[Path, ...]:
        """Mount points under these are ours to unmount at teardown."""
        return (self.lib, self.run, self.state, self.etcd_data)
