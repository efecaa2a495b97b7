"""The audience filter every shared record list goes through."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Self, TypeVar

from django.db import connections, models
from django.db.models import Exists, F, Lookup, OuterRef, Q, Subquery

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from embassies.models import User


_M = TypeVar("_M", bound=models.Model)


class _AnyOf(Lookup):
    """`lhs = ANY(ARRAY(subquery))`, used as an expression (never registered on a field)."""

    lookup_name = "any_of"
    prepare_rhs = False

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, tuple[Any, ...]]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = compiler.compile(self.rhs)  # a Subquery: "(SELECT ...)"
        return f"{lhs} = ANY(ARRAY{rhs})", (*lhs_params, *rhs_params)


class AudienceQuerySet(models.QuerySet[_M, _M]):
    """Chainable filters for models that subclass `sharing.models.SharedRecord`."""

    def visible_to(self, user: User | AnonymousUser) -> Self:
        """Records in `user`'s audience, as one WHERE clause (no per-row permission checks).

        A record is visible to its owner workspace; to police analysts unless owner-only;
        to every workspace when shared with all; and to the workspaces it names in its share
        table. Each branch is an indexed condition (see `audience_indexes`).
        """
        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        condition = Q()
        # First: it holds for most rows an analyst reads, and PostgreSQL tests an OR's branches
        # in order, so the dearer ones below are skipped for those rows.
        if user.is_police_analyst:
            condition |= Q(police_access=True)
        workspace_id = user.workspace_id
        if workspace_id:
            model: Any = self.model  # a SharedRecord subclass
            record_fk = f"{model.share_record_fk_name()}_id"
            named = model.shared_with.through.objects.filter(workspace_id=workspace_id)
            if connections[self.db].vendor == "postgresql":
                # The named records as an array computed once: with every branch of the OR an
                # index condition, PostgreSQL reads just the visible rows (a BitmapOr) rather
                # than test each row of the table (benchmarks/lists.py, "audience filter").
                shared = Q(_AnyOf(F("pk"), Subquery(named.values(record_fk))))
            else:
                shared = Q(Exists(named.filter(**{record_fk: OuterRef("pk")})))
            condition |= Q(workspace_id=workspace_id) | Q(shared_with_all=True) | shared
        if not condition:
            return self.none()
        return self.filter(condition)

    def owned_by(self, workspace_id: int) -> Self:
        return self.filter(workspace_id=workspace_id)
