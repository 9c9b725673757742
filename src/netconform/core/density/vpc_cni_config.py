"""The VPC CNI's configuration as pod density sees it: aws-node env (and add-on configurationValues).

Density depends on a handful of aws-node variables: ``ENABLE_PREFIX_DELEGATION``,
``AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG``, ``MAX_ENI`` (the calculator's inputs) and the warm-pool targets
``WARM_ENI_TARGET``, ``WARM_IP_TARGET``, ``MINIMUM_IP_TARGET``, ``WARM_PREFIX_TARGET``. The CNI version
(prefix delegation needs >= 1.9.0) comes from the aws-node image tag, e.g.
``602401143452.dkr.ecr.us-west-2.amazonaws.com/amazon-k8s-cni:v1.19.0-eksbuild.1``.

The running env wins over the add-on's ``configurationValues``: it is what ipamd actually reads (a
``kubectl set env`` counts). Values that do not parse are reported in ``problems`` and replaced by the
CNI's default, so a typo shows up in the report instead of stopping the suite.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from netconform.core.addon_config import configuration_document
from netconform.core.density.maxpods import CniVersion, DensityOptions, WarmPoolConfig
from netconform.core.profiles import AWS_NODE, ClusterFacts, ContainerFacts, DaemonSetFacts
from netconform.errors import InputError

PREFIX_DELEGATION: Final = "ENABLE_PREFIX_DELEGATION"
CUSTOM_NETWORKING: Final = "AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG"
MAX_ENI: Final = "MAX_ENI"
WARM_ENI_TARGET: Final = "WARM_ENI_TARGET"
WARM_IP_TARGET: Final = "WARM_IP_TARGET"
MINIMUM_IP_TARGET: Final = "MINIMUM_IP_TARGET"
WARM_PREFIX_TARGET: Final = "WARM_PREFIX_TARGET"
DENSITY_VARIABLES: Final = (
    PREFIX_DELEGATION,
    CUSTOM_NETWORKING,
    MAX_ENI,
    WARM_ENI_TARGET,
    WARM_IP_TARGET,
    MINIMUM_IP_TARGET,
    WARM_PREFIX_TARGET,
)
_DEFAULT_WARM = WarmPoolConfig()


@dataclass(frozen=True, slots=True)
class VpcCniConfig:
    """The density-relevant VPC CNI settings of one cluster, parsed, with where they came from."""

    env: Mapping[str, str]
    """The effective env (configurationValues overridden by the running aws-node container)."""
    cni_version: CniVersion | None
    """From the aws-node image tag; None when the tag is not a version (a digest, ``latest``)."""
    image: str = ""
    problems: tuple[str, ...] = ()
    """Values that did not parse; the CNI default was used instead."""

    @property
    def prefix_delegation(self) -> bool:
        return _flag(self.env, PREFIX_DELEGATION, [])

    @property
    def custom_networking(self) -> bool:
        return _flag(self.env, CUSTOM_NETWORKING, [])

    def density_options(self, *, uncapped: bool = False) -> DensityOptions:
        """The calculator's inputs; an unknown version is the newest one (it only matters for PD)."""
        problems: list[str] = []
        max_eni = _count(self.env, MAX_ENI, None, problems, minimum=1)
        base = DensityOptions() if self.cni_version is None else DensityOptions(cni_version=self.cni_version)
        return dataclasses.replace(
            base,
            prefix_delegation=self.prefix_delegation,
            custom_networking=self.custom_networking,
            max_eni=max_eni,
            uncapped=uncapped,
        )

    def warm_pool_config(self, *, prefix_delegation: bool | None = None) -> WarmPoolConfig:
        """The warm-pool targets; ``prefix_delegation`` overrides the env (the calculator's mode wins)."""
        problems: list[str] = []
        return WarmPoolConfig(
            warm_eni_target=_count(self.env, WARM_ENI_TARGET, _DEFAULT_WARM.warm_eni_target, problems) or 0,
            warm_ip_target=_count(self.env, WARM_IP_TARGET, 0, problems) or 0,
            minimum_ip_target=_count(self.env, MINIMUM_IP_TARGET, 0, problems) or 0,
            warm_prefix_target=_count(
                self.env, WARM_PREFIX_TARGET, _DEFAULT_WARM.warm_prefix_target, problems
            )
            or 0,
            prefix_delegation=self.prefix_delegation if prefix_delegation is None else prefix_delegation,
            max_eni=_count(self.env, MAX_ENI, None, problems, minimum=1),
        )

    def describe(self) -> str:
        """One line for reports: version and every density variable that is set."""
        version = str(self.cni_version) if self.cni_version else f"unknown (image {self.image or '?'})"
        settings = [f"{k}={self.env[k]}" for k in DENSITY_VARIABLES if k in self.env]
        text = f"VPC CNI {version}; " + (", ".join(settings) if settings else "stock settings")
        if self.problems:
            text += "; problems: " + "; ".join(self.problems)
        return text


def image_version(image: str) -> CniVersion | None:
    """The CNI version in an image reference's tag (``…/amazon-k8s-cni:v1.19.0-eksbuild.1`` → 1.19.0)."""
    reference = image.split("@", 1)[0]
    name, _, tag = reference.rpartition(":")
    if not name or "/" in tag:  # no tag at all; the colon belonged to a registry port
        return None
    try:
        return CniVersion.parse(tag)
    except InputError:
        return None


def aws_node_daemonset(facts: ClusterFacts) -> DaemonSetFacts | None:
    """The running aws-node DaemonSet (kube-system first), or None on clusters without the VPC CNI."""
    candidates = [ds for ds in facts.daemonsets if ds.name == AWS_NODE and ds.running]
    candidates.sort(key=lambda ds: ds.namespace != "kube-system")
    return candidates[0] if candidates else None


def from_aws_node(
    daemonset: DaemonSetFacts | None, configuration_values: str | None = None
) -> VpcCniConfig | None:
    """Parse the aws-node DaemonSet and/or the add-on's configurationValues; None when both are absent."""
    problems: list[str] = []
    configured: dict[str, str] = {}
    try:
        document = configuration_document(configuration_values)
    except ValueError as err:
        problems.append(f"add-on configurationValues ignored: {err}")
        document = None
    env_section = (document or {}).get("env")
    if isinstance(env_section, dict):
        configured = {str(k): _text(v) for k, v in env_section.items()}
    elif env_section is not None:
        problems.append("add-on configurationValues: 'env' is not an object; ignored")
    if daemonset is None and document is None:
        return None
    container = _cni_container(daemonset) if daemonset else None
    running = dict(container.env) if container else {}
    image = container.image if container else ""
    env = {**configured, **running}
    version = image_version(image) if image else None
    if image and version is None:
        problems.append(f"CNI version unknown: image tag of {image!r} is not a version")
    _validate(env, problems)
    return VpcCniConfig(env=env, cni_version=version, image=image, problems=tuple(problems))


def _cni_container(daemonset: DaemonSetFacts) -> ContainerFacts | None:
    by_name = {c.name: c for c in daemonset.containers}
    return by_name.get(AWS_NODE) or (daemonset.containers[0] if daemonset.containers else None)


def _text(value: object) -> str:
    # configurationValues may hold YAML booleans/numbers; the CNI reads strings.
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _validate(env: Mapping[str, str], problems: list[str]) -> None:
    _flag(env, PREFIX_DELEGATION, problems)
    _flag(env, CUSTOM_NETWORKING, problems)
    _count(env, MAX_ENI, None, problems, minimum=1)
    for name in (WARM_ENI_TARGET, WARM_IP_TARGET, MINIMUM_IP_TARGET, WARM_PREFIX_TARGET):
        _count(env, name, 0, problems)


def _flag(env: Mapping[str, str], name: str, problems: list[str]) -> bool:
    # The CNI uses strconv.ParseBool: 1/t/true/TRUE/True are on; anything unparseable means the default.
    raw = env.get(name, "").strip()
    if raw.lower() in {"1", "t", "true"}:
        return True
    if raw and raw.lower() not in {"0", "f", "false"}:
        problems.append(f"{name}={raw!r} is not a boolean; the CNI treats it as false")
    return False


def _count(
    env: Mapping[str, str], name: str, default: int | None, problems: list[str], *, minimum: int = 0
) -> int | None:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        problems.append(f"{name}={raw!r} is not a number; default used")
        return default
    if value < minimum:
        problems.append(f"{name}={value} is below {minimum}; default used")
        return default
    return value
