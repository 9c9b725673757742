"""EKS facts for the preflight: the cluster, the vpc-cni add-on, its versions and schema, node groups.

Each function wraps one boto3 call (untyped) and returns the core's frozen dataclasses (typed).
"""

from __future__ import annotations

from typing import Any

from netconform.adapters.aws.errors import DEFAULT_RETRY, RetryPolicy, call, is_not_found
from netconform.core.upgrade.preflight import (
    AddonFacts,
    AddonVersion,
    AvailableVersion,
    EksClusterFacts,
    HealthIssue,
    NodegroupFacts,
    parse_addon_version,
)
from netconform.errors import CannotCheck, InputError

ADDON_NAME = "vpc-cni"


def describe_cluster(eks: Any, name: str, retry: RetryPolicy = DEFAULT_RETRY) -> EksClusterFacts:
    try:
        cluster = call("eks:DescribeCluster", eks.describe_cluster, retry, name=name)["cluster"]
    except CannotCheck as err:
        if is_not_found(err.__cause__ or err):
            # A cluster that is not there is the environment, not the syntax (errors.CannotCheck): exit 3.
            raise CannotCheck(f"EKS cluster {name!r} not found in this account and region") from err
        raise
    vpc = cluster.get("resourcesVpcConfig", {})
    network = cluster.get("kubernetesNetworkConfig", {})
    return EksClusterFacts(
        name=name,
        kubernetes_version=str(cluster.get("version", "")),
        ip_family=str(network.get("ipFamily", "ipv4")),
        subnet_ids=tuple(vpc.get("subnetIds", ())),
    )


def describe_vpc_cni_addon(eks: Any, cluster: str, retry: RetryPolicy = DEFAULT_RETRY) -> AddonFacts | None:
    """The managed add-on, or None when vpc-cni is not an EKS add-on (self-managed aws-node, or none)."""
    try:
        addon = call(
            "eks:DescribeAddon", eks.describe_addon, retry, clusterName=cluster, addonName=ADDON_NAME
        )["addon"]
    except CannotCheck as err:
        if is_not_found(err.__cause__ or err):
            return None
        raise
    issues = addon.get("health", {}).get("issues", [])
    return AddonFacts(
        version=parse_addon_version(addon["addonVersion"]),
        status=str(addon.get("status", "UNKNOWN")),
        health_issues=tuple(HealthIssue(str(i.get("code", "")), str(i.get("message", ""))) for i in issues),
        configuration_values=addon.get("configurationValues"),
    )


def describe_addon_versions(
    eks: Any, kubernetes_version: str, retry: RetryPolicy = DEFAULT_RETRY
) -> tuple[AvailableVersion, ...]:
    """Versions EKS offers for this Kubernetes version, each marked with whether it is the default there."""
    versions: list[AvailableVersion] = []
    token: str | None = None
    while True:  # bounded by the API's pages; nextToken is absent on the last one
        kwargs: dict[str, Any] = {"addonName": ADDON_NAME, "kubernetesVersion": kubernetes_version}
        if token:
            kwargs["nextToken"] = token
        page = call("eks:DescribeAddonVersions", eks.describe_addon_versions, retry, **kwargs)
        for addon in page.get("addons", []):
            for entry in addon.get("addonVersions", []):
                default = any(
                    c.get("defaultVersion") and c.get("clusterVersion") == kubernetes_version
                    for c in entry.get("compatibilities", [])
                )
                versions.append(AvailableVersion(parse_addon_version(entry["addonVersion"]), default))
        token = page.get("nextToken")
        if not token:
            return tuple(sorted(set(versions), key=lambda a: a.version))


def describe_configuration_schema(eks: Any, version: AddonVersion, retry: RetryPolicy = DEFAULT_RETRY) -> str:
    response = call(
        "eks:DescribeAddonConfiguration",
        eks.describe_addon_configuration,
        retry,
        addonName=ADDON_NAME,
        addonVersion=str(version),
    )
    return str(response.get("configurationSchema", ""))


def describe_nodegroups(
    eks: Any, cluster: str, retry: RetryPolicy = DEFAULT_RETRY
) -> tuple[NodegroupFacts, ...]:
    names: list[str] = []
    token: str | None = None
    while True:  # bounded by the API's pages
        kwargs: dict[str, Any] = {"clusterName": cluster}
        if token:
            kwargs["nextToken"] = token
        page = call("eks:ListNodegroups", eks.list_nodegroups, retry, **kwargs)
        names.extend(page.get("nodegroups", []))
        token = page.get("nextToken")
        if not token:
            break
    groups = []
    for name in sorted(names):
        group = call(
            "eks:DescribeNodegroup", eks.describe_nodegroup, retry, clusterName=cluster, nodegroupName=name
        )["nodegroup"]
        groups.append(
            NodegroupFacts(
                name=name,
                instance_types=tuple(group.get("instanceTypes") or ()),
                subnet_ids=tuple(group.get("subnets") or ()),
            )
        )
    return tuple(groups)


def parse_target(text: str | None) -> AddonVersion | None:
    """--target-version, parsed early so a typo is a usage error before any AWS call."""
    if text is None:
        return None
    try:
        return parse_addon_version(text)
    except InputError as err:
        raise InputError(f"--target-version: {err}") from err
