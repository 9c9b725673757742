"""The one place where the harness waits. Every wait has a name and a bound; none loops forever.

Built on tenacity so that retry policy is declared, not hand-rolled. A wait that runs out raises
:class:`WaitTimeout` naming what was awaited, for how long, and the last thing seen.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import tenacity

from netconform.errors import CannotCheck

T = TypeVar("T")


@dataclass(frozen=True)
class Bound:
    """How long a named wait may take and how often it looks."""

    name: str
    timeout_s: float
    interval_s: float = 1.0


class WaitTimeout(CannotCheck):
    """A bounded wait ran out."""


class NotYet(Exception):
    """Raised by a check to say "look again"; its message is the last observation."""


def wait_until(bound: Bound, check: Callable[[], T]) -> T:
    """Call ``check`` until it returns without raising :class:`NotYet`, within ``bound``.

    Any other exception from ``check`` stops the wait at once: it means the thing will not get better
    (a process died, a pod failed to pull its image), and waiting out the bound would only hide that.
    """
    retrying = tenacity.Retrying(
        retry=tenacity.retry_if_exception_type(NotYet),
        stop=tenacity.stop_after_delay(bound.timeout_s),
        wait=tenacity.wait_fixed(bound.interval_s),
        reraise=False,
    )
    try:
        return retrying(check)
    except tenacity.RetryError as err:
        last = err.last_attempt.exception()
        raise WaitTimeout(f"timed out after {bound.timeout_s:g}s waiting for {bound.name}: {last}") from last
