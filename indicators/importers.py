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
from collections.abc import Iterator
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
    """The file as text; ParseError naming the problem unless it is UTF-8 text.

    A leading UTF-8 byte-order mark (Excel's "CSV UTF-8") is dropped.
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ParseError(_('The file is UTF-16 text; save it as UTF-8 ("CSV UTF-8") and retry.'))
    # NUL never occurs in text: this is a binary file (an image, a zip) under a text name, and
    # PostgreSQL would refuse the character in any field it reached.
    if b"\x00" in data:
        raise ParseError(
            _(
                "The file contains NUL bytes: it is not a text file (an image or an archive?), "
                "or it is UTF-16 without a byte-order mark. Upload a UTF-8 CSV."
            )
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ParseError(
            _(
                "The file is not UTF-8 text (byte %(position)d); save it as UTF-8 "
                '("CSV UTF-8"), not Latin-1 or another encoding.'
            )
            % {"position": exc.start + 1}
        ) from None
    if not text.strip():
        raise ParseError(_("The file is empty."))
    return text


def _lines(text: str) -> io.StringIO:
    """The text for the csv module, line endings made one: a file saved with bare CR line ends
    (old Mac spreadsheets) would otherwise be "new-line character seen in unquoted field"."""
    return io.StringIO(text, newline=None)


def _csv_records(reader: csv.DictReader) -> Iterator[dict]:
    """The reader's records; a malformed line (a field past the csv module's size limit) is a
    ParseError naming the line instead of a csv.Error."""
    while True:
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise ParseError(
                _("Line %(line)d is not valid CSV: %(error)s")
                # The underlying reader's count: DictReader's own moves only after a good row.
                % {"line": reader.reader.line_num, "error": exc}
            ) from None
        yield record


def _csv_header(reader: csv.DictReader) -> list[str]:
    try:
        return [h.strip().lower() for h in (reader.fieldnames or [])]
    except csv.Error as exc:
        raise ParseError(
            _("The header line is not valid CSV: %(error)s") % {"error": exc}
        ) from None


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
    reader = csv.DictReader(_lines(text))
    header = _csv_header(reader)
    if "address" not in header:
        raise ParseError(_("The first line must be a header naming an 'address' column."))
    reader.fieldnames = header
    rows: list[dict] = []
    for record in _csv_records(reader):
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
    reader = csv.DictReader(_lines(text))
    header = _csv_header(reader)
    if "compound" not in header:
        raise ParseError(_("The first line must be a header naming a 'compound' column."))
    reader.fieldnames = header
    items: list[CatalogueItem] = []
    for record in _csv_records(reader):
        line = str(reader.line_num)
        record = {k: (v or "").strip() for k, v in record.items() if k}
        compound = _compound_fields(record, "compound")
        items.append(CatalogueItem(line, "compound", compound))
        if record.get("prefix") or record.get("asn") or record.get("as_org"):
            ev = _evidence_fields(record)
            items.append(CatalogueItem(line, "evidence", {"compound": compound["name"], **ev}))
    return items


def _holds_nul(value: Any) -> bool:
    """Whether a NUL hides in any string of the parsed JSON (a loop: the nesting may be as deep
    as json.loads allowed, too deep to recurse again)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return True
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
    return False


def catalogue_from_json(text: str) -> list[CatalogueItem]:
    try:
        data = json.loads(text)
    # ValueError besides JSONDecodeError: a number past 4,300 digits; RecursionError: "[[[[...".
    except (ValueError, RecursionError) as exc:
        raise ParseError(_("Not valid JSON: %(error)s") % {"error": exc}) from None
    if _holds_nul(data):  # written "\u0000": PostgreSQL refuses the character in any field
        raise ParseError(_("The file contains a NUL character (\\u0000)."))
    if isinstance(data, list):
        data = {"compounds": data}
    if not isinstance(data, dict):
        raise ParseError(_("Expected an object with 'compounds' and/or 'warn_list'."))
    for key in ("compounds", "warn_list"):
        if not isinstance(data.get(key) or [], list):
            raise ParseError(_("'%(key)s' must be a list.") % {"key": key})
    items: list[CatalogueItem] = []
    for i, src in enumerate(data.get("compounds") or []):
        where = f"compounds[{i}]"
        if not isinstance(src, dict):
            items.append(CatalogueItem(where, "invalid", {"error": _("not an object")}))
            continue
        aliases = src.get("aliases")
        if aliases is not None and not (
            isinstance(aliases, str)
            or (isinstance(aliases, list) and all(isinstance(a, str) for a in aliases))
        ):
            error = _("aliases must be a list of names")
            items.append(CatalogueItem(where, "invalid", {"error": error}))
            continue
        compound = _compound_fields(src, "name")
        items.append(CatalogueItem(where, "compound", compound))
        evidence = src.get("evidence") or []
        if not isinstance(evidence, list):
            items.append(CatalogueItem(f"{where}.evidence", "invalid", {"error": _("not a list")}))
            continue
        for j, ev in enumerate(evidence):
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
        try:
            parts = [p.strip() for p in next(csv.reader([line]))]
        except csv.Error as exc:
            items.append(CatalogueItem(str(number), "invalid", {"error": str(exc)}))
            continue
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
