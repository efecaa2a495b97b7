"""Writes for delegations, workspaces, memberships and invitations."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from guardian.shortcuts import assign_perm, remove_perm

from .choices import ApiTokenScope, InvitationState, WorkspaceRole
from .models import ApiToken, Delegation, Invitation, MembershipEvent, User, Workspace
from .permissions import (
    ADMIN_PERM,
    OFFICER_PERM,
    can_manage_members,
    has_any_role,
    is_platform_admin,
)
from .selectors import token_hash

ROLE_PERMS: dict[str, tuple[str, ...]] = {
    WorkspaceRole.OFFICER: (OFFICER_PERM,),
    WorkspaceRole.ADMIN: (OFFICER_PERM, ADMIN_PERM),
    WorkspaceRole.ANALYST: (OFFICER_PERM,),
}


def _unique_slug(name: str) -> str:
    base = slugify(name)[:50] or "delegation"
    slug, n = base, 2
    while Workspace.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


@transaction.atomic
def delegation_onboard(
    *,
    actor: User | None,
    name: str,
    kind: str,
    country: str = "",
    admin_email: str | None = None,
    admin_name: str = "",
) -> tuple[Delegation, Invitation | None, str | None]:
    """Create a delegation with its workspace and, optionally, invite its first admin.

    Returns the delegation, the invitation and the raw invitation token (shown once).
    `actor=None` is the command line, which runs with the operator's authority.
    """
    if actor is not None and not is_platform_admin(actor):
        raise PermissionDenied(_("Only platform admins onboard delegations."))
    delegation = Delegation(name=name.strip(), kind=kind, country=country, created_by=actor)
    delegation.full_clean()
    delegation.save()
    workspace = Workspace(delegation=delegation, slug=_unique_slug(name))
    workspace.full_clean()
    workspace.save()
    MembershipEvent.objects.create(
        workspace=workspace,
        action=MembershipEvent.Action.ONBOARDED,
        subject_email=actor.email if actor else "",
        actor=actor,
    )
    invitation, token = None, None
    if admin_email:
        invitation, token = invitation_create(
            actor=actor,
            workspace=workspace,
            email=admin_email,
            full_name=admin_name,
            role=WorkspaceRole.ADMIN,
        )
    return delegation, invitation, token


@transaction.atomic
def invitation_create(
    *,
    actor: User | None,
    workspace: Workspace,
    email: str,
    role: str,
    full_name: str = "",
) -> tuple[Invitation, str]:
    """Invite someone to a workspace. Returns the invitation and its raw token.

    Only the token's hash is stored; the link is e-mailed after the commit.
    """
    if actor is not None and not can_manage_members(actor, workspace):
        raise PermissionDenied(_("You cannot invite members to this workspace."))
    email = User.objects.normalize_email(email).strip().lower()
    if role not in WorkspaceRole.values:
        raise ValidationError({"role": _("Unknown role.")})
    if role == WorkspaceRole.ANALYST and not workspace.is_host_police:
        raise ValidationError({"role": _("Police analysts belong to the host police workspace.")})
    if User.objects.filter(email__iexact=email).exists():
        raise ValidationError({"email": _("This address already has an account.")})
    # An open invitation for the same address is replaced, so the newest link is the one that works.
    Invitation.objects.filter(
        email__iexact=email, accepted_at__isnull=True, revoked_at__isnull=True
    ).update(revoked_at=timezone.now())
    token = secrets.token_urlsafe(32)
    invitation = Invitation(
        workspace=workspace,
        email=email,
        full_name=full_name,
        role=role,
        token_hash=token_hash(token),
        invited_by=actor,
        expires_at=timezone.now() + settings.INVITATION_TTL,
    )
    invitation.full_clean()
    invitation.save()
    MembershipEvent.objects.create(
        workspace=workspace,
        action=MembershipEvent.Action.INVITED,
        subject_email=email,
        role=role,
        actor=actor,
    )
    from .tasks import send_invitation_email_task

    # robust: the invitation is saved; a broker outage must not answer 500 (the admin would
    # invite again). The sweep (invitations_send_unsent) sends a fresh link instead.
    transaction.on_commit(
        lambda: send_invitation_email_task.delay(invitation.pk, token), robust=True
    )
    return invitation, token


# An invitation's own task normally sends its e-mail within seconds; after this long with no
# e-mail the sweep takes over (the task was lost with the broker, or never published).
INVITATION_EMAIL_GRACE = timedelta(minutes=2)


def _invitation_mail(invitation: Invitation, token: str) -> None:
    """The invitation e-mail: the link only, no workspace content."""
    link = settings.SITE_URL + reverse("invitation_accept", args=[token])
    body = render_to_string(
        "registration/invitation_email.txt",
        {"invitation": invitation, "link": link, "ttl_hours": settings.INVITATION_TTL},
    )
    send_mail(
        subject="Invitation to the scam-compound intelligence exchange",
        message=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[invitation.email],
    )


def _open_invitation_locked(pk: int, *, skip_locked: bool = False) -> Invitation | None:
    invitation = (
        Invitation.objects.select_for_update(skip_locked=skip_locked, of=("self",))
        .select_related("workspace__delegation")
        .filter(pk=pk, emailed_at__isnull=True)
        .first()
    )
    if invitation is None or invitation.state() != InvitationState.PENDING:
        return None
    return invitation


def invitation_email_send(*, invitation_id: int, token: str) -> bool:
    """E-mail an open invitation's link, once. False when there is nothing to send: it was
    sent, accepted, revoked or expired, or the sweep replaced this token with a fresh one."""
    with transaction.atomic():
        invitation = _open_invitation_locked(invitation_id)
        if invitation is None or invitation.token_hash != token_hash(token):
            return False
        _invitation_mail(invitation, token)
        invitation.emailed_at = timezone.now()
        invitation.save(update_fields=["emailed_at"])
    return True


def invitations_send_unsent(*, now: datetime | None = None) -> int:
    """The sweep: a fresh link for every open invitation whose e-mail has not gone out.

    The raw token lived only in the lost task, so a new one is drawn; it is stored in the same
    transaction that sends it, and a send that fails leaves the invitation as it was.
    """
    now = now or timezone.now()
    due = Invitation.objects.filter(
        emailed_at__isnull=True,
        accepted_at__isnull=True,
        revoked_at__isnull=True,
        expires_at__gt=now,
        created_at__lte=now - INVITATION_EMAIL_GRACE,
    ).values_list("pk", flat=True)
    sent = 0
    for pk in list(due):
        with transaction.atomic():
            invitation = _open_invitation_locked(pk, skip_locked=True)
            if invitation is None:
                continue
            token = secrets.token_urlsafe(32)
            invitation.token_hash = token_hash(token)
            _invitation_mail(invitation, token)
            invitation.emailed_at = timezone.now()
            invitation.save(update_fields=["token_hash", "emailed_at"])
            sent += 1
    return sent


def invitation_revoke(*, actor: User, invitation: Invitation) -> None:
    if not can_manage_members(actor, invitation.workspace):
        raise PermissionDenied(_("You cannot manage this workspace."))
    Invitation.objects.filter(pk=invitation.pk, accepted_at__isnull=True).update(
        revoked_at=timezone.now()
    )


def totp_secret_new() -> str:
    """A fresh 20-byte TOTP key, hex-encoded as django-otp stores it."""
    return secrets.token_hex(20)


def totp_code_valid(*, key_hex: str, code: str) -> int | None:
    """Check a code against a key, allowing one step of clock drift. Returns the matched step."""
    code = (code or "").strip().replace(" ", "")
    if not (code.isascii() and code.isdigit()) or len(code) != 6:  # "²" is a digit too
        return None
    totp = TOTP(bytes.fromhex(key_hex), step=30, t0=0, digits=6, drift=0)
    for drift in (0, -1, 1):
        totp.drift = drift
        if totp.token() == int(code):
            return totp.t()
    return None


def _grant_role(*, user: User, workspace: Workspace, role: str) -> None:
    for perm in (OFFICER_PERM, ADMIN_PERM):
        if perm in ROLE_PERMS[role]:
            assign_perm(f"embassies.{perm}", user, workspace)
        else:
            remove_perm(f"embassies.{perm}", user, workspace)
    user.is_police_analyst = role == WorkspaceRole.ANALYST
    user.save(update_fields=["is_police_analyst"])


@transaction.atomic
def invitation_accept(
    *, token: str, password: str, full_name: str, totp_key: str, totp_code: str
) -> User:
    """Turn a valid invitation into an account with a password and a confirmed TOTP device.

    One transaction: either the person leaves with a working account and authenticator, or
    nothing changes and the link still works.
    """
    invitation = Invitation.objects.select_for_update().filter(token_hash=token_hash(token)).first()
    if invitation is None or invitation.state() != "pending":
        raise ValidationError(_("This invitation link is not valid any more."))
    user = User(email=invitation.email, full_name=full_name.strip() or invitation.full_name)
    validate_password(password, user)
    step = totp_code_valid(key_hex=totp_key, code=totp_code)
    if step is None:
        raise ValidationError(
            {"totp_code": _("That code does not match. Check the clock on your phone.")}
        )
    # Conditional update: a second, concurrent acceptance finds nothing to claim.
    claimed = Invitation.objects.filter(
        pk=invitation.pk, accepted_at__isnull=True, revoked_at__isnull=True
    ).update(accepted_at=timezone.now())
    if not claimed:
        raise ValidationError(_("This invitation link is not valid any more."))
    user.workspace = invitation.workspace
    user.set_password(password)
    user.full_clean(exclude=["password"])
    user.save()
    TOTPDevice.objects.create(user=user, name="default", key=totp_key, confirmed=True, last_t=step)
    _grant_role(user=user, workspace=invitation.workspace, role=invitation.role)
    Invitation.objects.filter(pk=invitation.pk).update(accepted_by=user)
    MembershipEvent.objects.create(
        workspace=invitation.workspace,
        action=MembershipEvent.Action.JOINED,
        subject_email=user.email,
        role=invitation.role,
        actor=user,
    )
    return user


@transaction.atomic
def member_set_role(*, actor: User, workspace: Workspace, member: User, role: str) -> User:
    """Change a member's role in their workspace (officer, admin; analyst in the host police)."""
    if not can_manage_members(actor, workspace) or member.workspace_id != workspace.pk:
        raise PermissionDenied(_("You cannot manage this workspace."))
    if role not in WorkspaceRole.values:
        raise ValidationError({"role": _("Unknown role.")})
    if role == WorkspaceRole.ANALYST and not workspace.is_host_police:
        raise ValidationError({"role": _("Police analysts belong to the host police workspace.")})
    if member.pk == actor.pk:
        raise ValidationError(_("You cannot change your own role; ask another admin."))
    _grant_role(user=member, workspace=workspace, role=role)
    MembershipEvent.objects.create(
        workspace=workspace,
        action=MembershipEvent.Action.ROLE_CHANGED,
        subject_email=member.email,
        role=role,
        actor=actor,
    )
    return member


@transaction.atomic
def member_remove(*, actor: User, workspace: Workspace, member: User) -> None:
    """Remove a member: their account is deactivated, grants and API tokens revoked.

    Deactivation is what cuts access on the very next request: Django refuses the session of an
    inactive user, and the token authentication refuses their tokens (which are revoked too, so
    a later reactivation does not bring them back).
    """
    if not can_manage_members(actor, workspace) or member.workspace_id != workspace.pk:
        raise PermissionDenied(_("You cannot manage this workspace."))
    if member.pk == actor.pk:
        raise ValidationError(_("You cannot remove yourself; ask another admin."))
    for perm in (OFFICER_PERM, ADMIN_PERM):
        remove_perm(f"embassies.{perm}", member, workspace)
    _deactivate(actor=actor, user=member)
    MembershipEvent.objects.create(
        workspace=workspace,
        action=MembershipEvent.Action.REMOVED,
        subject_email=member.email,
        actor=actor,
    )


def _deactivate(*, actor: User | None, user: User) -> None:
    User.objects.filter(pk=user.pk).update(is_active=False, is_police_analyst=False)
    api_tokens_revoke_all(actor=actor, user=user)


@transaction.atomic
def user_deactivate(*, actor: User | None, user: User) -> None:
    """Deactivate an account (platform admins; `actor=None` is the operator's command line).

    The one way to switch an account off besides removing a member: it also revokes every API
    token, so the account's scripts stop on their next request.
    """
    if actor is not None and not is_platform_admin(actor):
        raise PermissionDenied(_("Only platform admins deactivate accounts."))
    if actor is not None and actor.pk == user.pk:
        raise ValidationError(_("You cannot deactivate your own account."))
    _deactivate(actor=actor, user=user)


# --- API tokens ----------------------------------------------------------------------------

API_TOKEN_KEY_PREFIX = "ex_"
API_TOKEN_DEFAULT_DAYS = 90
API_TOKEN_MAX_DAYS = 365
# Enough for a few scripts per person; more live keys is more to leak and to audit.
API_TOKEN_MAX_ACTIVE = 10
# last_used_at is written at most this often per token: a busy script must not turn every
# read into a write.
API_TOKEN_TOUCH_INTERVAL = timedelta(minutes=1)


@transaction.atomic
def api_token_create(
    *, user: User, name: str, scope: str, expires_at: datetime | None = None
) -> tuple[ApiToken, str]:
    """Issue an API token for `user`. Returns the token and its key, which is never stored.

    The caller shows the key once; only its SHA-256 digest is kept, so a copy of the database
    holds no usable key. Tokens expire (default 90 days, at most 365) and can be revoked.
    """
    if not user.is_active or not has_any_role(user):
        raise PermissionDenied(_("Only members with a role may have API tokens."))
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("Give the token a name, e.g. the script that uses it.")})
    if scope not in ApiTokenScope.values:
        raise ValidationError({"scope": _("Unknown scope.")})
    now = timezone.now()
    if expires_at is None:
        expires_at = now + timedelta(days=API_TOKEN_DEFAULT_DAYS)
    if expires_at <= now:
        raise ValidationError({"expires_at": _("The expiry must be in the future.")})
    if expires_at > now + timedelta(days=API_TOKEN_MAX_DAYS):
        raise ValidationError(
            {"expires_at": _("A token lives at most %(days)s days.") % {"days": API_TOKEN_MAX_DAYS}}
        )
    # Lock the user's row so that two concurrent requests cannot both pass the limit.
    User.objects.select_for_update().filter(pk=user.pk).first()
    active = ApiToken.objects.filter(user=user, revoked_at__isnull=True, expires_at__gt=now)
    if active.count() >= API_TOKEN_MAX_ACTIVE:
        raise ValidationError(
            _("You have %(n)s active tokens, the most allowed; revoke one first.")
            % {"n": API_TOKEN_MAX_ACTIVE}
        )
    key = API_TOKEN_KEY_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user=user,
        name=name,
        key_digest=token_hash(key),
        prefix=key[: len(API_TOKEN_KEY_PREFIX) + 8],
        scope=scope,
        created_at=now,
        expires_at=expires_at,
    )
    token.full_clean()
    token.save()
    return token, key


def api_token_revoke(*, actor: User, token: ApiToken) -> bool:
    """Revoke one token: its owner's own, or a member's by their delegation admin.

    Returns False when it was already revoked. Conditional update: revoking twice keeps the
    first time and the first revoker.
    """
    owner = token.user
    if owner.pk != actor.pk and not (
        owner.workspace is not None and can_manage_members(actor, owner.workspace)
    ):
        raise PermissionDenied(_("You cannot revoke this token."))
    return bool(
        ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now(), revoked_by=actor
        )
    )


def api_tokens_revoke_all(*, actor: User | None, user: User) -> int:
    """Revoke every live token of `user` (removal, deactivation). Returns how many."""
    return ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(
        revoked_at=timezone.now(), revoked_by=actor
    )


def api_token_touch(*, token: ApiToken, now: datetime | None = None) -> None:
    """Record that a token was used, at most once per API_TOKEN_TOUCH_INTERVAL.

    Skipped without a query while the loaded value is fresh; the conditional update keeps
    concurrent requests from writing the same minute twice.
    """
    now = now or timezone.now()
    stale = now - API_TOKEN_TOUCH_INTERVAL
    if token.last_used_at is not None and token.last_used_at > stale:
        return
    ApiToken.objects.filter(pk=token.pk).filter(
        Q(last_used_at__isnull=True) | Q(last_used_at__lte=stale)
    ).update(last_used_at=now)
    token.last_used_at = now


def user_create_with_totp(
    *,
    email: str,
    password: str,
    workspace: Workspace | None,
    role: str | None,
    full_name: str = "",
    totp_key: str | None = None,
    is_platform_admin: bool = False,
) -> User:
    """Create a ready account (demo data, tests, ops). Normal accounts come from invitations."""
    user = User.objects.create_user(
        email=email,
        password=password,
        full_name=full_name,
        workspace=workspace,
        is_platform_admin=is_platform_admin,
    )
    if workspace is not None and role:
        _grant_role(user=user, workspace=workspace, role=role)
    TOTPDevice.objects.create(
        user=user, name="default", key=totp_key or totp_secret_new(), confirmed=True
    )
    return user
