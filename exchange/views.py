from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views import defaults

from embassies.permissions import role_of
from embassies.types import AuthedHttpRequest


@login_required
def home(request: AuthedHttpRequest) -> HttpResponse:
    return render(request, "home.html", {"role": role_of(request.user)})


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """404 for a URL that matches no route: JSON with a `detail` under /api/ (what API clients
    parse, like every other API error), the site's page elsewhere."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": _("Not found.")}, status=404)
    return defaults.page_not_found(request, exception)
