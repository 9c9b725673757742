"""botocore errors, translated once into the harness's error tree (one line each, cause kept).

Every AWS call goes through ``call``: it names the IAM action it needs, so AccessDenied can say exactly
which permission is missing, and it is the one place where throttling is retried (tenacity, bounded).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, TypeVar

import botocore.exceptions
import tenacity

from netconform.errors import CannotCheck, InputError, NetconformError

T = TypeVar("T")

ACCESS_DENIED = frozenset(
    {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "UnauthorizedException", "Forbidden"}
)
BAD_CREDENTIALS = frozenset(
    {
        "ExpiredToken",
        "ExpiredTokenException",
        "RequestExpired",
        "InvalidClientTokenId",
        "UnrecognizedClientException",
        "InvalidToken",
        "AuthFailure",
        "SignatureDoesNotMatch",
    }
)
RETRYABLE = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "RequestLimitExceeded",
        "TooManyRequestsException",
        "RequestThrottled",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "ServerException",
        "InternalError",
    }
)
NOT_FOUND = frozenset({"ResourceNotFoundException", "NotFoundException"})


def error_code(err: BaseException) -> str:
    if isinstance(err, botocore.exceptions.ClientError):
        return str(err.response.get("Error", {}).get("Code", ""))
    return ""


def is_not_found(err: BaseException) -> bool:
    return error_code(err) in NOT_FOUND


def is_retryable(err: BaseException) -> bool:
    return error_code(err) in RETRYABLE


def translate(err: Exception, action: str) -> NetconformError:
    """One line saying what went wrong and what to do; ``action`` is the IAM action (eks:DescribeAddon)."""
    if isinstance(err, NetconformError):
        return err
    if isinstance(err, botocore.exceptions.NoCredentialsError):
        return CannotCheck(
            "no AWS credentials found: set AWS_PROFILE or run `aws configure` / `aws sso login`"
        )
    if isinstance(err, botocore.exceptions.NoRegionError):
        return InputError("no AWS region: pass --region or set AWS_REGION / a region in your AWS profile")
    if isinstance(err, botocore.exceptions.ParamValidationError):
        return InputError(f"{action}: invalid request: {err}")
    if isinstance(err, botocore.exceptions.TokenRetrievalError | botocore.exceptions.SSOTokenLoadError):
        return CannotCheck(f"AWS credentials could not be loaded ({err}): run `aws sso login` again")
    if isinstance(err, botocore.exceptions.EndpointConnectionError | botocore.exceptions.ConnectionError):
        return CannotCheck(f"{action}: cannot reach the AWS endpoint: {err}")
    code = error_code(err)
    message = str(getattr(err, "response", {}).get("Error", {}).get("Message", ""))
    if code in ACCESS_DENIED:
        return CannotCheck(f"access denied: the caller lacks the IAM permission {action} ({code})")
    if code in BAD_CREDENTIALS:
        return CannotCheck(f"AWS credentials are expired or invalid ({code}): refresh them and run again")
    if code in RETRYABLE:
        return CannotCheck(
            f"{action}: AWS kept throttling or failing ({code}) after retries; try again later"
        )
    if code:
        return CannotCheck(f"{action} failed: {code}: {message}")
    return CannotCheck(f"{action} failed: {type(err).__name__}: {err}")


@dataclasses.dataclass(frozen=True)
class RetryPolicy:
    """Bounds for retrying throttled calls; tests use ``RetryPolicy(attempts=3, initial=0)``."""

    attempts: int = 5
    initial: float = 0.5  # seconds; exponential with jitter up to ``maximum``
    maximum: float = 8.0


DEFAULT_RETRY = RetryPolicy()


def call(action: str, fn: Callable[..., T], retry: RetryPolicy = DEFAULT_RETRY, **kwargs: Any) -> T:
    """Run one AWS API call; retry throttling with backoff; raise only NetconformError."""
    retrying = tenacity.Retrying(
        stop=tenacity.stop_after_attempt(retry.attempts),
        wait=tenacity.wait_exponential_jitter(
            multiplier=retry.initial, max=retry.maximum, jitter=retry.initial
        ),
        retry=tenacity.retry_if_exception(is_retryable),
        reraise=True,
    )
    try:
        return retrying(fn, **kwargs)
    except Exception as err:
        raise translate(err, action) from err
