"""Add-on version parsing and ordering."""

from __future__ import annotations

import pytest

from netconform.core.upgrade.facts import AvailableVersion, choose_target
from netconform.core.upgrade.versions import AddonVersion, parse_addon_version
from netconform.errors import InputError


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("v1.20.1-eksbuild.1", AddonVersion(1, 20, 1, 1)),
        ("1.20.1-eksbuild.3", AddonVersion(1, 20, 1, 3)),
        ("v1.7.10", AddonVersion(1, 7, 10)),
        (" v1.19.0-eksbuild.12 ", AddonVersion(1, 19, 0, 12)),
    ],
)
def test_parses_addon_versions(text: str, expected: AddonVersion) -> None:
    assert parse_addon_version(text) == expected


@pytest.mark.parametrize("text", ["", "latest", "v1.20", "v1.20.1-build.1", "1.20.1-eksbuild.", "v1.x.0"])
def test_rejects_malformed_versions_as_usage_errors(text: str) -> None:
    with pytest.raises(InputError, match="not a vpc-cni add-on version"):
        parse_addon_version(text)


def test_orders_semantically_not_lexically() -> None:
    texts = ["v1.10.0-eksbuild.1", "v1.9.3-eksbuild.2", "v1.9.3-eksbuild.10", "v1.9.3"]
    ordered = sorted(parse_addon_version(t) for t in texts)
    assert [str(v) for v in ordered] == [
        "v1.9.3",
        "v1.9.3-eksbuild.2",
        "v1.9.3-eksbuild.10",
        "v1.10.0-eksbuild.1",
    ]


def test_round_trips_through_str() -> None:
    assert str(parse_addon_version("1.20.1-eksbuild.1")) == "v1.20.1-eksbuild.1"


@pytest.mark.parametrize(
    ("requested", "expected"),
    [(None, "v1.20.1-eksbuild.1"), ("v1.19.0-eksbuild.1", "v1.19.0-eksbuild.1")],
)
def test_target_is_requested_or_latest_offered(requested: str | None, expected: str) -> None:
    offered = [AvailableVersion(parse_addon_version(v)) for v in ("v1.20.1-eksbuild.1", "v1.19.2-eksbuild.1")]
    want = parse_addon_version(requested) if requested else None
    assert str(choose_target(offered, want)) == expected


def test_no_target_when_nothing_is_offered() -> None:
    assert choose_target([], None) is None
