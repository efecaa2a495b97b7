"""Request ids on every response and in the logs; body limits that match the API's promise."""

import json
import logging

import pytest
from django.conf import settings
from django.test import Client, override_settings

from exchange.logs import JsonFormatter, RequestContextFilter
from indicators.services import MAX_BATCH_ROWS


def test_every_response_names_its_request(client, db):
    first = client.get("/accounts/login/")
    second = client.get("/no/such/page/")
    ids = {first["X-Request-ID"], second["X-Request-ID"]}
    assert len(ids) == 2 and all(len(i) == 32 for i in ids)


def test_the_proxys_request_id_is_kept_and_a_strange_one_replaced(client, db):
    kept = client.get("/healthz", HTTP_X_REQUEST_ID="0123456789abcdef0123456789abcdef")
    assert kept["X-Request-ID"] == "0123456789abcdef0123456789abcdef"
    replaced = client.get("/healthz", HTTP_X_REQUEST_ID='bad"\nid')
    assert replaced["X-Request-ID"] != 'bad"\nid' and len(replaced["X-Request-ID"]) == 32


def test_log_lines_carry_request_user_and_workspace(alice, as_user, caplog):
    browser = as_user(alice)
    handler_filter = RequestContextFilter()
    logger = logging.getLogger("exchange.test_probe")
    seen: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record):
            handler_filter.filter(record)
            seen.append(record)

    keep = Keep()
    logging.getLogger("django.request").addHandler(keep)
    try:
        response = browser.get("/no/such/page/")
    finally:
        logging.getLogger("django.request").removeHandler(keep)
    assert response.status_code == 404
    assert seen, "Django logs a 404 on django.request"
    record = seen[-1]
    assert record.request_id == response["X-Request-ID"]
    assert record.user_id == alice.pk and record.workspace_id == alice.workspace_id
    line = json.loads(JsonFormatter().format(record))
    assert line["request_id"] == response["X-Request-ID"]
    assert line["user_id"] == alice.pk and line["workspace_id"] == alice.workspace_id
    assert {"time", "level", "logger", "message"} <= set(line)
    del logger


def test_a_traceback_stays_in_one_json_line():
    try:
        raise ValueError("boom")
    except ValueError:
        import sys

        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", None, sys.exc_info())
    text = JsonFormatter().format(record)
    assert "\n" not in text
    assert "ValueError: boom" in json.loads(text)["exc_info"]


def test_a_task_started_by_a_request_logs_its_request_id():
    from types import SimpleNamespace

    from exchange.logs import (
        current_ids,
        request_id_var,
        task_context_enter,
        task_context_leave,
        task_headers_add,
    )

    token = request_id_var.set("feedfacefeedface")
    try:
        headers: dict = {}
        task_headers_add(headers)
    finally:
        request_id_var.reset(token)
    assert headers["exchange_request_id"] == "feedfacefeedface"
    # In the worker: the message's headers reach the task's request.
    task = SimpleNamespace(request=SimpleNamespace(headers=headers))
    tokens = task_context_enter(task)
    try:
        assert request_id_var.get() == "feedfacefeedface"
        assert current_ids() == (None, None)
    finally:
        task_context_leave(tokens)
    assert request_id_var.get() == ""


# --- size limits -------------------------------------------------------------------------------


def _max_row(n: int, note_char: str) -> dict:
    return {
        "address": f"2001:4860:{n // 65536:x}:{n % 65536:x}:ffff:ffff:ffff:ffff",
        "seen_at": "2026-01-02T03:04:05.123456+07:00",
        "context": "victim_login",
        "port": 65535,
        "note": note_char * 2000,
    }


@pytest.mark.parametrize("note_char", ["n", "ก"])  # ASCII, and Thai (3 bytes in UTF-8)
def test_the_documented_batch_fits_the_api_limit(note_char):
    rows = [_max_row(n, note_char) for n in range(MAX_BATCH_ROWS)]
    body = json.dumps(
        {"reports": rows, "tlp": "amber+strict", "police_access": True, "shared_with": [1, 2]},
        ensure_ascii=False,
    ).encode()
    assert len(body) <= settings.API_MAX_BODY_BYTES
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE >= settings.API_MAX_BODY_BYTES


@override_settings(API_MAX_BODY_BYTES=4 * 1024 * 1024, DATA_UPLOAD_MAX_MEMORY_SIZE=4 * 1024 * 1024)
def test_a_batch_over_the_old_default_is_accepted(alice, as_user):
    """3 MB of rows with notes: refused with an HTML "Bad Request (400)" before."""
    browser = as_user(alice)
    rows = [_max_row(n, "n") for n in range(1400)]
    body = json.dumps({"reports": rows, "tlp": "amber", "police_access": True})
    assert len(body) > 2.5 * 1024 * 1024
    response = browser.post("/api/v1/ip-reports/", body, content_type="application/json")
    assert response.status_code == 201, response.content[:300]
    assert response.json()["created_count"] == 1400


@override_settings(API_MAX_BODY_BYTES=1024)
def test_an_api_body_over_the_limit_is_a_json_413(alice, as_user):
    browser = as_user(alice)
    body = json.dumps({"reports": [_max_row(1, "n")], "tlp": "amber"})
    response = browser.post("/api/v1/ip-reports/", body, content_type="application/json")
    assert response.status_code == 413
    assert response["Content-Type"] == "application/json"
    assert "10,000" in response.json()["detail"]


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1024)
def test_a_chunked_api_body_over_djangos_cap_is_a_json_413_too(alice, as_user):
    """No Content-Length (chunked): Django counts while reading and raises RequestDataTooBig."""
    browser = as_user(alice)
    body = json.dumps({"reports": [_max_row(1, "n")], "tlp": "amber"}).encode()
    from io import BytesIO

    from django.test.client import FakePayload

    del BytesIO
    response = browser.generic(
        "POST",
        "/api/v1/ip-reports/",
        data=b"",
        content_type="application/json",
        **{"wsgi.input": FakePayload(body), "CONTENT_LENGTH": ""},
    )
    assert response.status_code in (413, 400)
    if response.status_code == 413:
        assert "detail" in response.json()


@override_settings(WEB_MAX_BODY_BYTES=1024)
def test_a_page_body_over_its_limit_is_refused_with_413(db):
    response = Client().post("/accounts/login/", {"username": "a" * 5000, "password": "x"})
    assert response.status_code == 413
    assert "larger than" in response.content.decode()
