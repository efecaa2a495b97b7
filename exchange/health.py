"""Liveness (/healthz) and readiness (/readyz) that tell the truth, and the heartbeats behind them.

/healthz answers as long as the process serves requests: it touches nothing, so a database
outage does not get every web container restarted. /readyz checks what the service needs to
do its work: the database, Redis (broker and shared cache), a Celery worker that beat recently,
beat's last sweep, and the two queues the sweeps drain (e-mails owed, IP reports waiting for a
match), each against a threshold. Either answers JSON with no traceback: a failed check names
the exception's class, never its message (which may carry a connection string).

Heartbeats live in the broker's Redis, the one store a worker, beat and every web process
share in every deployment that runs them (the shared cache is optional). With no broker
(the embedded default, tasks run in-process) there is no worker or beat to check.

The probe paths answer on the internal host names too (HEALTH_CHECK_HOSTS: the container's
loopback, the compose service name) and never redirect to HTTPS: see ProbeMiddleware.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from celery import bootsteps
from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone

logger = logging.getLogger(__name__)

HEARTBEAT_KEY = "exchange:heartbeat:{component}"
# The worker writes its heartbeat this often (seconds).
WORKER_HEARTBEAT_INTERVAL = 15.0


def _broker_redis() -> Any | None:
    """A client for the broker's Redis, or None with no Redis broker (eager tasks)."""
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return None
    url = settings.CELERY_BROKER_URL or ""
    if not url.startswith(("redis://", "rediss://", "unix://")):
        return None
    import redis

    return redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)


def heartbeat_record(component: str, *, client: Any | None = None) -> None:
    """Write `component`'s heartbeat (now, Unix time). Never raises: a heartbeat that cannot be
    written shows as a stale one in /readyz, which is the point."""
    try:
        client = client or _broker_redis()
        if client is not None:
            client.set(HEARTBEAT_KEY.format(component=component), f"{time.time():.3f}", ex=86400)
    except Exception as exc:  # a probe's write must never take down what it watches
        logger.warning("heartbeat %s not recorded: %s", component, type(exc).__name__)


def heartbeat_age(component: str, *, client: Any) -> float | None:
    """Seconds since `component` last beat, or None if it never did (or the key expired)."""
    raw = client.get(HEARTBEAT_KEY.format(component=component))
    return None if raw is None else max(0.0, time.time() - float(raw))


class WorkerHeartbeat(bootsteps.StartStopStep):
    """A Celery worker bootstep: the heartbeat on the worker's own timer, so a worker whose
    event loop is stuck stops beating (a thread of its own would go on)."""

    requires = {"celery.worker.components:Timer"}

    def __init__(self, parent: Any, **kwargs: Any) -> None:
        super().__init__(parent, **kwargs)
        self.tref: Any = None

    def start(self, parent: Any) -> None:
        heartbeat_record("worker")
        self.tref = parent.timer.call_repeatedly(
            WORKER_HEARTBEAT_INTERVAL, heartbeat_record, ("worker",)
        )

    def stop(self, parent: Any) -> None:
        if self.tref is not None:
            self.tref.cancel()
            self.tref = None


# --- checks ----------------------------------------------------------------------------------


@dataclass
class Check:
    ok: bool
    detail: str = ""
    age_seconds: float | None = None

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"ok": self.ok}
        if self.detail:
            out["detail"] = self.detail
        if self.age_seconds is not None:
            out["age_seconds"] = round(self.age_seconds, 1)
        return out


def _failed(name: str, exc: BaseException) -> Check:
    # The class only: messages of database and Redis errors can carry host names and users.
    logger.warning("readyz: %s check failed: %s", name, type(exc).__name__)
    return Check(False, f"unavailable ({type(exc).__name__})")


def _age_check(age: float | None, limit: float, *, missing: str) -> Check:
    if age is None:
        return Check(False, missing)
    if age > limit:
        return Check(False, f"older than {limit:.0f} s", age)
    return Check(True, "", age)


def check_database() -> Check:
    from django.db import connection

    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:
        return _failed("database", exc)
    return Check(True)


def check_cache() -> Check:
    from django.core.cache import cache

    try:
        cache.set("exchange:readyz", "1", 10)
        if cache.get("exchange:readyz") != "1":
            return Check(False, "the cache does not keep what it is given")
    except Exception as exc:
        return _failed("cache", exc)
    return Check(True)


def _oldest_age(model: Any, field: str, **filters: Any) -> float | None:
    oldest = model.objects.filter(**filters).order_by(field).values_list(field, flat=True).first()
    return None if oldest is None else max(0.0, (timezone.now() - oldest).total_seconds())


def check_outbox() -> Check:
    """The oldest e-mail still owed. The minute sweep sends it; an old one means mail is stuck."""
    from sharing.models import Notification

    try:
        age = _oldest_age(Notification, "created_at", email_due=True)
    except Exception as exc:
        return _failed("outbox", exc)
    if age is None:
        return Check(True, "nothing owed")
    return _age_check(age, settings.READYZ_OUTBOX_MAX_AGE, missing="")


def check_matching() -> Check:
    """The oldest IP report waiting for the matcher (the minute sweep drains the queue)."""
    from indicators.models import PendingMatch

    try:
        age = _oldest_age(PendingMatch, "queued_at")
    except Exception as exc:
        return _failed("matching", exc)
    if age is None:
        return Check(True, "nothing pending")
    return _age_check(age, settings.READYZ_PENDING_MATCH_MAX_AGE, missing="")


def readiness(only: set[str] | None = None) -> dict[str, Check]:
    """Every readiness check by name (or only those named)."""
    checks: dict[str, Callable[[], Check]] = {
        "database": check_database,
        "cache": check_cache,
        "outbox": check_outbox,
        "matching": check_matching,
    }
    results: dict[str, Check] = {}
    for name, run in checks.items():
        if only is None or name in only:
            results[name] = run()
    wanted_broker = only is None or bool(only & {"broker", "worker", "beat"})
    if not wanted_broker:
        return results
    if settings.CELERY_TASK_ALWAYS_EAGER:
        for name in ("broker", "worker", "beat"):
            if only is None or name in only:
                results[name] = Check(True, "no broker: tasks run in-process")
        return results
    try:
        client = _broker_redis()
        if client is None:
            raise RuntimeError("the broker is not Redis")
        client.ping()
    except Exception as exc:
        failed = _failed("broker", exc)
        for name in ("broker", "worker", "beat"):
            if only is None or name in only:
                results[name] = failed
        return results
    if only is None or "broker" in only:
        results["broker"] = Check(True)
    limits = {
        "worker": (settings.READYZ_WORKER_MAX_AGE, "no worker heartbeat"),
        "beat": (settings.READYZ_BEAT_MAX_AGE, "beat has not sent a sweep"),
    }
    for name, (limit, missing) in limits.items():
        if only is None or name in only:
            try:
                results[name] = _age_check(
                    heartbeat_age(name, client=client), limit, missing=missing
                )
            except Exception as exc:
                results[name] = _failed(name, exc)
    return results


# --- views -----------------------------------------------------------------------------------


def _no_store(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store"
    return response


def healthz(request: HttpRequest) -> HttpResponse:
    """Liveness: the process answers. Touches nothing, so an outage elsewhere restarts nothing."""
    return _no_store(JsonResponse({"status": "ok"}))


def readyz(request: HttpRequest) -> HttpResponse:
    """Readiness: 200 when every check passes, 503 (with each check's result) otherwise."""
    results = readiness()
    ok = all(check.ok for check in results.values())
    body = {
        "status": "ok" if ok else "fail",
        "checks": {name: check.as_dict() for name, check in results.items()},
    }
    return _no_store(JsonResponse(body, status=200 if ok else 503))
