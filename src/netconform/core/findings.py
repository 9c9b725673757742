"""The one vocabulary of what a check found: ``Severity`` and ``Finding``, shared by every area.

``Severity`` is ordered (an ``IntEnum``), so the worst of many is ``max`` and "worst first" is a sort on
``-severity``. The four levels mean the same thing everywhere; an area that has a word of its own for a
level says so where it renders it (the upgrade preflight calls an ``ERROR`` a *blocker*, the density check
calls it a *mismatch*), rather than keeping an enum of its own.

A ``Finding`` is one graded statement with a stable ``code``, what was seen (``message``), the facts behind
it (``evidence``, key/value pairs in reading order) and what to do (``fix``). ``subject`` names what it is
about when a check grades many things (one webhook among many); a check about one thing leaves it empty.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass


class Severity(enum.IntEnum):
    OK = 0
    """Checked, and fine."""
    INFO = 1
    """Worth knowing, or cannot be judged (the harness says why)."""
    WARNING = 2
    """Works, but silently weaker or at risk."""
    ERROR = 3
    """Broken, or an action would fail: a webhook that rejects requests, an upgrade that must not start."""


Evidence = tuple[tuple[str, str], ...]


def evidence(pairs: Mapping[str, object]) -> Evidence:
    """Key/value facts in the mapping's order, values as text (versions, counts, addresses)."""
    return tuple((key, str(value)) for key, value in pairs.items())


@dataclass(frozen=True)
class Finding:
    severity: Severity
    code: str
    """Stable and greppable (an area's ``StrEnum`` member or a kebab-case word)."""
    message: str
    evidence: Evidence = ()
    fix: str = ""
    subject: str = ""

    def fact(self, key: str) -> str:
        """One evidence value by its key ('' when absent)."""
        return next((value for k, value in self.evidence if k == key), "")

    def describe(self) -> str:
        """One line: ``ERROR code: subject (evidence): message — fix``."""
        facts = f"({', '.join(value for _, value in self.evidence)})" if self.evidence else ""
        about = " ".join(part for part in (self.subject, facts) if part)
        text = f"{self.severity.name} {self.code}: " + (f"{about}: " if about else "") + self.message
        return f"{text} — {self.fix}" if self.fix else text


def worst(findings: Iterable[Finding]) -> Severity:
    return max((f.severity for f in findings), default=Severity.OK)


def worst_first(findings: Iterable[Finding]) -> list[Finding]:
    """Worst severity first; equal severities keep their order (the sort is stable)."""
    return sorted(findings, key=lambda f: -f.severity)
