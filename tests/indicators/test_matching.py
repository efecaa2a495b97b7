"""Tests for indicators.matching: hand-written cases plus property tests against ipaddress."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Hashable, Sequence

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from indicators.matching import ParsedAddresses, PrefixIndex, parse_addresses

PROPERTY_SETTINGS = settings(
    max_examples=100,
    deadline=None,
    database=None,  # store no failing examples in the project tree
    suppress_health_check=[HealthCheck.too_slow],
)


# --------------------------------------------------------------------------- reference


def reference_match(
    pairs: Sequence[tuple[Hashable, str]], addresses: Sequence[object]
) -> list[list[Hashable]]:
    """Plain ipaddress loop: every network containing the address, longest prefix first."""
    nets: list[tuple[Hashable, ipaddress.IPv4Network | ipaddress.IPv6Network]] = []
    for key, text in pairs:
        net = ipaddress.ip_network(text, strict=False)
        if net.version == 6 and net.prefixlen >= 96:
            mapped = net.network_address.ipv4_mapped  # type: ignore[union-attr]
            if mapped is not None:
                net = ipaddress.IPv4Network((mapped, net.prefixlen - 96))
        nets.append((key, net))
    out: list[list[Hashable]] = []
    for text in addresses:
        if not isinstance(text, str):  # ip_address() would take an int
            out.append([])
            continue
        try:
            addr = ipaddress.ip_address(text)
        except ValueError:
            out.append([])
            continue
        if addr.version == 6 and addr.ipv4_mapped is not None:  # type: ignore[union-attr]
            addr = addr.ipv4_mapped  # type: ignore[union-attr]
        hits = [(net.prefixlen, key) for key, net in nets if addr in net]
        hits.sort(key=lambda hit: -hit[0])  # stable: identical networks keep input order
        out.append([key for _, key in hits])
    return out


def reference_parse(text: object) -> tuple[int, int] | None:
    """(family, int) as ipaddress sees it, IPv4-mapped as IPv4; None when invalid."""
    if not isinstance(text, str):
        return None
    try:
        addr = ipaddress.ip_address(text)
    except ValueError:
        return None
    if addr.version == 6 and addr.ipv4_mapped is not None:  # type: ignore[union-attr]
        return 4, int(addr.ipv4_mapped)  # type: ignore[union-attr]
    return addr.version, int(addr)


def parsed_as_dict(parsed: ParsedAddresses) -> dict[int, tuple[int, int]]:
    """Position -> (family, int) from a ParsedAddresses."""
    out: dict[int, tuple[int, int]] = {}
    for pos, value in zip(parsed.v4_positions.tolist(), parsed.v4.tolist(), strict=True):
        assert pos not in out
        out[pos] = (4, value)
    for pos, (high, low) in zip(parsed.v6_positions.tolist(), parsed.v6.tolist(), strict=True):
        assert pos not in out
        out[pos] = (6, (high << 64) | low)
    return out


# --------------------------------------------------------------------------- hand cases

NESTED = [
    ("a8", "10.0.0.0/8"),
    ("a16", "10.1.0.0/16"),
    ("a24", "10.1.2.0/24"),
    ("b6", "2001:db8::/32"),
    ("b6-48", "2001:db8:1::/48"),
    ("b6-120", "2001:db8:1::100/120"),
]


@pytest.fixture(scope="module")
def nested() -> PrefixIndex[str]:
    return PrefixIndex.from_pairs(NESTED)


def test_ipv4_three_levels_most_specific_first(nested: PrefixIndex[str]) -> None:
    assert nested.match(["10.1.2.3", "10.1.3.3", "10.2.0.0", "11.0.0.0", "9.255.255.255"]) == [
        ["a24", "a16", "a8"],
        ["a16", "a8"],
        ["a8"],
        [],
        [],
    ]


def test_interval_edges(nested: PrefixIndex[str]) -> None:
    got = nested.match(["10.0.0.0", "10.255.255.255", "10.1.2.0", "10.1.2.255", "10.1.1.255"])
    assert got == [["a8"], ["a8"], ["a24", "a16", "a8"], ["a24", "a16", "a8"], ["a16", "a8"]]


def test_ipv6_nested_and_longer_than_64(nested: PrefixIndex[str]) -> None:
    got = nested.match(
        ["2001:db8:1::1ff", "2001:db8:1::200", "2001:db8:2::1", "2001:db9::", "2001:db8:1::ff"]
    )
    assert got == [
        ["b6-120", "b6-48", "b6"],
        ["b6-48", "b6"],
        ["b6"],
        [],
        ["b6-48", "b6"],
    ]


def test_differs_only_in_low_64_bits() -> None:
    index = PrefixIndex.from_pairs(
        [(1, "2001:db8::ff00:0/104"), (2, "2001:db8::abcd:1/128"), (3, "2001:db8::/64")]
    )
    assert index.match(
        ["2001:db8::ff12:3456", "2001:db8::abcd:1", "2001:db8::abcd:2", "2001:db8::fe00:0"]
    ) == [[1, 3], [2, 3], [3], [3]]


def test_adjacent_networks() -> None:
    # One network's end + 1 is the next one's start: the start must win at that address.
    index = PrefixIndex.from_pairs(
        [("lo", "10.0.0.0/25"), ("hi", "10.0.0.128/25"), ("next", "10.0.1.0/24"), ("all", "::/0")]
    )
    addresses = ["10.0.0.127", "10.0.0.128", "10.0.0.255", "10.0.1.0", "10.0.1.255", "10.0.2.0"]
    assert index.match(addresses) == [["lo"], ["hi"], ["hi"], ["next"], ["next"], []]


def test_nested_networks_sharing_an_end() -> None:
    index = PrefixIndex.from_pairs(
        [
            ("all", "0.0.0.0/0"),
            ("n8", "10.0.0.0/8"),
            ("n16", "10.255.0.0/16"),
            ("n24", "10.255.255.0/24"),
            ("top", "255.255.255.255/32"),
            ("v6", "2001:db8::/32"),
            ("v6-end", "2001:db8:ffff:ffff::/64"),
        ]
    )
    got = index.match(["10.255.255.255", "11.0.0.0", "10.254.255.255", "255.255.255.255"])
    assert got == [["n24", "n16", "n8", "all"], ["all"], ["n8", "all"], ["top", "all"]]
    assert index.match(["2001:db8:ffff:ffff::1", "2001:db9::", "2001:db8:ffff:fffe::"]) == [
        ["v6-end", "v6"],
        [],
        ["v6"],
    ]


def test_host_bits_are_ignored_in_networks() -> None:
    index = PrefixIndex.from_pairs([(1, "192.168.1.77/24"), (2, "2001:db8::1/32")])
    assert index.match(["192.168.1.1", "192.168.2.1", "2001:db8:ffff::"]) == [[1], [], [2]]


def test_zero_and_full_length_prefixes() -> None:
    index = PrefixIndex.from_pairs(
        [("all4", "0.0.0.0/0"), ("host4", "8.8.8.8/32"), ("all6", "::/0"), ("host6", "::1/128")]
    )
    assert index.match(["8.8.8.8", "8.8.8.9", "0.0.0.0", "255.255.255.255"]) == [
        ["host4", "all4"],
        ["all4"],
        ["all4"],
        ["all4"],
    ]
    assert index.match(["::1", "::2", "::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"]) == [
        ["host6", "all6"],
        ["all6"],
        ["all6"],
        ["all6"],
    ]


def test_bare_address_and_mask_forms_as_networks() -> None:
    index = PrefixIndex.from_pairs(
        [(1, "1.2.3.4"), (2, "2001:db8::5"), (3, "10.0.0.0/255.255.0.0"), (4, "10.0.0.0/0.0.0.255")]
    )
    assert index.match(["1.2.3.4", "1.2.3.5", "2001:db8::5", "10.0.1.1", "10.0.0.9"]) == [
        [1],
        [],
        [2],
        [3],
        [4, 3],
    ]


def test_ipv4_mapped_addresses_match_as_ipv4(nested: PrefixIndex[str]) -> None:
    got = nested.match(["::ffff:10.1.2.3", "::FFFF:0a01:0203", "::ffff:11.0.0.1", "::10.1.2.3"])
    assert got == [["a24", "a16", "a8"], ["a24", "a16", "a8"], [], []]


def test_ipv4_mapped_networks_are_ipv4_networks() -> None:
    index = PrefixIndex.from_pairs(
        [("m", "::ffff:10.0.0.0/104"), ("v4", "10.0.0.0/8"), ("v6all", "::/0")]
    )
    # Both spellings of 10.0.0.1 hit both /8s, and never the IPv6 ::/0.
    assert index.match(["10.0.0.1", "::ffff:10.0.0.1", "::1"]) == [
        ["m", "v4"],
        ["m", "v4"],
        ["v6all"],
    ]


def test_duplicate_networks_keep_input_order() -> None:
    index = PrefixIndex.from_pairs([(3, "10.0.0.0/8"), (1, "10.0.0.0/8"), (2, "10.1.0.0/16")])
    assert index.match_one("10.1.0.1") == [2, 3, 1]
    assert index.match_one("10.2.0.1") == [3, 1]


def test_same_key_in_two_networks() -> None:
    index = PrefixIndex.from_pairs([(7, "10.0.0.0/8"), (7, "10.1.0.0/16"), (7, "2001:db8::/32")])
    assert index.match(["10.1.0.1", "10.2.0.1", "2001:db8::1", "1.1.1.1"]) == [
        [7, 7],
        [7],
        [7],
        [],
    ]
    assert len(index) == 3


@pytest.mark.parametrize(
    "address",
    [
        "",
        "1",
        "1.2.3",
        "1.2.3.4.5",
        "0x1.2.3.4",
        "01.2.3.4",
        "1.2.3.04",
        "256.1.1.1",
        "1.2.3.1000",
        " 10.1.2.3",
        "10.1.2.3 ",
        "10.1.2.3\n",
        "10.1.2.3\x00",
        "+10.1.2.3",
        "10..1.2",
        ".10.1.2.3",
        "10.1.2.3.",
        "\u0661\u0660.1.2.3",  # Arabic-Indic digits: isdigit() but not ASCII
        "10.1.2.3%eth0",
        "2001:db8:1::1%",
        "2001:db8:1::1%a%b",
        "2001:db8:1:::1",
        "2001:db8:1::1::",
        "1:2:3:4:5:6:7:8:9",
        "::ffff:01.1.2.3",
        "10.1.2.3/32",
        "example.org",
    ],
)
def test_invalid_address_gives_empty_list(nested: PrefixIndex[str], address: str) -> None:
    catch_all = PrefixIndex.from_pairs([("v4", "0.0.0.0/0"), ("v6", "::/0")])
    assert catch_all.match([address, "10.1.2.3"]) == [[], ["v4"]]
    assert catch_all.match_one(address) == []
    assert nested.match([address]) == [[]]


def test_zone_id_is_ignored(nested: PrefixIndex[str]) -> None:
    assert nested.match(["2001:db8:1::1ff%eth0", "::ffff:10.1.2.3%3"]) == [
        ["b6-120", "b6-48", "b6"],
        ["a24", "a16", "a8"],
    ]
    assert nested.match_one("2001:db8:1::1ff%eth0") == ["b6-120", "b6-48", "b6"]


def test_non_string_items_give_empty_lists(nested: PrefixIndex[str]) -> None:
    items: list[object] = [None, b"10.1.2.3", 167838211, "10.1.2.3"]
    assert nested.match(items) == [[], [], [], ["a24", "a16", "a8"]]  # type: ignore[arg-type]


def test_newline_inside_an_item_does_not_shift_results(nested: PrefixIndex[str]) -> None:
    got = nested.match(["10.1.2.3\n10.1.2.3", "10.2.0.1", "2001:db8::1"])
    assert got == [[], ["a8"], ["b6"]]


@pytest.mark.parametrize(
    "network",
    [
        "10.0.0.0/33",
        "::/129",
        "garbage",
        "",
        "1.2.3.4/",
        "01.2.3.4/8",
        "1.2.3.4/24/1",
        "1.2.3.4/-1",
        "1.2.3.4/ 8",
        "2001:db8:::/32",
        "10.0.0.0/255.0.255.0",
    ],
)
def test_invalid_network_raises_naming_it(network: str) -> None:
    with pytest.raises(ValueError, match=re.escape(repr(network))):
        PrefixIndex.from_pairs([(1, "10.0.0.0/8"), (2, network)])


def test_empty_index() -> None:
    index: PrefixIndex[int] = PrefixIndex.from_pairs([])
    assert len(index) == 0
    assert index.match(["10.0.0.1", "::1", "bad"]) == [[], [], []]
    assert index.match([]) == []
    assert index.match_one("10.0.0.1") == []


def test_len_counts_pairs(nested: PrefixIndex[str]) -> None:
    assert len(nested) == len(NESTED)
    assert len(PrefixIndex.from_pairs([(1, "10.0.0.0/8"), (1, "10.0.0.0/8")])) == 2


def test_results_are_fresh_lists(nested: PrefixIndex[str]) -> None:
    first = nested.match(["10.1.2.3", "11.0.0.0"])
    first[0].append("mutated")
    first[1].append("mutated")
    assert nested.match(["10.1.2.3", "11.0.0.0"]) == [["a24", "a16", "a8"], []]
    one = nested.match_one("10.1.2.3")
    one.clear()
    assert nested.match_one("10.1.2.3") == ["a24", "a16", "a8"]


def test_index_is_immutable(nested: PrefixIndex[str]) -> None:
    with pytest.raises(AttributeError):
        nested._covers = []  # type: ignore[misc]
    with pytest.raises(TypeError):
        PrefixIndex()
    with pytest.raises(ValueError):
        nested._v4_starts[0] = 5  # numpy arrays are read-only


def test_parse_addresses_then_match_parsed(nested: PrefixIndex[str]) -> None:
    addresses = ["10.1.2.3", "bad", "2001:db8:1::1ff", "::ffff:10.2.0.0"]
    parsed = parse_addresses(addresses)
    assert parsed.size == 4
    assert parsed_as_dict(parsed) == {
        0: (4, 0x0A010203),
        2: (6, 0x20010DB80001000000000000000001FF),
        3: (4, 0x0A020000),
    }
    assert nested.match_parsed(parsed) == nested.match(addresses)


def test_from_ints(nested: PrefixIndex[str]) -> None:
    parsed = ParsedAddresses.from_ints(
        np.array([0x0A010203, 0x0B000000], dtype=np.uint32),
        [0x20010DB80001000000000000000001FF, 0xFFFF0A010203],
    )
    assert nested.match_parsed(parsed) == [
        ["a24", "a16", "a8"],
        [],
        ["b6-120", "b6-48", "b6"],
        ["a24", "a16", "a8"],
    ]
    assert nested.match_parsed(ParsedAddresses.from_ints([0x0A020000])) == [["a8"]]
    with pytest.raises(ValueError):
        ParsedAddresses.from_ints([1 << 32])
    with pytest.raises(ValueError):
        ParsedAddresses.from_ints([-1])
    with pytest.raises(ValueError):
        ParsedAddresses.from_ints([], [1 << 128])


# --------------------------------------------------------------------------- properties

# Small "hot" regions make random networks nest and overlap often, and random addresses hit.
V4_HOT = [0x0A000000, 0xC0A80000, 0]
V6_HOT = [0x20010DB8 << 96, 0xFE80 << 112, 0xFFFF << 32, 0]


@st.composite
def networks(draw: st.DrawFn) -> list[tuple[int, str]]:
    """Random (key, network) pairs; about half are derived from (nested in) earlier ones."""
    count = draw(st.integers(0, 30))
    made: list[tuple[int, int, int]] = []  # (version, value, prefixlen)
    pairs: list[tuple[int, str]] = []
    for _ in range(count):
        if made and draw(st.booleans()):
            version, base, plen = draw(st.sampled_from(made))
            bits = 32 if version == 4 else 128
            base = base >> (bits - plen) << (bits - plen)  # clear host bits
            size = 1 << (bits - plen)
            how = draw(st.sampled_from(["inside", "at-start", "at-end", "next-sibling"]))
            if how == "next-sibling":  # same length, starting right after the other one
                value = (base + size) % (1 << bits)
            else:
                new_plen = draw(st.integers(plen, bits))
                new_size = 1 << (bits - new_plen)
                if how == "at-start":
                    value = base
                elif how == "at-end":  # shares its last address with the other one
                    value = base + size - new_size
                else:
                    value = base | draw(st.integers(0, size - 1))
                plen = new_plen
        else:
            version = draw(st.sampled_from([4, 4, 6]))
            bits = 32 if version == 4 else 128
            hot = draw(st.sampled_from(V4_HOT if version == 4 else V6_HOT))
            value = (
                hot | draw(st.integers(0, (1 << 16) - 1))
                if hot
                else draw(st.integers(0, (1 << bits) - 1))
            )
            plen = draw(st.integers(0, bits))
        made.append((version, value, plen))
        addr = ipaddress.ip_address(value) if version == 4 else ipaddress.IPv6Address(value)
        # Key collisions (same key for several networks) are intended.
        pairs.append((draw(st.integers(0, 30)), f"{addr}/{plen}"))
    return pairs


def address_text(draw: st.DrawFn, version: int, value: int) -> str:
    """A textual form of the address, in one of the spellings ipaddress accepts."""
    if version == 4:
        v4 = ipaddress.IPv4Address(value)
        style = draw(st.integers(0, 5))
        if style == 0:
            return f"::ffff:{v4}"
        if style == 1:
            return ipaddress.IPv6Address((0xFFFF << 32) | value).exploded
        return str(v4)
    v6 = ipaddress.IPv6Address(value)
    style = draw(st.integers(0, 5))
    if style == 0:
        return v6.exploded
    if style == 1:
        return f"{v6}%eth0"
    if style == 2:
        return str(v6).upper()
    return str(v6)


@st.composite
def networks_and_addresses(draw: st.DrawFn) -> tuple[list[tuple[int, str]], list[str]]:
    pairs = draw(networks())
    parsed = [ipaddress.ip_network(text, strict=False) for _, text in pairs]
    addresses: list[str] = []
    for _ in range(draw(st.integers(0, 40))):
        kind = draw(st.integers(0, 9))
        if parsed and kind < 6:  # inside (or at an edge of) a network
            net = draw(st.sampled_from(parsed))
            offset = draw(
                st.one_of(
                    st.integers(0, net.num_addresses - 1),
                    st.sampled_from([-1, 0, net.num_addresses - 1, net.num_addresses]),
                )
            )
            value = int(net.network_address) + offset
            bits = net.max_prefixlen
            value %= 1 << bits
            addresses.append(address_text(draw, net.version, value))
        elif kind < 9:
            version = draw(st.sampled_from([4, 6]))
            bits = 32 if version == 4 else 128
            addresses.append(address_text(draw, version, draw(st.integers(0, (1 << bits) - 1))))
        else:
            addresses.append(draw(junk_address()))
    return pairs, addresses


def junk_address() -> st.SearchStrategy[str]:
    """Strings near the address grammar, to compare parsers on invalid and odd input."""
    alphabet = st.sampled_from([*"0123456789.:abcdefABCDEFx%/ \n", "\u0661", "\x00"])
    near = st.builds(
        lambda a, b, c: f"{a}.{b}.{c}",
        st.integers(0, 999).map(str),
        st.sampled_from(["0", "00", "1", "01", "255", "256", "1.2", "2.3.4"]),
        st.sampled_from(["4", "04", "", "4.", "4.5", "0x4", "4::"]),
    )
    return st.one_of(st.text(alphabet, max_size=45), near)


@PROPERTY_SETTINGS
@given(networks_and_addresses())
def test_match_equals_ipaddress_reference(
    case: tuple[list[tuple[int, str]], list[str]],
) -> None:
    pairs, addresses = case
    index = PrefixIndex.from_pairs(pairs)
    expected = reference_match(pairs, addresses)
    assert index.match(addresses) == expected
    assert [index.match_one(address) for address in addresses] == expected
    assert index.match_parsed(parse_addresses(addresses)) == expected
    assert len(index) == len(pairs)


@PROPERTY_SETTINGS
@given(
    st.lists(
        st.one_of(
            junk_address(),
            st.ip_addresses().map(str),
            st.ip_addresses(v=6).map(lambda a: a.exploded),
        ),
        max_size=40,
    )
)
def test_parse_addresses_equals_ipaddress(addresses: list[str]) -> None:
    parsed = parse_addresses(addresses)
    assert parsed.size == len(addresses)
    got = parsed_as_dict(parsed)
    expected = {
        i: result for i, result in enumerate(map(reference_parse, addresses)) if result is not None
    }
    assert got == expected


def network_text() -> st.SearchStrategy[str]:
    """Network strings, valid or not: junk, and addresses with odd prefix-length texts."""
    plen = st.sampled_from(
        [
            *("0", "8", "24", "024", "32", "33", "64", "96", "100", "128", "129", ""),
            *("+8", " 8", "8 ", "255.255.0.0", "0.0.0.255", "255.0.255.0", "1e1", "\u0668"),
        ]
    )
    address = st.one_of(
        st.ip_addresses().map(str),
        st.ip_addresses(v=4).map(lambda a: f"::ffff:{a}"),
        st.ip_addresses(v=6).map(lambda a: f"{a}%eth0"),
        junk_address(),
    )
    with_plen = st.builds(lambda a, p: f"{a}/{p}", address, plen)
    return st.one_of(with_plen, address, junk_address())


@PROPERTY_SETTINGS
@given(st.lists(st.tuples(st.integers(0, 99), network_text()), max_size=6))
def test_network_parsing_equals_ipaddress(pairs: list[tuple[int, str]]) -> None:
    def valid(text: str) -> bool:
        try:
            ipaddress.ip_network(text, strict=False)
        except ValueError:
            return False
        return True

    bad = [text for _, text in pairs if not valid(text)]
    if bad:
        with pytest.raises(ValueError, match=re.escape(repr(bad[0]))):
            PrefixIndex.from_pairs(pairs)
        return
    index = PrefixIndex.from_pairs(pairs)
    assert len(index) == len(pairs)
    # Probe each network's first and last address and their neighbours.
    probes: list[str] = []
    for _, text in pairs:
        net = ipaddress.ip_network(text, strict=False)
        first, last = int(net.network_address), int(net.broadcast_address)
        for value in (first - 1, first, last, last + 1):
            if 0 <= value < 1 << net.max_prefixlen:
                probes.append(
                    str(
                        ipaddress.ip_address(value)
                        if net.version == 4
                        else ipaddress.IPv6Address(value)
                    )
                )
    assert index.match(probes) == reference_match(pairs, probes)
