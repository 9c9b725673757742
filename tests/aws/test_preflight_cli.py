"""`netconform preflight` end to end: argv in, text/JSON and an exit code out (moto + Stubber behind it)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from aws_world import ENV_SCHEMA, AwsWorld

from netconform import cli
from netconform.commands import preflight


@pytest.fixture
def run(world: AwsWorld, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Any:
    monkeypatch.setattr(preflight, "make_clients", lambda region, profile: world.clients)

    def invoke(*argv: str) -> tuple[int, str, str]:
        code = cli.main(["preflight", *argv])
        out, err = capsys.readouterr()
        return code, out, err

    return invoke


def healthy(world: AwsWorld, config: str | None = None) -> None:
    world.subnet("a", "10.0.1.0/24")
    world.cluster(version="1.31")
    world.nodegroup("ng-1", ["m5.large"])
    world.addon("v1.19.2-eksbuild.1", config=config)
    world.versions("1.31", ["v1.19.2-eksbuild.1", "v1.20.1-eksbuild.1"], default="v1.19.2-eksbuild.1")


def test_safe_upgrade_exits_0_with_a_verdict_line(world: AwsWorld, run: Any) -> None:
    healthy(world)
    code, out, _ = run("--cluster", "demo", "--target-version", "v1.20.1-eksbuild.1")
    assert code == 0
    assert out.splitlines()[1].startswith("SAFE: no blockers")
    assert "[PATH_OK]" in out
    assert "[IN_CLUSTER_SKIPPED]" in out


def test_v1_18_to_v1_20_is_blocked_for_skipping_a_minor(world: AwsWorld, run: Any, tmp_path: Path) -> None:
    """The realistic scenario: a cluster left on 1.18, someone asks for the latest 1.20 build."""
    world.subnet("a", "10.0.1.0/24")
    world.subnet("b", "10.0.2.0/24")
    world.cluster(version="1.29", subnets=("a", "b"))
    world.nodegroup("general", ["m5.large", "m5.xlarge"], subnets=("a", "b"))
    config = '{"env":{"WARM_IP_TARGET":"5"}}'
    world.addon("v1.18.3-eksbuild.1", config=config)
    offered = ["v1.18.3-eksbuild.1", "v1.18.6-eksbuild.1", "v1.19.2-eksbuild.1", "v1.20.1-eksbuild.1"]
    world.versions("1.29", offered, default="v1.19.2-eksbuild.1")
    world.schema("v1.20.1-eksbuild.1", ENV_SCHEMA)
    env_file = tmp_path / "aws-node.json"
    env_file.write_text(
        json.dumps([{"name": "WARM_IP_TARGET", "value": "5"}, {"name": "MY_NODE_NAME", "valueFrom": {}}])
    )

    code, out, err = run(
        "--cluster",
        "demo",
        "--target-version",
        "v1.20.1-eksbuild.1",
        "--output",
        "json",
        "--aws-node-env",
        str(env_file),
    )
    assert (code, err) == (1, "")
    doc = json.loads(out)
    assert doc["format"] == "netconform.preflight/v1"
    assert (doc["verdict"], doc["current_version"], doc["target_version"]) == (
        "blocked",
        "v1.18.3-eksbuild.1",
        "v1.20.1-eksbuild.1",
    )
    blockers = [f for f in doc["findings"] if f["severity"] == "blocker"]
    assert [f["code"] for f in blockers] == ["PATH_SKIPS_MINOR"]
    assert blockers[0]["evidence"]["steps"] == "v1.19.2-eksbuild.1 -> v1.20.1-eksbuild.1"
    codes = {f["code"] for f in doc["findings"]}
    assert {"CONFIG_VALID", "AWS_NODE_ENV_MATCHES", "SUBNETS_OK"} <= codes


def test_no_target_means_latest_compatible(world: AwsWorld, run: Any) -> None:
    healthy(world)
    code, out, _ = run("--cluster", "demo", "--output", "json")
    doc = json.loads(out)
    assert (code, doc["target_version"]) == (0, "v1.20.1-eksbuild.1")
    assert "TARGET_SELECTED" in {f["code"] for f in doc["findings"]}


def test_config_the_target_rejects_blocks(world: AwsWorld, run: Any) -> None:
    healthy(world, config='{"env":{"WARM_IP_TARGET":"5","AWS_VPC_K8S_CNI_FUTURE":"x"}}')
    world.schema("v1.20.1-eksbuild.1", ENV_SCHEMA)
    code, out, _ = run("--cluster", "demo", "--target-version", "v1.20.1-eksbuild.1")
    assert code == 1
    assert "[CONFIG_INVALID_FOR_TARGET]" in out
    assert "AWS_VPC_K8S_CNI_FUTURE" in out


def test_prefix_delegation_on_xen_and_fragmented_subnet(world: AwsWorld, run: Any, tmp_path: Path) -> None:
    world.subnet("a", "10.0.1.0/26")
    world.occupy("a", ["10.0.1.20", "10.0.1.40"])  # one address in each otherwise free /28
    world.cluster(version="1.31")
    world.nodegroup("old", ["m4.large"])
    world.addon("v1.19.2-eksbuild.1")
    world.versions("1.31", ["v1.19.2-eksbuild.1", "v1.20.1-eksbuild.1"])
    env = tmp_path / "ds.yaml"
    env.write_text(
        "kind: DaemonSet\nspec:\n  template:\n    spec:\n      containers:\n      - name: aws-node\n"
        "        env:\n        - {name: ENABLE_PREFIX_DELEGATION, value: 'true'}\n"
    )
    code, out, _ = run("--cluster", "demo", "--aws-node-env", str(env), "--output", "json")
    found = {f["code"]: f["severity"] for f in json.loads(out)["findings"]}
    assert code == 1
    assert found["SUBNET_NO_FREE_PREFIX"] == "blocker"
    assert found["PD_NON_NITRO"] == "warning"
    assert found["AWS_NODE_ENV_DRIFT"] == "warning"  # PD set with kubectl, not in the add-on configuration


def test_addon_not_installed_cannot_be_checked_exit_3_with_the_advice(world: AwsWorld, run: Any) -> None:
    world.subnet("a", "10.0.1.0/24")
    world.cluster(version="1.31")
    world.no_addon()
    world.versions("1.31", ["v1.20.1-eksbuild.1"])
    code, out, _ = run("--cluster", "demo")
    assert code == 3  # issue 7: "add-on not installed" is exit 3; the report still says how to adopt it
    assert "[ADDON_NOT_INSTALLED]" in out
    assert "[NO_MANAGED_NODEGROUPS]" in out


def test_access_denied_exits_3_naming_the_action(world: AwsWorld, run: Any) -> None:
    world.subnet("a", "10.0.1.0/24")
    world.cluster()
    world.stub.add_client_error("describe_addon", "AccessDeniedException", "not authorized", 403)
    code, out, err = run("--cluster", "demo")
    assert (code, out) == (3, "")
    denied = "access denied: the caller lacks the IAM permission eks:DescribeAddon (AccessDeniedException)"
    assert err == f"netconform: error: {denied}\n"


def test_unknown_cluster_exits_3(world: AwsWorld, run: Any) -> None:
    code, _, err = run("--cluster", "ghost")
    assert code == 3
    assert "cluster 'ghost' not found" in err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["--cluster", "demo", "--target-version", "latest"],
            "--target-version: not a vpc-cni add-on version",
        ),
        (["--cluster", "demo", "--aws-node-env", "/nonexistent/env.json"], "cannot read"),
    ],
)
def test_usage_errors_exit_2_before_any_aws_call(
    world: AwsWorld, run: Any, argv: list[str], message: str
) -> None:
    code, out, err = run(*argv)
    assert (code, out) == (2, "")
    assert message in err
    assert err.count("\n") == 1


def test_missing_cluster_argument_exits_2(run: Any) -> None:
    with pytest.raises(SystemExit) as exit_:
        run()
    assert exit_.value.code == 2


def test_no_region_exits_2(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    monkeypatch.delenv("AWS_REGION", raising=False)
    assert cli.main(["preflight", "--cluster", "demo"]) == 2
    assert "no AWS region" in capsys.readouterr().err


def test_no_credentials_exits_3(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    assert cli.main(["preflight", "--cluster", "demo", "--region", "eu-west-1"]) == 3
    assert "no AWS credentials" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        (
            {"WARM_IP_TARGET": "5", "ENABLE_PREFIX_DELEGATION": True},
            {"WARM_IP_TARGET": "5", "ENABLE_PREFIX_DELEGATION": "true"},
        ),
        ([{"name": "A", "value": "1"}, {"name": "B", "valueFrom": {}}], {"A": "1"}),
    ],
)
def test_env_documents(document: Any, expected: dict[str, str]) -> None:
    assert preflight.env_from_document(document) == expected
