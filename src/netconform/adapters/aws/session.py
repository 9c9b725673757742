"""The boto3 clients a preflight needs, built once from --region / --aws-profile and the AWS config chain."""

from __future__ import annotations

import dataclasses
from typing import Any

import boto3
import botocore.config
import botocore.exceptions

from netconform.adapters.aws.errors import DEFAULT_RETRY, RetryPolicy, translate
from netconform.errors import CannotCheck, InputError

# tenacity in errors.call is the one retry layer; botocore's own retries would multiply the attempts.
_BOTO_CONFIG = botocore.config.Config(
    retries={"max_attempts": 1, "mode": "standard"}, user_agent_extra="netconform"
)


@dataclasses.dataclass(frozen=True)
class AwsClients:
    """``eks_addons`` is usually ``eks`` itself; tests stub it for the add-on calls moto lacks."""

    region: str
    eks: Any
    eks_addons: Any
    ec2: Any
    retry: RetryPolicy = DEFAULT_RETRY


def make_clients(region: str | None = None, profile: str | None = None) -> AwsClients:
    try:
        session = boto3.Session(region_name=region, profile_name=profile)
    except botocore.exceptions.ProfileNotFound as err:
        raise InputError(f"AWS profile not found: {profile}") from err
    if not session.region_name:
        raise InputError("no AWS region: pass --region or set AWS_REGION / a region in your AWS profile")
    try:
        credentials = session.get_credentials()
    except Exception as err:  # credential providers raise a zoo of types; translate them all once
        raise translate(err, "sts:GetCallerIdentity") from err
    if credentials is None:
        raise CannotCheck(
            "no AWS credentials found: set AWS_PROFILE or run `aws configure` / `aws sso login`"
        )
    eks = session.client("eks", config=_BOTO_CONFIG)
    ec2 = session.client("ec2", config=_BOTO_CONFIG)
    return AwsClients(region=session.region_name, eks=eks, eks_addons=eks, ec2=ec2)
