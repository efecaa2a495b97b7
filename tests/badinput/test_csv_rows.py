"""Rows of uploaded and pasted files: IP report submissions and the compound catalogue.

The parsers (indicators/importers.py): pasted lines, the submission CSV, the catalogue CSV,
JSON and RFC 8805 geofeed, and `decode` in front of all of them; then the services that turn
rows into records (`ip_report_submit_batch`, `catalogue_import`).

Properties: any bytes or text parse into rows or raise ParseError (never a csv.Error,
TypeError, UnicodeError ...); every row carries the line it came from; what a spreadsheet
writes (quotes, commas and newlines in a note) reads back as written; in a batch mixing good
and bad rows the good are stored and every bad one is listed with its row number, field and
reason; importing the same catalogue twice changes nothing the second time.
"""

from __future__ import annotations

import csv
import io
import ipaddress
import json
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from indicators import services
from indicators.choices import ReportContext
from indicators.importers import (
    SUBMISSION_COLUMNS,
    ParseError,
    catalogue_from_geofeed,
    catalogue_parse,
    decode,
    rows_from_csv,
    rows_from_text,
)
from indicators.models import IPReport

from .strategies import DB_PROPERTY, PROPERTY, hostile_text

NOW = timezone.now()
cell = st.one_of(hostile_text, st.sampled_from(["", "8.8.8.8", "chat", "=1+1", '"', "a,b", "x\ny"]))


# --- decode and the parsers never raise anything but ParseError ----------------------------------


@PROPERTY
@given(
    st.one_of(
        st.binary(max_size=300), hostile_text.map(lambda t: t.encode("utf-8", "surrogatepass"))
    )
)
def test_decode_gives_text_or_a_parse_error(data):
    try:
        text = decode(data)
    except ParseError as exc:
        assert str(exc).strip()
        return
    assert "\x00" not in text and text.strip()
    assert not text.startswith("\ufeff")


@PROPERTY
@given(
    st.one_of(st.binary(max_size=400), hostile_text.map(str.encode)),
    st.sampled_from(["auto", "csv", "json", "geofeed"]),
    st.sampled_from(["f.csv", "f.json", "feed.txt", ""]),
)
def test_catalogue_parse_gives_items_or_a_parse_error(data, fmt, name):
    try:
        _fmt, items = catalogue_parse(name=name, data=data, fmt=fmt, compound="KK Park")
    except ParseError as exc:
        assert str(exc).strip()
        return
    for item in items:
        assert item.line and item.type in ("compound", "evidence", "warn", "invalid")
        if item.type == "invalid":
            assert item.fields["error"]


@st.composite
def csv_text(draw) -> str:
    """CSV-ish text: a header of known and unknown columns, rows of awkward cells."""
    header = draw(
        st.lists(st.sampled_from([*SUBMISSION_COLUMNS, "compound", "prefix", "x", ""]), max_size=6)
    )
    rows = draw(st.lists(st.lists(cell, max_size=7), max_size=6))
    sep = draw(st.sampled_from([",", ";", "\t"]))
    newline = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    return newline.join(sep.join(r) for r in [header, *rows])


@PROPERTY
@given(st.one_of(csv_text(), hostile_text))
def test_submission_csv_gives_numbered_rows_or_a_parse_error(text):
    try:
        rows = rows_from_csv(text, default_context="chat")
    except ParseError as exc:
        assert str(exc).strip()
        return
    numbers = [row["row"] for row in rows]
    assert numbers == sorted(set(numbers)) and all(n >= 2 for n in numbers)
    for row in rows:
        assert isinstance(row["address"], str)
        assert row["context"] in ("chat", *(c for c in [row["context"]] if isinstance(c, str)))


@PROPERTY
@given(st.one_of(csv_text(), hostile_text))
def test_pasted_lines_are_numbered_by_line(text):
    try:
        rows = rows_from_text(text, default_context="chat")
    except ParseError:
        return
    lines = text.splitlines()
    for row in rows:
        line = lines[row["row"] - 1].strip()
        assert line and not line.startswith("#")
        assert row["address"] == line.split(",")[0].strip()


@PROPERTY
@given(st.one_of(csv_text(), hostile_text))
def test_geofeed_gives_one_item_per_line(text):
    items = catalogue_from_geofeed(text, compound="KK Park", source="geofeed f")
    lines = [
        str(n)
        for n, ln in enumerate(text.splitlines(), start=1)
        if ln.strip() and not ln.strip().startswith("#")
    ]
    assert [item.line for item in items] == lines


# --- what a spreadsheet writes reads back as written -------------------------------------------

note_text = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=40).map(
    lambda s: s.replace("\x00", "")
)


@PROPERTY
@given(
    st.lists(
        st.fixed_dictionaries(
            {
                "address": st.ip_addresses().map(str),
                "seen_at": st.datetimes().map(lambda d: d.replace(microsecond=0).isoformat() + "Z"),
                "context": st.sampled_from(ReportContext.values),
                "port": st.one_of(st.just(""), st.integers(1, 65535).map(str)),
                "note": note_text,
            }
        ),
        min_size=1,
        max_size=8,
    ),
    st.sampled_from(["\n", "\r\n"]),
)
def test_submission_csv_round_trip(rows, newline):
    out = io.StringIO(newline="")
    # As spreadsheets write: Excel ends lines with CRLF and quotes cells holding one; others end
    # them with LF and quote every cell.
    quoting = csv.QUOTE_MINIMAL if newline == "\r\n" else csv.QUOTE_ALL
    writer = csv.DictWriter(
        out, fieldnames=SUBMISSION_COLUMNS, lineterminator=newline, quoting=quoting
    )
    writer.writeheader()
    writer.writerows(rows)
    parsed = rows_from_csv(out.getvalue())
    assert len(parsed) == len(rows)
    for got, sent in zip(parsed, rows, strict=True):
        for column in ("address", "seen_at", "context", "port"):
            assert got.get(column, "") == sent[column].strip()
        # Line breaks inside a note read back as "\n"; the outer whitespace goes.
        expected = sent["note"].replace("\r\n", "\n").replace("\r", "\n").strip()
        assert got["note"] == expected
    # Row numbers: the line on which each record ends (a note with a newline spans two).
    assert [r["row"] for r in parsed] == sorted({r["row"] for r in parsed})


compound_name = (
    st.text(st.characters(categories=["L", "N", "Zs"], codec="utf-8"), min_size=1, max_size=30)
    .map(str.strip)
    .filter(bool)
)


@PROPERTY
@given(
    st.lists(
        st.fixed_dictionaries(
            {
                "name": compound_name,
                "country": st.sampled_from(["MM", "KH", "LA", "TH"]),
                "aliases": st.lists(compound_name, max_size=3),
                "evidence": st.lists(
                    st.fixed_dictionaries(
                        {
                            "prefix": st.builds(
                                lambda ip, n: str(
                                    ipaddress.ip_network(
                                        f"{ip}/{min(n, ip.max_prefixlen)}", strict=False
                                    )
                                ),
                                st.ip_addresses(),
                                st.integers(1, 128),
                            ),
                            "confidence": st.one_of(
                                st.integers(0, 100), st.sampled_from(["low", "high"])
                            ),
                        }
                    ),
                    max_size=3,
                ),
            }
        ),
        max_size=5,
    )
)
def test_catalogue_json_round_trip(compounds):
    _fmt, items = catalogue_parse(name="c.json", data=json.dumps({"compounds": compounds}).encode())
    expected = []
    for i, compound in enumerate(compounds):
        expected.append((f"compounds[{i}]", "compound", compound["name"]))
        for j, ev in enumerate(compound["evidence"]):
            expected.append((f"compounds[{i}].evidence[{j}]", "evidence", ev["prefix"]))
    got = [
        (item.line, item.type, item.fields.get("network") or item.fields.get("name"))
        for item in items
    ]
    assert got == expected


# --- services: good rows kept, every bad row listed ----------------------------------------------


@st.composite
def submission_rows(draw) -> tuple[list[dict], set[int]]:
    """Rows numbered 1..n, some good (public address, sane time) and some bad in one field."""
    rows: list[dict] = []
    good: set[int] = set()
    for number in range(1, draw(st.integers(1, 12)) + 1):
        seen = NOW - timedelta(minutes=draw(st.integers(1, 10**6)))
        row = {
            "row": number,
            # A distinct public address per row: no duplicate among the good ones.
            "address": f"45.{number}.{draw(st.integers(0, 255))}.{draw(st.integers(1, 254))}",
            "seen_at": seen.isoformat(),
            "context": draw(st.sampled_from(ReportContext.values)),
            "port": draw(st.sampled_from(["", "443", None])),
            "note": draw(note_text),
        }
        if draw(st.booleans()):
            field = draw(st.sampled_from(["address", "seen_at", "context", "port", "note"]))
            row[field] = draw(
                {
                    "address": st.sampled_from(
                        ["10.0.0.1", "not-an-ip", "", "203.0.113.9", "::1", "8.8.8.8%0"]
                    ),
                    "seen_at": st.sampled_from(
                        ["", "yesterday", "2026-02-30T10:00Z", "2999-01-01T00:00Z"]
                    ),
                    "context": st.sampled_from(["", "sms", "CHAT", "\x00"]),
                    "port": st.sampled_from(["0", "65536", "²", "-1", "http"]),
                    "note": st.sampled_from(["x" * 2001, "a\x00b"]),
                }[field]
            )
            row["_bad"] = field
        else:
            good.add(number)
        rows.append(row)
    return rows, good


@pytest.mark.django_db
@DB_PROPERTY
@given(submission_rows())
def test_mixed_batch_keeps_good_rows_and_names_every_bad_row(alice, case):
    rows, good = case
    bad = {row["row"]: row["_bad"] for row in rows if "_bad" in row}
    clean = [{k: v for k, v in row.items() if k != "_bad"} for row in rows]
    with transaction.atomic():
        result = services.ip_report_submit_batch(
            actor=alice, rows=clean, tlp="amber", police_access=True, shared_with_all=False
        )
        assert len(result.created) == len(good) == IPReport.objects.count()
        assert {p.row for p in result.errors} == set(bad)
        for problem in result.errors:
            assert problem.field == bad[problem.row]
            assert problem.reason.strip()
        assert result.total == len(rows)
        transaction.set_rollback(True)


@pytest.mark.django_db
@DB_PROPERTY
@given(submission_rows())
def test_the_same_rows_as_a_csv_upload(alice, case):
    """The same batch written as a CSV file: rows are numbered by line (the header is 1)."""
    rows, good = case
    bad = {row["row"] + 1 for row in rows if "_bad" in row}
    out = io.StringIO(newline="")
    writer = csv.DictWriter(
        out, fieldnames=SUBMISSION_COLUMNS, extrasaction="ignore", lineterminator="\r\n"
    )
    writer.writeheader()
    for row in rows:
        writer.writerow({k: ("" if v is None else v) for k, v in row.items()})
    data = out.getvalue().encode()
    try:
        parsed = rows_from_csv(decode(data))
    except ParseError as exc:  # a NUL in a note makes it a binary file: refused whole
        assert "\x00" in out.getvalue(), exc
        return
    with transaction.atomic():
        result = services.ip_report_submit_batch(
            actor=alice, rows=parsed, tlp="amber", police_access=True, shared_with_all=False
        )
        assert len(result.created) == len(good)
        # Multi-line notes shift the line numbers: compare with the parsed rows' own numbers.
        by_line = {p.row for p in result.errors}
        assert len(by_line) == len(bad), (out.getvalue(), result)
        assert by_line <= {r["row"] for r in parsed}
        transaction.set_rollback(True)


@st.composite
def hostile_catalogue(draw) -> bytes:
    """JSON catalogues whose values are of any type and content."""
    value = st.one_of(
        hostile_text,
        st.none(),
        st.integers(-(10**20), 10**20),
        st.floats(allow_nan=False),
        st.booleans(),
        st.lists(st.text(max_size=4), max_size=2),
    )
    compound = st.dictionaries(
        st.sampled_from(
            [
                "name",
                "country",
                "area",
                "latitude",
                "longitude",
                "status",
                "aliases",
                "sources",
                "notes",
            ]
        ),
        value,
        max_size=6,
    ).map(lambda d: {"name": "KK Park", **d} if d.get("name") in (None, "") else d)
    evidence = st.dictionaries(
        st.sampled_from(
            ["prefix", "asn", "as_org", "valid_from", "valid_to", "confidence", "source", "notes"]
        ),
        value,
        max_size=6,
    )
    data = {
        "compounds": draw(
            st.lists(
                st.builds(
                    lambda c, e: {**c, "evidence": e}, compound, st.lists(evidence, max_size=3)
                ),
                max_size=3,
            )
        ),
        "warn_list": draw(
            st.lists(
                st.dictionaries(
                    st.sampled_from(["prefix", "asn", "as_org", "category", "reason"]),
                    value,
                    max_size=4,
                ),
                max_size=2,
            )
        ),
    }
    return json.dumps(data).encode()


@pytest.mark.django_db
@DB_PROPERTY
@given(hostile_catalogue())
def test_catalogue_import_of_any_values_reports_errors_by_item_and_is_idempotent(
    platform_admin, data
):
    try:
        _fmt, items = catalogue_parse(name="c.json", data=data)
    except ParseError:
        return
    with transaction.atomic():
        first = services.catalogue_import(actor=platform_admin, items=items)
        for problem in first.errors:
            assert str(problem.row).startswith(("compounds[", "warn_list["))
            assert problem.reason.strip()
        second = services.catalogue_import(actor=platform_admin, items=items)
        assert (second.created, second.updated) == (0, 0), (first, second)
        assert second.unchanged == first.created + first.updated + first.unchanged
        assert [(p.row, p.reason) for p in second.errors] == [
            (p.row, p.reason) for p in first.errors
        ]
        transaction.set_rollback(True)
