"""vpc-cni add-on pre-upgrade rules: versions, the upgrade path, configuration, nodes, subnets, drift.

Pure: the AWS adapters gather a ``PreflightInputs``; every rule here is a function of it that returns
``Finding``s. The facts behind the rules, from the EKS User Guide:

* "To upgrade to VPC CNI v1.12.0 or later, you must upgrade to VPC CNI v1.7.0 first. We recommend that you
  update one minor version at a time." (``managing-vpc-cni``). We treat a skipped minor as a blocker: it is
  the documented procedure and the releases are only tested one minor apart.
* The target must be offered by ``DescribeAddonVersions`` for the cluster's Kubernetes version.
* ``configurationValues`` are validated against ``DescribeAddonConfiguration().configurationSchema`` by
  EKS when the add-on is updated; we validate them the same way *before* the update.
* Prefix delegation needs Nitro (or bare metal) instances and vpc-cni >= 1.9.0 (>= 1.10.1 for IPv6); on other
  types the CNI falls back to secondary IPs (IPv4) or fails to start (IPv6).
"""

from __future__ import annotations

import dataclasses
import enum
import json
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import jsonschema
import jsonschema.exceptions

from netconform.core.addon_config import configuration_document
from netconform.core.upgrade import subnets as subnet_math
from netconform.errors import InputError

# --- versions -----

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

# --- findings -----


class Severity(enum.Enum):
    BLOCKER = "blocker"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        return list(Severity).index(self)


class Code(enum.StrEnum):
    ADDON_NOT_INSTALLED = "ADDON_NOT_INSTALLED"
    ADDON_NOT_ACTIVE = "ADDON_NOT_ACTIVE"
    ADDON_HEALTH_ISSUE = "ADDON_HEALTH_ISSUE"
    ADDON_CURRENT = "ADDON_CURRENT"
    NO_COMPATIBLE_VERSION = "NO_COMPATIBLE_VERSION"
    TARGET_NOT_COMPATIBLE = "TARGET_NOT_COMPATIBLE"
    TARGET_SELECTED = "TARGET_SELECTED"
    TARGET_NOT_DEFAULT = "TARGET_NOT_DEFAULT"
    ALREADY_AT_TARGET = "ALREADY_AT_TARGET"
    DOWNGRADE = "DOWNGRADE"
    PATH_VIA_1_7 = "PATH_VIA_1_7"
    PATH_SKIPS_MINOR = "PATH_SKIPS_MINOR"
    PATH_OK = "PATH_OK"
    CONFIG_DEFAULTS = "CONFIG_DEFAULTS"
    CONFIG_UNPARSEABLE = "CONFIG_UNPARSEABLE"
    CONFIG_SCHEMA_UNREADABLE = "CONFIG_SCHEMA_UNREADABLE"
    CONFIG_INVALID_FOR_TARGET = "CONFIG_INVALID_FOR_TARGET"
    CONFIG_VALID = "CONFIG_VALID"
    PD_UNSUPPORTED_VERSION = "PD_UNSUPPORTED_VERSION"
    PD_NON_NITRO = "PD_NON_NITRO"
    PD_NITRO_OK = "PD_NITRO_OK"
    INSTANCE_TYPE_UNKNOWN = "INSTANCE_TYPE_UNKNOWN"
    NO_MANAGED_NODEGROUPS = "NO_MANAGED_NODEGROUPS"
    SUBNET_NO_FREE_PREFIX = "SUBNET_NO_FREE_PREFIX"
    SUBNET_FEW_FREE_PREFIXES = "SUBNET_FEW_FREE_PREFIXES"
    SUBNET_LOW_FREE_IPS = "SUBNET_LOW_FREE_IPS"
    CLUSTER_SUBNET_LOW_IPS = "CLUSTER_SUBNET_LOW_IPS"
    SUBNETS_OK = "SUBNETS_OK"
    IN_CLUSTER_SKIPPED = "IN_CLUSTER_SKIPPED"
    AWS_NODE_ENV_DRIFT = "AWS_NODE_ENV_DRIFT"
    AWS_NODE_ENV_MATCHES = "AWS_NODE_ENV_MATCHES"


Evidence = tuple[tuple[str, str], ...]


def evidence(pairs: Mapping[str, object]) -> Evidence:
    return tuple((key, str(value)) for key, value in pairs.items())


@dataclasses.dataclass(frozen=True)
class Finding:
    severity: Severity
    code: Code
    message: str
    evidence: Evidence = ()
    fix: str = ""


# --- inputs -----


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


# --- rules -----

PreflightRule = Callable[[PreflightInputs], list[Finding]]

_BLOCKER, _WARNING, _INFO = Severity.ERROR, Severity.WARNING, Severity.INFO


def check_addon_state(inputs: PreflightInputs) -> list[Finding]:
    cluster = inputs.cluster.name
    addon = inputs.addon
    if addon is None:
        running = (
            "an aws-node DaemonSet runs (self-managed)" if inputs.aws_node_env is not None else "unknown"
        )
        return [
            Finding(
                _BLOCKER,
                Code.ADDON_NOT_INSTALLED,
                f"vpc-cni is not an EKS add-on on cluster {cluster}: update-addon cannot upgrade it",
                evidence({"describe_addon": "ResourceNotFoundException", "in-cluster": running}),
                "Back up the aws-node DaemonSet, then adopt it with `aws eks create-addon --cluster-name "
                f"{cluster} --addon-name vpc-cni --resolve-conflicts OVERWRITE`, or follow the self-managed "
                "update procedure (EKS User Guide: vpc-add-on-self-managed-update).",
            )
        ]
    findings = [
        Finding(
            _INFO,
            Code.ADDON_CURRENT,
            f"vpc-cni add-on {addon.version} is {addon.status}",
            evidence({"addonVersion": addon.version, "status": addon.status}),
        )
    ]
    if addon.status != "ACTIVE":
        findings.append(
            Finding(
                _BLOCKER,
                Code.ADDON_NOT_ACTIVE,
                f"the vpc-cni add-on is {addon.status}, not ACTIVE: an update now would not start cleanly",
                evidence({"status": addon.status}),
                "Wait for an update in progress to finish, or resolve the add-on's health issues "
                f"(aws eks describe-addon --cluster-name {cluster} --addon-name vpc-cni) until it is ACTIVE.",
            )
        )
    findings.extend(
        Finding(
            _WARNING,
            Code.ADDON_HEALTH_ISSUE,
            f"add-on health issue {issue.code}: {issue.message}",
            evidence({"code": issue.code}),
            "Fix the reported issue first; ConfigurationConflict means fields were edited in-cluster "
            "(choose --resolve-conflicts PRESERVE or OVERWRITE deliberately).",
        )
        for issue in addon.health_issues
    )
    return findings


def _default_version(inputs: PreflightInputs) -> AddonVersion | None:
    defaults = sorted(a.version for a in inputs.available if a.default)
    return defaults[-1] if defaults else None


def check_target(inputs: PreflightInputs) -> list[Finding]:
    k8s = inputs.cluster.kubernetes_version
    offered = sorted(a.version for a in inputs.available)
    target = inputs.target
    if target is None:
        return [
            Finding(
                _BLOCKER,
                Code.NO_COMPATIBLE_VERSION,
                f"EKS offers no vpc-cni add-on version for Kubernetes {k8s}",
                evidence({"kubernetesVersion": k8s}),
                f"Check `aws eks describe-addon-versions --addon-name vpc-cni --kubernetes-version {k8s}`.",
            )
        ]
    findings: list[Finding] = []
    if not inputs.target_requested:
        findings.append(
            Finding(
                _INFO, Code.TARGET_SELECTED, f"no --target-version: checking the latest compatible, {target}"
            )
        )
    if target not in offered:
        findings.append(
            Finding(
                _BLOCKER,
                Code.TARGET_NOT_COMPATIBLE,
                f"{target} is not offered for Kubernetes {k8s}",
                evidence({"kubernetesVersion": k8s, "offered": ", ".join(str(v) for v in offered[-5:])}),
                f"Pick a version listed by `aws eks describe-addon-versions --addon-name vpc-cni "
                f"--kubernetes-version {k8s}`.",
            )
        )
    default = _default_version(inputs)
    if default is not None and default != target:
        findings.append(
            Finding(
                _INFO,
                Code.TARGET_NOT_DEFAULT,
                f"EKS's default vpc-cni for Kubernetes {k8s} is {default}; the target is {target}",
                evidence({"defaultVersion": default}),
            )
        )
    current = inputs.addon.version if inputs.addon else None
    if current is not None and target == current:
        findings.append(Finding(_INFO, Code.ALREADY_AT_TARGET, f"already at {target}: nothing to upgrade"))
    elif current is not None and target < current:
        findings.append(
            Finding(
                _WARNING,
                Code.DOWNGRADE,
                f"{target} is older than the installed {current}: this is a downgrade",
                evidence({"current": current, "target": target}),
                "Downgrades are not the tested direction; read the release notes in between.",
            )
        )
    return findings


def _next_steps(inputs: PreflightInputs, current: AddonVersion, target: AddonVersion) -> list[str]:
    """One stop per minor version between current and target: the newest build offered for it."""
    steps = []
    for minor in range(current.minor + 1, target.minor):
        builds = sorted(a.version for a in inputs.available if a.version.minor_line == (current.major, minor))
        steps.append(
            str(builds[-1]) if builds else f"v{current.major}.{minor}.x (not offered for this cluster)"
        )
    return [*steps, str(target)]


def check_upgrade_path(inputs: PreflightInputs) -> list[Finding]:
    current = inputs.addon.version if inputs.addon else None
    target = inputs.target
    if current is None or target is None or target <= current:
        return []
    findings = []
    if current < V1_7 and target >= V1_12:
        findings.append(
            Finding(
                _BLOCKER,
                Code.PATH_VIA_1_7,
                f"{current} -> {target}: to reach v1.12.0 or later you must be on v1.7.0 or later first",
                evidence({"current": current, "target": target}),
                "Update to a v1.7 release first (EKS User Guide: managing-vpc-cni).",
            )
        )
    skipped = target.major != current.major or target.minor > current.minor + 1
    if skipped:
        steps = _next_steps(inputs, current, target) if target.major == current.major else [str(target)]
        findings.append(
            Finding(
                _BLOCKER,
                Code.PATH_SKIPS_MINOR,
                f"{current} -> {target} skips minor versions; update one minor version at a time",
                evidence({"current": current, "target": target, "steps": " -> ".join(steps)}),
                f"Update to {steps[0]} first, then continue one minor version at a time.",
            )
        )
    if not findings:
        findings.append(Finding(_INFO, Code.PATH_OK, f"{current} -> {target} is a single minor-version step"))
    return findings


def _schema_errors(schema_text: str, document: Any) -> list[str] | None:
    """Validation errors as ``path: message``; None when the schema itself cannot be used."""
    try:
        schema = json.loads(schema_text)
        validator_cls = jsonschema.validators.validator_for(schema)
        validator_cls.check_schema(schema)
    except (ValueError, jsonschema.exceptions.SchemaError):
        return None
    validator = validator_cls(schema)
    errors = sorted(validator.iter_errors(document), key=lambda e: [str(p) for p in e.absolute_path])
    return [f"{'.'.join(str(p) for p in e.absolute_path) or '(top level)'}: {e.message}" for e in errors]


def check_configuration(inputs: PreflightInputs) -> list[Finding]:
    addon = inputs.addon
    if addon is None:
        return []
    try:
        document = configuration_document(addon.configuration_values)
    except ValueError as err:
        return [
            Finding(
                _BLOCKER,
                Code.CONFIG_UNPARSEABLE,
                f"the add-on's configurationValues cannot be parsed: {err}",
                fix='Rewrite configurationValues as a JSON object, e.g. \'{"env":{"WARM_IP_TARGET":"5"}}\'.',
            )
        ]
    if document is None:
        return [Finding(_INFO, Code.CONFIG_DEFAULTS, "no configurationValues: EKS defaults apply")]
    if inputs.target_schema is None:
        return []  # no target to validate against; check_target already says why
    errors = _schema_errors(inputs.target_schema, document)
    if errors is None:
        return [
            Finding(
                _WARNING,
                Code.CONFIG_SCHEMA_UNREADABLE,
                f"the configuration schema of {inputs.target} is not a usable JSON Schema; not validated",
            )
        ]
    if errors:
        return [
            Finding(
                _BLOCKER,
                Code.CONFIG_INVALID_FOR_TARGET,
                f"configurationValues would be rejected by {inputs.target}: {len(errors)} schema error(s)",
                evidence({f"error {n}": e for n, e in enumerate(errors[:10], start=1)}),
                f"Fix the values (schema: `aws eks describe-addon-configuration --addon-name vpc-cni "
                f"--addon-version {inputs.target}`) and pass them with update-addon --configuration-values.",
            )
        ]
    return [Finding(_INFO, Code.CONFIG_VALID, f"configurationValues are valid for {inputs.target}")]


def check_prefix_delegation(inputs: PreflightInputs) -> list[Finding]:
    if not prefix_delegation_on(inputs):
        return []
    ipv6 = inputs.cluster.ip_family == "ipv6"
    findings = []
    minimum = PD_MIN_IPV6 if ipv6 else PD_MIN_IPV4
    if inputs.target is not None and inputs.target < minimum:
        findings.append(
            Finding(
                _BLOCKER,
                Code.PD_UNSUPPORTED_VERSION,
                f"prefix delegation is on but {inputs.target} is older than {minimum}",
                evidence({"target": inputs.target, "minimum": minimum}),
                f"Target {minimum} or later; below it, prefix delegation needs new nodes.",
            )
        )
    for group in inputs.nodegroups:
        unknown = [t for t in group.instance_types if t not in inputs.instance_types]
        not_nitro = [
            t
            for t in group.instance_types
            if t in inputs.instance_types and not inputs.instance_types[t].supports_prefix_delegation
        ]
        if unknown:
            findings.append(
                Finding(
                    _WARNING,
                    Code.INSTANCE_TYPE_UNKNOWN,
                    f"node group {group.name}: EC2 does not describe {', '.join(unknown)}",
                    evidence({"nodegroup": group.name}),
                )
            )
        if not_nitro:
            # IPv4 falls back to secondary IPs (max-pods computed for prefixes overcommits the node);
            # IPv6 has no secondary-IP mode, so aws-node fails to start.
            effect = (
                "aws-node cannot start (IPv6)" if ipv6 else "the CNI silently falls back to secondary IPs"
            )
            findings.append(
                Finding(
                    _BLOCKER if ipv6 else _WARNING,
                    Code.PD_NON_NITRO,
                    f"node group {group.name} uses non-Nitro types with prefix delegation on: {effect}",
                    evidence(
                        {t: inputs.instance_types[t].hypervisor or "unknown hypervisor" for t in not_nitro}
                    ),
                    "Move the node group to Nitro instance types (new node group, then drain the old one).",
                )
            )
    if inputs.nodegroups and not any(f.code is Code.PD_NON_NITRO for f in findings):
        findings.append(Finding(_INFO, Code.PD_NITRO_OK, "prefix delegation: every node group type is Nitro"))
    return findings


# EKS needs up to five free addresses in the cluster subnets to update the control plane (update-cluster).
CLUSTER_SUBNET_MIN_FREE = 5


def _ipv4_per_interface(inputs: PreflightInputs, subnet_id: str) -> int:
    """The largest ENI among the types that launch into the subnet: the most a warm ENI can claim."""
    sizes = [
        inputs.instance_types[t].ipv4_per_interface
        for g in inputs.nodegroups
        if subnet_id in g.subnet_ids
        for t in g.instance_types
        if t in inputs.instance_types
    ]
    return max(sizes, default=1)


def _node_subnet_findings(inputs: PreflightInputs, subnet: SubnetFacts, pd: bool) -> list[Finding]:
    need = subnet_math.warm_pool_need(
        effective_env(inputs), _ipv4_per_interface(inputs, subnet.subnet_id), pd
    )
    sid = subnet.subnet_id
    if pd:
        free = len(subnet_math.free_prefix_blocks(subnet.usage))
        facts = evidence({"cidr": subnet.usage.cidr, "free /28 blocks": free, "warm pool": need.reason})
        fix = (
            "Add a subnet with free space to the node group, or reserve /28 space with "
            f"`aws ec2 create-subnet-cidr-reservation --subnet-id {sid} --reservation-type prefix`."
        )
        if free == 0:
            return [
                Finding(
                    _BLOCKER,
                    Code.SUBNET_NO_FREE_PREFIX,
                    f"subnet {sid} has no free contiguous /28 block: prefix delegation fails with "
                    "InsufficientCidrBlocks",
                    facts,
                    fix,
                )
            ]
        if free < need.prefixes:
            return [
                Finding(
                    _WARNING,
                    Code.SUBNET_FEW_FREE_PREFIXES,
                    f"subnet {sid} has {free} free /28 block(s); a new node wants {need.prefixes}",
                    facts,
                    fix,
                )
            ]
        return []
    if subnet.available_ip_count < need.addresses:
        return [
            Finding(
                _WARNING,
                Code.SUBNET_LOW_FREE_IPS,
                f"subnet {sid} has {subnet.available_ip_count} free IPs; one new node's warm pool takes "
                f"{need.addresses}",
                evidence({"AvailableIpAddressCount": subnet.available_ip_count, "warm pool": need.reason}),
                "Lower WARM_ENI_TARGET (or set WARM_IP_TARGET with MINIMUM_IP_TARGET), or add subnet space.",
            )
        ]
    return []


def check_subnets(inputs: PreflightInputs) -> list[Finding]:
    by_id = {s.subnet_id: s for s in inputs.subnets}
    pd = prefix_delegation_on(inputs)
    node_subnets = sorted({sid for g in inputs.nodegroups for sid in g.subnet_ids if sid in by_id})
    findings = [f for sid in node_subnets for f in _node_subnet_findings(inputs, by_id[sid], pd)]
    for sid in inputs.cluster.subnet_ids:
        subnet = by_id.get(sid)
        if subnet is not None and subnet.available_ip_count < CLUSTER_SUBNET_MIN_FREE:
            findings.append(
                Finding(
                    _WARNING,
                    Code.CLUSTER_SUBNET_LOW_IPS,
                    f"cluster subnet {sid} has {subnet.available_ip_count} free IPs; EKS needs up to "
                    f"{CLUSTER_SUBNET_MIN_FREE} to update the control plane",
                    evidence({"AvailableIpAddressCount": subnet.available_ip_count}),
                    "Free addresses in the subnet or add cluster subnets (aws eks update-cluster-config).",
                )
            )
    if not inputs.nodegroups:
        findings.append(
            Finding(
                _INFO,
                Code.NO_MANAGED_NODEGROUPS,
                "no managed node groups: EKS does not list self-managed nodes, so node checks are skipped",
            )
        )
    elif not findings:
        mode = "free /28 blocks" if pd else "free IPs"
        findings.append(
            Finding(_INFO, Code.SUBNETS_OK, f"node subnets have {mode} for a new node's warm pool")
        )
    return findings


# Settings people change with `kubectl set env` and their documented defaults (README "CNI Configuration
# Variables"); None = unset by default. Other variables differ by version, so we do not judge them.
TUNING_DEFAULTS: Mapping[str, str | None] = {
    "ENABLE_PREFIX_DELEGATION": "false",
    "WARM_ENI_TARGET": "1",
    "WARM_PREFIX_TARGET": "1",
    "WARM_IP_TARGET": None,
    "MINIMUM_IP_TARGET": None,
    "MAX_ENI": None,
    "AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG": "false",
    "AWS_VPC_K8S_CNI_EXTERNALSNAT": "false",
    "AWS_VPC_K8S_CNI_EXCLUDE_SNAT_CIDRS": None,
    "ENABLE_POD_ENI": "false",
    "POD_SECURITY_GROUP_ENFORCING_MODE": "strict",
}


def check_aws_node_drift(inputs: PreflightInputs) -> list[Finding]:
    running = inputs.aws_node_env
    if running is None:
        return [
            Finding(
                _INFO,
                Code.IN_CLUSTER_SKIPPED,
                "in-cluster checks skipped: aws-node env drift was not checked",
                fix="Pass --aws-node-env FILE (the aws-node container env as JSON or YAML).",
            )
        ]
    if inputs.addon is None:
        return []  # self-managed: there is no add-on configuration to drift from
    configured = configured_env(inputs.addon)
    drift: dict[str, str] = {}
    for name, value in sorted(configured.items()):
        if running.get(name) != value:
            drift[name] = f"add-on configures {value!r}, aws-node runs {running.get(name)!r}"
    for name, default in TUNING_DEFAULTS.items():
        if name not in configured and name in running and running[name] != default:
            drift[name] = f"aws-node runs {running[name]!r}, not in the add-on configuration"
    if not drift:
        return [Finding(_INFO, Code.AWS_NODE_ENV_MATCHES, "aws-node env matches the add-on configuration")]
    return [
        Finding(
            _WARNING,
            Code.AWS_NODE_ENV_DRIFT,
            f"aws-node env differs from the add-on configuration in {len(drift)} variable(s) "
            "(edited in-cluster, e.g. kubectl set env)",
            evidence(drift),
            "Move the values into the add-on (update-addon --configuration-values '{\"env\":{...}}'); "
            "--resolve-conflicts OVERWRITE reverts in-cluster edits, PRESERVE keeps them unmanaged.",
        )
    ]


RULES: tuple[PreflightRule, ...] = (
    check_addon_state,
    check_target,
    check_upgrade_path,
    check_configuration,
    check_prefix_delegation,
    check_subnets,
    check_aws_node_drift,
)


@dataclasses.dataclass(frozen=True)
class PreflightReport:
    inputs: PreflightInputs
    findings: tuple[Finding, ...]

    @property
    def blockers(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity is Severity.ERROR)

    @property
    def safe(self) -> bool:
        return not self.blockers


def run_checks(inputs: PreflightInputs, rules: Iterable[PreflightRule] = RULES) -> PreflightReport:
    findings = [finding for rule in rules for finding in rule(inputs)]
    # Stable order: severity first, then the rule order (the sort is stable).
    findings.sort(key=lambda f: -f.severity)
    return PreflightReport(inputs, tuple(findings))
