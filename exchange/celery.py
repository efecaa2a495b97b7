"""The Celery app. Workers: `celery -A exchange worker`; beat: `celery -A exchange beat`."""

import os
from typing import Any

from celery import Celery
from celery.signals import (
    after_task_publish,
    beat_init,
    before_task_publish,
    task_failure,
    task_postrun,
    task_prerun,
    task_retry,
    task_success,
)

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "exchange.settings")

app = Celery("exchange")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Heartbeats for /readyz (exchange.health): the worker's on its own timer, beat's each time it
# sends a scheduled task (its sweeps run every minute), and once as it starts.
from exchange.health import WorkerHeartbeat, heartbeat_record  # noqa: E402

app.steps["worker"].add(WorkerHeartbeat)
_in_beat = False


@beat_init.connect
def _beat_started(sender: Any = None, **kwargs: Any) -> None:
    global _in_beat
    _in_beat = True
    heartbeat_record("beat")


@after_task_publish.connect
def _beat_sent(sender: Any = None, **kwargs: Any) -> None:
    if _in_beat:
        heartbeat_record("beat")


# Logs: a task's lines carry the id of the request that started it (exchange.logs).
from exchange.logs import task_context_enter, task_context_leave, task_headers_add  # noqa: E402

_task_contexts: dict[str, list] = {}


@before_task_publish.connect
def _with_request_id(headers: dict | None = None, **kwargs: Any) -> None:
    task_headers_add(headers)


@task_prerun.connect
def _enter_request_context(task_id: str = "", task: Any = None, **kwargs: Any) -> None:
    tokens = task_context_enter(task)
    if tokens:
        _task_contexts[task_id] = tokens


@task_postrun.connect
def _leave_request_context(task_id: str = "", **kwargs: Any) -> None:
    tokens = _task_contexts.pop(task_id, None)
    if tokens:
        task_context_leave(tokens)


# Metrics: task outcomes, counted where the task ran (exchange.metrics).
from exchange.metrics import task_outcome_record  # noqa: E402


@task_success.connect
def _count_success(sender: Any = None, **kwargs: Any) -> None:
    task_outcome_record(getattr(sender, "name", "?"), "success")


@task_failure.connect
def _count_failure(sender: Any = None, **kwargs: Any) -> None:
    task_outcome_record(getattr(sender, "name", "?"), "failure")


@task_retry.connect
def _count_retry(sender: Any = None, request: Any = None, **kwargs: Any) -> None:
    task_outcome_record(getattr(request, "task", None) or "?", "retry")
