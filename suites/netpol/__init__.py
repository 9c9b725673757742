"""The netpol conformance suite."""
