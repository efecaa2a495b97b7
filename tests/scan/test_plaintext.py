"""Plaintext scan: after the victim scenarios, no entered identity, and none of the free-text
notes typed about the people (the opening note, transition notes, a screening's reason, a lawful
basis note), is in the database dump, the application log, the broker traffic or the request
lines a web server logs.

The scenarios go through the real pages and the real API (create, a refused create, edit,
transitions, screening, consent, sharing, a shared record read by another delegation and by
police, export, print, passport search, the access log, and the retention purge, a Celery task
published to a private Redis and run from the message taken off it). Logging is captured at
DEBUG from every logger, SQL with its parameters included. The positive controls make sure the
scan can fail: the identities do come back in the pages and API answers, and a plain canary
stored with the records, a logged 404 path and the purge task's message are all found where
they should be.

Run it (well under a minute; `make scan` runs it on the configured database), on SQLite and
on PostgreSQL (pg_dump is used when its version matches the server, COPY otherwise):
    .venv/bin/python -m pytest tests/scan -q -s -p no:cacheprovider
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/<db> .venv/bin/python -m pytest tests/scan -q -s
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess

import pytest
from django.core.signals import request_started
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from tests.embassies.factories import api_key
from victims.models import VictimRecord
from victims.tasks import victims_purge_expired_task

from .scanner import (
    Haystack,
    ScanReport,
    decode_messages,
    make_identities,
    make_notes,
    monitor_args,
    needles,
    scan,
)

pytestmark = pytest.mark.django_db(transaction=True)


def _token_client(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_key(user, name='plaintext scan')}")
    return client


def _record_id(response) -> int:
    assert response.status_code == 302, response.content[:500]
    return int(response["Location"].rstrip("/").rsplit("/", 1)[-1])


def database_dump() -> tuple[str, str]:
    """The whole test database as text: pg_dump on PostgreSQL, the raw image on SQLite."""
    settings = connection.settings_dict
    if connection.vendor == "postgresql":
        name = settings["NAME"]
        if shutil.which("pg_dump"):
            done = subprocess.run(
                [
                    "pg_dump", "--no-owner", "--no-privileges",
                    "-h", settings["HOST"] or "127.0.0.1", "-p", str(settings["PORT"] or 5432),
                    "-U", settings["USER"] or "postgres", name,
                ],
                capture_output=True,
                timeout=120,
                env={**os.environ, "PGPASSWORD": settings.get("PASSWORD") or ""},
            )  # fmt: skip
            if done.returncode == 0:
                return done.stdout.decode("utf-8", "replace"), f"pg_dump of {name}"
        # No usable pg_dump (missing, or older than the server): every table with COPY.
        parts = []
        with connection.cursor() as cursor:
            for table in connection.introspection.table_names(cursor):
                with cursor.cursor.copy(f'COPY "{table}" TO STDOUT') as copy:
                    parts.append(b"".join(bytes(chunk) for chunk in copy))
        return b"\n".join(parts).decode("utf-8", "replace"), f"COPY of every table of {name}"
    connection.ensure_connection()
    raw = connection.connection.serialize()  # the database file, byte for byte (free pages too)
    dump = "\n".join(connection.connection.iterdump())
    return raw.decode("utf-8", "replace") + "\n" + dump, "raw SQLite image + iterdump"


def test_no_identity_entered_is_stored_logged_or_queued_in_plaintext(
    app_log, scan_broker, as_user, alice, alpha_admin, bob, bravo, analyst, settings
):
    people = make_identities()
    p1, p2, p3 = people
    corrected = make_identities()[0]  # p1's family name and phone are corrected to these
    notes = make_notes()
    canary = f"Canary compound {os.urandom(4).hex()}"  # plain on purpose: the dump must show it
    request_lines: list[str] = []

    def access_log_line(sender, environ, **kwargs) -> None:
        query = environ.get("QUERY_STRING", "")
        request_lines.append(
            f"{environ['REQUEST_METHOD']} {environ['PATH_INFO']}{'?' + query if query else ''}"
        )

    request_started.connect(access_log_line, dispatch_uid="scan-access-log")
    answers: list[str] = []  # pages and API answers: the identities must come back there

    def keep(response):
        answers.append(response.content.decode("utf-8", "replace"))
        return response

    try:
        # --- pages: alice, alpha's liaison officer -------------------------------------------
        page = as_user(alice)
        today = timezone.localdate()
        form = {
            **{k: v for k, v in p1.fields().items() if k != "date_of_birth"},
            "nationality": "PH",
            "sex": "female",
            "age_band": "25_34",
            "note": notes.created,
        }
        refused = page.post(
            reverse("victims:create"),
            {**form, "date_of_birth": (today + dt.timedelta(days=3)).isoformat()},
        )
        assert refused.status_code == 200 and b"future" in refused.content
        one = _record_id(
            page.post(
                reverse("victims:create"), {**form, "date_of_birth": p1.date_of_birth.isoformat()}
            )
        )
        keep(page.get(reverse("victims:detail", args=[one])))
        keep(page.get(reverse("victims:edit", args=[one])))
        edited = page.post(
            reverse("victims:edit", args=[one]),
            {
                **{k: v for k, v in form.items() if k != "note"},
                "date_of_birth": p1.date_of_birth.isoformat(),
                "family_name": corrected.family_name,
                "phone": corrected.phone,
            },
        )
        assert edited.status_code == 302
        for step in (
            {"to_status": "located", "located_compound": canary, "note": notes.located},
            {"to_status": "rescued_or_released"},
        ):
            assert page.post(reverse("victims:transition", args=[one]), step).status_code == 302
        screening = {
            "interview_date": today.isoformat(),
            "place": "Mae Sot shelter",
            "screening_officer": "Officer of alpha",
            "indicators": ["deception_recruitment", "forced_criminality"],
            "outcome": "identified_victim",
            "outcome_reason": notes.outcome_reason,
        }
        assert page.post(reverse("victims:screening", args=[one]), screening).status_code == 302
        consent = {"consent_given": "on"}
        assert page.post(reverse("victims:consent", args=[one]), consent).status_code == 302
        audience = {"tlp": "amber", "audience": "named", "shared_with": [bravo.pk]}
        assert page.post(reverse("victims:audience", args=[one]), audience).status_code == 302
        keep(page.get(reverse("victims:referral", args=[one])))
        keep(page.get(reverse("victims:export")))
        search = page.post(reverse("victims:search"), {"passport": p1.passport_number.lower()})
        assert f"VR-{one:06d}".encode() in search.content
        keep(as_user(bob).get(reverse("victims:detail", args=[one])))  # shared with bravo
        assert as_user(alpha_admin).get(reverse("victims:access_log")).status_code == 200
        assert page.get("/victims/987654321/").status_code == 404  # a logged canary path

        # --- the API: alice's token, the analyst, the purge ----------------------------------
        api = _token_client(alice)
        base = "/api/v1/victims/"
        bad = api.post(base, {**p2.fields(), "nationality": "ZZ"}, format="json")
        assert bad.status_code == 400
        created = api.post(base, {**p2.fields(), "nationality": "VN"}, format="json")
        assert created.status_code == 201, created.content
        two = created.json()["id"]
        keep(api.get(f"{base}{two}/"))
        for step in ({"to_status": "located"}, {"to_status": "rescued_or_released"}):
            assert api.post(f"{base}{two}/transition/", step, format="json").status_code == 200
        screened = api.post(f"{base}{two}/screening/", screening, format="json")
        assert screened.status_code == 201
        basis = {
            "consent_given": False,
            "lawful_basis": "vital_interest",
            "lawful_basis_note": notes.lawful_basis,
        }
        assert api.post(f"{base}{two}/consent/", basis, format="json").status_code == 200
        wide = {"tlp": "amber", "audience": "all"}
        assert api.post(f"{base}{two}/audience/", wide, format="json").status_code == 200
        hits = api.post(f"{base}search/", {"passport": p2.passport_number}, format="json")
        assert [r["id"] for r in hits.json()] == [two]
        police = _token_client(analyst)
        assert police.get(base, {"police": "1"}).status_code == 200
        keep(police.get(f"{base}{two}/"))
        assert _token_client(alpha_admin).get(f"{base}access-events/").status_code == 200

        three = api.post(base, {**p3.fields(), "nationality": "ID"}, format="json").json()["id"]
        keep(api.get(f"{base}{three}/"))
        for step in (
            {"to_status": "rescued_or_released"},
            {"to_status": "closed", "note": notes.closed},
        ):
            assert api.post(f"{base}{three}/transition/", step, format="json").status_code == 200
        keep(api.get(f"{base}{three}/"))  # the closing note, on the timeline until the purge
        # A year and more later (retention: 365 days), the beat's purge runs as a task.
        VictimRecord.objects.filter(pk=three).update(
            final_at=timezone.now() - dt.timedelta(days=settings.VICTIMS_RETENTION_DAYS + 1)
        )
        victims_purge_expired_task.delay()  # to the broker, as the beat sends it
        if scan_broker is not None:
            assert scan_broker.run_queued() == 1
        purged = api.get(f"{base}{three}/")
        assert purged.json()["identity_purged"] and purged.json()["given_name"] == ""
        assert notes.closed not in purged.content.decode()  # the timeline's notes went too
    finally:
        request_started.disconnect(dispatch_uid="scan-access-log")

    # --- collect the haystacks -------------------------------------------------------------
    dump, dump_how = database_dump()
    log_text = app_log.read_text(encoding="utf-8", errors="replace")
    haystacks = [
        Haystack("database dump", dump, dump_how),
        Haystack("application log (DEBUG, SQL)", log_text, "every logger, SQL parameters"),
        Haystack("request lines (access log)", "\n".join(request_lines), "method, path, query"),
    ]
    broker_note = "skipped: redis-server is not installed (tasks ran in-process)"
    if scan_broker is not None:
        traffic = scan_broker.finish()
        decoded, messages = decode_messages(monitor_args(traffic))
        haystacks.append(Haystack("broker traffic (MONITOR)", traffic.decode("utf-8", "replace")))
        haystacks.append(Haystack("broker messages (decoded)", decoded, f"{messages} messages"))
        broker_note = f"private redis-server, {messages} messages"
        assert "victims.tasks.victims_purge_expired_task" in decoded  # the purge went through it

    # The notes, by the person they were written about (the screening's reason: both screened).
    about = {"note.lawful_basis": 1, "note.closed": 2}
    typed = [(about.get(label, 0), label, text) for label, text in notes.values().items()]
    targets = needles(
        people,
        extra=[(0, "family_name", corrected.family_name), (0, "phone", corrected.phone), *typed],
    )
    hits = scan(haystacks, targets)
    result = ScanReport(
        haystacks,
        targets,
        hits,
        people=len(people),
        values=sum(len(p.values()) for p in people) + 2 + len(typed),
        lines=[f"   broker: {broker_note}"],
    )
    print(result.table())

    # Positive controls: the scan looks at the right things and can find what is there.
    shown = "\n".join(answers)
    for person in (p1, p2):
        assert person.given_name in shown and person.aliases in shown
    assert corrected.family_name in shown and p1.passport_number in shown
    for label, text in notes.values().items():  # the notes read back where they are shown
        assert text in shown, label
    assert canary in dump  # the dump holds the rows' plain columns
    assert "/victims/987654321/" in log_text  # the 404 was logged by django.request
    assert "victims_victimrecord" in log_text  # SQL was logged with its parameters
    assert hits == [], result.table()
