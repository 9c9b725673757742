"""One real node of the test bed: its own network namespace and mount namespace, cgroup tree and daemons.

A node's containerd, kubelet, kube-proxy and kube-router run inside ``nsenter --mount=<pinned ns> --net=
/run/netns/nc-n<i>``. The mount namespace is private: the kubelet's pod volume mounts, containerd's overlays
and netns bind mounts, and the paths the components hard-code (``/run/containerd/s`` shim sockets, libcni's
``/var/lib/cni`` results, the kubelet's ``/var/log/containers`` symlinks) are the node's own and vanish with
the namespace. Node 1 is treated like every other node: symmetric, and nothing of any node ever lands in the
machine's own namespaces (the single-node bed used to leave sockets, CNI results and log symlinks there).

Everything is found again at teardown by proof of ownership: pid files, the pinned namespace's inode,
cgroups named ``nc-node-<i>``, namespaces named ``nc-n<i>``.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterable
from pathlib import Path

from netconform.testbed import addresses as a
from netconform.testbed import host, processes
from netconform.testbed.paths import HARD_CODED_HOST_PATHS, Layout, NodeLayout
from netconform.testbed.shell import run

COMPONENTS = ("containerd", "kubelet", "kube-proxy", "kube-router")  # start order; stopped in reverse


def daemon_names(node: a.NodeSpec, *, host_kube_router: bool = True) -> tuple[str, ...]:
    """The node's host processes; under the VPC CNI kube-router is a DaemonSet (testbed.policy_daemonset)."""
    return tuple(f"n{node.index}-{c}" for c in COMPONENTS if host_kube_router or c != "kube-router")


def prepare(layout: Layout, node: a.NodeSpec, extra_host_paths: tuple[Path, ...] = ()) -> NodeLayout:
    """Directories, cgroup root and the pinned private mount namespace of ``node``; ``extra_host_paths`` are
    made the node's own as well (the VPC CNI's /etc/cni/net.d, /run/aws-node, ...)."""
    nl = layout.node(node.index)
    for directory in (*nl.directories(), *(nl.private(p) for p in extra_host_paths)):
        directory.mkdir(parents=True, exist_ok=True)
    host.create_node_cgroups(node.cgroup_root)
    _ensure_host_dirs(layout, (*HARD_CODED_HOST_PATHS, *extra_host_paths))
    _pin_dir(layout.mount_ns_dir)
    if not _is_mount_point(nl.mount_ns):
        nl.mount_ns.touch()
        run(["unshare", f"--mount={nl.mount_ns}", "--propagation", "private", "true"])
    run(
        [
            "nsenter",
            f"--mount={nl.mount_ns}",
            "--",
            "sh",
            "-euc",
            _inside_script(layout, nl, extra_host_paths),
        ]
    )
    return nl


def _inside_script(layout: Layout, nl: NodeLayout, extra: tuple[Path, ...] = ()) -> str:
    """Run once inside the new namespace: drop copies of other namespaces' pins (they would keep those
    namespaces alive), then put the node's own directories behind the hard-coded host paths."""
    drop = " ".join(str(p) for p in (layout.mount_ns_dir, Path("/run/netns")))
    binds = "\n".join(f"mount --bind {nl.private(p)} {p}" for p in (*HARD_CODED_HOST_PATHS, *extra))
    return f"""
for prefix in {drop}; do
  for m in $(awk -v p="$prefix/" 'index($5, p) == 1 {{print $5}}' /proc/self/mountinfo | sort -r); do
    umount -l "$m" || true
  done
done
{binds}
"""


def tear_down(layout: Layout, index: int) -> list[str]:
    """Stop node ``index``'s daemons and everything left in its mount namespace; release the namespace and
    the node's directories. The network namespace and cgroups go with the rest (network, host)."""
    nl = layout.node(index)
    node = a.NodeSpec(index)
    for name in reversed(daemon_names(node)[1:]):  # kube-router, kube-proxy, kubelet: containerd last
        processes.stop(layout, name)
    processes.kill_pids(host.pod_pids())
    processes.stop(layout, daemon_names(node)[0])
    # Shims, pause and containers of this node that survived containerd: all of its mount namespace is ours.
    processes.kill_pids(host.pids_in_mount_ns(nl.mount_ns))
    problems = _release_mount_ns(nl.mount_ns)
    shutil.rmtree(nl.root, ignore_errors=True)
    shutil.rmtree(nl.run, ignore_errors=True)
    return problems


def indices(layout: Layout) -> list[int]:
    """Every node index something of ours still exists for (state may be half gone after a crash)."""
    found: set[int] = set()
    for base in (layout.lib / "nodes", layout.run / "nodes"):
        found |= {int(p.name) for p in _children(base) if p.name.isdigit()}
    found |= {
        int(m.group(1)) for p in _children(layout.mount_ns_dir) if (m := re.fullmatch(r"n(\d+)", p.name))
    }
    found |= {int(m.group(1)) for p in _children(layout.pids) if (m := re.match(r"n(\d+)-", p.name))}
    return sorted(found)


def release_pins(layout: Layout) -> list[str]:
    """After every node is gone: the private bind of the pin directory itself."""
    problems = _release_mount_ns(layout.mount_ns_dir)
    shutil.rmtree(layout.run / "nodes", ignore_errors=True)
    shutil.rmtree(layout.lib / "nodes", ignore_errors=True)
    return problems


def remove_created_host_dirs(layout: Layout) -> None:
    """rmdir the mount points we had to create on the host, if still empty (a node's content was never
    there: it lived in the node's private bind)."""
    try:
        created = layout.created_host_dirs.read_text().split()
    except FileNotFoundError:
        return
    for path in reversed(created):
        try:
            Path(path).rmdir()
        except OSError:
            pass
    layout.created_host_dirs.unlink(missing_ok=True)


def _ensure_host_dirs(layout: Layout, paths: Iterable[Path]) -> None:
    created = []
    for path in paths:
        # Each missing level is recorded, outermost first (/etc/cni, then /etc/cni/net.d); rmdir'd in reverse.
        for level in (*reversed(path.parents), path):
            if not level.exists():
                level.mkdir()
                created.append(str(level))
    if created:
        layout.created_host_dirs.parent.mkdir(parents=True, exist_ok=True)
        with layout.created_host_dirs.open("a") as record:
            record.write("".join(f"{p}\n" for p in created))


def _pin_dir(directory: Path) -> None:
    """A private bind of the directory on itself, as `ip netns` does for /run/netns: pins made inside are
    not copied into mount namespaces created later by propagation."""
    directory.mkdir(parents=True, exist_ok=True)
    if not _is_mount_point(directory):
        run(["mount", "--bind", str(directory), str(directory)])
        run(["mount", "--make-private", str(directory)])


def _release_mount_ns(path: Path) -> list[str]:
    if _is_mount_point(path):
        run(["umount", str(path)], check=False)
        if _is_mount_point(path):
            run(["umount", "-l", str(path)], check=False)
    if _is_mount_point(path):
        return [f"mount {path}"]
    if path.is_dir():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)
    return []


def _is_mount_point(path: Path) -> bool:
    return str(path) in host.mount_points()


def _children(directory: Path) -> list[Path]:
    try:
        return list(directory.iterdir())
    except OSError:
        return []


def pids_in(layout: Layout, index: int) -> list[int]:
    return host.pids_in_mount_ns(layout.node(index).mount_ns)


def in_node(node: a.NodeSpec, argv: list[str]) -> list[str]:
    """``argv`` run in the node's network namespace (iptables, ip, a health check on its loopback)."""
    return ["ip", "netns", "exec", node.netns, *argv]
