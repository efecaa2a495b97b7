"""The compound catalogue, its network evidence, the warn-list, IP reports and their matches.

Addresses and prefixes are stored as normalised text plus 32-hex-digit keys (see
`indicators.addresses`): range queries work on SQLite and PostgreSQL with a plain B-tree.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries.fields import Country, CountryField

from sharing.models import SharedRecord, audience_indexes

from .choices import (
    CompoundStatus,
    MatchState,
    NetworkKind,
    ReportContext,
    UploadStatus,
    WarnCategory,
)
from .querysets import EvidenceQuerySet, IPReportManager, MatchQuerySet

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class Compound(models.Model):
    """A publicly reported scam compound. Coordinates are approximate by design."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    aliases = models.JSONField(_("aliases"), default=list, blank=True)
    # Annotated: django-stubs reads a CountryField as a CharField (str); it holds a Country.
    country: models.Field[Any, Country] = CountryField(_("country"))
    area = models.CharField(_("area"), max_length=200, blank=True)
    latitude = models.DecimalField(
        _("latitude (approx.)"),
        max_digits=8,
        decimal_places=5,
        null=True,
        blank=True,
        validators=[MinValueValidator(-90), MaxValueValidator(90)],
    )
    longitude = models.DecimalField(
        _("longitude (approx.)"),
        max_digits=8,
        decimal_places=5,
        null=True,
        blank=True,
        validators=[MinValueValidator(-180), MaxValueValidator(180)],
    )
    status = models.CharField(
        _("status"), max_length=16, choices=CompoundStatus.choices, default=CompoundStatus.ACTIVE
    )
    sources = models.TextField(_("sources"), blank=True, help_text=_("Public reports, one a line."))
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class NetworkEvidence(models.Model):
    """A prefix or an ASN tied to a compound during a window [valid_from, valid_to).

    Either end may be open (null). A prefix stores its normalised text and the keys of its
    first and last address; an ASN stores its number and/or its organisation name (the
    bundled enrichment data knows AS names, not numbers).
    """

    compound = models.ForeignKey(Compound, on_delete=models.CASCADE, related_name="evidence")
    kind = models.CharField(_("kind"), max_length=8, choices=NetworkKind.choices)
    network = models.CharField(_("prefix"), max_length=49, blank=True)
    first_key = models.CharField(max_length=32, blank=True, editable=False)
    last_key = models.CharField(max_length=32, blank=True, editable=False)
    asn = models.PositiveBigIntegerField(_("AS number"), null=True, blank=True)
    as_org = models.CharField(_("AS organisation"), max_length=200, blank=True)
    valid_from = models.DateTimeField(_("valid from"), null=True, blank=True)
    valid_to = models.DateTimeField(_("valid until (exclusive)"), null=True, blank=True)
    source = models.CharField(_("source"), max_length=300, blank=True)
    confidence = models.PositiveSmallIntegerField(
        _("confidence (0-100)"), default=50, validators=[MaxValueValidator(100)]
    )
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    objects = EvidenceQuerySet.as_manager()

    class Meta:
        ordering = ["compound", "kind", "network", "asn", "id"]
        indexes = [
            # "Which evidence covers this address": range probes when re-matching by report.
            models.Index(fields=["first_key", "last_key"], name="ind_evidence_range"),
        ]
        constraints = [
            models.CheckConstraint(
                name="ind_evidence_kind_fields",
                violation_error_code="evidence_fields",
                condition=(Q(kind=NetworkKind.PREFIX) & ~Q(network=""))
                | (Q(kind=NetworkKind.ASN) & (Q(asn__isnull=False) | ~Q(as_org=""))),
                violation_error_message=_("A prefix needs a network; an ASN a number or name."),
            ),
            models.CheckConstraint(
                name="ind_evidence_window_order",
                condition=Q(valid_from__isnull=True)
                | Q(valid_to__isnull=True)
                | Q(valid_to__gt=models.F("valid_from")),
                violation_error_message=_("The window must end after it starts."),
                violation_error_code="window_order",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.label} → {self.compound}"

    @property
    def label(self) -> str:
        if self.kind == NetworkKind.PREFIX:
            return self.network
        return " ".join(p for p in (f"AS{self.asn}" if self.asn else "", self.as_org) if p)


class WarnListEntry(models.Model):
    """Shared infrastructure (satellite, CGNAT, mobile, cloud, VPN): a match in it is weak."""

    kind = models.CharField(_("kind"), max_length=8, choices=NetworkKind.choices)
    network = models.CharField(_("prefix"), max_length=49, blank=True)
    first_key = models.CharField(max_length=32, blank=True, editable=False)
    last_key = models.CharField(max_length=32, blank=True, editable=False)
    asn = models.PositiveBigIntegerField(_("AS number"), null=True, blank=True)
    as_org = models.CharField(_("AS organisation"), max_length=200, blank=True)
    category = models.CharField(_("category"), max_length=16, choices=WarnCategory.choices)
    reason = models.CharField(_("reason"), max_length=300)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["category", "network", "asn", "id"]
        verbose_name = _("warn-list entry")
        verbose_name_plural = _("warn-list")
        constraints = [
            models.CheckConstraint(
                name="ind_warn_kind_fields",
                violation_error_code="warn_fields",
                condition=(Q(kind=NetworkKind.PREFIX) & ~Q(network=""))
                | (Q(kind=NetworkKind.ASN) & (Q(asn__isnull=False) | ~Q(as_org=""))),
                violation_error_message=_("A prefix needs a network; an ASN a number or name."),
            ),
        ]

    def __str__(self) -> str:
        target = self.network or " ".join(
            p for p in (f"AS{self.asn}" if self.asn else "", self.as_org) if p
        )
        return f"{target} ({self.get_category_display()})"


class CatalogueVersion(models.Model):
    """One row whose number goes up on every evidence or warn-list change.

    Workers cache the compiled matching index under this number, so a change anywhere is
    seen by the next task without any cross-process signal.
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    version = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"catalogue v{self.version}"


class IPReport(SharedRecord):
    """An IP address an officer saw in a scam call, chat, login or website, and when."""

    address = models.CharField(_("IP address"), max_length=39)
    family = models.PositiveSmallIntegerField(_("IP version"))
    # The address as a sortable 128-bit key (see indicators.addresses).
    address_key = models.CharField(max_length=32, editable=False)
    seen_at = models.DateTimeField(_("seen at"))
    context = models.CharField(_("context"), max_length=16, choices=ReportContext.choices)
    port = models.PositiveIntegerField(
        _("port"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(65535)],
    )
    note = models.TextField(_("note"), blank=True, max_length=2000)
    # Offline enrichment at submission time (see indicators.enrichment).
    asn = models.PositiveBigIntegerField(_("AS number"), null=True, blank=True)
    as_org = models.CharField(_("AS organisation"), max_length=200, blank=True)
    geo_country = models.CharField(_("country (geolocation)"), max_length=2, blank=True)
    enrichment_source = models.CharField(max_length=120, blank=True)

    objects: ClassVar[IPReportManager[IPReport]] = IPReportManager()

    class Meta(SharedRecord.Meta):
        verbose_name = _("IP report")
        indexes = [
            *audience_indexes("ind_report"),
            # Everyone's "all reports I may see" list (no `mine`), newest first: PostgreSQL
            # walks it and stops at the page instead of sorting the whole audience (an analyst
            # sees most reports: the page query 50-70 ms to about 1 ms at 50,000 reports).
            models.Index(fields=["-created_at", "-id"], name="ind_report_new"),
            # Correlation ("who else reported this address / this prefix") and re-matching
            # every report inside a changed prefix: key equality and key ranges.
            models.Index(fields=["address_key"], name="ind_report_key"),
        ]
        constraints = [
            *SharedRecord.Meta.constraints,
            # The same sighting submitted twice is stored once.
            models.UniqueConstraint(
                fields=["workspace", "address_key", "seen_at", "context"],
                name="ind_report_once",
                violation_error_message=_("This address was already reported for that time."),
                violation_error_code="report_duplicate",
            ),
        ]

    def __str__(self) -> str:
        return self.address

    @property
    def match_state(self) -> str:
        """Pending while queued for the matcher; then matched or not by its active matches.

        Derived rather than stored: writing a state back to every one of 100,000 reports
        costs seconds on PostgreSQL, while dequeuing them and inserting the few matches is
        cheap. Lists annotate both flags (`IPReportQuerySet.with_state`) in the same query.
        """
        pending = getattr(self, "is_pending", None)
        if pending is None:
            pending = PendingMatch.objects.filter(report_id=self.pk).exists()
        if pending:
            return MatchState.PENDING
        matched = getattr(self, "is_matched", None)
        if matched is None:
            matched = self.matches.filter(withdrawn_at__isnull=True).exists()
        return MatchState.MATCHED if matched else MatchState.NO_MATCH

    def get_match_state_display(self) -> StrOrPromise:
        return MatchState(self.match_state).label

    def refresh_from_db(self, *args, **kwargs) -> None:
        for flag in ("is_pending", "is_matched"):
            self.__dict__.pop(flag, None)
        super().refresh_from_db(*args, **kwargs)


class PendingMatch(models.Model):
    """The matcher's queue: a report waits here until a task (or the beat sweep) matches it.

    Rows are inserted with the reports (and again when a catalogue change touches them) and
    deleted once matched; `queued_at` lets a task dequeue only what it has seen, so a
    re-queue during its run is not lost. Nothing is ever left unmatched: the sweep reads
    this table in `queued_at` order.
    """

    report = models.OneToOneField(
        IPReport, on_delete=models.CASCADE, primary_key=True, related_name="pending"
    )
    queued_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            # The sweep: oldest first.
            models.Index(fields=["queued_at"], name="ind_pending_queued"),
        ]

    def __str__(self) -> str:
        return f"pending {self.report_id}"


class Match(models.Model):
    """Why a report points at a compound: a snapshot of the evidence at the time it matched.

    Never deleted: when the evidence goes away or changes, the match is withdrawn
    (`withdrawn_at`, `withdrawn_reason`) and stays as history. Visible exactly to the report's
    audience (`Match.objects.visible_to(user)`).
    """

    report = models.ForeignKey(IPReport, on_delete=models.CASCADE, related_name="matches")
    evidence = models.ForeignKey(
        NetworkEvidence, on_delete=models.SET_NULL, null=True, blank=True, related_name="matches"
    )
    compound = models.ForeignKey(Compound, on_delete=models.CASCADE, related_name="matches")
    kind = models.CharField(max_length=8, choices=NetworkKind.choices)
    matched_network = models.CharField(max_length=49, blank=True)
    matched_asn = models.PositiveBigIntegerField(null=True, blank=True)
    matched_as_org = models.CharField(max_length=200, blank=True)
    valid_from = models.DateTimeField(null=True, blank=True)
    valid_to = models.DateTimeField(null=True, blank=True)
    confidence = models.PositiveSmallIntegerField(validators=[MaxValueValidator(100)])
    weak = models.BooleanField(default=False)
    warn_entry = models.ForeignKey(
        WarnListEntry, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    warn_category = models.CharField(max_length=16, choices=WarnCategory.choices, blank=True)
    warn_reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_reason = models.CharField(max_length=200, blank=True)

    objects = MatchQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = _("matches")
        indexes = [
            # A report's matches (detail page) and the active ones (re-matching).
            models.Index(fields=["report", "withdrawn_at"], name="ind_match_report"),
            # A compound's matches, newest first.
            models.Index(fields=["compound", "-created_at"], name="ind_match_compound"),
            # The match list, newest first.
            models.Index(fields=["-created_at", "-id"], name="ind_match_new"),
        ]
        constraints = [
            # One active match per (report, evidence): a retried task inserts nothing twice.
            models.UniqueConstraint(
                fields=["report", "evidence"],
                condition=Q(withdrawn_at__isnull=True),
                name="ind_match_active_once",
                violation_error_message=_("This report already matches this evidence."),
                violation_error_code="match_duplicate",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.report} → {self.compound}"

    @property
    def evidence_label(self) -> str:
        if self.kind == NetworkKind.PREFIX:
            return self.matched_network
        parts = (f"AS{self.matched_asn}" if self.matched_asn else "", self.matched_as_org)
        return " ".join(p for p in parts if p)


class UploadJob(models.Model):
    """A long CSV upload, stored as submitted and processed by a worker in chunks.

    `rows` holds the parsed rows until the job is done (then it is emptied); `processed_rows`
    advances in the same transaction as each chunk's reports, so a retried task resumes after
    the last committed chunk and never stores a row twice. `problems` lists every rejected or
    duplicate row: {"row", "value", "reason", "kind": "rejected" | "duplicate"}. Visible only
    to members of the owner workspace.
    """

    workspace = models.ForeignKey("embassies.Workspace", on_delete=models.CASCADE, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    file_name = models.CharField(_("file"), max_length=200, blank=True)
    status = models.CharField(
        _("status"), max_length=8, choices=UploadStatus.choices, default=UploadStatus.QUEUED
    )
    # The audience every row gets: {"tlp", "police_access", "shared_with_all", "workspace_ids"}.
    audience = models.JSONField(default=dict)
    rows = models.JSONField(default=list, encoder=DjangoJSONEncoder)
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    accepted = models.PositiveIntegerField(default=0)
    duplicates = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    problems = models.JSONField(default=list, blank=True)
    error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    # Advances with every chunk; the beat sweep resumes a job that stopped advancing.
    updated_at = models.DateTimeField(auto_now=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["workspace", "-created_at"], name="ind_upload_ws"),
            models.Index(fields=["status", "updated_at"], name="ind_upload_stale"),
        ]
        constraints = [
            models.CheckConstraint(
                name="ind_upload_progress",
                condition=Q(processed_rows__lte=models.F("total_rows")),
                violation_error_message=_("An upload cannot process more rows than it has."),
                violation_error_code="upload_progress",
            ),
        ]

    def __str__(self) -> str:
        return f"upload {self.pk} ({self.processed_rows}/{self.total_rows})"

    @property
    def percent(self) -> int:
        return 100 if not self.total_rows else self.processed_rows * 100 // self.total_rows

    @property
    def in_progress(self) -> bool:
        return self.status in (UploadStatus.QUEUED, UploadStatus.RUNNING)
