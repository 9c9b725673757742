"""The apiserver conformance suite."""
