"""Structured logs: one JSON object per line, each naming the request (or task) that wrote it.

The request id comes from the proxy's X-Request-ID when it is a plain token, or is drawn here
(exchange.middleware.RequestIdMiddleware); it goes back in the response header and travels
with every task the request starts (a message header), so one id follows a submission from
the browser through the worker. A record carries only the fields below: the message, never
the request's body or a record's content (tests/scan checks the logs for victims' identities).

Importable without Django settings: gunicorn's configuration uses the formatter too.
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import uuid
from datetime import UTC, datetime
from typing import Any

from django.utils.functional import empty

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")
# The HttpRequest being served (for the user), or the (user id, workspace id) of a task.
_request_var: contextvars.ContextVar[Any] = contextvars.ContextVar("request", default=None)

# What a proxy's request id may look like to be kept (nginx's $request_id is 32 hex digits).
_SAFE_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")
TASK_HEADER = "exchange_request_id"


def new_request_id(incoming: str | None = None) -> str:
    """The proxy's id when it is a plain token, else a fresh one."""
    if incoming and _SAFE_ID.fullmatch(incoming):
        return incoming
    return uuid.uuid4().hex


def _loaded_user(request: Any) -> Any | None:
    """The request's user if it is already loaded; never loads it (no query from a log line).

    Django's AuthenticationMiddleware sets a lazy object, loaded by the first view that reads
    it; DRF replaces it with the authenticated user (a token's owner) once it authenticates.
    """
    user = request.__dict__.get("user")
    if user is None:
        return None
    wrapped = getattr(user, "_wrapped", user)
    if wrapped is None or wrapped is empty:  # a lazy user nobody has read yet
        return None
    return wrapped if getattr(wrapped, "is_authenticated", False) else None


def current_ids() -> tuple[int | None, int | None]:
    """(user id, workspace id) of the request or task being served, when known."""
    current = _request_var.get()
    if current is None:
        return None, None
    if isinstance(current, tuple):
        return current
    user = _loaded_user(current)
    if user is None:
        return None, None
    return user.pk, getattr(user, "workspace_id", None)


class RequestContextFilter(logging.Filter):
    """Adds request_id, user_id and workspace_id to every record (empty outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        record.user_id, record.workspace_id = current_ids()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per record; a traceback stays in its record (one line, escaped)."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None) or request_id_var.get()
        if request_id:
            entry["request_id"] = request_id
        for field in ("user_id", "workspace_id", "status_code", "task_id", "task_name"):
            value = getattr(record, field, None)
            if value is not None:
                entry[field] = value
        if record.exc_info:
            entry["exc_info"] = self.formatException(record.exc_info)
        elif record.stack_info:
            entry["stack_info"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


# --- Celery: the request id travels with the task --------------------------------------------


def task_headers_add(headers: dict[str, Any] | None) -> None:
    """before_task_publish: put the current request id (and who) in the message's headers."""
    request_id = request_id_var.get()
    if headers is None or not request_id:
        return
    user_id, workspace_id = current_ids()
    headers.setdefault(TASK_HEADER, request_id)
    headers.setdefault("exchange_user_id", user_id)
    headers.setdefault("exchange_workspace_id", workspace_id)


def task_context_enter(task: Any) -> list[contextvars.Token]:
    """task_prerun: the task's log lines carry the id of the request that started it."""
    request = getattr(task, "request", None)
    headers = getattr(request, "headers", None) or {}

    def header(name: str) -> Any:
        return getattr(request, name, None) or headers.get(name)

    request_id = header(TASK_HEADER)
    if not request_id:
        return []  # eager: the task runs inside the request, whose context it already has
    return [
        request_id_var.set(str(request_id)),
        _request_var.set((header("exchange_user_id"), header("exchange_workspace_id"))),
    ]


def task_context_leave(tokens: list[contextvars.Token]) -> None:
    for token, var in zip(tokens, (request_id_var, _request_var), strict=False):
        var.reset(token)


def request_context_enter(request: Any, request_id: str) -> None:
    """Name the request being served (RequestIdMiddleware). Left set until the request ends
    (`request_context_clear` on request_finished), so the handler's own last line, Django's
    "Not Found: /x" logged after the middleware returned, names the request too."""
    request_id_var.set(request_id)
    _request_var.set(request)


def request_context_clear(**kwargs: Any) -> None:
    request_id_var.set("")
    _request_var.set(None)
