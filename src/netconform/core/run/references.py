"""Checks of names the user hands the harness, before anything reaches a cluster (pure)."""

from __future__ import annotations

import re

# The distribution reference grammar (github.com/distribution/reference), which the kubelet applies:
# a name that does not match ends as InvalidImageName on the node, after the pod has been created.
_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_HOST_PART = r"[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?"
# A first component is a registry host only with a dot, a port, or as localhost (else it is a path).
_DOMAIN = (
    rf"(?:(?:localhost|{_HOST_PART}(?:\.{_HOST_PART})+|\[[0-9a-fA-F:]+\])(?::[0-9]+)?|{_HOST_PART}:[0-9]+)"
)
_TAG = r"(?::[\w][\w.-]{0,127})?"
_DIGEST = r"(?:@[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[0-9a-fA-F]{32,})?"
_IMAGE = re.compile(rf"^(?:{_DOMAIN}/)?{_COMPONENT}(?:/{_COMPONENT})*{_TAG}{_DIGEST}$")
_LABEL_VALUE = re.compile(r"^(?:[A-Za-z0-9](?:[A-Za-z0-9._-]{0,61}[A-Za-z0-9])?)$")


def image_reference_problem(reference: str) -> str | None:
    """Why ``reference`` is not a valid image reference, or None when it is."""
    if not reference:
        return "the image reference is empty"
    if reference != reference.strip():
        return f"the image reference {reference!r} has surrounding whitespace"
    if len(reference) > 255 + 128 + 80:
        return f"the image reference {reference[:40]!r}... is too long"
    if not _IMAGE.match(reference):
        return (
            f"{reference!r} is not a valid image reference "
            "(lower-case repository, optional registry host, :tag and @digest; the kubelet would report "
            "InvalidImageName)"
        )
    return None


def label_value_problem(value: str) -> str | None:
    """Why ``value`` cannot be a Kubernetes label value, or None when it can."""
    if not _LABEL_VALUE.match(value):
        return (
            f"{value!r} is not a valid label value (at most 63 characters: letters, digits, '-', '_', '.', "
            "starting and ending with a letter or digit)"
        )
    return None
