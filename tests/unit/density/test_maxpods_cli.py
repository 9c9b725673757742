"""`netconform max-pods` through ``netconform.cli.main``: output shapes, errors, and ``--from-aws``."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from netconform.adapters.aws.instance_types import fetch_instance_limits
from netconform.cli import main
from netconform.core.instance_types import bundled_limits
from netconform.errors import CannotCheck, InputError


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["max-pods", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_json_is_a_type_to_value_map(capsys) -> None:
    code, out, _ = run(capsys, "m5.large", "t3.medium", "c5.18xlarge", "--output", "json")
    assert code == 0
    assert json.loads(out) == {"m5.large": 29, "t3.medium": 17, "c5.18xlarge": 250}


def test_json_for_all_types(capsys) -> None:
    code, out, _ = run(capsys, "--all", "--output", "json", "--uncapped")
    values = json.loads(out)
    assert code == 0
    assert len(values) == len(bundled_limits())
    assert values["c5.18xlarge"] == 737


def test_flags_reach_the_calculator(capsys) -> None:
    argv = [
        "m5.large",
        "t2.medium",
        "--prefix-delegation",
        "--max-eni",
        "2",
        "--custom-networking",
        "--uncapped",
    ]
    _, out, _ = run(capsys, *argv, "--output", "json")
    assert json.loads(out) == {"m5.large": 1 * 9 * 16 + 2, "t2.medium": 1 * 5 + 2}


def test_old_cni_version_disables_prefix_delegation(capsys) -> None:
    _, out, _ = run(
        capsys, "m5.large", "--prefix-delegation", "--cni-version", "v1.8.0-eksbuild.1", "--output", "json"
    )
    assert json.loads(out) == {"m5.large": 29}


def test_text_table_shows_the_derivation(capsys) -> None:
    code, out, _ = run(capsys, "m5.large", "c5.18xlarge", "t2.medium", "--prefix-delegation")
    lines = out.splitlines()
    assert code == 0
    assert lines[0].split()[:3] == ["TYPE", "MAX", "PODS"]
    assert lines[1].split()[:3] == ["m5.large", "110", "prefix-delegation"]
    assert "110 (applied)" in lines[1]
    assert "15 × ((50 − 1) × 16) + 2 = 11762" in lines[2]
    assert "t2.medium is not Nitro" in lines[3]


def test_unknown_type_is_one_line_and_exit_2(capsys) -> None:
    code, out, err = run(capsys, "m5.large", "m5.lrage")
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1
    assert err.startswith("netconform: error: unknown instance type 'm5.lrage'")


@pytest.mark.parametrize(
    "argv",
    [[], ["m5.large", "--all"], ["m5.large", "--max-eni", "0"], ["m5.large", "--cni-version", "latest"]],
)
def test_bad_arguments_exit_2(capsys, argv: list[str]) -> None:
    code, _, err = run(capsys, *argv)
    assert code == 2
    assert err.count("\n") == 1


# --- --from-aws (the moto-backed cases are in tests/aws/test_maxpods_from_aws.py) ---------------------------
def test_from_aws_without_region_exit_2(capsys, monkeypatch) -> None:
    for key in ("AWS_DEFAULT_REGION", "AWS_REGION", "AWS_PROFILE"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    code, _, err = run(capsys, "m5.large", "--from-aws")
    assert code == 2  # the shared AWS session treats a missing region as an input error
    assert "region" in err
    assert err.count("\n") == 1


def stubbed_client() -> tuple[Any, Stubber]:
    client = boto3.client("ec2", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="y")
    return client, Stubber(client)


@pytest.mark.parametrize(
    ("code", "error", "text"),
    [
        ("UnauthorizedOperation", CannotCheck, "lacks the IAM permission ec2:DescribeInstanceTypes"),
        ("AuthFailure", CannotCheck, "credentials are expired or invalid"),
        ("InvalidParameterValue", CannotCheck, "InvalidParameterValue"),
        ("InvalidInstanceType", InputError, "does not know"),
    ],
)
def test_client_errors_are_translated(code: str, error: type[Exception], text: str) -> None:
    client, stub = stubbed_client()
    stub.add_client_error("describe_instance_types", service_error_code=code, service_message="nope")
    with stub, pytest.raises(error, match=text):
        fetch_instance_limits(["m5.large"], client=client)


def test_pages_are_followed() -> None:
    client, stub = stubbed_client()
    record = {
        "InstanceType": "m9.large",
        "VCpuInfo": {"DefaultVCpus": 2},
        "NetworkInfo": {"MaximumNetworkInterfaces": 3, "Ipv4AddressesPerInterface": 10},
    }
    stub.add_response("describe_instance_types", {"InstanceTypes": [], "NextToken": "t1"}, {})
    stub.add_response("describe_instance_types", {"InstanceTypes": [record]}, {"NextToken": "t1"})
    with stub:
        assert fetch_instance_limits(client=client)["m9.large"].enis == 3


def test_more_than_100_names_are_split_into_requests() -> None:
    client, stub = stubbed_client()
    names = [f"m9.n{i}" for i in range(150)]
    stub.add_response("describe_instance_types", {"InstanceTypes": []}, {"InstanceTypes": names[:100]})
    stub.add_response("describe_instance_types", {"InstanceTypes": []}, {"InstanceTypes": names[100:]})
    with stub:
        assert fetch_instance_limits(names, client=client) == {}
    stub.assert_no_pending_responses()
