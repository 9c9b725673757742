"""Density on the test bed: 200 KWOK nodes plus a few deliberately wrong ones; exactly those are flagged.

The wrong nodes are KWOK-style fake nodes (nothing runs on them) created by this module and deleted after
it; the 200 regular fake nodes of ``netconform testbed fake-nodes`` are made sure of and left in place.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from child_pytest import run_pytest

from fixtures.reporting import attach
from netconform.adapters.kube import labels
from netconform.adapters.kube.cluster import KubeCluster
from netconform.adapters.kube.errors import NotFound, call
from netconform.adapters.waits import Bound, NotYet, wait_until
from netconform.checks.density.nodes import list_node_facts
from netconform.core.density.check import (
    CeilingVerdict,
    context_for,
    group_rows,
    judge_nodes,
    mismatches,
    render_groups_text,
)
from netconform.core.instance_types import bundled_limits
from netconform.core.profiles import PROFILES, ProfileName
from netconform.testbed import kwok_nodes, lifecycle

pytestmark = [pytest.mark.density]
REPO = Path(__file__).resolve().parents[2]
KWOK_NODES = 200
NODES_GONE = Bound("the wrong fake nodes to be deleted", timeout_s=60, interval_s=1)
# name suffix -> (instance type, node group, advertised pods, verdict under the stock VPC CNI)
WRONG = {
    "above": ("m5.large", "ng-general", 110, CeilingVerdict.ABOVE_IP_CEILING),  # ENI ceiling 29
    "below": ("m5.xlarge", "ng-general-xl", 20, CeilingVerdict.BELOW_EXPECTED),  # expected 58
    "t3-above": ("t3.medium", "ng-small", 18, CeilingVerdict.ABOVE_IP_CEILING),  # expected 17
}
# Right under secondary IPs, wrong once prefix delegation is on: m5.large still at 29 instead of 110.
STALE = ("m5.large", "ng-pd", 29)


def _fake_node(name: str, instance_type: str, group: str, pods: int, run_id: str) -> dict[str, Any]:
    capacity = {"cpu": "8", "memory": "32Gi", "pods": str(pods)}
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": name,
            "annotations": {kwok_nodes.FAKE_ANNOTATION: "fake"},
            "labels": {
                **labels.harness_labels(run_id),
                "kubernetes.io/hostname": name,
                "node.kubernetes.io/instance-type": instance_type,
                "eks.amazonaws.com/nodegroup": group,
            },
        },
        "spec": {"taints": [kwok_nodes.TAINT]},
        "status": {"capacity": capacity, "allocatable": capacity},
    }


@pytest.fixture(scope="module")
def wrong_nodes(kube: KubeCluster, run_id: str) -> Iterator[dict[str, CeilingVerdict]]:
    """Name of each deliberately wrong node -> the verdict it must get; the stale-PD node is 'stale'."""
    kwok_nodes.create(kube.api, KWOK_NODES)  # idempotent: existing fake nodes are kept
    prefix = f"nc-density-{run_id[-6:]}"
    specs = {f"{prefix}-{k}": v for k, v in WRONG.items()}
    specs[f"{prefix}-stale"] = (*STALE, CeilingVerdict.MATCH)
    try:
        for name, (itype, group, pods, _) in specs.items():
            body = _fake_node(name, itype, group, pods, run_id)
            call(f"create node {name}", lambda body=body: kube.core.create_node(body))
        yield {name: verdict for name, (*_, verdict) in specs.items()}
    finally:
        for name in specs:
            try:
                call(f"delete node {name}", lambda name=name: kube.core.delete_node(name))
            except NotFound:
                pass

        def gone() -> None:
            left = [n.name for n in list_node_facts(kube) if n.name in specs]
            if left:
                raise NotYet(", ".join(left))

        wait_until(NODES_GONE, gone)


def test_exactly_the_wrong_nodes_are_flagged_among_hundreds(
    kube: KubeCluster, wrong_nodes: dict[str, CeilingVerdict]
) -> None:
    nodes = list_node_facts(kube)
    assert sum(1 for n in nodes if n.fake) >= KWOK_NODES + len(wrong_nodes)
    context = context_for(PROFILES[ProfileName.VPC_CNI], None, bundled_limits())
    verdicts = judge_nodes(nodes, context)
    attach("node groups", render_groups_text(group_rows(verdicts)))
    flagged = {v.node.name: v.verdict for v in mismatches(verdicts)}
    expected = {name: verdict for name, verdict in wrong_nodes.items() if verdict is not CeilingVerdict.MATCH}
    assert flagged == expected, render_groups_text(group_rows(verdicts))
    for name in (n.name for n in lifecycle.node_specs()):
        real = next(v for v in verdicts if v.node.name == name)
        assert real.verdict is CeilingVerdict.ADVERTISED_IS_CEILING, real.describe()
    above = next(v for v in verdicts if v.node.name.endswith("-above"))
    assert "failed to assign an IP address" in above.describe()
    assert "3 × (10 − 1) + 2 = 29" in above.describe()


def test_prefix_delegation_flags_nodes_still_on_the_secondary_ip_value(
    kube: KubeCluster, wrong_nodes: dict[str, CeilingVerdict]
) -> None:
    stale_name = next(name for name in wrong_nodes if name.endswith("-stale"))
    context = context_for(PROFILES[ProfileName.VPC_CNI_PREFIX], None, bundled_limits())
    nodes = [n for n in list_node_facts(kube) if n.name == stale_name]
    [verdict] = judge_nodes(nodes, context)
    assert verdict.verdict is CeilingVerdict.PREFIX_NOT_APPLIED, verdict.describe()
    assert "--max-pods=110" in verdict.describe()


def test_the_read_only_suite_fails_naming_exactly_the_wrong_nodes(
    wrong_nodes: dict[str, CeilingVerdict], tmp_path: Path
) -> None:
    """The suite itself, as a user runs it (the bed is generic; --profile asks for the VPC CNI math)."""
    result = run_pytest(
        REPO,
        "suites/density/test_ceilings.py",
        "--profile",
        "vpc-cni",
        "--read-only",
        "-q",
        f"--alluredir={tmp_path / 'allure'}",
        cluster=True,
        timeout_s=300,
    )
    named = set(re.findall(r"^E?\s*node (\S+) \(", result.stdout, flags=re.MULTILINE))
    expected = {name for name, verdict in wrong_nodes.items() if verdict is not CeilingVerdict.MATCH}
    assert result.returncode == 1, result.stdout[-3000:] + result.stderr[-2000:]
    assert named == expected, result.stdout[-5000:]
    assert "3 of " in result.stdout
    assert "nodes advertise a pods ceiling the CNI cannot keep" in result.stdout
    attachments = list((tmp_path / "allure").glob("*-attachment.*"))
    assert any(p.suffix == ".html" for p in attachments), attachments
