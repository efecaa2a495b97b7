"""Fixtures of the plaintext scan: application logs to a file at DEBUG, a private broker.

The broker is a private redis-server on a free port (nothing shared is touched), recorded
with MONITOR on a separate connection; the test runs the queued tasks from the messages it
takes off the broker. Without redis-server the broker part is skipped and tasks run eagerly.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.db.backends.signals import connection_created

from tests.faults.harness import RedisServer

from .scanner import MonitorRecorder

# The app's own loggers, Django's request logging, SQL (with parameters), Celery and kombu.
LOGGERS = (
    "embassies",
    "sharing",
    "indicators",
    "victims",
    "cases",
    "exchange",
    "django.request",
    "django.security",
    "django.db.backends",
    "celery",
    "kombu",
)


def _debug_cursor(sender, connection, **kwargs) -> None:
    connection.force_debug_cursor = True  # SQL and its parameters logged at DEBUG


@pytest.fixture
def app_log(tmp_path: Path) -> Iterator[Path]:
    """Every log record at DEBUG, from every logger, into one file (as a DEBUG deployment)."""
    path = tmp_path / "app.log"
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setLevel(logging.DEBUG)
    handler.setFormatter(
        logging.Formatter("%(asctime)s %(levelname)s %(name)s %(threadName)s %(message)s")
    )
    root = logging.getLogger()
    saved = {name: logging.getLogger(name).level for name in LOGGERS}
    saved_root = root.level
    # The handlers already there (pytest's, the console) stay as quiet as they were: only the
    # file gets DEBUG.
    quiet = {h: h.level for h in root.handlers}
    for h in quiet:
        h.setLevel(max(h.level, logging.WARNING))
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    for name in LOGGERS:
        logging.getLogger(name).setLevel(logging.DEBUG)
    connection_created.connect(_debug_cursor, dispatch_uid="scan-debug-cursor")
    saved_cursor = connection.force_debug_cursor
    connection.force_debug_cursor = True
    try:
        yield path
    finally:
        connection.force_debug_cursor = saved_cursor
        connection_created.disconnect(dispatch_uid="scan-debug-cursor")
        for name, level in saved.items():
            logging.getLogger(name).setLevel(level)
        root.setLevel(saved_root)
        root.removeHandler(handler)
        for h, level in quiet.items():
            h.setLevel(level)
        handler.close()


@dataclass
class ScanBroker:
    """The private broker, its recorder, and the worker's step: run what was queued.

    A worker thread (celery.contrib.testing) would share the test's SQLite in-memory database
    under table locks and leave Celery's global state changed for later tests, so the test
    consumes the queue itself, as a worker does: it takes each message off the broker, decodes
    it and runs the task it names with the arguments it carries, then acknowledges it.
    """

    redis: RedisServer
    monitor: MonitorRecorder
    app: Any
    traffic: bytes = b""
    ran: list[str] = field(default_factory=list)

    def run_queued(self) -> int:
        """Run every queued task (and any it queues); returns how many ran."""
        from kombu import Connection

        before = len(self.ran)
        with Connection(self.redis.url) as connection:
            queue = connection.SimpleQueue("celery")
            try:
                while True:
                    try:
                        message = queue.get(timeout=0.5)
                    except queue.Empty:
                        break
                    name = message.headers["task"]
                    args, kwargs, _options = message.payload
                    self.app.tasks[name].apply(
                        args=args, kwargs=kwargs, task_id=message.headers["id"], throw=True
                    )
                    message.ack()
                    self.ran.append(name)
            finally:
                queue.close()
        return len(self.ran) - before

    def finish(self) -> bytes:
        """Run what is left, stop recording; returns the traffic recorded."""
        self.run_queued()
        self.traffic = self.monitor.stop()
        return self.traffic


def _drop_broker_connections(app) -> None:
    """Make the app look its broker up again (its pools are bound to the one of their time).

    The pools are only forgotten, never closed: kombu keeps them in a global registry per
    broker URL and would hand a closed one out again later (even an eager task acquires a
    producer). Not `app.close()` either: it deregisters the app, after which shared tasks
    imported later are never registered with it.
    """
    app._pool = None
    amqp = app.__dict__.get("amqp")
    if amqp is not None:
        amqp._producer_pool = None


@pytest.fixture
def scan_broker(
    transactional_db, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[ScanBroker | None]:
    """Tasks are published to a private Redis, recorded; None without redis-server."""
    if shutil.which("redis-server") is None:
        yield None
        return
    from exchange.celery import app

    redis = RedisServer(tmp_path)
    redis.start()
    saved = {key: app.conf[key] for key in ("broker_url", "task_always_eager")}
    monitor: MonitorRecorder | None = None
    try:
        _drop_broker_connections(app)
        # Celery reads CELERY_BROKER_URL from the environment before its own setting (the CI
        # run on the shared Redis sets it): point both at the private broker.
        monkeypatch.setenv("CELERY_BROKER_URL", redis.url)
        app.conf.update(broker_url=redis.url, task_always_eager=False)
        monitor = MonitorRecorder(redis.port)
        broker = ScanBroker(redis=redis, monitor=monitor, app=app)
        yield broker
    finally:
        if monitor is not None and not monitor.stopped:
            monitor.stop()
        _drop_broker_connections(app)
        app.conf.update(saved)
        redis.stop()
