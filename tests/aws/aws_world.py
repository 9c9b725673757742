"""AWS tier: boto3 against moto in server mode on loopback, plus botocore Stubber for the EKS add-on calls
moto does not implement (DescribeAddon, DescribeAddonVersions, DescribeAddonConfiguration)."""

from __future__ import annotations

import dataclasses
import json
import urllib.request
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from moto.server import ThreadedMotoServer

from netconform.adapters.aws.errors import RetryPolicy
from netconform.adapters.aws.session import AwsClients

REGION = "eu-west-1"
FAST_RETRY = RetryPolicy(attempts=3, initial=0, maximum=0)


@pytest.fixture(scope="session")
def moto_url() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture(autouse=True)
def fake_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    """Fake keys only; never the real AWS config of whoever runs the tests."""
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)


@pytest.fixture
def moto(moto_url: str) -> str:
    urllib.request.urlopen(urllib.request.Request(f"{moto_url}/moto-api/reset", method="POST")).close()
    return moto_url


@dataclasses.dataclass
class AwsWorld:
    """A moto-backed VPC + EKS cluster, and a stubbed client for the add-on calls."""

    eks: Any
    ec2: Any
    addons: Any
    stub: Stubber
    vpc_id: str = ""
    subnets: dict[str, str] = dataclasses.field(default_factory=dict)

    @property
    def clients(self) -> AwsClients:
        return AwsClients(REGION, self.eks, self.addons, self.ec2, FAST_RETRY)

    def subnet(self, name: str, cidr: str) -> str:
        sid = self.ec2.create_subnet(VpcId=self.vpc_id, CidrBlock=cidr, AvailabilityZone=f"{REGION}a")
        self.subnets[name] = sid["Subnet"]["SubnetId"]
        return self.subnets[name]

    def cluster(self, name: str = "demo", version: str = "1.31", subnets: tuple[str, ...] = ("a",)) -> None:
        self.eks.create_cluster(
            name=name,
            version=version,
            roleArn="arn:aws:iam::123456789012:role/eks",
            resourcesVpcConfig={"subnetIds": [self.subnets[s] for s in subnets]},
        )

    def nodegroup(
        self, name: str, types: list[str], subnets: tuple[str, ...] = ("a",), cluster: str = "demo"
    ) -> None:
        self.eks.create_nodegroup(
            clusterName=cluster,
            nodegroupName=name,
            nodeRole="arn:aws:iam::123456789012:role/node",
            subnets=[self.subnets[s] for s in subnets],
            instanceTypes=types,
        )

    def occupy(self, subnet: str, addresses: list[str]) -> None:
        """An ENI holding these addresses (the first is its primary)."""
        self.ec2.create_network_interface(
            SubnetId=self.subnets[subnet],
            PrivateIpAddresses=[{"PrivateIpAddress": a, "Primary": i == 0} for i, a in enumerate(addresses)],
        )

    # --- stubbed add-on responses, in call order ---
    def addon(
        self,
        version: str,
        status: str = "ACTIVE",
        config: str | None = None,
        issues: list[Any] | None = None,
        cluster: str = "demo",
    ) -> None:
        addon: dict[str, Any] = {
            "addonName": "vpc-cni",
            "clusterName": cluster,
            "addonVersion": version,
            "status": status,
            "health": {"issues": issues or []},
        }
        if config is not None:
            addon["configurationValues"] = config
        self.stub.add_response(
            "describe_addon", {"addon": addon}, {"clusterName": cluster, "addonName": "vpc-cni"}
        )

    def no_addon(self) -> None:
        self.stub.add_client_error(
            "describe_addon", "ResourceNotFoundException", "No addon: vpc-cni found", 404
        )

    def versions(self, k8s: str, versions: list[str], default: str | None = None) -> None:
        entries = [
            {"addonVersion": v, "compatibilities": [{"clusterVersion": k8s, "defaultVersion": v == default}]}
            for v in versions
        ]
        self.stub.add_response(
            "describe_addon_versions",
            {"addons": [{"addonName": "vpc-cni", "addonVersions": entries}]},
            {"addonName": "vpc-cni", "kubernetesVersion": k8s},
        )

    def schema(self, version: str, schema: dict[str, Any]) -> None:
        self.stub.add_response(
            "describe_addon_configuration",
            {"addonName": "vpc-cni", "addonVersion": version, "configurationSchema": json.dumps(schema)},
            {"addonName": "vpc-cni", "addonVersion": version},
        )


@pytest.fixture
def world(moto: str) -> Iterator[AwsWorld]:
    eks = boto3.client("eks", region_name=REGION, endpoint_url=moto)
    ec2 = boto3.client("ec2", region_name=REGION, endpoint_url=moto)
    addons = boto3.client("eks", region_name=REGION)  # never sends: every call is stubbed
    with Stubber(addons) as stub:
        w = AwsWorld(eks, ec2, addons, stub)
        w.vpc_id = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        yield w
        stub.assert_no_pending_responses()


ENV_SCHEMA = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "env": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                n: {"type": "string"}
                for n in ("ENABLE_PREFIX_DELEGATION", "WARM_IP_TARGET", "WARM_PREFIX_TARGET")
            },
        }
    },
}
