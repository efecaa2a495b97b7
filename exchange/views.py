from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from embassies.permissions import role_of
from embassies.types import AuthedHttpRequest


@login_required
def home(request: AuthedHttpRequest) -> HttpResponse:
    return render(request, "home.html", {"role": role_of(request.user)})


def healthz(request: HttpRequest) -> HttpResponse:
    """Liveness for the container health check: the app answers and reaches its database."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
