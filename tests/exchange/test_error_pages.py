"""The site's own error pages in DEBUG too, unless DEBUG_TECHNICAL_PAGES asks for Django's.

The demo runs with DEBUG on: a hidden or missing record must still answer the site's 404
(the same words for both, no list of URL patterns), and an error the site's 500 (no traceback).
"""

import pytest
from django.test import Client
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.cases.factories import make_lead
from tests.oracle import fingerprint

TECHNICAL = ("URLconf", "Traceback", "DEBUG = True", "Request Method", "django.urls")
MISSING = 999999


def browser(user) -> Client:
    """A verified session that answers errors as a browser would see them (no re-raise)."""
    client = Client(raise_request_exception=False)
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.get(user=user).persistent_id
    session.save()
    return client


@pytest.fixture
def debug(settings):
    settings.DEBUG = True
    settings.DEBUG_TECHNICAL_PAGES = False
    return settings


@pytest.fixture
def boom(monkeypatch):
    """The dashboard and the leads API fail with an unexpected error."""

    def fail(*args, **kwargs):
        raise RuntimeError("secret internals: SELECT * FROM victims")

    monkeypatch.setattr("exchange.views.role_of", fail)
    monkeypatch.setattr("cases.selectors.lead_list", fail)


def _friendly(response, status: int) -> str:
    body = response.content.decode()
    assert response.status_code == status
    assert response["Content-Type"].startswith("text/html")
    for marker in TECHNICAL:
        assert marker not in body, marker
    assert 'href="/"' in body and "Back to the dashboard" in body
    return body


def test_missing_and_hidden_records_answer_the_same_friendly_404(debug, alice, bob):
    hidden = make_lead(alice, police=False)
    client = browser(bob)
    hidden_url = reverse("cases:lead_detail", args=[hidden.pk])
    missing_url = reverse("cases:lead_detail", args=[MISSING])
    hidden_page, missing_page = client.get(hidden_url), client.get(missing_url)
    body = _friendly(hidden_page, 404)
    assert "There is nothing here that you can see." in body
    assert bob.email in body  # the page keeps the signed-in header
    assert fingerprint(hidden_page, hidden_url) == fingerprint(missing_page, missing_url)


def test_an_unknown_address_answers_the_friendly_404(debug, alice):
    body = _friendly(browser(alice).get("/no/such/page/"), 404)
    assert "Not found" in body
    # Signed out too.
    _friendly(Client().get("/no/such/page/"), 404)


def test_the_404_page_speaks_thai(debug, alice):
    response = browser(alice).get("/no/such/page/", HTTP_ACCEPT_LANGUAGE="th")
    assert response.status_code == 404
    body = response.content.decode()
    assert '<html lang="th">' in body and "ไม่พบ" in body


def test_a_missing_slash_still_redirects(debug, alice):
    response = browser(alice).get("/leads")
    assert response.status_code == 301 and response["Location"] == "/leads/"


def test_an_error_answers_the_friendly_500_and_is_logged(debug, alice, boom, caplog):
    body = _friendly(browser(alice).get("/"), 500)
    assert "Something went wrong" in body and "secret internals" not in body
    assert any(
        r.name == "django.request" and r.exc_info and "secret internals" in str(r.exc_info[1])
        for r in caplog.records
    )


def test_forbidden_answers_the_friendly_403(debug, alice):
    body = _friendly(browser(alice).get(reverse("delegation_list")), 403)
    assert "Not allowed" in body


def test_a_csrf_failure_answers_the_friendly_403(debug, alice):
    client = browser(alice)
    client.handler.enforce_csrf_checks = True
    response = client.post(reverse("cases:lead_comment", args=[MISSING]), {"text": "x"})
    body = _friendly(response, 403)
    assert "CSRF" not in body and "reload the page" in body


def test_the_api_keeps_its_json_errors(debug, alice, bob, boom):
    hidden = make_lead(alice, police=False)
    client = browser(bob)
    unknown = client.get("/api/v1/no-such-endpoint/")
    assert unknown.status_code == 404 and unknown.json() == {"detail": "Not found."}
    hidden_answer = client.get(f"/api/v1/leads/{hidden.pk}/")
    missing_answer = client.get(f"/api/v1/leads/{MISSING}/")
    assert hidden_answer.status_code == missing_answer.status_code == 404
    assert (
        hidden_answer.json() == missing_answer.json() == {"detail": hidden_answer.json()["detail"]}
    )
    failed = client.get("/api/v1/leads/")
    assert failed.status_code == 500
    assert failed.json() == {"detail": "Server error. The error was logged."}


def test_technical_pages_when_asked_for(debug, alice, boom):
    debug.DEBUG_TECHNICAL_PAGES = True
    client = browser(alice)
    missing = client.get("/no/such/page/")
    assert missing.status_code == 404 and "URLconf" in missing.content.decode()
    failed = client.get("/")
    assert failed.status_code == 500 and "Traceback" in failed.content.decode()


def test_without_debug_the_same_pages(settings, alice, boom):
    settings.DEBUG = False
    client = browser(alice)
    _friendly(client.get("/no/such/page/"), 404)
    _friendly(client.get("/"), 500)
