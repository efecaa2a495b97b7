"""Repeated failed sign-ins lock the account (django-axes)."""

from datetime import timedelta

from axes.models import AccessAttempt
from django.conf import settings
from django.urls import reverse

PASSWORD = "correct horse battery staple"


def _login(client, email, password):
    return client.post(reverse("login"), {"username": email, "password": password})


def test_five_failures_lock_the_account_even_for_the_right_password(client, alice):
    for _ in range(4):
        response = _login(client, alice.email, "wrong")
        assert response.status_code == 200
        assert (
            "correct email" in response.content.decode().lower() or response.context["form"].errors
        )
    response = _login(client, alice.email, "wrong")
    assert response.status_code == 429
    assert "Too many failed sign-ins" in response.content.decode()
    response = _login(client, alice.email, PASSWORD)
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_lock_lasts_at_least_ten_minutes_then_lifts(client, alice):
    assert settings.AXES_COOLOFF_TIME >= timedelta(minutes=10)
    for _ in range(5):
        _login(client, alice.email, "wrong")
    assert _login(client, alice.email, PASSWORD).status_code == 429
    # Nine minutes later it is still locked; after the cool-off it lifts.
    AccessAttempt.objects.update(
        attempt_time=AccessAttempt.objects.get().attempt_time - timedelta(minutes=9)
    )
    assert _login(client, alice.email, PASSWORD).status_code == 429
    AccessAttempt.objects.update(
        attempt_time=AccessAttempt.objects.get().attempt_time - settings.AXES_COOLOFF_TIME
    )
    assert _login(client, alice.email, PASSWORD).status_code == 302


def test_lock_is_per_account(client, alice, bob):
    for _ in range(5):
        _login(client, alice.email, "wrong")
    assert _login(client, bob.email, PASSWORD).status_code == 302


def test_successful_sign_in_resets_the_count(client, alice):
    for _ in range(4):
        _login(client, alice.email, "wrong")
    assert _login(client, alice.email, PASSWORD).status_code == 302
    client.post(reverse("logout"))
    for _ in range(4):
        _login(client, alice.email, "wrong")
    assert _login(client, alice.email, PASSWORD).status_code == 302
