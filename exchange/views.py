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


def healthz(request: HttpRequest) -> HttpResponse:
    """Liveness for the container health check: the app answers and reaches its database."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """404 for a URL that matches no route: JSON with a `detail` under /api/ (what API clients
    parse, like every other API error), the site's page elsewhere."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": _("Not found.")}, status=404)
    return defaults.page_not_found(request, exception)
