"""/metrics in Prometheus' text format (prometheus-client).

- Requests by view, method and status, and their latency (this middleware, in every web
  process; under gunicorn the workers share one multiprocess directory, see
  deploy/gunicorn.conf.py).
- Task outcomes by task and outcome, counted by the worker in the broker's Redis (the one store
  the worker and web share), or in this process when tasks run in-process.
- Queues read from the database at scrape time: IP reports waiting for a match, e-mails owed
  (count and oldest), upload jobs by state, open freeze requests by age.

Access: a bearer token (METRICS_TOKEN), or, with none set, the loopback address only; the
proxy refuses /metrics from outside either way (deploy/nginx). Nothing here names a record.
"""

from __future__ import annotations

import hmac
import logging
import os
import time
from collections import Counter as _Tally
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

REQUESTS = Counter(
    "exchange_http_requests",
    "HTTP requests answered, by view, method and status.",
    ["view", "method", "status"],
)
LATENCY = Histogram(
    "exchange_http_request_duration_seconds",
    "Time to answer an HTTP request, by view.",
    ["view"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)

logger = logging.getLogger(__name__)

TASKS_KEY = "exchange:metrics:tasks"
_local_tasks: _Tally[tuple[str, str]] = _Tally()


class RequestMetricsMiddleware:
    """Counts every response by the view that answered (its URL name: bounded labels)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        view = (match.view_name if match else "") or "unmatched"
        if request.path_info in ("/healthz", "/readyz", "/metrics"):
            return response  # the probes' and the scraper's own requests are noise
        REQUESTS.labels(view, request.method or "", str(response.status_code)).inc()
        LATENCY.labels(view).observe(time.perf_counter() - started)
        return response


def task_outcome_record(task_name: str, outcome: str) -> None:
    """Count one task outcome (success, failure, retry). Never raises."""
    from exchange.health import _broker_redis

    try:
        client = _broker_redis()
        if client is None:
            _local_tasks[(task_name, outcome)] += 1
        else:
            client.hincrby(TASKS_KEY, f"{task_name}|{outcome}", 1)
    except Exception:  # noqa: S110 - a metric must never fail the task it counts
        pass


def _task_counts() -> dict[tuple[str, str], int]:
    from exchange.health import _broker_redis

    client = _broker_redis()
    if client is None:
        return dict(_local_tasks)
    counts = {}
    for field, value in client.hgetall(TASKS_KEY).items():
        name, _, outcome = field.decode().rpartition("|")
        counts[(name, outcome)] = int(value)
    return counts


def _age(moment: Any) -> float:
    return 0.0 if moment is None else max(0.0, (timezone.now() - moment).total_seconds())


# Open freeze requests by how long the account has been reported and not frozen.
FREEZE_AGE_BUCKETS: tuple[tuple[str, timedelta | None], ...] = (
    ("under_30m", timedelta(minutes=30)),
    ("30m_to_2h", timedelta(hours=2)),
    ("2h_to_24h", timedelta(hours=24)),
    ("over_24h", None),
)


class QueueCollector(Collector):
    """Reads the queues from the database (and task counts from Redis) at scrape time."""

    def collect(self) -> Iterator[Any]:
        from django.db.models import Count, Min

        from cases.choices import FREEZE_OPEN_STATES
        from cases.models import FreezeRequest
        from indicators.choices import UploadStatus
        from indicators.models import PendingMatch, UploadJob
        from sharing.models import Notification

        pending = PendingMatch.objects.aggregate(n=Count("pk"), oldest=Min("queued_at"))
        yield GaugeMetricFamily(
            "exchange_pending_matches", "IP reports waiting for the matcher.", pending["n"]
        )
        yield GaugeMetricFamily(
            "exchange_pending_match_oldest_seconds",
            "Age of the oldest IP report waiting for the matcher (0: none).",
            _age(pending["oldest"]),
        )
        owed = Notification.objects.filter(email_due=True).aggregate(
            n=Count("pk"), oldest=Min("created_at")
        )
        yield GaugeMetricFamily("exchange_emails_owed", "E-mails not sent yet.", owed["n"])
        yield GaugeMetricFamily(
            "exchange_email_owed_oldest_seconds",
            "Age of the oldest e-mail not sent yet (0: none).",
            _age(owed["oldest"]),
        )
        jobs = GaugeMetricFamily("exchange_upload_jobs", "Upload jobs by state.", labels=["state"])
        by_state = dict(UploadJob.objects.values_list("status").annotate(n=Count("pk")).order_by())
        for state in UploadStatus.values:
            jobs.add_metric([state], by_state.get(state, 0))
        yield jobs
        now = timezone.now()
        freezes = GaugeMetricFamily(
            "exchange_freezes_open",
            "Freeze requests not frozen yet, by time since the account was reported.",
            labels=["age"],
        )
        reported = FreezeRequest.objects.filter(state__in=FREEZE_OPEN_STATES).values_list(
            "reported_at", flat=True
        )
        tally = dict.fromkeys((name for name, _ in FREEZE_AGE_BUCKETS), 0)
        for moment in reported.iterator():
            age = now - moment
            for name, limit in FREEZE_AGE_BUCKETS:
                if limit is None or age < limit:
                    tally[name] += 1
                    break
        for name, count in tally.items():
            freezes.add_metric([name], count)
        yield freezes
        tasks = CounterMetricFamily(
            "exchange_celery_tasks", "Celery task outcomes.", labels=["task", "outcome"]
        )
        for (name, outcome), count in sorted(_task_counts().items()):
            tasks.add_metric([name, outcome], count)
        yield tasks


def _allowed(request: HttpRequest) -> bool:
    token = settings.METRICS_TOKEN
    if token:
        given = request.META.get("HTTP_AUTHORIZATION", "")
        return hmac.compare_digest(given.encode(), f"Bearer {token}".encode())
    return request.META.get("REMOTE_ADDR", "") in {"127.0.0.1", "::1"}


def metrics(request: HttpRequest) -> HttpResponse:
    """The Prometheus exposition. 404 for anyone not allowed (it does not say it exists)."""
    if not _allowed(request):
        return HttpResponse("Not found.\n", status=404, content_type="text/plain")
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        base = CollectorRegistry()
        multiprocess.MultiProcessCollector(base)
    else:
        base = REGISTRY
    queues = CollectorRegistry()
    queues.register(QueueCollector())
    try:
        body = generate_latest(base) + generate_latest(queues)
    except Exception as exc:  # the database or Redis is down: say so, with no traceback
        logger.warning("metrics: not collected: %s", type(exc).__name__)
        return HttpResponse(
            "Metrics unavailable: a store did not answer.\n", status=503, content_type="text/plain"
        )
    response = HttpResponse(body, content_type=CONTENT_TYPE_LATEST)
    response["Cache-Control"] = "no-store"
    return response
