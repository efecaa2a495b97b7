"""The fixed vocabularies of leads, freeze requests, cases and access requests."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class LeadKind(models.TextChoices):
    PHONE = "phone", _("Phone number")
    BANK_ACCOUNT = "bank_account", _("Bank account")
    CRYPTO_WALLET = "crypto_wallet", _("Crypto wallet")
    DOMAIN = "domain", _("Website or domain")
    HANDLE = "handle", _("Social or messaging handle")
    PERSON = "person", _("Person")
    IP = "ip", _("IP address")


class SourceReliability(models.TextChoices):
    """The 4x4 grading (as Europol and UK police use it): how far the source can be trusted.

    The 4x4 writes the last grade as X; it is D here so the four grades sort A-D.
    """

    A = "A", _("A — no doubt about the source's reliability")
    B = "B", _("B — the source has mostly proved reliable")
    C = "C", _("C — the source has mostly proved unreliable")
    D = "D", _("D — reliability cannot be assessed")


class InformationGrade(models.TextChoices):
    """The 4x4 grading: how the information itself is known."""

    KNOWN = "1", _("1 — known to be true without reservation")
    SOURCE_KNOWS = "2", _("2 — known personally to the source, not to the officer")
    CORROBORATED = "3", _("3 — not known personally to the source, corroborated")
    UNCORROBORATED = "4", _("4 — cannot be judged; not corroborated")


class LeadStatus(models.TextChoices):
    NEW = "new", _("New")
    UNDER_REVIEW = "under_review", _("Under review")
    ACTIONABLE = "actionable", _("Actionable")
    ACTIONED = "actioned", _("Actioned")
    REJECTED = "rejected", _("Rejected")
    RETURNED = "returned_for_information", _("Returned for information")


class LeadEventAction(models.TextChoices):
    SUBMITTED = "submitted", _("submitted")
    STATUS = "status", _("changed status")
    ASSIGNED = "assigned", _("assigned")
    COMMENT = "comment", _("commented")
    FREEZE = "freeze", _("freeze request")
    ACCESS = "access", _("access")
    CASE = "case", _("linked to a case")


class FreezeState(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged by the bank")
    FROZEN = "frozen", _("Frozen")
    REFUSED = "refused", _("Refused")
    EXPIRED = "expired", _("Hold expired")
    RELEASED = "released", _("Released")


# States in which the clock still runs: the account is not frozen yet.
FREEZE_OPEN_STATES = (FreezeState.REQUESTED, FreezeState.ACKNOWLEDGED)
# States in which a lead may not get another freeze request.
FREEZE_ACTIVE_STATES = (FreezeState.REQUESTED, FreezeState.ACKNOWLEDGED, FreezeState.FROZEN)


class CaseStatus(models.TextChoices):
    OPEN = "open", _("Open")
    SUSPENDED = "suspended", _("Suspended")
    CLOSED = "closed", _("Closed")


class CaseEventAction(models.TextChoices):
    OPENED = "opened", _("opened the case")
    LEAD_ADDED = "lead_added", _("linked a lead")
    REPORT_ADDED = "report_added", _("linked an IP report")
    REPORT_REMOVED = "report_removed", _("unlinked an IP report")
    VICTIM_ADDED = "victim_added", _("linked a victim record")
    VICTIM_REMOVED = "victim_removed", _("unlinked a victim record")
    TASK_ADDED = "task_added", _("added a task")
    TASK_DONE = "task_done", _("completed a task")
    STATUS = "status", _("changed status")


class AccessRequestState(models.TextChoices):
    PENDING = "pending", _("Pending")
    APPROVED = "approved", _("Approved")
    DECLINED = "declined", _("Declined")


# The person roles of cases/normalise.py (which stays free of Django), in words.
PERSON_ROLE_LABELS = {
    "recruiter": _("Recruiter"),
    "boss": _("Boss"),
    "manager": _("Manager"),
    "handler": _("Handler"),
    "money_mule": _("Money mule"),
    "trafficker": _("Trafficker"),
    "guard": _("Guard"),
    "other": _("Other"),
}

# The platforms of cases/normalise.py as their owners write them (brand names: not translated).
PLATFORM_LABELS = {
    "telegram": "Telegram",
    "whatsapp": "WhatsApp",
    "line": "LINE",
    "wechat": "WeChat",
    "facebook": "Facebook",
    "instagram": "Instagram",
    "tiktok": "TikTok",
    "x": "X (Twitter)",
    "signal": "Signal",
    "zalo": "Zalo",
}
