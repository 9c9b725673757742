"""Live instance-type limits from EC2 DescribeInstanceTypes (``netconform max-pods --from-aws``).

Records are read by the same ``limits_from_describe`` the bundled snapshot was generated with. Every
request goes through ``errors.call`` (bounded retry on throttling, botocore errors translated once into
one-line errors); the one translation specific to this call: EC2's InvalidInstanceType is the user's
typo, so it becomes an ``InputError`` (exit 2) rather than ``CannotCheck``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, Final

from netconform.adapters.aws.errors import call, error_code
from netconform.adapters.aws.session import make_clients
from netconform.core.instance_types import InstanceLimits, limits_from_describe
from netconform.errors import CannotCheck, InputError

ACTION: Final = "ec2:DescribeInstanceTypes"
# DescribeInstanceTypes accepts at most 100 names per request.
NAMES_PER_REQUEST: Final = 100
# Pages per request group; all ~1,400 types fit in 15 pages of 100, so this only stops a looping token.
MAX_PAGES: Final = 1000


def fetch_instance_limits(
    instance_types: Sequence[str] | None = None,
    *,
    region: str | None = None,
    profile: str | None = None,
    client: Any = None,
) -> dict[str, InstanceLimits]:
    """Limits of the named types (all types offered in the region when ``instance_types`` is None)."""
    ec2 = client if client is not None else make_clients(region, profile).ec2
    try:
        return {item.instance_type: item for item in map(limits_from_describe, _records(ec2, instance_types))}
    except CannotCheck as err:
        if error_code(err.__cause__ or err) == "InvalidInstanceType":
            raise InputError(f"EC2 does not know these instance types: {_message(err.__cause__)}") from err
        raise


def _records(ec2: Any, instance_types: Sequence[str] | None) -> Iterator[dict[str, Any]]:
    if instance_types is None:
        groups: list[dict[str, Any]] = [{}]
    else:
        names = list(dict.fromkeys(instance_types))
        groups = [
            {"InstanceTypes": names[start : start + NAMES_PER_REQUEST]}
            for start in range(0, len(names), NAMES_PER_REQUEST)
        ]
    for group in groups:
        request = group
        for _ in range(MAX_PAGES):
            page = call(ACTION, ec2.describe_instance_types, **request)
            yield from page.get("InstanceTypes", [])
            token = page.get("NextToken")
            if not token:
                break
            request = {**group, "NextToken": token}


def _message(err: BaseException | None) -> str:
    response = getattr(err, "response", {}) or {}
    return str(response.get("Error", {}).get("Message", err)).strip()
