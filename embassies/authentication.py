"""How the API knows who is calling: a personal API token, or a browser session past 2FA."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import (
    BaseAuthentication,
    SessionAuthentication,
    get_authorization_header,
)
from rest_framework.request import Request

from .models import ApiToken, User
from .permissions import has_any_role, is_verified
from .selectors import token_hash
from .services import api_token_touch

# Longest key worth hashing: ours are 46 characters (older DRF keys were 40).
_MAX_KEY_LENGTH = 200


class ApiTokenAuthentication(BaseAuthentication):
    """`Authorization: Token <key>` against the stored SHA-256 digests of `ApiToken`.

    The key is found by its digest alone: no stored key is compared character by character,
    so the time taken says nothing about how much of a guess was right. Revoked or expired
    tokens, inactive accounts and accounts with no role are refused with 401.
    `request.auth` is the `ApiToken`, which `TokenScopePermission` reads.
    """

    keyword = "Token"

    def authenticate(self, request: Request) -> tuple[User, ApiToken] | None:
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword.lower().encode():
            return None  # not ours: another class (or none) may authenticate the request
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(
                _("Invalid token header: use 'Authorization: Token <key>'.")
            )
        try:
            key = parts[1].decode()
        except UnicodeError:
            raise exceptions.AuthenticationFailed(_("Invalid token.")) from None
        if len(key) > _MAX_KEY_LENGTH:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        return self.authenticate_credentials(key)

    def authenticate_credentials(self, key: str) -> tuple[User, ApiToken]:
        token = (
            ApiToken.objects.select_related("user", "user__workspace")
            .filter(key_digest=token_hash(key))
            .first()
        )
        if token is None:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        now = timezone.now()
        if token.revoked_at is not None:
            raise exceptions.AuthenticationFailed(_("This token has been revoked."))
        if token.expires_at <= now:
            raise exceptions.AuthenticationFailed(_("This token has expired."))
        user = token.user
        if not user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        if not has_any_role(user):
            raise exceptions.AuthenticationFailed(_("This account has no role any more."))
        api_token_touch(token=token, now=now)
        return user, token

    def authenticate_header(self, request: Request) -> str:
        # Makes DRF answer 401 (not 403) with `WWW-Authenticate: Token` when credentials are
        # missing or refused.
        return self.keyword


class VerifiedSessionAuthentication(SessionAuthentication):
    """Browser sessions count for the API only once the second factor has been passed.

    CSRF is enforced on unsafe methods, as for every session-authenticated form.
    """

    def authenticate(self, request: Request) -> tuple[Any, None] | None:
        result = super().authenticate(request)
        if result is None:
            return None
        user = request._request.user
        if not is_verified(user):
            return None
        return result
