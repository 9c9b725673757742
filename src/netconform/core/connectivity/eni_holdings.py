"""Which ENI holds each pod address, from ipamd's introspection (``GET 127.0.0.1:61679/v1/enis`` on a node).

The cross-ENI check must probe pods that really sit on a secondary ENI; their names and counts prove nothing
(ipamd hands out addresses from any ENI with a free slot). ipamd's own datastore says which ENI holds which
address or /28. The document's nesting differs between versions (one datastore, or one per network card),
so we look for every ENI object (``ID`` = ``eni-…`` with ``AvailableIPv4Cidrs``) wherever it sits.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class EniHolding:
    eni: str
    device_number: int
    primary: bool
    cidr: str  # the /32 or /28 of the ENI that covers the address


def eni_cidrs(document: Any) -> list[EniHolding]:
    """Every IPv4 /32 or prefix of every ENI in ipamd's introspection document."""
    found = []
    for eni in _enis(document):
        for cidr in eni.get("AvailableIPv4Cidrs") or {}:
            found.append(
                EniHolding(
                    eni=str(eni["ID"]),
                    device_number=int(eni.get("DeviceNumber", -1)),
                    primary=bool(eni.get("IsPrimary", False)),
                    cidr=str(cidr),
                )
            )
    return found


def holding(cidrs: Sequence[EniHolding], address: str) -> EniHolding | None:
    """The ENI slot that covers ``address``, if ipamd knows it."""
    ip = ipaddress.ip_address(address)
    for entry in cidrs:
        try:
            if ip in ipaddress.ip_network(entry.cidr, strict=False):
                return entry
        except ValueError:
            continue
    return None


def on_secondary_enis(cidrs: Sequence[EniHolding], addresses: Mapping[str, str]) -> dict[str, EniHolding]:
    """Of ``name -> address``, those held by a secondary (non-primary) ENI."""
    out = {}
    for name, address in addresses.items():
        entry = holding(cidrs, address)
        if entry is not None and not entry.primary:
            out[name] = entry
    return out


def _enis(node: Any) -> Iterator[Mapping[str, Any]]:
    if isinstance(node, Mapping):
        if str(node.get("ID", "")).startswith("eni-") and "AvailableIPv4Cidrs" in node:
            yield node
            return
        for value in node.values():
            yield from _enis(value)
    elif isinstance(node, list):
        for value in node:
            yield from _enis(value)
