"""One test per bug the fuzzing and the properties found, named after what used to happen."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse

from cases.normalise import query_keys
from indicators import services
from indicators.importers import ParseError, catalogue_parse, decode, rows_from_csv
from indicators.models import Compound
from tests.cases.factories import make_lead

pytestmark = pytest.mark.django_db

HUGE = str(10**25)

LISTS = [
    "/api/v1/ip-reports/",
    "/api/v1/ip-matches/",
    "/api/v1/compounds/",
    "/api/v1/compound-evidence/",
    "/api/v1/leads/",
    "/api/v1/leads/review-queue/",
    "/api/v1/cases/",
    "/api/v1/freeze-requests/",
    "/api/v1/victims/",
    "/api/v1/notifications/",
]


@pytest.fixture
def world(alice, analyst, platform_admin, django_capture_on_commit_callbacks):
    """One row in every list the analyst reads: a page is only fetched when there is one."""
    from datetime import timedelta

    from django.utils import timezone

    from cases import services as case_services
    from tests.cases.factories import KBANK
    from tests.victims.factories import victim

    compound = services.compound_save(actor=platform_admin, name="KK Park", country="MM")
    services.evidence_save(
        actor=platform_admin,
        compound=compound,
        kind="prefix",
        network="45.12.0.0/16",
        confidence=80,
    )
    seen = (timezone.now() - timedelta(hours=1)).isoformat()
    with django_capture_on_commit_callbacks(execute=True):  # matching and its notices
        services.ip_report_submit_batch(
            actor=alice,
            rows=[{"row": 1, "address": "45.12.0.9", "seen_at": seen, "context": "chat"}],
            tlp="amber",
            police_access=True,
            shared_with_all=False,
        )
    lead = make_lead(alice, kind="bank_account", fields=KBANK)
    case_services.case_open(actor=analyst, title="KK Park mules", leads=[lead])
    case_services.freeze_request_raise(actor=alice, lead=lead)
    victim(alice)


@pytest.mark.parametrize("url", LISTS)
@pytest.mark.parametrize("param", ["limit", "offset"])
def test_huge_limit_or_offset_answers_a_page(world, analyst, as_user, url, param):
    """`?limit=10**25` was a 500 (SQLite "Python int too large", PostgreSQL bigint out of
    range); an offset past the end is an empty page."""
    response = as_user(analyst).get(url, {param: HUGE})
    assert response.status_code == 200, response.content[:300]
    body = response.json()
    assert body["count"] >= 1
    assert len(body["results"]) == (body["count"] if param == "limit" else 0)


def test_a_limit_past_the_maximum_gives_the_maximum():
    from rest_framework.request import Request
    from rest_framework.test import APIRequestFactory

    from sharing.pagination import MAX_LIMIT, MAX_OFFSET, BoundedLimitOffsetPagination

    request = Request(APIRequestFactory().get("/", {"limit": "5000", "offset": HUGE}))
    paginator = BoundedLimitOffsetPagination()
    assert paginator.get_limit(request) == MAX_LIMIT
    assert paginator.get_offset(request) == MAX_OFFSET


@pytest.mark.parametrize("value", [HUGE, "²", "-1", "1.5", "0x10"])
@pytest.mark.parametrize(
    ("url", "name"),
    [
        ("/api/v1/ip-matches/", "compound"),
        ("/api/v1/compound-evidence/", "compound"),
        ("/api/v1/victims/access-events/", "record"),
    ],
)
def test_id_query_parameters_that_are_no_id_were_a_500(alpha_admin, as_user, url, name, value):
    response = as_user(alpha_admin).get(url, {name: value})
    assert response.status_code == 200


def test_access_log_page_with_a_superscript_record_was_a_500(alpha_admin, as_user):
    response = as_user(alpha_admin).get(reverse("victims:access_log"), {"record": "²"})
    assert response.status_code == 200


def test_schema_documents_nullable_assignee_and_blank_choices(client):
    """The answers carried null / "" where the schema promised a string / an enum value."""
    schema = client.get("/api/schema/", {"format": "json"}).json()
    components = schema["components"]["schemas"]
    for name in ("Lead", "LeadDetail"):
        assert components[name]["properties"]["assignee"]["nullable"] is True
    assert components["LeadDetail"]["properties"]["reviewer"]["nullable"] is True
    for serializer, field in [
        ("VictimRecord", "referral_kind"),
        ("VictimRecordDetail", "referral_kind"),
        ("VictimRecordDetail", "lawful_basis"),
    ]:
        refs = {o["$ref"] for o in components[serializer]["properties"][field]["oneOf"]}
        assert "#/components/schemas/BlankEnum" in refs
    post = schema["paths"]["/api/v1/ip-reports/"]["post"]
    assert not post.get("parameters"), "the list's filters are not parameters of a submission"
    rows = components["IPReportBatchRequest"]["properties"]["reports"]
    assert rows["items"]["$ref"] == "#/components/schemas/IPReportRowRequest"


# --- uploads and imports ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b'compound\n"' + b"x" * 200_000 + b'"\n', "Line 2 is not valid CSV"),
        (b'{"compounds": 5}', "'compounds' must be a list"),
        (b'{"warn_list": "abc"}', "'warn_list' must be a list"),
        (b"[" * 100_000 + b"]" * 100_000, "Not valid JSON"),
        (b'{"compounds": [{"name": "x", "latitude": 1' + b"0" * 5000 + b"}]}", "Not valid JSON"),
        (b"compound\nKK Park\x00\n", "NUL bytes"),
        ("compound\nKK Park\n".encode("utf-16"), "UTF-16"),
    ],
    ids=[
        "csv-field-limit",
        "compounds-int",
        "warn-list-str",
        "deep-json",
        "huge-number",
        "nul",
        "utf16",
    ],
)
def test_catalogue_files_that_crashed_the_parser(data, message):
    """csv.Error, TypeError, RecursionError and int-digit ValueError used to escape."""
    with pytest.raises(ParseError, match=message):
        catalogue_parse(name="catalogue", data=data)


def test_json_evidence_that_is_not_a_list_is_an_item_error():
    _fmt, items = catalogue_parse(
        name="c.json", data=b'{"compounds": [{"name": "KK Park", "evidence": 5}]}'
    )
    assert [(i.line, i.type) for i in items] == [
        ("compounds[0]", "compound"),
        ("compounds[0].evidence", "invalid"),
    ]


def test_cr_line_endings_were_refused():
    """A file saved with bare CR line ends (old Mac spreadsheets) read as one broken line."""
    rows = rows_from_csv(decode(b"address,context\r8.8.8.8,chat\r9.9.9.9,chat\r"))
    assert [(r["row"], r["address"]) for r in rows] == [(2, "8.8.8.8"), (3, "9.9.9.9")]


def _import(actor, text: str):
    _fmt, items = catalogue_parse(name="c.csv", data=text.encode())
    return services.catalogue_import(actor=actor, items=items)


def test_catalogue_import_values_that_were_a_500(platform_admin):
    """A non-number latitude for a compound that has one, an impossible or unstorable date,
    a superscript confidence: ValueError / OverflowError escaped the import (a 500 on the
    page, a traceback from the command)."""
    header = "compound,country,latitude,longitude,prefix,valid_from,confidence\n"
    assert _import(platform_admin, header + "KK Park,MM,16.7,98.5,,,\n").created == 1
    result = _import(
        platform_admin,
        header
        + "KK Park,MM,north,98.5,,,\n"
        + "KK Park,MM,16.7,98.5,45.12.0.0/16,2026-02-30,\n"
        + "KK Park,MM,16.7,98.5,45.13.0.0/16,0001-01-01T00:00:00+05:00,\n"
        + "KK Park,MM,16.7,98.5,45.14.0.0/16,,²\n"
        + "KK Park,MM,16.7,98.5,45.15.0.0/16,2026-01-01,high\n",
    )
    reasons = {p.row: p.reason for p in result.errors}
    assert set(reasons) == {"2", "3", "4", "5"}  # by line; line 6 is good
    assert "latitude" in reasons["2"].lower() and "not a number" in reasons["2"]
    assert "Valid from" in reasons["3"] and "Valid from" in reasons["4"]  # the label, not the key
    assert "confidence" in reasons["5"].lower()
    assert result.created == 1  # the good evidence of the last row
    assert str(Compound.objects.get().latitude) == "16.70000"  # unchanged by "north"


def test_whole_number_coordinates_reimported_counted_as_updates(platform_admin):
    text = "compound,country,latitude,longitude\nKK Park,MM,17,98\n"
    assert _import(platform_admin, text).created == 1
    again = _import(platform_admin, text)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 1)


def test_catalogue_import_page_with_a_bad_latitude(platform_admin, as_user):
    Compound.objects.create(name="KK Park", country="MM", latitude="16.70000")
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("c.csv", b"compound,country,latitude\nKK Park,MM,north\n")
    response = as_user(platform_admin).post(
        reverse("indicators:catalogue_import"), {"file": upload, "format": "auto"}
    )
    assert response.status_code == 200
    assert "not a number" in response.content.decode()


def test_nul_in_a_note_reached_the_database(alice, as_user):
    """PostgreSQL refuses NUL in text: the API answered 500 for a note with one."""
    response = as_user(alice).post(
        "/api/v1/ip-reports/",
        {
            "reports": [
                {
                    "address": "8.8.8.8",
                    "seen_at": "2026-01-01T00:00:00Z",
                    "context": "chat",
                    "note": "a\x00b",
                }
            ]
        },
        content_type="application/json",
    )
    assert response.status_code == 200
    [error] = response.json()["errors"]
    assert (error["row"], error["field"]) == (1, "note") and "NUL" in error["reason"]


def test_superscript_port_gave_pythons_message():
    clean, problem = services._validate_row(
        {
            "row": 1,
            "address": "8.8.8.8",
            "seen_at": "2026-01-01T00:00:00Z",
            "context": "chat",
            "port": "²",
        }
    )
    assert clean is None and problem.field == "port"
    assert problem.reason == "bad port (must be 1-65535)"


# --- search and export -------------------------------------------------------------------------


def test_wallet_search_with_a_colon_in_the_address_found_nothing():
    assert query_keys("sol:abcdefgh:1", "crypto_wallet") == [("crypto_wallet", "sol:abcdefgh:1")]
    assert query_keys("SOL abcdefgh:1", "crypto_wallet") == [("crypto_wallet", "sol:abcdefgh:1")]


def test_export_left_free_text_cells_as_formulas(alice, as_user):
    """Only the identity cells were neutralised, and not those starting with a tab or CR."""
    from tests.victims.factories import victim
    from victims import services as victim_services
    from victims.choices import VictimStatus

    record = victim(alice, given_name='\t=HYPERLINK("http://x")')
    victim_services.victim_transition(
        actor=alice, record=record, to_status=VictimStatus.LOCATED, located_compound="=1+1"
    )
    text = as_user(alice).get(reverse("victims:export")).content.decode()
    assert "'=1+1" in text
    assert ",=" not in text and "\n=" not in text
    assert io.StringIO(text).read().count("'") >= 2


# --- NUL characters: PostgreSQL refuses them even in a comparison (DataError, a 500) ----------


def test_nul_in_a_victim_list_filter(alice, as_user):
    response = as_user(alice).get("/api/v1/victims/", {"compound": "KK\x00Park"})
    assert response.status_code == 400
    assert response.json()["compound"]
    response = as_user(alice).get("/api/v1/victims/", {"status": "lost"})
    assert response.status_code == 400 and response.json()["status"]


def test_nul_in_a_workspace_slug_or_an_assignee(alice, analyst, as_user):
    response = as_user(alice).post(
        "/api/v1/ip-reports/",
        {"reports": [{"address": "8.8.8.8"}], "audience": "named", "shared_with": ["br\x00avo"]},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json()["shared_with"] == ["Null characters are not allowed."]
    lead = make_lead(alice)
    response = as_user(analyst).post(
        f"/api/v1/leads/{lead.pk}/assign/", {"assignee": "a\x00@b"}, content_type="application/json"
    )
    assert response.status_code == 400 and response.json()["assignee"]


def test_nul_written_as_a_json_escape_reached_the_database():
    """decode() refuses NUL bytes, but JSON can spell one "\\u0000" inside a string."""
    data = b'{"compounds": [{"name": "KK Park", "notes": "a\\u0000b"}]}'
    with pytest.raises(ParseError, match="NUL"):
        catalogue_parse(name="c.json", data=data)


@pytest.mark.parametrize("depth", [500, 900, 990, 5000])
def test_deeply_nested_json_is_refused_cleanly(depth):
    data = b'{"compounds": ' + b"[" * depth + b"]" * depth + b"}"
    try:
        _fmt, items = catalogue_parse(name="c.json", data=data)
    except ParseError as exc:
        assert "JSON" in str(exc)
    else:
        assert all(item.type == "invalid" for item in items)
