from collections.abc import Collection

from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from .choices import ApiTokenScope, DelegationKind, WorkspaceRole


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra) -> "User":
        if not email:
            raise ValueError("An e-mail address is required")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra) -> "User":
        # A maintenance account: it gets the platform-admin role, never record access.
        extra.setdefault("is_platform_admin", True)
        return self.create_user(email, password, is_staff=True, is_superuser=True, **extra)


class User(AbstractUser):
    """A person who signs in. Signs in by e-mail; belongs to at most one workspace.

    The global roles are plain flags rather than model permissions: a superuser or a stray
    model-wide permission must never turn someone into a police analyst (who sees every
    police-visible record), and the audience filter reads them without a query.
    """

    username = None  # type: ignore[assignment]
    email = models.EmailField(_("e-mail address"), unique=True)
    full_name = models.CharField(_("full name"), max_length=200, blank=True)
    workspace = models.ForeignKey(
        "embassies.Workspace",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="members",
        help_text=_("The one workspace this user belongs to."),
    )
    is_police_analyst = models.BooleanField(_("police analyst"), default=False)
    is_platform_admin = models.BooleanField(_("platform admin"), default=False)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []  # type: ignore[misc]
    objects = UserManager()  # type: ignore[misc,assignment]

    class Meta:
        ordering = ["email"]
        constraints = [
            models.CheckConstraint(
                name="embassies_user_analyst_has_workspace",
                condition=models.Q(is_police_analyst=False) | models.Q(workspace__isnull=False),
                violation_error_message=_("A police analyst belongs to the host police workspace."),
                violation_error_code="analyst_needs_police_workspace",
            )
        ]

    def __str__(self) -> str:
        return self.full_name or self.email


class Delegation(models.Model):
    """A country's embassy, an international organisation, a foreign agency, or the host police."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    country = CountryField(_("country"), blank=True)
    kind = models.CharField(_("kind"), max_length=32, choices=DelegationKind.choices)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        "embassies.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            # Only one host police: police analysts belong to its workspace.
            models.UniqueConstraint(
                fields=["kind"],
                condition=models.Q(kind=DelegationKind.HOST_POLICE),
                name="embassies_delegation_one_host_police",
                violation_error_message=_("There is already a host police delegation."),
                violation_error_code="host_police_exists",
            ),
            # An embassy or agency needs its country; international organisations may have none.
            models.CheckConstraint(
                name="embassies_delegation_country_required",
                condition=models.Q(kind=DelegationKind.INTERNATIONAL_ORG) | ~models.Q(country=""),
                violation_error_message=_(
                    "Choose the country: only an international organisation may have none."
                ),
                violation_error_code="country_required",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def validate_constraints(self, exclude: Collection[str] | None = None) -> None:
        """The constraints' errors, with the missing country on the country field.

        A CheckConstraint's error names no field, so a form would show it above the form;
        the person onboarding a delegation should see it next to the country they left out.
        """
        try:
            super().validate_constraints(exclude=exclude)
        except ValidationError as exc:
            errors = exc.update_error_dict({})
            general = errors.pop(NON_FIELD_ERRORS, [])
            for error in general:
                field = "country" if error.code == "country_required" else NON_FIELD_ERRORS
                errors.setdefault(field, []).append(error)
            raise ValidationError(errors) from exc


class Workspace(models.Model):
    """A delegation's permissioned space. Every shared record belongs to one workspace.

    Roles are object permissions on the workspace (django-guardian, direct foreign keys).
    """

    delegation = models.OneToOneField(
        Delegation, on_delete=models.PROTECT, related_name="workspace"
    )
    slug = models.SlugField(_("short name"), max_length=60, unique=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["slug"]
        permissions = [
            ("act_as_officer", "Share and read records as a liaison officer of this workspace"),
            ("manage_members", "Invite and remove members of this workspace"),
        ]

    def __str__(self) -> str:
        return self.delegation.name

    @property
    def is_host_police(self) -> bool:
        return self.delegation.kind == DelegationKind.HOST_POLICE


class WorkspaceUserObjectPermission(UserObjectPermissionBase):
    """Guardian's direct-foreign-key table for user grants on a workspace."""

    content_object = models.ForeignKey(Workspace, on_delete=models.CASCADE)


class WorkspaceGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Workspace, on_delete=models.CASCADE)


class Invitation(models.Model):
    """A single-use, expiring sign-up link. Only the SHA-256 of the token is stored."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField(_("e-mail address"))
    full_name = models.CharField(_("full name"), max_length=200, blank=True)
    role = models.CharField(_("role"), max_length=16, choices=WorkspaceRole.choices)
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="invitations_sent"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)
    # Null until the link has been e-mailed: the minute sweep sends a fresh link for an open
    # invitation whose e-mail was lost with its task (the raw token lived only in that task).
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            # A workspace's invitation list (members page), newest first.
            models.Index(fields=["workspace", "-created_at"], name="embassies_inv_ws_created"),
            # The sweep: the few open invitations whose e-mail has not gone out.
            models.Index(
                fields=["created_at"],
                condition=models.Q(
                    emailed_at__isnull=True, accepted_at__isnull=True, revoked_at__isnull=True
                ),
                name="embassies_inv_unsent",
            ),
        ]
        constraints = [
            # At most one open invitation per address.
            models.UniqueConstraint(
                Lower("email"),
                condition=models.Q(accepted_at__isnull=True, revoked_at__isnull=True),
                name="embassies_invitation_one_open_per_email",
                violation_error_message=_("This address already has an open invitation."),
                violation_error_code="invitation_open",
            )
        ]

    def __str__(self) -> str:
        return f"{self.email} → {self.workspace}"

    def state(self, now=None) -> str:
        from .choices import InvitationState

        now = now or timezone.now()
        if self.accepted_at:
            return InvitationState.ACCEPTED
        if self.revoked_at:
            return InvitationState.REVOKED
        if self.expires_at <= now:
            return InvitationState.EXPIRED
        return InvitationState.PENDING

    def get_state_display(self) -> str:
        """The invitation's state in words ("Pending"), for pages."""
        from .choices import InvitationState

        return str(InvitationState(self.state()).label)


class MembershipEvent(models.Model):
    """Append-only history of who joined, changed role or left a workspace, and who did it."""

    class Action(models.TextChoices):
        INVITED = "invited", _("Invited")
        JOINED = "joined", _("Joined")
        REMOVED = "removed", _("Removed")
        ROLE_CHANGED = "role_changed", _("Role changed")
        ONBOARDED = "onboarded", _("Delegation onboarded")

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(max_length=16, choices=Action.choices)
    subject_email = models.EmailField()
    role = models.CharField(max_length=16, choices=WorkspaceRole.choices, blank=True)
    actor = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at"]
        indexes = [models.Index(fields=["workspace", "-at"], name="embassies_mev_ws_at")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.subject_email}"


class ApiToken(models.Model):
    """A personal API key: scoped, expiring and revocable. Only its SHA-256 digest is stored.

    The key itself is shown once, when it is made; the prefix (its first characters) lets the
    owner and their delegation admins tell keys apart without being able to use one.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100)
    # Unique, hence indexed: authentication finds a key by its digest alone.
    key_digest = models.CharField(max_length=64, unique=True, editable=False)
    prefix = models.CharField(_("key prefix"), max_length=16, editable=False)
    scope = models.CharField(_("scope"), max_length=8, choices=ApiTokenScope.choices)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires"))
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            # A user's tokens (account page; the members page over a workspace's members).
            models.Index(fields=["user", "-created_at"], name="embassies_apitok_user_crt"),
        ]
        constraints = [
            models.CheckConstraint(
                name="embassies_apitoken_expires_after_creation",
                condition=models.Q(expires_at__gt=models.F("created_at")),
                violation_error_message=_("A token must expire after it is created."),
                violation_error_code="token_expiry_order",
            ),
            models.CheckConstraint(
                name="embassies_apitoken_scope_valid",
                condition=models.Q(scope__in=ApiTokenScope.values),
                violation_error_message=_("Choose one of the listed token scopes."),
                violation_error_code="token_scope_unknown",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    def is_active(self, now=None) -> bool:
        now = now or timezone.now()
        return self.revoked_at is None and self.expires_at > now
