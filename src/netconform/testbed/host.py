"""Host state the pods leave behind: their processes, cgroups and mounts. Found by proof of ownership
(our cgroup names, our binaries, our directories), removed by pid and path."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from netconform.testbed.shell import run

CGROUP_ROOT = Path("/sys/fs/cgroup")
POD_CGROUP = "kubepods"  # the kubelet's cgroupRoot for pods (cgroupsPerQOS)


def pod_pids() -> list[int]:
    """Processes in the kubelet's pod cgroups: the containers of the test bed's pods."""
    found = []
    for pid in _all_pids():
        try:
            cgroups = Path(f"/proc/{pid}/cgroup").read_text()
        except OSError:
            continue
        if any(line.split(":", 2)[-1].startswith(f"/{POD_CGROUP}") for line in cgroups.splitlines()):
            found.append(pid)
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


def remove_pod_cgroups() -> list[str]:
    """rmdir the kubelet's cgroup trees, deepest first; returns those still busy. Mounts are untouched."""
    busy: list[str] = []
    for hierarchy in CGROUP_ROOT.iterdir() if CGROUP_ROOT.exists() else []:
        top = hierarchy / POD_CGROUP
        if not top.is_dir():
            continue
        for directory in sorted((p for p in top.rglob("*") if p.is_dir()), key=lambda p: -len(p.parts)):
            _rmdir(directory, busy)
        _rmdir(top, busy)
    return busy


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
