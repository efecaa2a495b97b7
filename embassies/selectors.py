"""Reads for delegations, workspaces, members and invitations, each scoped to the viewer."""

from __future__ import annotations

import hashlib

from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import (
    ApiToken,
    Delegation,
    Invitation,
    User,
    Workspace,
    WorkspaceUserObjectPermission,
)
from .permissions import can_manage_members, is_platform_admin

NOT_FOUND = _("Not found.")


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def delegation_list(*, user: User) -> QuerySet[Delegation]:
    """All delegations with member counts: the platform admin's onboarding overview."""
    if not is_platform_admin(user):
        return Delegation.objects.none()
    return Delegation.objects.select_related("workspace").annotate(
        member_count=Count("workspace__members", filter=Q(workspace__members__is_active=True))
    )


def workspace_directory() -> QuerySet[Workspace]:
    """Active workspaces, for choosing named audiences. Names are not secret; records are."""
    return Workspace.objects.filter(is_active=True).select_related("delegation")


def workspace_get_managed(*, user: User, slug: str) -> Workspace:
    """The workspace whose members `user` may manage; 404 alike for missing and not yours."""
    workspace = Workspace.objects.select_related("delegation").filter(slug=slug).first()
    if workspace is None or not can_manage_members(user, workspace):
        raise Http404(NOT_FOUND)
    return workspace


def member_list(*, workspace: Workspace) -> QuerySet[User]:
    """Members of a workspace with their grants, in two queries whatever the size."""
    return (
        User.objects.filter(workspace=workspace, is_active=True)
        .prefetch_related(
            Prefetch(
                "workspaceuserobjectpermission_set",
                queryset=WorkspaceUserObjectPermission.objects.filter(
                    content_object=workspace
                ).select_related("permission"),
                to_attr="workspace_grants",
            )
        )
        .order_by("email")
    )


def member_get(*, workspace: Workspace, user_id: int) -> User:
    member = User.objects.filter(workspace=workspace, is_active=True, pk=user_id).first()
    if member is None:
        raise Http404(NOT_FOUND)
    return member


def invitation_list(*, workspace: Workspace) -> QuerySet[Invitation]:
    return workspace.invitations.select_related("invited_by")


def invitation_get_by_token(*, token: str) -> Invitation | None:
    """The invitation a link's token names, or None for a forged or unknown token."""
    if not token or len(token) > 200:
        return None
    return (
        Invitation.objects.select_related("workspace__delegation")
        .filter(token_hash=token_hash(token))
        .first()
    )


# API tokens: lists show name, prefix, scope and dates; the key itself is never stored.
_TOKEN_FIELDS = (
    "id",
    "user_id",
    "name",
    "prefix",
    "scope",
    "created_at",
    "expires_at",
    "last_used_at",
    "revoked_at",
)


def api_token_list(*, user: User) -> QuerySet[ApiToken]:
    """The user's own tokens, newest first (live, expired and revoked)."""
    return ApiToken.objects.filter(user=user).only(*_TOKEN_FIELDS)


def api_token_get_own(*, user: User, token_id: int) -> ApiToken:
    token = ApiToken.objects.select_related("user").filter(user=user, pk=token_id).first()
    if token is None:
        raise Http404(NOT_FOUND)
    return token


def api_token_list_for_workspace(*, workspace: Workspace) -> QuerySet[ApiToken]:
    """Live tokens of a workspace's active members: what their delegation admins oversee."""
    return (
        ApiToken.objects.filter(
            user__workspace=workspace,
            user__is_active=True,
            revoked_at__isnull=True,
            expires_at__gt=timezone.now(),
        )
        .select_related("user")
        .only(*_TOKEN_FIELDS, "user__email", "user__full_name")
        .order_by("user__email", "-created_at")
    )


def api_token_get_managed(*, workspace: Workspace, token_id: int) -> ApiToken:
    """A token of a member of `workspace` (the caller manages it); 404 alike otherwise."""
    token = (
        ApiToken.objects.select_related("user__workspace")
        .filter(user__workspace=workspace, pk=token_id)
        .first()
    )
    if token is None:
        raise Http404(NOT_FOUND)
    return token
