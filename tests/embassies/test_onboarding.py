"""Onboarding end to end: a platform admin creates a delegation, its admin joins with TOTP."""

import re

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from embassies.choices import DelegationKind
from embassies.models import Delegation, Invitation, User
from embassies.permissions import is_workspace_admin
from tests.totp import code_for, code_for_key

PASSWORD = "a long pass phrase for tests"


def _link_from_outbox() -> str:
    assert len(mail.outbox) == 1
    match = re.search(r"http://\S+/invite/(\S+)/", mail.outbox[0].body)
    assert match, mail.outbox[0].body
    return f"/invite/{match.group(1)}/"


def _accept(client, link: str, *, password: str = PASSWORD, name: str = "Maria Santos"):
    page = client.get(link)
    assert page.status_code == 200
    key = next(v for k, v in client.session.items() if k.startswith("invite_totp:"))
    assert page.context["secret"]  # the key is shown for manual entry too
    return client.post(
        link,
        {
            "full_name": name,
            "password1": password,
            "password2": password,
            "totp_code": code_for_key(key),
        },
    )


def test_platform_admin_onboards_delegation_and_admin_signs_in_with_totp(
    platform_admin, as_user, client, django_capture_on_commit_callbacks
):
    admin_browser = as_user(platform_admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_browser.post(
            reverse("delegation_onboard"),
            {
                "name": "Embassy of the Philippines",
                "kind": DelegationKind.EMBASSY,
                "country": "PH",
                "admin_email": "Consul@PH.example",
                "admin_name": "Maria Santos",
            },
        )
    assert response.status_code == 302
    delegation = Delegation.objects.get(name="Embassy of the Philippines")
    workspace = delegation.workspace
    assert response.url == reverse("members", args=[workspace.slug])
    assert mail.outbox[0].to == ["consul@ph.example"]
    link = _link_from_outbox()

    response = _accept(client, link)
    assert response.status_code == 302 and response.url == reverse("home")
    user = User.objects.get(email="consul@ph.example")
    assert user.workspace == workspace
    assert is_workspace_admin(user, workspace)
    assert client.get(reverse("home")).status_code == 200  # signed in and verified at once

    # A fresh sign-in asks for the password, then always for the second factor.
    browser = client_class_fresh()
    response = browser.post(
        reverse("login"), {"username": "consul@ph.example", "password": PASSWORD}
    )
    assert response.status_code == 302
    home = browser.get(reverse("home"))
    assert home.status_code == 302 and home.url.startswith(reverse("otp_verify"))
    # The code just used to enrol cannot be replayed.
    replay = browser.post(reverse("otp_verify"), {"code": code_for(user)})
    assert "not valid" in replay.content.decode()
    assert browser.get(reverse("home")).status_code == 302
    # Skip django-otp's 1-second back-off after a failure, then use the next step's code.
    TOTPDevice.objects.filter(user=user).update(throttling_failure_timestamp=None)
    ok = browser.post(reverse("otp_verify"), {"code": code_for(user, step=1)})
    assert ok.status_code == 302
    assert browser.get(reverse("home")).status_code == 200
    # The new admin manages their own workspace.
    assert browser.get(reverse("members", args=[workspace.slug])).status_code == 200


def client_class_fresh():
    from django.test import Client

    return Client()


def test_onboarding_needs_platform_admin(alpha_admin, as_user):
    response = as_user(alpha_admin).post(
        reverse("delegation_onboard"),
        {"name": "X", "kind": DelegationKind.EMBASSY, "country": "PH", "admin_email": "x@x.test"},
    )
    assert response.status_code == 403
    assert not Delegation.objects.filter(name="X").exists()
    assert as_user(alpha_admin).get(reverse("delegation_list")).status_code == 403


def test_onboarding_form_errors_are_clear(platform_admin, as_user, alpha):
    browser = as_user(platform_admin)
    response = browser.post(
        reverse("delegation_onboard"),
        {
            "name": "Embassy of Nowhere",
            "kind": DelegationKind.EMBASSY,
            "country": "",
            "admin_email": "not-an-email",
        },
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "admin_email" in errors
    # The name of an existing delegation is refused with a message, not a 500.
    response = browser.post(
        reverse("delegation_onboard"),
        {
            "name": alpha.delegation.name,
            "kind": DelegationKind.EMBASSY,
            "country": "PH",
            "admin_email": "new@alpha.test",
        },
    )
    assert response.status_code == 200
    assert "name" in response.context["form"].errors
    # An embassy needs its country.
    response = browser.post(
        reverse("delegation_onboard"),
        {
            "name": "Embassy of Somewhere",
            "kind": DelegationKind.EMBASSY,
            "country": "",
            "admin_email": "new@some.test",
        },
    )
    assert response.status_code == 200
    # On the country field, in words: not the constraint's name above the form.
    errors = response.context["form"].errors
    assert list(errors) == ["country"]
    assert errors["country"] == [
        "Choose the country: only an international organisation may have none."
    ]
    assert "embassies_delegation" not in response.content.decode()
    assert not Delegation.objects.filter(name="Embassy of Somewhere").exists()


def test_onboard_delegation_command(db, capsys):
    call_command(
        "onboard_delegation",
        "UNHCR Bangkok",
        "--kind",
        DelegationKind.INTERNATIONAL_ORG,
        "--admin-email",
        "lead@unhcr.example",
    )
    out = capsys.readouterr().out
    assert "Onboarded UNHCR Bangkok" in out
    assert re.search(r"/invite/\S+/", out)
    invitation = Invitation.objects.get(email="lead@unhcr.example")
    assert invitation.role == "admin" and invitation.state() == "pending"


def test_onboard_delegation_command_reports_bad_input(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="country"):
        call_command(
            "onboard_delegation",
            "Embassy of Nowhere",
            "--kind",
            "embassy",
            "--country",
            "ZZ",
            "--admin-email",
            "a@b.example",
        )
    assert not Delegation.objects.exists()
