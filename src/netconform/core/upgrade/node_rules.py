"""Rules on the nodes: prefix delegation on Nitro types, and subnets with room for a new node's warm pool.

Prefix delegation needs Nitro (or bare metal) instances and vpc-cni >= 1.9.0 (>= 1.10.1 for IPv6); on other
types the CNI falls back to secondary IPs (IPv4) or fails to start (IPv6).
"""

from __future__ import annotations

from netconform.core.findings import Finding, Severity, evidence
from netconform.core.upgrade import subnets as subnet_math
from netconform.core.upgrade.codes import Code
from netconform.core.upgrade.facts import (
    PreflightInputs,
    SubnetFacts,
    effective_env,
    prefix_delegation_on,
)
from netconform.core.upgrade.versions import PD_MIN_IPV4, PD_MIN_IPV6


def check_prefix_delegation(inputs: PreflightInputs) -> list[Finding]:
    if not prefix_delegation_on(inputs):
        return []
    ipv6 = inputs.cluster.ip_family == "ipv6"
    findings = []
    minimum = PD_MIN_IPV6 if ipv6 else PD_MIN_IPV4
    if inputs.target is not None and inputs.target < minimum:
        findings.append(
            Finding(
                Severity.ERROR,
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
                    Severity.WARNING,
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
                    Severity.ERROR if ipv6 else Severity.WARNING,
                    Code.PD_NON_NITRO,
                    f"node group {group.name} uses non-Nitro types with prefix delegation on: {effect}",
                    evidence(
                        {t: inputs.instance_types[t].hypervisor or "unknown hypervisor" for t in not_nitro}
                    ),
                    "Move the node group to Nitro instance types (new node group, then drain the old one).",
                )
            )
    if inputs.nodegroups and not any(f.code is Code.PD_NON_NITRO for f in findings):
        findings.append(
            Finding(Severity.INFO, Code.PD_NITRO_OK, "prefix delegation: every node group type is Nitro")
        )
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
                    Severity.ERROR,
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
                    Severity.WARNING,
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
                Severity.WARNING,
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
                    Severity.WARNING,
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
                Severity.INFO,
                Code.NO_MANAGED_NODEGROUPS,
                "no managed node groups: EKS does not list self-managed nodes, so node checks are skipped",
            )
        )
    elif not findings:
        mode = "free /28 blocks" if pd else "free IPs"
        findings.append(
            Finding(Severity.INFO, Code.SUBNETS_OK, f"node subnets have {mode} for a new node's warm pool")
        )
    return findings
