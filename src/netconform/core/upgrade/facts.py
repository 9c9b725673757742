"""What the preflight rules are a function of: EKS, EC2 and in-cluster facts, gathered by the adapters."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping

from netconform.core.addon_config import configuration_document
from netconform.core.upgrade import subnets as subnet_math
from netconform.core.upgrade.versions import AddonVersion


@dataclasses.dataclass(frozen=True)
class EksClusterFacts:
    name: str
    kubernetes_version: str
    ip_family: str = "ipv4"
    subnet_ids: tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True)
class HealthIssue:
    code: str
    message: str


@dataclasses.dataclass(frozen=True)
class AddonFacts:
    version: AddonVersion
    status: str
    health_issues: tuple[HealthIssue, ...] = ()
    configuration_values: str | None = None  # JSON or YAML text, as EKS stores it


@dataclasses.dataclass(frozen=True)
class AvailableVersion:
    version: AddonVersion
    default: bool = False  # EKS's default for the cluster's Kubernetes version


@dataclasses.dataclass(frozen=True)
class InstanceTypeFacts:
    name: str
    hypervisor: str | None  # "nitro" | "xen"; EC2 returns none for bare metal
    bare_metal: bool
    ipv4_per_interface: int

    @property
    def supports_prefix_delegation(self) -> bool:
        # Same test as the CNI's awsutils.IsPrefixDelegationSupported().
        return self.hypervisor == "nitro" or self.bare_metal


@dataclasses.dataclass(frozen=True)
class NodegroupFacts:
    name: str
    instance_types: tuple[str, ...]
    subnet_ids: tuple[str, ...]


@dataclasses.dataclass(frozen=True)
class SubnetFacts:
    subnet_id: str
    availability_zone: str
    available_ip_count: int  # EC2's own count
    usage: subnet_math.SubnetUsage


@dataclasses.dataclass(frozen=True)
class PreflightInputs:
    cluster: EksClusterFacts
    addon: AddonFacts | None  # None: vpc-cni is not an EKS add-on on this cluster
    available: tuple[AvailableVersion, ...]
    target: AddonVersion | None  # None: nothing to upgrade to
    target_requested: bool = False  # --target-version given (else latest compatible)
    target_schema: str | None = None  # configurationSchema of the target, when it exists
    nodegroups: tuple[NodegroupFacts, ...] = ()
    instance_types: Mapping[str, InstanceTypeFacts] = dataclasses.field(default_factory=dict)
    subnets: tuple[SubnetFacts, ...] = ()
    aws_node_env: Mapping[str, str] | None = None  # the running aws-node container env; None: not read


def choose_target(
    available: Iterable[AvailableVersion], requested: AddonVersion | None
) -> AddonVersion | None:
    """The requested version, else the latest version offered for the cluster's Kubernetes version."""
    if requested is not None:
        return requested
    versions = sorted(a.version for a in available)
    return versions[-1] if versions else None


def configured_env(addon: AddonFacts | None) -> dict[str, str]:
    try:
        doc = configuration_document(addon.configuration_values if addon else None)
    except ValueError:
        return {}
    env = (doc or {}).get("env")
    return {str(k): str(v) for k, v in env.items()} if isinstance(env, dict) else {}


def prefix_delegation_on(inputs: PreflightInputs) -> bool:
    """On if the add-on configures it or the running DaemonSet has it (a ``kubectl set env`` counts)."""
    sources = [configured_env(inputs.addon), dict(inputs.aws_node_env or {})]
    return any(env.get("ENABLE_PREFIX_DELEGATION", "").lower() == "true" for env in sources)


def effective_env(inputs: PreflightInputs) -> dict[str, str]:
    # The running env wins: it is what ipamd actually reads.
    return {**configured_env(inputs.addon), **(inputs.aws_node_env or {})}
