"""Operator actions run from the command line (exchange/management/commands/): each writes an
OperatorAction. Kept out of embassies.services because they act outside any signed-in user's
permissions: only someone with a shell on the host runs them."""

from __future__ import annotations

import getpass
import os

from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django_otp import devices_for_user

from embassies.models import User, Workspace
from embassies.services import api_tokens_revoke_all

from .models import OperatorAction


def operator_name() -> str:
    """The host account running the command (SUDO_USER first: the person behind sudo)."""
    try:
        return os.environ.get("SUDO_USER") or getpass.getuser()
    except Exception:
        return ""


def sessions_end(*, user_ids: set[int]) -> int:
    """Sign these accounts out everywhere: delete their sessions. Returns how many."""
    wanted = {str(pk) for pk in user_ids}
    doomed = [
        session.pk
        for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator()
        if str(session.get_decoded().get("_auth_user_id")) in wanted
    ]
    Session.objects.filter(pk__in=doomed).delete()
    return len(doomed)


@transaction.atomic
def platform_admin_create(*, email: str, password: str, full_name: str = "") -> User:
    """A platform admin with no workspace (never record access); the authenticator is enrolled
    at the first sign-in (otp_enrol)."""
    email = User.objects.normalize_email(email).lower()
    if User.objects.filter(email__iexact=email).exists():
        raise ValidationError(f"an account {email} exists already")
    user = User(email=email, full_name=full_name, is_platform_admin=True)
    validate_password(password, user)
    user.set_password(password)
    user.full_clean(exclude=["password"])
    user.save()
    OperatorAction.objects.create(
        action=OperatorAction.Action.PLATFORM_ADMIN_CREATED,
        subject=email,
        operator=operator_name(),
    )
    return user


@transaction.atomic
def second_factor_reset(*, user: User, reason: str) -> int:
    """Remove every authenticator of `user` and sign them out: the next sign-in enrols a new
    one (RequireTwoFactorMiddleware -> otp_enrol). The password is kept. Returns how many
    devices were removed."""
    removed = 0
    for device in devices_for_user(user, confirmed=None):
        device.delete()
        removed += 1
    sessions = sessions_end(user_ids={user.pk})
    OperatorAction.objects.create(
        action=OperatorAction.Action.SECOND_FACTOR_RESET,
        subject=user.email,
        reason=reason,
        operator=operator_name(),
        details={"devices_removed": removed, "sessions_ended": sessions},
    )
    return removed


@transaction.atomic
def delegation_deactivate(*, workspace: Workspace, reason: str) -> OperatorAction:
    """Switch a delegation off: its workspace stops taking shares, its members are deactivated,
    signed out and their API tokens revoked. Nothing is deleted: its records stay, visible to
    their audience as configured (other workspaces they were shared with, the police)."""
    if not workspace.is_active:
        raise ValidationError(f"{workspace.slug} is already deactivated")
    members = list(
        User.objects.select_for_update()
        .filter(workspace=workspace, is_active=True)
        .values_list("pk", flat=True)
    )
    Workspace.objects.filter(pk=workspace.pk).update(is_active=False)
    User.objects.filter(pk__in=members).update(is_active=False)
    tokens = sum(
        api_tokens_revoke_all(actor=None, user=user) for user in User.objects.filter(pk__in=members)
    )
    sessions = sessions_end(user_ids=set(members))
    return OperatorAction.objects.create(
        action=OperatorAction.Action.DELEGATION_DEACTIVATED,
        subject=workspace.slug,
        reason=reason,
        operator=operator_name(),
        details={"members": members, "tokens_revoked": tokens, "sessions_ended": sessions},
    )


@transaction.atomic
def delegation_reactivate(*, workspace: Workspace, reason: str) -> list[int]:
    """Undo the last deactivation: the workspace and the members it switched off (those still
    in the workspace) come back. Revoked API tokens stay revoked: members make new ones."""
    if workspace.is_active:
        raise ValidationError(f"{workspace.slug} is active")
    last = (
        OperatorAction.objects.filter(
            subject=workspace.slug, action=OperatorAction.Action.DELEGATION_DEACTIVATED
        )
        .order_by("-at", "-id")
        .first()
    )
    members = list(last.details.get("members", [])) if last else []
    back = list(
        User.objects.filter(pk__in=members, workspace=workspace).values_list("pk", flat=True)
    )
    User.objects.filter(pk__in=back).update(is_active=True)
    Workspace.objects.filter(pk=workspace.pk).update(is_active=True)
    OperatorAction.objects.create(
        action=OperatorAction.Action.DELEGATION_REACTIVATED,
        subject=workspace.slug,
        reason=reason,
        operator=operator_name(),
        details={"members": back},
    )
    return back
