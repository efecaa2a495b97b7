"""Dates and times as users type them.

The parsers: `seen_at` of IP reports (indicators.services._parse_seen_at: rows of the form,
paste, CSV and API), `valid_from` / `valid_to` of catalogue evidence (indicators.services._when:
the import), the STIX export's `since` (exchange.stix_api._since), and the date fields of the
API (victims' dates, the lead list's `since` / `until`, a case task's due date, a freeze's
hold expiry) which DRF, django-filter and Django forms parse.

Properties: any text (or object) gives a datetime or the documented error, never anything
else; a datetime that is accepted can be stored (it has a UTC equivalent); an aware datetime
written in ISO 8601 reads back as the same instant.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone as dj_timezone
from hypothesis import given
from hypothesis import strategies as st
from rest_framework.exceptions import ValidationError as DRFValidationError

from exchange.stix_api import _since
from indicators.services import CLOCK_SKEW, EARLIEST_SEEN, _parse_seen_at, _when

from .strategies import DB_PROPERTY, PROPERTY, anything, hostile_text

offsets = st.builds(
    timezone,
    st.timedeltas(
        min_value=timedelta(hours=-23, minutes=-59), max_value=timedelta(hours=23, minutes=59)
    ),
).filter(lambda tz: tz.utcoffset(None).total_seconds() % 60 == 0)
aware = st.datetimes(timezones=st.one_of(offsets, st.just(UTC)))
# Text near ISO 8601: impossible days, hours and offsets, the far ends of the calendar.
near_iso = st.builds(
    lambda y, mo, d, h, mi, off: f"{y:04d}-{mo:02d}-{d:02d}T{h:02d}:{mi:02d}:00{off}",
    st.sampled_from([1, 1994, 1995, 2024, 2026, 9999]),
    st.integers(0, 13),
    st.integers(0, 32),
    st.integers(0, 25),
    st.integers(0, 61),
    st.sampled_from(["", "Z", "+07:00", "-23:59", "+24:00", "+99:99", "+05", "-0000"]),
)
date_text = st.one_of(hostile_text, near_iso, aware.map(datetime.isoformat), st.dates().map(str))


# --- seen_at -------------------------------------------------------------------------------------


@PROPERTY
@given(st.one_of(date_text, anything))
def test_seen_at_is_a_plausible_aware_time_or_a_value_error_with_a_reason(value):
    try:
        when = _parse_seen_at(value)
    except ValueError as exc:
        assert type(exc) is ValueError and str(exc).startswith(("seen", "seen_at")), exc
        return
    assert dj_timezone.is_aware(when)
    assert EARLIEST_SEEN <= when <= dj_timezone.now() + CLOCK_SKEW
    when.astimezone(UTC)  # storable


@PROPERTY
@given(aware, st.sampled_from(["iso", "z", "space"]))
def test_seen_at_round_trip(when, style):
    text = when.isoformat()
    if style == "z" and when.utcoffset() == timedelta(0):
        text = text.replace("+00:00", "Z")
    if style == "space":
        text = text.replace("T", " ")
    if not EARLIEST_SEEN <= when <= dj_timezone.now():
        with pytest.raises(ValueError):
            _parse_seen_at(text)
        return
    assert _parse_seen_at(text) == when


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("2026-02-30T10:00:00Z", "day is out of range"),
        ("2026-01-01T25:00:00Z", "hour must be in"),
        ("2026-01-01T10:00:00+25:00", "not a valid date and time"),
        ("2026-01-01T10:00:00", "needs a time zone"),
        ("yesterday", "not a date and time"),
        ("1970-01-01T00:00:00Z", "implausibly old"),
        ("9999-12-31T23:59:59-23:59", "future"),
    ],
)
def test_seen_at_reasons(text, reason):
    with pytest.raises(ValueError, match=reason):
        _parse_seen_at(text)


# --- catalogue evidence windows -----------------------------------------------------------------


@PROPERTY
@given(st.one_of(date_text, anything))
def test_evidence_window_is_storable_or_a_validation_error_naming_the_field(value):
    try:
        when = _when(value, "valid_from")
    except ValidationError as exc:
        assert list(exc.message_dict) == ["valid_from"]
        assert all(m.strip() for m in exc.message_dict["valid_from"])
        return
    if when is not None:
        assert dj_timezone.is_aware(when)
        when.astimezone(UTC)  # the database stores UTC: this must not overflow


@PROPERTY
@given(aware)
def test_evidence_window_round_trip(when):
    try:
        when.astimezone(UTC)
    except OverflowError:
        with pytest.raises(ValidationError):
            _when(when.isoformat(), "valid_to")
        return
    assert _when(when.isoformat(), "valid_to") == when
    day = when.date()
    assert _when(day.isoformat(), "valid_to") == datetime(day.year, day.month, day.day, tzinfo=UTC)


# --- the STIX export's `since` -----------------------------------------------------------------


@PROPERTY
@given(date_text)
def test_stix_since_is_a_datetime_or_a_400(text):
    try:
        when = _since(text)
    except DRFValidationError as exc:
        assert exc.detail["since"]
        return
    assert when is None or dj_timezone.is_aware(when)
    if when is not None:
        when.astimezone(UTC)  # the query compares it with a stored (UTC) time


@pytest.mark.django_db
@pytest.mark.parametrize("since", ["0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59-23:00"])
def test_stix_since_at_the_ends_of_the_calendar_is_a_400(alice, as_user, since):
    response = as_user(alice).get("/api/v1/stix/", {"since": since})
    assert response.status_code == 400
    assert response.json()["since"]


# --- the API's date fields: 200/201 or a 400 naming the field ---------------------------------


@pytest.mark.django_db
@DB_PROPERTY
@given(date_text)
def test_lead_list_since_and_until(alice, as_user, text):
    client = as_user(alice)
    for name in ("since", "until"):
        response = client.get("/api/v1/leads/", {name: text})
        assert response.status_code in (200, 400), (name, text, response.status_code)
        if response.status_code == 400:
            assert response.json()[name], response.json()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "value",
    [
        "0001-01-01",
        "9999-12-31",
        "2026-02-30",
        "2026-13-01",
        "\uff11\uff12\uff13",  # fullwidth digits
        "²⁰²⁴-01-01",
        "\x00",
        "x" * 300,
    ],
)
def test_victim_dates_are_stored_or_refused_by_field(alice, as_user, value):
    response = as_user(alice).post(
        "/api/v1/victims/",
        {"given_name": "Test", "date_of_birth": value, "reported_missing_on": value},
        content_type="application/json",
    )
    assert response.status_code in (201, 400), response.status_code
    if response.status_code == 400:
        body = response.json()
        assert set(body) <= {"date_of_birth", "reported_missing_on"}, body
        assert all(body.values())


@pytest.mark.django_db
@pytest.mark.parametrize(
    "value", ["0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59-23:00", "2026-02-30T00:00Z", "soon"]
)
def test_freeze_hold_expiry_is_stored_or_refused(analyst, alice, as_user, value):
    from cases import services
    from tests.cases.factories import KBANK, make_lead

    lead = make_lead(alice, kind="bank_account", fields=KBANK)
    freeze = services.freeze_request_raise(actor=alice, lead=lead)
    response = as_user(analyst).patch(
        f"/api/v1/freeze-requests/{freeze.pk}/",
        {"hold_expires_at": value},
        content_type="application/json",
    )
    assert response.status_code in (200, 400), response.status_code
    if response.status_code == 400:
        assert response.json()
