"""Sign-in: keep the previous sign-in in the session before Django overwrites it."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import update_last_login

from .dashboards import PREVIOUS_LOGIN


def remember_previous_login(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    previous = getattr(user, "last_login", None)
    if request is not None and hasattr(request, "session") and previous is not None:
        request.session[PREVIOUS_LOGIN] = previous.isoformat()
    update_last_login(sender, user, **kwargs)
