"""Top-level conftest: loads the netconform pytest plugin for suites/ and tests/."""

pytest_plugins = ["fixtures.plugin"]
