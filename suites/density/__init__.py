"""The density conformance suite."""
