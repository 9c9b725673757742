"""Build the netconform image without Docker: mmdebstrap for the Debian base, umoci for the OCI image.

    python scripts/build_image.py [--wheel dist/netconform-X.whl] [--out DIR]

Why these two: both are in Debian bookworm, need no daemon and no registry, and are made for reproducible
output. mmdebstrap builds the base from Debian's archive (the same packages the Containerfile's
``debian:bookworm-slim`` + ``apt-get install`` gives) and clamps every timestamp to SOURCE_DATE_EPOCH; umoci
writes a plain OCI layout whose config and history take explicit dates. buildah or podman would read the
Containerfile themselves but need a base image from a container registry, which these machines cannot
reach; skopeo only copies images.

image/Containerfile is the one definition: this script reads its PACKAGES argument and its USER, WORKDIR,
ENV, ENTRYPOINT and CMD lines, and runs the same image/install.sh (chrooted, from locally built wheels of
requirements-runtime.lock, so nothing but Debian's archive is fetched). Two layers: the base (cached under
$NETCONFORM_CACHE/image, keyed by the package list and the date) and netconform's own.

Output: DIR/netconform-<version>.oci.tar, an OCI layout archive (``ctr images import``, ``skopeo copy
oci-archive:...``, ``podman load`` read it), and its size and build time on stdout.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shlex
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CONTAINERFILE = REPO / "image" / "Containerfile"
CACHE = Path(os.environ.get("NETCONFORM_CACHE", "/var/cache/netconform")) / "image"
MIRROR = "http://deb.debian.org/debian"
SUITE = "bookworm"
# Documentation, manuals and translations are not needed in an image (copyright files are kept).
DPKG_EXCLUDES = (
    "path-exclude=/usr/share/man/*",
    "path-exclude=/usr/share/info/*",
    "path-exclude=/usr/share/doc/*",
    "path-include=/usr/share/doc/*/copyright",
    "path-exclude=/usr/share/locale/*",
    "path-include=/usr/share/locale/locale.alias",
    "path-exclude=/usr/share/lintian/*",
)
APT_OPTIONS = ('APT::Install-Recommends "false"',)
MERGED_USR_HOOKS = "/usr/share/mmdebstrap/hooks/merged-usr"  # as the Containerfile's --no-install-recommends
IMAGE_NAME = "netconform.local/netconform"


@dataclass
class Definition:
    """What the Containerfile says, in the parts this builder applies."""

    packages: list[str]
    user: str = ""
    workdir: str = "/"
    env: dict[str, str] = field(default_factory=dict)
    entrypoint: list[str] = field(default_factory=list)
    cmd: list[str] = field(default_factory=list)


def read_definition(text: str) -> Definition:
    lines = text.replace("\\\n", " ").splitlines()
    definition = Definition(packages=[])
    for line in lines:
        word, _, rest = line.strip().partition(" ")
        if word == "ARG" and rest.startswith("PACKAGES="):
            definition.packages = shlex.split(rest.removeprefix("PACKAGES="))[0].split()
        elif word == "USER":
            definition.user = rest.strip()
        elif word == "WORKDIR":
            definition.workdir = rest.strip()
        elif word == "ENV":
            definition.env.update(dict(item.split("=", 1) for item in shlex.split(rest)))
        elif word == "ENTRYPOINT":
            definition.entrypoint = json.loads(rest)
        elif word == "CMD":
            definition.cmd = json.loads(rest)
    if not definition.packages:
        raise SystemExit(f"build_image: no ARG PACKAGES=... in {CONTAINERFILE}")
    return definition


def source_date_epoch() -> int:
    """SOURCE_DATE_EPOCH, else the last commit's date: the same tree gives the same image."""
    if "SOURCE_DATE_EPOCH" in os.environ:
        return int(os.environ["SOURCE_DATE_EPOCH"])
    out = subprocess.run(
        ["git", "log", "-1", "--format=%ct"], cwd=REPO, capture_output=True, text=True, check=False
    )
    return int(out.stdout.strip() or 0)


def base_rootfs(definition: Definition, epoch: int) -> Path:
    """Debian bookworm with the Containerfile's packages, as a tarball (cached)."""
    options = [*DPKG_EXCLUDES, *APT_OPTIONS, MERGED_USR_HOOKS]
    key_text = "\n".join([SUITE, MIRROR, *definition.packages, *options])
    key = hashlib.sha256(key_text.encode()).hexdigest()[:12]
    # The archive moves on: a base is rebuilt once a day at most (the key's date), never per build.
    day = time.strftime("%Y%m%d", time.gmtime())
    tarball = CACHE / f"base-{SUITE}-{key}-{day}.tar"
    if tarball.exists():
        return tarball
    CACHE.mkdir(parents=True, exist_ok=True)
    tmp = tarball.with_suffix(".tmp.tar")
    command = [
        "mmdebstrap", "--variant=essential", "--mode=root", "--format=tar",
        f"--include={','.join(definition.packages)}",
        *(f"--aptopt={opt}" for opt in APT_OPTIONS),
        # /usr merged before anything is unpacked (as Debian's own images), so apt takes the empty
        # usr-is-merged for init-system-helpers' "usrmerge | usr-is-merged" rather than usrmerge and perl.
        f"--hook-dir={MERGED_USR_HOOKS}",
        *(f"--dpkgopt={opt}" for opt in DPKG_EXCLUDES),
        # What apt leaves behind is of no use in the image.
        "--customize-hook=rm -rf \"$1\"/var/cache/apt/* \"$1\"/var/lib/apt/lists/* \"$1\"/var/log/*",
        SUITE, str(tmp), MIRROR,
    ]  # fmt: skip
    env = {**os.environ, "SOURCE_DATE_EPOCH": str(epoch), "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(command, check=True, env=env)
    tmp.replace(tarball)
    for old in CACHE.glob(f"base-{SUITE}-{key}-*.tar"):
        if old != tarball:
            old.unlink()
    return tarball


def wheelhouse() -> Path:
    """Wheels of requirements-runtime.lock, downloaded once per lock (cached). The interpreter running this
    is the project's CPython 3.11 on Linux x86-64, bookworm's too, so the wheels it picks fit the image."""
    lock = REPO / "requirements-runtime.lock"
    directory = CACHE / f"wheels-{hashlib.sha256(lock.read_bytes()).hexdigest()[:12]}"
    if not directory.exists():
        tmp = directory.with_name(directory.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check",
             "--require-hashes", "--only-binary=:all:", "--no-deps",
             "-r", str(lock), "-d", str(tmp)],
            check=True,
        )  # fmt: skip
        tmp.rename(directory)
    return directory


def app_layer(base: Path, wheel: Path, wheels: Path, epoch: int, work: Path) -> Path:
    """Unpack the base, run install.sh in it, and keep what it added (/opt/netconform, the user)."""
    rootfs = work / "rootfs"
    rootfs.mkdir()
    subprocess.run(["tar", "-xf", str(base), "-C", str(rootfs)], check=True)
    build = rootfs / "tmp" / "netconform-build"
    (build / "dist").mkdir(parents=True)
    shutil.copy2(REPO / "requirements-runtime.lock", build)
    shutil.copy2(REPO / "image" / "install.sh", build)
    shutil.copy2(wheel, build / "dist")
    shutil.copytree(wheels, build / "wheels")
    # No network and nothing of the machine inside: the chroot sees only its own files.
    env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "HOME": "/root", "LC_ALL": "C.UTF-8"}
    subprocess.run(
        ["chroot", str(rootfs), "sh", "/tmp/netconform-build/install.sh", "/tmp/netconform-build"],
        check=True,
        env=env,
    )
    shutil.rmtree(build)
    # The image's own user, its environment only: the harness starts and finds its installed suites.
    user_env = ["env", "-i", *(f"{k}={v}" for k, v in read_definition(CONTAINERFILE.read_text()).env.items())]
    for check in (["netconform", "--version"], ["netconform", "run", "--collect-only", "-q", "-m", "smoke"]):
        subprocess.run(
            ["chroot", "--userspec=10001:10001", str(rootfs), *user_env, *check],
            check=True, stdout=subprocess.DEVNULL, timeout=300,
        )  # fmt: skip
    layer = work / "app.tar"
    with tarfile.open(layer, "w", format=tarfile.PAX_FORMAT) as archive:
        for top in ("opt/netconform", "etc/passwd", "etc/group"):
            _add_tree(archive, rootfs, top, epoch)
    return layer


def _add_tree(archive: tarfile.TarFile, root: Path, top: str, epoch: int) -> None:
    """Add ``top`` and everything under it in sorted order, owned by root, mtimes clamped to ``epoch``."""
    paths = [root / top]
    if (root / top).is_dir() and not (root / top).is_symlink():
        paths += sorted((root / top).rglob("*"))
    for path in paths:
        info = archive.gettarinfo(str(path), arcname=str(path.relative_to(root)))
        info.uid = info.gid = 0
        info.uname = info.gname = "root"
        info.mtime = min(int(info.mtime), epoch)
        if info.isfile():
            with path.open("rb") as handle:
                archive.addfile(info, handle)
        else:
            archive.addfile(info)


def oci_image(definition: Definition, layers: list[Path], version: str, epoch: int, work: Path) -> Path:
    layout = work / "oci"
    created = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))
    image = f"{layout}:{version}"
    umoci = ["umoci", "--log", "error"]
    subprocess.run([*umoci, "init", "--layout", str(layout)], check=True)
    subprocess.run([*umoci, "new", "--image", image], check=True)
    for layer, what in zip(layers, ("debian bookworm base", "netconform"), strict=True):
        subprocess.run(
            [*umoci, "raw", "add-layer", "--image", image, "--history.created", created,
             "--history.created_by", what, str(layer)],
            check=True,
        )  # fmt: skip
    config = [*umoci, "config", "--image", image, "--created", created, "--no-history"]
    config += ["--config.user", definition.user, "--config.workingdir", definition.workdir]
    config += [f"--config.env={k}={v}" for k, v in definition.env.items()]
    config += [f"--config.entrypoint={part}" for part in definition.entrypoint]
    config += [f"--config.cmd={part}" for part in definition.cmd]
    config += ["--config.label", f"org.opencontainers.image.version={version}"]
    subprocess.run(config, check=True)
    # umoci's garbage collection drops the blobs of the intermediate configs and manifests.
    subprocess.run([*umoci, "gc", "--layout", str(layout)], check=True)
    return layout


def archive_layout(layout: Path, destination: Path, epoch: int) -> None:
    tmp = destination.with_suffix(".tmp")
    with tarfile.open(tmp, "w", format=tarfile.PAX_FORMAT) as archive:
        for path in sorted(layout.rglob("*")):
            info = archive.gettarinfo(str(path), arcname=str(path.relative_to(layout)))
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            info.mtime = epoch
            if info.isfile():
                with path.open("rb") as handle:
                    archive.addfile(info, handle)
            else:
                archive.addfile(info)
    tmp.replace(destination)


def _fresh_wheel() -> Path:
    """dist/'s wheel, built now (`make image` builds it too): an older one would silently miss changes."""
    for old in (REPO / "dist").glob("netconform-*.whl"):
        old.unlink()
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--disable-pip-version-check", "--no-deps",
         "-w", str(REPO / "dist"), str(REPO)],
        check=True,
    )  # fmt: skip
    (wheel,) = (REPO / "dist").glob("netconform-*.whl")
    return wheel


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wheel", type=Path, help="the wheel to install (default: the newest in dist/)")
    parser.add_argument("--out", type=Path, default=REPO / "dist")
    args = parser.parse_args()
    if os.geteuid() != 0:
        print("build_image: needs root (mmdebstrap --mode=root, chroot)", file=sys.stderr)
        return 2
    wheel = args.wheel or _fresh_wheel()
    version = wheel.name.split("-")[1]
    started = time.monotonic()
    epoch = source_date_epoch()
    definition = read_definition(CONTAINERFILE.read_text())
    base = base_rootfs(definition, epoch)
    wheels = wheelhouse()
    with tempfile.TemporaryDirectory(prefix="netconform-image-") as tmp:
        work = Path(tmp)
        app = app_layer(base, wheel, wheels, epoch, work)
        layout = oci_image(definition, [base, app], version, epoch, work)
        args.out.mkdir(parents=True, exist_ok=True)
        destination = args.out / f"netconform-{version}.oci.tar"
        archive_layout(layout, destination, epoch)
        index = json.loads((layout / "index.json").read_text())
        manifest_digest = index["manifests"][0]["digest"]
        unpacked = (base.stat().st_size + app.stat().st_size) / 1e6
    elapsed = time.monotonic() - started
    print(
        f"image {IMAGE_NAME}:{version}: {destination} ({destination.stat().st_size / 1e6:.0f} MB compressed, "
        f"{unpacked:.0f} MB unpacked), manifest {manifest_digest}, built in {elapsed:.0f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
