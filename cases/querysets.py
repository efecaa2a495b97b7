"""Chainable filters for leads."""

from __future__ import annotations

from typing import Self

from django.db import models

from sharing.querysets import AudienceQuerySet

from .choices import LeadStatus

# Leads still waiting on police: the review queue.
REVIEW_STATUSES = (LeadStatus.NEW, LeadStatus.UNDER_REVIEW, LeadStatus.ACTIONABLE)


class LeadQuerySet(AudienceQuerySet):
    def in_review(self) -> Self:
        return self.filter(status__in=REVIEW_STATUSES)

    def for_list(self) -> Self:
        """What a list row shows, fetched in the same query."""
        return self.select_related("workspace__delegation", "created_by", "assignee")


LeadManager = models.Manager.from_queryset(LeadQuerySet)
