"""Chainable filters for victim records, and the append-only queryset of the audit tables."""

from __future__ import annotations

from typing import Any, NoReturn, Self

from django.db import models

from sharing.querysets import AudienceQuerySet

from .choices import FINAL_STATUSES


class VictimRecordQuerySet(AudienceQuerySet):
    def with_status(self, status: str) -> Self:
        return self.filter(status=status) if status else self

    def at_compound(self, name: str) -> Self:
        return self.filter(located_compound__iexact=name.strip()) if name.strip() else self

    def final(self) -> Self:
        return self.filter(status__in=FINAL_STATUSES)


VictimRecordManager = models.Manager.from_queryset(VictimRecordQuerySet)


class AppendOnlyError(Exception):
    """An attempt to change or delete an append-only row through the app."""


class AppendOnlyQuerySet(models.QuerySet):
    """Rows can be added and read, never changed or deleted through the ORM."""

    def update(self, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError(f"{self.model.__name__} is append-only")

    def erase(self, field: str) -> int:
        """Blank `field` in these rows: the one change the append-only trigger lets through,
        for the column it names (`AppendOnly(erasable=...)`)."""
        allowed = {getattr(t, "erasable", "") for t in getattr(self.model._meta, "triggers", ())}
        if field not in allowed - {""}:
            raise AppendOnlyError(f"{self.model.__name__}.{field} cannot be erased")
        return super().update(**{field: ""})

    def delete(self) -> NoReturn:
        raise AppendOnlyError(f"{self.model.__name__} is append-only")

    def bulk_update(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError(f"{self.model.__name__} is append-only")

    def update_or_create(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError(f"{self.model.__name__} is append-only")
