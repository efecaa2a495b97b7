from django.db import models
from django.utils.translation import gettext_lazy as _


class DelegationKind(models.TextChoices):
    EMBASSY = "embassy", _("Embassy")
    INTERNATIONAL_ORG = "international_org", _("International organisation")
    FOREIGN_LAW_ENFORCEMENT = "foreign_law_enforcement", _("Foreign law-enforcement agency")
    HOST_POLICE = "host_police", _("Host police")


class WorkspaceRole(models.TextChoices):
    """Roles a member holds in their workspace (stored as guardian object permissions)."""

    OFFICER = "officer", _("Liaison officer")
    ADMIN = "admin", _("Delegation admin")
    # Members of the host police's workspace who also hold the global analyst role.
    ANALYST = "analyst", _("Police analyst")


class InvitationState(models.TextChoices):
    PENDING = "pending", _("Pending")
    ACCEPTED = "accepted", _("Accepted")
    REVOKED = "revoked", _("Revoked")
    EXPIRED = "expired", _("Expired")


class ApiTokenScope(models.TextChoices):
    """What an API token may do: `read` is safe methods only; `write` adds every change."""

    READ = "read", _("Read only")
    WRITE = "write", _("Read and write")
