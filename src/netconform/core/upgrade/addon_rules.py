"""Rules on the add-on itself: is it an active EKS add-on, is the target offered, is the path one minor step.

EKS User Guide (``managing-vpc-cni``): "To upgrade to VPC CNI v1.12.0 or later, you must upgrade to VPC CNI
v1.7.0 first. We recommend that you update one minor version at a time." A skipped minor is a blocker.
"""

from __future__ import annotations

from netconform.core.findings import Finding, Severity, evidence
from netconform.core.upgrade.codes import Code
from netconform.core.upgrade.facts import PreflightInputs
from netconform.core.upgrade.versions import V1_7, V1_12, AddonVersion


def check_addon_state(inputs: PreflightInputs) -> list[Finding]:
    cluster = inputs.cluster.name
    addon = inputs.addon
    if addon is None:
        running = (
            "an aws-node DaemonSet runs (self-managed)" if inputs.aws_node_env is not None else "unknown"
        )
        return [
            Finding(
                Severity.ERROR,
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
            Severity.INFO,
            Code.ADDON_CURRENT,
            f"vpc-cni add-on {addon.version} is {addon.status}",
            evidence({"addonVersion": addon.version, "status": addon.status}),
        )
    ]
    if addon.status != "ACTIVE":
        findings.append(
            Finding(
                Severity.ERROR,
                Code.ADDON_NOT_ACTIVE,
                f"the vpc-cni add-on is {addon.status}, not ACTIVE: an update now would not start cleanly",
                evidence({"status": addon.status}),
                "Wait for an update in progress to finish, or resolve the add-on's health issues "
                f"(aws eks describe-addon --cluster-name {cluster} --addon-name vpc-cni) until it is ACTIVE.",
            )
        )
    findings.extend(
        Finding(
            Severity.WARNING,
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
                Severity.ERROR,
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
                Severity.INFO,
                Code.TARGET_SELECTED,
                f"no --target-version: checking the latest compatible, {target}",
            )
        )
    if target not in offered:
        findings.append(
            Finding(
                Severity.ERROR,
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
                Severity.INFO,
                Code.TARGET_NOT_DEFAULT,
                f"EKS's default vpc-cni for Kubernetes {k8s} is {default}; the target is {target}",
                evidence({"defaultVersion": default}),
            )
        )
    current = inputs.addon.version if inputs.addon else None
    if current is not None and target == current:
        findings.append(
            Finding(Severity.INFO, Code.ALREADY_AT_TARGET, f"already at {target}: nothing to upgrade")
        )
    elif current is not None and target < current:
        findings.append(
            Finding(
                Severity.WARNING,
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
                Severity.ERROR,
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
                Severity.ERROR,
                Code.PATH_SKIPS_MINOR,
                f"{current} -> {target} skips minor versions; update one minor version at a time",
                evidence({"current": current, "target": target, "steps": " -> ".join(steps)}),
                f"Update to {steps[0]} first, then continue one minor version at a time.",
            )
        )
    if not findings:
        findings.append(
            Finding(Severity.INFO, Code.PATH_OK, f"{current} -> {target} is a single minor-version step")
        )
    return findings
