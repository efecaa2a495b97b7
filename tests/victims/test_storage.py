"""The database alone reveals no identity: raw rows hold ciphertext and a keyed hash only."""

import datetime as dt

import pytest
from cryptography.fernet import Fernet
from django.db import connection
from django.test import override_settings

from victims import services
from victims.crypto import lookup_hash, normalise_passport
from victims.models import VictimRecord

from .factories import FAMILY, NAME, PASSPORT, victim


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


def test_key_rotation_reencrypts_existing_rows(alice):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    with override_settings(VICTIMS_ENCRYPTION_KEYS=[old]):
        record = victim(alice)
        before = _raw_row(record.pk)
    with override_settings(VICTIMS_ENCRYPTION_KEYS=[new, old]):
        assert VictimRecord.objects.get(pk=record.pk).given_name == NAME
        assert services.identity_reencrypt() >= 1
        assert _raw_row(record.pk) != before
    with override_settings(VICTIMS_ENCRYPTION_KEYS=[new]):
        fresh = VictimRecord.objects.get(pk=record.pk)
        assert (fresh.given_name, fresh.passport_number) == (NAME, PASSPORT)


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
