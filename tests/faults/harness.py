"""The fault-injection harness: private servers, the app's real processes, and counting clients.

Nothing here touches the shared PostgreSQL (5432) or Redis (6379): every server is a private
instance on a free port in a temporary directory, started and stopped by id.

* `RedisServer` runs `redis-server` as a child process (no persistence: a restart loses every
  queued message, which is the point of the Redis scenario).
* `PostgresCluster` is a private cluster made with `initdb` and run with `pg_ctl` (as the
  `postgres` OS user when the tests run as root, because initdb refuses root).
* `AppStack` migrates and seeds a fresh database on it (the real `migrate`, the seed script and
  `import_compounds`), then runs gunicorn and a prefork Celery worker as subprocesses.
* `Ledger` and `Submitter` drive the real HTTP API and count what the API accepted and refused;
  `Tally` reads what the database holds and compares it with what the catalogue implies.
"""

from __future__ import annotations

import atexit
import contextlib
import ipaddress
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import requests

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable

# --- the catalogue the app is seeded with, and which rows it must match --------------------

NOW = datetime.now(UTC).replace(microsecond=0)
WINDOW_FROM = NOW - timedelta(days=30)
WINDOW_TO = NOW - timedelta(days=10)


@dataclass(frozen=True)
class Evidence:
    compound: str
    prefix: str
    confidence: int
    valid_from: datetime | None = None
    valid_to: datetime | None = None

    def applies(self, address: str, seen_at: datetime) -> bool:
        """The app's rule: inside the prefix and seen in [valid_from, valid_to)."""
        if ipaddress.ip_address(address) not in ipaddress.ip_network(self.prefix):
            return False
        return (self.valid_from is None or self.valid_from <= seen_at) and (
            self.valid_to is None or seen_at < self.valid_to
        )


CATALOGUE = (
    Evidence("Faults Park", "45.12.0.0/16", 80),
    # Nested inside Faults Park: an address here has two matches, one per compound.
    Evidence("Faults Annex", "45.12.128.0/20", 60),
    Evidence("Faults Six", "2a0e:97c0::/32", 70),
    # Only for sightings in a past window: half the rows in this prefix match, half do not.
    Evidence("Faults Window", "103.7.0.0/16", 50, WINDOW_FROM, WINDOW_TO),
)


def catalogue_json() -> str:
    compounds: dict[str, dict] = {}
    for e in CATALOGUE:
        entry = compounds.setdefault(
            e.compound, {"name": e.compound, "country": "MM", "evidence": []}
        )
        entry["evidence"].append(
            {
                "prefix": e.prefix,
                "confidence": e.confidence,
                "source": "fault-injection fixture",
                "valid_from": e.valid_from.isoformat() if e.valid_from else "",
                "valid_to": e.valid_to.isoformat() if e.valid_to else "",
            }
        )
    return json.dumps({"compounds": list(compounds.values())})


@dataclass(frozen=True)
class Row:
    """One sighting a client submits, and how many matches the catalogue implies for it."""

    address: str
    seen_at: datetime
    expected: int

    def payload(self) -> dict[str, str]:
        return {"address": self.address, "seen_at": self.seen_at.isoformat(), "context": "chat"}


def generate_rows(count: int, *, seed: int) -> list[Row]:
    """`count` distinct sightings: 40% in Faults Park only, 10% also in the Annex, 10% IPv6 in
    Faults Six, 10% in the windowed prefix (about half inside the window), 30% in no prefix."""
    rng = random.Random(seed)
    pools = {
        "park": ipaddress.ip_network("45.12.0.0/17"),
        "annex": ipaddress.ip_network("45.12.128.0/20"),
        "six": ipaddress.ip_network("2a0e:97c0::/32"),
        "window": ipaddress.ip_network("103.7.0.0/16"),
        "none": ipaddress.ip_network("81.2.0.0/16"),
    }
    kinds = ["park"] * 4 + ["annex", "six", "window"] + ["none"] * 3
    used: Counter[str] = Counter()
    rows = []
    for i in range(count):
        kind = kinds[i % len(kinds)]
        used[kind] += 1
        address = str(pools[kind][used[kind]])
        if kind == "window":
            seen_at = NOW - timedelta(days=rng.uniform(1, 39))
        else:
            seen_at = NOW - timedelta(hours=1, seconds=rng.randrange(86400 * 5))
        seen_at = seen_at.replace(microsecond=0)
        expected = sum(e.applies(address, seen_at) for e in CATALOGUE)
        rows.append(Row(address=address, seen_at=seen_at, expected=expected))
    return rows


def split_batches(
    rows: Sequence[Row], *, batch: int = 100, single_share: float = 0.1
) -> list[list[Row]]:
    """Mostly batches of `batch` rows, with `single_share` of the rows sent one per request."""
    singles = int(len(rows) * single_share)
    out: list[list[Row]] = [[r] for r in rows[:singles]]
    out += [list(rows[i : i + batch]) for i in range(singles, len(rows), batch)]
    random.Random(len(rows)).shuffle(out)
    return out


# --- processes -----------------------------------------------------------------------------

_CLEANUPS: list[Callable[[], None]] = []


def _cleanup_everything() -> None:
    """Last resort at interpreter exit (the fixtures normally tear down first)."""
    while _CLEANUPS:
        with contextlib.suppress(Exception):
            _CLEANUPS.pop()()


atexit.register(_cleanup_everything)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate: Callable[[], Any], *, timeout: float, what: str, every: float = 0.1):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(every)


class ManagedProcess:
    """A child process in its own session, so it and its children are signalled as a group."""

    def __init__(self, name: str, argv: list[str], *, env: dict[str, str], log: Path) -> None:
        self.name, self.argv, self.env, self.log = name, argv, env, log
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        with open(self.log, "ab") as out:
            out.write(f"\n=== start {time.strftime('%H:%M:%S')} ===\n".encode())
            out.flush()
            self.proc = subprocess.Popen(
                self.argv,
                cwd=ROOT,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        _CLEANUPS.append(self.kill)

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def children(self) -> list[int]:
        """Direct children (the prefork pool of a Celery worker, gunicorn's workers)."""
        if not self.alive:
            return []
        assert self.proc is not None
        found = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            # Fields after the command (which may hold spaces) start after the last ')'.
            if int(stat.rsplit(")", 1)[1].split()[1]) == self.proc.pid:
                found.append(int(entry.name))
        return sorted(found)

    def signal_group(self, sig: int) -> None:
        if self.proc is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, sig)  # pgid == pid: started in its own session

    def stop(self, timeout: float = 30) -> None:
        """SIGTERM the group (a graceful shutdown), SIGKILL whatever is left after `timeout`."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.signal_group(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout)
        self.kill()

    def kill(self) -> None:
        """SIGKILL the whole group: the process and every child it left."""
        if self.proc is None:
            return
        self.signal_group(signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(10)

    def log_tail(self, chars: int = 3000) -> str:
        try:
            return self.log.read_text(errors="replace")[-chars:]
        except OSError:
            return ""


class RedisServer:
    """A private, non-persistent redis-server on a free port."""

    def __init__(self, workdir: Path) -> None:
        self.binary = shutil.which("redis-server")
        self.port = free_port()
        self.workdir = workdir
        self.process = ManagedProcess(
            "redis",
            [
                self.binary or "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--daemonize",
                "no",
                "--dir",
                str(workdir),
            ],
            env=dict(os.environ),
            log=workdir / "redis.log",
        )

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def start(self) -> None:
        self.process.start()
        wait_for(self.ping, timeout=20, what="redis-server")

    def stop(self) -> None:
        self.process.stop(timeout=10)

    def command(self, *args: str) -> Any:
        import redis

        client = redis.Redis(port=self.port, socket_timeout=5)
        try:
            return client.execute_command(*args)
        finally:
            client.close()


def postgres_bindir() -> Path | None:
    """Where initdb and pg_ctl live (Debian keeps them out of PATH)."""
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), reverse=True)
    return candidates[0].parent if candidates else None


class PostgresCluster:
    """A private PostgreSQL cluster in a temporary directory, on a free port, trust auth."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.port = free_port()
        self.base = Path(tempfile.mkdtemp(prefix="faults-pg-"))
        self.data = self.base / "data"
        self.logfile = self.base / "postgres.log"
        self.as_root = os.geteuid() == 0
        if self.as_root:
            # initdb refuses root: the cluster belongs to the postgres OS user.
            shutil.chown(self.base, "postgres", "postgres")
        _CLEANUPS.append(self.destroy)

    def _owner(self, argv: list[str]) -> list[str]:
        return ["runuser", "-u", "postgres", "--", *argv] if self.as_root else argv

    def _run(self, *argv: str, timeout: float = 120) -> None:
        subprocess.run(
            self._owner([str(self.bindir / argv[0]), *argv[1:]]),
            check=True,
            timeout=timeout,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )

    @property
    def _server_options(self) -> str:
        # fsync off: a clean `pg_ctl restart -m fast` checkpoints anyway, and the machine does
        # not crash in these tests; without it the runs are disk-bound.
        return (
            f"-p {self.port} -k {self.base} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
            "-c max_connections=200"
        )

    def init(self) -> None:
        self._run(
            "initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "-E", "UTF8",
            "--no-sync", "--locale=C",
        )  # fmt: skip

    def start(self) -> None:
        self._run(
            "pg_ctl", "-D", str(self.data), "-l", str(self.logfile), "-w", "-t", "60",
            "-o", self._server_options, "start",
        )  # fmt: skip

    def restart(self, mode: str = "fast") -> None:
        self._run(
            "pg_ctl", "-D", str(self.data), "-l", str(self.logfile), "-w", "-t", "60",
            "-m", mode, "-o", self._server_options, "restart",
        )  # fmt: skip

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-w", "-t", "60", "-m", mode, "stop")

    @property
    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    def ready(self) -> bool:
        try:
            with psycopg.connect(self.dsn("postgres"), connect_timeout=2):
                return True
        except psycopg.Error:
            return False

    def destroy(self) -> None:
        if self.running:
            with contextlib.suppress(Exception):
                self.stop("immediate")
        shutil.rmtree(self.base, ignore_errors=True)

    def dsn(self, database: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def url(self, database: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def execute(self, sql: str, database: str = "postgres") -> None:
        with psycopg.connect(self.dsn(database), autocommit=True) as conn:
            conn.execute(sql)  # type: ignore[arg-type]


# --- the app -------------------------------------------------------------------------------

SCENARIOS = ("redis", "worker", "twice", "postgres")
VISIBILITY_TIMEOUT = 10  # seconds before Redis hands an unacknowledged task out again


class AppStack:
    """A migrated, seeded database on the private cluster, gunicorn, and a Celery worker."""

    def __init__(self, pg: PostgresCluster, redis: RedisServer, workdir: Path) -> None:
        self.pg, self.redis, self.workdir = pg, redis, workdir
        self.database = "exchange_faults"
        self.web_port = free_port()
        self.maildir = workdir / "mail"
        self.maildir.mkdir()
        drop = {"DATABASE_URL", "CELERY_BROKER_URL", "DJANGO_SETTINGS_MODULE", "EMAIL_URL"}
        self.env = {k: v for k, v in os.environ.items() if k not in drop}
        self.env.update(
            DJANGO_SETTINGS_MODULE="exchange.settings",
            DATABASE_URL=pg.url(self.database),
            CELERY_BROKER_URL=redis.url,
            CELERY_VISIBILITY_TIMEOUT=str(VISIBILITY_TIMEOUT),
            DEBUG="0",  # what a deployment shows: never a debug page
            CONN_MAX_AGE="60",  # persistent connections, as in production
            API_THROTTLE_USER="1000000/hour",  # the scenarios measure faults, not throttling
            # Three slashes and an absolute path: django-environ drops one leading slash.
            EMAIL_URL=f"filemail:///{self.maildir}",
            LOG_LEVEL="WARNING",
            PYTHONUNBUFFERED="1",
        )
        self.web = ManagedProcess(
            "gunicorn",
            [
                PYTHON, "-m", "gunicorn", "exchange.wsgi:application",
                "--bind", f"127.0.0.1:{self.web_port}",
                "--workers", "2", "--threads", "4", "--timeout", "30",
                "--graceful-timeout", "5",
            ],
            env=self.env,
            log=workdir / "gunicorn.log",
        )  # fmt: skip
        self._worker_runs = 0
        self.worker = self._new_worker()
        self.seed: dict[str, Any] = {}

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.web_port}"

    def manage(self, *args: str, timeout: float = 300) -> str:
        done = subprocess.run(
            [PYTHON, "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if done.returncode:
            raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{done.stderr[-3000:]}")
        return done.stdout

    def prepare(self) -> None:
        """Create, migrate and seed the database; import the catalogue with the real command."""
        self.pg.execute(f'CREATE DATABASE "{self.database}"')
        self.manage("migrate", "--noinput")
        seeded = subprocess.run(
            [PYTHON, "-m", "tests.faults.seed", *SCENARIOS],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        if seeded.returncode:
            raise RuntimeError(f"seeding failed:\n{seeded.stderr[-3000:]}")
        self.seed = json.loads(seeded.stdout)
        path = self.workdir / "catalogue.json"
        path.write_text(catalogue_json())
        out = self.manage("import_compounds", str(path), "--as-user", self.seed["curator"])
        assert "0 rejected" in out, out

    def start_web(self) -> None:
        self.web.start()
        wait_for(self._web_up, timeout=60, what="gunicorn")

    def _web_up(self) -> bool:
        try:
            return requests.get(self.base_url + "/healthz", timeout=2).status_code == 200
        except requests.RequestException:
            return False

    def _new_worker(self) -> ManagedProcess:
        self._worker_runs += 1
        return ManagedProcess(
            "celery",
            [
                PYTHON, "-m", "celery", "-A", "exchange", "worker",
                "--concurrency", "2", "--loglevel", "INFO",
                "--without-heartbeat", "--without-gossip", "--without-mingle",
                "-n", f"faults{self._worker_runs}@%h",
            ],
            env=self.env,
            log=self.workdir / "worker.log",
        )  # fmt: skip

    def start_worker(self) -> None:
        """Start a fresh worker process and wait until it consumes."""
        if self.worker.alive:
            return
        self.worker = self._new_worker()
        before = self.worker.log.stat().st_size if self.worker.log.exists() else 0
        self.worker.start()

        def ready() -> bool:
            with open(self.worker.log, "rb") as f:
                f.seek(before)
                return b" ready." in f.read()

        wait_for(ready, timeout=60, what="the Celery worker")

    def ensure_running(self) -> None:
        """Every scenario starts from a healthy stack, whatever the one before did."""
        if not self.pg.running or not self.pg.ready():
            self.pg.start()
        if not self.redis.process.alive:
            self.redis.start()
        if not self.web.alive:
            self.start_web()
        self.start_worker()

    def shutdown(self) -> None:
        self.worker.stop(timeout=20)
        self.web.stop(timeout=20)

    # --- talking to the broker directly ---

    def publish(self, task: str, args: Sequence[Any] = (), task_id: str | None = None) -> None:
        """Send a task through the private broker, as a beat or an operator would."""
        from celery import Celery

        app = Celery("faults-client", broker=self.redis.url)
        try:
            app.send_task(task, args=list(args), task_id=task_id)
        finally:
            app.close()

    def broker_idle(self) -> bool:
        """Nothing queued and nothing taken but unacknowledged."""
        return (
            int(self.redis.command("LLEN", "celery")) == 0
            and int(self.redis.command("HLEN", "unacked")) == 0
        )

    def sweep(self, *, timeout: float = 120) -> None:
        """Run the beat's sweep through the broker and wait until the worker is idle again."""
        self.publish("indicators.tasks.sweep_unmatched_task")
        self.wait_idle(timeout=timeout)

    def sweep_emails(self, *, timeout: float = 120) -> int:
        """Run the beat's e-mail outbox sweep; returns how many e-mails were owed before it."""
        owed = self.query("SELECT count(*) FROM sharing_notification WHERE email_due")[0][0]
        self.publish("sharing.tasks.send_due_emails_task")
        self.wait_idle(timeout=timeout)
        return owed

    def wait_idle(self, *, timeout: float = 120) -> None:
        stable = 0

        def settled() -> bool:
            nonlocal stable
            stable = stable + 1 if self.broker_idle() else 0
            return stable >= 5  # idle across 5 polls: no task in flight publishing e-mails

        wait_for(settled, timeout=timeout, what="the worker to finish", every=0.2)

    # --- what the database holds ---

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        with psycopg.connect(self.pg.dsn(self.database), connect_timeout=5) as conn:
            return conn.execute(sql, params).fetchall()  # type: ignore[arg-type]

    def pending(self, scenario: str) -> int:
        ws = self.seed["scenarios"][scenario]["workspace_id"]
        return self.query(
            "SELECT count(*) FROM indicators_pendingmatch p "
            "JOIN indicators_ipreport r ON r.id = p.report_id WHERE r.workspace_id = %s",
            [ws],
        )[0][0]

    def wait_matched(self, scenario: str, *, timeout: float = 120) -> None:
        wait_for(
            lambda: self.pending(scenario) == 0,
            timeout=timeout,
            what=f"{scenario}: every report matched",
            every=0.25,
        )

    def emails_to(self, address: str) -> int:
        """Messages the worker sent to `address` (the file backend writes one file per batch)."""
        needle = f"To: {address}\n"
        return sum(p.read_text(errors="replace").count(needle) for p in self.maildir.iterdir())


# --- clients that count --------------------------------------------------------------------


@dataclass
class Ledger:
    """What the clients saw: every attempt, the answer, and which rows the API accepted."""

    attempted: set[str] = field(default_factory=set)
    accepted: set[str] = field(default_factory=set)
    accepted_first_try: int = 0
    accepted_on_retry: int = 0
    duplicates_on_retry: int = 0
    duplicates_unexpected: int = 0
    row_errors: list[Any] = field(default_factory=list)
    refused_rows: int = 0  # rows in requests the API refused (counted once per attempt)
    refused_requests: int = 0
    statuses: Counter[str] = field(default_factory=Counter)
    unclean: list[str] = field(default_factory=list)  # a refusal that is not a clean 503
    hung: int = 0
    latencies: list[float] = field(default_factory=list)
    reads: Counter[str] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def p95(self) -> float:
        if not self.latencies:
            return 0.0
        ordered = sorted(self.latencies)
        return ordered[int(0.95 * (len(ordered) - 1))]


def _clean_refusal(response: requests.Response) -> str | None:
    """None when a refusal is clean: 503 + Retry-After + a JSON message; else what is wrong."""
    text = response.text[:300]
    if "Traceback" in response.text or "DEBUG = True" in response.text:
        return f"{response.status_code} looks like a debug page: {text!r}"
    if response.status_code != 503:
        return f"{response.status_code} instead of 503: {text!r}"
    if not response.headers.get("Retry-After"):
        return "503 without Retry-After"
    try:
        detail = response.json()["detail"]
    except (ValueError, KeyError, TypeError):
        return f"503 without a JSON detail: {text!r}"
    return None if "retry" in detail.lower() else f"503 detail says nothing of retrying: {detail}"


class Submitter:
    """Posts rows to `POST /api/v1/ip-reports/` and records every answer in a `Ledger`."""

    def __init__(self, stack: AppStack, scenario: str, ledger: Ledger, *, timeout: float = 30):
        self.url = stack.base_url + "/api/v1/ip-reports/"
        self.base = stack.base_url
        self.headers = {"Authorization": f"Token {stack.seed['scenarios'][scenario]['token']}"}
        self.ledger = ledger
        self.timeout = timeout
        self._local = threading.local()

    @property
    def session(self) -> requests.Session:
        if not hasattr(self._local, "session"):
            self._local.session = requests.Session()
            self._local.session.headers.update(self.headers)
        return self._local.session

    def post(self, rows: Sequence[Row], *, retry_until: float | None = None) -> bool:
        """Submit one batch; with `retry_until` (a monotonic deadline) retry refusals."""
        body = {"reports": [r.payload() for r in rows], "tlp": "amber"}
        by_number = {n: r for n, r in enumerate(rows, start=1)}
        attempt = 0
        led = self.ledger
        while True:
            attempt += 1
            with led.lock:
                led.attempted.update(r.address for r in rows)
            started = time.monotonic()
            try:
                response = self.session.post(self.url, json=body, timeout=self.timeout)
            except requests.Timeout:
                with led.lock:
                    led.hung += 1
                    led.statuses["timeout"] += 1
                    led.refused_rows += len(rows)
                    led.refused_requests += 1
                response = None
            except requests.ConnectionError:
                with led.lock:
                    led.statuses["connection error"] += 1
                    led.refused_rows += len(rows)
                    led.refused_requests += 1
                response = None
            elapsed = time.monotonic() - started
            with led.lock:
                led.latencies.append(elapsed)
            if response is not None:
                with led.lock:
                    led.statuses[str(response.status_code)] += 1
                if response.status_code in (200, 201):
                    self._record(response.json(), by_number, attempt)
                    return True
                problem = _clean_refusal(response)
                with led.lock:
                    led.refused_rows += len(rows)
                    led.refused_requests += 1
                    if problem:
                        led.unclean.append(problem)
            if retry_until is None or time.monotonic() > retry_until:
                return False
            time.sleep(min(0.2 * attempt, 2.0))

    def _record(self, data: dict, by_number: dict[int, Row], attempt: int) -> None:
        led = self.ledger
        duplicate_rows = {p["row"] for p in data["duplicates"]}
        with led.lock:
            led.row_errors.extend(data["errors"])
            for number, row in by_number.items():
                if number in duplicate_rows:
                    # Stored by an earlier attempt whose answer was lost: accepted then.
                    if attempt > 1:
                        led.duplicates_on_retry += 1
                    else:
                        led.duplicates_unexpected += 1
                led.accepted.add(row.address)
            if attempt == 1:
                led.accepted_first_try += len(by_number)
            else:
                led.accepted_on_retry += len(by_number)

    def read(self) -> None:
        """A reader's request (my reports, the match list); counts the answer."""
        for path in ("/api/v1/ip-reports/?mine=1&limit=20", "/api/v1/ip-matches/?limit=10"):
            try:
                response = self.session.get(self.base + path, timeout=self.timeout)
            except requests.Timeout:
                with self.ledger.lock:
                    self.ledger.reads["timeout"] += 1
                    self.ledger.hung += 1
                continue
            except requests.ConnectionError:
                with self.ledger.lock:
                    self.ledger.reads["connection error"] += 1
                continue
            with self.ledger.lock:
                self.ledger.reads[str(response.status_code)] += 1
                if response.status_code != 200:
                    problem = _clean_refusal(response)
                    if problem:
                        self.ledger.unclean.append("read: " + problem)

    def submit_all(
        self,
        batches: Iterable[Sequence[Row]],
        *,
        threads: int = 4,
        retry_until: float | None = None,
    ) -> None:
        with ThreadPoolExecutor(threads) as pool:
            for future in [pool.submit(self.post, b, retry_until=retry_until) for b in batches]:
                future.result()


# --- what the database holds, against what was expected ------------------------------------


@dataclass
class Tally:
    rows_in_db: int
    matched_reports: int
    matches: int
    expected: int
    duplicates: int
    lost: int
    pending: int
    withdrawn: int
    notices: int
    emails: int
    phantom: int  # rows in the database no client was told were accepted


def tally(stack: AppStack, scenario: str, rows: Sequence[Row], ledger: Ledger) -> Tally:
    """Compare the database with what the clients were told and what the catalogue implies."""
    info = stack.seed["scenarios"][scenario]
    ws = info["workspace_id"]
    stored = {
        address: (active, total, distinct)
        for address, active, total, distinct in stack.query(
            "SELECT r.address, count(m.id) FILTER (WHERE m.withdrawn_at IS NULL), count(m.id), "
            "count(DISTINCT m.evidence_id) "
            "FROM indicators_ipreport r LEFT JOIN indicators_match m ON m.report_id = r.id "
            "WHERE r.workspace_id = %s GROUP BY r.address",
            [ws],
        )
    }
    expected_by_address = {r.address: r.expected for r in rows}
    lost = duplicates = matched = matches = expected = withdrawn = 0
    for address in ledger.accepted:
        want = expected_by_address[address]
        expected += want
        if address not in stored:
            lost += 1
            continue
        active, total, distinct = stored[address]
        matches += active
        matched += active > 0
        withdrawn += total - active
        if active < want:
            lost += 1  # accepted but never (fully) matched
        # More active matches than the catalogue implies, or one evidence matched twice.
        duplicates += max(0, active - want) + (total - distinct)
    email = f"officer@{scenario}.faults.test"
    notices = stack.query(
        "SELECT count(*) FROM sharing_notification WHERE recipient_id = %s AND kind = 'ip_match'",
        [info["user_id"]],
    )[0][0]
    return Tally(
        rows_in_db=len(stored),
        matched_reports=matched,
        matches=matches,
        expected=expected,
        duplicates=duplicates,
        lost=lost,
        pending=stack.pending(scenario),
        withdrawn=withdrawn,
        notices=notices,
        emails=stack.emails_to(email),
        phantom=len(set(stored) - ledger.accepted),
    )


def report(
    title: str, injected: Sequence[str], ledger: Ledger, result: Tally, seconds: float
) -> str:
    """The table each scenario prints."""
    lines = [
        "",
        f"== fault scenario: {title} ({seconds:.1f} s)",
        *(f"   injected: {i}" for i in injected),
        f"   {'submissions attempted':<28}{len(ledger.attempted):>8}",
        f"   {'accepted (2xx)':<28}{len(ledger.accepted):>8}"
        f"   first try {ledger.accepted_first_try}, after retry {ledger.accepted_on_retry}",
        f"   {'refused (rows x attempts)':<28}{ledger.refused_rows:>8}"
        f"   in {ledger.refused_requests} requests",
        f"   {'answers':<28}{dict(sorted(ledger.statuses.items()))}",
        f"   {'unclean refusals / hung':<28}{len(ledger.unclean):>8} / {ledger.hung}",
        f"   {'rows in DB':<28}{result.rows_in_db:>8}   not accepted yet stored: {result.phantom}",
        f"   {'matched reports':<28}{result.matched_reports:>8}",
        f"   {'matches / expected':<28}{result.matches:>8} / {result.expected}",
        f"   {'duplicates':<28}{result.duplicates:>8}   withdrawn {result.withdrawn}",
        f"   {'lost':<28}{result.lost:>8}   still pending {result.pending}",
        f"   {'match notices / e-mails':<28}{result.notices:>8} / {result.emails}",
        f"   {'request p95 latency':<28}{ledger.p95() * 1000:>6.0f} ms",
    ]
    if ledger.reads:
        lines.append(f"   {'reads':<28}{dict(sorted(ledger.reads.items()))}")
    return "\n".join(lines)


@contextlib.contextmanager
def timed() -> Iterator[Callable[[], float]]:
    started = time.monotonic()
    yield lambda: time.monotonic() - started


def submissions() -> int:
    return int(os.environ.get("FAULT_SUBMISSIONS", "5000"))
