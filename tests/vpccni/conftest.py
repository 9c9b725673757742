"""The VPC CNI tier: the harness's own tests against the test bed brought up with ``--cni vpc-cni`` (the real
aws-node, against aws-emu). `make test-vpc-cni` brings that bed up when none is running."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from vpc_bed import kubectl

from netconform.testbed import addresses as a
from netconform.testbed import vpccni
from netconform.testbed.paths import Layout

pytestmark = pytest.mark.cluster


@pytest.fixture(scope="session", autouse=True)
def vpc_cni_bed() -> vpccni.VpcCniOptions:
    if not os.environ.get("NETCONFORM_TESTBED") or not vpccni.cni_file(Layout.default()).exists():
        pytest.exit(
            "netconform: tests/vpccni run against the test bed with --cni vpc-cni; use `make test-vpc-cni`",
            returncode=3,
        )
    from netconform.testbed.lifecycle import _recorded_cni

    options = _recorded_cni(Layout.default())
    assert options is not None
    return options


@pytest.fixture(scope="session")
def ec2() -> Any:
    """boto3 against aws-emu's EC2 (on the bed's control-plane link, reached from the root namespace)."""
    import boto3

    return boto3.client(
        "ec2",
        endpoint_url=f"http://{a.API_IP}:{vpccni.EC2_PORT}",
        region_name="us-west-2",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


@pytest.fixture(scope="module")
def namespace(request: pytest.FixtureRequest) -> Iterator[str]:
    # One per module, and gone before the next module starts: its pods hold node 2's pod slots and IPs until
    # they end (the fill's 11 terminating pods made the kubelet reject the next module's: OutOfpods).
    module = request.module.__name__.removeprefix("test_").replace("_", "-")
    name = f"nc-vpccni-{module}-{os.getpid()}"
    kubectl("create", "namespace", name)
    kubectl("label", "namespace", name, "netconform.io/owner=netconform")
    yield name
    kubectl("delete", "namespace", name, "--timeout=180s", timeout=200)
