"""Tasks travel through the real broker to a real Celery worker (CI's PostgreSQL + Redis run)."""

import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.core import mail
from django.db import connection

from embassies.choices import WorkspaceRole
from embassies.services import invitation_create

ROOT = Path(__file__).resolve().parents[2]


def test_invitation_email_goes_through_an_in_process_worker(real_worker, alpha, alpha_admin):
    invitation_create(
        actor=alpha_admin,
        workspace=alpha,
        email="via-broker@alpha.test",
        role=WorkspaceRole.OFFICER,
    )  # transactional test: the commit fires on_commit -> publish to the broker
    deadline = time.monotonic() + 20
    while not mail.outbox and time.monotonic() < deadline:
        time.sleep(0.1)
    assert [m.to for m in mail.outbox] == [["via-broker@alpha.test"]]


def test_a_separate_worker_process_delivers_the_invitation(broker, alpha, alpha_admin):
    if connection.vendor != "postgresql":
        pytest.skip("a separate process cannot share the in-memory SQLite test database")
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "exchange.settings",
        "DATABASE_URL": (
            f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
        ),
        "EMAIL_URL": "consolemail://",
    }
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "exchange",
            "worker",
            "--pool",
            "solo",
            "--loglevel",
            "INFO",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
            "-Q",
            "celery",
            "-n",
            "ci-external@%h",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        invitation_create(
            actor=alpha_admin,
            workspace=alpha,
            email="external@alpha.test",
            role=WorkspaceRole.OFFICER,
        )
        lines: list[str] = []
        reader = threading.Thread(target=lambda: lines.extend(iter(worker.stdout.readline, "")))
        reader.start()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and "external@alpha.test" not in "".join(lines):
            time.sleep(0.2)
        output = "".join(lines)
        assert "external@alpha.test" in output, output[-3000:]
        assert re.search(r"/invite/\S+/", output)
    finally:
        worker.terminate()
        worker.wait(timeout=30)
