"""Live instance-type limits from EC2 DescribeInstanceTypes (``netconform max-pods --from-aws``).

Records are read by the same ``limits_from_describe`` the bundled snapshot was generated with. botocore
failures become one-line errors: ``CannotCheck`` (exit 3) when credentials, permissions, region or network
stop us, ``InputError`` (exit 2) when EC2 says an instance type does not exist.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, Final

import boto3
import botocore.exceptions

from netconform.core.instance_types import InstanceLimits, limits_from_describe
from netconform.errors import CannotCheck, InputError

ACTION: Final = "ec2:DescribeInstanceTypes"
# DescribeInstanceTypes accepts at most 100 names per request.
NAMES_PER_REQUEST: Final = 100
_DENIED: Final = frozenset({"UnauthorizedOperation", "AccessDenied", "AccessDeniedException"})
_BAD_CREDENTIALS: Final = frozenset(
    {"AuthFailure", "InvalidClientTokenId", "ExpiredToken", "ExpiredTokenException", "RequestExpired"}
)


def fetch_instance_limits(
    instance_types: Sequence[str] | None = None,
    *,
    region: str | None = None,
    client: Any = None,
) -> dict[str, InstanceLimits]:
    """Limits of the named types (all types offered in the region when ``instance_types`` is None)."""
    try:
        ec2 = client if client is not None else boto3.client("ec2", region_name=region)
        return {
            limits.instance_type: limits
            for limits in map(limits_from_describe, _records(ec2, instance_types))
        }
    except botocore.exceptions.ClientError as err:
        raise _translate_client_error(err) from err
    except botocore.exceptions.NoRegionError as err:
        raise CannotCheck("no AWS region configured: pass --region or set AWS_REGION") from err
    except (botocore.exceptions.NoCredentialsError, botocore.exceptions.PartialCredentialsError) as err:
        raise CannotCheck(f"no usable AWS credentials for {ACTION}: {err}") from err
    except botocore.exceptions.BotoCoreError as err:
        raise CannotCheck(f"{ACTION} failed: {err}") from err


def _records(ec2: Any, instance_types: Sequence[str] | None) -> Iterator[dict[str, Any]]:
    paginator = ec2.get_paginator("describe_instance_types")
    if instance_types is None:
        for page in paginator.paginate():
            yield from page.get("InstanceTypes", [])
        return
    names = list(dict.fromkeys(instance_types))
    for start in range(0, len(names), NAMES_PER_REQUEST):
        for page in paginator.paginate(InstanceTypes=names[start : start + NAMES_PER_REQUEST]):
            yield from page.get("InstanceTypes", [])


def _translate_client_error(err: botocore.exceptions.ClientError) -> Exception:
    error = err.response.get("Error", {})
    code = str(error.get("Code", "Unknown"))
    message = str(error.get("Message", "")).strip()
    if code == "InvalidInstanceType":
        return InputError(f"EC2 does not know these instance types: {message}")
    if code in _DENIED:
        return CannotCheck(f"not allowed to call {ACTION} (grant it to this identity): {code}")
    if code in _BAD_CREDENTIALS:
        return CannotCheck(f"AWS rejected the credentials for {ACTION}: {code}: {message}")
    return CannotCheck(f"{ACTION} failed: {code}: {message}")
