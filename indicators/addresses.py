"""Parse, check and normalise IP addresses and networks for storage.

Addresses are stored as their compressed text (IPv4-mapped IPv6 as the IPv4 address it
carries) and as a 32-hex-digit *key*: the address as a 128-bit number, IPv4 placed in
::ffff:0:0/96. Keys compare as text in numeric order on every database, so "every report
inside this prefix" is an indexed range query (`key__gte=first, key__lte=last`) on SQLite and
PostgreSQL alike.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from django.utils.translation import gettext as _

_MAPPED = 0xFFFF << 32

# Explicit, so the error names the range instead of a generic "not global".
_DOCUMENTATION = [
    ipaddress.ip_network(n)
    for n in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "2001:db8::/32", "3fff::/20")
]
_CGNAT = ipaddress.ip_network("100.64.0.0/10")


@dataclass(frozen=True)
class Address:
    text: str
    family: int
    key: str


@dataclass(frozen=True)
class Network:
    text: str
    family: int
    first: str
    last: str


def _key(value: int, family: int) -> str:
    return f"{(_MAPPED | value) if family == 4 else value:032x}"


def _unmap(ip: ipaddress.IPv4Address | ipaddress.IPv6Address):
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


def non_public_reason(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    """Why an address cannot have come from the internet, or None if it is public."""
    if any(ip in net for net in _DOCUMENTATION if net.version == ip.version):
        return _("documentation range (RFC 5737 / RFC 3849), not a real address")
    checks = [
        (ip.is_unspecified, _("unspecified address")),
        (ip.is_loopback, _("loopback address")),
        (ip.is_link_local, _("link-local address")),
        (ip.is_multicast, _("multicast address")),
        (ip.version == 4 and ip in _CGNAT, _("carrier-grade NAT range (100.64.0.0/10)")),
        (ip.is_reserved, _("reserved address range")),
        (ip.is_private, _("private address range")),
        (not ip.is_global, _("not a public internet address")),
    ]
    for failed, reason in checks:
        if failed:
            return reason
    return None


def address_parse(text: str) -> Address:
    """Normalise one submitted address; ValueError with a reader-facing reason if unusable."""
    raw = (text or "").strip()
    if "%" in raw:
        raise ValueError(_("not an IP address (zone ids are not accepted)"))
    try:
        ip = _unmap(ipaddress.ip_address(raw))
    except ValueError:
        raise ValueError(_("not an IP address")) from None
    reason = non_public_reason(ip)
    if reason:
        raise ValueError(reason)
    return Address(text=str(ip), family=ip.version, key=_key(int(ip), ip.version))


def network_parse(text: str) -> Network:
    """Normalise a CIDR prefix (host bits cleared); ValueError with a reason if unusable."""
    raw = (text or "").strip()
    try:
        net = ipaddress.ip_network(raw, strict=False)
    except ValueError:
        raise ValueError(_("not a CIDR prefix")) from None
    if isinstance(net, ipaddress.IPv6Network) and net.prefixlen >= 96:
        mapped = net.network_address.ipv4_mapped
        if mapped is not None:
            net = ipaddress.ip_network(f"{mapped}/{net.prefixlen - 96}")
    if net.prefixlen == 0:
        raise ValueError(_("a /0 prefix names the whole internet"))
    return Network(
        text=str(net),
        family=net.version,
        first=_key(int(net.network_address), net.version),
        last=_key(int(net.broadcast_address), net.version),
    )


def asn_parse(value: object) -> int:
    """'AS14593', 'as14593' or 14593 -> 14593; ValueError if not a valid ASN."""
    text = str(value).strip().upper().removeprefix("AS")
    # isascii: "²" and other digit characters pass isdigit() but not int(); the length check
    # keeps int() from its 4,300-digit limit (a ValueError with a message about Python).
    if not (text.isascii() and text.isdigit() and len(text) <= 10) or not 0 < int(text) < 2**32:
        raise ValueError(_("not an AS number"))
    return int(text)


def org_normalise(name: str) -> str:
    """AS organisation names compare case- and space-insensitively."""
    return " ".join((name or "").split()).casefold()
