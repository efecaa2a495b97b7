"""Chainable filters of the IP exchange."""

from __future__ import annotations

from typing import Self

from django.db import models
from django.db.models import Exists, OuterRef

from sharing.querysets import AudienceQuerySet

from .choices import MatchState


class IPReportQuerySet(AudienceQuerySet):
    def with_state(self) -> Self:
        """Annotate `is_pending` / `is_matched`, from which `match_state` is derived."""
        from .models import Match, PendingMatch

        return self.annotate(
            is_pending=Exists(PendingMatch.objects.filter(report_id=OuterRef("pk"))),
            is_matched=Exists(
                Match.objects.filter(report_id=OuterRef("pk"), withdrawn_at__isnull=True)
            ),
        )

    def in_state(self, state: str) -> Self:
        qs = self.with_state()
        if state == MatchState.PENDING:
            return qs.filter(is_pending=True)
        if state == MatchState.MATCHED:
            return qs.filter(is_pending=False, is_matched=True)
        if state == MatchState.NO_MATCH:
            return qs.filter(is_pending=False, is_matched=False)
        return qs

    def in_range(self, first: str, last: str) -> Self:
        """Reports whose address key lies in [first, last] (a prefix's range)."""
        return self.filter(address_key__gte=first, address_key__lte=last)


IPReportManager = models.Manager.from_queryset(IPReportQuerySet)


class MatchQuerySet(models.QuerySet):
    def active(self) -> Self:
        return self.filter(withdrawn_at__isnull=True)

    def visible_to(self, user) -> Self:
        """Matches inherit their report's audience: one subquery over IPReport.visible_to."""
        from .models import IPReport

        return self.filter(report__in=IPReport.objects.visible_to(user).values("pk"))


class EvidenceQuerySet(models.QuerySet):
    def in_force_at(self, when) -> Self:
        """Evidence whose window [valid_from, valid_to) contains `when`."""
        return self.filter(
            models.Q(valid_from__isnull=True) | models.Q(valid_from__lte=when),
            models.Q(valid_to__isnull=True) | models.Q(valid_to__gt=when),
        )
