"""The REAL ipamd AWS layer (pkg/awsutils of amazon-vpc-cni-k8s v1.23.2, compiled into testbed's awsprobe)
against aws-emu, started through its CLI on 127.0.0.1: ENIs, secondary IPs and /28 prefixes allocated the way
ipamd allocates them, and judged against EC2 and IMDS.

Reproduce: testbed/build.sh vpc-cni-probe; python -m netconform.testbed.awsemu --node n1=t3.small, then run
the
probe with AWS_EC2_ENDPOINT / AWS_EC2_METADATA_SERVICE_ENDPOINT set from the JSON line it prints."""

from __future__ import annotations

import ipaddress
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from netconform.testbed.awsemu import NODE_SUBNET_CIDR, VPC_CIDR
from netconform.testbed.binaries import BUILD_SCRIPT

EMU_START_S = 90  # moto's import and server start under a loaded 2-core CI machine
PROBE_S = 120
RESERVED = {str(NODE_SUBNET_CIDR.network_address + i) for i in range(4)} | {
    str(NODE_SUBNET_CIDR.broadcast_address)
}


def _probe() -> Path:
    out = subprocess.run(
        [str(BUILD_SCRIPT), "--print-dirs", "vpc-cni"], capture_output=True, text=True, check=True
    )
    dirs = dict(line.split("=", 1) for line in out.stdout.splitlines())
    probe = Path(dirs["vpc-cni-probe"]) / "awsprobe"
    if not probe.exists():
        reason = f"{probe} not built: run testbed/build.sh vpc-cni-probe"
        if os.environ.get("NETCONFORM_REQUIRE_TOOLS") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    return probe


@pytest.fixture
def world() -> Iterator[dict[str, Any]]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "netconform.testbed.awsemu", "--node", "n1=t3.small"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        import selectors

        sel = selectors.DefaultSelector()
        sel.register(proc.stdout, selectors.EVENT_READ)
        if not sel.select(timeout=EMU_START_S):
            pytest.fail(f"aws-emu did not print its world within {EMU_START_S}s")
        line = proc.stdout.readline()
        if not line:
            pytest.fail(f"aws-emu exited: {proc.stderr.read() if proc.stderr else ''}")
        yield json.loads(line)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _run(probe: Path, world: dict[str, Any], pd: bool) -> dict[str, Any]:
    node = world["nodes"]["n1"]
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "AWS_EC2_ENDPOINT": world["ec2"],
        "AWS_EC2_METADATA_SERVICE_ENDPOINT": node["imds_url"],
        "AWS_REGION": "us-west-2",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "PROBE_PD": "true" if pd else "false",
        "AWS_VPC_K8S_CNI_LOG_FILE": "stderr",
    }
    r = subprocess.run([str(probe)], env=env, capture_output=True, text=True, timeout=PROBE_S, check=False)
    assert r.returncode == 0, r.stderr[-3000:]
    return json.loads(r.stdout)


def _unique_and_unreserved(ips: list[str]) -> None:
    assert len(ips) == len(set(ips)), ips
    assert not RESERVED & set(ips), ips
    assert all(ipaddress.IPv4Address(i) in NODE_SUBNET_CIDR for i in ips), ips


def test_secondary_ip_mode(world: dict[str, Any]) -> None:
    out = _run(_probe(), world, pd=False)
    node = world["nodes"]["n1"]
    assert out["instance_id"] == node["instance_id"]
    assert out["instance_type"] == "t3.small"
    assert (out["eni_limit"], out["ipv4_per_eni"]) == (3, 3)  # ipamd's own table for a t3.small
    assert out["vpc_cidrs"] == [str(VPC_CIDR)]
    assert len(out["primary_assigned_ips"]) == 3
    assert node["primary_ip"] not in out["primary_assigned_ips"]
    new = out["new_eni"]
    assert new["device"] == 1
    assert len(new["ips"]) == 4
    imds_ips = [ip for eni in out["imds_attached_before_free"] for ip in eni["ips"]]
    _unique_and_unreserved(imds_ips)  # both ENIs, primaries included, as ipamd's IMDS scan saw them
    assert set(out["primary_assigned_ips"]) <= set(imds_ips)  # IMDS agrees with what EC2 assigned
    assert len(out["ec2_ips_of_new_eni"]) == 3  # one secondary deallocated in EC2
    assert out["imds_attached_after_free"] == [node["primary_eni"]]  # IMDS agrees with EC2 after FreeENI


def test_prefix_delegation_mode(world: dict[str, Any]) -> None:
    out = _run(_probe(), world, pd=True)
    assert out["primary_assigned_ips"] == []
    assert len(out["primary_assigned_prefixes"]) == 3
    new = out["new_eni"]
    assert len(new["prefixes"]) == 3
    assert new["prefixes"] == out["ec2_prefixes_of_new_eni"]
    assert out["ec2_prefixes_after_dealloc"] == new["prefixes"][1:]
    blocks = [ipaddress.IPv4Network(p) for p in out["primary_assigned_prefixes"] + new["prefixes"]]
    assert all(b.prefixlen == 28 and b.subnet_of(NODE_SUBNET_CIDR) for b in blocks), blocks
    members = [str(h) for b in blocks for h in b]
    _unique_and_unreserved(members + [ip for eni in out["imds_attached_before_free"] for ip in eni["ips"]])
