"""vpc-cni add-on pre-upgrade rules: versions, the upgrade path, configuration, nodes, subnets, drift.

Pure: the AWS adapters gather a ``PreflightInputs``; every rule is a function of it that returns
``Finding``s. The facts behind the rules, from the EKS User Guide:

* "To upgrade to VPC CNI v1.12.0 or later, you must upgrade to VPC CNI v1.7.0 first. We recommend that you
  update one minor version at a time." (``managing-vpc-cni``). We treat a skipped minor as a blocker: it is
  the documented procedure and the releases are only tested one minor apart.
* The target must be offered by ``DescribeAddonVersions`` for the cluster's Kubernetes version.
* ``configurationValues`` are validated against ``DescribeAddonConfiguration().configurationSchema`` by
  EKS when the add-on is updated; we validate them the same way *before* the update.
* Prefix delegation needs Nitro (or bare metal) instances and vpc-cni >= 1.9.0 (>= 1.10.1 for IPv6); on other
  types the CNI falls back to secondary IPs (IPv4) or fails to start (IPv6).

The rules live in ``addon_rules``, ``config_rules`` and ``node_rules``; this module runs them in order and
sorts their findings. A finding of severity ``ERROR`` is a *blocker*: the upgrade must not start.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable

from netconform.core.findings import Finding, Severity, worst_first
from netconform.core.upgrade.addon_rules import check_addon_state, check_target, check_upgrade_path
from netconform.core.upgrade.config_rules import check_aws_node_drift, check_configuration
from netconform.core.upgrade.facts import PreflightInputs
from netconform.core.upgrade.node_rules import check_prefix_delegation, check_subnets

PreflightRule = Callable[[PreflightInputs], list[Finding]]


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
    # Stable order: severity first, then the rule order.
    findings = worst_first(finding for rule in rules for finding in rule(inputs))
    return PreflightReport(inputs, tuple(findings))
