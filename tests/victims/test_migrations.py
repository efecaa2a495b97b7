"""Migration 0002: the free text already stored is encrypted, once, and decrypted on the way back.

Runs the real migrations (MigrationExecutor) on the test database, SQLite or PostgreSQL, and
reads the columns with a cursor, past the model fields.
"""

import importlib
from types import SimpleNamespace

import pytest
from cryptography.fernet import Fernet
from django.db import connection, transaction
from django.db.migrations.executor import MigrationExecutor

from victims import crypto, services
from victims.choices import ScreeningOutcome
from victims.models import Screening, VictimRecord

from .factories import story

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("victims", "0001_victim_records")]
AFTER = [("victims", "0002_encrypt_free_text")]
migration = importlib.import_module("victims.migrations.0002_encrypt_free_text")

CLOSED = "Went home with her sister Quorrelby; case closed."
REASON = "Recruited by Zyxwanda through a fake job advert."
BASIS = "Still held in the compound."


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def _latest():
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


def _column(table, column):
    """{id: the value as stored}, read with a cursor (no model field decrypts it)."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id, {column} FROM {table} ORDER BY id")
        return dict(cursor.fetchall())


def _columns():
    return {
        "lawful_basis_note": _column("victims_victimrecord", "lawful_basis_note"),
        "outcome_reason": _column("victims_screening", "outcome_reason"),
        "note": _column("victims_victimevent", "note"),
    }


def _record_with_notes(actor) -> VictimRecord:
    record, _ = story(
        actor,
        created_note="Opened at the desk",
        reason=REASON,
        basis=BASIS,
        outcome=ScreeningOutcome.NOT_IDENTIFIED,
    )
    services.victim_transition(actor=actor, record=record, to_status="closed", note=CLOSED)
    return record


@pytest.fixture
def at_latest():
    try:
        yield
    finally:
        _latest()  # the next tests need the current schema whatever happened here


def test_backward_decrypts_and_forward_encrypts_once(alice, at_latest):
    record = _record_with_notes(alice)
    encrypted = _columns()
    plain = {
        name: {pk: crypto.decrypt(v) if v else v for pk, v in values.items()}
        for name, values in encrypted.items()
    }
    assert plain["lawful_basis_note"][record.pk] == BASIS
    assert REASON in plain["outcome_reason"].values() and CLOSED in plain["note"].values()

    # Backward: the rows hold plain text again (the old code reads them as they are).
    old_apps = _migrate(BEFORE)
    assert _columns() == plain
    # Rows written by the old code, in plain text; one already holds a token (a rerun, a row
    # the new code wrote): it must not be encrypted twice.
    OldEvent = old_apps.get_model("victims", "VictimEvent")
    typed = OldEvent.objects.create(record_id=record.pk, kind="edited", note="Typed by hand")
    sealed = OldEvent.objects.create(
        record_id=record.pk, kind="edited", note=crypto.encrypt("Sealed already")
    )
    empty = OldEvent.objects.create(record_id=record.pk, kind="edited", note="")
    plain["note"] |= {typed.pk: "Typed by hand", sealed.pk: "Sealed already", empty.pk: ""}

    # Forward: every non-empty value is a token that decrypts to what was there.
    _migrate(AFTER)
    after = _columns()
    for name, values in after.items():
        assert values.keys() == plain[name].keys()
        for pk, raw in values.items():
            if not plain[name][pk]:
                assert raw == "", (name, pk)
                continue
            assert crypto.is_token(raw) and plain[name][pk] not in raw, (name, pk)
            assert crypto.decrypt(raw) == plain[name][pk], (name, pk)
    # The new code reads them (the field decrypts; a plain value would fail).
    fresh = VictimRecord.objects.get(pk=record.pk)
    assert fresh.lawful_basis_note == BASIS
    assert {CLOSED, "Typed by hand", "Sealed already"} <= {e.note for e in fresh.events.all()}
    assert Screening.objects.get(record=fresh).outcome_reason == REASON

    # Run again over rows all encrypted: nothing changes.
    with transaction.atomic():
        migration.encrypt_rows(None, SimpleNamespace(connection=connection))
    assert _columns() == after


def test_a_token_no_key_opens_stops_the_migration(alice, at_latest):
    """Neither encrypted again (hidden for good) nor written back as plain text (lost)."""
    record = _record_with_notes(alice)
    foreign = Fernet(Fernet.generate_key()).encrypt(b"under a dropped key").decode()
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE victims_screening SET outcome_reason = %s WHERE record_id = %s",
            [foreign, record.pk],
        )
    before = _columns()
    schema_editor = SimpleNamespace(connection=connection)
    for step in (migration.encrypt_rows, migration.decrypt_rows):
        with pytest.raises(RuntimeError, match="VICTIMS_ENCRYPTION_KEYS"), transaction.atomic():
            step(None, schema_editor)
        assert _columns() == before
