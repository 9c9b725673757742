"""Image references and label values checked before anything reaches a cluster (core.references)."""

from __future__ import annotations

import pytest

from netconform.core.run.references import image_reference_problem, label_value_problem

GOOD_IMAGES = [
    "busybox",
    "netconform.local/probe:2.63.0",
    "registry.k8s.io/e2e-test-images/agnhost:2.63.0",
    "localhost/x",
    "localhost:5000/a/b:c",
    "myhost:5000/x",
    "123456789012.dkr.ecr.eu-west-1.amazonaws.com/agnhost:2.63.0",
    "x@sha256:" + "a" * 64,
    "repo/name_with__double-dash--x:v1.0-rc.1",
]
BAD_IMAGES = [
    "",
    " busybox",
    "bad image",
    "a::b",
    "netconform.local/Probe:1",
    "UPPER/case:1",
    "x:",
    "x@sha256:zz",
]


@pytest.mark.parametrize("reference", GOOD_IMAGES)
def test_valid_image_references_pass(reference: str) -> None:
    assert image_reference_problem(reference) is None


@pytest.mark.parametrize("reference", BAD_IMAGES)
def test_invalid_image_references_are_named_in_one_line(reference: str) -> None:
    problem = image_reference_problem(reference)
    assert problem is not None
    assert "\n" not in problem


LABEL_VALUES = [
    ("11261230abcd", True),
    ("a.b_c-d", True),
    ("a" * 63, True),
    ("a" * 64, False),
    ("a b", False),
    ("-a", False),
    ("", False),
]


@pytest.mark.parametrize(("value", "ok"), LABEL_VALUES)
def test_label_values(value: str, ok: bool) -> None:
    assert (label_value_problem(value) is None) is ok
