"""The bundled snapshot: coverage, and values recomputed from the raw DescribeInstanceTypes records."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from netconform.core.density.maxpods import DensityOptions, max_pods
from netconform.core.instance_types import bundled_limits, limits_from_describe, parse_snapshot
from netconform.errors import InputError

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def raw_records() -> dict[str, dict[str, Any]]:
    """moto's copy of real DescribeInstanceTypes data, keyed by type (the snapshot's source)."""
    path = resources.files("moto").joinpath("ec2", "resources", "instance_types.json.gz")
    return json.loads(gzip.decompress(path.read_bytes()))


def test_snapshot_covers_at_least_1300_types() -> None:
    assert len(bundled_limits()) >= 1300


def test_snapshot_matches_a_sample_recomputed_from_raw_records(
    raw_records: dict[str, dict[str, Any]],
) -> None:
    names = sorted(raw_records)
    sample = {*names[::25], "m5.large", "p5.48xlarge", "hpc6id.32xlarge", "m5.metal", "t2.micro"}
    for name in sorted(sample):
        record = raw_records[name]
        network = record["NetworkInfo"]
        # Independent of the parser: index the default card by its NetworkCardIndex.
        (card,) = [
            c for c in network["NetworkCards"] if c["NetworkCardIndex"] == network["DefaultNetworkCardIndex"]
        ]
        enis, ips = card["MaximumNetworkInterfaces"], network["Ipv4AddressesPerInterface"]
        vcpus = record["VCpuInfo"]["DefaultVCpus"]
        expected = min(enis * (ips - 1) + 2, 250 if vcpus > 30 else 110)
        bundled = bundled_limits()[name]
        assert bundled == limits_from_describe(record), name
        assert max_pods(bundled, DensityOptions()).value == expected, name
        nitro = record.get("Hypervisor") == "nitro" or record["BareMetal"]
        pd = max_pods(bundled, DensityOptions(prefix_delegation=True, uncapped=True)).value
        assert pd == (enis * (ips - 1) * 16 + 2 if nitro else enis * (ips - 1) + 2), name


def test_generator_output_is_up_to_date() -> None:
    script = REPO / "scripts" / "gen_instance_types.py"
    done = subprocess.run(
        [sys.executable, str(script), "--check"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr


def test_parser_uses_the_default_card_not_the_instance_total() -> None:
    record = {
        "InstanceType": "p9.huge",
        "VCpuInfo": {"DefaultVCpus": 192},
        "Hypervisor": "nitro",
        "NetworkInfo": {
            "MaximumNetworkInterfaces": 64,
            "Ipv4AddressesPerInterface": 50,
            "DefaultNetworkCardIndex": 1,
            "NetworkCards": [
                {"NetworkCardIndex": 0, "MaximumNetworkInterfaces": 30},
                {"NetworkCardIndex": 1, "MaximumNetworkInterfaces": 2},
            ],
        },
    }
    assert limits_from_describe(record).enis == 2


def test_parser_falls_back_to_the_total_without_cards() -> None:
    record = {
        "InstanceType": "m1.old",
        "VCpuInfo": {"DefaultVCpus": 1},
        "NetworkInfo": {"MaximumNetworkInterfaces": 2, "Ipv4AddressesPerInterface": 6},
    }
    parsed = limits_from_describe(record)
    assert (parsed.enis, parsed.hypervisor, parsed.bare_metal, parsed.is_nitro) == (2, None, False, False)


def test_parser_names_the_missing_field() -> None:
    with pytest.raises(InputError, match=r"m1\.bad.*Ipv4AddressesPerInterface"):
        limits_from_describe({"InstanceType": "m1.bad", "NetworkInfo": {"MaximumNetworkInterfaces": 2}})


def test_unknown_snapshot_layout_is_refused() -> None:
    with pytest.raises(InputError, match="unknown layout"):
        parse_snapshot({"format": 99, "columns": [], "instance_types": {}})
