"""The site's own 400/403/404/500 pages, in DEBUG too, unless the technical pages are asked for.

With DEBUG on (the demo, `make run`) Django answers a 404 with its technical page, which lists
every URL pattern, and an error with a traceback. Neither may reach a user: a hidden record's
404 must read exactly like a missing one's, and a traceback shows code and data. Django picks
the technical pages inside its own exception handling, so this middleware answers first:

- a URL that matches no route: resolved here before the view runs (the same resolution Django
  does next), answered by `handler404`;
- an exception from a view or a template: `process_exception`, answered by the site's handler
  for its status (a 500 is logged with its traceback, as Django logs one, and reported through
  `got_request_exception`, so the database-outage 503 still applies).

`DEBUG_TECHNICAL_PAGES=true` turns it off and brings Django's pages back. Without DEBUG it has
nothing to do: Django calls the same handlers itself. The API keeps its JSON errors (DRF
answers its own exceptions; the handlers answer JSON under /api/).
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import BadRequest, PermissionDenied, SuspiciousOperation
from django.core.signals import got_request_exception
from django.http import Http404, HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.urls import Resolver404, resolve
from django.utils.log import log_response

from . import views


def friendly_pages() -> bool:
    """Whether this middleware answers errors (DEBUG on, technical pages not asked for)."""
    return settings.DEBUG and not settings.DEBUG_TECHNICAL_PAGES


class FriendlyErrorPagesMiddleware:
    """In DEBUG, answer errors with the site's pages instead of Django's technical ones.

    Placed after the session, authentication and message middleware, so the 404 page shows
    the signed-in header, and after CommonMiddleware's response side (APPEND_SLASH still
    redirects a URL missing its slash).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if friendly_pages():
            try:
                resolve(request.path_info, getattr(request, "urlconf", None))
            except Resolver404 as exc:
                return views.page_not_found(request, exc)
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not friendly_pages():
            return None
        if isinstance(exception, Http404):
            return views.page_not_found(request, exception)
        if isinstance(exception, PermissionDenied):
            return None  # Django answers it with handler403 whatever DEBUG says
        if isinstance(exception, BadRequest | SuspiciousOperation | MultiPartParserError):
            response = views.bad_request(request, exception)
            log_response(
                "Bad request: %s",
                request.path,
                response=response,
                request=request,
                exception=exception,
            )
            return response
        # Inside Django's `except` block: receivers see the exception (the 503 flag reads it).
        got_request_exception.send(sender=None, request=request)
        response = views.server_error(request)
        log_response(
            "%s: %s",
            "Internal Server Error",
            request.path,
            response=response,
            request=request,
            exception=exception,
        )
        return response
