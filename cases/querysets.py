"""Chainable filters for leads."""

from __future__ import annotations

from typing import Self

from django.db import models

from sharing.querysets import AudienceQuerySet

from .choices import LeadStatus

# Leads still waiting on police: the review queue.
REVIEW_STATUSES = (LeadStatus.NEW, LeadStatus.UNDER_REVIEW, LeadStatus.ACTIONABLE)


# What one row of the leads table shows (keep in step with templates/cases/_lead_rows.html).
ROW_FIELDS = (
    "created_at",
    "kind",
    "value",
    "reliability",
    "grade",
    "status",
    "tlp",
    "workspace__delegation__name",
    "assignee__full_name",
    "assignee__email",
)


class LeadQuerySet(AudienceQuerySet):
    def in_review(self) -> Self:
        return self.filter(status__in=REVIEW_STATUSES)

    def for_list(self) -> Self:
        """What a list row shows, fetched in the same query."""
        return self.select_related("workspace__delegation", "created_by", "assignee")

    def for_rows(self) -> Self:
        """Only the columns a list page's row shows (`_lead_rows.html`): the JSON fields
        (`raw`, `details`), the description and the submitter are neither read nor decoded."""
        return (
            self.select_related(None)
            .select_related("workspace__delegation", "assignee")
            .only(*ROW_FIELDS)
        )


LeadManager = models.Manager.from_queryset(LeadQuerySet)
