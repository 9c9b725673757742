"""The EKS/EC2 adapters against moto (real HTTP on loopback) and the Stubber (add-on calls)."""

from __future__ import annotations

import boto3
import botocore.config
import pytest
from aws_world import FAST_RETRY, REGION, AwsWorld
from botocore.stub import Stubber

from netconform.adapters.aws import ec2, eks
from netconform.adapters.aws.errors import RetryPolicy, call
from netconform.adapters.aws.session import make_clients
from netconform.core.upgrade.versions import parse_addon_version
from netconform.errors import CannotCheck, InputError


def test_cluster_and_nodegroups_come_from_moto(world: AwsWorld) -> None:
    world.subnet("a", "10.0.1.0/24")
    world.cluster(version="1.29")
    world.nodegroup("ng-1", ["m5.large"])
    cluster = eks.describe_cluster(world.eks, "demo", FAST_RETRY)
    assert (cluster.kubernetes_version, cluster.ip_family, cluster.subnet_ids) == (
        "1.29",
        "ipv4",
        (world.subnets["a"],),
    )
    (group,) = eks.describe_nodegroups(world.eks, "demo", FAST_RETRY)
    assert (group.name, group.instance_types, group.subnet_ids) == (
        "ng-1",
        ("m5.large",),
        (world.subnets["a"],),
    )


def test_unknown_cluster_cannot_be_checked(world: AwsWorld) -> None:
    with pytest.raises(CannotCheck, match="cluster 'ghost' not found"):
        eks.describe_cluster(world.eks, "ghost", FAST_RETRY)


def test_addon_facts_from_describe_addon(world: AwsWorld) -> None:
    issue = {"code": "ConfigurationConflict", "message": "edited", "resourceIds": []}
    world.addon("v1.19.2-eksbuild.1", "DEGRADED", '{"env":{}}', [issue])
    addon = eks.describe_vpc_cni_addon(world.addons, "demo", FAST_RETRY)
    assert addon is not None
    assert (str(addon.version), addon.status, addon.configuration_values) == (
        "v1.19.2-eksbuild.1",
        "DEGRADED",
        '{"env":{}}',
    )
    assert addon.health_issues[0].code == "ConfigurationConflict"


def test_missing_addon_is_none_not_an_error(world: AwsWorld) -> None:
    world.no_addon()
    assert eks.describe_vpc_cni_addon(world.addons, "demo", FAST_RETRY) is None


def test_versions_are_sorted_and_default_marked(world: AwsWorld) -> None:
    world.versions(
        "1.31",
        ["v1.20.1-eksbuild.1", "v1.9.3-eksbuild.2", "v1.19.2-eksbuild.1"],
        default="v1.19.2-eksbuild.1",
    )
    versions = eks.describe_addon_versions(world.addons, "1.31", FAST_RETRY)
    assert [str(v.version) for v in versions] == [
        "v1.9.3-eksbuild.2",
        "v1.19.2-eksbuild.1",
        "v1.20.1-eksbuild.1",
    ]
    assert [v.default for v in versions] == [False, True, False]


def test_schema_comes_back_as_text(world: AwsWorld) -> None:
    world.schema("v1.20.1-eksbuild.1", {"type": "object"})
    assert (
        eks.describe_configuration_schema(world.addons, parse_addon_version("v1.20.1-eksbuild.1"))
        == '{"type": "object"}'
    )


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("AccessDeniedException", "lacks the IAM permission eks:DescribeAddon"),
        ("ExpiredTokenException", "expired or invalid"),
        ("UnrecognizedClientException", "expired or invalid"),
        ("ThrottlingException", "throttling"),
        ("InvalidParameterException", "eks:DescribeAddon failed: InvalidParameterException"),
    ],
)
def test_client_errors_become_one_line_cannot_check(world: AwsWorld, code: str, expected: str) -> None:
    attempts = FAST_RETRY.attempts if code == "ThrottlingException" else 1
    for _ in range(attempts):
        world.stub.add_client_error("describe_addon", code, "nope", 400)
    with pytest.raises(CannotCheck, match=expected) as caught:
        eks.describe_vpc_cni_addon(world.addons, "demo", FAST_RETRY)
    assert "\n" not in str(caught.value)


def test_throttling_is_retried_then_succeeds(world: AwsWorld) -> None:
    world.stub.add_client_error("describe_addon", "ThrottlingException", "slow down", 400)
    world.stub.add_client_error("describe_addon", "TooManyRequestsException", "slow down", 429)
    world.addon("v1.19.2-eksbuild.1")
    assert eks.describe_vpc_cni_addon(world.addons, "demo", FAST_RETRY) is not None


def test_ec2_access_denied_names_the_action() -> None:
    client = boto3.client("ec2", region_name=REGION)
    with Stubber(client) as stub:
        stub.add_client_error("describe_subnets", "UnauthorizedOperation", "no", 403)
        with pytest.raises(CannotCheck, match="ec2:DescribeSubnets"):
            ec2.describe_subnets(client, ["subnet-1"], FAST_RETRY)


def test_unreachable_endpoint_cannot_be_checked() -> None:
    no_retries = botocore.config.Config(retries={"max_attempts": 1}, connect_timeout=2)
    client = boto3.client("eks", region_name=REGION, endpoint_url="http://127.0.0.1:9", config=no_retries)
    with pytest.raises(CannotCheck, match="cannot reach the AWS endpoint"):
        call("eks:DescribeCluster", client.describe_cluster, RetryPolicy(attempts=1), name="x")


def test_instance_types_nitro_xen_metal_and_unknown(world: AwsWorld) -> None:
    facts = ec2.describe_instance_types(world.ec2, ["m5.large", "m4.large", "c5.metal", "zz9.huge"])
    assert set(facts) == {"m5.large", "m4.large", "c5.metal"}
    assert [facts[t].supports_prefix_delegation for t in ("m5.large", "m4.large", "c5.metal")] == [
        True,
        False,
        True,
    ]


def test_subnet_usage_includes_eni_addresses(world: AwsWorld) -> None:
    sid = world.subnet("a", "10.0.1.0/26")
    world.occupy("a", ["10.0.1.20", "10.0.1.40"])
    (facts,) = ec2.describe_subnets(world.ec2, [sid], FAST_RETRY)
    assert facts.available_ip_count == 64 - 5 - 2
    assert {str(a) for a in facts.usage.addresses} == {"10.0.1.20", "10.0.1.40"}


def test_subnet_usage_includes_eni_prefixes() -> None:
    # moto's ENIs carry no Ipv4Prefixes, so this one shape is stubbed (validated against the EC2 model).
    client = boto3.client("ec2", region_name=REGION)
    with Stubber(client) as stub:
        stub.add_response(
            "describe_subnets",
            {
                "Subnets": [
                    {"SubnetId": "subnet-1", "CidrBlock": "10.0.0.0/26", "AvailableIpAddressCount": 42}
                ]
            },
        )
        eni = {
            "SubnetId": "subnet-1",
            "PrivateIpAddresses": [{"PrivateIpAddress": "10.0.0.5"}],
            "Ipv4Prefixes": [{"Ipv4Prefix": "10.0.0.16/28"}],
        }
        stub.add_response("describe_network_interfaces", {"NetworkInterfaces": [eni]})
        (facts,) = ec2.describe_subnets(client, ["subnet-1"], FAST_RETRY)
    assert [str(b) for b in facts.usage.blocks] == ["10.0.0.16/28"]


def test_no_region_is_a_usage_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    monkeypatch.delenv("AWS_REGION", raising=False)
    with pytest.raises(InputError, match="no AWS region"):
        make_clients()


def test_no_credentials_cannot_be_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    with pytest.raises(CannotCheck, match="no AWS credentials"):
        make_clients(REGION)


def test_unknown_profile_is_a_usage_error() -> None:
    with pytest.raises(InputError, match="profile not found"):
        make_clients(REGION, "nope")
