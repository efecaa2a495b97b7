"""Two-factor is required for every page; sessions end when idle and after 12 hours."""

import time

from django.conf import settings
from django.test import Client
from django.urls import reverse

from embassies.middleware import SESSION_STARTED_KEY
from tests.totp import code_for

PASSWORD = "correct horse battery staple"


def test_password_alone_reaches_only_the_second_factor(alice, alpha):
    browser = Client()
    assert (
        browser.post(reverse("login"), {"username": alice.email, "password": PASSWORD}).status_code
        == 302
    )
    for url in (reverse("home"), reverse("api_token"), reverse("delegation_list")):
        response = browser.get(url)
        assert response.status_code == 302 and response.url.startswith(reverse("otp_verify")), url
    # The API does not take an unverified session either.
    assert browser.get(reverse("api_me")).status_code in (401, 403)
    browser.post(reverse("otp_verify"), {"code": code_for(alice)})
    assert browser.get(reverse("home")).status_code == 200
    assert browser.get(reverse("api_me")).json()["email"] == alice.email


def test_sign_in_by_email_is_case_insensitive_in_the_form(alice):
    browser = Client()
    response = browser.post(reverse("login"), {"username": alice.email, "password": PASSWORD})
    assert response.status_code == 302


def test_signed_out_pages_redirect_to_sign_in(client):
    response = client.get(reverse("home"))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))
    assert client.get(reverse("api_me")).status_code in (401, 403)


def test_idle_expiry_is_30_minutes_and_refreshed_by_each_request():
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    assert settings.SESSION_SAVE_EVERY_REQUEST


def test_session_ends_12_hours_after_sign_in_however_active(alice, as_user):
    browser = as_user(alice)
    assert browser.get(reverse("home")).status_code == 200
    session = browser.session
    session[SESSION_STARTED_KEY] = time.time() - 12 * 3600 - 1
    session.save()
    response = browser.get(reverse("home"))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))
    assert browser.get(reverse("home")).status_code == 302  # and stays signed out


def test_api_token_created_once_and_revocable(alice, as_user):
    browser = as_user(alice)
    page = browser.post(
        reverse("api_token"), {"name": "nightly", "scope": "read", "expires_in_days": 30}
    )
    key = page.context["new_key"]
    assert key and key in page.content.decode()
    api = Client(headers={"Authorization": f"Token {key}"})
    assert api.get(reverse("api_me")).json()["workspace"]["slug"] == "alpha"
    # Shown once: the list page afterwards names the token but never shows the key.
    listing = browser.get(reverse("api_token")).content.decode()
    assert "nightly" in listing and key not in listing
    token = alice.api_tokens.get()
    browser.post(reverse("api_token_revoke", args=[token.pk]))
    assert api.get(reverse("api_me")).status_code == 401


def test_next_parameter_cannot_redirect_offsite(alice):
    browser = Client()
    browser.post(reverse("login"), {"username": alice.email, "password": PASSWORD})
    response = browser.post(
        reverse("otp_verify") + "?next=https://evil.example/", {"code": code_for(alice)}
    )
    assert response.status_code == 302 and response.url == reverse("home")
