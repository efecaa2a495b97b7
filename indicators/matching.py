"""Longest-prefix-first matching of IP addresses against a fixed set of networks.

Pure Python + numpy; no Django and nothing from the project, so Celery tasks, management
commands and benchmarks can use it alike.

Semantics (chosen to equal the ``ipaddress`` module's, which callers use to validate input):

* Networks are parsed like ``ipaddress.ip_network(s, strict=False)``: host bits may be set
  (``"10.1.2.3/8"`` means ``10.0.0.0/8``), a bare address is a /32 or /128, and netmask or
  hostmask forms (``"10.0.0.0/255.0.0.0"``) are accepted.  An invalid network raises
  ``ValueError`` naming it.
* Addresses are parsed like ``ipaddress.ip_address``: dotted-quad IPv4 without leading zeros,
  any IPv6 text form.  An item that is not a valid address string matches nothing (its result
  is an empty list) instead of raising: callers validate earlier, and one bad row must not
  abort a batch.  A zone id (``"fe80::1%eth0"``) is accepted and ignored, as ``ipaddress``
  ignores it for containment.
* IPv4-mapped IPv6 (``::ffff:a.b.c.d``) is treated as the IPv4 address it carries, both as an
  address and as a network of prefix length >= 96 (``::ffff:10.0.0.0/104`` is
  ``10.0.0.0/8``).  Hence IPv6 networks shorter than /96 (``::/0``) never contain a mapped
  address: it is an IPv4 address.
* A result lists the key of every containing network, most specific (longest prefix) first;
  keys of identical networks keep their input order.  A key given with several containing
  networks appears once per network.

How: the networks of one family form a laminar family (two prefixes are either nested or
disjoint), i.e. a forest.  The address space splits into elementary intervals within which the
set of containing networks is constant: the chain from the innermost one up to its root.  We
store the interval starts in a sorted numpy array with, per interval, the id of its innermost
network, and per network the precomputed tuple of keys of its chain.  A query is then a
``np.searchsorted`` (for IPv4 mostly replaced by a direct table lookup) plus a tuple lookup.
"""

from __future__ import annotations

import gc
import ipaddress
import itertools
from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from socket import AF_INET, AF_INET6, inet_pton
from typing import Any, Generic, TypeVar

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from numpy.typing import ArrayLike, NDArray

__all__ = ["ParsedAddresses", "PrefixIndex", "parse_addresses"]

K = TypeVar("K", bound=Hashable)

_V4_BITS = 32
_V6_BITS = 128
_MAPPED_PREFIX = b"\x00" * 10 + b"\xff\xff"  # first 12 bytes of ::ffff:0:0/96
_MAPPED_HIGH = 0xFFFF  # ::ffff:0:0/96 shifted right by 32
_U64 = (1 << 64) - 1
# Exceptions inet_pton raises on bad input: OSError for bad syntax, ValueError for embedded
# NUL or unencodable surrogates, TypeError for a non-str.
_PTON_ERRORS = (OSError, ValueError, TypeError)
# Prefix-length strings taken on the fast path; anything else ("024", netmasks, junk) goes
# through ipaddress.
_PLEN_TEXT = {str(i): i for i in range(_V6_BITS + 1)}
_NO_SLASH = -2
_BAD_PLEN = -1


@dataclass(frozen=True, slots=True)
class ParsedAddresses:
    """Addresses already turned into integers, so they can be matched repeatedly.

    Attributes:
        size: number of input addresses (results have this length).
        v4: IPv4 addresses (including IPv4-mapped IPv6 ones) as uint32.
        v4_positions: for each ``v4`` entry, its index in the input.
        v6: IPv6 addresses as an ``(m, 2)`` uint64 array of (high, low) 64-bit halves.
        v6_positions: for each ``v6`` row, its index in the input.

    Inputs that are not valid addresses appear in neither family and match nothing.
    """

    size: int
    v4: NDArray[np.uint32]
    v4_positions: NDArray[np.intp]
    v6: NDArray[np.uint64]
    v6_positions: NDArray[np.intp]

    @classmethod
    def from_ints(cls, v4: ArrayLike = (), v6: Iterable[int] = ()) -> ParsedAddresses:
        """Build from integers: ``v4`` values in [0, 2**32), then ``v6`` values in [0, 2**128).

        Result positions are all of ``v4`` first, then all of ``v6``.  IPv4-mapped IPv6 values
        are moved to the IPv4 family, as ``parse_addresses`` does.  Out-of-range values raise
        ``ValueError`` (unlike strings, integers come from code, not from users).
        """
        v4_arr = np.asarray(v4).reshape(-1)
        if v4_arr.size and (
            v4_arr.dtype.kind not in "iuO" or v4_arr.min() < 0 or v4_arr.max() > 0xFFFFFFFF
        ):
            raise ValueError("IPv4 values must be integers in [0, 2**32)")
        v4_vals = v4_arr.astype(np.uint32)
        n4 = len(v4_vals)
        extra_v4: list[int] = []
        extra_v4_pos: list[int] = []
        v6_rows: list[tuple[int, int]] = []
        v6_pos: list[int] = []
        for i, value in enumerate(v6, start=n4):
            value = int(value)
            if not 0 <= value < 1 << _V6_BITS:
                raise ValueError(f"IPv6 value out of range: {value!r}")
            if value >> 32 == _MAPPED_HIGH:
                extra_v4.append(value & 0xFFFFFFFF)
                extra_v4_pos.append(i)
            else:
                v6_rows.append((value >> 64, value & _U64))
                v6_pos.append(i)
        return cls(
            size=n4 + len(extra_v4) + len(v6_rows),
            v4=np.concatenate([v4_vals, np.array(extra_v4, dtype=np.uint32)]),
            v4_positions=np.concatenate(
                [np.arange(n4, dtype=np.intp), np.array(extra_v4_pos, dtype=np.intp)]
            ),
            v6=np.array(v6_rows, dtype=np.uint64).reshape(-1, 2),
            v6_positions=np.array(v6_pos, dtype=np.intp),
        )


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while creating many small objects.

    Why: each batch allocates hundreds of thousands of tuples/lists, which triggers repeated
    collections that scan every live object in the process (for a Celery worker holding big
    querysets, 2-5x the cost of the work itself).  Nothing created here can form a cycle.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


# --------------------------------------------------------------------------- address parsing


def _parse_one(address: object) -> tuple[int, int | bytes] | None:
    """Parse one address: (4, int) or (6, 16 packed big-endian bytes), or None if invalid.

    glibc's inet_pton is exactly as strict as ``ipaddress`` for both families (no leading
    zeros, no short forms like "1.2.3", no hex) and far faster; the test suite checks the
    agreement on random strings.
    """
    if not isinstance(address, str):
        return None
    if "%" in address:
        # Zone id: only IPv6 has one; ipaddress rejects an empty one or a second '%'.
        address, _, zone = address.partition("%")
        if not zone or "%" in zone:
            return None
    elif ":" not in address:
        try:
            return 4, int.from_bytes(inet_pton(AF_INET, address), "big")
        except _PTON_ERRORS:
            return None
    try:
        packed = inet_pton(AF_INET6, address)
    except _PTON_ERRORS:
        return None
    if packed[:12] == _MAPPED_PREFIX:
        return 4, int.from_bytes(packed[12:], "big")
    return 6, packed


def _dotted_quad_tables() -> tuple[NDArray[np.int16], NDArray[np.intp], NDArray[np.uint16]]:
    """Tables for ``_fast_v4``, over the 81 "shapes" of a dotted quad (1-3 digits per octet).

    Returns (shape id by ``dot bitmap | length << 15``, -1 if none; per octet and shape the
    column of its last digit; per octet and shape the least value without a leading zero:
    0, 10 or 100 for 1, 2 or 3 digits).  Column 81 of the per-shape tables is a dummy for
    shape -1.
    """
    shape_of = np.full(1 << 19, -1, dtype=np.int16)
    ends = np.zeros((4, 82), dtype=np.intp)
    least = np.zeros((4, 82), dtype=np.uint16)
    for shape, lengths in enumerate(itertools.product((1, 2, 3), repeat=4)):
        column, dots = 0, 0
        for octet, length in enumerate(lengths):
            column += length
            ends[octet, shape] = column - 1
            least[octet, shape] = 0 if length == 1 else 10 ** (length - 1)
            if octet < 3:
                dots |= 1 << column
                column += 1
        shape_of[dots | column << 15] = shape
    return shape_of, ends, least


_SHAPE_OF, _OCTET_END, _OCTET_LEAST = _dotted_quad_tables()
_LENGTH_MASK = ((1 << np.arange(17)) - 1).astype(np.uint16)
_PACK_MAGIC = np.uint64(0x0102040810204080)


def _bitmap16(flags: NDArray[np.bool_]) -> NDArray[np.uint16]:
    """(m, 16) booleans -> (m,) uint16 with bit j = column j.

    Multiplying 8 bytes of 0/1 by this constant gathers them into the top byte without
    carries (bit 56 + i receives byte i), which is far faster than np.packbits on rows.
    """
    words = flags.view("<u8")  # (m, 2): columns 0-7 and 8-15, byte j = bits 8j..8j+7
    low = (words[:, 0] * _PACK_MAGIC) >> np.uint64(56)
    high = (words[:, 1] * _PACK_MAGIC) >> np.uint64(56)
    return (low | (high << np.uint64(8))).astype(np.uint16)


def _fast_v4(addresses: Sequence[str]) -> tuple[NDArray[np.bool_], NDArray[np.uint32]] | None:
    """Vectorised dotted-quad parser: (valid mask, values of the valid ones), or None.

    Why: a Python-level loop costs ~0.5 us per string, the whole budget for 1M addresses/s.
    All strings are joined into one buffer, and each line of 7-15 bytes is copied into a row
    of a 16-column byte matrix.  Bitmaps of digits and dots per row then give the "shape"
    (octet lengths) with one table lookup, which validates the grammar; a Horner pass over the
    columns plus one gather per octet gives the values (which also shows leading zeros: a
    3-digit octet below 100 has one).  It accepts exactly ipaddress's IPv4 grammar (four
    fields of 1-3 ASCII digits, each <= 255, no leading zero, separated by dots, nothing
    else); whatever it rejects is handed to ``_parse_one``.
    Returns None when the buffer cannot be split back into the inputs (a non-str item, or an
    item containing a newline); the caller then parses every item one by one.
    """
    n = len(addresses)
    try:
        # Trailing padding keeps every 16-byte window starting at a line inside the buffer.
        text = "\n".join(itertools.chain(addresses, ("\n" * 15,)))
    except TypeError:
        return None
    # Non-ASCII characters become one '?' each, so line boundaries are kept and such lines are
    # rejected here (the slow path sees the original string).
    buf = np.frombuffer(text.encode("ascii", "replace"), dtype=np.uint8)
    newlines = np.flatnonzero(buf == 10)
    if len(newlines) != n + 15:
        return None
    starts = np.empty(n, dtype=np.intp)
    starts[0] = 0
    starts[1:] = newlines[: n - 1] + 1
    lengths = newlines[:n] - starts
    rows = np.flatnonzero((lengths >= 7) & (lengths <= 15))
    m = len(rows)
    if not m:
        return np.zeros(n, dtype=np.bool_), np.empty(0, dtype=np.uint32)
    digits = sliding_window_view(buf, 16)[starts[rows]] - np.uint8(48)  # (m, 16), '.' -> 254
    length = lengths[rows]
    in_line = _LENGTH_MASK[length]
    is_digit = _bitmap16(digits < 10)
    is_dot = _bitmap16(digits == 254) & in_line
    shape = _SHAPE_OF[is_dot | (length.astype(np.int32) << 15)]
    ok = (shape >= 0) & (((is_digit | is_dot) & in_line) == in_line)
    shape_ix = np.where(ok, shape, 81).astype(np.intp)

    # Horner over columns, restarting after every non-digit: column j then holds the value of
    # the digit run ending at j (uint16 may wrap for long runs, but those rows are not ok).
    columns = np.ascontiguousarray(digits[:, :15].T)
    digit_col = (columns < 10).astype(np.uint16)
    runs = np.empty((15, m), dtype=np.uint16)
    current = np.zeros(m, dtype=np.uint16)
    for j in range(15):
        np.multiply(current, 10, out=current)
        np.add(current, columns[j], out=current, casting="unsafe")
        np.multiply(current, digit_col[j], out=current)
        runs[j] = current
    flat_runs = runs.reshape(-1)
    row_ids = np.arange(m, dtype=np.intp)
    value = np.zeros(m, dtype=np.uint32)
    for octet in range(4):
        index = _OCTET_END[octet].take(shape_ix)
        index *= m
        index += row_ids
        octet_value = flat_runs.take(index)
        ok &= octet_value <= 255
        ok &= octet_value >= _OCTET_LEAST[octet].take(shape_ix)  # no leading zero
        value <<= 8
        value |= octet_value
    valid = np.zeros(n, dtype=np.bool_)
    valid[rows[ok]] = True
    return valid, value[ok]


def _parse_rest(
    addresses: Sequence[str], positions: NDArray[np.intp]
) -> tuple[NDArray[np.uint32], NDArray[np.intp], NDArray[np.uint64], NDArray[np.intp]]:
    """Parse the items the fast path did not take: (IPv4 values, their positions, IPv6 as
    (high, low) rows, their positions).

    Most are IPv6: each chunk is first tried in one C-level pass of inet_pton (an exception
    means some item in it needs the careful per-item path: zone ids, IPv4, junk).
    """
    v4: list[int] = []
    v4_pos: list[int] = []
    v6: list[bytes] = []
    v6_pos: list[int] = []
    chunk = 512
    todo = positions.tolist()
    for begin in range(0, len(todo), chunk):
        part = todo[begin : begin + chunk]
        items = list(map(addresses.__getitem__, part))
        try:
            packed = list(map(inet_pton, itertools.repeat(AF_INET6), items))
        except _PTON_ERRORS:
            for i, item in zip(part, items, strict=True):
                parsed = _parse_one(item)
                if parsed is None:
                    continue
                if parsed[0] == 4:
                    v4.append(parsed[1])  # type: ignore[arg-type]
                    v4_pos.append(i)
                else:
                    v6.append(parsed[1])  # type: ignore[arg-type]
                    v6_pos.append(i)
            continue
        v6.extend(packed)
        v6_pos.extend(part)
    rows = np.frombuffer(b"".join(v6), dtype=">u8").reshape(-1, 2).astype(np.uint64)
    rows_pos = np.array(v6_pos, dtype=np.intp)
    # The bulk pass does not single out IPv4-mapped addresses; do it here, vectorised.
    mapped = (rows[:, 0] == 0) & ((rows[:, 1] >> np.uint64(32)) == _MAPPED_HIGH)
    return (
        np.concatenate([np.array(v4, dtype=np.uint32), rows[mapped, 1].astype(np.uint32)]),
        np.concatenate([np.array(v4_pos, dtype=np.intp), rows_pos[mapped]]),
        rows[~mapped],
        rows_pos[~mapped],
    )


def parse_addresses(addresses: Sequence[str]) -> ParsedAddresses:
    """Parse address strings once, for ``PrefixIndex.match_parsed``.

    Invalid items (see the module docstring) are dropped and match nothing.
    """
    with _gc_paused():
        return _parse_addresses(addresses)


def _parse_addresses(addresses: Sequence[str]) -> ParsedAddresses:
    n = len(addresses)
    fast = _fast_v4(addresses) if n else None
    if fast is None:
        valid = np.zeros(n, dtype=np.bool_)
        fast_values = np.empty(0, dtype=np.uint32)
    else:
        valid, fast_values = fast
    v4, v4_pos, v6, v6_pos = _parse_rest(addresses, np.flatnonzero(~valid))
    return ParsedAddresses(
        size=n,
        v4=np.concatenate([fast_values, v4]),
        v4_positions=np.concatenate([np.flatnonzero(valid), v4_pos]),
        v6=v6,
        v6_positions=v6_pos,
    )


# --------------------------------------------------------------------------- network parsing


def _parse_network(network: object) -> tuple[int, int, int]:
    """Return (family, first address as int, prefix length), IPv4-mapped networks as IPv4.

    The careful path, via ``ipaddress.ip_network(strict=False)`` so semantics and messages
    stay the library's; ``_parse_networks`` only sends it what its fast path does not take.
    """
    try:
        net = ipaddress.ip_network(network, strict=False)  # type: ignore[arg-type]
    except (ValueError, TypeError) as exc:
        raise ValueError(f"invalid network {network!r}: {exc}") from exc
    value, plen = int(net.network_address), net.prefixlen
    if net.version == 6 and plen >= 96 and value >> 32 == _MAPPED_HIGH:
        return 4, value & 0xFFFFFFFF, plen - 96
    return net.version, value, plen


@dataclass(slots=True)
class _Family:
    """Networks of one family, in input order (host bits cleared)."""

    starts: NDArray[Any]  # uint64 for IPv4; object (Python ints) for IPv6
    plens: NDArray[np.int64]
    positions: NDArray[np.intp]  # index of each pair in the input


def _parse_networks(networks: list[object]) -> tuple[_Family, _Family]:
    """Parse all network strings, raising ValueError naming the first invalid one.

    The common "address/length" and bare-address forms go through the bulk address parser
    (so that 100k-prefix indexes build in well under a second); everything else (netmask
    forms, "024", IPv4-mapped, errors) goes one by one through ``_parse_network``.
    """
    n = len(networks)
    try:
        parts = [net.partition("/") for net in networks]  # type: ignore[attr-defined]
    except (AttributeError, TypeError):
        parts = [("", "/", "") for _ in networks]  # a non-str: everything the careful way
    addrs = [addr for addr, _, _ in parts]
    plen = np.array(
        [_PLEN_TEXT.get(text, _BAD_PLEN) if slash else _NO_SLASH for _, slash, text in parts],
        dtype=np.int64,
    ).reshape(-1)
    fast = _fast_v4(addrs) if n else None
    v4_ok = np.zeros(n, dtype=np.bool_) if fast is None else fast[0].copy()
    # Of the rest, only plain IPv6 is taken here: an IPv4-mapped address parses as IPv4 but
    # its prefix length counts IPv6 bits.
    _, _, v6_rows, v6_found = _parse_rest(addrs, np.flatnonzero(~v4_ok))
    v6_ok = np.zeros(n, dtype=np.bool_)
    v6_ok[v6_found] = True
    v4_ok &= (plen == _NO_SLASH) | ((plen >= 0) & (plen <= _V4_BITS))
    v6_ok &= plen != _BAD_PLEN

    v4_value = np.zeros(n, dtype=np.uint64)
    if fast is not None:
        v4_value[fast[0]] = fast[1]
    v6_value = np.zeros(n, dtype=object)
    v6_value[v6_found] = [(high << 64) | low for high, low in v6_rows.tolist()]
    by_family: dict[int, list[tuple[int, int, int]]] = {4: [], 6: []}
    for i in np.flatnonzero(~(v4_ok | v6_ok)).tolist():
        family, value, length = _parse_network(networks[i])
        by_family[family].append((i, value, length))

    def combine(ok: NDArray[np.bool_], values: NDArray[Any], bits: int) -> _Family:
        pos = np.flatnonzero(ok)
        starts = values[pos]
        plens = np.where(plen[pos] == _NO_SLASH, bits, plen[pos])
        extra = by_family[4 if bits == _V4_BITS else 6]
        if extra:
            pos = np.concatenate([pos, np.array([e[0] for e in extra], dtype=np.intp)])
            starts = np.concatenate([starts, np.array([e[1] for e in extra], dtype=values.dtype)])
            plens = np.concatenate([plens, np.array([e[2] for e in extra], dtype=np.int64)])
            order = np.argsort(pos, kind="stable")
            pos, starts, plens = pos[order], starts[order], plens[order]
        # strict=False: clear host bits.
        if values.dtype == object:
            host = [bits - p for p in plens.tolist()]
            cleared = [(s >> h) << h for s, h in zip(starts.tolist(), host, strict=True)]
            starts = np.array(cleared, dtype=object).reshape(-1)
        else:
            host_bits = (bits - plens).astype(np.uint64)
            starts = (starts >> host_bits) << host_bits
        return _Family(starts, plens.astype(np.int64), pos.astype(np.intp))

    return combine(v4_ok, v4_value, _V4_BITS), combine(v6_ok, v6_value, _V6_BITS)


# --------------------------------------------------------------------------- index building


def _flatten(
    family: _Family, keys: list[Any], bits: int, covers: list[list[Any]]
) -> tuple[NDArray[Any], NDArray[np.int64]]:
    """Flatten one family's networks into elementary intervals.

    Appends to ``covers``, for each distinct network, its keys (input order) followed by its
    ancestors' keys, i.e. most specific first.  Returns the sorted interval starts (dtype of
    ``family.starts``, the first one 0) and, per interval, the ``covers`` index of its
    innermost network (0 = none).

    All steps are array operations so that 100k networks take tens of milliseconds; for IPv6
    the arrays hold Python ints (object dtype): few networks, and no 128-bit integer dtype.
    """
    count = len(family.plens)
    if not count:
        return np.zeros(1, dtype=family.starts.dtype), np.zeros(1, dtype=np.int64)
    offset = len(covers)
    plens = family.plens
    if family.starts.dtype == object:
        sizes = np.array([1 << (bits - p) for p in plens.tolist()], dtype=object)
        sort_key: NDArray[Any] = family.starts * 256 + plens  # object or uint64 dtype
        top: Any = 1 << bits
    else:
        sizes = np.uint64(1) << (bits - plens).astype(np.uint64)
        sort_key = family.starts * np.uint64(256) + plens.astype(np.uint64)
        top = np.uint64(1 << bits)
    # Sorting by (start, prefix length) puts every network after all networks containing it
    # (preorder of the forest); stable, so identical networks keep input order.
    order = np.argsort(sort_key, kind="stable")
    sorted_key = sort_key[order]
    new = np.ones(count, dtype=np.bool_)
    new[1:] = sorted_key[1:] != sorted_key[:-1]
    group_begin = np.flatnonzero(new)
    m = len(group_begin)
    start = family.starts[order[group_begin]]
    end = start + sizes[order[group_begin]] - 1  # inclusive

    # Depth = networks before this one in preorder that are still open at its start; the
    # parent is the last network before it in preorder one level up.
    index = np.arange(m, dtype=np.int64)
    depth = index - np.searchsorted(np.sort(end), start, side="left")
    by_depth = np.argsort(depth, kind="stable")
    levels = depth[by_depth] * (m + 1) + by_depth  # ascending
    parent = by_depth[np.searchsorted(levels, (depth - 1) * (m + 1) + index) - 1]
    parent[depth == 0] = -1

    # Interval boundaries.  At a network's start, the innermost network is the deepest one
    # starting there (the last in preorder).  Just after a network's end, it is the lowest
    # ancestor that ends later (several nested networks may share an end).
    at_start = np.ones(m, dtype=np.bool_)
    at_start[:-1] = start[1:] != start[:-1]
    start_nodes = np.flatnonzero(at_start)
    after = end + 1
    end_nodes = np.flatnonzero(after < top)
    owner = parent[end_nodes]
    while True:
        pending = np.flatnonzero(owner >= 0)
        pending = pending[end[owner[pending]] <= end[end_nodes[pending]]]
        if not len(pending):
            break
        owner[pending] = parent[owner[pending]]
    points = np.concatenate([np.zeros(1, dtype=start.dtype), start[start_nodes], after[end_nodes]])
    inner = np.concatenate([[-1], start_nodes, owner])
    # At equal points a start beats an end, which beats the initial "nothing" at 0.
    priority = np.concatenate(
        [[0], np.full(len(start_nodes), 2), np.full(len(end_nodes), 1)]
    ).astype(np.uint64 if start.dtype != object else np.int64)
    by_point = np.argsort(
        points * (4 if start.dtype == object else np.uint64(4)) + priority, kind="stable"
    )
    points, inner = points[by_point], inner[by_point]
    last = np.ones(len(points), dtype=np.bool_)
    last[:-1] = points[1:] != points[:-1]
    points, inner = points[last], inner[last]

    sorted_keys = [keys[i] for i in family.positions[order].tolist()]
    bounds = [*group_begin.tolist(), count]
    for k, p in enumerate(parent.tolist()):
        own = sorted_keys[bounds[k] : bounds[k + 1]]
        covers.append(own + covers[offset + p] if p >= 0 else own)
    return points, np.where(inner >= 0, inner + offset, 0).astype(np.int64)


def _frozen(array: NDArray[Any]) -> NDArray[Any]:
    array.flags.writeable = False
    return array


class PrefixIndex(Generic[K]):
    """Immutable index of (key, network) pairs; see the module docstring for semantics.

    Build with ``PrefixIndex.from_pairs``.  Safe to share between threads.
    """

    __slots__ = (
        "_block_node",
        "_block_shift",
        "_covers",
        "_size",
        "_v4_nodes",
        "_v4_starts",
        "_v6_high",
        "_v6_nodes",
        "_v6_starts",
    )

    _covers: list[list[K]]  # never handed out: results are copies
    _size: int
    _v4_starts: NDArray[np.uint32]
    _v4_nodes: NDArray[np.int64]
    _block_node: NDArray[np.int32]
    _block_shift: np.uint32
    _v6_starts: NDArray[np.bytes_]
    _v6_high: NDArray[np.uint64]  # high 64 bits of each of _v6_starts
    _v6_nodes: NDArray[np.int64]

    def __init__(self) -> None:
        raise TypeError("use PrefixIndex.from_pairs()")

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("PrefixIndex is immutable")

    @classmethod
    def from_pairs(cls, pairs: Iterable[tuple[K, str]]) -> PrefixIndex[K]:
        """Build an index from (key, network string) pairs.

        Keys are any hashable (typically primary keys); several pairs may share a key or a
        network.  Raises ``ValueError`` naming the first invalid network.  IPv6 networks are
        built with Python ints (numpy has no 128-bit integers): several times slower than
        IPv4, which is fine for the few percent of IPv6 that indicator feeds hold.
        """
        with _gc_paused():
            pair_list = list(pairs)
            keys = [key for key, _ in pair_list]
            v4, v6 = _parse_networks([network for _, network in pair_list])
            covers: list[list[K]] = [[]]
            v4_starts, v4_nodes = _flatten(v4, keys, _V4_BITS, covers)
            v6_starts, v6_nodes = _flatten(v6, keys, _V6_BITS, covers)
        starts = v4_starts.astype(np.uint32)

        # Direct lookup table on the top bits of an IPv4 address: for each block that no
        # interval boundary splits, the answer without a binary search (which costs ~150 ns
        # of cache misses per address on 100k networks).  Other blocks: -1, search.
        table_bits = min(20, max(8, len(starts).bit_length() + 2))
        shift = _V4_BITS - table_bits
        low_bits = np.uint32((1 << shift) - 1)
        block_of = starts >> np.uint32(shift)
        aligned = (starts & low_bits) == 0
        # Interval holding a block's first address: starts in earlier blocks, plus one that
        # sits exactly on the block's first address, minus one (starts[0] == 0 is aligned).
        before = np.zeros(1 << table_bits, dtype=np.int64)
        before[1:] = np.cumsum(np.bincount(block_of, minlength=1 << table_bits))[:-1]
        before[block_of[aligned]] += 1
        block_node = v4_nodes[before - 1].astype(np.int32)
        block_node[block_of[~aligned]] = -1  # an interval starts inside: binary search

        self = object.__new__(cls)
        setter: Callable[[object, str, object], None] = object.__setattr__
        setter(self, "_covers", covers)
        setter(self, "_size", len(pair_list))
        setter(self, "_v4_starts", _frozen(starts))
        setter(self, "_v4_nodes", _frozen(v4_nodes))
        setter(self, "_block_node", _frozen(block_node))
        setter(self, "_block_shift", np.uint32(shift))
        # 128-bit starts as 16-byte big-endian strings: numpy compares fixed-width bytes like
        # memcmp, which for big-endian equals numeric order, so searchsorted just works.
        packed = b"".join(int(s).to_bytes(16, "big") for s in v6_starts.tolist())
        v6_packed = np.frombuffer(packed, dtype="S16").copy()
        setter(self, "_v6_starts", _frozen(v6_packed))
        setter(self, "_v6_high", _frozen(v6_packed.view(">u8")[::2].astype(np.uint64)))
        setter(self, "_v6_nodes", _frozen(v6_nodes))
        return self

    def __len__(self) -> int:
        """Number of (key, network) pairs indexed."""
        return self._size

    def __repr__(self) -> str:
        return f"<PrefixIndex: {self._size} networks>"

    def match(self, addresses: Sequence[str]) -> list[list[K]]:
        """For each address string, the keys of its containing networks, most specific first.

        Invalid items get an empty list.
        """
        return self.match_parsed(parse_addresses(addresses))

    def match_one(self, address: str) -> list[K]:
        """Like ``match([address])[0]``, with less overhead for a single address."""
        parsed = _parse_one(address)
        if parsed is None:
            return []
        family, value = parsed
        if family == 4:
            i = int(np.searchsorted(self._v4_starts, np.uint32(value), side="right")) - 1
            return self._covers[int(self._v4_nodes[i])].copy()
        i = int(np.searchsorted(self._v6_starts, np.bytes_(value), side="right")) - 1
        return self._covers[int(self._v6_nodes[i])].copy()

    def match_parsed(self, parsed: ParsedAddresses) -> list[list[K]]:
        """Match addresses parsed by ``parse_addresses`` (or ``ParsedAddresses.from_ints``)."""
        nodes = np.zeros(parsed.size, dtype=np.int64)
        if len(parsed.v4):
            v4 = parsed.v4.astype(np.uint32, copy=False)
            found = self._block_node.take(v4 >> self._block_shift).astype(np.int64)
            search = np.flatnonzero(found < 0)
            i = np.searchsorted(self._v4_starts, v4[search], side="right") - 1
            found[search] = self._v4_nodes[i]
            nodes[parsed.v4_positions] = found
        if len(parsed.v6):
            # Search the high 64 bits first (fast integer compares); only where some interval
            # start shares them, compare all 128 bits (as 16-byte strings: slower).
            high = np.ascontiguousarray(parsed.v6[:, 0], dtype=np.uint64)
            i = np.searchsorted(self._v6_high, high, side="left")
            tie = np.flatnonzero(i != np.searchsorted(self._v6_high, high, side="right"))
            i -= 1
            if len(tie):
                packed = np.ascontiguousarray(parsed.v6[tie], dtype=">u8").view("S16")
                i[tie] = np.searchsorted(self._v6_starts, packed.reshape(-1), side="right") - 1
            nodes[parsed.v6_positions] = self._v6_nodes[i]
        with _gc_paused():
            # One C-level pass; most addresses get a copy of the shared empty list.
            out: list[list[K]] = list(map(list.copy, map(self._covers.__getitem__, nodes.tolist())))
        return out
