"""aws-node configuration parsing: env, add-on configurationValues (JSON and YAML), image-tag versions."""

from __future__ import annotations

import pytest

from netconform.core.density.maxpods import CniVersion, DensityOptions, WarmPoolConfig
from netconform.core.density.vpc_cni_config import aws_node_daemonset, from_aws_node, image_version
from netconform.core.profiles import ClusterFacts, ContainerFacts, DaemonSetFacts

ECR = "602401143452.dkr.ecr.us-west-2.amazonaws.com/amazon-k8s-cni"


def aws_node(
    env: dict[str, str], image: str = f"{ECR}:v1.19.0-eksbuild.1", desired: int = 3
) -> DaemonSetFacts:
    containers = (
        ContainerFacts("aws-eks-nodeagent", f"{ECR.replace('cni', 'network-policy-agent')}:v1.1.0"),
        ContainerFacts("aws-node", image, env),
    )
    return DaemonSetFacts("kube-system", "aws-node", containers, desired_pods=desired)


@pytest.mark.parametrize(
    ("image", "version"),
    [
        (f"{ECR}:v1.19.0-eksbuild.1", CniVersion(1, 19, 0)),
        (f"{ECR}:v1.9.3", CniVersion(1, 9, 3)),
        ("amazon-k8s-cni:1.18.1", CniVersion(1, 18, 1)),
        (f"{ECR}:v1.20.4@sha256:{'a' * 64}", CniVersion(1, 20, 4)),
        (f"{ECR}@sha256:{'a' * 64}", None),
        ("registry.local:5000/amazon-k8s-cni", None),
        (f"{ECR}:latest", None),
    ],
)
def test_image_version(image: str, version: CniVersion | None) -> None:
    assert image_version(image) == version


def test_stock_aws_node_gives_stock_options() -> None:
    config = from_aws_node(aws_node({}))
    assert config is not None
    assert config.density_options() == DensityOptions(cni_version=CniVersion(1, 19, 0))
    assert config.warm_pool_config() == WarmPoolConfig()
    assert config.describe() == "VPC CNI 1.19.0; stock settings"
    assert config.problems == ()


def test_env_sets_every_density_variable() -> None:
    env = {
        "ENABLE_PREFIX_DELEGATION": "true",
        "AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG": "TRUE",
        "MAX_ENI": "2",
        "WARM_ENI_TARGET": "0",
        "WARM_IP_TARGET": "5",
        "MINIMUM_IP_TARGET": "10",
        "WARM_PREFIX_TARGET": "2",
    }
    config = from_aws_node(aws_node(env))
    assert config is not None
    options = config.density_options(uncapped=True)
    assert (options.prefix_delegation, options.custom_networking, options.max_eni, options.uncapped) == (
        True,
        True,
        2,
        True,
    )
    assert config.warm_pool_config() == WarmPoolConfig(0, 5, 10, 2, prefix_delegation=True, max_eni=2)
    # The calculator's mode wins (a Xen type runs secondary IPs even with PD on).
    assert not config.warm_pool_config(prefix_delegation=False).prefix_delegation
    assert "ENABLE_PREFIX_DELEGATION=true" in config.describe()
    assert "MAX_ENI=2" in config.describe()


def test_configuration_values_are_read_and_the_running_env_wins() -> None:
    values = (
        '{"env": {"ENABLE_PREFIX_DELEGATION": "true", "WARM_IP_TARGET": "3"}, "enableNetworkPolicy": "true"}'
    )
    config = from_aws_node(aws_node({"WARM_IP_TARGET": "7"}), values)
    assert config is not None
    assert config.prefix_delegation
    assert config.warm_pool_config().warm_ip_target == 7


def test_yaml_configuration_values_with_yaml_types() -> None:
    config = from_aws_node(None, "env:\n  ENABLE_PREFIX_DELEGATION: true\n  WARM_PREFIX_TARGET: 4\n")
    assert config is not None
    assert config.prefix_delegation
    assert config.warm_pool_config().warm_prefix_target == 4
    assert config.cni_version is None
    assert "VPC CNI unknown" in config.describe()


@pytest.mark.parametrize(
    ("values", "problem"),
    [
        ("[1, 2]", "the top level is not an object"),
        ("{not json: [", "neither JSON nor YAML"),
        ('{"env": ["WARM_IP_TARGET=3"]}', "'env' is not an object"),
    ],
)
def test_unreadable_configuration_values_are_reported(values: str, problem: str) -> None:
    config = from_aws_node(aws_node({}), values)
    assert config is not None
    assert any(problem in p for p in config.problems), config.problems


@pytest.mark.parametrize(
    ("env", "problem"),
    [
        ({"ENABLE_PREFIX_DELEGATION": "yes"}, "ENABLE_PREFIX_DELEGATION='yes' is not a boolean"),
        ({"WARM_IP_TARGET": "five"}, "WARM_IP_TARGET='five' is not a number"),
        ({"WARM_ENI_TARGET": "-1"}, "WARM_ENI_TARGET=-1 is below 0"),
        ({"MAX_ENI": "0"}, "MAX_ENI=0 is below 1"),
    ],
)
def test_bad_values_fall_back_to_defaults_and_are_reported(env: dict[str, str], problem: str) -> None:
    config = from_aws_node(aws_node(env))
    assert config is not None
    assert problem in "; ".join(config.problems)
    assert config.density_options().max_eni is None
    assert not config.prefix_delegation
    assert config.warm_pool_config().warm_eni_target in (0, 1)
    assert "problems:" in config.describe()


def test_unversioned_image_is_a_problem_and_the_newest_version_is_assumed() -> None:
    config = from_aws_node(aws_node({}, image=f"{ECR}@sha256:{'b' * 64}"))
    assert config is not None
    assert config.cni_version is None
    assert config.density_options() == DensityOptions()
    assert "CNI version unknown" in config.problems[0]


def test_no_aws_node_and_no_add_on_is_none() -> None:
    assert from_aws_node(None) is None
    assert from_aws_node(None, "  ") is None


def test_aws_node_daemonset_is_the_running_one_in_kube_system_first() -> None:
    elsewhere = DaemonSetFacts("other", "aws-node", (ContainerFacts("aws-node", "x:1.0.0"),))
    main = aws_node({})
    idle = DaemonSetFacts("kube-system", "aws-node", desired_pods=0)
    assert aws_node_daemonset(ClusterFacts(daemonsets=(elsewhere, main))) is main
    assert aws_node_daemonset(ClusterFacts(daemonsets=(idle,))) is None
    assert aws_node_daemonset(ClusterFacts()) is None
