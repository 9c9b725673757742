"""Label selectors (metav1.LabelSelector): matchLabels and matchExpressions, ANDed together.

Shared by every area that reads a selector: NetworkPolicy peers and webhook namespaceSelectors alike.

An empty selector matches everything. "No selector" (None) is a different thing and is handled by the callers
(a peer without podSelector means "all pods of the selected namespaces", not "no pods").
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass

Labels = Mapping[str, str]


class Operator(enum.Enum):
    IN = "In"
    NOT_IN = "NotIn"
    EXISTS = "Exists"
    DOES_NOT_EXIST = "DoesNotExist"


@dataclass(frozen=True)
class Requirement:
    """One matchExpressions entry. In/NotIn need values, Exists/DoesNotExist must have none."""

    key: str
    operator: Operator
    values: frozenset[str] = frozenset()

    def matches(self, labels: Labels) -> bool:
        if self.operator is Operator.IN:
            return labels.get(self.key) in self.values
        if self.operator is Operator.NOT_IN:
            # A missing key satisfies NotIn (apimachinery labels.Requirement.Matches).
            return labels.get(self.key) not in self.values
        if self.operator is Operator.EXISTS:
            return self.key in labels
        return self.key not in labels

    def __str__(self) -> str:
        if self.operator in (Operator.EXISTS, Operator.DOES_NOT_EXIST):
            return f"{'' if self.operator is Operator.EXISTS else '!'}{self.key}"
        values = ",".join(sorted(self.values))
        return f"{self.key} {'in' if self.operator is Operator.IN else 'notin'} ({values})"


@dataclass(frozen=True)
class LabelSelector:
    match_labels: tuple[tuple[str, str], ...] = ()
    match_expressions: tuple[Requirement, ...] = ()

    @classmethod
    def of(cls, match_labels: Mapping[str, str] | None = None, *requirements: Requirement) -> LabelSelector:
        return cls(tuple(sorted((match_labels or {}).items())), tuple(requirements))

    @property
    def is_empty(self) -> bool:
        return not self.match_labels and not self.match_expressions

    def matches(self, labels: Labels) -> bool:
        return all(labels.get(key) == value for key, value in self.match_labels) and all(
            requirement.matches(labels) for requirement in self.match_expressions
        )

    def __str__(self) -> str:
        """kubectl's selector syntax; the empty selector is written ``{}`` (everything)."""
        if self.is_empty:
            return "{}"
        parts = [f"{key}={value}" for key, value in self.match_labels]
        parts.extend(str(requirement) for requirement in self.match_expressions)
        return ",".join(parts)
