"""Container images without a registry: docker-archive tarballs written here, imported into containerd.

Each image is one layer built from files on this machine (our own binaries and Debian's static busybox), so
no registry and no image build tool is needed. The manifests' pull policy is ``Never`` on the test bed.
"""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
import tarfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from netconform.adapters.probe.methods import DIALER_PATH
from netconform.errors import CannotCheck

AGNHOST_VERSION = "2.63.0"  # the tag k8s v1.36.3's e2e suite expects (test/utils/image/manifest.go)
PROBE_IMAGE = f"netconform.local/probe:{AGNHOST_VERSION}"
PAUSE_IMAGE = "netconform.local/pause:1"
COREDNS_IMAGE = "netconform.local/coredns:1.15.0"
BUSYBOX = Path("/bin/busybox")

_PASSWD = "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n"
_GROUP = "root:x:0:\nnobody:x:65534:\n"


@dataclass(frozen=True)
class ImageSpec:
    reference: str
    files: dict[str, Path]  # path inside the image -> file on this machine
    symlinks: dict[str, str] = field(default_factory=dict)  # path inside -> link target
    entrypoint: tuple[str, ...] = ()
    cmd: tuple[str, ...] = ()
    texts: dict[str, str] = field(default_factory=dict)  # small generated files


def busybox_applets() -> list[str]:
    out = subprocess.run([str(BUSYBOX), "--list"], check=True, capture_output=True, text=True).stdout
    return [name for name in out.split() if name and name != "busybox"]


def probe_image_spec(agnhost: Path, porter_dir: Path | None, dialer: Path | None = None) -> ImageSpec:
    """agnhost, as upstream's e2e image, plus busybox for shell tools (upstream's is Alpine), and our own
    multi-target probe client (testbed/dialer: ``/netconform-dial``, probe.methods.MultiDial)."""
    files = {"agnhost": agnhost, "bin/busybox": BUSYBOX}
    if dialer is not None:
        files[DIALER_PATH.lstrip("/")] = dialer
    if porter_dir is not None:
        files["localhost.crt"] = porter_dir / "localhost.crt"
        files["localhost.key"] = porter_dir / "localhost.key"
    links = {f"bin/{applet}": "busybox" for applet in busybox_applets()}
    links["agnhost-2"] = "agnhost"
    return ImageSpec(
        reference=PROBE_IMAGE,
        files=files,
        symlinks=links,
        entrypoint=("/agnhost",),
        cmd=("pause",),
        texts={"etc/passwd": _PASSWD, "etc/group": _GROUP},
    )


def pause_image_spec(pause: Path) -> ImageSpec:
    return ImageSpec(reference=PAUSE_IMAGE, files={"pause": pause}, entrypoint=("/pause",))


def coredns_image_spec(coredns: Path) -> ImageSpec:
    return ImageSpec(
        reference=COREDNS_IMAGE,
        files={"coredns": coredns},
        entrypoint=("/coredns",),
        texts={"etc/passwd": _PASSWD, "etc/group": _GROUP},
    )


def write_archive(spec: ImageSpec, destination: Path) -> Path:
    """Write ``spec`` as a docker-archive tarball (the format ``ctr images import`` reads)."""
    layer = _layer_tar(spec)
    layer_digest = hashlib.sha256(layer).hexdigest()
    config = {
        "architecture": "amd64",
        "os": "linux",
        "config": {
            "Entrypoint": list(spec.entrypoint) or None,
            "Cmd": list(spec.cmd) or None,
            "Env": ["PATH=/bin:/usr/bin:/sbin:/usr/sbin"],
            "WorkingDir": "/",
        },
        "rootfs": {"type": "layers", "diff_ids": [f"sha256:{layer_digest}"]},
        "history": [{"created_by": "netconform testbed image writer"}],
    }
    config_bytes = json.dumps(config, sort_keys=True).encode()
    config_name = f"{hashlib.sha256(config_bytes).hexdigest()}.json"
    manifest = [
        {"Config": config_name, "RepoTags": [spec.reference], "Layers": [f"{layer_digest}/layer.tar"]}
    ]
    destination.parent.mkdir(parents=True, exist_ok=True)
    tmp = destination.with_suffix(".tmp")
    with tarfile.open(tmp, "w") as archive:
        _add_bytes(archive, config_name, config_bytes)
        _add_bytes(archive, f"{layer_digest}/layer.tar", layer)
        _add_bytes(archive, "manifest.json", json.dumps(manifest).encode())
    tmp.replace(destination)
    return destination


def import_archive(ctr: Path, socket: Path, archive: Path) -> None:
    """Import into the CRI namespace as kind's LoadImageArchive does."""
    command = [str(ctr), "--address", str(socket), "-n", "k8s.io", "images", "import"]
    command += ["--snapshotter", "overlayfs", "--platform", "linux/amd64", str(archive)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=180, check=False)
    if result.returncode != 0:
        raise CannotCheck(f"importing {archive.name} into containerd failed: {result.stderr.strip()}")


def import_oci_archive(ctr: Path, socket: Path, archive: Path, name: str) -> None:
    """Import an OCI layout archive (scripts/build_image.py's) as ``name``: its one image is tagged by its
    version alone (``org.opencontainers.image.ref.name``), which ctr prefixes with the base name."""
    base, _, tag = name.rpartition(":")
    command = [str(ctr), "--address", str(socket), "-n", "k8s.io", "images", "import", "--base-name", base]
    command += ["--snapshotter", "overlayfs", "--platform", "linux/amd64", str(archive)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    if result.returncode != 0:
        raise CannotCheck(f"importing {archive.name} into containerd failed: {result.stderr.strip()}")
    if f"{base}:{tag}" not in result.stdout + result.stderr:
        raise CannotCheck(f"{archive.name} holds no image tagged {tag!r}: {result.stdout.strip()}")


def _layer_tar(spec: ImageSpec) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as layer:
        for directory in sorted(_parent_dirs([*spec.files, *spec.symlinks, *spec.texts]) | {"tmp"}):
            info = tarfile.TarInfo(directory)
            info.type = tarfile.DIRTYPE
            info.mode = 0o1777 if directory == "tmp" else 0o755
            layer.addfile(info)
        for inside, source in sorted(spec.files.items()):
            data = source.read_bytes()
            info = tarfile.TarInfo(inside)
            info.size = len(data)
            info.mode = 0o755 if source.stat().st_mode & 0o111 else 0o644
            layer.addfile(info, io.BytesIO(data))
        for inside, text in sorted(spec.texts.items()):
            _add_bytes(layer, inside, text.encode(), mode=0o644)
        for inside, target in sorted(spec.symlinks.items()):
            info = tarfile.TarInfo(inside)
            info.type = tarfile.SYMTYPE
            info.linkname = target
            layer.addfile(info)
    return buffer.getvalue()


def _parent_dirs(paths: Iterable[str]) -> set[str]:
    parents: set[str] = set()
    for path in paths:
        parts = path.split("/")[:-1]
        parents.update("/".join(parts[: i + 1]) for i in range(len(parts)))
    return parents


def _add_bytes(archive: tarfile.TarFile, name: str, data: bytes, mode: int = 0o644) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = mode
    archive.addfile(info, io.BytesIO(data))
