"""Writes the README's preflight sample (text output) when NETCONFORM_SAMPLE_OUT is set; else it only checks
that the realistic scenario's text report names the blocker first."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from aws_world import ENV_SCHEMA, AwsWorld
from test_preflight_cli import run  # noqa: F401 — fixture


def test_text_report_of_the_realistic_scenario(world: AwsWorld, run: Any, tmp_path: Path) -> None:  # noqa: F811
    world.subnet("a", "10.0.1.0/24")
    world.subnet("b", "10.0.2.0/24")
    world.cluster(name="prod-eu", version="1.29", subnets=("a", "b"))
    world.nodegroup("general", ["m5.large", "m5.xlarge"], subnets=("a", "b"), cluster="prod-eu")
    world.addon("v1.18.3-eksbuild.1", config='{"env":{"WARM_IP_TARGET":"5"}}', cluster="prod-eu")
    offered = ["v1.18.3-eksbuild.1", "v1.18.6-eksbuild.1", "v1.19.2-eksbuild.1", "v1.20.1-eksbuild.1"]
    world.versions("1.29", offered, default="v1.19.2-eksbuild.1")
    world.schema("v1.20.1-eksbuild.1", ENV_SCHEMA)
    env = tmp_path / "aws-node.yaml"
    env.write_text("WARM_IP_TARGET: '10'\n")
    code, out, _ = run(
        "--cluster", "prod-eu", "--target-version", "v1.20.1-eksbuild.1", "--aws-node-env", str(env)
    )
    assert code == 1
    assert "[PATH_SKIPS_MINOR]" in out
    if os.environ.get("NETCONFORM_SAMPLE_OUT"):
        Path(os.environ["NETCONFORM_SAMPLE_OUT"]).write_text(out)
