"""Two-factor: a password alone opens nothing but the sign-in steps, on every URL.

Generated from the URLconf. A user who signed in with the password but has not passed the
second factor is sent to the verification step from every page (GET and POST alike, nothing
changes) and is refused by every API endpoint. The few public routes are named here, each
with the reason; a new route is protected unless it is added to this list.
"""

from __future__ import annotations

from django.urls import reverse

from .conftest import unverified_client
from .test_csrf import FORGED, _database_state
from .urlconf import routes

# Reachable without the second factor, and why.
PUBLIC = {
    "login": "the first sign-in step",
    "logout": "signing out",
    "otp_verify": "the second sign-in step",
    "otp_enrol": "enrolling an authenticator (accounts made outside invitations)",
    "invitation_accept": "accepting an invitation sets the password and authenticator",
    "set_language": "the language switch on the sign-in pages",
    "healthz": "the load balancer's health check (no data)",
    "readyz": "the readiness probe (ages and states of the services, no data)",
    "metrics": "Prometheus metrics: refused without the token or off the loopback (no data)",
    "schema": "the OpenAPI description (no data)",
    "api_docs": "the API documentation page (no data)",
}


def test_every_non_public_url_needs_the_second_factor(world, alice, analyst, alpha_admin):
    verify = reverse("otp_verify")
    users = (alice, alpha_admin, analyst, world.users["novice"])
    browsers = [(user, unverified_client(user)) for user in users]
    before = _database_state()
    checked = 0
    for user, browser in browsers:
        for route in routes():
            if route.name in PUBLIC:
                continue
            url = world.url(route)
            for method in ("get", "post"):
                response = getattr(browser, method)(url, FORGED if method == "post" else None)
                where = (user.email, method, url, response.status_code)
                if route.is_api:
                    assert response.status_code == 401, where
                    assert response["WWW-Authenticate"] == "Token", where
                else:
                    assert response.status_code == 302, where
                    assert response.url.startswith(verify + "?next="), where
                checked += 1
    assert _database_state() == before
    assert checked >= 4 * 2 * 80


def test_public_routes_exist(db):
    """The exceptions name real routes (a renamed one must not widen the list silently)."""
    names = {route.name for route in routes()}
    assert set(PUBLIC) <= names


def test_verification_is_what_opens_them(world, alice, as_user):
    """The same user, once verified, gets the pages: the refusals are the second factor's."""
    verified = as_user(alice)
    assert verified.get(reverse("home")).status_code == 200
    assert verified.get(reverse("api_me")).status_code == 200
    assert unverified_client(alice).get(reverse("home")).status_code == 302
