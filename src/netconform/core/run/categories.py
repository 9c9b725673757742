"""Failure categories: a product failure (the network disagrees with its profile) or an environment problem.

The same rules sort failures in the terminal summary and in the Allure report (its ``allurerc`` categories are
generated from ``CATEGORY_RULES``, and a unit test keeps the two equal).
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from typing import Any


class Kind(enum.StrEnum):
    PRODUCT = "product"
    ENVIRONMENT = "environment"
    HARNESS = "harness"
    KNOWN = "known"  # a declared known deviation: not a failure, not a pass, not a skip


KNOWN_DEVIATION_PREFIX = "known deviation(s), declared in --netpol-deviations"
"""How a known-deviation xfail's reason starts: the report's category for them matches on it."""


@dataclass(frozen=True, slots=True)
class CategoryRule:
    name: str
    kind: Kind
    statuses: tuple[str, ...]
    pattern: str | None = None
    """A regular expression searched in the failure message; the subset that Python and JavaScript agree on
    (no inline flags, no lookbehind), because Allure 3 evaluates the same text with ``new RegExp``."""
    hint: str = ""

    def matches(self, status: str, message: str) -> bool:
        return status in self.statuses and (
            self.pattern is None or re.search(self.pattern, message) is not None
        )


_BOTH = ("failed", "broken")
CATEGORY_RULES: tuple[CategoryRule, ...] = (
    CategoryRule(
        "Environment: cluster unreachable",
        Kind.ENVIRONMENT,
        _BOTH,
        r"cannot reach the API server|Connection refused|Max retries exceeded|Unable to connect to the server"
        r"|kubeconfig not found|errors\.Transient",
        "the API server did not answer: check the endpoint, VPN/security groups and that the cluster is up",
    ),
    CategoryRule(
        "Environment: image pull",
        Kind.ENVIRONMENT,
        _BOTH,
        r"ErrImagePull|ImagePullBackOff|ErrImageNeverPull|InvalidImageName|image cannot be pulled"
        r"|image is not on the node",
        "nodes cannot pull the probe image: mirror it (--probe-image) or open egress to the registry",
    ),
    CategoryRule(
        "Environment: RBAC / credentials",
        Kind.ENVIRONMENT,
        _BOTH,
        r"errors\.Forbidden|errors\.Unauthorized|is forbidden: User|forbidden: cannot|unauthorized: "
        r"|AccessDenied",
        "the harness's identity lacks a permission or its credentials expired",
    ),
    CategoryRule(
        "Environment: timeouts",
        Kind.ENVIRONMENT,
        ("broken",),
        r"WaitTimeout|timed out after|TimeoutError|deadline exceeded|Timeout",
        "a bounded wait ran out before the cluster got there: a slow or overloaded cluster, or a stuck pod",
    ),
    CategoryRule(
        "Product failures",
        Kind.PRODUCT,
        ("failed",),
        None,
        "the pod network did not do what the profile promises",
    ),
    CategoryRule(
        "Harness or test errors",
        Kind.HARNESS,
        ("broken",),
        None,
        "an unexpected exception: a bug in the harness or a suite",
    ),
    CategoryRule(
        "Known deviations",
        Kind.KNOWN,
        ("skipped",),  # pytest's xfail is Allure's "skipped"; the reason tells them apart from real skips
        r"known deviation\(s\), declared",
        "a CNI difference declared in the deviations file: reported once per deviation, never passed",
    ),
)


def categorize(status: str, message: str) -> CategoryRule | None:
    """The first rule that matches (Allure 3 also takes the first match); None for passed and skipped."""
    return next((rule for rule in CATEGORY_RULES if rule.matches(status, message)), None)


def allure_categories() -> dict[str, Any]:
    """``CATEGORY_RULES`` as the ``categories`` value of an allurerc file."""
    rules: list[dict[str, Any]] = []
    for rule in CATEGORY_RULES:
        matcher: dict[str, Any] = {"statuses": list(rule.statuses)}
        if rule.pattern is not None:
            matcher["message"] = rule.pattern
        rules.append(
            {"name": rule.name, "matchers": matcher, "expand": rule.kind in (Kind.PRODUCT, Kind.KNOWN)}
        )
    return {"rules": rules}
