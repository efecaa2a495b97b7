"""Who may do what with victim records, beyond being in a record's audience."""

from __future__ import annotations

from typing import TYPE_CHECKING

from embassies.permissions import is_officer, is_police_analyst, is_workspace_admin

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from embassies.models import User

    from .models import VictimRecord


def can_write(user: User | AnonymousUser, record: VictimRecord) -> bool:
    """Officers of the owner workspace change a record; everyone else in the audience reads."""
    return bool(
        user.is_authenticated and user.workspace_id == record.workspace_id and is_officer(user)
    )


def can_open_records(user: User | AnonymousUser) -> bool:
    return bool(user.is_authenticated and user.workspace_id and is_officer(user))


def can_see_identity_in_lists(user: User | AnonymousUser, record: VictimRecord) -> bool:
    """Names appear in lists only to the owner workspace (who already knows them)."""
    return bool(user.is_authenticated and user.workspace_id == record.workspace_id)


def can_read_access_log(user: User | AnonymousUser) -> bool:
    """A delegation admin reads who accessed their workspace's records."""
    return bool(
        user.is_authenticated
        and user.workspace_id
        and user.workspace is not None
        and is_workspace_admin(user, user.workspace)
    )


def can_use_police_view(user: User | AnonymousUser) -> bool:
    return is_police_analyst(user)
