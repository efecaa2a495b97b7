"""Session fixtures of the fault-injection tests: private Redis and PostgreSQL, the app stack.

Skipped unless FAULTS=1 (`make faults`). Every server is private (free port, temporary
directory) and torn down even when a test fails: the fixtures stop what they started, and an
atexit hook in the harness kills anything left if the session itself dies.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from .harness import AppStack, PostgresCluster, RedisServer, postgres_bindir


def pytest_collection_modifyitems(config, items):
    """Every test on the real stack is a `faults` test, skipped unless FAULTS=1."""
    skip = pytest.mark.skip(reason="fault injection runs with FAULTS=1 (make faults)")
    for item in items:
        if "app_stack" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.faults)
            if os.environ.get("FAULTS") != "1":
                item.add_marker(skip)


@pytest.fixture(scope="session")
def fault_workdir() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="faults-"))
    yield path
    if os.environ.get("FAULTS_KEEP_LOGS") != "1":
        shutil.rmtree(path, ignore_errors=True)
    else:
        print(f"\nfault logs kept in {path}")


@pytest.fixture(scope="session")
def private_redis(fault_workdir: Path) -> Iterator[RedisServer]:
    server = RedisServer(fault_workdir)
    if server.binary is None:
        pytest.skip("redis-server is not installed")
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def private_postgres() -> Iterator[PostgresCluster]:
    bindir = postgres_bindir()
    if bindir is None:
        pytest.skip("PostgreSQL server binaries (initdb, pg_ctl) are not installed")
    cluster = PostgresCluster(bindir)
    try:
        cluster.init()
        cluster.start()
        yield cluster
    finally:
        cluster.destroy()


@pytest.fixture(scope="session")
def app_stack(
    private_postgres: PostgresCluster, private_redis: RedisServer, fault_workdir: Path
) -> Iterator[AppStack]:
    stack = AppStack(private_postgres, private_redis, fault_workdir)
    try:
        stack.prepare()
        stack.start_web()
        stack.start_worker()
        yield stack
    except Exception:
        print("\n--- gunicorn log ---\n" + stack.web.log_tail())
        print("\n--- worker log ---\n" + stack.worker.log_tail())
        raise
    finally:
        stack.shutdown()


@pytest.fixture
def stack(app_stack: AppStack, request) -> Iterator[AppStack]:
    """The running stack, healthy at the start of every scenario; logs shown on failure."""
    app_stack.ensure_running()
    yield app_stack
    call = getattr(request.node, "rep_call", None)
    if call is not None and call.failed:
        print("\n--- gunicorn log (tail) ---\n" + app_stack.web.log_tail())
        print("\n--- worker log (tail) ---\n" + app_stack.worker.log_tail())


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report
