"""The shared-record base: owner workspace, audience and TLP marking.

A record app declares `class Lead(SharedRecord)` and gets the fields, the indexes that the
audience filter needs, and `Lead.objects.visible_to(user)`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .choices import TLP
from .querysets import AudienceQuerySet


def audience_indexes(prefix: str) -> list[models.Index]:
    """The indexes the audience filter and the default ordering need, for one concrete model."""
    return [
        # The owner workspace's list, newest first ("my workspace's records").
        models.Index(fields=["workspace", "-created_at", "-id"], name=f"{prefix}_ws_new"),
        # Police analysts' lists: records open to police, newest first.
        models.Index(
            fields=["-created_at", "-id"],
            name=f"{prefix}_police_new",
            condition=models.Q(police_access=True),
        ),
        # Records shared with every workspace, newest first.
        models.Index(
            fields=["-created_at", "-id"],
            name=f"{prefix}_all_new",
            condition=models.Q(shared_with_all=True),
        ),
    ]


class SharedRecord(models.Model):
    """A record owned by one workspace and seen only by its audience.

    Audience = the owner workspace, always; police analysts when `police_access`; every
    workspace when `shared_with_all`; and each workspace in `shared_with`.
    """

    workspace = models.ForeignKey(
        "embassies.Workspace",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("owner workspace"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    tlp = models.CharField(_("TLP"), max_length=16, choices=TLP.choices, default=TLP.AMBER)
    police_access = models.BooleanField(
        _("shared with police analysts"),
        default=True,
        help_text=_("Off for owner-only records."),
    )
    shared_with_all = models.BooleanField(_("shared with all workspaces"), default=False)
    shared_with = models.ManyToManyField(
        "embassies.Workspace",
        related_name="+",
        blank=True,
        verbose_name=_("shared with workspaces"),
    )

    # Declared for type checkers: django-stubs does not add `_id` attributes on abstract models.
    workspace_id: int
    created_by_id: int

    objects = AudienceQuerySet.as_manager()

    # Concrete models add `indexes = audience_indexes("<short prefix>")` to their Meta:
    # index names are capped at 30 characters, too short for %(app_label)s_%(class)s.

    class Meta:
        abstract = True
        ordering = ["-created_at", "-id"]
        constraints = [
            # TLP:RED is for named recipients; it can never go to every workspace.
            models.CheckConstraint(
                name="%(app_label)s_%(class)s_red_not_all",
                condition=~models.Q(tlp=TLP.RED, shared_with_all=True),
                violation_error_message=_("A TLP:RED record cannot be shared with all workspaces."),
                violation_error_code="red_shared_with_all",
            )
        ]

    @classmethod
    def share_record_fk_name(cls) -> str:
        """The share table's column pointing back at the record (e.g. `lead`)."""
        field = cls._meta.get_field("shared_with")
        assert isinstance(field, models.ManyToManyField)
        return field.m2m_field_name()


class Notification(models.Model):
    """An in-app notice to one user about a record. It names the record, not its content.

    The e-mail copy carries only the link; opening it goes through the record's own audience
    check, so a notice can never show more than its reader may see.
    """

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=40)
    title = models.CharField(max_length=200)
    url = models.CharField(max_length=300)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    # Idempotency: one notice per (recipient, event); a retried task creates nothing twice.
    event_key = models.CharField(max_length=120)
    # The e-mail outbox: the notice is committed with the event, so an e-mail still owed
    # survives a broker outage or a lost task; the minute sweep sends what is left.
    email_due = models.BooleanField(default=False)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # The bell: a user's unread notices, newest first.
            models.Index(
                fields=["recipient", "read_at", "-created_at"], name="sharing_notif_inbox"
            ),
            # The sweep's outbox: only the few notices whose e-mail is still owed.
            models.Index(
                fields=["id"], condition=models.Q(email_due=True), name="sharing_notif_email_due"
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "event_key"],
                name="sharing_notification_once",
                violation_error_message=_("This notice was already sent to this person."),
                violation_error_code="notice_sent",
            )
        ]

    def __str__(self) -> str:
        return self.title
