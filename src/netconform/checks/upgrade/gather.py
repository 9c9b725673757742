"""Gather a ``PreflightInputs`` from EKS and EC2 (the in-cluster aws-node env comes from the caller)."""

from __future__ import annotations

from collections.abc import Mapping

from netconform.adapters.aws import ec2, eks
from netconform.adapters.aws.session import AwsClients
from netconform.core.upgrade.facts import PreflightInputs, choose_target
from netconform.core.upgrade.versions import AddonVersion


def gather_preflight_inputs(
    clients: AwsClients,
    cluster_name: str,
    requested_target: AddonVersion | None = None,
    aws_node_env: Mapping[str, str] | None = None,
) -> PreflightInputs:
    retry = clients.retry
    cluster = eks.describe_cluster(clients.eks, cluster_name, retry)
    addon = eks.describe_vpc_cni_addon(clients.eks_addons, cluster_name, retry)
    available = eks.describe_addon_versions(clients.eks_addons, cluster.kubernetes_version, retry)
    target = choose_target(available, requested_target)
    # The schema exists only for versions EKS offers; for any other target the version rule blocks anyway.
    offered = {a.version for a in available}
    schema = (
        eks.describe_configuration_schema(clients.eks_addons, target, retry)
        if target is not None and target in offered and addon is not None and addon.configuration_values
        else None
    )
    nodegroups = eks.describe_nodegroups(clients.eks, cluster_name, retry)
    instance_types = ec2.describe_instance_types(
        clients.ec2, (t for g in nodegroups for t in g.instance_types)
    )
    subnet_ids = {*cluster.subnet_ids, *(s for g in nodegroups for s in g.subnet_ids)}
    subnets = ec2.describe_subnets(clients.ec2, subnet_ids, retry)
    return PreflightInputs(
        cluster=cluster,
        addon=addon,
        available=available,
        target=target,
        target_requested=requested_target is not None,
        target_schema=schema,
        nodegroups=nodegroups,
        instance_types=instance_types,
        subnets=subnets,
        aws_node_env=dict(aws_node_env) if aws_node_env is not None else None,
    )
