"""The max-pods calculator: every mode, every cap boundary, and published values."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from netconform.core.density.maxpods import (
    CniVersion,
    DensityOptions,
    IpMode,
    choose_mode,
    lookup,
    max_pods,
    max_pods_for_all,
    pod_cap,
)
from netconform.core.instance_types import InstanceLimits, bundled_limits
from netconform.errors import InputError

CATALOG = bundled_limits()
PD = DensityOptions(prefix_delegation=True)


def limits(enis: int, ips: int, vcpus: int = 2, hypervisor: str | None = "nitro", metal: bool = False):
    return InstanceLimits("x1.test", enis, ips, vcpus, hypervisor, metal)


# Published values: aws/amazon-vpc-cni-k8s misc/eni-max-pods.txt (secondary IPs, uncapped; its third
# column is the custom-networking value) and the amazon-eks-ami calculator test cases.
@pytest.mark.parametrize(
    ("instance_type", "published", "custom_networking"),
    [
        ("m5.large", 29, 20),
        ("t3.medium", 17, 12),
        ("m5.xlarge", 58, 44),
        ("c5.18xlarge", 737, 688),
        ("t2.micro", 4, 3),
        ("m4.large", 20, 11),
        ("t3a.small", 8, 5),
        ("m5.8xlarge", 234, 205),
        ("c6in.32xlarge", 394, 345),
        ("p5.48xlarge", 100, 51),  # multi-card: only the default card's 2 ENIs count
    ],
)
def test_published_values(instance_type: str, published: int, custom_networking: int) -> None:
    assert max_pods(CATALOG[instance_type], DensityOptions(uncapped=True)).value == published
    cn = DensityOptions(uncapped=True, custom_networking=True)
    assert max_pods(CATALOG[instance_type], cn).value == custom_networking


@pytest.mark.parametrize(
    ("instance_type", "options", "expected"),
    [
        ("c5.18xlarge", DensityOptions(), 250),  # 737 capped, 72 vCPUs
        ("m5.4xlarge", DensityOptions(), 110),  # 234 capped, 16 vCPUs
        ("m5.8xlarge", DensityOptions(), 234),  # 32 vCPUs: under the 250 cap
        ("m5.8xlarge", PD, 250),  # calculator test case
        ("m5.large", DensityOptions(), 29),
        ("m5.large", PD, 110),
    ],
)
def test_capped_values(instance_type: str, options: DensityOptions, expected: int) -> None:
    assert max_pods(CATALOG[instance_type], options).value == expected


def test_derivation_of_a_capped_result() -> None:
    result = max_pods(CATALOG["c5.18xlarge"])
    assert (result.enis, result.ips_per_eni, result.mode) == (15, 50, IpMode.SECONDARY_IP)
    assert result.formula == "15 × (50 − 1) + 2 = 737"
    assert (result.uncapped, result.cap, result.cap_applied, result.value) == (737, 250, True, 250)
    assert "capped at 250 → 250" in result.explain()


# --- modes --------------------------------------------------------------------------------------------------
def test_prefix_delegation_formula() -> None:
    result = max_pods(limits(3, 10), DensityOptions(prefix_delegation=True, uncapped=True))
    assert result.mode is IpMode.PREFIX_DELEGATION
    assert result.value == 3 * ((10 - 1) * 16) + 2
    assert result.formula == "3 × ((10 − 1) × 16) + 2 = 434"


def test_prefix_delegation_falls_back_on_non_nitro() -> None:
    result = max_pods(CATALOG["t2.medium"], PD)
    assert result.mode is IpMode.SECONDARY_IP
    assert result.value == 17
    assert "t2.medium is not Nitro" in result.mode_reason
    assert "→ secondary-IP" in result.mode_reason


@pytest.mark.parametrize(
    ("version", "mode"), [("1.8.9", IpMode.SECONDARY_IP), ("1.9.0", IpMode.PREFIX_DELEGATION)]
)
def test_prefix_delegation_needs_cni_1_9(version: str, mode: IpMode) -> None:
    options = DensityOptions(cni_version=CniVersion.parse(version), prefix_delegation=True)
    result = max_pods(CATALOG["m5.large"], options)
    assert result.mode is mode
    if mode is IpMode.SECONDARY_IP:
        assert "CNI 1.8.9 < 1.9.0" in result.mode_reason


def test_bare_metal_counts_as_nitro() -> None:
    metal = CATALOG["m5.metal"]
    assert metal.hypervisor is None
    assert metal.bare_metal
    result = max_pods(metal, DensityOptions(prefix_delegation=True, max_eni=2))
    assert result.mode is IpMode.PREFIX_DELEGATION
    assert "bare metal" in result.mode_reason
    assert result.value == 250  # the shell script, blind to bare metal, says 100


def test_non_metal_without_hypervisor_is_not_nitro() -> None:
    mode, _ = choose_mode(limits(3, 10, hypervisor=None), PD)
    assert mode is IpMode.SECONDARY_IP


def test_max_eni_lowers_enis_but_never_raises_them() -> None:
    assert max_pods(limits(3, 10), DensityOptions(max_eni=2)).enis == 2
    assert max_pods(limits(3, 10), DensityOptions(max_eni=2)).adjustments == ("max ENIs 2 (type allows 3)",)
    assert max_pods(limits(3, 10), DensityOptions(max_eni=8)).enis == 3
    assert max_pods(limits(3, 10), DensityOptions(max_eni=8)).adjustments == ()


def test_custom_networking_applies_after_max_eni() -> None:
    result = max_pods(limits(3, 10), DensityOptions(max_eni=2, custom_networking=True))
    assert result.enis == 1
    assert result.value == 1 * 9 + 2
    assert len(result.adjustments) == 2


def test_custom_networking_can_leave_no_eni_for_pods() -> None:
    # hpc6id.32xlarge has one ENI on its default card: only the host-network pods fit.
    for options in (
        DensityOptions(custom_networking=True),
        DensityOptions(prefix_delegation=True, custom_networking=True),
    ):
        result = max_pods(CATALOG["hpc6id.32xlarge"], options)
        assert (result.enis, result.value) == (0, 2)


def test_custom_networking_with_prefix_delegation() -> None:
    result = max_pods(
        limits(3, 10), DensityOptions(prefix_delegation=True, custom_networking=True, uncapped=True)
    )
    assert result.value == 2 * 9 * 16 + 2


# --- caps ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("vcpus", "cap"), [(1, 110), (29, 110), (30, 110), (31, 250), (32, 250), (192, 250)])
def test_cap_boundary_is_more_than_30_vcpus(vcpus: int, cap: int) -> None:
    assert pod_cap(vcpus) == cap


@pytest.mark.parametrize(
    ("enis", "ips", "vcpus", "value", "applied"),
    [
        (4, 28, 30, 110, False),  # exactly 110 on a small node: not capped
        (1, 110, 30, 110, True),  # 111 → 110
        (1, 110, 31, 111, False),  # 111 on a large node stands
        (8, 32, 31, 250, False),  # exactly 250
        (3, 84, 31, 250, True),  # 251 → 250
    ],
)
def test_values_around_the_caps(enis: int, ips: int, vcpus: int, value: int, applied: bool) -> None:
    result = max_pods(limits(enis, ips, vcpus), DensityOptions())
    assert (result.value, result.cap_applied) == (value, applied)


def test_uncapped_reports_no_cap() -> None:
    result = max_pods(CATALOG["c5.18xlarge"], DensityOptions(uncapped=True))
    assert (result.value, result.cap, result.cap_applied) == (737, None, False)
    assert result.explain().endswith("uncapped")


@given(
    enis=st.integers(1, 20),
    ips=st.integers(2, 60),
    vcpus=st.integers(1, 200),
    max_eni=st.none() | st.integers(1, 20),
    prefix=st.booleans(),
    custom=st.booleans(),
    nitro=st.booleans(),
)
def test_properties(
    *, enis: int, ips: int, vcpus: int, max_eni: int | None, prefix: bool, custom: bool, nitro: bool
):
    box = limits(enis, ips, vcpus, "nitro" if nitro else "xen")
    options = DensityOptions(prefix_delegation=prefix, custom_networking=custom, max_eni=max_eni)
    result = max_pods(box, options)
    assert result.value == min(result.uncapped, pod_cap(vcpus))
    assert result.mode is (IpMode.PREFIX_DELEGATION if prefix and nitro else IpMode.SECONDARY_IP)
    assert 0 <= result.enis <= enis
    assert result.value >= 2
    plain = max_pods(box, DensityOptions(custom_networking=custom, max_eni=max_eni, uncapped=True))
    assert result.uncapped >= plain.uncapped  # prefix delegation never lowers density


# --- inputs -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "version"),
    [
        ("1.19.0", CniVersion(1, 19, 0)),
        ("v1.19.0-eksbuild.1", CniVersion(1, 19, 0)),
        ("1.9", CniVersion(1, 9)),
    ],
)
def test_cni_version_parsing(text: str, version: CniVersion) -> None:
    assert CniVersion.parse(text) == version


@pytest.mark.parametrize("text", ["", "one.two", "1", "v1.x.0"])
def test_bad_cni_version(text: str) -> None:
    with pytest.raises(InputError, match="CNI version"):
        CniVersion.parse(text)


def test_max_eni_must_be_positive() -> None:
    with pytest.raises(InputError, match="at least 1"):
        DensityOptions(max_eni=0)


def test_lookup_reports_every_unknown_type_with_suggestions() -> None:
    with pytest.raises(InputError) as caught:
        lookup(CATALOG, ["m5.large", "m5.lrage", "zz9.nothing"])
    message = str(caught.value)
    assert "\n" not in message
    assert "'m5.lrage' (did you mean m5.large" in message
    assert "'zz9.nothing'" in message


def test_lookup_is_case_insensitive() -> None:
    assert [item.instance_type for item in lookup(CATALOG, ["M5.Large"])] == ["m5.large"]


def test_all_types_sorted_and_complete() -> None:
    results = max_pods_for_all(CATALOG)
    assert list(results) == sorted(CATALOG)
    assert all(2 <= result.value <= 250 for result in results.values())
