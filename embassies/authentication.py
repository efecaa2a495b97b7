from __future__ import annotations

from typing import Any

from rest_framework.authentication import SessionAuthentication
from rest_framework.request import Request

from .permissions import is_verified


class VerifiedSessionAuthentication(SessionAuthentication):
    """Browser sessions count for the API only once the second factor has been passed."""

    def authenticate(self, request: Request) -> tuple[Any, None] | None:
        result = super().authenticate(request)
        if result is None:
            return None
        user = request._request.user
        if not is_verified(user):
            return None
        return result
