"""Choices for victim records: the status path, screening indicators and outcomes, consent."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class VictimStatus(models.TextChoices):
    """Where the person is on the path from a family's first report to home."""

    REPORTED_MISSING = "reported_missing", _("Reported missing")
    LOCATED = "located", _("Located")
    RESCUED_OR_RELEASED = "rescued_or_released", _("Rescued or released")
    SCREENED = "screened", _("Screened")
    IDENTIFIED_VICTIM = "identified_victim", _("Identified as a victim of trafficking")
    NOT_IDENTIFIED = "not_identified", _("Not identified as a victim")
    UNDETERMINED = "undetermined", _("Undetermined")
    REFERRED = "referred", _("Referred (National Referral Mechanism)")
    REPATRIATION = "repatriation", _("Repatriation under way")
    HOME = "home", pgettext_lazy("victim status", "Home")  # not the home page
    CLOSED = "closed", _("Closed")


S = VictimStatus

# The only moves a record can make. Every status may be closed (the person declined help,
# died, or the report was mistaken); "home" and "closed" are where retention starts counting.
TRANSITIONS: dict[str, frozenset[str]] = {
    S.REPORTED_MISSING: frozenset({S.LOCATED, S.RESCUED_OR_RELEASED, S.CLOSED}),
    S.LOCATED: frozenset({S.RESCUED_OR_RELEASED, S.CLOSED}),
    S.RESCUED_OR_RELEASED: frozenset({S.SCREENED, S.CLOSED}),
    S.SCREENED: frozenset({S.IDENTIFIED_VICTIM, S.NOT_IDENTIFIED, S.UNDETERMINED, S.CLOSED}),
    S.IDENTIFIED_VICTIM: frozenset({S.REFERRED, S.REPATRIATION, S.CLOSED}),
    # A person not identified as a victim still goes home through consular repatriation.
    S.NOT_IDENTIFIED: frozenset({S.REPATRIATION, S.CLOSED}),
    # Undetermined: screen again, or refer/repatriate on the precautionary principle.
    S.UNDETERMINED: frozenset({S.SCREENED, S.REFERRED, S.REPATRIATION, S.CLOSED}),
    S.REFERRED: frozenset({S.REPATRIATION, S.CLOSED}),
    S.REPATRIATION: frozenset({S.HOME, S.CLOSED}),
    S.HOME: frozenset({S.CLOSED}),
    S.CLOSED: frozenset(),
}

# Statuses that start the retention clock.
FINAL_STATUSES = frozenset({S.HOME, S.CLOSED})
# Statuses reached only by recording a screening (services.screening_record), never by hand.
SCREENING_STATUSES = frozenset({S.SCREENED})
OUTCOME_STATUSES = frozenset({S.IDENTIFIED_VICTIM, S.NOT_IDENTIFIED, S.UNDETERMINED})


class Sex(models.TextChoices):
    FEMALE = "female", _("Female")
    MALE = "male", _("Male")
    OTHER = "other", _("Other")
    UNKNOWN = "unknown", _("Unknown")


class AgeBand(models.TextChoices):
    """Age in bands, so statistics need no date of birth; under 18 is a child (Palermo Protocol)."""

    UNDER_18 = "under_18", _("Under 18 (child)")
    A18_24 = "18_24", "18-24"
    A25_34 = "25_34", "25-34"
    A35_49 = "35_49", "35-49"
    A50_PLUS = "50_plus", _("50 or over")
    UNKNOWN = "unknown", _("Unknown")


class ScreeningOutcome(models.TextChoices):
    IDENTIFIED_VICTIM = S.IDENTIFIED_VICTIM.value, S.IDENTIFIED_VICTIM.label
    NOT_IDENTIFIED = S.NOT_IDENTIFIED.value, S.NOT_IDENTIFIED.label
    UNDETERMINED = S.UNDETERMINED.value, S.UNDETERMINED.label


class Indicator(models.TextChoices):
    """Victim-identification indicators, the checklist of one screening interview.

    Sources (the list this checklist follows, and its version):
    - UNODC, "Human Trafficking Indicators" (the UNODC/UN.GIFT leaflet of general, labour and
      sexual-exploitation indicators, 2009 edition);
    - IOM, "The IOM Handbook on Direct Assistance for Victims of Trafficking" (2007),
      chapter 2, screening interview form;
    - for the scam-compound context (forced criminality, sale between compounds): OHCHR,
      "Online Scam Operations and Trafficking into Forced Criminality in Southeast Asia:
      Recommendations for a Human Rights Response" (August 2023).
    Codes are stable (stored in Screening.indicators); labels may be translated or refined.
    """

    DECEPTION_RECRUITMENT = "deception_recruitment", _("Deception in recruitment (job, pay, place)")
    DOCUMENTS_CONFISCATED = "documents_confiscated", _("Identity or travel documents confiscated")
    RESTRICTED_MOVEMENT = "restricted_movement", _("Restricted freedom of movement / confinement")
    DEBT_BONDAGE = "debt_bondage", _("Debt bondage (recruitment, travel or 'ransom' debt)")
    THREATS_VIOLENCE = "threats_violence", _("Threats or violence against the person")
    THREATS_FAMILY = "threats_family", _("Threats against family members")
    FORCED_CRIMINALITY = "forced_criminality", _("Forced criminal activity (forced scamming)")
    EXCESSIVE_HOURS = "excessive_hours", _("Excessive working hours, no rest days")
    WITHHELD_WAGES = "withheld_wages", _("Wages withheld, fines or deductions")
    ISOLATION = "isolation", _("Isolation, no contact with family or outside")
    SOLD_TRANSFERRED = "sold_transferred", _("Sold or transferred between compounds")
    SEXUAL_EXPLOITATION = "sexual_exploitation", _("Sexual exploitation or abuse")
    POOR_CONDITIONS = "poor_conditions", _("Degrading living conditions, food or sleep deprived")
    SURVEILLANCE = "surveillance", _("Under constant surveillance or guarded")
    CHILD = "child", _("The person is a child (under 18)")


class ReferralKind(models.TextChoices):
    SHELTER = "shelter", _("Shelter")
    AGENCY = "agency", _("Agency")


class LawfulBasis(models.TextChoices):
    """Grounds for sharing a victim's data beyond the owner and police without consent."""

    VITAL_INTEREST = "vital_interest", _("Vital interest (life or safety at risk)")
    LEGAL_OBLIGATION = "legal_obligation", _("Legal obligation")
    PUBLIC_INTEREST = "public_interest", _("Public interest / law enforcement task")
    CHILD_BEST_INTEREST = "child_best_interest", _("Best interest of the child")


class AccessAction(models.TextChoices):
    VIEW = "view", _("Viewed")
    CHANGE = "change", _("Changed")
    EXPORT = "export", _("Exported")
    SEARCH_HIT = "search_hit", _("Search hit")
    PURGE = "purge", _("Identity purged")
    PRINT = "print", _("Printed")
