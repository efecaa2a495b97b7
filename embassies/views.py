"""Sign-in, invitations, members, onboarding and API-token pages. Writes go through services."""

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers, patch_cache_control
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp import match_token, user_has_device
from django_otp.plugins.otp_totp.models import TOTPDevice

from . import selectors, services
from .forms import (
    AcceptInvitationForm,
    ApiTokenForm,
    InviteMemberForm,
    OnboardDelegationForm,
    OTPCodeForm,
    role_choices,
)
from .permissions import has_any_role, is_platform_admin, is_verified, role_of
from .throttling import ApiTokenIssueThrottle
from .totp import base32_secret, provisioning_uri, qr_svg
from .types import AuthedHttpRequest


def _apply_errors(form, exc: ValidationError) -> None:
    """Show a service's ValidationError on the form, by field where it names one."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


def _safe_next(request: HttpRequest, default: str = "home") -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return reverse(default)


# --- second factor -----------------------------------------------------------------------


@login_required
def otp_verify(request: AuthedHttpRequest) -> HttpResponse:
    """The second sign-in step: a code from the authenticator app."""
    if is_verified(request.user):
        return redirect(_safe_next(request))
    if not user_has_device(request.user):
        return redirect(reverse("otp_enrol") + "?next=" + _safe_next(request))
    form = OTPCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = match_token(request.user, form.cleaned_data["code"].replace(" ", ""))
        if device is not None:
            otp_login(request, device)
            return redirect(_safe_next(request))
        form.add_error("code", _("That code is not valid. Wait for the next one and try again."))
    return render(request, "registration/otp_verify.html", {"form": form})


@login_required
def otp_enrol(request: AuthedHttpRequest) -> HttpResponse:
    """Enrol an authenticator for an account that has none (accounts made outside invitations)."""
    if user_has_device(request.user):
        return redirect("otp_verify")
    key = request.session.get("enrol_totp_key") or services.totp_secret_new()
    request.session["enrol_totp_key"] = key
    form = OTPCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        step = services.totp_code_valid(key_hex=key, code=form.cleaned_data["code"])
        if step is not None:
            device = TOTPDevice.objects.create(
                user=request.user, name="default", key=key, confirmed=True, last_t=step
            )
            del request.session["enrol_totp_key"]
            otp_login(request, device)
            return redirect(_safe_next(request))
        form.add_error("code", _("That code does not match. Check the clock on your phone."))
    uri = provisioning_uri(key_hex=key, account=request.user.email)
    return render(
        request,
        "registration/otp_enrol.html",
        {"form": form, "qr": qr_svg(uri), "secret": base32_secret(key)},
    )


# --- invitations ---------------------------------------------------------------------------


def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    """Accept an invitation: set a password and enrol an authenticator in one step."""
    invitation = selectors.invitation_get_by_token(token=token)
    if invitation is None or invitation.state() != "pending":
        state = invitation.state() if invitation else "invalid"
        return render(request, "registration/invitation_invalid.html", {"state": state}, status=410)
    session_key = f"invite_totp:{invitation.token_hash[:16]}"
    key = request.session.get(session_key) or services.totp_secret_new()
    request.session[session_key] = key
    form = AcceptInvitationForm(request.POST or None, initial={"full_name": invitation.full_name})
    if request.method == "POST" and form.is_valid():
        try:
            user = services.invitation_accept(
                token=token,
                password=form.cleaned_data["password1"],
                full_name=form.cleaned_data["full_name"],
                totp_key=key,
                totp_code=form.cleaned_data["totp_code"],
            )
        except ValidationError as exc:
            if not hasattr(exc, "error_dict"):
                exc = ValidationError({"password1": exc.messages})
            _apply_errors(form, exc)
        else:
            del request.session[session_key]
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            otp_login(request, TOTPDevice.objects.get(user=user))
            messages.success(request, _("Welcome. Your account and authenticator are set up."))
            return redirect("home")
    uri = provisioning_uri(key_hex=key, account=invitation.email)
    return render(
        request,
        "registration/invitation_accept.html",
        {
            "invitation": invitation,
            "form": form,
            "qr": qr_svg(uri),
            "secret": base32_secret(key),
        },
    )


# --- workspace members (delegation admins; platform admins) --------------------------------


@login_required
def members(request: AuthedHttpRequest, slug: str) -> HttpResponse:
    workspace = selectors.workspace_get_managed(user=request.user, slug=slug)
    form = InviteMemberForm(request.POST or None, workspace=workspace)
    if request.method == "POST" and form.is_valid():
        try:
            services.invitation_create(actor=request.user, workspace=workspace, **form.cleaned_data)
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(
                request, _("Invitation sent to %(email)s.") % {"email": form.cleaned_data["email"]}
            )
            return redirect("members", slug=workspace.slug)
    member_rows = [(m, role_of(m)) for m in selectors.member_list(workspace=workspace)]
    return render(
        request,
        "embassies/members.html",
        {
            "workspace": workspace,
            "members": member_rows,
            "invitations": selectors.invitation_list(workspace=workspace)[:50],
            "events": workspace.events.select_related("actor")[:30],
            "form": form,
            "role_choices": role_choices(workspace),
            "api_tokens": selectors.api_token_list_for_workspace(workspace=workspace),
        },
    )


@login_required
@require_POST
def member_remove(request: AuthedHttpRequest, slug: str, user_id: int) -> HttpResponse:
    workspace = selectors.workspace_get_managed(user=request.user, slug=slug)
    member = selectors.member_get(workspace=workspace, user_id=user_id)
    try:
        services.member_remove(actor=request.user, workspace=workspace, member=member)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("%(email)s was removed.") % {"email": member.email})
    return redirect("members", slug=workspace.slug)


@login_required
@require_POST
def member_role(request: AuthedHttpRequest, slug: str, user_id: int) -> HttpResponse:
    workspace = selectors.workspace_get_managed(user=request.user, slug=slug)
    member = selectors.member_get(workspace=workspace, user_id=user_id)
    try:
        services.member_set_role(
            actor=request.user,
            workspace=workspace,
            member=member,
            role=request.POST.get("role", ""),
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("%(email)s's role was changed.") % {"email": member.email})
    return redirect("members", slug=workspace.slug)


@login_required
@require_POST
def invitation_revoke(request: AuthedHttpRequest, slug: str, invitation_id: int) -> HttpResponse:
    workspace = selectors.workspace_get_managed(user=request.user, slug=slug)
    invitation = selectors.invitation_list(workspace=workspace).filter(pk=invitation_id).first()
    if invitation is None:
        raise Http404(
            selectors.NOT_FOUND
        )  # another workspace's invitation answers like a missing one
    services.invitation_revoke(actor=request.user, invitation=invitation)
    messages.success(request, _("Invitation revoked."))
    return redirect("members", slug=workspace.slug)


# --- onboarding (platform admins) ----------------------------------------------------------


def _require_platform_admin(request: AuthedHttpRequest) -> None:
    if not is_platform_admin(request.user):
        raise PermissionDenied


@login_required
def delegation_list(request: AuthedHttpRequest) -> HttpResponse:
    _require_platform_admin(request)
    return render(
        request,
        "embassies/delegation_list.html",
        {"delegations": selectors.delegation_list(user=request.user)},
    )


@login_required
def delegation_onboard(request: AuthedHttpRequest) -> HttpResponse:
    _require_platform_admin(request)
    form = OnboardDelegationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            delegation, _invitation, _token = services.delegation_onboard(
                actor=request.user, **form.cleaned_data
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(
                request,
                _("%(name)s is onboarded; an invitation went to %(email)s.")
                % {"name": delegation.name, "email": form.cleaned_data["admin_email"]},
            )
            return redirect("members", slug=delegation.workspace.slug)
    return render(request, "embassies/delegation_onboard.html", {"form": form})


# --- API tokens ----------------------------------------------------------------------------


@login_required
def api_token(request: AuthedHttpRequest) -> HttpResponse:
    """The account's API tokens: list, create (the key is shown once), revoke.

    Only a session past the second factor gets here (RequireTwoFactorMiddleware); creating a
    token checks it again, because a token outlives the session that made it.
    """
    form = ApiTokenForm(request.POST or None)
    new_key, status, retry_after = None, 200, None
    if request.method == "POST":
        if not is_verified(request.user) or not has_any_role(request.user):
            raise PermissionDenied
        throttle = ApiTokenIssueThrottle()
        if not throttle.allow_request(request, None):
            retry_after = max(1, int(throttle.wait() or 1))
            status = 429
            form.add_error(
                None,
                _("Too many tokens created; try again in %(n)s minutes.")
                % {"n": (retry_after + 59) // 60},
            )
        elif form.is_valid():
            days = form.cleaned_data["expires_in_days"]
            try:
                _token, new_key = services.api_token_create(
                    user=request.user,
                    name=form.cleaned_data["name"],
                    scope=form.cleaned_data["scope"],
                    expires_at=timezone.now() + timedelta(days=days),
                )
            except ValidationError as exc:
                _apply_errors(form, exc)
            else:
                form = ApiTokenForm()
    response = render(
        request,
        "embassies/api_token.html",
        {
            "form": form,
            "new_key": new_key,
            "tokens": selectors.api_token_list(user=request.user)[:50],
            "may_have_tokens": has_any_role(request.user),
            "now": timezone.now(),
        },
        status=status,
    )
    if retry_after is not None:
        response["Retry-After"] = str(retry_after)
    if new_key:
        # The one response that carries the key: no cache may keep a copy.
        add_never_cache_headers(response)
        patch_cache_control(response, no_store=True)
    return response


@login_required
@require_POST
def api_token_revoke(request: AuthedHttpRequest, token_id: int) -> HttpResponse:
    token = selectors.api_token_get_own(user=request.user, token_id=token_id)
    if services.api_token_revoke(actor=request.user, token=token):
        messages.success(request, _("The token “%(name)s” was revoked.") % {"name": token.name})
    return redirect("api_token")


@login_required
@require_POST
def member_token_revoke(request: AuthedHttpRequest, slug: str, token_id: int) -> HttpResponse:
    """A delegation admin revokes a member's token (seen on the members page)."""
    workspace = selectors.workspace_get_managed(user=request.user, slug=slug)
    token = selectors.api_token_get_managed(workspace=workspace, token_id=token_id)
    if services.api_token_revoke(actor=request.user, token=token):
        messages.success(
            request,
            _("%(email)s's token “%(name)s” was revoked.")
            % {"email": token.user.email, "name": token.name},
        )
    return redirect("members", slug=workspace.slug)
