"""Where the built binaries are: asks testbed/build.sh, which owns the cache layout and its keys."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from netconform.errors import CannotCheck

REPO_ROOT = Path(__file__).resolve().parents[3]
BUILD_SCRIPT = REPO_ROOT / "testbed" / "build.sh"
COMPONENTS = ("k8s", "etcd", "containerd", "cni", "kube-router", "kwok", "coredns", "pause", "dialer")


@dataclass(frozen=True)
class Binaries:
    dirs: dict[str, Path]

    def path(self, component: str, binary: str) -> Path:
        return self.dirs[component] / binary

    def missing(self) -> list[str]:
        return [c for c, d in self.dirs.items() if not (d.parent / ".complete").exists()]


def locate() -> Binaries:
    if not BUILD_SCRIPT.exists():
        raise CannotCheck(f"test bed: {BUILD_SCRIPT} not found; run from a netconform checkout")
    out = subprocess.run([str(BUILD_SCRIPT), "--print-dirs"], capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise CannotCheck(f"test bed: {BUILD_SCRIPT} --print-dirs failed: {out.stderr.strip()}")
    dirs = {}
    for line in out.stdout.splitlines():
        name, _, path = line.partition("=")
        dirs[name] = Path(path)
    return Binaries(dirs)


def build(components: tuple[str, ...] = ()) -> None:
    """Build what is missing (a no-op for cached components); output goes to the caller's terminal."""
    result = subprocess.run([str(BUILD_SCRIPT), *components], check=False)
    if result.returncode != 0:
        raise CannotCheck(
            f"test bed: building {' '.join(components) or 'components'} failed (see output above)"
        )
