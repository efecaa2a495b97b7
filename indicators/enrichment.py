"""Offline enrichment: ASN organisation and country for an address, without a network call.

Uses the data files bundled with the `geoip2fast` package (derived from MaxMind GeoLite2,
CC BY-SA 4.0). The data is loaded once per process, on first use (~0.3 s, ~100 MB), and
shared by every request and task of that process. The bundled data knows AS organisation
names but not AS numbers, so `asn` is None from this source; evidence and warn-list entries
can name an AS by its organisation name (see `indicators.matching_service`).
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from datetime import date
from functools import cache

DATA_FILE = "geoip2fast-asn-ipv6.dat.gz"
ATTRIBUTION = (
    "IP geolocation and AS data: GeoLite2 data created by MaxMind, available from "
    "https://www.maxmind.com, licensed under CC BY-SA 4.0; packaged by geoip2fast."
)
_lock = threading.Lock()


@dataclass(frozen=True)
class Enrichment:
    asn: int | None
    as_org: str
    country: str
    source: str


@dataclass(frozen=True)
class SourceInfo:
    name: str
    data_date: date | None
    attribution: str


@cache
def _reader():
    from geoip2fast import GeoIP2Fast

    with _lock:
        return GeoIP2Fast(geoip2fast_data_file=DATA_FILE, verbose=False)


@cache
def source_info() -> SourceInfo:
    """The data's name and date, for display next to enriched values."""
    raw = _reader().get_database_info().get("source_info", "")
    found = re.search(r"(\d{4})(\d{2})(\d{2})$", raw)
    data_date = date(*map(int, found.groups())) if found else None
    return SourceInfo(name=raw or "geoip2fast", data_date=data_date, attribution=ATTRIBUTION)


def source_label() -> str:
    info = source_info()
    return f"{info.name} ({info.data_date:%Y-%m-%d})" if info.data_date else info.name


def enrich(address: str) -> Enrichment:
    """AS organisation and country of a normalised public address ('' when unknown)."""
    result = _reader().lookup(address)
    country = getattr(result, "country_code", "") or ""
    as_org = getattr(result, "asn_name", "") or ""
    if len(country) != 2 or not country.isalpha():  # "--" for unknown or private
        country = ""
    return Enrichment(asn=None, as_org=as_org[:200], country=country, source=source_label())
