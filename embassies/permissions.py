"""Who may do what with a workspace. Every check here reads guardian's object grants only.

Guardian's shortcuts give superusers everything, and `get_objects_for_user` by default lets a
model-wide permission open *every* workspace (`accept_global_perms=True`). Neither may happen
here: a workspace role is held on that workspace or not at all.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy
from guardian.shortcuts import get_objects_for_user
from rest_framework.permissions import SAFE_METHODS, BasePermission

from .choices import ApiTokenScope, WorkspaceRole
from .models import ApiToken, Workspace, WorkspaceUserObjectPermission

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from .models import User

OFFICER_PERM = "act_as_officer"
ADMIN_PERM = "manage_members"


def workspaces_with_perm(user: User | AnonymousUser, perm: str) -> QuerySet[Workspace]:
    """Workspaces on which the user holds `perm` as an object grant (never a global one)."""
    if not user.is_authenticated or not user.is_active:
        return Workspace.objects.none()
    return get_objects_for_user(
        user,
        f"embassies.{perm}",
        klass=Workspace,
        accept_global_perms=False,
        with_superuser=False,
    )


def workspace_perms(user: User | AnonymousUser) -> frozenset[str]:
    """The user's grants on their own workspace, cached on the user object for the request."""
    if not user.is_authenticated or not user.is_active or not user.workspace_id:
        return frozenset()
    cached = getattr(user, "_workspace_perms", None)
    prefetched = getattr(user, "workspace_grants", None)  # set by selectors.member_list
    if cached is None and prefetched is not None:
        cached = frozenset(g.permission.codename for g in prefetched)
        setattr(user, "_workspace_perms", cached)  # noqa: B010  (per-request cache)
    if cached is None:
        cached = frozenset(
            WorkspaceUserObjectPermission.objects.filter(
                user_id=user.pk, content_object_id=user.workspace_id
            ).values_list("permission__codename", flat=True)
        )
        setattr(user, "_workspace_perms", cached)  # noqa: B010
    return cached


def is_verified(user: object) -> bool:
    """Has this session passed the second factor? (django-otp's OTPMiddleware sets this.)"""
    return bool(getattr(user, "is_verified", lambda: False)())


def is_officer(user: User | AnonymousUser) -> bool:
    return OFFICER_PERM in workspace_perms(user)


def is_workspace_admin(user: User | AnonymousUser, workspace: Workspace) -> bool:
    return (
        user.is_authenticated
        and user.workspace_id == workspace.pk
        and (ADMIN_PERM in workspace_perms(user))
    )


def is_platform_admin(user: User | AnonymousUser) -> bool:
    return bool(user.is_authenticated and user.is_active and user.is_platform_admin)


def is_police_analyst(user: User | AnonymousUser) -> bool:
    return bool(user.is_authenticated and user.is_active and user.is_police_analyst)


def can_manage_members(user: User | AnonymousUser, workspace: Workspace) -> bool:
    """Delegation admins manage their own workspace; platform admins manage any."""
    return is_platform_admin(user) or is_workspace_admin(user, workspace)


def has_any_role(user: User | AnonymousUser) -> bool:
    """Does the account hold any role at all (a workspace role or a global one)?

    An account without one (an outsider, a member whose grants were withdrawn) may not hold or
    use API tokens: there is nothing it could do with them.
    """
    return (
        is_platform_admin(user)
        or is_police_analyst(user)
        or bool(workspace_perms(user) & {OFFICER_PERM, ADMIN_PERM})
    )


class TokenScopePermission(BasePermission):
    """A read-scoped API token may only read (GET, HEAD, OPTIONS); write tokens may change.

    A global default (REST_FRAMEWORK's DEFAULT_PERMISSION_CLASSES); sessions are unaffected.
    A view lists in `token_read_actions` the POST actions that only read: a search whose terms
    (a passport number) must travel in the body, not in a URL that access logs keep.
    """

    message = gettext_lazy(
        "This API token has the read scope: it can only read. "
        "Use a token with the write scope to make changes."
    )
    code = "token_read_only"

    def has_permission(self, request, view) -> bool:
        token = request.auth
        if isinstance(token, ApiToken) and request.method not in SAFE_METHODS:
            if getattr(view, "action", None) in getattr(view, "token_read_actions", ()):
                return True
            return token.scope == ApiTokenScope.WRITE
        return True


def role_of(user: User) -> WorkspaceRole | None:
    """The user's role in their workspace, for display and the members page."""
    perms = workspace_perms(user)
    if user.is_police_analyst:
        return WorkspaceRole.ANALYST
    if ADMIN_PERM in perms:
        return WorkspaceRole.ADMIN
    if OFFICER_PERM in perms:
        return WorkspaceRole.OFFICER
    return None
