"""Choices of the IP exchange: compounds, evidence, warn-list, reports and matches."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class CompoundStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    RAIDED = "raided", _("Raided")
    CLOSED = "closed", _("Closed")


class NetworkKind(models.TextChoices):
    """What a piece of network evidence (or a warn-list entry) names."""

    PREFIX = "prefix", _("CIDR prefix")
    ASN = "asn", _("Autonomous system")


class WarnCategory(models.TextChoices):
    """Shared infrastructure: many unrelated people share these addresses."""

    SATELLITE = "satellite", _("Satellite internet")
    CGNAT = "cgnat", _("Carrier-grade NAT")
    MOBILE = "mobile", _("Mobile carrier")
    CLOUD = "cloud", _("Cloud hosting")
    VPN = "vpn", _("VPN or proxy provider")


# In this space an address is attributed to a compound only with prefix evidence: an ASN match
# alone says no more than "someone used Starlink" or "someone used a Thai SIM card".
NEEDS_FURTHER_EVIDENCE = frozenset({WarnCategory.SATELLITE, WarnCategory.MOBILE})


class ReportContext(models.TextChoices):
    SCAM_CALL = "scam_call", _("Scam call")
    CHAT = "chat", _("Chat")
    VICTIM_LOGIN = "victim_login", _("Login to a victim's account")
    SCAM_WEBSITE = "scam_website", _("Scam website hosting")
    OTHER = "other", _("Other")


class MatchState(models.TextChoices):
    PENDING = "pending", _("Pending")
    MATCHED = "matched", _("Matched")
    NO_MATCH = "no_match", _("No match")


class UploadStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")
