"""Encrypt the free text officers type about a person, as the identity fields already are.

One migration, so the data and the field types change in one transaction (PostgreSQL and
SQLite both run a migration atomically): the app never reads a plain row through an encrypting
field, which would fail (EncryptedTextField.from_db_value decrypts every non-empty value).

The rows are read and written with raw SQL, not the historical models, so the value is what the
column holds whatever the field class in the migration state. A value is encrypted only if it is
not a token already (a rerun, or rows written by the new code) and decrypted back only if it is
one. A token no configured key opens stops the migration: encrypting it again would hide it and
writing it back as plain text would lose it (configure the key it was written with).

victims_victimevent is append-only, on PostgreSQL by a trigger with no session bypass: its trigger
is disabled inside this transaction only (ALTER TABLE holds an exclusive lock on the table until
commit, so no other session writes meanwhile; a rollback leaves it enabled). That needs the
table owner, as every migration here does.
"""

from django.db import migrations

import victims.crypto

COLUMNS = (
    ("victims_victimrecord", "lawful_basis_note"),
    ("victims_screening", "outcome_reason"),
    ("victims_victimevent", "note"),
)
APPEND_ONLY = {"victims_victimevent": "pgtrigger_vic_event_append_only_f207d"}
BATCH = 1000


def _unreadable(table, column, pk):
    return RuntimeError(
        f"{table}.{column} of row {pk} is encrypted under a key that is not in "
        "VICTIMS_ENCRYPTION_KEYS: add that key and run the migration again"
    )


def _to_token(table, column, pk, value):
    if not victims.crypto.is_token(value):
        return victims.crypto.encrypt(value)
    try:
        victims.crypto.decrypt(value)
    except victims.crypto.DecryptionError:
        raise _unreadable(table, column, pk) from None
    return None  # encrypted already: never twice


def _to_plain(table, column, pk, value):
    if not victims.crypto.is_token(value):
        return None  # plain already
    try:
        return victims.crypto.decrypt(value)
    except victims.crypto.DecryptionError:
        raise _unreadable(table, column, pk) from None


def _convert(schema_editor, convert):
    connection = schema_editor.connection
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for table, column in COLUMNS:
            trigger = APPEND_ONLY.get(table) if connection.vendor == "postgresql" else None
            if trigger:
                # Deferred FK checks still pending would make ALTER TABLE refuse.
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                cursor.execute(f"ALTER TABLE {quote(table)} DISABLE TRIGGER {quote(trigger)}")
            select = (
                f"SELECT id, {quote(column)} FROM {quote(table)} "
                f"WHERE id > %s AND {quote(column)} <> '' ORDER BY id"
            )
            update = f"UPDATE {quote(table)} SET {quote(column)} = %s WHERE id = %s"
            last = 0
            while True:
                cursor.execute(f"{select} LIMIT {BATCH}", [last])
                rows = cursor.fetchall()
                if not rows:
                    break
                changes = []
                for pk, value in rows:
                    new = convert(table, column, pk, value)
                    if new is not None:
                        changes.append((new, pk))
                if changes:
                    cursor.executemany(update, changes)
                last = rows[-1][0]
            if trigger:
                cursor.execute(f"ALTER TABLE {quote(table)} ENABLE TRIGGER {quote(trigger)}")


def encrypt_rows(apps, schema_editor):
    _convert(schema_editor, _to_token)


def decrypt_rows(apps, schema_editor):
    _convert(schema_editor, _to_plain)


class Migration(migrations.Migration):
    dependencies = [
        ("victims", "0001_victim_records"),
    ]

    operations = [
        # First in both directions' terms: forward, the rows are encrypted before the fields
        # change; backward, the fields change back first, then the rows are decrypted.
        migrations.RunPython(encrypt_rows, decrypt_rows, elidable=False),
        migrations.AlterField(
            model_name="screening",
            name="outcome_reason",
            field=victims.crypto.EncryptedTextField(verbose_name="reason for the outcome"),
        ),
        migrations.AlterField(
            model_name="victimevent",
            name="note",
            field=victims.crypto.EncryptedTextField(blank=True),
        ),
        migrations.AlterField(
            model_name="victimrecord",
            name="lawful_basis_note",
            field=victims.crypto.EncryptedTextField(blank=True, verbose_name="lawful basis: note"),
        ),
    ]
