from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views import defaults

from embassies.permissions import role_of
from embassies.types import AuthedHttpRequest
from victims.audit import access_log_request
from victims.choices import AccessAction

from .dashboards import dashboard_for
from .search import QueryProblem, SearchResult, global_search, problem_message


@login_required
def home(request: AuthedHttpRequest) -> HttpResponse:
    """The role's dashboard: what waits for this person, counted within their audience."""
    dashboard = dashboard_for(user=request.user, session=request.session)
    return render(
        request,
        "home.html",
        {
            "role": role_of(request.user),
            "dashboard": dashboard,
            "overdue_minutes": settings.FREEZE_OVERDUE_MINUTES,
            "overdue_seconds": settings.FREEZE_OVERDUE_MINUTES * 60,
        },
    )


@login_required
def search(request: AuthedHttpRequest) -> HttpResponse:
    """The global search. `GET ?q=` (the header box) searches every kind of value but
    passport numbers; the page's own form posts the query, so a passport number is looked
    up too without entering a URL (access logs and browser histories keep those). Victim
    record hits are written to the access log, as the passport search page does."""
    posted = request.method == "POST"
    raw = (request.POST if posted else request.GET).get("q")
    result: SearchResult | None = None
    problem = ""
    if raw is not None:
        try:
            result = global_search(user=request.user, query=raw, passports=posted)
        except QueryProblem as exc:
            problem = problem_message(exc)
    if result is not None and result.victim_hits:
        access_log_request(request, result.victim_hits, AccessAction.SEARCH_HIT, detail="search")
    return render(
        request,
        "exchange/search.html",
        {"result": result, "problem": problem, "q": result.query if result else ""},
    )


def _api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """404 for a URL that matches no route: JSON with a `detail` under /api/ (what API clients
    parse, like every other API error), the site's page elsewhere.

    The page never shows the exception's message: a hidden record and a missing one (and a
    mistyped address) read exactly alike.
    """
    if _api(request):
        return JsonResponse({"detail": _("Not found.")}, status=404)
    return defaults.page_not_found(request, exception)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    """403: JSON under /api/, else the site's page (the reason, when the code gave one)."""
    if _api(request):
        detail = str(exception) or _("You do not have permission to perform this action.")
        return JsonResponse({"detail": detail}, status=403)
    return defaults.permission_denied(request, exception)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """400 for a request Django refuses before any view (a bad host, a broken upload)."""
    if _api(request):
        return JsonResponse({"detail": _("Bad request.")}, status=400)
    return defaults.bad_request(request, exception)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A form sent without its CSRF token (an old tab, cookies blocked): the 403 page in words.

    Django's own page explains CSRF to developers (and, in DEBUG, how to configure it).
    """
    if _api(request):
        return JsonResponse({"detail": _("CSRF check failed.")}, status=403)
    return render(
        request,
        "403.html",
        {
            "reason": _(
                "The form had expired or was sent from another page. Go back, reload the page "
                "and send it again."
            )
        },
        status=403,
    )


def server_error(request: HttpRequest) -> HttpResponse:
    """500: JSON under /api/, else templates/500.html (rendered without the database)."""
    if _api(request):
        return JsonResponse({"detail": _("Server error. The error was logged.")}, status=500)
    return defaults.server_error(request)
