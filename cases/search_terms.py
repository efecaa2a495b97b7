"""What a value typed into the search box could be: the global search's recogniser.

Pure Python (no Django import), like `normalise`, whose parsers it reuses so that a search
reads a value exactly as a submission stored it. `recognise(query)` returns every reading
of the query, because one value often has several: `0812345678` is a Thai phone number and
a bank account number, `t.me/name` a domain and a Telegram handle. The search runs each.

`check_query` refuses what is no search at all (empty, too long, control characters) with a
code the page or the API turns into a message; `recognise` never raises.

A reading carries only what the query says; nothing here knows what was reported, so the
readings of two values of the same shape are the same whoever reported them.
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from dataclasses import dataclass

from . import normalise

MAX_LENGTH = 200

# Kinds of reading.
IP = "ip"  # one address; value: its compressed form (IPv4-mapped IPv6 as IPv4)
NETWORK = "network"  # a CIDR prefix; value: the prefix with host bits cleared
PHONE = "phone"  # value: E.164
ACCOUNT = "account"  # a bank account number without its bank; value: digits (or IBAN letters)
WALLET = "wallet"  # a crypto wallet address without its chain; value: as stored (canonical)
DOMAIN = "domain"  # a domain or URL; value: the host in lower-case punycode, no www.
HANDLE = "handle"  # value: the handle; key: "platform:handle" when a platform was named
VICTIM_REF = "victim_ref"  # VR-000123; value: the record's id
CASE_REF = "case_ref"  # CASE-000123; value: the case's id
NAME = "name"  # a person's name, as a prefix; value: case-folded, spaces collapsed
PASSPORT = "passport"  # value: the query as typed (the victims app normalises and hashes it)
TEXT = "text"  # any query: words in a case title or a compound's name; value: spaces collapsed

KINDS = (IP, NETWORK, PHONE, ACCOUNT, WALLET, DOMAIN, HANDLE, VICTIM_REF, CASE_REF, NAME)


class QueryProblem(ValueError):
    """The query is no search: `code` is "empty", "too_long" or "control"."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class Reading:
    kind: str
    value: str
    key: str = ""  # a qualified key when the query named the qualifier (a handle's platform)


def check_query(query: object) -> str:
    """The query, NFKC-normalised and stripped; QueryProblem if it is no search."""
    if not isinstance(query, str):
        raise QueryProblem("empty")
    if any(unicodedata.category(char) == "Cc" for char in query):
        raise QueryProblem("control")  # NUL, tab, newline, escape: never part of a value
    text = unicodedata.normalize("NFKC", query).strip()
    if not text:
        raise QueryProblem("empty")
    if len(text) > MAX_LENGTH:
        raise QueryProblem("too_long")
    return text


def victim_reference(record_id: int) -> str:
    return f"VR-{record_id:06d}"


def case_reference(case_id: int) -> str:
    return f"CASE-{case_id:06d}"


_VICTIM_REF = re.compile(r"VR[-\s#]*0*(\d{1,12})", re.IGNORECASE)
_CASE_REF = re.compile(r"CASE[-\s#]*0*(\d{1,12})", re.IGNORECASE)
_URL_HOST = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://(?:[^/@?#]*@)?(\[[^\]]+\]|[^/:?#]+)")
_PHONE_SHAPE = re.compile(r"[+0-9 ()./\-]{6,40}")
_IBAN = re.compile(r"[A-Z]{2}[0-9]{2}[A-Z0-9]{8,30}")
_WALLET_SHAPE = re.compile(r"[A-Za-z0-9:._-]{25,128}")
_HANDLE_PLATFORM = re.compile(r"^(?P<platform>[^\s:@/]+)\s*[:\s]\s*@?(?P<handle>[^\s@/]+)$")


def recognise(query: str) -> list[Reading]:
    """Every reading of `query`, most specific first; [] for a query `check_query` refuses."""
    try:
        text = check_query(query)
    except QueryProblem:
        return []
    found: list[Reading] = []
    for reader in (
        _references,
        _ip,
        _phone,
        _account,
        _wallet,
        _domain,
        _handle,
        _name,
        _passport,
    ):
        for reading in reader(text):
            if reading not in found:
                found.append(reading)
    kinds = {reading.kind for reading in found}
    if DOMAIN in kinds:  # scam-shop.example is a domain, not a person called that
        found = [reading for reading in found if reading.kind != NAME]
    if kinds & {IP, NETWORK}:  # 45.67.89.5 is an address, not a phone or account 4567895
        found = [reading for reading in found if reading.kind not in (ACCOUNT, PHONE)]
    if kinds & {VICTIM_REF, CASE_REF}:
        found = [reading for reading in found if reading.kind != PASSPORT]
    found.append(Reading(TEXT, " ".join(text.split())))
    return found


def _references(text: str) -> list[Reading]:
    out = []
    if match := _VICTIM_REF.fullmatch(text):
        out.append(Reading(VICTIM_REF, str(int(match.group(1)))))
    if match := _CASE_REF.fullmatch(text):
        out.append(Reading(CASE_REF, str(int(match.group(1)))))
    return out


def _unmap(address: ipaddress.IPv4Address | ipaddress.IPv6Address):
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _ip(text: str) -> list[Reading]:
    candidate = text
    if match := _URL_HOST.match(text):  # http://203.0.113.7/login: the host is an address
        candidate = match.group(1)
    candidate = candidate.strip("[]")
    if "%" in candidate:
        return []  # zone ids name an interface on one machine, never a reported address
    if "/" in candidate:
        try:
            network = ipaddress.ip_network(candidate, strict=False)
        except ValueError:
            return []
        if isinstance(network, ipaddress.IPv6Network) and network.prefixlen >= 96:
            mapped = network.network_address.ipv4_mapped
            if mapped is not None:
                network = ipaddress.ip_network(f"{mapped}/{network.prefixlen - 96}")
        if network.prefixlen == 0:
            return []  # the whole internet is no search
        if network.num_addresses == 1:
            return [Reading(IP, str(network.network_address))]
        return [Reading(NETWORK, str(network))]
    try:
        address = _unmap(ipaddress.ip_address(candidate))
    except ValueError:
        return []
    return [Reading(IP, address.compressed)]


def _phone(text: str) -> list[Reading]:
    if not _PHONE_SHAPE.fullmatch(text) or sum(c.isdigit() for c in text) < 6:
        return []
    candidates = [text]
    digits = re.sub(r"\D", "", text)
    if not text.startswith(("+", "0")) and 8 <= len(digits) <= 15:
        candidates.append("+" + digits)  # 66812345678: a country code without its +
    out = []
    for candidate in candidates:
        try:
            e164, _details = normalise.phone({"number": candidate})
        except ValueError:
            continue
        out.append(Reading(PHONE, e164))
    return out


def _account(text: str) -> list[Reading]:
    compact = re.sub(r"[\s\-]", "", text)
    if compact.isascii() and compact.isdigit() and 6 <= len(compact) <= 20:
        return [Reading(ACCOUNT, compact)]
    if _IBAN.fullmatch(compact.upper()) and compact.isascii():
        return [Reading(ACCOUNT, compact.upper())]
    return []


def _wallet(text: str) -> list[Reading]:
    for chain in ("BTC", "ETH", "TRON"):
        try:
            _key, details = normalise.crypto_wallet({"chain": chain, "address": text})
        except ValueError:
            continue
        return [Reading(WALLET, details["address"])]
    if re.fullmatch(r"0[xX][0-9a-fA-F]{40}", text):
        return [Reading(WALLET, "0x" + text[2:].lower())]  # stored lower-case
    if (
        _WALLET_SHAPE.fullmatch(text)
        and any(c.isdigit() for c in text)
        and any(c.isalpha() for c in text)
    ):
        return [Reading(WALLET, text)]  # another chain's address: kept as typed
    return []


def _domain(text: str) -> list[Reading]:
    if "." not in text or any(c.isspace() for c in text):
        return []
    try:
        host, _details = normalise.domain({"url": text})
    except ValueError:
        return []
    return [Reading(DOMAIN, host)]


def _handle(text: str) -> list[Reading]:
    if text.startswith("@"):
        name = text[1:].strip().casefold()
        if name and len(name) <= 100 and not any(c.isspace() for c in name):
            return [Reading(HANDLE, name)]
        return []
    if match := normalise.PROFILE_URL.match(text):
        platform = _URL_PLATFORMS.get(_url_host(text), "")
        name = match.group("handle").lstrip("@").casefold()
        return [Reading(HANDLE, name, f"{platform}:{name}" if platform else "")]
    if match := _HANDLE_PLATFORM.match(text):
        named = normalise.PLATFORM_INDEX.get(match.group("platform").casefold())
        if named:
            try:
                key, details = normalise.handle(
                    {"platform": named, "handle": match.group("handle")}
                )
            except ValueError:
                return []
            return [Reading(HANDLE, details["handle"], key)]
    return []


_URL_PLATFORMS = {
    "t.me": "telegram",
    "telegram.me": "telegram",
    "facebook.com": "facebook",
    "fb.com": "facebook",
    "instagram.com": "instagram",
    "tiktok.com": "tiktok",
    "x.com": "x",
    "twitter.com": "x",
    "line.me": "line",
}


def _url_host(text: str) -> str:
    rest = re.sub(r"^(?:https?://)?(?:www\.)?", "", text, flags=re.IGNORECASE)
    return rest.split("/")[0].casefold()


def _name(text: str) -> list[Reading]:
    words = text.split()
    letters = sum(c.isalpha() for c in text)
    if letters < 2 or len(text) > 100:
        return []
    if not all(c.isalpha() or c in " '\u2019-." or unicodedata.category(c) == "Mn" for c in text):
        return []  # digits or symbols: a number, an address, a handle, not a name
    return [Reading(NAME, " ".join(words).casefold())]


def _passport(text: str) -> list[Reading]:
    compact = re.sub(r"[\s\-]", "", text)
    if (
        compact.isascii()
        and compact.isalnum()
        and 5 <= len(compact) <= 20
        and any(c.isdigit() for c in compact)
    ):
        return [Reading(PASSPORT, text)]
    return []
