"""API throttling: per account and per address, 429 with a message and Retry-After.

DRF reads its rates once, at import, into `SimpleRateThrottle.THROTTLE_RATES`; the tests set
small rates in that dict (monkeypatch restores it) and start from an empty cache (conftest).
"""

from __future__ import annotations

import logging

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.throttling import SimpleRateThrottle

from embassies.models import ApiToken
from tests.embassies.factories import api_key


@pytest.fixture
def rates(monkeypatch):
    def set_rate(scope: str, rate: str) -> None:
        monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, scope, rate)

    return set_rate


def _assert_throttled(response) -> None:
    assert response.status_code == 429
    assert "throttled" in response.json()["detail"]
    assert int(response["Retry-After"]) > 0


def test_an_account_over_its_rate_gets_429_with_retry_after(alice, bob, rates):
    rates("user", "3/minute")
    client = Client(headers={"Authorization": f"Token {api_key(alice)}"})
    for _ in range(3):
        assert client.get(reverse("api_me")).status_code == 200
    _assert_throttled(client.get(reverse("api_me")))
    # Counted per account, not per address: bob, from the same address, is not held back.
    other = Client(headers={"Authorization": f"Token {api_key(bob)}"})
    assert other.get(reverse("api_me")).status_code == 200


def test_all_of_an_accounts_tokens_and_its_session_share_one_count(alice, as_user, rates):
    rates("user", "2/minute")
    first = Client(headers={"Authorization": f"Token {api_key(alice)}"})
    second = Client(headers={"Authorization": f"Token {api_key(alice, name='second')}"})
    assert first.get(reverse("api_me")).status_code == 200
    assert second.get(reverse("api_me")).status_code == 200
    _assert_throttled(as_user(alice).get(reverse("api_me")))


def test_requests_without_credentials_are_limited_per_address(db, rates):
    rates("anon", "2/minute")
    client = Client()
    for _ in range(2):
        assert client.get("/api/schema/?format=json").status_code == 200
    _assert_throttled(client.get("/api/schema/?format=json"))
    elsewhere = Client(REMOTE_ADDR="198.51.100.7")
    assert elsewhere.get("/api/schema/?format=json").status_code == 200


def test_creating_tokens_has_its_own_stricter_rate(alice, as_user, rates):
    rates("api_token_issue", "2/hour")
    browser = as_user(alice)
    form = {"name": "t", "scope": "read", "expires_in_days": 30}
    for _ in range(2):
        assert browser.post(reverse("api_token"), form).context["new_key"]
    page = browser.post(reverse("api_token"), form)
    assert page.status_code == 429
    assert int(page["Retry-After"]) > 0
    assert "Too many tokens created" in page.content.decode()
    assert ApiToken.objects.filter(user=alice).count() == 2
    assert browser.get(reverse("api_token")).status_code == 200  # listing is not limited


def test_an_unreachable_cache_lets_requests_through(alice, rates, settings, caplog):
    """Redis down must not take the API down: the request passes and the failure is logged."""
    rates("user", "1/minute")
    client = Client(headers={"Authorization": f"Token {api_key(alice)}"})
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:9/0",  # the discard port: nothing listens
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
    with caplog.at_level(logging.ERROR, logger="embassies.throttling"):
        for _ in range(3):
            assert client.get(reverse("api_me")).status_code == 200
    assert "cache unavailable" in caplog.text


def test_default_rates_are_set():
    from django.conf import settings

    rates = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    assert {"anon", "user", "api_token_issue"} <= set(rates)
    assert settings.REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"] == [
        "embassies.throttling.AnonThrottle",
        "embassies.throttling.UserThrottle",
    ]
