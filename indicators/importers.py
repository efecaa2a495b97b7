"""Turn uploaded text into rows for the services. Parsing only: no database writes here.

Submissions (officers)
----------------------
* Pasted text: one address a line, optionally ``address,seen_at,context[,port[,note]]``.
  Missing fields take the form's defaults. Lines starting with ``#`` and blank lines are skipped.
* CSV upload: a header line naming the columns ``address`` (required), ``seen_at``,
  ``context``, ``port``, ``note``; missing columns take the form's defaults.
  ``seen_at`` is ISO 8601 with an offset (``2026-05-01T14:03:00+07:00`` or ``...Z``);
  ``context`` is one of scam_call, chat, victim_login, scam_website, other.

Catalogue (police analysts, platform admins): `import_compounds FILE` and the upload page
------------------------------------------------------------------------------------------
* **CSV**: header ``compound,country,area,latitude,longitude,status,aliases,prefix,asn,as_org,
  valid_from,valid_to,confidence,source,notes`` (only ``compound`` is required). Each row
  creates or updates the compound by name (non-empty compound fields overwrite; ``country``
  is needed when it is new; ``aliases`` separated by ``|``) and, when ``prefix`` or
  ``asn``/``as_org`` is given, adds that network evidence to it.
* **JSON**: ``{"compounds": [{"name", "country", "area", "latitude", "longitude", "status",
  "aliases": [...], "sources", "notes", "evidence": [{"prefix" | "asn" / "as_org",
  "valid_from", "valid_to", "confidence", "source", "notes"}]}], "warn_list": [{"prefix" |
  "asn" / "as_org", "category", "reason"}]}``. Errors name the item (``compounds[2].evidence[0]``).
* **Geofeed** (RFC 8805, as network operators publish them): ``prefix,country,region,city,
  postal`` per line, ``#`` comments; every prefix becomes evidence of the compound named by
  ``--compound`` (or the form's compound field), with the location in its notes.

Re-importing a file changes nothing: compounds are matched by name, evidence by (compound,
prefix or AS, window), warn-list entries by prefix or AS; identical rows are left alone.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.utils.translation import gettext as _

from .services import MAX_BATCH_ROWS

SUBMISSION_COLUMNS = ("address", "seen_at", "context", "port", "note")
CATALOGUE_COLUMNS = (
    "compound",
    "country",
    "area",
    "latitude",
    "longitude",
    "status",
    "aliases",
    "prefix",
    "asn",
    "as_org",
    "valid_from",
    "valid_to",
    "confidence",
    "source",
    "notes",
)


class ParseError(ValueError):
    """The whole input is unusable (wrong encoding, no header, too many rows)."""


def decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ParseError(_("The file is not UTF-8 text.")) from None


def _defaults(seen_at: datetime | None, context: str) -> dict[str, Any]:
    return {"seen_at": seen_at, "context": context}


def rows_from_text(
    text: str, *, default_seen_at: datetime | None = None, default_context: str = ""
) -> list[dict]:
    """Pasted lines -> submission rows, numbered by line."""
    rows: list[dict] = []
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = [p.strip() for p in line.split(",")]
        row = {"row": number, "address": parts[0], **_defaults(default_seen_at, default_context)}
        if len(parts) > 1 and parts[1]:
            row["seen_at"] = parts[1]
        if len(parts) > 2 and parts[2]:
            row["context"] = parts[2]
        if len(parts) > 3:
            row["port"] = parts[3]
        if len(parts) > 4:
            row["note"] = ",".join(parts[4:])
        rows.append(row)
    if len(rows) > MAX_BATCH_ROWS:
        raise ParseError(_("At most %(max)d rows at a time.") % {"max": MAX_BATCH_ROWS})
    return rows


def rows_from_csv(
    text: str, *, default_seen_at: datetime | None = None, default_context: str = ""
) -> list[dict]:
    """A CSV with a header -> submission rows, numbered by line (the header is line 1)."""
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    if "address" not in header:
        raise ParseError(_("The first line must be a header naming an 'address' column."))
    reader.fieldnames = header
    rows: list[dict] = []
    for record in reader:
        row = {"row": reader.line_num, **_defaults(default_seen_at, default_context)}
        for column in SUBMISSION_COLUMNS:
            value = (record.get(column) or "").strip()
            if value or column in ("address", "port", "note"):
                row[column] = value
        rows.append(row)
        if len(rows) > MAX_BATCH_ROWS:
            raise ParseError(_("At most %(max)d rows at a time.") % {"max": MAX_BATCH_ROWS})
    return rows


# --- catalogue -----------------------------------------------------------------------------


@dataclass
class CatalogueItem:
    """One thing to upsert: a compound, a piece of evidence, or a warn-list entry."""

    line: str
    type: str  # "compound" | "evidence" | "warn"
    fields: dict[str, Any]


def detect_format(name: str, text: str) -> str:
    stripped = text.lstrip()
    if name.lower().endswith(".json") or stripped[:1] in ("{", "["):
        return "json"
    first = next((ln for ln in text.splitlines() if ln.strip()), "")
    if "compound" in first.lower().split(",")[0]:
        return "csv"
    return "geofeed"


def _evidence_fields(src: dict) -> dict[str, Any]:
    prefix = str(src.get("prefix") or src.get("network") or "").strip()
    fields: dict[str, Any] = {
        "kind": "prefix" if prefix else "asn",
        "network": prefix,
        "asn": src.get("asn") or None,
        "as_org": str(src.get("as_org") or "").strip(),
        "valid_from": src.get("valid_from") or None,
        "valid_to": src.get("valid_to") or None,
        "source": str(src.get("source") or "").strip(),
        "notes": str(src.get("notes") or "").strip(),
    }
    if src.get("confidence") not in (None, ""):
        fields["confidence"] = src["confidence"]
    return fields


def _compound_fields(src: dict, name_key: str) -> dict[str, Any]:
    fields: dict[str, Any] = {"name": str(src.get(name_key) or "").strip()}
    for key in ("country", "area", "latitude", "longitude", "status", "sources", "notes"):
        value = src.get(key)
        if value not in (None, ""):
            fields[key] = value.strip() if isinstance(value, str) else value
    aliases = src.get("aliases")
    if isinstance(aliases, str):
        aliases = [a.strip() for a in aliases.split("|") if a.strip()]
    if aliases:
        fields["aliases"] = aliases
    return fields


def catalogue_from_csv(text: str) -> list[CatalogueItem]:
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    if "compound" not in header:
        raise ParseError(_("The first line must be a header naming a 'compound' column."))
    reader.fieldnames = header
    items: list[CatalogueItem] = []
    for record in reader:
        line = str(reader.line_num)
        record = {k: (v or "").strip() for k, v in record.items() if k}
        compound = _compound_fields(record, "compound")
        items.append(CatalogueItem(line, "compound", compound))
        if record.get("prefix") or record.get("asn") or record.get("as_org"):
            ev = _evidence_fields(record)
            items.append(CatalogueItem(line, "evidence", {"compound": compound["name"], **ev}))
    return items


def catalogue_from_json(text: str) -> list[CatalogueItem]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ParseError(_("Not valid JSON: %(error)s") % {"error": exc}) from None
    if isinstance(data, list):
        data = {"compounds": data}
    if not isinstance(data, dict):
        raise ParseError(_("Expected an object with 'compounds' and/or 'warn_list'."))
    items: list[CatalogueItem] = []
    for i, src in enumerate(data.get("compounds") or []):
        where = f"compounds[{i}]"
        if not isinstance(src, dict):
            items.append(CatalogueItem(where, "invalid", {"error": _("not an object")}))
            continue
        compound = _compound_fields(src, "name")
        items.append(CatalogueItem(where, "compound", compound))
        for j, ev in enumerate(src.get("evidence") or []):
            at = f"{where}.evidence[{j}]"
            if not isinstance(ev, dict):
                items.append(CatalogueItem(at, "invalid", {"error": _("not an object")}))
                continue
            items.append(
                CatalogueItem(
                    at, "evidence", {"compound": compound["name"], **_evidence_fields(ev)}
                )
            )
    for i, src in enumerate(data.get("warn_list") or []):
        where = f"warn_list[{i}]"
        if not isinstance(src, dict):
            items.append(CatalogueItem(where, "invalid", {"error": _("not an object")}))
            continue
        ev = _evidence_fields(src)
        fields = {k: ev[k] for k in ("kind", "network", "asn", "as_org")}
        fields["category"] = str(src.get("category") or "").strip()
        fields["reason"] = str(src.get("reason") or "").strip()
        items.append(CatalogueItem(where, "warn", fields))
    return items


def catalogue_from_geofeed(text: str, *, compound: str, source: str) -> list[CatalogueItem]:
    """RFC 8805 lines -> prefix evidence of one compound."""
    items: list[CatalogueItem] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        parts = [p.strip() for p in next(csv.reader([line]))]
        if not parts or not parts[0]:
            items.append(CatalogueItem(str(number), "invalid", {"error": _("no prefix")}))
            continue
        parts += [""] * (5 - len(parts))
        prefix, country, region, city, postal = parts[:5]
        if country and (len(country) != 2 or not country.isalpha()):
            items.append(
                CatalogueItem(
                    str(number), "invalid", {"error": _("country must be a 2-letter ISO code")}
                )
            )
            continue
        place = ", ".join(p for p in (city, region, postal, country.upper()) if p)
        items.append(
            CatalogueItem(
                str(number),
                "evidence",
                {
                    "compound": compound,
                    "kind": "prefix",
                    "network": prefix,
                    "asn": None,
                    "as_org": "",
                    "valid_from": None,
                    "valid_to": None,
                    "source": source,
                    "notes": f"geofeed location: {place}" if place else "geofeed",
                },
            )
        )
    return items


def catalogue_parse(
    *, name: str, data: bytes, fmt: str = "auto", compound: str = ""
) -> tuple[str, list[CatalogueItem]]:
    """Parse a catalogue file; returns (format, items). ParseError if unusable as a whole."""
    text = decode(data)
    fmt = detect_format(name, text) if fmt == "auto" else fmt
    if fmt == "json":
        return fmt, catalogue_from_json(text)
    if fmt == "csv":
        return fmt, catalogue_from_csv(text)
    if fmt == "geofeed":
        if not compound:
            raise ParseError(_("A geofeed needs the compound its prefixes belong to."))
        return fmt, catalogue_from_geofeed(text, compound=compound, source=f"geofeed {name}")
    raise ParseError(_("Unknown format %(fmt)r.") % {"fmt": fmt})
