"""Per-node density verdicts: every case of the explanation table, the node-group table, the warm pool."""

from __future__ import annotations

import pytest

from netconform.core.density.check import (
    Basis,
    CeilingVerdict,
    NodeFacts,
    context_for,
    group_rows,
    judge_node,
    judge_nodes,
    mismatches,
    render_groups_html,
    render_groups_text,
    render_warm_pool_text,
    starved_rows,
    summary,
    warm_pool_rows,
)
from netconform.core.density.maxpods import CniVersion
from netconform.core.density.vpc_cni_config import VpcCniConfig
from netconform.core.findings import Severity
from netconform.core.instance_types import InstanceLimits
from netconform.core.profiles import PROFILES, ProfileName

# m5.large: 3 ENIs x 10 IPv4, 2 vCPUs -> 29 (secondary), 434 uncapped with PD, capped 110.
# m5.4xlarge: 8 x 30, 16 vCPUs -> 234 uncapped, capped 110.
# c4.large: Xen (no PD) 3 x 10 -> 29.
CATALOG = {
    "m5.large": InstanceLimits("m5.large", 3, 10, 2, "nitro", False),
    "m5.4xlarge": InstanceLimits("m5.4xlarge", 8, 30, 16, "nitro", False),
    "c4.large": InstanceLimits("c4.large", 3, 10, 2, "xen", False),
    "c5.18xlarge": InstanceLimits("c5.18xlarge", 15, 50, 72, "nitro", False),
}
VPC = context_for(PROFILES[ProfileName.VPC_CNI], None, CATALOG)
PREFIX = context_for(PROFILES[ProfileName.VPC_CNI_PREFIX], None, CATALOG)
CALICO = context_for(PROFILES[ProfileName.CALICO_OVERLAY], None, CATALOG)
GENERIC = context_for(PROFILES[ProfileName.GENERIC], None, CATALOG)


def node(itype: str | None, pods: int | None, name: str = "n1", group: str | None = "ng") -> NodeFacts:
    return NodeFacts(name, itype, group, capacity_pods=pods, allocatable_pods=pods)


@pytest.mark.parametrize(
    ("context", "itype", "advertised", "verdict", "expected"),
    [
        (VPC, "m5.large", 29, CeilingVerdict.MATCH, 29),
        (VPC, "m5.large", 30, CeilingVerdict.ABOVE_IP_CEILING, 29),
        (VPC, "m5.large", 110, CeilingVerdict.ABOVE_IP_CEILING, 29),
        (VPC, "m5.large", 20, CeilingVerdict.BELOW_EXPECTED, 29),
        (VPC, "m5.4xlarge", 110, CeilingVerdict.MATCH, 110),
        (VPC, "m5.4xlarge", 234, CeilingVerdict.UNCAPPED_MATCH, 110),
        (VPC, "m5.4xlarge", 200, CeilingVerdict.ABOVE_CAP, 110),
        (VPC, "m5.4xlarge", 235, CeilingVerdict.ABOVE_IP_CEILING, 110),
        (PREFIX, "m5.large", 110, CeilingVerdict.MATCH, 110),
        (PREFIX, "m5.large", 29, CeilingVerdict.PREFIX_NOT_APPLIED, 110),
        (PREFIX, "m5.4xlarge", 234, CeilingVerdict.PREFIX_NOT_APPLIED, 110),
        (PREFIX, "m5.large", 434, CeilingVerdict.UNCAPPED_MATCH, 110),
        (PREFIX, "m5.large", 435, CeilingVerdict.ABOVE_IP_CEILING, 110),
        (PREFIX, "m5.large", 60, CeilingVerdict.BELOW_EXPECTED, 110),
        (PREFIX, "c4.large", 29, CeilingVerdict.MATCH, 29),  # Xen: the CNI falls back to secondary IPs
        (PREFIX, "c5.18xlarge", 250, CeilingVerdict.MATCH, 250),  # both modes hit the 250 cap
        (CALICO, "m5.large", 110, CeilingVerdict.ADVERTISED_IS_CEILING, 29),
        (GENERIC, "m5.large", 500, CeilingVerdict.ADVERTISED_IS_CEILING, 29),
        (VPC, "netconform-testbed", 110, CeilingVerdict.ADVERTISED_IS_CEILING, None),
        (VPC, None, 110, CeilingVerdict.ADVERTISED_IS_CEILING, None),
        (VPC, "m5.large", None, CeilingVerdict.NO_CAPACITY, 29),
        (VPC, "netconform-testbed", None, CeilingVerdict.NO_CAPACITY, None),
    ],
)
def test_verdicts(context, itype, advertised, verdict, expected) -> None:  # type: ignore[no-untyped-def]
    result = judge_node(node(itype, advertised), context)
    assert (result.verdict, result.expected.value if result.expected else None) == (verdict, expected)


def test_instance_type_is_matched_case_insensitively() -> None:
    assert judge_node(node("M5.Large", 29), VPC).verdict is CeilingVerdict.MATCH


def test_allocatable_is_what_counts_and_capacity_is_shown_when_it_differs() -> None:
    facts = NodeFacts("n1", "m5.large", "ng", capacity_pods=110, allocatable_pods=29)
    verdict = judge_node(facts, VPC)
    assert verdict.verdict is CeilingVerdict.MATCH
    assert "capacity.pods 110, allocatable.pods 29" in verdict.describe()
    assert judge_node(NodeFacts("n2", "m5.large", capacity_pods=29), VPC).verdict is CeilingVerdict.MATCH


def test_severities() -> None:
    assert {v for v in CeilingVerdict if v.severity is Severity.ERROR} == {
        CeilingVerdict.PREFIX_NOT_APPLIED,
        CeilingVerdict.ABOVE_IP_CEILING,
        CeilingVerdict.BELOW_EXPECTED,
        CeilingVerdict.NO_CAPACITY,
    }
    assert CeilingVerdict.ABOVE_CAP.severity is Severity.WARNING


def test_explanations_say_what_to_do_and_show_the_derivation() -> None:
    above = judge_node(node("m5.large", 110, name="big"), VPC).describe()
    assert "node big (m5.large, ng): expected 29, advertised 110 → above the IP ceiling" in above
    assert "failed to assign an IP address" in above
    assert "max-pods to 29" in above
    assert "derivation: m5.large: secondary-IP mode; 3 × (10 − 1) + 2 = 29; under the 110 cap" in above
    assert "kubectl get node big" in above
    stale = judge_node(node("m5.large", 29), PREFIX).describe()
    assert "--max-pods=110" in stale
    assert "max-pods-per-node" in stale
    assert "3 × ((10 − 1) × 16) + 2 = 434; capped at 110 → 110" in stale
    testbed = judge_node(node("netconform-testbed", 110), VPC).describe()
    assert "not an EC2 type (not an EKS node): the advertised value is the ceiling" in testbed


def test_context_takes_options_from_aws_node_and_the_profile() -> None:
    config = VpcCniConfig(
        env={"ENABLE_PREFIX_DELEGATION": "true", "MAX_ENI": "2"}, cni_version=CniVersion(1, 19, 0)
    )
    context = context_for(PROFILES[ProfileName.VPC_CNI_PREFIX], config, CATALOG)
    assert context.basis is Basis.ENI
    assert (context.options.prefix_delegation, context.options.max_eni) == (True, 2)
    assert context.options.cni_version == CniVersion(1, 19, 0)
    assert "VPC CNI 1.19.0; ENABLE_PREFIX_DELEGATION=true, MAX_ENI=2" in context.why
    old = VpcCniConfig(env={}, cni_version=CniVersion(1, 8, 0))
    observed = context_for(PROFILES[ProfileName.VPC_CNI_PREFIX], old, CATALOG)
    # The running aws-node does not enable prefix delegation: that observation wins over the profile.
    assert not observed.options.prefix_delegation
    assert "the profile says prefix delegation, the running aws-node does not enable it" in observed.why
    assert judge_node(node("m5.large", 29), observed).verdict is CeilingVerdict.MATCH
    forced = context_for(PROFILES[ProfileName.VPC_CNI_PREFIX], None, CATALOG)
    assert forced.options.prefix_delegation
    assert "prefix delegation from the profile (aws-node not read)" in forced.why
    assert CALICO.basis is Basis.KUBELET
    assert "advertised values are the ceilings" in CALICO.why
    assert "no aws-node: stock VPC CNI settings assumed" in VPC.why


def test_custom_networking_lowers_the_expectation() -> None:
    config = VpcCniConfig(env={"AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG": "true"}, cni_version=None)
    context = context_for(PROFILES[ProfileName.VPC_CNI], config, CATALOG)
    assert judge_node(node("m5.large", 20), context).verdict is CeilingVerdict.MATCH  # 2 x 9 + 2
    assert judge_node(node("m5.large", 29), context).verdict is CeilingVerdict.ABOVE_IP_CEILING


def test_group_table_splits_groups_by_verdict_and_puts_mismatches_first() -> None:
    nodes = [node("m5.large", 29, name=f"ok-{i}", group="ng-a") for i in range(3)]
    nodes += [node("m5.large", 110, name="wrong", group="ng-a"), node("netconform-testbed", 110, "bed", None)]
    verdicts = judge_nodes(nodes, VPC)
    rows = group_rows(verdicts)
    assert [(r.node_group, r.count, r.expected, r.advertised, r.verdict) for r in rows] == [
        ("ng-a", 1, 29, 110, CeilingVerdict.ABOVE_IP_CEILING),
        ("-", 1, None, 110, CeilingVerdict.ADVERTISED_IS_CEILING),
        ("ng-a", 3, 29, 29, CeilingVerdict.MATCH),
    ]
    assert [v.node.name for v in mismatches(verdicts)] == ["wrong"]
    assert summary(verdicts) == "5 nodes: 4 ok, 0 warnings, 1 mismatches"
    text = render_groups_text(rows).splitlines()
    assert text[0].split() == [
        "node",
        "group",
        "instance",
        "type",
        "nodes",
        "expected",
        "advertised",
        "verdict",
        "e.g.",
        "node",
    ]
    assert text[1].split()[:5] == ["ng-a", "m5.large", "1", "29", "110"]
    page = render_groups_html(rows, "title <&>")
    assert "title &lt;&amp;&gt;" in page
    assert page.count("<tr") == 4
    assert "#fce8e6" in page


def test_warm_pool_rows_beside_the_ceiling() -> None:
    verdicts = judge_nodes([node("m5.large", 29, group="ng-a"), node("m5.large", 29, "n2", "ng-a")], VPC)
    stock = VpcCniConfig(env={}, cni_version=None)
    rows = warm_pool_rows(verdicts, stock, CATALOG)
    assert len(rows) == 1
    row = rows[0]
    # WARM_ENI_TARGET=1 (the docs' table): idle holds one ENI of 9 IPs; at 27 pods all 3 ENIs are full.
    assert (row.ceiling, row.idle.enis, row.idle.ips, row.full.enis, row.full.ips) == (29, 1, 9, 3, 27)
    assert starved_rows(rows) == []
    assert "WARM_ENI_TARGET=1" in render_warm_pool_text(rows)


def test_minimum_ip_target_without_warm_ip_target_starves_a_full_node() -> None:
    verdicts = judge_nodes([node("m5.large", 29)], VPC)
    config = VpcCniConfig(env={"MINIMUM_IP_TARGET": "10"}, cni_version=None)
    starved = starved_rows(warm_pool_rows(verdicts, config, CATALOG))
    assert starved == [
        "ng/m5.large: at 29 pods 17 would get no IP (WARM_IP_TARGET=0, MINIMUM_IP_TARGET=10: the pool holds"
        " 10 IPs for 27 pods)"
    ]


def test_warm_pool_uses_prefixes_where_prefix_delegation_applies() -> None:
    verdicts = judge_nodes([node("m5.large", 110), node("c4.large", 29, "n2")], PREFIX)
    rows = {r.instance_type: r for r in warm_pool_rows(verdicts, VpcCniConfig({}, None), CATALOG)}
    assert rows["m5.large"].full.prefixes == 8  # ceil(108 / 16) + WARM_PREFIX_TARGET 1
    assert rows["c4.large"].full.prefixes is None


def test_warm_pool_table_shows_the_eni_range_a_shrunk_ip_target_pool_may_keep() -> None:
    verdicts = judge_nodes([node("m5.large", 29)], VPC)
    config = VpcCniConfig(env={"WARM_IP_TARGET": "2"}, cni_version=None)
    table = render_warm_pool_text(warm_pool_rows(verdicts, config, CATALOG))
    assert "1-3/2" in table  # idle: 1 ENI fresh, up to 3 after shrinking; 2 IPs either way
    assert "1/9" not in table
