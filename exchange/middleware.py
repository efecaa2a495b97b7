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

from django.core.signals import got_request_exception, request_finished
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


# --- request id (exchange.logs) --------------------------------------------------------------

REQUEST_ID_HEADER = "X-Request-ID"


def _clear_request_context(**kwargs: Any) -> None:
    from exchange.logs import request_context_clear

    request_context_clear()


request_finished.connect(_clear_request_context, dispatch_uid="exchange.request_context")


class RequestIdMiddleware:
    """Name each request: the id goes in every log line written while serving it, in the
    tasks it starts, and back to the client in X-Request-ID (the proxy's id when it sent one)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from exchange.logs import new_request_id, request_context_enter

        request_id = new_request_id(request.META.get("HTTP_X_REQUEST_ID"))
        request.request_id = request_id  # type: ignore[attr-defined]
        request_context_enter(request, request_id)
        response = self.get_response(request)
        response[REQUEST_ID_HEADER] = request_id
        return response


# --- probes (exchange.health) ----------------------------------------------------------------

PROBE_PATHS = ("/healthz", "/readyz", "/metrics")


def _probe_host_allowed(request: HttpRequest) -> bool:
    from django.conf import settings
    from django.http.request import split_domain_port, validate_host

    domain, _port = split_domain_port(request.META.get("HTTP_HOST", ""))
    if not domain:
        return False
    return validate_host(domain, settings.HEALTH_CHECK_HOSTS) or validate_host(
        domain, settings.ALLOWED_HOSTS
    )


class ProbeMiddleware:
    """Serve the probe paths before host validation and the HTTPS redirect.

    A container's health check asks http://127.0.0.1:8000/healthz: that host is not a public
    name (400 and an ERROR traceback every 15 s before) and the request is not HTTPS (a 301).
    The probes answer on HEALTH_CHECK_HOSTS and ALLOWED_HOSTS, over plain HTTP; any other host
    falls through to Django's usual refusal. They show no record, so they need no session.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info in PROBE_PATHS and _probe_host_allowed(request):
            from django.urls import resolve

            match = resolve(request.path_info)
            return match.func(request, *match.args, **match.kwargs)
        return self.get_response(request)


# --- request size limits ---------------------------------------------------------------------


def _too_large_response(request: HttpRequest, limit: int) -> HttpResponse:
    megabytes = f"{limit / (1024 * 1024):.0f}"
    if request.path.startswith("/api/"):
        message = _(
            "The request body is larger than %(mb)s MB, the most this API accepts in one "
            "request. Send fewer rows per request (at most 10,000 reports)."
        ) % {"mb": megabytes}
        response = HttpResponse(
            json.dumps({"detail": message}), status=413, content_type="application/json"
        )
    else:
        title = escape(_("Too large"))
        message = _("What you sent is larger than %(mb)s MB, the most a page accepts.") % {
            "mb": megabytes
        }
        response = HttpResponse(
            f'<!doctype html><html><head><meta charset="utf-8"><title>{title}</title></head>'
            f"<body><h1>{title}</h1><p>{escape(message)}</p></body></html>",
            status=413,
            content_type="text/html; charset=utf-8",
        )
    response["Connection"] = "close"  # the rest of the body is not read
    return response


class RequestSizeLimitMiddleware:
    """Refuse a body over its limit with 413 before anything reads it: API_MAX_BODY_BYTES under
    /api/ (sized for the 10,000-row batch), WEB_MAX_BODY_BYTES for pages.

    A body with no Content-Length (chunked) is counted while it is read: Django raises
    RequestDataTooBig past DATA_UPLOAD_MAX_MEMORY_SIZE, answered here as the same 413 instead
    of the bare "Bad Request (400)" page.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    @staticmethod
    def limit_for(request: HttpRequest) -> int:
        from django.conf import settings

        if request.path.startswith("/api/"):
            return settings.API_MAX_BODY_BYTES
        return settings.WEB_MAX_BODY_BYTES

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit = self.limit_for(request)
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > limit:
            return _too_large_response(request, limit)
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        from django.core.exceptions import RequestDataTooBig

        if isinstance(exception, RequestDataTooBig):
            return _too_large_response(request, self.limit_for(request))
        return None
