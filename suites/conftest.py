"""Conformance suites: what runs against a cluster. Every test here needs one.

The connectivity baseline (smoke) runs first: a broken pod network makes every later verdict meaningless,
and its diagnosis is the one to read first.
"""

from __future__ import annotations

import pytest

# Upgrade validation is not a suite: it is `netconform preflight` (and `netconform diff` of two runs).
AREA_ORDER = ("smoke", "apiserver", "netpol", "density")


def _area_rank(item: pytest.Item) -> int:
    for rank, area in enumerate(AREA_ORDER):
        if item.get_closest_marker(area):
            return rank
    return len(AREA_ORDER)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "suites" in item.path.parts:
            item.add_marker(pytest.mark.cluster)
    # A stable sort keeps each suite's own order (and its module-scoped fixtures together).
    items.sort(key=_area_rank)
