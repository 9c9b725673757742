"""Which ENI holds a pod's address, read from ipamd's introspection document (either nesting)."""

from __future__ import annotations

from netconform.core.connectivity.eni_holdings import eni_cidrs, holding, on_secondary_enis


def _eni(eni_id: str, device: int, cidrs: list[str]) -> dict[str, object]:
    return {
        "ID": eni_id,
        "IsPrimary": device == 0,
        "DeviceNumber": device,
        "AvailableIPv4Cidrs": {c: {"IPAddresses": {}, "IsPrefix": not c.endswith("/32")} for c in cidrs},
    }


ONE_STORE = {
    "TotalIPs": 6,
    "ENIs": {
        "eni-a": _eni("eni-a", 0, ["192.168.32.5/32", "192.168.32.6/32"]),
        "eni-b": _eni("eni-b", 1, ["192.168.32.9/32"]),
    },
}
PER_CARD = [{"TotalIPs": 32, "ENIs": {"eni-c": _eni("eni-c", 1, ["192.168.32.16/28"])}}]


def test_secondary_ips_and_prefixes_are_found_in_either_nesting() -> None:
    cidrs = eni_cidrs(ONE_STORE)
    assert holding(cidrs, "192.168.32.6").eni == "eni-a"  # type: ignore[union-attr]
    assert on_secondary_enis(cidrs, {"p1": "192.168.32.5", "p3": "192.168.32.9"}).keys() == {"p3"}
    prefix = eni_cidrs(PER_CARD)
    assert holding(prefix, "192.168.32.17").cidr == "192.168.32.16/28"  # type: ignore[union-attr]
    assert holding(prefix, "192.168.32.40") is None


def test_an_unknown_document_holds_nothing() -> None:
    assert eni_cidrs({"unexpected": True}) == []
    assert on_secondary_enis([], {"p": "10.0.0.1"}) == {}
