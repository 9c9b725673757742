"""Conformance suites: what runs against a cluster (a package, so mypy and import-linter see it)."""
