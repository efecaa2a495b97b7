"""The audience filter every shared record list goes through."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Self, TypeVar

from django.db import models
from django.db.models import Exists, OuterRef, Q

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from embassies.models import User


_M = TypeVar("_M", bound=models.Model)


class AudienceQuerySet(models.QuerySet[_M, _M]):
    """Chainable filters for models that subclass `sharing.models.SharedRecord`."""

    def visible_to(self, user: User | AnonymousUser) -> Self:
        """Records in `user`'s audience, as one WHERE clause (no per-row permission checks).

        A record is visible to its owner workspace; to police analysts unless owner-only;
        to every workspace when shared with all; and to the workspaces it names (an EXISTS over
        the record's share table, served by that table's unique (record, workspace) index).
        """
        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        condition = Q()
        workspace_id = user.workspace_id
        if workspace_id:
            model: Any = self.model  # a SharedRecord subclass
            shares = model.shared_with.through
            record_fk = model.share_record_fk_name()
            condition |= (
                Q(workspace_id=workspace_id)
                | Q(shared_with_all=True)
                | Q(
                    Exists(
                        shares.objects.filter(
                            **{f"{record_fk}_id": OuterRef("pk")}, workspace_id=workspace_id
                        )
                    )
                )
            )
        if user.is_police_analyst:
            condition |= Q(police_access=True)
        if not condition:
            return self.none()
        return self.filter(condition)

    def owned_by(self, workspace_id: int) -> Self:
        return self.filter(workspace_id=workspace_id)
