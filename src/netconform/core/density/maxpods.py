"""Pod density on EKS: the max-pods calculator and the VPC CNI warm-pool arithmetic.

Max pods follows the EKS ``max-pods-calculator.sh`` (amazon-eks-ami, logic of 2024-08-21):

1. ENIs = MaximumNetworkInterfaces of the default network card; IPs = Ipv4AddressesPerInterface.
2. ``max_eni`` (the CNI's MAX_ENI) lowers ENIs to ``min(ENIs, max_eni)``.
3. Custom networking takes the primary ENI away from pods: ENIs − 1 (after max_eni; may reach 0).
4. Secondary-IP mode: ``ENIs × (IPs − 1) + 2`` (each ENI's primary IP is not for pods; +2 for the
   host-network pods aws-node and kube-proxy).
   Prefix delegation: ``ENIs × ((IPs − 1) × 16) + 2`` (every secondary slot holds a /28), applied only on
   Nitro instances with CNI ≥ 1.9.0; otherwise the CNI silently falls back to secondary IPs, and so do we.
5. Unless uncapped, the result is capped at 110 for ≤ 30 vCPUs and 250 above (the managed node group cap,
   in every mode, prefix delegation or not).

One deliberate difference from the script: bare-metal types report no hypervisor in EC2, so the script
never applies the prefix formula to them, but they are Nitro systems and the CNI itself delegates prefixes
on them (``IsPrefixDelegationSupported`` is ``nitro || IsBareMetal``). We follow the CNI and treat them
as Nitro; capped results only differ with a small ``max_eni`` (m5.metal, max_eni 2, PD: 250 vs 100).
"""

from __future__ import annotations

import enum
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from difflib import get_close_matches
from typing import Final

from netconform.core.instance_types import InstanceLimits
from netconform.errors import InputError

PODS_ON_HOST_NETWORK: Final = 2  # aws-node and kube-proxy use the node's IP, not a pod IP
IPS_PER_PREFIX: Final = 16  # a /28
SMALL_NODE_VCPUS: Final = 30  # the script tests "vCPUs > 30"; no current type has exactly 30
SMALL_NODE_CAP: Final = 110
LARGE_NODE_CAP: Final = 250


@dataclass(frozen=True, order=True, slots=True)
class CniVersion:
    major: int
    minor: int
    patch: int = 0

    @classmethod
    def parse(cls, text: str) -> CniVersion:
        """Accept ``1.19.0``, ``v1.19.0-eksbuild.1`` (an EKS addonVersion) or ``1.9``."""
        match = re.fullmatch(r"v?(\d+)\.(\d+)(?:\.(\d+))?(?:[-+][0-9A-Za-z.-]+)?", text.strip())
        if match is None:
            raise InputError(f"CNI version {text!r} is not like 1.19.0 or v1.19.0-eksbuild.1")
        major, minor, patch = match.groups()
        return cls(int(major), int(minor), int(patch or 0))

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}.{self.patch}"


PREFIX_DELEGATION_MIN_CNI: Final = CniVersion(1, 9, 0)
# Only prefix delegation depends on the version; the default is the newest EKS add-on version we know of,
# so "--prefix-delegation" alone means what a current cluster would do.
DEFAULT_CNI_VERSION: Final = CniVersion(1, 21, 1)


class IpMode(enum.Enum):
    SECONDARY_IP = "secondary-ip"
    PREFIX_DELEGATION = "prefix-delegation"


@dataclass(frozen=True, slots=True)
class DensityOptions:
    """How the CNI is configured; the defaults are a stock VPC CNI."""

    cni_version: CniVersion = DEFAULT_CNI_VERSION
    prefix_delegation: bool = False
    custom_networking: bool = False
    max_eni: int | None = None
    uncapped: bool = False

    def __post_init__(self) -> None:
        if self.max_eni is not None and self.max_eni < 1:
            raise InputError(f"max ENIs must be at least 1, not {self.max_eni}")


@dataclass(frozen=True, slots=True)
class MaxPods:
    """The max-pods value of one instance type and how it was derived (suites show this)."""

    instance_type: str
    enis: int
    """ENIs that carry pod IPs, after max_eni and custom networking."""
    ips_per_eni: int
    """Ipv4AddressesPerInterface of the type."""
    mode: IpMode
    """The mode actually used, which may differ from the one requested."""
    mode_reason: str
    adjustments: tuple[str, ...]
    """How the ENI count was lowered (max_eni, custom networking), in order; empty when untouched."""
    formula: str
    """The arithmetic with numbers filled in, e.g. ``3 × (10 − 1) + 2 = 29``."""
    uncapped: int
    cap: int | None
    """The vCPU cap for this type (110 or 250), None when the caller asked for uncapped values."""
    cap_applied: bool
    value: int
    """What the calculator answers: ``min(uncapped, cap)``."""

    def explain(self) -> str:
        """One paragraph for reports: every step from limits to the final number."""
        steps = [f"{self.instance_type}: {self.mode_reason}", *self.adjustments, self.formula]
        if self.cap is None:
            steps.append("uncapped")
        elif self.cap_applied:
            steps.append(f"capped at {self.cap} → {self.value}")
        else:
            steps.append(f"under the {self.cap} cap")
        return "; ".join(steps)


def pod_cap(vcpus: int) -> int:
    """The managed-node-group cap: 110 pods up to 30 vCPUs, 250 above."""
    return LARGE_NODE_CAP if vcpus > SMALL_NODE_VCPUS else SMALL_NODE_CAP


def choose_mode(limits: InstanceLimits, options: DensityOptions) -> tuple[IpMode, str]:
    """The IP mode the CNI will actually run in, and why."""
    if not options.prefix_delegation:
        return IpMode.SECONDARY_IP, "secondary-IP mode"
    if options.cni_version < PREFIX_DELEGATION_MIN_CNI:
        return IpMode.SECONDARY_IP, (
            f"prefix delegation requested but CNI {options.cni_version} < {PREFIX_DELEGATION_MIN_CNI}"
            " → secondary-IP"
        )
    if not limits.is_nitro:
        return IpMode.SECONDARY_IP, (
            f"prefix delegation requested but {limits.instance_type} is not Nitro"
            f" (hypervisor {limits.hypervisor}) → secondary-IP"
        )
    if limits.hypervisor != "nitro":
        return IpMode.PREFIX_DELEGATION, "prefix delegation (bare metal counts as Nitro for the CNI)"
    return IpMode.PREFIX_DELEGATION, "prefix delegation"


def usable_enis(limits: InstanceLimits, options: DensityOptions) -> tuple[int, tuple[str, ...]]:
    """ENIs that carry pod IPs, and the steps that lowered the count."""
    enis = limits.enis
    steps: list[str] = []
    if options.max_eni is not None and options.max_eni < enis:
        steps.append(f"max ENIs {options.max_eni} (type allows {enis})")
        enis = options.max_eni
    if options.custom_networking:
        # The primary ENI stays in the node's subnet; pods only get IPs from ENIConfig ENIs.
        steps.append(f"custom networking: primary ENI not for pods ({enis} − 1)")
        enis = max(enis - 1, 0)
    return enis, tuple(steps)


def max_pods(limits: InstanceLimits, options: DensityOptions = DensityOptions()) -> MaxPods:
    """Max pods for one instance type under the given CNI configuration."""
    mode, reason = choose_mode(limits, options)
    enis, adjustments = usable_enis(limits, options)
    ips = limits.ipv4_per_eni
    if mode is IpMode.PREFIX_DELEGATION:
        uncapped = enis * ((ips - 1) * IPS_PER_PREFIX) + PODS_ON_HOST_NETWORK
        formula = f"{enis} × (({ips} − 1) × {IPS_PER_PREFIX}) + {PODS_ON_HOST_NETWORK} = {uncapped}"
    else:
        uncapped = enis * (ips - 1) + PODS_ON_HOST_NETWORK
        formula = f"{enis} × ({ips} − 1) + {PODS_ON_HOST_NETWORK} = {uncapped}"
    cap = None if options.uncapped else pod_cap(limits.vcpus)
    value = uncapped if cap is None else min(uncapped, cap)
    return MaxPods(
        instance_type=limits.instance_type,
        enis=enis,
        ips_per_eni=ips,
        mode=mode,
        mode_reason=reason,
        adjustments=adjustments,
        formula=formula,
        uncapped=uncapped,
        cap=cap,
        cap_applied=value < uncapped,
        value=value,
    )


def lookup(catalog: Mapping[str, InstanceLimits], names: Iterable[str]) -> list[InstanceLimits]:
    """The limits of each named type, in order; every unknown name reported in one line."""
    wanted = [name.strip().lower() for name in names]
    unknown = [name for name in wanted if name not in catalog]
    if unknown:
        raise InputError("; ".join(_unknown_type_message(name, catalog) for name in unknown))
    return [catalog[name] for name in wanted]


def _unknown_type_message(name: str, catalog: Mapping[str, InstanceLimits]) -> str:
    close = get_close_matches(name, list(catalog), n=3)
    hint = f" (did you mean {', '.join(close)}?)" if close else ""
    return f"unknown instance type {name!r}{hint}"


def max_pods_for_all(
    catalog: Mapping[str, InstanceLimits], options: DensityOptions = DensityOptions()
) -> dict[str, MaxPods]:
    """Max pods for every type in the catalog, sorted by type name."""
    return {name: max_pods(catalog[name], options) for name in sorted(catalog)}


# --- warm pool ------------------------------------------------------------------------------------------
# What ipamd keeps attached to a node (docs/eni-and-ip-target.md, docs/prefix-and-ip-target.md in
# aws/amazon-vpc-cni-k8s). Setting WARM_IP_TARGET or MINIMUM_IP_TARGET (> 0) switches from whole-ENI
# (or whole-prefix) warming to IP-count warming: the node holds max(pods + WARM_IP, MINIMUM_IP) IPs.


@dataclass(frozen=True, slots=True)
class WarmPoolConfig:
    """The aws-node settings that size the warm pool; defaults are the shipped manifest's."""

    warm_eni_target: int = 1
    warm_ip_target: int = 0
    minimum_ip_target: int = 0
    warm_prefix_target: int = 1
    prefix_delegation: bool = False
    max_eni: int | None = None

    def __post_init__(self) -> None:
        for name in ("warm_eni_target", "warm_ip_target", "minimum_ip_target", "warm_prefix_target"):
            if getattr(self, name) < 0:
                raise InputError(f"{name.upper()} must not be negative, not {getattr(self, name)}")
        if self.max_eni is not None and self.max_eni < 1:
            raise InputError(f"MAX_ENI must be at least 1, not {self.max_eni}")

    @property
    def uses_ip_targets(self) -> bool:
        """WARM_IP_TARGET / MINIMUM_IP_TARGET override WARM_ENI_TARGET and WARM_PREFIX_TARGET."""
        return self.warm_ip_target > 0 or self.minimum_ip_target > 0


@dataclass(frozen=True, slots=True)
class WarmPool:
    """What a node holds for ``pods`` running pods (host-network pods excluded)."""

    mode: IpMode
    enis: int
    """ENIs attached (the primary included) on a node whose pool only grew to this size."""
    enis_at_most: int
    """ENIs a node may still hold after its pool shrank: with IP targets, ipamd frees a secondary ENI only
    when it holds no pod and none of its IPs (prefixes) are needed for the target (datastore
    isRequiredForWarmIPTarget, v1.22.4 data_store.go), so each IP the target needs may keep its own ENI.
    Measured on the bed: WARM_IP_TARGET=2 after WARM_ENI_TARGET=2 kept 2 ENIs / 2 IPs, where a fresh node
    attaches 1. Whole-ENI warming (WARM_ENI_TARGET) frees down to ``enis``."""
    prefixes: int | None
    """/28 prefixes attached; None in secondary-IP mode."""
    ips: int
    """Pod IPs the node holds: secondary IPs, or 16 per prefix."""
    free_ips: int
    pods_without_ip: int
    """Pods beyond what the node can address (ENI limit reached, or MINIMUM_IP_TARGET without WARM_IP)."""
    rule: str
    """Which setting decided the size, e.g. ``WARM_ENI_TARGET=1``."""

    @property
    def enis_text(self) -> str:
        """``2``, or ``1-3`` where a pool that shrank may keep more ENIs than a fresh one attaches."""
        return str(self.enis) if self.enis_at_most == self.enis else f"{self.enis}-{self.enis_at_most}"


def warm_pool(limits: InstanceLimits, config: WarmPoolConfig, pods: int) -> WarmPool:
    """How many ENIs, IPs (or prefixes) ipamd keeps attached with ``pods`` pods running.

    The caller decides the mode: pass ``prefix_delegation`` only when it is in effect (Nitro, CNI ≥ 1.9;
    ``choose_mode`` says). Custom networking and the kubelet max-pods ceiling ipamd also honours are not
    modelled.
    """
    if pods < 0:
        raise InputError(f"pods must not be negative, not {pods}")
    max_enis = limits.enis if config.max_eni is None else min(limits.enis, config.max_eni)
    slots_per_eni = limits.ipv4_per_eni - 1  # secondary IPs, or prefixes, per ENI
    if config.prefix_delegation:
        return _prefix_pool(config, pods, max_enis, slots_per_eni)
    return _secondary_ip_pool(config, pods, max_enis, slots_per_eni)


def _ip_target(config: WarmPoolConfig, pods: int) -> tuple[int, str]:
    rule = f"WARM_IP_TARGET={config.warm_ip_target}, MINIMUM_IP_TARGET={config.minimum_ip_target}"
    if config.warm_ip_target == 0:
        # ipamd treats the missing warm target as 0: the pool stops at the minimum and new pods wait.
        return config.minimum_ip_target, rule
    return max(pods + config.warm_ip_target, config.minimum_ip_target), rule


def _secondary_ip_pool(config: WarmPoolConfig, pods: int, max_enis: int, per_eni: int) -> WarmPool:
    capacity = max_enis * per_eni
    if config.uses_ip_targets:
        wanted, rule = _ip_target(config, pods)
        ips = min(wanted, capacity)
        enis = max(1, math.ceil(ips / per_eni))
        enis_at_most = _kept_enis(enis, max_enis, ips)
    else:
        # Whole ENIs: enough to hold the pods, plus WARM_ENI_TARGET spare ENIs' worth, all IPs filled.
        rule = f"WARM_ENI_TARGET={config.warm_eni_target}"
        enis = min(max(1, math.ceil(pods / per_eni) + config.warm_eni_target), max_enis)
        ips = enis * per_eni
        enis_at_most = enis
    return WarmPool(
        mode=IpMode.SECONDARY_IP,
        enis=enis,
        enis_at_most=enis_at_most,
        prefixes=None,
        ips=ips,
        free_ips=max(ips - pods, 0),
        pods_without_ip=max(pods - ips, 0),
        rule=rule,
    )


def _kept_enis(enis: int, max_enis: int, needed_slots: int) -> int:
    """WarmPool.enis_at_most: the primary, and at worst one ENI per needed IP (or prefix), within the type."""
    return max(enis, min(max_enis, needed_slots + 1))


def _prefix_pool(config: WarmPoolConfig, pods: int, max_enis: int, prefixes_per_eni: int) -> WarmPool:
    capacity = max_enis * prefixes_per_eni
    if config.uses_ip_targets:
        wanted, rule = _ip_target(config, pods)
        prefixes = math.ceil(wanted / IPS_PER_PREFIX)
    else:
        # WARM_PREFIX_TARGET counts whole free prefixes: a prefix with one pod in it is not free.
        rule = f"WARM_PREFIX_TARGET={config.warm_prefix_target}"
        prefixes = math.ceil(pods / IPS_PER_PREFIX) + config.warm_prefix_target
    # The doc table shows at least one prefix even when the targets ask for none (the CNI rejects 0).
    prefixes = min(max(prefixes, 1), capacity)
    ips = prefixes * IPS_PER_PREFIX
    enis = max(1, math.ceil(prefixes / prefixes_per_eni))
    # A needed prefix keeps its ENI as a needed IP does, for IP targets and prefix targets alike.
    enis_at_most = _kept_enis(enis, max_enis, prefixes)
    return WarmPool(
        mode=IpMode.PREFIX_DELEGATION,
        enis=enis,
        enis_at_most=enis_at_most,
        prefixes=prefixes,
        ips=ips,
        free_ips=max(ips - pods, 0),
        pods_without_ip=max(pods - ips, 0),
        rule=rule,
    )
