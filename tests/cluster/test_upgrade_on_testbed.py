"""Issue 7 on the test bed: the aws-node drift check reads a real DaemonSet, and the before/after
conformance diff spots a regression introduced between two real runs.

The AWS side is moto (server mode on loopback) plus botocore's Stubber, exactly as in tests/aws.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import pytest
from suite_runs import run_suite

from netconform import cli
from netconform.adapters.kube.cluster import KubeCluster
from netconform.commands import preflight
from netconform.testbed.addresses import Topology

# tests/aws is not a package; its fixtures module is shared by both tiers.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "aws"))
from aws_world import ENV_SCHEMA, AwsWorld, fake_credentials, moto, moto_url, world

__all__ = ["fake_credentials", "moto", "moto_url", "world"]
REPO = Path(__file__).resolve().parents[2]


def stand_in_aws_node(env: dict[str, str]) -> dict[str, Any]:
    """An aws-node DaemonSet that schedules nowhere: read like the real one, ignored by profile detection."""
    labels = {"k8s-app": "aws-node-stand-in"}
    return {
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": {"name": "aws-node", "labels": labels},
        "spec": {
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {
                    "nodeSelector": {"netconform.io/no-such-node": "true"},
                    "containers": [
                        {
                            "name": "aws-node",
                            "image": "netconform.local/pause:1",
                            "env": [{"name": k, "value": v} for k, v in env.items()]
                            + [
                                {
                                    "name": "MY_NODE_NAME",
                                    "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}},
                                }
                            ],
                        }
                    ],
                },
            },
        },
    }


def test_drift_check_reads_the_running_aws_node(
    kube: KubeCluster,
    namespace: str,
    world: AwsWorld,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # The add-on's configuration says WARM_IP_TARGET=5; someone ran `kubectl set env` on the DaemonSet.
    kube.create(namespace, stand_in_aws_node({"WARM_IP_TARGET": "10", "ENABLE_PREFIX_DELEGATION": "false"}))
    world.subnet("a", "10.0.1.0/24")
    world.cluster(version="1.31")
    world.nodegroup("ng-1", ["m5.large"])
    world.addon("v1.19.2-eksbuild.1", config='{"env":{"WARM_IP_TARGET":"5"}}')
    world.versions("1.31", ["v1.19.2-eksbuild.1", "v1.20.1-eksbuild.1"], default="v1.19.2-eksbuild.1")
    world.schema("v1.20.1-eksbuild.1", ENV_SCHEMA)
    monkeypatch.setattr(preflight, "make_clients", lambda region, profile: world.clients)

    code = cli.main(
        [
            "preflight",
            "--cluster",
            "demo",
            "--target-version",
            "v1.20.1-eksbuild.1",
            "--in-cluster",
            "--aws-node-ref",
            f"{namespace}/aws-node",
        ]
    )
    out, err = capsys.readouterr()
    assert code == 0, out + err  # drift is a warning, not a blocker
    drift = [line for line in out.splitlines() if "[AWS_NODE_ENV_DRIFT]" in line]
    assert drift, out
    assert "WARM_IP_TARGET" in out


def test_before_after_diff_names_the_regression_first(
    tmp_path: Path,
    topology: Callable[[Topology], AbstractContextManager[None]],
    capsys: pytest.CaptureFixture[str],
) -> None:
    selection = (
        "tests/cluster/test_topologies.py::test_routable_api_server_reaches_pods_and_host_network",
        "tests/cluster/test_testbed_basics.py::test_every_node_is_ready_with_its_own_zone_and_pod_cidr",
    )
    before, after = tmp_path / "before.xml", tmp_path / "after.xml"
    assert run_suite(before, *selection).returncode == 0
    # The "upgrade" breaks API-server-to-pod reachability, as moving to a Calico overlay would.
    with topology(Topology.ISOLATED):
        assert run_suite(after, *selection).returncode == 1

    code = cli.main(["diff", str(before), str(after), "--alluredir", str(tmp_path / "allure")])
    out = capsys.readouterr().out
    assert code == 1
    lines = out.splitlines()
    assert lines[2].startswith("REGRESSED: 1 new failure(s)")
    assert (
        lines[3].strip().startswith("new failure: tests/cluster/test_topologies.py::test_routable_api_server")
    )
    assert len(list((tmp_path / "allure").glob("*-result.json"))) == 1
