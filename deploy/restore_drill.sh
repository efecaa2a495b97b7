#!/usr/bin/env bash
# Backup and restore drill (docs/operations.md, "Restore drill"); CI runs it (make restore-drill).
#
# 1. A source database with production settings and its own keys: migrate, the demo data
#    (victim records with encrypted identities), one audited read of a record.
# 2. Back up as an operator would: pg_dump in custom format (-Fc).
# 3. Restore into a fresh database with pg_restore, with the same keys (kept apart from
#    the dump: the dump alone cannot be read).
# 4. Verify the victims access log's hash chain and its append-only trigger, and read the
#    victim record back, decrypted, matching the source.
# 5. Show that the dump restored with other keys holds no readable identity.
# Databases are h_ops_drill_* on the PostgreSQL at DRILL_PG (default: 127.0.0.1, postgres),
# dropped at the end. Bounded: a few seconds plus two migrations.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PY:-.venv/bin/python}
PGHOST=${PGHOST:-127.0.0.1}
PGUSER=${PGUSER:-postgres}
export PGHOST PGUSER
SRC="h_ops_drill_src_$$"
DST="h_ops_drill_restored_$$"
WORK=$(mktemp -d /tmp/h_ops_drill.XXXXXX)
trap 'dropdb --if-exists --force "$SRC" 2>/dev/null || true; dropdb --if-exists --force "$DST" 2>/dev/null || true; rm -rf "$WORK"' EXIT

key() { "$PY" -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'; }
export DJANGO_ENV=production ALLOWED_HOSTS=drill.test LOG_FORMAT=text LOG_LEVEL=WARNING
export SECRET_KEY="$("$PY" -c 'import secrets; print(secrets.token_urlsafe(60))')"
export VICTIMS_ENCRYPTION_KEYS="$(key)"
export VICTIMS_LOOKUP_KEY="$("$PY" -c 'import secrets; print(secrets.token_urlsafe(40))')"

READ_RECORD='
from victims.audit import access_log
from victims.choices import AccessAction
from victims.models import VictimRecord
from embassies.models import User
from django.db import transaction
record = VictimRecord.objects.order_by("pk").first()
assert record is not None, "no victim record"
actor = User.objects.filter(workspace=record.workspace).first()
with transaction.atomic():
    access_log(actor=actor, records=[record], action=AccessAction.VIEW, detail="restore drill")
print(record.pk, record.passport_number, record.family_name)
'

echo "-- source database $SRC: migrate, demo data, one audited read"
createdb "$SRC"
export DATABASE_URL="postgres://$PGUSER@$PGHOST/$SRC"
"$PY" manage.py migrate --noinput -v 0
# seed_demo refuses production (public demo passwords); same database and keys otherwise.
DJANGO_ENV=development "$PY" manage.py seed_demo >/dev/null
before=$("$PY" manage.py shell --no-imports -c "$READ_RECORD" | tail -n 1)
echo "read victim record: ${before%% *}"
"$PY" manage.py victims_verify_audit

echo "-- backup: pg_dump -Fc"
pg_dump -Fc --no-owner -f "$WORK/exchange.dump" "$SRC"
ls -l "$WORK/exchange.dump" | awk '{print "dump size: " $5 " bytes"}'

echo "-- restore into a fresh database $DST"
createdb "$DST"
pg_restore --no-owner --exit-on-error -d "$DST" "$WORK/exchange.dump"
export DATABASE_URL="postgres://$PGUSER@$PGHOST/$DST"

echo "-- verify: audit chain, append-only trigger, migrations, the record decrypts"
"$PY" manage.py victims_verify_audit
"$PY" manage.py migrate --check --noinput -v 0
if psql -d "$DST" -qtAc "UPDATE victims_accessevent SET detail = 'tampered' WHERE seq = 1" 2>/dev/null; then
  echo "the restored access log accepted an UPDATE: its trigger did not survive" >&2
  exit 1
fi
after=$("$PY" manage.py shell --no-imports -c "
from victims.models import VictimRecord
record = VictimRecord.objects.get(pk=${before%% *})
print(record.pk, record.passport_number, record.family_name)
")
if [ "$before" != "$after" ]; then
  echo "the restored record differs: '$before' vs '$after'" >&2
  exit 1
fi
echo "victim record ${before%% *} reads back the same after the restore"
"$PY" manage.py shell --no-imports -c "$READ_RECORD" >/dev/null
"$PY" manage.py victims_verify_audit

echo "-- without the keys the dump is unreadable"
if VICTIMS_ENCRYPTION_KEYS="$(key)" "$PY" manage.py shell --no-imports -c "
from victims.models import VictimRecord
print(VictimRecord.objects.get(pk=${before%% *}).passport_number)
" >/dev/null 2>&1; then
  echo "a victim identity decrypted with other keys" >&2
  exit 1
fi
echo "restore drill: passed"
