"""IP addresses, prefixes and AS numbers as users type them (indicators/addresses.py, and the
matching engine's own parsers in indicators/matching.py).

Properties: anything typed either parses or raises ValueError with a reason (nothing else
escapes); what parses is public, normalised, and parses again to itself (idempotent); keys
order like the numbers they stand for, so the range queries on them are right.
"""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from indicators.addresses import address_parse, asn_parse, network_parse, org_normalise
from indicators.matching import PrefixIndex, parse_addresses

from .strategies import PROPERTY, anything, hostile_text

V4_MAPPED = ipaddress.IPv6Network("::ffff:0:0/96")


def _near_address(draw) -> str:
    """Address text with the usual accidents: spaces, brackets, zone ids, mapped forms."""
    ip = draw(st.ip_addresses())
    text = draw(
        st.sampled_from(
            [
                str(ip),
                ip.exploded,
                str(ip).upper(),
                f" {ip}\t",
                f"[{ip}]",
                f"{ip}%eth0",
                f"::ffff:{ip}" if ip.version == 4 else str(ip),
                f"{ip}/32",
                f"0{ip}" if ip.version == 4 else str(ip),
            ]
        )
    )
    return text


near_address = st.composite(_near_address)()


# --- address_parse ---------------------------------------------------------------------------


@PROPERTY
@given(st.one_of(hostile_text, near_address))
def test_address_parse_raises_only_value_error_with_a_reason(text):
    try:
        address = address_parse(text)
    except ValueError as exc:
        assert type(exc) is ValueError and str(exc).strip()
        return
    assert ipaddress.ip_address(address.text).is_global


@PROPERTY
@given(st.ip_addresses())
def test_address_parse_accepts_exactly_public_addresses_and_is_idempotent(ip):
    unmapped = ip.ipv4_mapped if ip.version == 6 and ip.ipv4_mapped else ip
    special = (
        unmapped.is_reserved
        or unmapped.is_multicast
        or unmapped.is_private
        or _documentation(unmapped)
        or (unmapped.version == 4 and unmapped in ipaddress.ip_network("100.64.0.0/10"))
    )
    try:
        address = address_parse(str(ip))
    except ValueError:
        assert not unmapped.is_global or special
        return
    assert unmapped.is_global and not special
    assert address.text == str(unmapped)
    assert address_parse(address.text) == address  # idempotent
    assert address_parse(ip.exploded) == address  # however it was written
    assert address_parse(f"  {ip}  ") == address


def _documentation(ip) -> bool:
    nets = [
        ipaddress.ip_network(n)
        for n in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "2001:db8::/32", "3fff::/20")
    ]
    return any(ip in net for net in nets if net.version == ip.version)


@PROPERTY
@given(st.ip_addresses(v=4))
def test_ipv4_mapped_ipv6_is_the_ipv4_address(ip):
    try:
        plain = address_parse(str(ip))
    except ValueError:
        with pytest.raises(ValueError):
            address_parse(f"::ffff:{ip}")
        return
    assert address_parse(f"::ffff:{ip}") == plain
    assert plain.family == 4


# Mostly public: IPv4 anywhere, IPv6 in the global unicast block.
public_ish = st.one_of(st.ip_addresses(v=4), st.ip_addresses(v=6, network="2000::/3"))


@PROPERTY
@given(public_ish, public_ish)
def test_address_keys_order_like_the_addresses(a, b):
    """Range queries compare keys as text: text order must be numeric order (IPv4 mapped)."""

    def number(ip) -> int:
        return int(ip) | (0xFFFF << 32) if ip.version == 4 else int(ip)

    try:
        ka, kb = address_parse(str(a)).key, address_parse(str(b)).key
    except ValueError:
        assume(False)
    assert len(ka) == len(kb) == 32
    assert (ka < kb) == (number(a) < number(b))


# --- network_parse ---------------------------------------------------------------------------


@st.composite
def near_network(draw) -> str:
    net = draw(st.ip_addresses().map(lambda ip: ip))
    plen = draw(st.integers(-1, 130))
    sep = draw(st.sampled_from(["/", " / ", "/0", "\\"]))
    return f"{net}{sep}{plen}"


@PROPERTY
@given(st.one_of(hostile_text, near_network()))
def test_network_parse_raises_only_value_error_with_a_reason(text):
    try:
        net = network_parse(text)
    except ValueError as exc:
        assert type(exc) is ValueError and str(exc).strip()
        return
    assert net.first <= net.last


@PROPERTY
@given(st.ip_addresses(), st.integers(1, 128))
def test_network_parse_clears_host_bits_and_is_idempotent(ip, plen):
    plen = min(plen, ip.max_prefixlen)
    text = f"{ip}/{plen}"
    if ip.version == 6 and ip.ipv4_mapped and plen == 96:  # ::ffff:0:0/96 is IPv4's /0
        with pytest.raises(ValueError, match="/0"):
            network_parse(text)
        return
    net = network_parse(text)
    again = network_parse(net.text)
    assert again == net
    reference = ipaddress.ip_network(text, strict=False)
    if reference.version == 6 and reference.subnet_of(V4_MAPPED) and plen >= 96:
        reference = ipaddress.ip_network(f"{reference.network_address.ipv4_mapped}/{plen - 96}")
    assert net.text == str(reference)
    # Every address of the prefix has a key inside [first, last], and its neighbours do not.
    low, high = int(reference.network_address), int(reference.broadcast_address)
    bits = reference.max_prefixlen
    mapped = (0xFFFF << 32) if reference.version == 4 else 0
    key = lambda n: f"{n | mapped:032x}"  # noqa: E731
    assert net.first == key(low) and net.last == key(high)
    if low > 0:
        assert key(low - 1) < net.first
    if high < (1 << bits) - 1:
        assert key(high + 1) > net.last


def test_network_parse_refuses_the_whole_internet():
    for text in ("0.0.0.0/0", "::/0", "::ffff:0.0.0.0/96"):
        with pytest.raises(ValueError, match="/0"):
            network_parse(text)


# --- AS numbers and organisations ------------------------------------------------------------


@PROPERTY
@given(anything)
def test_asn_parse_raises_only_value_error(value):
    try:
        asn = asn_parse(value)
    except ValueError as exc:
        assert type(exc) is ValueError and str(exc) == "not an AS number"
        return
    assert 0 < asn < 2**32


@PROPERTY
@given(st.integers(1, 2**32 - 1), st.sampled_from(["AS{}", "as{}", " AS{} ", "{}", "As{}"]))
def test_asn_parse_round_trip(number, form):
    assert asn_parse(form.format(number)) == number
    assert asn_parse(number) == number
    assert asn_parse(f"AS{asn_parse(form.format(number))}") == number


@pytest.mark.parametrize(
    "text",
    ["²", "AS²", "AS\u0661\u0662", "AS\uff11\uff12", "AS-1", "AS0", "AS4294967296", ""],
    ids=[
        "superscript",
        "as-superscript",
        "arabic-indic",
        "fullwidth",
        "minus",
        "zero",
        "2**32",
        "empty",
    ],
)
def test_asn_parse_refuses_non_ascii_digits_and_out_of_range(text):
    with pytest.raises(ValueError, match="not an AS number"):
        asn_parse(text)


@PROPERTY
@given(hostile_text)
def test_org_normalise_is_idempotent(name):
    once = org_normalise(name)
    assert org_normalise(once) == once


# --- the matching engine's parsers (never raise on addresses, ValueError on networks) -------


@PROPERTY
@given(st.lists(st.one_of(hostile_text, near_address), max_size=20))
def test_parse_addresses_never_raises_and_agrees_with_address_validity(texts):
    parsed = parse_addresses(texts)
    assert parsed.size == len(texts)
    found = set(parsed.v4_positions.tolist()) | set(parsed.v6_positions.tolist())
    for i, text in enumerate(texts):
        try:
            ipaddress.ip_address(text)
        except ValueError:
            continue
        assert i in found, text  # every valid address is parsed


@PROPERTY
@given(st.lists(st.tuples(st.integers(0, 9), st.one_of(hostile_text, near_network())), max_size=6))
def test_prefix_index_refuses_bad_networks_with_value_error_only(pairs):
    try:
        index = PrefixIndex.from_pairs(pairs)
    except ValueError as exc:
        assert "invalid network" in str(exc)
        return
    assert len(index) == len(pairs)
    assert index.match_one("not an address") == []


@PROPERTY
@given(st.lists(st.tuples(st.integers(0, 9), st.one_of(hostile_text, near_network())), max_size=6))
def test_prefix_index_agrees_with_network_parse_on_what_is_a_network(pairs):
    """The engine and the catalogue's validation accept the same prefixes (but /0)."""
    engine_ok = True
    try:
        PrefixIndex.from_pairs(pairs)
    except ValueError:
        engine_ok = False
    catalogue_ok = True
    for _key, text in pairs:
        try:
            network_parse(text)
        except ValueError as exc:
            catalogue_ok = catalogue_ok and "/0" in str(exc)
    if catalogue_ok:
        assert engine_ok, pairs
