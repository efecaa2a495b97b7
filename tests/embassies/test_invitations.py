"""Invitation links: single use, expiring, stored hashed; bad links get a clear page."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from embassies.choices import WorkspaceRole
from embassies.models import Invitation, User
from embassies.selectors import token_hash
from embassies.services import invitation_create
from tests.totp import code_for_key

PASSWORD = "a long pass phrase for tests"


@pytest.fixture
def invite(alpha, alpha_admin):
    invitation, token = invitation_create(
        actor=alpha_admin, workspace=alpha, email="new@alpha.test", role=WorkspaceRole.OFFICER
    )
    return invitation, token


def _post(client, token, **overrides):
    link = reverse("invitation_accept", args=[token])
    page = client.get(link)
    key = next((v for k, v in client.session.items() if k.startswith("invite_totp:")), None)
    data = {
        "full_name": "New Officer",
        "password1": PASSWORD,
        "password2": PASSWORD,
        "totp_code": code_for_key(key) if key else "000000",
    }
    data.update(overrides)
    return page, client.post(link, data)


def test_only_the_hash_is_stored(invite):
    invitation, token = invite
    assert token not in invitation.token_hash
    assert Invitation.objects.filter(token_hash=token_hash(token)).exists()
    assert not Invitation.objects.filter(token_hash=token).exists()


def test_accepted_invitation_cannot_be_reused(client, invite):
    _, token = invite
    _, response = _post(client, token)
    assert response.status_code == 302
    assert User.objects.filter(email="new@alpha.test").count() == 1
    from django.test import Client

    again = Client().get(reverse("invitation_accept", args=[token]))
    assert again.status_code == 410
    assert "already been used" in again.content.decode()


def test_expired_invitation_gets_a_clear_page(client, invite):
    invitation, token = invite
    Invitation.objects.filter(pk=invitation.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    page = client.get(reverse("invitation_accept", args=[token]))
    assert page.status_code == 410
    assert "expired" in page.content.decode()
    # A POST to the expired link creates nothing either.
    client.post(
        reverse("invitation_accept", args=[token]),
        {"full_name": "x", "password1": PASSWORD, "password2": PASSWORD, "totp_code": "1"},
    )
    assert not User.objects.filter(email="new@alpha.test").exists()


def test_default_expiry_is_72_hours(invite):
    invitation, _ = invite
    assert abs((invitation.expires_at - invitation.created_at) - timedelta(hours=72)) < timedelta(
        seconds=5
    )


@pytest.mark.parametrize(
    "forged",
    ["x", "A" * 43, "../../etc/passwd", "%00", "a" * 500],
)
def test_forged_or_tampered_links_get_a_clear_page(client, invite, forged):
    page = client.get(f"/invite/{forged}/")
    assert page.status_code in (404, 410)
    if page.status_code == 410:
        assert "not valid" in page.content.decode()


def test_tampered_token_one_character_changed(client, invite):
    _, token = invite
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")
    page = client.get(reverse("invitation_accept", args=[tampered]))
    assert page.status_code == 410
    assert "not valid" in page.content.decode()


def test_revoked_invitation(client, invite, alpha_admin, as_user, alpha):
    invitation, token = invite
    as_user(alpha_admin).post(reverse("invitation_revoke", args=[alpha.slug, invitation.pk]))
    page = client.get(reverse("invitation_accept", args=[token]))
    assert page.status_code == 410 and "withdrawn" in page.content.decode()


def test_new_invitation_replaces_the_open_one(alpha, alpha_admin, client, invite):
    _, old_token = invite
    _, new_token = invitation_create(
        actor=alpha_admin, workspace=alpha, email="NEW@alpha.test", role=WorkspaceRole.OFFICER
    )
    assert client.get(reverse("invitation_accept", args=[old_token])).status_code == 410
    assert client.get(reverse("invitation_accept", args=[new_token])).status_code == 200


def test_wrong_totp_code_keeps_the_link_usable(client, invite):
    _, token = invite
    _, response = _post(client, token, totp_code="123456")
    assert response.status_code == 200
    assert "does not match" in response.content.decode()
    assert not User.objects.filter(email="new@alpha.test").exists()
    _, response = _post(client, token)
    assert response.status_code == 302


def test_weak_password_is_refused_with_a_message(client, invite):
    _, token = invite
    _, response = _post(client, token, password1="password", password2="password")
    assert response.status_code == 200
    assert response.context["form"].errors["password1"]
    assert not User.objects.filter(email="new@alpha.test").exists()


def test_mismatched_passwords(client, invite):
    _, token = invite
    _, response = _post(client, token, password2="something else entirely")
    assert "differ" in response.content.decode()


def test_cannot_invite_an_existing_account(alpha, alpha_admin, bob):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="already has an account"):
        invitation_create(
            actor=alpha_admin, workspace=alpha, email=bob.email, role=WorkspaceRole.OFFICER
        )


def test_analyst_role_only_in_host_police(alpha, alpha_admin, police, platform_admin):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        invitation_create(
            actor=alpha_admin, workspace=alpha, email="x@alpha.test", role=WorkspaceRole.ANALYST
        )
    invitation, _ = invitation_create(
        actor=platform_admin, workspace=police, email="a2@police.test", role=WorkspaceRole.ANALYST
    )
    assert invitation.role == WorkspaceRole.ANALYST


def test_accepted_analyst_gets_global_role(client, police, platform_admin):
    _, token = invitation_create(
        actor=platform_admin, workspace=police, email="a2@police.test", role=WorkspaceRole.ANALYST
    )
    _, response = _post(client, token)
    assert response.status_code == 302
    user = User.objects.get(email="a2@police.test")
    assert user.is_police_analyst and user.workspace == police
