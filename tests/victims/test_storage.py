"""The database alone reveals no identity: raw rows hold ciphertext and a keyed hash only, for
the identity fields and for the free text officers type about the person."""

import datetime as dt
import io

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.test import override_settings

from victims import services
from victims.audit import chain_verify
from victims.choices import VictimStatus
from victims.crypto import decrypt, is_token, lookup_hash, normalise_passport
from victims.models import AccessEvent, Screening, VictimRecord

from .factories import FAMILY, NAME, PASSPORT, story, victim


def _raw_row(pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM victims_victimrecord WHERE id = %s", [pk])
        return " ".join(str(v) for v in cursor.fetchone())


def test_raw_rows_hold_no_plain_identity(alice):
    record = victim(alice, aliases="Zorblat")
    raw = _raw_row(record.pk).lower()
    for plain in (
        NAME,
        FAMILY,
        "Zorblat",
        PASSPORT,
        normalise_passport(PASSPORT),
        "1999-04-05",
        "900 000 0001",
        "Mother",
    ):
        assert plain.lower() not in raw, plain
    # ...while the model gives the plain values back.
    fresh = VictimRecord.objects.get(pk=record.pk)
    assert (fresh.given_name, fresh.family_name, fresh.passport_number) == (NAME, FAMILY, PASSPORT)
    assert fresh.date_of_birth == dt.date(1999, 4, 5)
    assert fresh.passport_hash == lookup_hash(PASSPORT)


def test_no_table_of_the_app_holds_the_name(alice):
    """Events, screenings and the access log too (they carry references, never names)."""
    from .factories import screened

    record = screened(alice, victim(alice))
    with connection.cursor() as cursor:
        for table in ("victims_victimevent", "victims_screening", "victims_accessevent"):
            cursor.execute(f"SELECT * FROM {table}")
            dump = " ".join(str(v) for row in cursor.fetchall() for v in row)
            assert NAME not in dump and normalise_passport(PASSPORT) not in dump, table
    assert record.pk


def _raw(table: str, column: str, pk: int) -> str:
    """One column as stored, read past the model field (no decryption)."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s", [pk])
        return cursor.fetchone()[0]


CREATED_NOTE = "Her aunt Quorrelby reported her missing; phone +63 900 000 0003."
LOCATED_NOTE = "Found through a call from inside Building 7; she asked us not to tell her boss."
REASON = "Says she was sold to the compound for 30,000 baht by a recruiter she calls Zyxwanda."
BASIS = "Still held in the compound; her employer threatened her family."


def _story(actor) -> tuple[VictimRecord, Screening]:
    return story(
        actor, created_note=CREATED_NOTE, located_note=LOCATED_NOTE, reason=REASON, basis=BASIS
    )


def _event_id(record: VictimRecord, note: str) -> int:
    return next(e.pk for e in record.events.all() if e.note == note)


def test_free_text_is_encrypted_at_rest_and_read_back_plain(alice):
    record, screening = _story(alice)
    stored = {
        ("victims_victimrecord", "lawful_basis_note", record.pk): BASIS,
        ("victims_screening", "outcome_reason", screening.pk): REASON,
        ("victims_victimevent", "note", _event_id(record, CREATED_NOTE)): CREATED_NOTE,
        ("victims_victimevent", "note", _event_id(record, LOCATED_NOTE)): LOCATED_NOTE,
        ("victims_victimevent", "note", _event_id(record, REASON)): REASON,  # the outcome move
    }
    for (table, column, pk), plain in stored.items():
        raw = _raw(table, column, pk)
        assert raw != plain and is_token(raw), (table, column)
        for word in ("Quorrelby", "Zyxwanda", "Building 7", "threatened", "900 000 0003"):
            assert word not in raw
        assert decrypt(raw) == plain
    # Round trip through the models, and through .values(), which also goes through the field.
    assert VictimRecord.objects.get(pk=record.pk).lawful_basis_note == BASIS
    assert Screening.objects.values_list("outcome_reason", flat=True).get(pk=screening.pk) == REASON
    notes = set(record.events.values_list("note", flat=True))
    assert {CREATED_NOTE, LOCATED_NOTE, REASON} <= notes
    # An empty note stays empty (no ciphertext): the rescue step was written without one.
    rescued = record.events.get(to_status=VictimStatus.RESCUED_OR_RELEASED)
    assert _raw("victims_victimevent", "note", rescued.pk) == ""


def test_the_lawful_basis_still_needs_a_note_in_the_database(alice):
    """The check constraint compares the column with '': an empty note stays '' encrypted."""
    record, _screening = _story(alice)
    with pytest.raises(IntegrityError), transaction.atomic():
        VictimRecord.objects.filter(pk=record.pk).update(lawful_basis_note="")
    with pytest.raises(ValidationError):
        record.lawful_basis_note = ""
        record.full_clean(exclude=["shared_with"])


def test_key_rotation_reencrypts_existing_rows(alice):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    with override_settings(VICTIMS_ENCRYPTION_KEYS=[old]):
        record = victim(alice)
        before = _raw_row(record.pk)
    with override_settings(VICTIMS_ENCRYPTION_KEYS=[new, old]):
        assert VictimRecord.objects.get(pk=record.pk).given_name == NAME
        assert services.identity_reencrypt().records >= 1
        assert _raw_row(record.pk) != before
    with override_settings(VICTIMS_ENCRYPTION_KEYS=[new]):
        fresh = VictimRecord.objects.get(pk=record.pk)
        assert (fresh.given_name, fresh.passport_number) == (NAME, PASSPORT)


def test_key_rotation_covers_the_free_text_and_keeps_the_logs_intact(alice):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    with override_settings(VICTIMS_ENCRYPTION_KEYS=[old]):
        record, screening = _story(alice)
        events = record.events.count()
        located = _event_id(record, LOCATED_NOTE)
        before = _raw("victims_victimevent", "note", located)
    chain = list(AccessEvent.objects.order_by("seq").values_list("seq", "hash"))
    with override_settings(VICTIMS_ENCRYPTION_KEYS=[new, old]):
        done = services.identity_reencrypt(batch_size=2)  # several batches
        # Every row with a value: the record, its screening, each event with a note.
        assert (done.records, done.screenings) == (1, 1)
        assert done.events == record.events.exclude(note="").count() < events
        assert _raw("victims_victimevent", "note", located) != before
        # A rerun finds nothing left under the old key.
        assert services.identity_reencrypt() == services.Reencrypted()
    with override_settings(VICTIMS_ENCRYPTION_KEYS=[new]):
        fresh = VictimRecord.objects.get(pk=record.pk)
        assert (fresh.given_name, fresh.lawful_basis_note) == (NAME, BASIS)
        assert Screening.objects.get(pk=screening.pk).outcome_reason == REASON
        assert {CREATED_NOTE, LOCATED_NOTE, REASON} <= {e.note for e in fresh.events.all()}
        assert fresh.events.count() == events
    # The access log holds no encrypted value: untouched, its chain intact.
    assert list(AccessEvent.objects.order_by("seq").values_list("seq", "hash")) == chain
    assert chain_verify().ok
    if connection.vendor == "postgresql":  # the timeline's trigger is back on
        with pytest.raises(DatabaseError, match=r"(?i)cannot"), transaction.atomic():
            _raw_sql("UPDATE victims_victimevent SET note = 'x'")


def _raw_sql(sql: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql)


def test_rotate_command_reports_every_table(alice):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    with override_settings(VICTIMS_ENCRYPTION_KEYS=[old]):
        record, _screening = _story(alice)
    out = io.StringIO()
    with override_settings(VICTIMS_ENCRYPTION_KEYS=[new, old]):
        call_command("victims_rotate_keys", stdout=out)
    events = record.events.exclude(note="").count()
    assert f"1 victim records, 1 screenings, {events} timeline entries" in out.getvalue()


def test_rotate_command_says_who_may_rewrite_the_timeline(monkeypatch):
    def refused(**kwargs):
        raise services.ReencryptNeedsOwner("re-encrypting victims_victimevent needs the owner")

    monkeypatch.setattr(
        "victims.management.commands.victims_rotate_keys.identity_reencrypt", refused
    )
    with pytest.raises(CommandError, match=r"owner.*Keep the old keys"):
        call_command("victims_rotate_keys")


def test_passport_lookup_uses_the_hash(alice, bob):
    from victims.selectors import victim_search_passport

    mine = victim(alice)
    victim(alice, passport_number="OTHER1")
    assert list(victim_search_passport(user=alice, number="p1234-567x")) == [mine]
    assert list(victim_search_passport(user=alice, number="P1234567")) == []  # exact only
    # Bravo is outside the audience: no hit, not even a count.
    assert victim_search_passport(user=bob, number=PASSPORT).count() == 0


@pytest.mark.parametrize("bad", ["", "  ", "--"])
def test_empty_passport_search_finds_nothing(alice, bad):
    from victims.selectors import victim_search_passport

    victim(alice, passport_number="")
    assert victim_search_passport(user=alice, number=bad).count() == 0
