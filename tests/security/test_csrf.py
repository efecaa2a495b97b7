"""CSRF: a POST without the token is refused on every URL, for pages and the session API.

The list comes from the URLconf. Each POST carries what a forged form would (plausible
fields, no token), from a browser session that has passed the second factor; each is refused
with 403 before anything is written, and the database is the same afterwards.
"""

from __future__ import annotations

from datetime import timedelta

from django.apps import apps
from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone

from embassies.models import ApiToken
from indicators.models import IPReport

from .urlconf import routes

# What a forged form might send: every field name a form here uses, with plausible values.
FORGED = {
    "name": "forged",
    "scope": "write",
    "expires_in_days": "30",
    "email": "forged@evil.test",
    "role": "admin",
    "language": "th",
    "text": "forged",
    "to_status": "rejected",
    "status": "closed",
    "approve": "1",
    "title": "forged",
    "address": "8.8.8.8",
}


# DRF views that render their errors through the site's 403 page, which does not say why.
HTML_ERRORS = {"api_docs"}


def _database_state() -> dict[str, list]:
    """Every row of every table (sessions aside: each request refreshes its expiry)."""
    state = {}
    for model in apps.get_models():
        if model is Session:
            continue
        state[model._meta.label] = list(model._base_manager.order_by("pk").values())
    return state


def _verified(client: Client, user) -> Client:
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.get(user=user).persistent_id
    session.save()
    return client


def test_every_post_without_the_csrf_token_is_refused_and_changes_nothing(
    world, alice, alpha_admin, analyst
):
    browsers = {
        user.email: _verified(Client(enforce_csrf_checks=True), user)
        for user in (alice, alpha_admin, analyst)
    }
    for browser in browsers.values():
        browser.get("/")  # a CSRF cookie, as a victim's browser holds one: only the token lacks
    before = _database_state()
    refused = 0
    for route in routes():
        url = world.url(route)
        for who, browser in browsers.items():
            response = browser.post(url, FORGED)
            body = response.content.decode(errors="replace")
            assert response.status_code == 403, (url, who, response.status_code, body[:200])
            if route.name not in HTML_ERRORS:
                # The page says why in words (exchange.views.csrf_failure), the API says CSRF.
                assert "CSRF" in body or "The form had expired" in body, (url, who, body[:200])
            refused += 1
    assert _database_state() == before
    assert refused >= 3 * 90


def test_the_same_post_with_the_token_goes_through(world, alice):
    """The refusals above are CSRF's doing: with the token the form works."""
    browser = _verified(Client(enforce_csrf_checks=True), alice)
    browser.get("/settings/api-token/")
    token = browser.cookies[settings.CSRF_COOKIE_NAME].value
    response = browser.post(
        "/settings/api-token/",
        {"name": "with token", "scope": "read", "expires_in_days": "30"},
        headers={"X-CSRFToken": token},
    )
    assert response.status_code == 200
    assert ApiToken.objects.filter(user=alice, name="with token").exists()


def test_the_api_docs_refusal_is_csrf(alice, db):
    """/api/docs/ shows its 403 as the site's page; with the token the POST is a plain 405."""
    browser = _verified(Client(enforce_csrf_checks=True), alice)
    assert browser.post("/api/docs/").status_code == 403
    browser.get("/")
    token = browser.cookies[settings.CSRF_COOKIE_NAME].value
    assert browser.post("/api/docs/", headers={"X-CSRFToken": token}).status_code == 405


def test_api_with_a_token_needs_no_csrf_token(world, alice):
    """Token calls carry no cookie, so CSRF does not apply to them (and is not needed)."""
    from tests.embassies.factories import api_key

    client = Client(enforce_csrf_checks=True, headers={"Authorization": f"Token {api_key(alice)}"})
    an_hour_ago = (timezone.now() - timedelta(hours=1)).isoformat()
    response = client.post(
        "/api/v1/ip-reports/",
        {"reports": [{"address": "8.8.4.4", "seen_at": an_hour_ago, "context": "chat"}]},
        content_type="application/json",
    )
    assert response.status_code in (200, 201), response.content
    assert IPReport.objects.filter(address="8.8.4.4", workspace=alice.workspace).exists()
