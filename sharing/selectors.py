"""Reads that every record app shares: fetch-and-authorize, and cross-workspace correlation."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeVar

from django.db.models import Q
from django.http import Http404
from django.utils.translation import gettext as _

from .querysets import AudienceQuerySet

if TYPE_CHECKING:
    from embassies.models import User

    from .models import SharedRecord

R = TypeVar("R", bound="SharedRecord")

NOT_FOUND_MESSAGE = "No record matches the given query."


def record_get(*, queryset: AudienceQuerySet[R], user: User, pk: object) -> R:
    """Fetch one record through the viewer's audience filter.

    A missing id and a record outside the audience raise the same Http404 with the same
    message, so nobody learns that a record exists by probing ids. Malformed ids too.
    """
    try:
        record = queryset.visible_to(user).filter(pk=pk).first()
    except (TypeError, ValueError):
        record = None
    if record is None:
        raise Http404(_(NOT_FOUND_MESSAGE))
    return record


@dataclass(frozen=True)
class Correlation:
    """Who else reported the same thing, as far as the viewer may know.

    `visible` are the matching records the viewer may see (from other workspaces);
    `hidden_workspaces` counts the *other* delegations whose matching records the viewer may
    not see, without naming them.
    """

    visible: list = field(default_factory=list)
    hidden_workspaces: int = 0

    @property
    def total_workspaces(self) -> int:
        return len({r.workspace_id for r in self.visible}) + self.hidden_workspaces


def correlation_for(
    *, queryset: AudienceQuerySet[R], user: User, match: Q, exclude_workspace_id: int | None
) -> Correlation:
    """Correlate one value across workspaces in two queries.

    `match` selects the records that report the same thing (e.g. the same normalised phone).
    Workspaces the viewer can see at least one matching record of are listed through those
    records; the others are only counted. The viewer's own workspace is never counted.
    """
    others = queryset.filter(match)
    if exclude_workspace_id is not None:
        others = others.exclude(workspace_id=exclude_workspace_id)
    visible = list(others.visible_to(user).select_related("workspace__delegation"))
    seen_workspaces = {r.workspace_id for r in visible}
    if user.workspace_id:
        seen_workspaces.add(user.workspace_id)
    hidden = (
        others.exclude(workspace_id__in=seen_workspaces)
        .order_by()
        .values("workspace_id")
        .distinct()
        .count()
    )
    return Correlation(visible=visible, hidden_workspaces=hidden)
