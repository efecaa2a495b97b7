"""A clean 503 "database unavailable, retry" while the database is down, instead of a 500.

When PostgreSQL restarts or a connection drops, Django raises OperationalError or
InterfaceError. Left alone these become the generic 500 page ("something went wrong"), which
tells a client nothing about retrying. This middleware answers 503 with a Retry-After header
(JSON under /api/, a small page elsewhere) so clients and load balancers retry, and the same
gunicorn process serves again as soon as the database is back (CONN_HEALTH_CHECKS replaces the
broken connection on the next request; see DATABASES in settings).

The error may be raised by a view or by a middleware (the session and sign-in middleware read
the database before any view runs). Django turns an exception inside any middleware layer into
a 500 response right there, so `process_exception` alone would miss those. Instead a receiver
of `got_request_exception` (sent by Django for every unhandled exception, inside the `except`
block) flags the request, and this middleware, placed first, swaps the 500 for the 503.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any

from django.core.signals import got_request_exception
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.utils.html import escape
from django.utils.translation import gettext as _

DATABASE_DOWN = (OperationalError, InterfaceError)
RETRY_AFTER_SECONDS = 5
_FLAG = "_exchange_database_unavailable"


def _flag_database_errors(sender: Any, request: HttpRequest | None = None, **kwargs: Any) -> None:
    if request is not None and isinstance(sys.exc_info()[1], DATABASE_DOWN):
        setattr(request, _FLAG, True)


got_request_exception.connect(_flag_database_errors, dispatch_uid="exchange.database_unavailable")


def database_unavailable_response(request: HttpRequest) -> HttpResponse:
    """The 503 answer. Built without the database: no template context, no session, no user."""
    message = _("The database is unavailable. Nothing was saved; please retry in a few seconds.")
    if request.path.startswith("/api/"):
        response = HttpResponse(
            json.dumps({"detail": message}), status=503, content_type="application/json"
        )
    else:
        title = escape(_("Service temporarily unavailable"))
        response = HttpResponse(
            f'<!doctype html><html><head><meta charset="utf-8"><title>{title}</title></head>'
            f"<body><h1>{title}</h1><p>{escape(message)}</p></body></html>",
            status=503,
            content_type="text/html; charset=utf-8",
        )
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


class DatabaseUnavailableMiddleware:
    """Turn a 500 caused by a database outage into a 503 with Retry-After. Must come first."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code == 500 and getattr(request, _FLAG, False):
            return database_unavailable_response(request)
        return response
