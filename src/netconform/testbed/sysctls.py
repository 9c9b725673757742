"""Host sysctls the test bed needs, and the ones the kubelet changes behind our back, restored afterwards."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

# What the test bed sets for itself on the machine (global: every node's kubelet and containerd watch files).
REQUIRED = {
    "fs.inotify.max_user_instances": "8192",
    "fs.inotify.max_user_watches": "524288",
}
# Set inside the bed's own network namespaces only (nc-cp and every node): the machine's root namespace does
# not forward anything of ours, so its own net.ipv4.ip_forward stays as it was.
NETNS_REQUIRED = {"net.ipv4.ip_forward": "1"}
# kube-router REJECTs denied packets; the kernel rate-limits the ICMP "destination unreachable" answers (a
# burst of 6 per destination, then 1/s; 50 in all), so a batch of probes against a wide deny gets a few
# refusals and many silent drops, which then cost the probe deadline. Taking type 3 out of the rate mask while
# the bed runs answers every denied packet (refused, never a coin toss between refused and timed out).
# Per network namespace: applied in the bed's namespaces (network._namespace_sysctls), never the machine's.
ICMP_DEST_UNREACH = 3
DERIVED: dict[str, Callable[[str], str]] = {
    "net.ipv4.icmp_ratemask": lambda value: str(int(value) & ~(1 << ICMP_DEST_UNREACH)),
}
# What the kubelet rewrites at start (setupKernelTunables). kernel.panic_on_oops=1 would turn any oops into a
# panic of the whole machine (and of CI with it), so these go back as soon as the kubelet is up.
KUBELET_CHANGES = ("kernel.panic", "kernel.panic_on_oops", "vm.overcommit_memory", "vm.panic_on_oom")
RESTORE_AFTER_KUBELET = ("kernel.panic", "kernel.panic_on_oops")
TRACKED = ("net.ipv4.ip_forward", *REQUIRED, *DERIVED, *KUBELET_CHANGES)


def _path(name: str) -> Path:
    return Path("/proc/sys") / name.replace(".", "/")


def read(name: str) -> str:
    return _path(name).read_text().strip()


def write(name: str, value: str) -> None:
    _path(name).write_text(value)


def save(store: Path) -> None:
    """Record the machine's values once; a saved file from an interrupted run already holds the originals."""
    if store.exists():
        return
    store.parent.mkdir(parents=True, exist_ok=True)
    store.write_text(json.dumps({name: read(name) for name in TRACKED}, indent=2))


def saved(store: Path) -> dict[str, str]:
    try:
        values: dict[str, str] = json.loads(store.read_text())
    except FileNotFoundError:
        return {}
    return values


def apply_required() -> None:
    for name, value in REQUIRED.items():
        write(name, value)


def restore(store: Path, names: tuple[str, ...] = TRACKED) -> None:
    for name, value in saved(store).items():
        if name in names and read(name) != value:
            write(name, value)


def drift(store: Path, names: tuple[str, ...] = RESTORE_AFTER_KUBELET) -> dict[str, tuple[str, str]]:
    """Host-critical sysctls that differ from the machine's own values: name -> (now, original)."""
    return {n: (read(n), v) for n, v in saved(store).items() if n in names and read(n) != v}
