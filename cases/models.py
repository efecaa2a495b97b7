"""Suspect leads, their review history, urgent freeze requests, cases and access requests."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sharing.models import SharedRecord, audience_indexes
from victims.choices import VictimStatus
from victims.models import VictimRecord

from .choices import (
    FREEZE_ACTIVE_STATES,
    AccessRequestState,
    CaseEventAction,
    CaseStatus,
    FreezeState,
    InformationGrade,
    LeadEventAction,
    LeadKind,
    LeadStatus,
    SourceReliability,
)
from .querysets import LeadManager
from .search_terms import case_reference


def victim_reference(victim_id: int) -> str:
    """A victim record's reference as the victims app formats it, from the id alone: case
    pages never load the encrypted identity columns."""
    return VictimRecord(pk=victim_id).reference


class AppendOnly(models.Model):
    """History rows are written once: an update or delete is a programming error."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise RuntimeError(f"{type(self).__name__} is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise RuntimeError(f"{type(self).__name__} is append-only.")


class Lead(SharedRecord):
    """Something an officer knows about the people or instruments behind a scam.

    `raw` keeps the fields as typed; `key` is the normalised value (cases/normalise.py) that
    correlation and search match on; `details` the structured fields of the lead's kind.
    """

    kind = models.CharField(_("kind"), max_length=20, choices=LeadKind.choices)
    raw = models.JSONField(_("as entered"), default=dict)
    key = models.CharField(_("normalised value"), max_length=320)
    # The key without its qualifier (normalise.bare_key): an account number without its bank,
    # a handle without its platform, a wallet address without its chain.
    bare_key = models.CharField(max_length=130, blank=True, default="", editable=False)
    value = models.CharField(_("value"), max_length=400, help_text=_("For display."))
    details = models.JSONField(_("details"), default=dict, blank=True)
    reliability = models.CharField(
        _("source reliability"), max_length=1, choices=SourceReliability.choices
    )
    grade = models.CharField(_("information grade"), max_length=1, choices=InformationGrade.choices)
    description = models.TextField(_("description"), blank=True, max_length=5000)
    # Compounds are free text until the compound catalogue exists (names or catalogue ids).
    compound_refs = models.CharField(_("compounds"), max_length=300, blank=True)
    status = models.CharField(
        _("status"), max_length=32, choices=LeadStatus.choices, default=LeadStatus.NEW
    )
    status_changed_at = models.DateTimeField(_("status changed"), default=timezone.now)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("assigned analyst"),
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reviewer"),
    )
    rejection_reason = models.TextField(_("reason"), blank=True, max_length=2000)

    objects: ClassVar[LeadManager[Lead]] = LeadManager()

    class Meta(SharedRecord.Meta):
        indexes = [
            *audience_indexes("cases_lead"),
            # Everyone's "all leads I may see" list (`lead_list` without `mine`), newest first:
            # PostgreSQL walks it and stops at the page, instead of sorting the whole audience
            # (an analyst sees most leads: the page query 137 ms to under 1 ms at 100,000 leads).
            models.Index(fields=["-created_at", "-id"], name="cases_lead_new"),
            # Search and correlation: the same normalised value, in any workspace.
            models.Index(fields=["kind", "key"], name="cases_lead_kind_key"),
            # Search by a bare value ("1234567890" in every bank, "@name" on every platform).
            models.Index(
                fields=["bare_key", "kind"],
                name="cases_lead_bare_key",
                condition=~Q(bare_key=""),
            ),
            # "My workspace's leads" filtered by a value (search within the owner's list).
            models.Index(fields=["workspace", "key"], name="cases_lead_ws_key"),
            # The review queue: open leads shared with police, oldest first.
            models.Index(
                fields=["status", "created_at", "id"],
                name="cases_lead_review",
                condition=Q(police_access=True),
            ),
        ]
        constraints = [
            *SharedRecord.Meta.constraints,
            models.CheckConstraint(
                name="cases_lead_reviewer_not_submitter",
                condition=Q(reviewer__isnull=True) | ~Q(reviewer=models.F("created_by")),
                violation_error_message=_("The reviewer of a lead is never its submitter."),
                violation_error_code="reviewer_is_submitter",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.value}"


class LeadEvent(AppendOnly):
    """One step in a lead's history: who did what, when. Seen by the lead's whole audience."""

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    action = models.CharField(max_length=16, choices=LeadEventAction.choices)
    from_status = models.CharField(max_length=32, choices=LeadStatus.choices, blank=True)
    to_status = models.CharField(max_length=32, choices=LeadStatus.choices, blank=True)
    text = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [
            # A lead's history, in order.
            models.Index(fields=["lead", "at", "id"], name="cases_leadevent_lead_at"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.get_action_display()}"


class LeadComment(models.Model):
    """A comment on a lead, seen by the lead's whole audience."""

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    text = models.TextField(_("comment"), max_length=5000)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            # A lead's comments, in order.
            models.Index(fields=["lead", "created_at"], name="cases_comment_lead_at"),
        ]

    def __str__(self) -> str:
        return self.text[:60]


class FreezeRequest(models.Model):
    """An urgent request to a bank to freeze a mule account reported in a bank-account lead.

    Seen by whoever may see its lead. The clock runs from `reported_at` (when the account was
    reported, i.e. the lead's creation); `report_to_freeze` is the measured figure.
    """

    lead = models.ForeignKey(Lead, on_delete=models.PROTECT, related_name="freeze_requests")
    bank = models.CharField(_("bank"), max_length=200)
    account_number = models.CharField(_("account number"), max_length=40)
    bank_reference = models.CharField(_("bank's reference"), max_length=100, blank=True)
    state = models.CharField(
        _("state"), max_length=16, choices=FreezeState.choices, default=FreezeState.REQUESTED
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    reported_at = models.DateTimeField(_("account reported"))
    requested_at = models.DateTimeField(_("requested"), default=timezone.now)
    acknowledged_at = models.DateTimeField(_("acknowledged"), null=True, blank=True)
    frozen_at = models.DateTimeField(_("frozen"), null=True, blank=True)
    hold_expires_at = models.DateTimeField(_("hold expires"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    report_to_freeze = models.DurationField(_("report to freeze"), null=True, blank=True)
    outcome = models.TextField(_("outcome"), blank=True, max_length=2000)
    # The hold-expiry reminder was sent for this expiry time (idempotent beat task).
    reminded_for = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["reported_at", "id"]
        indexes = [
            # The freeze queue: open requests, oldest report first.
            models.Index(fields=["state", "reported_at"], name="cases_freeze_queue"),
            # The expiry reminder sweep: frozen holds by expiry.
            models.Index(
                fields=["hold_expires_at"],
                name="cases_freeze_hold",
                condition=Q(state=FreezeState.FROZEN),
            ),
        ]
        constraints = [
            # One live freeze request per lead: a second would race the first at the bank.
            models.UniqueConstraint(
                fields=["lead"],
                condition=Q(state__in=FREEZE_ACTIVE_STATES),
                name="cases_freeze_one_active",
                violation_error_message=_("This account already has an open freeze request."),
                violation_error_code="freeze_open",
            ),
            models.CheckConstraint(
                name="cases_freeze_frozen_has_time",
                condition=~Q(state=FreezeState.FROZEN) | Q(frozen_at__isnull=False),
                violation_error_message=_("A frozen account needs its freeze time."),
                violation_error_code="frozen_without_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.bank} {self.account_number} ({self.get_state_display()})"


class Case(SharedRecord):
    """An investigation a police analyst opens from leads; owned by the police workspace.

    Its audience never widens a linked lead's: case pages list only the linked leads the
    viewer may see in their own right.
    """

    title = models.CharField(_("title"), max_length=200)
    summary = models.TextField(_("summary"), blank=True, max_length=5000)
    status = models.CharField(
        _("status"), max_length=16, choices=CaseStatus.choices, default=CaseStatus.OPEN
    )
    lead_analyst = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("lead analyst"),
    )
    leads = models.ManyToManyField(Lead, through="CaseLead", related_name="cases")

    class Meta(SharedRecord.Meta):
        indexes = audience_indexes("cases_case")

    def __str__(self) -> str:
        return self.title

    @property
    def reference(self) -> str:
        """The case number people quote and search for (CASE-000123), from the id."""
        return case_reference(self.pk) if self.pk else "CASE-new"


class CaseLead(models.Model):
    """A lead linked to a case."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="lead_links")
    lead = models.ForeignKey(Lead, on_delete=models.PROTECT, related_name="case_links")
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["added_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "lead"],
                name="cases_caselead_once",
                violation_error_message=_("This lead is already linked to the case."),
                violation_error_code="lead_linked",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} ← {self.lead_id}"


class CaseReport(models.Model):
    """An IP report (indicators app) linked to a case; shown only to viewers who may see it."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="report_links")
    report = models.ForeignKey(
        "indicators.IPReport", on_delete=models.PROTECT, related_name="case_links"
    )
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["added_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "report"],
                name="cases_casereport_once",
                violation_error_message=_("This IP report is already linked to the case."),
                violation_error_code="report_linked",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} ← report {self.report_id}"


class CaseVictim(models.Model):
    """A victim record (victims app) linked to a case; shown only to viewers who may see it.

    Case pages show the record's non-identifying reference, status and compound only; the
    identity is read on the victims app's own (audited) detail page.
    """

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="victim_links")
    victim = models.ForeignKey(
        "victims.VictimRecord", on_delete=models.PROTECT, related_name="case_links"
    )
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["added_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "victim"],
                name="cases_casevictim_once",
                violation_error_message=_("This victim record is already linked to the case."),
                violation_error_code="victim_linked",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} ← {self.victim_reference}"

    @property
    def victim_reference(self) -> str:
        """The non-identifying reference (VR-000123), without loading the record's identity."""
        return victim_reference(self.victim_id)

    @property
    def victim_status_label(self) -> str:
        """The record's status label, from the `victim_status` the selector annotates."""
        status = getattr(self, "victim_status", "")
        return str(VictimStatus(status).label) if status in VictimStatus.values else status


class CaseTask(models.Model):
    """A task within a case: who does it, by when, and whether it is done."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="tasks")
    title = models.CharField(_("task"), max_length=200)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("assignee"),
    )
    due_date = models.DateField(_("due"), null=True, blank=True)
    done = models.BooleanField(_("done"), default=False)
    done_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["done", "due_date", "id"]

    def __str__(self) -> str:
        return self.title


class CaseEvent(AppendOnly):
    """The case timeline. An entry about a lead, IP report or victim record is shown only to
    viewers who may see that record."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    lead = models.ForeignKey(
        Lead, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    report = models.ForeignKey(
        "indicators.IPReport", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    victim = models.ForeignKey(
        "victims.VictimRecord", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    action = models.CharField(max_length=16, choices=CaseEventAction.choices)
    text = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["case", "at"], name="cases_caseevent_case_at")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.get_action_display()}"

    @property
    def victim_reference(self) -> str:
        return victim_reference(self.victim_id) if self.victim_id else ""


class AccessRequest(models.Model):
    """A workspace asks the owner of a lead it cannot see (found by correlation) for access.

    The requester never learns which workspace owns the lead unless access is approved.
    """

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="access_requests")
    via_lead = models.ForeignKey(
        Lead,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("The requester's own lead that correlated with it."),
    )
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requester_workspace = models.ForeignKey(
        "embassies.Workspace", on_delete=models.PROTECT, related_name="+"
    )
    note = models.TextField(_("why"), blank=True, max_length=2000)
    created_at = models.DateTimeField(default=timezone.now)
    state = models.CharField(
        max_length=16, choices=AccessRequestState.choices, default=AccessRequestState.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # The requester workspace's own requests, newest first.
            models.Index(
                fields=["requester_workspace", "-created_at"], name="cases_access_requester"
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["lead", "requester_workspace"],
                condition=Q(state=AccessRequestState.PENDING),
                name="cases_access_one_pending",
                violation_error_message=_(
                    "Your delegation has already asked for access to this lead."
                ),
                violation_error_code="access_pending",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.requester_workspace_id} → lead {self.lead_id} ({self.state})"
