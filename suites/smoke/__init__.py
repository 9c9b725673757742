"""The smoke conformance suite."""
