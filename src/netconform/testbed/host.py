"""Host state the pods leave behind: their processes, cgroups and mounts. Found by proof of ownership
(our cgroup names, our binaries, our directories), removed by pid and path."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from netconform.testbed.shell import run

CGROUP_ROOT = Path("/sys/fs/cgroup")
POD_CGROUP = "kubepods"  # a kubelet without cgroupRoot (beds from before the nodes had their own)
NODE_CGROUP_PREFIX = "nc-node-"  # each node's kubelet cgroupRoot: /nc-node-<i>/kubepods/...
UNIFIED = "unified"  # cgroup v1 hosts' v2 mount: runc creates our trees there by itself


def _ours(cgroup_path: str) -> bool:
    top = cgroup_path.lstrip("/").split("/", 1)[0]
    return top == POD_CGROUP or top.startswith(NODE_CGROUP_PREFIX)


def pod_pids() -> list[int]:
    """Processes in a kubelet's pod cgroups (every node's tree): the containers of the test bed's pods."""
    found = []
    for pid in _all_pids():
        try:
            cgroups = Path(f"/proc/{pid}/cgroup").read_text()
        except OSError:
            continue
        if any(_ours(line.split(":", 2)[-1]) for line in cgroups.splitlines()):
            found.append(pid)
    return found


def create_node_cgroups(cgroup_root: str) -> None:
    """The kubelet wants its cgroupRoot to exist in every v1 hierarchy; cpuset's needs cpus/mems copied
    (clone_children is 0 here). The unified hierarchy is left to runc."""
    name = cgroup_root.strip("/")
    for hierarchy in _hierarchies():
        if hierarchy.name == UNIFIED:
            continue
        directory = hierarchy / name
        directory.mkdir(exist_ok=True)
        if hierarchy.name == "cpuset":
            for knob in ("cpuset.cpus", "cpuset.mems"):
                target = directory / knob
                if not target.read_text().strip():
                    target.write_text((hierarchy / knob).read_text())


def pids_in_mount_ns(ns_file: Path) -> list[int]:
    """Processes that live in the mount namespace pinned at ``ns_file`` (a node's: all of them are ours)."""
    try:
        wanted = ns_file.stat().st_ino
    except OSError:
        return []
    if wanted == Path("/proc/self/ns/mnt").stat().st_ino:
        return []  # not a pinned namespace (the file is not mounted): never match the machine's own
    found = []
    for pid in _all_pids():
        try:
            if os.stat(f"/proc/{pid}/ns/mnt").st_ino == wanted:
                found.append(pid)
        except OSError:
            continue
    return found


def pids_running(binaries: Iterable[Path]) -> list[int]:
    """Processes whose executable is one of ``binaries`` (e.g. containerd shims we built)."""
    wanted = {str(b.resolve()) for b in binaries}
    found = []
    for pid in _all_pids():
        try:
            exe = os.readlink(f"/proc/{pid}/exe")
        except OSError:
            continue
        if exe.removesuffix(" (deleted)") in wanted:
            found.append(pid)
    return found


def our_cgroups() -> list[Path]:
    """The top directories of our cgroup trees in every hierarchy, unified included."""
    return [
        top for hierarchy in _hierarchies() for top in hierarchy.iterdir() if top.is_dir() and _ours(top.name)
    ]


def remove_pod_cgroups() -> list[str]:
    """rmdir every node's cgroup tree, deepest first; returns those still busy. Mounts are untouched."""
    busy: list[str] = []
    for top in our_cgroups():
        for directory in sorted((p for p in top.rglob("*") if p.is_dir()), key=lambda p: -len(p.parts)):
            _rmdir(directory, busy)
        _rmdir(top, busy)
    return busy


def _hierarchies() -> list[Path]:
    if not CGROUP_ROOT.exists():
        return []
    # cpu and cpuacct are symlinks to cpu,cpuacct: one visit per real directory.
    seen: dict[Path, Path] = {}
    for entry in sorted(CGROUP_ROOT.iterdir()):
        if entry.is_dir():
            seen.setdefault(entry.resolve(), entry)
    return list(seen.values())


def unmount_under(prefixes: Iterable[Path]) -> list[str]:
    """Unmount every mount point below ``prefixes``, deepest first; returns the ones that stayed."""
    roots = [str(p) for p in prefixes]
    points = [p for p in mount_points() if any(p == r or p.startswith(r + "/") for r in roots)]
    for point in sorted(points, key=lambda p: -p.count("/")):
        run(["umount", point], check=False)
        if point in mount_points():
            run(["umount", "-l", point], check=False)
    return [p for p in mount_points() if any(p == r or p.startswith(r + "/") for r in roots)]


def mount_points() -> list[str]:
    lines = Path("/proc/self/mountinfo").read_text().splitlines()
    # Field 5 is the mount point; octal escapes (\040 for space) are left as they are: ours have none.
    return [line.split()[4] for line in lines]


def _rmdir(directory: Path, busy: list[str]) -> None:
    try:
        directory.rmdir()
    except FileNotFoundError:
        pass
    except OSError:
        busy.append(str(directory))


def _all_pids() -> list[int]:
    return [int(name) for name in os.listdir("/proc") if name.isdigit()]


def remove_old_leaks(host_paths: Iterable[Path], lib: Path, cni_network: str) -> list[str]:
    """What beds from before the nodes had mount namespaces left in the machine's hard-coded paths, removed
    by proof of ownership: libcni results of our network, log symlinks into our directories, and shim
    sockets nobody listens on. Returns what was removed."""
    removed: list[str] = []
    for base in host_paths:
        for entry in _walk(base):
            if _is_old_leak(entry, lib, cni_network):
                try:
                    entry.unlink()
                    removed.append(str(entry))
                except OSError:
                    pass
    return removed


def leak_entries(host_paths: Iterable[Path]) -> set[str]:
    """Every file under the hard-coded host paths (for the lifecycle test: as it was before)."""
    return {str(p) for base in host_paths for p in _walk(base)}


def _walk(base: Path) -> list[Path]:
    try:
        return [p for p in base.rglob("*") if p.is_symlink() or not p.is_dir()]
    except OSError:
        return []


def _is_old_leak(entry: Path, lib: Path, cni_network: str) -> bool:
    if entry.parent.name == "results" and entry.name.startswith(f"{cni_network}-"):
        return True  # libcni: /var/lib/cni/results/<network>-<container id>-<ifname>
    if entry.is_symlink():
        return os.readlink(entry).startswith(f"{lib}/")  # kubelet: /var/log/containers/*.log -> our pod logs
    if entry.parent.name == "s" and entry.is_socket():
        return _dead_socket(entry)  # containerd shims: /run/containerd/s/<hash>
    return False


def _dead_socket(path: Path) -> bool:
    import socket

    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(1)
        try:
            sock.connect(str(path))
        except ConnectionRefusedError:
            return True
        except OSError:
            return False
    return False
