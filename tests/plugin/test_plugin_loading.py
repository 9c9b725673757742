"""The plugin loads once, whichever way it is named: the pytest11 entry point and a clone's conftest."""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]

COUNT_TEST = """
import fixtures.plugin

def test_registered_once(pytestconfig):
    manager = pytestconfig.pluginmanager
    assert manager.get_plugin("fixtures.plugin") is fixtures.plugin
    assert sum(p is fixtures.plugin for p in manager.get_plugins()) == 1
    assert manager.get_plugin("fixtures.options") is not None
"""


@pytest.mark.parametrize("conftest", [True, False], ids=["clone-conftest", "entry-point-only"])
def test_plugin_registered_once(pytester: pytest.Pytester, conftest: bool) -> None:
    if conftest:
        pytester.makeconftest('pytest_plugins = ["fixtures.plugin"]\n')
    pytester.makepyfile(COUNT_TEST)
    args = ["-p", "fixtures.plugin"] if conftest else []
    result = pytester.runpytest_subprocess(*args, "-p", "no:cacheprovider", "-q")
    result.assert_outcomes(passed=1)
