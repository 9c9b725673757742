"""Every preflight rule, pass and fail, as data: a healthy cluster plus one change per case."""

from __future__ import annotations

import dataclasses
import ipaddress
import json
from collections.abc import Callable

import pytest

from netconform.core.upgrade.preflight import (
    AddonFacts,
    AvailableVersion,
    EksClusterFacts,
    Code,
    HealthIssue,
    InstanceTypeFacts,
    NodegroupFacts,
    PreflightInputs,
    Severity,
    SubnetFacts,
    parse_addon_version,
    run_checks,
)
from netconform.core.upgrade.subnets import SubnetUsage

V = parse_addon_version
SCHEMA = json.dumps(
    {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "env": {
                "type": "object",
                "additionalProperties": False,
                "properties": {
                    name: {"type": "string"}
                    for name in ("ENABLE_PREFIX_DELEGATION", "WARM_IP_TARGET", "WARM_PREFIX_TARGET")
                },
            },
            "enableNetworkPolicy": {"type": "string", "enum": ["true", "false"]},
        },
    }
)
TYPES = {
    "m5.large": InstanceTypeFacts("m5.large", "nitro", False, 10),
    "m4.large": InstanceTypeFacts("m4.large", "xen", False, 10),
    "c5.metal": InstanceTypeFacts("c5.metal", None, True, 50),
}


def subnet(
    sid: str, cidr: str = "10.0.1.0/24", available: int = 250, used: tuple[str, ...] = ()
) -> SubnetFacts:
    addresses = frozenset(ipaddress.IPv4Address(a) for a in used)
    return SubnetFacts(sid, "eu-west-1a", available, SubnetUsage(ipaddress.IPv4Network(cidr), addresses))


HEALTHY = PreflightInputs(
    cluster=EksClusterFacts("demo", "1.31", "ipv4", ("subnet-a",)),
    addon=AddonFacts(V("v1.19.2-eksbuild.1"), "ACTIVE", (), '{"env":{"WARM_IP_TARGET":"5"}}'),
    available=(
        AvailableVersion(V("v1.18.6-eksbuild.1")),
        AvailableVersion(V("v1.19.2-eksbuild.1"), default=True),
        AvailableVersion(V("v1.20.1-eksbuild.1")),
    ),
    target=V("v1.20.1-eksbuild.1"),
    target_requested=True,
    target_schema=SCHEMA,
    nodegroups=(NodegroupFacts("ng-1", ("m5.large",), ("subnet-a",)),),
    instance_types=TYPES,
    subnets=(subnet("subnet-a"),),
    aws_node_env={"WARM_IP_TARGET": "5", "WARM_ENI_TARGET": "1"},
)

Change = Callable[[PreflightInputs], PreflightInputs]


def addon(**changes: object) -> Change:
    return lambda i: dataclasses.replace(i, addon=dataclasses.replace(i.addon, **changes))  # type: ignore[arg-type]


def inputs(**changes: object) -> Change:
    return lambda i: dataclasses.replace(i, **changes)  # type: ignore[arg-type]


def both(*steps: Change) -> Change:
    def apply(i: PreflightInputs) -> PreflightInputs:
        for step in steps:
            i = step(i)
        return i

    return apply


PD_CONFIG = addon(configuration_values='{"env":{"ENABLE_PREFIX_DELEGATION":"true"}}')
PD_ENV = inputs(aws_node_env={"ENABLE_PREFIX_DELEGATION": "true"})
PD = both(PD_CONFIG, PD_ENV)
# A /26 with one secondary IP in each /28 that is not already holding AWS-reserved addresses.
FRAGMENTED = inputs(subnets=(subnet("subnet-a", "10.0.0.0/26", 54, ("10.0.0.20", "10.0.0.40")),))

FAILING: list[tuple[str, Change, Code, Severity]] = [
    ("self-managed aws-node", inputs(addon=None), Code.ADDON_NOT_INSTALLED, Severity.ERROR),
    ("add-on degraded", addon(status="DEGRADED"), Code.ADDON_NOT_ACTIVE, Severity.ERROR),
    ("add-on updating", addon(status="UPDATING"), Code.ADDON_NOT_ACTIVE, Severity.ERROR),
    (
        "health issue",
        addon(health_issues=(HealthIssue("ConfigurationConflict", "edited in-cluster"),)),
        Code.ADDON_HEALTH_ISSUE,
        Severity.WARNING,
    ),
    ("nothing offered", inputs(available=(), target=None), Code.NO_COMPATIBLE_VERSION, Severity.ERROR),
    (
        "target not offered",
        inputs(target=V("v1.21.0-eksbuild.1")),
        Code.TARGET_NOT_COMPATIBLE,
        Severity.ERROR,
    ),
    ("downgrade", inputs(target=V("v1.18.6-eksbuild.1")), Code.DOWNGRADE, Severity.WARNING),
    (
        "skips a minor",
        both(addon(version=V("v1.18.6-eksbuild.1")), inputs(target=V("v1.20.1-eksbuild.1"))),
        Code.PATH_SKIPS_MINOR,
        Severity.ERROR,
    ),
    (
        "below 1.7 to 1.12+",
        both(
            addon(version=V("v1.6.3-eksbuild.1")),
            inputs(target=V("v1.12.0-eksbuild.1"), available=(AvailableVersion(V("v1.12.0-eksbuild.1")),)),
        ),
        Code.PATH_VIA_1_7,
        Severity.ERROR,
    ),
    (
        "config not parseable",
        addon(configuration_values="{env: [unclosed"),
        Code.CONFIG_UNPARSEABLE,
        Severity.ERROR,
    ),
    (
        "config rejected by target schema",
        addon(configuration_values='{"env":{"WARM_IP_TARGET":5,"NO_SUCH_VAR":"x"}}'),
        Code.CONFIG_INVALID_FOR_TARGET,
        Severity.ERROR,
    ),
    ("schema unusable", inputs(target_schema="not json"), Code.CONFIG_SCHEMA_UNREADABLE, Severity.WARNING),
    (
        "PD on a Xen node group",
        both(PD, inputs(nodegroups=(NodegroupFacts("old", ("m4.large",), ("subnet-a",)),))),
        Code.PD_NON_NITRO,
        Severity.WARNING,
    ),
    (
        "PD on Xen in IPv6",
        both(
            PD,
            inputs(
                cluster=EksClusterFacts("demo", "1.31", "ipv6", ("subnet-a",)),
                nodegroups=(NodegroupFacts("old", ("m4.large",), ("subnet-a",)),),
            ),
        ),
        Code.PD_NON_NITRO,
        Severity.ERROR,
    ),
    (
        "PD with an old target",
        both(PD, addon(version=V("v1.8.0-eksbuild.1")), inputs(target=V("v1.8.1-eksbuild.1"))),
        Code.PD_UNSUPPORTED_VERSION,
        Severity.ERROR,
    ),
    (
        "unknown instance type",
        both(PD, inputs(nodegroups=(NodegroupFacts("x", ("zz9.huge",), ("subnet-a",)),))),
        Code.INSTANCE_TYPE_UNKNOWN,
        Severity.WARNING,
    ),
    ("PD and no free /28", both(PD, FRAGMENTED), Code.SUBNET_NO_FREE_PREFIX, Severity.ERROR),
    (
        "PD and too few /28 for the warm pool",
        both(
            PD_CONFIG,
            inputs(
                aws_node_env={"ENABLE_PREFIX_DELEGATION": "true", "WARM_PREFIX_TARGET": "3"},
                subnets=(subnet("subnet-a", "10.0.0.0/26", 59),),
            ),
        ),
        Code.SUBNET_FEW_FREE_PREFIXES,
        Severity.WARNING,
    ),
    (
        "secondary IPs and a nearly full subnet",
        inputs(subnets=(subnet("subnet-a", available=3),)),
        Code.SUBNET_LOW_FREE_IPS,
        Severity.WARNING,
    ),
    (
        "cluster subnet below five free IPs",
        inputs(
            cluster=EksClusterFacts("demo", "1.31", "ipv4", ("subnet-c",)),
            subnets=(subnet("subnet-a"), subnet("subnet-c", available=2)),
        ),
        Code.CLUSTER_SUBNET_LOW_IPS,
        Severity.WARNING,
    ),
    (
        "kubectl set env on a tuning variable",
        inputs(aws_node_env={"WARM_IP_TARGET": "5", "ENABLE_PREFIX_DELEGATION": "true"}),
        Code.AWS_NODE_ENV_DRIFT,
        Severity.WARNING,
    ),
    (
        "running value differs from the add-on's",
        inputs(aws_node_env={"WARM_IP_TARGET": "10"}),
        Code.AWS_NODE_ENV_DRIFT,
        Severity.WARNING,
    ),
]

PASSING: list[tuple[str, Change, Code]] = [
    ("healthy add-on", lambda i: i, Code.ADDON_CURRENT),
    ("one minor step", lambda i: i, Code.PATH_OK),
    ("config valid", lambda i: i, Code.CONFIG_VALID),
    ("no config", addon(configuration_values=None), Code.CONFIG_DEFAULTS),
    ("default noted", lambda i: i, Code.TARGET_NOT_DEFAULT),
    ("latest picked", inputs(target_requested=False), Code.TARGET_SELECTED),
    ("same version", inputs(target=V("v1.19.2-eksbuild.1")), Code.ALREADY_AT_TARGET),
    (
        "PD on Nitro and bare metal",
        both(PD, inputs(nodegroups=(NodegroupFacts("n", ("m5.large", "c5.metal"), ("subnet-a",)),))),
        Code.PD_NITRO_OK,
    ),
    ("subnets fine", lambda i: i, Code.SUBNETS_OK),
    ("PD subnets fine", PD, Code.SUBNETS_OK),
    ("self-managed nodes only", inputs(nodegroups=()), Code.NO_MANAGED_NODEGROUPS),
    ("env matches", lambda i: i, Code.AWS_NODE_ENV_MATCHES),
    ("no in-cluster data", inputs(aws_node_env=None), Code.IN_CLUSTER_SKIPPED),
]


def codes(i: PreflightInputs) -> dict[Code, Severity]:
    return {f.code: f.severity for f in run_checks(i).findings}


def test_the_healthy_cluster_is_safe_and_says_so() -> None:
    report = run_checks(HEALTHY)
    assert report.safe, [f.message for f in report.blockers]
    assert all(f.severity is Severity.INFO for f in report.findings)


@pytest.mark.parametrize(
    ("change", "code", "severity"), [c[1:] for c in FAILING], ids=[c[0] for c in FAILING]
)
def test_failing_case_reports_the_code(change: Change, code: Code, severity: Severity) -> None:
    found = codes(change(HEALTHY))
    assert found.get(code) is severity, found


@pytest.mark.parametrize(("change", "code"), [c[1:] for c in PASSING], ids=[c[0] for c in PASSING])
def test_passing_case_reports_info_and_no_blocker(change: Change, code: Code) -> None:
    report = run_checks(change(HEALTHY))
    assert report.safe, [f.message for f in report.blockers]
    assert any(f.code is code and f.severity is Severity.INFO for f in report.findings)


def test_findings_come_blockers_first() -> None:
    report = run_checks(both(PD, FRAGMENTED, addon(version=V("v1.18.6-eksbuild.1")))(HEALTHY))
    ranks = [-f.severity for f in report.findings]
    assert ranks == sorted(ranks)


def test_skipped_minor_names_each_intermediate_step() -> None:
    i = both(addon(version=V("v1.17.1-eksbuild.1")), inputs(target=V("v1.20.1-eksbuild.1")))(HEALTHY)
    finding = next(f for f in run_checks(i).findings if f.code is Code.PATH_SKIPS_MINOR)
    steps = dict(finding.evidence)["steps"]
    assert steps == "v1.18.6-eksbuild.1 -> v1.19.2-eksbuild.1 -> v1.20.1-eksbuild.1"
    assert "v1.18.6-eksbuild.1" in finding.fix


def test_schema_errors_name_the_offending_field() -> None:
    i = addon(configuration_values='{"env":{"WARM_IP_TARGET":5}}')(HEALTHY)
    finding = next(f for f in run_checks(i).findings if f.code is Code.CONFIG_INVALID_FOR_TARGET)
    assert any(value.startswith("env.WARM_IP_TARGET:") for _, value in finding.evidence)


def test_yaml_configuration_values_are_accepted() -> None:
    i = addon(configuration_values="env:\n  WARM_IP_TARGET: '5'\n")(HEALTHY)
    assert Code.CONFIG_VALID in codes(i)


def test_drift_evidence_names_each_variable() -> None:
    i = inputs(aws_node_env={"WARM_IP_TARGET": "10", "MAX_ENI": "2"})(HEALTHY)
    finding = next(f for f in run_checks(i).findings if f.code is Code.AWS_NODE_ENV_DRIFT)
    assert sorted(dict(finding.evidence)) == ["MAX_ENI", "WARM_IP_TARGET"]


def test_every_code_is_covered_by_a_case() -> None:
    covered = {c[2] for c in FAILING} | {c[2] for c in PASSING}
    assert covered == set(Code)
