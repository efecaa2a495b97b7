"""API tokens: hashed at rest, scoped, expiring, revocable by their owner and by the admins
of the owner's delegation, and useless once the account is removed or deactivated."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.views import APIView

from embassies import services
from embassies.choices import ApiTokenScope
from embassies.models import ApiToken
from embassies.permissions import TokenScopePermission
from indicators.models import IPReport

from .conftest import unverified_client
from .urlconf import routes

READ, WRITE = ApiTokenScope.READ, ApiTokenScope.WRITE


def api(key: str) -> Client:
    return Client(headers={"Authorization": f"Token {key}"})


def _report(address: str = "8.8.8.8") -> dict:
    seen = (timezone.now() - timedelta(hours=1)).isoformat()
    return {"reports": [{"address": address, "seen_at": seen, "context": "chat"}]}


def _post_report(client: Client, address: str = "8.8.8.8"):
    return client.post("/api/v1/ip-reports/", _report(address), content_type="application/json")


# --- issuing and storing ----------------------------------------------------------------------


def test_key_is_shown_once_and_stored_only_as_its_digest(alice):
    token, key = services.api_token_create(user=alice, name="nightly upload", scope=WRITE)
    assert key.startswith("ex_") and len(key) >= 40
    assert token.prefix == key[:11]
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM embassies_apitoken WHERE id = %s", [token.pk])
        row = cursor.fetchone()
    assert all(key not in str(value) for value in row)  # not in plain text, in no column
    assert key[11:] not in " ".join(str(v) for v in row)  # nor the part after the prefix
    assert hashlib.sha256(key.encode()).hexdigest() in row
    assert api(key).get(reverse("api_me")).json()["email"] == alice.email


def test_expiry_defaults_to_90_days_and_is_at_most_365(alice):
    token, _ = services.api_token_create(user=alice, name="a", scope=READ)
    assert timedelta(days=89, hours=23) < token.expires_at - token.created_at <= timedelta(days=90)
    now = timezone.now()
    for bad in (now - timedelta(seconds=1), now + timedelta(days=366)):
        with pytest.raises(ValidationError):
            services.api_token_create(user=alice, name="b", scope=READ, expires_at=bad)
    services.api_token_create(
        user=alice, name="c", scope=READ, expires_at=now + timedelta(days=365)
    )


def test_bad_names_and_scopes_are_refused(alice):
    for name, scope in (("", READ), ("   ", READ), ("x", "admin")):
        with pytest.raises(ValidationError):
            services.api_token_create(user=alice, name=name, scope=scope)
    assert not ApiToken.objects.exists()


def test_accounts_without_a_role_get_no_tokens(outsider, as_user):
    with pytest.raises(PermissionDenied):
        services.api_token_create(user=outsider, name="x", scope=READ)
    browser = as_user(outsider)
    page = browser.get(reverse("api_token"))
    assert page.status_code == 200 and "cannot have API tokens" in page.content.decode()
    response = browser.post(
        reverse("api_token"), {"name": "x", "scope": "read", "expires_in_days": 30}
    )
    assert response.status_code == 403
    assert not ApiToken.objects.exists()


def test_live_tokens_per_account_are_limited(alice):
    for n in range(services.API_TOKEN_MAX_ACTIVE):
        services.api_token_create(user=alice, name=f"t{n}", scope=READ)
    with pytest.raises(ValidationError):
        services.api_token_create(user=alice, name="one too many", scope=READ)
    services.api_token_revoke(actor=alice, token=alice.api_tokens.first())
    services.api_token_create(user=alice, name="in its place", scope=READ)


# --- the account page ---------------------------------------------------------------------------


def test_account_page_creates_lists_and_revokes(alice, as_user):
    browser = as_user(alice)
    page = browser.post(
        reverse("api_token"), {"name": "stix export", "scope": "read", "expires_in_days": 30}
    )
    key = page.context["new_key"]
    assert key in page.content.decode()
    assert "no-store" in page["Cache-Control"]  # the key must not stay in any cache
    token = ApiToken.objects.get(user=alice)
    assert token.scope == READ and token.name == "stix export"
    assert timedelta(days=29) < token.expires_at - timezone.now() <= timedelta(days=30)

    api(key).get(reverse("api_me"))
    listing = browser.get(reverse("api_token")).content.decode()
    for shown in ("stix export", token.prefix, "Read only", token.created_at.strftime("%Y-%m-%d")):
        assert shown in listing
    assert key not in listing and token.key_digest not in listing
    token.refresh_from_db()
    assert token.last_used_at is not None

    response = browser.post(reverse("api_token_revoke", args=[token.pk]))
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None and token.revoked_by == alice
    assert "Revoked" in browser.get(reverse("api_token")).content.decode()


def test_expiry_over_a_year_is_refused_by_the_form(alice, as_user):
    page = as_user(alice).post(
        reverse("api_token"), {"name": "long", "scope": "read", "expires_in_days": 366}
    )
    assert page.status_code == 200 and page.context["form"].errors["expires_in_days"]
    assert not ApiToken.objects.exists()


def test_tokens_are_made_only_from_a_verified_session(alice):
    browser = unverified_client(alice)
    response = browser.post(
        reverse("api_token"), {"name": "x", "scope": "write", "expires_in_days": 30}
    )
    assert response.status_code == 302 and response.url.startswith(reverse("otp_verify"))
    assert not ApiToken.objects.exists()


def test_nobody_revokes_anothers_token_from_their_own_page(alice, bob, as_user):
    token, key = services.api_token_create(user=alice, name="a", scope=READ)
    response = as_user(bob).post(reverse("api_token_revoke", args=[token.pk]))
    assert response.status_code == 404
    assert api(key).get(reverse("api_me")).status_code == 200
    with pytest.raises(PermissionDenied):
        services.api_token_revoke(actor=bob, token=token)


# --- delegation admins ------------------------------------------------------------------------


def test_admin_sees_and_revokes_members_tokens_but_never_their_keys(
    alice, alpha_admin, alpha, as_user
):
    token, key = services.api_token_create(user=alice, name="alice's script", scope=WRITE)
    api(key).get(reverse("api_me"))
    admin = as_user(alpha_admin)
    page = admin.get(reverse("members", args=[alpha.slug])).content.decode()
    assert "alice&#x27;s script" in page and token.prefix in page
    assert key not in page and token.key_digest not in page

    response = admin.post(reverse("member_token_revoke", args=[alpha.slug, token.pk]))
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_by == alpha_admin
    assert api(key).get(reverse("api_me")).status_code == 401
    assert token.prefix not in admin.get(reverse("members", args=[alpha.slug])).content.decode()


def test_other_delegations_admins_cannot_touch_the_token(alice, bravo_admin, alpha, bravo, as_user):
    token, key = services.api_token_create(user=alice, name="a", scope=READ)
    admin = as_user(bravo_admin)
    # Under alpha's slug: not bravo's admin's workspace. Under bravo's: not bravo's member.
    for slug in (alpha.slug, bravo.slug):
        response = admin.post(reverse("member_token_revoke", args=[slug, token.pk]))
        assert response.status_code == 404
    bravo_page = admin.get(reverse("members", args=[bravo.slug])).content.decode()
    assert token.prefix not in bravo_page
    assert api(key).get(reverse("api_me")).status_code == 200


# --- authentication -----------------------------------------------------------------------------


def test_read_scope_may_read_but_not_write(alice):
    _token, key = services.api_token_create(user=alice, name="reader", scope=READ)
    client = api(key)
    assert client.get("/api/v1/ip-reports/").status_code == 200
    response = _post_report(client)
    assert response.status_code == 403
    assert "read scope" in response.json()["detail"]
    assert not IPReport.objects.exists()
    _token, write_key = services.api_token_create(user=alice, name="writer", scope=WRITE)
    assert _post_report(api(write_key)).status_code == 201
    assert IPReport.objects.count() == 1


def test_revoked_expired_and_unknown_tokens_get_401(alice):
    revoked, revoked_key = services.api_token_create(user=alice, name="r", scope=READ)
    services.api_token_revoke(actor=alice, token=revoked)
    expired, expired_key = services.api_token_create(user=alice, name="e", scope=READ)
    ApiToken.objects.filter(pk=expired.pk).update(
        created_at=timezone.now() - timedelta(days=91),
        expires_at=timezone.now() - timedelta(seconds=1),
    )
    for key, message in (
        (revoked_key, "revoked"),
        (expired_key, "expired"),
        ("ex_" + "A" * 43, "Invalid token"),
        ("x" * 1000, "Invalid token"),
    ):
        response = api(key).get(reverse("api_me"))
        assert response.status_code == 401, key
        assert message in response.json()["detail"]
        assert response["WWW-Authenticate"] == "Token"
    for header in ("Token", "Token a b"):
        response = Client(headers={"Authorization": header}).get(reverse("api_me"))
        assert response.status_code == 401


def test_removed_member_is_refused_and_their_tokens_revoked(alice, alpha_admin, alpha):
    _token, key = services.api_token_create(user=alice, name="a", scope=WRITE)
    assert api(key).get(reverse("api_me")).status_code == 200
    services.member_remove(actor=alpha_admin, workspace=alpha, member=alice)
    assert api(key).get(reverse("api_me")).status_code == 401
    assert not alice.api_tokens.filter(revoked_at__isnull=True).exists()
    # Reactivated by hand: the old key stays dead.
    type(alice).objects.filter(pk=alice.pk).update(is_active=True)
    assert api(key).get(reverse("api_me")).status_code == 401


def test_deactivation_revokes_every_token(alice, platform_admin, bob):
    keys = [services.api_token_create(user=alice, name=n, scope=READ)[1] for n in "ab"]
    with pytest.raises(PermissionDenied):
        services.user_deactivate(actor=bob, user=alice)
    services.user_deactivate(actor=platform_admin, user=alice)
    assert all(api(k).get(reverse("api_me")).status_code == 401 for k in keys)
    assert alice.api_tokens.filter(revoked_at__isnull=False).count() == 2


def test_inactive_account_is_refused_even_before_revocation(alice):
    _token, key = services.api_token_create(user=alice, name="a", scope=READ)
    type(alice).objects.filter(pk=alice.pk).update(is_active=False)
    assert api(key).get(reverse("api_me")).status_code == 401


def test_last_used_is_written_at_most_once_a_minute(alice):
    token, key = services.api_token_create(user=alice, name="a", scope=READ)
    client = api(key)

    def updates() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("api_me")).status_code == 200
        return sum(q["sql"].startswith("UPDATE") for q in ctx.captured_queries)

    assert updates() == 1  # first use
    assert updates() == 0  # within the minute: a read, not a write
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now() - timedelta(minutes=2))
    assert updates() == 1
    token.refresh_from_db()
    assert timezone.now() - token.last_used_at < timedelta(seconds=30)


def test_every_api_view_applies_the_scope_permission(db):
    """A view that replaced the default permission classes would let read tokens write."""
    checked = 0
    for route in routes():
        view = getattr(route.callback, "cls", None) or getattr(route.callback, "view_class", None)
        if view is None or not issubclass(view, APIView) or not route.is_api:
            continue
        if route.name in ("schema", "api_docs"):
            continue  # read-only documentation (GET only)
        assert TokenScopePermission in view.permission_classes, route.name
        checked += 1
    assert checked > 30


def test_schema_documents_the_token_scheme(client, db):
    schema = client.get("/api/schema/?format=json").json()
    scheme = schema["components"]["securitySchemes"]["tokenAuth"]
    assert scheme["type"] == "apiKey" and scheme["in"] == "header"
    assert scheme["name"] == "Authorization" and "Token <key>" in scheme["description"]


# --- the migration from DRF's authtoken ------------------------------------------------------


def test_legacy_drf_keys_are_carried_over_hashed_and_the_table_dropped(alice):
    from importlib import import_module

    from django.apps import apps

    migration = import_module("embassies.migrations.0003_api_token")
    legacy_key = "0123456789abcdef0123456789abcdef01234567"
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE authtoken_token (key varchar(40) PRIMARY KEY, created timestamp, "
            "user_id bigint NOT NULL)"
        )
        cursor.execute(
            "INSERT INTO authtoken_token (key, created, user_id) VALUES (%s, %s, %s)",
            [legacy_key, timezone.now(), alice.pk],
        )
    # The migration's function needs only these two of a schema editor (SQLite opens no real
    # one inside the test's transaction).
    editor = SimpleNamespace(connection=connection, execute=connection.cursor().execute)
    migration.replace_drf_tokens(apps, editor)
    assert "authtoken_token" not in connection.introspection.table_names()
    token = ApiToken.objects.get(user=alice)
    assert token.key_digest == hashlib.sha256(legacy_key.encode()).hexdigest()
    assert token.scope == WRITE and token.expires_at > timezone.now()
    assert api(legacy_key).get(reverse("api_me")).json()["email"] == alice.email
