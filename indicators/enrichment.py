"""Offline enrichment: ASN organisation and country for an address, without a network call.

Uses the data files bundled with the `geoip2fast` package (derived from MaxMind GeoLite2,
CC BY-SA 4.0). The data is loaded once per process, on first use (~0.3 s, ~100 MB), and
shared by every request and task of that process. The bundled data knows AS organisation
names but not AS numbers, so `asn` is None from this source; evidence and warn-list entries
can name an AS by its organisation name (see `indicators.matching_service`).

When `settings.GEOIP_MMDB_PATH` names MaxMind-format `.mmdb` files, they replace the bundled
data entirely (no mixing of sources for one address): GeoLite2-ASN records give the AS number
and organisation, GeoLite2-Country/City records the country (`country.iso_code`, else
`registered_country.iso_code`); a combined file may carry both. The source shown is each
file's `database_type` and build date (`metadata.build_epoch`).
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

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


def source_info() -> SourceInfo:
    """The data's name and date, for display next to enriched values."""
    paths = _mmdb_paths()
    if paths:
        return _mmdb_source_info(paths)
    return _bundled_source_info()


@cache
def _bundled_source_info() -> SourceInfo:
    raw = _reader().get_database_info().get("source_info", "")
    found = re.search(r"(\d{4})(\d{2})(\d{2})$", raw)
    data_date = date(*map(int, found.groups())) if found else None
    return SourceInfo(name=raw or "geoip2fast", data_date=data_date, attribution=ATTRIBUTION)


def source_label() -> str:
    info = source_info()
    if _mmdb_paths():
        return info.name[:120]  # each file's name carries its own date
    return f"{info.name} ({info.data_date:%Y-%m-%d})" if info.data_date else info.name


# --- MaxMind-format .mmdb files ------------------------------------------------------------


def _mmdb_paths() -> tuple[str, ...]:
    configured = getattr(settings, "GEOIP_MMDB_PATH", None) or ()
    if isinstance(configured, str):  # tolerate a plain string set in a test or a local file
        configured = configured.split(",")
    return tuple(str(p).strip() for p in configured if str(p).strip())


@cache
def _mmdb_open(path: str):
    """One reader per file per process (memory-mapped, shared by requests and tasks)."""
    import maxminddb

    try:
        return maxminddb.open_database(path)
    except (
        OSError,
        ValueError,
        maxminddb.InvalidDatabaseError,
    ) as exc:  # missing, unreadable, not an mmdb
        raise ImproperlyConfigured(
            f"GEOIP_MMDB_PATH: cannot read {path!r} as a MaxMind .mmdb file ({exc}). "
            "Fix the path or unset GEOIP_MMDB_PATH to use the bundled geoip2fast data."
        ) from exc


def mmdb_check() -> None:
    """Open every configured .mmdb file now; raise ImproperlyConfigured if one fails."""
    for path in _mmdb_paths():
        _mmdb_open(path)


def _mmdb_source_info(paths: tuple[str, ...]) -> SourceInfo:
    names: list[str] = []
    dates: list[date] = []
    maxmind = False
    for path in paths:
        meta = _mmdb_open(path).metadata()
        built = datetime.fromtimestamp(meta.build_epoch, tz=UTC).date()
        dates.append(built)
        db_type = str(meta.database_type or "mmdb")
        maxmind = maxmind or db_type.startswith("GeoLite2") or db_type.startswith("GeoIP2")
        names.append(f"{db_type} ({built:%Y-%m-%d})")
    attribution = (
        ATTRIBUTION.replace("; packaged by geoip2fast.", ".")
        if maxmind
        else "IP data: MaxMind-format database files configured by the operator."
    )
    return SourceInfo(name=" + ".join(names), data_date=min(dates), attribution=attribution)


def _mmdb_enrich(paths: tuple[str, ...], address: str) -> Enrichment:
    asn: int | None = None
    as_org = country = ""
    for path in paths:
        record = _mmdb_open(path).get(address)
        if not isinstance(record, dict):
            continue
        number = record.get("autonomous_system_number")
        if asn is None and isinstance(number, int) and number > 0:
            asn = number
        as_org = as_org or str(record.get("autonomous_system_organization") or "")
        for key in ("country", "registered_country"):
            place = record.get(key)
            code = place.get("iso_code") if isinstance(place, dict) else None
            if not country and isinstance(code, str) and len(code) == 2 and code.isalpha():
                country = code.upper()
    return Enrichment(asn=asn, as_org=as_org[:200], country=country, source=source_label())


def enrich(address: str) -> Enrichment:
    """AS number, organisation and country of a normalised public address ('' when unknown)."""
    paths = _mmdb_paths()
    if paths:
        return _mmdb_enrich(paths, address)
    result = _reader().lookup(address)
    country = getattr(result, "country_code", "") or ""
    as_org = getattr(result, "asn_name", "") or ""
    if len(country) != 2 or not country.isalpha():  # "--" for unknown or private
        country = ""
    return Enrichment(asn=None, as_org=as_org[:200], country=country, source=source_label())
