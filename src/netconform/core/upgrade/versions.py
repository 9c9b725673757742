"""vpc-cni add-on versions: parsing, order, and the versions the upgrade rules name."""

from __future__ import annotations

import dataclasses
import re

from netconform.errors import InputError

_VERSION_RE = re.compile(r"^v?(\d+)\.(\d+)\.(\d+)(?:-eksbuild\.(\d+))?$")


@dataclasses.dataclass(frozen=True, order=True)
class AddonVersion:
    """``v1.20.1-eksbuild.1``; ordered semantically (the API's list order is not a promise)."""

    major: int
    minor: int
    patch: int
    build: int = 0  # a bare ``v1.20.1`` sorts before any of its eksbuilds

    def __str__(self) -> str:
        build = f"-eksbuild.{self.build}" if self.build else ""
        return f"v{self.major}.{self.minor}.{self.patch}{build}"

    @property
    def minor_line(self) -> tuple[int, int]:
        return (self.major, self.minor)


def parse_addon_version(text: str) -> AddonVersion:
    match = _VERSION_RE.match(text.strip())
    if not match:
        raise InputError(f"not a vpc-cni add-on version: {text!r} (expected e.g. v1.20.1-eksbuild.1)")
    major, minor, patch, build = match.groups()
    return AddonVersion(int(major), int(minor), int(patch), int(build or 0))


V1_7 = AddonVersion(1, 7, 0)
V1_12 = AddonVersion(1, 12, 0)
PD_MIN_IPV4 = AddonVersion(1, 9, 0)
PD_MIN_IPV6 = AddonVersion(1, 10, 1)
