"""Session lifetime and the second factor, enforced on every request."""

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from .permissions import is_verified

SESSION_STARTED_KEY = "auth_started_at"

# Paths a signed-in but not yet verified user may reach: the sign-in steps themselves.
_UNVERIFIED_ALLOWED = ("/accounts/", "/i18n/", "/static/", "/invite/", "/api/")


class SessionLifetimeMiddleware:
    """Ends a session 12 hours after sign-in, however active (idle expiry is Django's own)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            started = request.session.get(SESSION_STARTED_KEY)
            now = time.time()
            if started is None:
                request.session[SESSION_STARTED_KEY] = now
            elif now - started > settings.SESSION_ABSOLUTE_SECONDS:
                logout(request)
                messages.info(request, _("Your session has ended. Please sign in again."))
                return redirect(settings.LOGIN_URL)
        return self.get_response(request)


class RequireTwoFactorMiddleware:
    """A signed-in user who has not passed the second factor reaches only the sign-in steps.

    The API authenticates on its own (tokens, or a verified session): see exchange/api.py.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if (
            user.is_authenticated
            and not is_verified(user)
            and not request.path.startswith(_UNVERIFIED_ALLOWED)
        ):
            return redirect(reverse("otp_verify") + "?next=" + request.get_full_path())
        return self.get_response(request)
