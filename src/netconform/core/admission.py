"""Who rejected a request: RBAC, an admission plugin, a policy webhook, or a webhook that is itself broken.

All four come back from the API server as an error Status; only the message tells them apart, and a user needs
a different fix for each (a role binding; a policy exception or labels; a pod spec; the webhook's backend).
Pure: the kube adapter hands in the HTTP status and the Status message.

The shapes are the API server's own (apiserver/pkg/admission/plugin/webhook/errors, pod-security-admission,
plugin/pkg/admission/resourcequota and limitranger), matched loosely where Gatekeeper and Kyverno wrap them.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

_WEBHOOK_DENIED = re.compile(r'admission webhook "(?P<name>[^"]+)" denied the request:?\s*(?P<why>.*)', re.S)
_WEBHOOK_FAILED = re.compile(r'failed calling webhook "(?P<name>[^"]+)":\s*(?P<why>.*)', re.S)
_POD_SECURITY = re.compile(r'violates PodSecurity "(?P<level>[^"]+)":\s*(?P<why>.*)', re.S)
# RBAC's "User "x" cannot create resource "pods" in API group "" ..." — the one 403 that is about rights.
_RBAC = re.compile(r'(User|user) "[^"]*" cannot [a-z]+ resource "')
_QUOTA = ("exceeded quota:", "failed quota:")
_LIMIT_RANGE = ("per Container is", "per Pod is", "No limit is specified", "No request is specified")


class Admitter(enum.Enum):
    WEBHOOK = "webhook"
    POD_SECURITY = "PodSecurity"
    RESOURCE_QUOTA = "ResourceQuota"
    LIMIT_RANGER = "LimitRanger"


@dataclass(frozen=True)
class Denial:
    """An admission controller refused the object: ``name`` is the webhook's name or the plugin's."""

    admitter: Admitter
    name: str
    message: str

    def describe(self) -> str:
        if self.admitter is Admitter.WEBHOOK:
            return f'admission webhook "{self.name}" denied it: {self.message}'
        return f"admission plugin {self.name} denied it: {self.message}"


@dataclass(frozen=True)
class WebhookFailure:
    """A webhook the API server could not call (fail-closed): the request was rejected without a verdict."""

    name: str
    cause: str


def classify(status: int, message: str) -> Denial | WebhookFailure | None:
    """What rejected a request answered with ``status`` and ``message``; None: RBAC or anything else."""
    text = " ".join(message.split())
    if match := _WEBHOOK_FAILED.search(text):
        return WebhookFailure(match["name"], _short(match["why"]))
    if match := _WEBHOOK_DENIED.search(text):
        return Denial(Admitter.WEBHOOK, match["name"], _short(match["why"]) or "(no message)")
    if status != 403 or _RBAC.search(text):
        return None
    if match := _POD_SECURITY.search(text):
        return Denial(Admitter.POD_SECURITY, f"PodSecurity ({match['level']})", _short(match["why"]))
    if any(marker in text for marker in _QUOTA):
        return Denial(Admitter.RESOURCE_QUOTA, "ResourceQuota", _after_forbidden(text))
    if any(marker in text for marker in _LIMIT_RANGE):
        return Denial(Admitter.LIMIT_RANGER, "LimitRanger", _after_forbidden(text))
    return None


def _after_forbidden(text: str) -> str:
    """'pods "a" is forbidden: exceeded quota: ...' -> 'exceeded quota: ...'"""
    return _short(text.split("is forbidden:", 1)[-1])


def _short(text: str, limit: int = 300) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"
