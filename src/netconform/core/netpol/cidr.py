"""ipBlock CIDR values as the API server reads them (Kubernetes v1.36), strict or legacy.

Upstream (kubernetes pkg/apis/networking/validation ValidateIPBlock → core/validation
IsValidCIDRForLegacyField → apimachinery pkg/util/validation/ip.go parseCIDR):

1. the value must parse with ``netutils.ParseCIDRSloppy`` (k8s.io/utils forked Go 1.16 ``net.ParseCIDR``):
   ``addr/bits`` with decimal bits, IPv4 octets may carry leading zeros (read as decimal), IPv6 may embed IPv4
   and its groups may be longer than four hex digits if the value fits;
2. with strict validation (feature gate StrictIPCIDRValidation: beta and on by default since v1.36) it must
   also parse with Go's ``netip.ParsePrefix`` (no leading zeros in octets or bits), must not be an IPv4-mapped
   IPv6 prefix, and must not have bits set beyond the prefix length ("10.0.0.5/24" is rejected);
3. each ``except`` passes the same checks and must be a strict subset of ``cidr``: upstream tests
   ``cidr.Contains(except.IP) && cidr.ones < except.ones`` with Go's ``net.IPNet.Contains``, ported here.

Python's ``ipaddress`` is looser (``10.0.0.0/255.0.0.0``, ``10.0.0.0/0.255.255.255``) and stricter (leading
zeros) than the legacy parser, so the parsing is our own; the model keeps a Python network of the result.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from netconform.core.netpol.policy import IPNetwork

_V4_IN_V6 = bytes(10) + b"\xff\xff"
_BIG = 0xFFFFFF
INVALID_CIDR = "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)"


@dataclass(frozen=True)
class GoIPNet:
    """Go's ``net.IPNet`` as ParseCIDRSloppy returns it: masked IP (4 or 16 bytes) and mask."""

    ip: bytes
    mask: bytes

    @property
    def ones(self) -> int:
        return sum(bin(byte).count("1") for byte in self.mask)

    def contains(self, ip: bytes) -> bool:
        """net.IPNet.Contains, including its IPv4-in-IPv6 folding."""
        network = _to4(self.ip)
        if network is None:
            network = self.ip if len(self.ip) == 16 else None
        if network is None:
            return False
        mask = self.mask
        if len(mask) == 4 and len(network) != 4:
            return False
        if len(mask) == 16 and len(network) == 4:
            mask = mask[12:]
        if len(mask) not in (4, 16):
            return False
        ip = _to4(ip) or ip
        if len(ip) != len(network):
            return False
        return all(n & m == i & m for n, m, i in zip(network, mask, ip, strict=True))

    def network(self) -> IPNetwork:
        if len(self.ip) == 4:
            return ipaddress.IPv4Network((self.ip, self.ones))
        return ipaddress.IPv6Network((self.ip, self.ones))


def _to4(ip: bytes) -> bytes | None:
    if len(ip) == 4:
        return ip
    if len(ip) == 16 and ip[:12] == _V4_IN_V6:
        return ip[12:]
    return None


def _dtoi(text: str) -> tuple[int, int] | None:
    """Decimal prefix of text: (value, digits used), or None (Go's dtoi)."""
    value, i = 0, 0
    while i < len(text) and "0" <= text[i] <= "9":
        value = value * 10 + ord(text[i]) - 48
        if value >= _BIG:
            return None
        i += 1
    return (value, i) if i else None


def _xtoi(text: str) -> tuple[int, int] | None:
    value, i = 0, 0
    while i < len(text) and text[i] in "0123456789abcdefABCDEF":
        value = value * 16 + int(text[i], 16)
        if value >= _BIG:
            return None
        i += 1
    return (value, i) if i else None


def _parse_ipv4(text: str) -> bytes | None:
    octets = []
    for i in range(4):
        if not text:
            return None
        if i > 0:
            if text[0] != ".":
                return None
            text = text[1:]
        parsed = _dtoi(text)
        if parsed is None or parsed[0] > 0xFF:
            return None
        octets.append(parsed[0])
        text = text[parsed[1] :]
    return None if text else _V4_IN_V6 + bytes(octets)


def _parse_ipv6(text: str) -> bytes | None:
    """Go's parseIPv6, line for line (long, but easier to check against upstream that way)."""
    ip = bytearray(16)
    ellipsis = -1
    if text.startswith("::"):
        ellipsis, text = 0, text[2:]
        if not text:
            return bytes(ip)
    i = 0
    while i < 16:
        parsed = _xtoi(text)
        if parsed is None or parsed[0] > 0xFFFF:
            return None
        value, used = parsed
        if used < len(text) and text[used] == ".":
            if (ellipsis < 0 and i != 12) or i + 4 > 16:
                return None
            ip4 = _parse_ipv4(text)
            if ip4 is None:
                return None
            ip[i : i + 4] = ip4[12:]
            text, i = "", i + 4
            break
        ip[i], ip[i + 1] = value >> 8, value & 0xFF
        i += 2
        text = text[used:]
        if not text:
            break
        if text[0] != ":" or len(text) == 1:
            return None
        text = text[1:]
        if text[0] == ":":
            if ellipsis >= 0:
                return None
            ellipsis, text = i, text[1:]
            if not text:
                break
    if text:
        return None
    if i < 16:
        if ellipsis < 0:
            return None
        shift = 16 - i
        ip[ellipsis + shift : 16] = ip[ellipsis:i]
        ip[ellipsis : ellipsis + shift] = bytes(shift)
    elif ellipsis >= 0:
        return None
    return bytes(ip)


def _mask(ones: int, bits: int) -> bytes:
    value = ((1 << ones) - 1) << (bits - ones) if ones else 0
    return value.to_bytes(bits // 8, "big")


def parse_cidr_sloppy(value: str) -> GoIPNet | None:
    """netutils.ParseCIDRSloppy: the network, or None when upstream reports a parse error."""
    addr, slash, bits_text = value.partition("/")
    if not slash:
        return None
    ip = _parse_ipv4(addr)
    length = 4
    if ip is None:
        ip, length = _parse_ipv6(addr), 16
    parsed = _dtoi(bits_text)
    if ip is None or parsed is None or parsed[1] != len(bits_text) or parsed[0] > 8 * length:
        return None
    mask = _mask(parsed[0], 8 * length)
    if length == 4:
        ip = ip[12:]  # net.IP.Mask folds a 16-byte IPv4 address to 4 bytes for a 4-byte mask
    return GoIPNet(bytes(a & m for a, m in zip(ip, mask, strict=True)), mask)


def _strict_problem(value: str) -> str | None:
    """What netip.ParsePrefix and the strict checks object to in a value the sloppy parser accepted."""
    addr_text, _, bits_text = value.partition("/")
    try:
        addr = ipaddress.ip_address(addr_text)
    except ValueError:
        return "must not have leading 0s in IP or prefix length"
    if len(bits_text) > 1 and bits_text[0] == "0":
        return "must not have leading 0s in IP or prefix length"
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        return "must not have an IPv4-mapped IPv6 address"
    if ipaddress.ip_network(value, strict=False).network_address != addr:
        return "must not have bits set beyond the prefix length"
    return None


def check_cidr(value: str, *, strict: bool = True) -> tuple[GoIPNet | None, str | None]:
    """The parsed network (None if unparseable) and the first problem upstream reports (None: valid)."""
    parsed = parse_cidr_sloppy(value)
    if parsed is None:
        return None, INVALID_CIDR
    return parsed, _strict_problem(value) if strict else None


def is_strict_subset(cidr: GoIPNet, excluded: GoIPNet) -> bool:
    """ValidateIPBlock's except rule, exactly as written upstream."""
    return cidr.contains(excluded.ip) and cidr.ones < excluded.ones
