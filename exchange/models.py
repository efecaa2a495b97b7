"""The operators' own audit trail: what was done from the command line, to whom, and why."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class OperatorAction(models.Model):
    """One operator command that changed an account or a delegation (append-only by use).

    Commands run outside any signed-in session, so `operator` is the host account that ran
    them; `details` keeps what a later command needs to undo the change (the accounts a
    delegation's deactivation switched off), never a secret.
    """

    class Action(models.TextChoices):
        PLATFORM_ADMIN_CREATED = "platform_admin_created", _("Platform admin created")
        SECOND_FACTOR_RESET = "second_factor_reset", _("Second factor reset")
        DELEGATION_DEACTIVATED = "delegation_deactivated", _("Delegation deactivated")
        DELEGATION_REACTIVATED = "delegation_reactivated", _("Delegation reactivated")

    action = models.CharField(_("action"), max_length=32, choices=Action.choices)
    subject = models.CharField(_("subject"), max_length=254)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    operator = models.CharField(_("operator"), max_length=100, blank=True)
    details = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            # A subject's history, newest first (and the reversal's lookup).
            models.Index(fields=["subject", "action", "-at"], name="exchange_opact_subj_at"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.subject}"
