"""Typing helpers: views behind @login_required see a signed-in `User`, not AnonymousUser."""

from django.http import HttpRequest

from .models import User


class AuthedHttpRequest(HttpRequest):
    user: User  # narrowed by @login_required
