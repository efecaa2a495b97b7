"""Delegation admins manage their own workspace only; removal cuts access at once."""

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from embassies.choices import WorkspaceRole
from embassies.models import User, Workspace
from embassies.permissions import can_manage_members, workspaces_with_perm
from embassies.services import invitation_create
from tests.embassies.factories import UserFactory, api_key
from tests.oracle import fingerprint


def test_admin_sees_own_members(alpha_admin, alice, bob, as_user, alpha):
    page = as_user(alpha_admin).get(reverse("members", args=[alpha.slug]))
    assert page.status_code == 200
    body = page.content.decode()
    assert alice.email in body and alpha_admin.email in body
    assert bob.email not in body


def _foreign_urls(alpha, alice):
    invitation, _ = invitation_create(
        actor=None, workspace=alpha, email="pending@alpha.test", role=WorkspaceRole.OFFICER
    )
    return [
        ("get", reverse("members", args=[alpha.slug])),
        ("post", reverse("members", args=[alpha.slug])),
        ("post", reverse("member_remove", args=[alpha.slug, alice.pk])),
        ("post", reverse("member_role", args=[alpha.slug, alice.pk])),
        ("post", reverse("invitation_revoke", args=[alpha.slug, invitation.pk])),
        ("get", reverse("api_members", args=[alpha.slug])),
    ]


@pytest.mark.parametrize("who", ["bravo_admin", "bob", "alice", "analyst", "outsider"])
def test_others_cannot_reach_alpha_member_pages(who, request, alpha, alice, as_user):
    user = request.getfixturevalue(who)
    urls = _foreign_urls(alpha, alice)
    browser = as_user(user)
    missing_url = reverse("members", args=["no-such-workspace"])
    missing = fingerprint(browser.get(missing_url), missing_url)
    for method, url in urls:
        data = {"email": "intruder@evil.test", "role": "admin"} if method == "post" else None
        response = getattr(browser, method)(url, data)
        assert response.status_code == 404, (who, url)
        if url.startswith("/workspaces/") and method == "get":
            # The same page as for a workspace that does not exist (bar the echoed URL).
            assert fingerprint(response, url) == missing
    alice.refresh_from_db()
    assert alice.is_active
    assert not User.objects.filter(email="intruder@evil.test").exists()
    assert not alpha.invitations.filter(email="intruder@evil.test").exists()


def test_removal_by_member_id_of_another_workspace_is_refused(alpha_admin, bob, as_user, alpha):
    # Alpha's admin names bravo's officer under alpha's slug: not found, nothing changes.
    response = as_user(alpha_admin).post(reverse("member_remove", args=[alpha.slug, bob.pk]))
    assert response.status_code == 404
    bob.refresh_from_db()
    assert bob.is_active


def test_platform_admin_manages_any_workspace(platform_admin, alpha, alice, as_user):
    assert as_user(platform_admin).get(reverse("members", args=[alpha.slug])).status_code == 200


def test_admin_invites_an_officer(
    alpha_admin, alpha, as_user, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = as_user(alpha_admin).post(
            reverse("members", args=[alpha.slug]),
            {"email": "third@alpha.test", "full_name": "Third", "role": WorkspaceRole.OFFICER},
        )
    assert response.status_code == 302
    assert mailoutbox[0].to == ["third@alpha.test"]
    assert "/invite/" in mailoutbox[0].body
    # The mail carries a link, and nothing about the workspace's records.
    assert alpha.invitations.get(email="third@alpha.test").role == WorkspaceRole.OFFICER


def test_removed_member_is_refused_on_the_next_request(alpha_admin, alice, as_user, alpha):
    alice_browser = as_user(alice)
    api = Client(headers={"Authorization": f"Token {api_key(alice)}"})
    assert alice_browser.get(reverse("home")).status_code == 200
    assert api.get(reverse("api_me")).status_code == 200

    response = as_user(alpha_admin).post(reverse("member_remove", args=[alpha.slug, alice.pk]))
    assert response.status_code == 302

    page = alice_browser.get(reverse("home"))
    assert page.status_code == 302 and page.url.startswith(reverse("login"))
    assert api.get(reverse("api_me")).status_code == 401
    alice.refresh_from_db()
    assert not alice.is_active
    # Revoked too, not only refused while inactive: reactivation does not bring keys back.
    assert not alice.api_tokens.filter(revoked_at__isnull=True).exists()
    assert not workspaces_with_perm(alice, "act_as_officer").exists()


def test_deactivated_user_is_refused_on_the_next_request(alice, as_user):
    browser = as_user(alice)
    assert browser.get(reverse("home")).status_code == 200
    User.objects.filter(pk=alice.pk).update(is_active=False)
    assert browser.get(reverse("home")).status_code == 302


def test_admin_cannot_remove_self(alpha_admin, as_user, alpha):
    response = as_user(alpha_admin).post(
        reverse("member_remove", args=[alpha.slug, alpha_admin.pk]), follow=True
    )
    assert "cannot remove yourself" in response.content.decode()
    alpha_admin.refresh_from_db()
    assert alpha_admin.is_active


def test_officer_is_not_an_admin(alice, alpha, as_user):
    assert as_user(alice).get(reverse("members", args=[alpha.slug])).status_code == 404


def test_model_wide_permission_never_opens_every_workspace(alpha, bravo, bob):
    """guardian's accept_global_perms default would hand bob every workspace: not here."""
    for codename in ("manage_members", "act_as_officer"):
        bob.user_permissions.add(Permission.objects.get(codename=codename))
    bob = User.objects.get(pk=bob.pk)  # drop the permission cache
    assert bob.has_perm("embassies.manage_members")  # the model-wide grant exists...
    assert list(workspaces_with_perm(bob, "manage_members")) == []  # ...and opens nothing
    assert list(workspaces_with_perm(bob, "act_as_officer")) == [bravo]
    assert not can_manage_members(bob, alpha)


def test_superuser_is_not_a_workspace_admin_or_analyst(alpha, as_user):
    root = UserFactory(email="super@ops.test", is_superuser=True, is_staff=True)
    assert not can_manage_members(root, alpha)
    assert not root.is_police_analyst
    assert as_user(root).get(reverse("members", args=[alpha.slug])).status_code == 404


def test_members_api_lists_own_workspace(
    alpha_admin, alice, as_user, alpha, django_assert_max_num_queries
):
    browser = as_user(alpha_admin)
    response = browser.get(reverse("api_members", args=[alpha.slug]))
    assert response.status_code == 200
    emails = {m["email"]: m["role"] for m in response.json()["results"]}
    assert emails == {alice.email: "officer", alpha_admin.email: "admin"}


def test_members_api_query_count_is_constant(
    alpha_admin, as_user, alpha, django_assert_num_queries
):
    browser = as_user(alpha_admin)
    browser.get(reverse("api_members", args=[alpha.slug]))  # warm the session
    for _ in range(5):
        UserFactory(workspace=alpha, role=WorkspaceRole.OFFICER)

    def count() -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as ctx:
            assert browser.get(reverse("api_members", args=[alpha.slug])).status_code == 200
        return len(ctx)

    first = count()
    for _ in range(10):
        UserFactory(workspace=alpha, role=WorkspaceRole.OFFICER)
    assert count() == first


def test_workspace_model_has_guardian_direct_fk_tables(db):
    from guardian.utils import get_user_obj_perms_model

    model = get_user_obj_perms_model(Workspace)
    assert model.__name__ == "WorkspaceUserObjectPermission"


def test_admin_changes_a_members_role(alpha_admin, alice, alpha, as_user):
    from embassies.permissions import is_workspace_admin

    browser = as_user(alpha_admin)
    response = browser.post(reverse("member_role", args=[alpha.slug, alice.pk]), {"role": "admin"})
    assert response.status_code == 302
    alice = User.objects.get(pk=alice.pk)
    assert is_workspace_admin(alice, alpha)
    browser.post(reverse("member_role", args=[alpha.slug, alice.pk]), {"role": "officer"})
    alice = User.objects.get(pk=alice.pk)
    assert not is_workspace_admin(alice, alpha)
    # The analyst role exists only in the host police workspace.
    page = browser.post(
        reverse("member_role", args=[alpha.slug, alice.pk]), {"role": "analyst"}, follow=True
    )
    assert "host police" in page.content.decode()
    assert not User.objects.get(pk=alice.pk).is_police_analyst


def test_other_workspace_admin_cannot_change_roles(bravo_admin, alice, alpha, as_user):
    response = as_user(bravo_admin).post(
        reverse("member_role", args=[alpha.slug, alice.pk]), {"role": "admin"}
    )
    assert response.status_code == 404
    from embassies.permissions import is_workspace_admin

    assert not is_workspace_admin(User.objects.get(pk=alice.pk), alpha)


def test_invitations_show_their_state_in_words(alpha_admin, as_user, alpha):
    invitation_create(
        actor=None, workspace=alpha, email="pending@alpha.test", role=WorkspaceRole.OFFICER
    )
    body = as_user(alpha_admin).get(reverse("members", args=[alpha.slug])).content.decode()
    assert "<td>Pending</td>" in body and "<td>pending</td>" not in body
