"""A database error answers a clean 503 with Retry-After, never the 500 page (runs in make test).

The real outage (PostgreSQL restarted under gunicorn) is `test_postgres_restart.py`; these
views raise the errors Django raises when the connection is refused or dropped, so the whole
request stack (every middleware, the signal, the response) is exercised on any database.
"""

from __future__ import annotations

import pytest
from django.db import InterfaceError, OperationalError, ProgrammingError
from django.test import Client
from django.urls import path


def _refused(request):
    raise OperationalError('connection to server at "127.0.0.1", port 5432 failed: refused')


def _dropped(request):
    raise InterfaceError("connection already closed")


def _bug(request):
    raise ProgrammingError('relation "nowhere" does not exist')


urlpatterns = [
    path("api/v1/outage/", _refused),
    path("outage/", _refused),
    path("dropped/", _dropped),
    path("bug/", _bug),
]

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _outage_urls(settings):
    settings.ROOT_URLCONF = __name__
    settings.DEBUG = False


def test_the_api_answers_503_json_with_retry_after():
    response = Client(raise_request_exception=False).get("/api/v1/outage/")
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert "retry" in response.json()["detail"]


def test_a_page_answers_a_small_503_page():
    for url in ("/outage/", "/dropped/"):
        response = Client(raise_request_exception=False).get(url)
        assert response.status_code == 503
        assert response["Content-Type"].startswith("text/html")
        assert b"Service temporarily unavailable" in response.content
        assert b"Traceback" not in response.content


def test_other_database_errors_stay_500():
    """A bug (a missing table) is not an outage: retrying would not help."""
    assert Client(raise_request_exception=False).get("/bug/").status_code == 500
