"""Reads for delegations, workspaces, members and invitations, each scoped to the viewer."""

from __future__ import annotations

import hashlib

from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from .models import Delegation, Invitation, User, Workspace, WorkspaceUserObjectPermission
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
