"""Who may do what in the IP exchange. Record visibility itself is `visible_to`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from embassies.permissions import is_officer, is_platform_admin, is_police_analyst

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from embassies.models import User


def can_curate(user: User | AnonymousUser) -> bool:
    """Police analysts and platform admins curate the compound catalogue."""
    return is_police_analyst(user) or is_platform_admin(user)


def can_view_catalogue(user: User | AnonymousUser) -> bool:
    """Members of a workspace read the catalogue (to understand a match); curators too."""
    return bool(user.is_authenticated and user.is_active and user.workspace_id) or can_curate(user)


def can_submit(user: User | AnonymousUser) -> bool:
    return bool(user.is_authenticated and user.workspace_id) and is_officer(user)
