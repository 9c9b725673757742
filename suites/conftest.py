"""Conformance suites: what runs against a cluster. Every test here needs one."""

from __future__ import annotations

import pytest


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "suites" in item.path.parts:
            item.add_marker(pytest.mark.cluster)
