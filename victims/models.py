"""Victim records: one person's path from a family's report to home, with protected identity.

Identity fields and the free text officers type about the person (timeline notes, the screening
outcome's reason, the lawful basis note) are encrypted at rest (victims.crypto); everything
statistics, filters and ordering need (nationality, sex, age band, status, dates, compound) stays
plain so counts never touch identity. The short names of agencies, places, officers and routes
(referral_to, handover_to, Screening.place, ...) stay plain: they name organisations and staff,
not the person, and the lists show them. Reads, changes, exports, prints, search hits and purges
are written to the hash-chained AccessEvent log.
"""

from __future__ import annotations

from typing import Any, ClassVar, NoReturn

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries.fields import Country, CountryField

from sharing.choices import TLP
from sharing.models import SharedRecord, audience_indexes

from .choices import (
    AccessAction,
    AgeBand,
    Indicator,
    LawfulBasis,
    ReferralKind,
    ScreeningOutcome,
    Sex,
    VictimStatus,
)
from .crypto import EncryptedDateField, EncryptedTextField
from .querysets import AppendOnlyError, AppendOnlyQuerySet, VictimRecordManager
from .triggers import AppendOnly

IDENTITY_FIELDS = (
    "given_name",
    "family_name",
    "aliases",
    "date_of_birth",
    "passport_number",
    "phone",
    "family_contact",
)


class VictimRecord(SharedRecord):
    """One national of the owner workspace's country, followed until they are home.

    Default audience: the owner workspace and police analysts, TLP:AMBER+STRICT. Going wider
    (named workspaces or all) needs recorded consent or a lawful basis
    (services.victim_audience_set).
    """

    # Overrides SharedRecord's default: victim records are the most sensitive on the platform.
    tlp = models.CharField(_("TLP"), max_length=16, choices=TLP.choices, default=TLP.AMBER_STRICT)

    # --- identity: encrypted at rest, purged after retention -------------------------------
    given_name = EncryptedTextField(_("given name(s)"), blank=True)
    family_name = EncryptedTextField(_("family name"), blank=True)
    aliases = EncryptedTextField(_("aliases"), blank=True)
    date_of_birth = EncryptedDateField(_("date of birth"), blank=True, null=True)
    passport_number = EncryptedTextField(_("passport number"), blank=True)
    # HMAC-SHA256 of the normalised passport number (crypto.lookup_hash): exact lookup only.
    passport_hash = models.CharField(max_length=64, blank=True, editable=False)
    phone = EncryptedTextField(_("phone"), blank=True)
    family_contact = EncryptedTextField(
        _("family contact"), blank=True, help_text=_("Who reported or should be told; how.")
    )
    identity_purged_at = models.DateTimeField(null=True, blank=True, editable=False)

    # --- non-identifying: plain, for statistics ---------------------------------------------
    # Annotated: django-stubs reads a CountryField as a CharField (str); it holds a Country.
    nationality: models.Field[Any, Country] = CountryField(_("nationality"), blank=True)
    sex = models.CharField(_("sex"), max_length=8, choices=Sex.choices, default=Sex.UNKNOWN)
    age_band = models.CharField(
        _("age band"), max_length=10, choices=AgeBand.choices, default=AgeBand.UNKNOWN
    )
    status = models.CharField(
        _("status"),
        max_length=24,
        choices=VictimStatus.choices,
        default=VictimStatus.REPORTED_MISSING,
        editable=False,
    )
    status_changed_at = models.DateTimeField(default=timezone.now, editable=False)
    reported_missing_on = models.DateField(_("reported missing on"), null=True, blank=True)
    # Free text until the compound catalogue (indicators) is linked in integration.
    located_compound = models.CharField(_("compound (if known)"), max_length=200, blank=True)
    located_on = models.DateField(_("located on"), null=True, blank=True)
    rescued_on = models.DateField(_("rescued or released on"), null=True, blank=True)
    referral_kind = models.CharField(
        _("referred to (kind)"), max_length=8, choices=ReferralKind.choices, blank=True
    )
    referral_to = models.CharField(_("shelter or agency"), max_length=200, blank=True)
    referral_date = models.DateField(_("referral date"), null=True, blank=True)
    travel_document_issued_on = models.DateField(
        _("travel document issued on"), null=True, blank=True
    )
    repatriation_date = models.DateField(_("repatriation date"), null=True, blank=True)
    repatriation_route = models.CharField(_("route"), max_length=200, blank=True)
    handover_to = models.CharField(_("handed over to"), max_length=200, blank=True)
    home_on = models.DateField(_("home on"), null=True, blank=True)
    # When the record reached home/closed: the retention clock starts here.
    final_at = models.DateTimeField(null=True, blank=True, editable=False)

    # --- consent to share beyond the owner and police ---------------------------------------
    consent_given = models.BooleanField(_("the person consented to sharing"), default=False)
    lawful_basis = models.CharField(
        _("lawful basis without consent"), max_length=24, choices=LawfulBasis.choices, blank=True
    )
    # Why the person's data is shared without consent: often their situation, in their words.
    lawful_basis_note = EncryptedTextField(_("lawful basis: note"), blank=True)
    consent_recorded_at = models.DateTimeField(null=True, blank=True, editable=False)
    consent_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )

    objects: ClassVar[VictimRecordManager[VictimRecord]] = VictimRecordManager()

    class Meta(SharedRecord.Meta):
        indexes = [
            *audience_indexes("vic_rec"),
            # Passport lookup (selectors.victim_search_passport): exact match on the keyed hash.
            models.Index(
                fields=["passport_hash"],
                name="vic_rec_passport",
                condition=~models.Q(passport_hash=""),
            ),
            # The retention sweep: final records whose identity is still held, oldest first.
            models.Index(
                fields=["final_at"],
                name="vic_rec_retention",
                condition=models.Q(identity_purged_at__isnull=True, final_at__isnull=False),
            ),
        ]
        constraints = [
            *SharedRecord.Meta.constraints,
            models.CheckConstraint(
                name="victims_record_status_valid",
                condition=models.Q(status__in=VictimStatus.values),
                violation_error_message=_("Choose one of the listed statuses."),
                violation_error_code="status_unknown",
            ),
            # A lawful basis is never recorded without saying why.
            models.CheckConstraint(
                name="victims_record_basis_has_note",
                condition=models.Q(lawful_basis="") | ~models.Q(lawful_basis_note=""),
                violation_error_message=_("Explain the lawful basis in the note."),
                violation_error_code="basis_needs_note",
            ),
        ]

    def __str__(self) -> str:
        # Never the name: __str__ ends up in logs, admin and error pages.
        return self.reference

    @property
    def reference(self) -> str:
        return f"VR-{self.pk:06d}" if self.pk else "VR-new"

    @property
    def has_sharing_ground(self) -> bool:
        return bool(self.consent_given or self.lawful_basis)

    @property
    def display_name(self) -> str:
        """The decrypted name, for pages that are audited as a view."""
        if self.identity_purged_at:
            return str(_("(identity purged)"))
        return " ".join(p for p in (self.given_name, self.family_name) if p) or "—"


class _AppendOnly(models.Model):
    """Rows are written once. The app refuses to change or delete them; on PostgreSQL a
    trigger (django-pgtrigger) refuses it to SQL from the app's role as well."""

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError(f"{type(self).__name__} is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError(f"{type(self).__name__} is append-only")


class VictimEvent(_AppendOnly):
    """One step of the record's timeline: who moved it, when, from which status to which."""

    class Kind(models.TextChoices):
        CREATED = "created", _("Record opened")
        TRANSITION = "transition", _("Status changed")
        SCREENING = "screening", _("Screening recorded")
        CONSENT = "consent", _("Consent recorded")
        AUDIENCE = "audience", _("Audience changed")
        EDITED = "edited", _("Details changed")
        PURGED = "purged", _("Identity purged")

    record = models.ForeignKey(VictimRecord, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)
    from_status = models.CharField(max_length=24, choices=VictimStatus.choices, blank=True)
    to_status = models.CharField(max_length=24, choices=VictimStatus.choices, blank=True)
    # Officers write what happened here (a closing reason, a screening outcome's reason).
    note = EncryptedTextField(blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [
            # The record's timeline, in order.
            models.Index(fields=["record", "at", "id"], name="vic_event_timeline"),
        ]
        # PostgreSQL: refuses UPDATE/DELETE from any SQL, with no session bypass; only the
        # purge's blanking of a note gets through.
        triggers = [AppendOnly(name="vic_event_append_only", erasable="note")]

    def __str__(self) -> str:
        return f"{self.record_id}: {self.from_status} → {self.to_status}"


class Screening(models.Model):
    """A victim-identification interview and its outcome (see choices.Indicator for the list)."""

    record = models.ForeignKey(VictimRecord, on_delete=models.PROTECT, related_name="screenings")
    interview_date = models.DateField(_("interview date"))
    place = models.CharField(_("place"), max_length=200)
    interpreter = models.CharField(
        _("interpreter"), max_length=200, blank=True, help_text=_("Name and language, if any.")
    )
    screening_officer = models.CharField(_("screening officer"), max_length=200)
    indicators = models.JSONField(_("indicators observed"), default=list, blank=True)
    outcome = models.CharField(_("outcome"), max_length=24, choices=ScreeningOutcome.choices)
    # The person's account, summarised: encrypted like the identity.
    outcome_reason = EncryptedTextField(_("reason for the outcome"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-interview_date", "-id"]
        indexes = [models.Index(fields=["record", "-interview_date"], name="vic_screening_rec")]

    def __str__(self) -> str:
        return f"{self.record_id}: {self.interview_date} {self.outcome}"

    def indicator_labels(self) -> list[str]:
        labels = dict(Indicator.choices)
        return [str(labels.get(code, code)) for code in self.indicators]


class AccessEvent(_AppendOnly):
    """Who touched a victim record, when, from where, and how. Append-only and hash-chained.

    Each row's `hash` is SHA-256 over its canonical fields and the previous row's hash, in
    `seq` order (victims.audit). Removing a row leaves a gap in `seq` and breaks the next link;
    editing one breaks its own hash. `chain_verify` finds both.
    """

    seq = models.PositiveBigIntegerField(unique=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="None for the system (the retention task).",
    )
    actor_workspace = models.ForeignKey(
        "embassies.Workspace", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    record = models.ForeignKey(VictimRecord, on_delete=models.PROTECT, related_name="+")
    # The record's owner at the time, kept on the row so the owner's admin reads its log alone.
    record_workspace = models.ForeignKey(
        "embassies.Workspace", on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField()
    ip = models.GenericIPAddressField(null=True, blank=True)
    action = models.CharField(max_length=12, choices=AccessAction.choices)
    detail = models.CharField(max_length=300, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["-seq"]
        indexes = [
            # The owner admin's "who accessed our records" page, newest first.
            models.Index(fields=["record_workspace", "-seq"], name="vic_access_ws"),
            # One record's access history.
            models.Index(fields=["record", "-seq"], name="vic_access_rec"),
        ]
        # PostgreSQL: refuses UPDATE/DELETE from any SQL, with no session bypass.
        triggers = [AppendOnly(name="vic_access_append_only")]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.record_id}"


class AuditChainHead(models.Model):
    """The single row holding the last seq and hash: locked to append to the chain in order."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    seq = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64, default="0" * 64)

    def __str__(self) -> str:
        return f"audit head #{self.seq}"
