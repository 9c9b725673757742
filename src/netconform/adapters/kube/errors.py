"""The Kubernetes API's errors, translated once into the harness's small tree, the cause kept.

(The whole tree, with its exit codes, is drawn in netconform/errors.py.)

NetconformError
  KubeError            an API call failed (any status); .status holds the HTTP status
    NotFound           404
    Conflict           409 (already exists, or a stale resourceVersion)
    Forbidden          403 — a CannotCheck too: RBAC keeps us from checking; names verb and resource
    AdmissionDenied    a policy webhook or admission plugin refused the object (names it and its message)
    WebhookBroken      a fail-closed webhook the API server could not call (names it and the cause)
    Unauthorized       401 — expired or wrong credentials (CannotCheck)
    Transient          429, 5xx, connection errors: worth retrying within a bound
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

import urllib3
from kubernetes.client.exceptions import ApiException

from netconform.core.admission import Denial, WebhookFailure, classify
from netconform.errors import CannotCheck, NetconformError, RunExitCode

T = TypeVar("T")


class KubeError(NetconformError):
    status: int = 0

    def __init__(self, message: str, status: int = 0) -> None:
        super().__init__(message)
        self.status = status


class NotFound(KubeError):
    pass


class Conflict(KubeError):
    pass


class Forbidden(KubeError, CannotCheck):
    run_exit_code = RunExitCode.FORBIDDEN


class AdmissionDenied(KubeError, CannotCheck):
    """Not RBAC: the identity may do this, but a policy refused the object itself."""

    run_exit_code = RunExitCode.ADMISSION_DENIED

    def __init__(self, message: str, status: int, denial: Denial) -> None:
        super().__init__(message, status)
        self.denial = denial


class WebhookBroken(KubeError, CannotCheck):
    """A fail-closed webhook whose backend is gone or unreachable: every matching request fails the same."""

    run_exit_code = RunExitCode.BROKEN_WEBHOOK

    def __init__(self, message: str, status: int, webhook: str) -> None:
        super().__init__(message, status)
        self.webhook = webhook


class Unauthorized(KubeError, CannotCheck):
    run_exit_code = RunExitCode.CANNOT_REACH


class Transient(KubeError, CannotCheck):
    run_exit_code = RunExitCode.CANNOT_REACH


def api_message(err: ApiException) -> str:
    """The API server's own message from a Status body, else the reason phrase."""
    try:
        body = json.loads(err.body or "{}")
    except (TypeError, ValueError):
        body = {}
    message = body.get("message") if isinstance(body, dict) else None
    return str(message or err.reason or f"HTTP {err.status}")


def translate(err: Exception, action: str) -> KubeError:
    """``action`` says what we tried, e.g. "create pods in nc-abc" — it goes into the one-line message."""
    if isinstance(err, ApiException):
        status = int(err.status or 0)
        message = api_message(err)
        verdict = classify(status, message)
        if isinstance(verdict, Denial):
            return AdmissionDenied(
                f"admission denied: cannot {action} — {verdict.describe()}; the harness's objects must "
                "pass the cluster's policies (exempt namespaces labelled netconform.io/owner=netconform, "
                "or see README 'Hardened clusters')",
                status,
                verdict,
            )
        if isinstance(verdict, WebhookFailure):
            return WebhookBroken(
                f'broken webhook: cannot {action} — the API server could not call webhook "{verdict.name}" '
                f"({verdict.cause}); fix its backend, or set failurePolicy: Ignore, or exclude namespaces "
                "labelled netconform.io/owner=netconform",
                status,
                verdict.name,
            )
        if status == 404:
            return NotFound(f"{action}: not found ({message})", status)
        if status == 409:
            return Conflict(f"{action}: conflict ({message})", status)
        if status == 403:
            return Forbidden(
                f"forbidden: cannot {action} — grant it in the harness's RBAC ({message})", status
            )
        if status == 401:
            return Unauthorized(
                f"unauthorized: {action} — credentials expired or invalid ({message})", status
            )
        if status == 429 or status >= 500:
            return Transient(f"{action}: API server answered {status} ({message})", status)
        return KubeError(f"{action}: {message} (HTTP {status})", status)
    if isinstance(err, urllib3.exceptions.HTTPError | OSError):
        return Transient(f"{action}: cannot reach the API server ({_connection_problem(err)})")
    return KubeError(f"{action}: {_first_line(err)}")


@contextmanager
def translated(action: str) -> Iterator[None]:
    try:
        yield
    except (ApiException, urllib3.exceptions.HTTPError, OSError) as err:
        raise_wrapped_interrupt(err)
        raise translate(err, action) from err


def raise_wrapped_interrupt(err: BaseException) -> None:
    """Raise the Ctrl-C or SIGTERM (SystemExit) that ``err`` wraps, if it wraps one.

    kubernetes.stream's websocket_call turns *any* exception into ApiException(status=0), an interrupt during
    an exec included; that interrupt is the user's, never "HTTP 0" (CI 2026-12-03: `run --in-cluster --wait`
    exited 9 instead of 130)."""
    interrupt = err.__context__
    if isinstance(err, ApiException) and isinstance(interrupt, KeyboardInterrupt | SystemExit):
        raise interrupt from None


def call(action: str, fn: Callable[[], T]) -> T:
    with translated(action):
        return fn()


def _connection_problem(err: BaseException) -> str:
    """ "connection refused at 127.0.0.1:1" rather than urllib3's retry bookkeeping."""
    reason = getattr(err, "reason", None)  # MaxRetryError wraps the real cause
    cause = reason if isinstance(reason, BaseException) else err
    pool = getattr(err, "pool", None)
    where = f" at {pool.host}:{pool.port}" if pool is not None else ""
    text = _first_line(cause)
    if "] " in text:  # "...: [Errno 111] Connection refused" -> "Connection refused"
        text = re.sub(r"[\"')]+$", "", text.rsplit("] ", 1)[1])
    return f"{text}{where}"


def _first_line(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    return text[0] if text else type(err).__name__
