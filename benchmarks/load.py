"""Bounded load test on loopback: 50 liaison officers and 10 police analysts for a fixed time.

    make load                                          # measured for 120 s (LOAD_SECONDS)
    .venv/bin/python benchmarks/load.py --seconds 30   # the short form CI runs

What it does, in order:
1. drops and recreates the PostgreSQL database `bench_load` and migrates it (the server and
   credentials come from LOAD_DATABASE_URL, else from DATABASE_URL when it points at
   PostgreSQL, else postgres://postgres@127.0.0.1:5432; the database name is always
   `bench_load` unless LOAD_DATABASE_URL names one, so a CI's DATABASE_URL=.../test is never
   dropped);
2. seeds a realistic volume (about a minute): the police and five embassy workspaces with 60
   members each (a TOTP device and an API token apiece), a compound catalogue of 2,000
   prefixes, 50,000 IP reports (matched by the real matcher) and 6,000 leads with mixed
   audiences, statuses and histories, and mule-account leads with freeze requests
   (benchmarks/lists.py's `fill` and benchmarks/matching.py's `make_workload` do the bulk, the
   services the rest);
3. starts gunicorn (production settings, DEBUG off; gthread, 3 workers x 4 threads for the
   2 cores) on a free loopback port and a real Celery worker with beat on Redis db 4
   (LOAD_BROKER_URL; also the cache that API throttling counts in), so matching and e-mail
   tasks run as in production;
4. runs locust headless (benchmarks/locustfile.py): 50 officers submitting IP reports and
   leads through the REST API and reading their lists and details, 10 analysts working the
   review queue, thinking 1-3 s between tasks; the first 10 s (users arriving) are a warm-up
   that is not measured, except that a failure in it still counts;
5. prints requests per second, p50/p95/p99/max latency and failures per request type and
   overall against the target (0 errors; p95 under 200 ms), checks that every IP report
   submitted during the run was matched by the worker, and says how much CPU the stack under
   test used per request and how much the rest of the machine used meanwhile (on a shared
   machine other processes' load shows up as latency here).

The exit code is non-zero on any failed request or unmatched report (or, with --strict, on a
p95 over the target). gunicorn, the worker and locust run in their own process groups, are
stopped in a `finally`, and get SIGTERM if this runner is killed.
"""

from __future__ import annotations

import argparse
import csv
import ipaddress
import json
import logging
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import warnings
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BIN = Path(sys.executable).parent

TARGET_P95_MS = 200.0
DEFAULT_SERVER = "postgres://postgres@127.0.0.1:5432"
DATABASE_NAME = "bench_load"
DEFAULT_BROKER = "redis://127.0.0.1:6379/4"

# The volume seeded before the run: the same for the short and the full run, since latency
# depends on it.
N_EMBASSIES = 5  # plus the police: six delegations
MEMBERS = 60  # per workspace
N_LEADS = 6_000  # phone leads across the workspaces (benchmarks/lists.py's mix)
N_BANK_LEADS = 150  # bank-account leads made through the service; most get a freeze request
N_REPORTS = 50_000  # IP reports, matched by the real matcher before the run
N_COMPOUNDS = 40
N_PREFIXES = 2_000  # the catalogue's prefix evidence
N_OFFICERS, N_ANALYSTS = 50, 10  # the simulated users


@dataclass
class Row:
    name: str
    requests: int
    failures: int
    rps: float
    p50: float
    p95: float
    p99: float
    max: float


# --- the database ------------------------------------------------------------------------------


def database_url() -> str:
    """The URL of the throw-away database (see the module docstring for how it is chosen)."""
    explicit = os.environ.get("LOAD_DATABASE_URL", "")
    if explicit:
        return explicit
    base = os.environ.get("DATABASE_URL", "")
    if not base.startswith(("postgres://", "postgresql://")):
        base = DEFAULT_SERVER
    parts = urlsplit(base)
    return urlunsplit((parts.scheme, parts.netloc, "/" + DATABASE_NAME, parts.query, ""))


def _admin(url: str, *statements: str) -> None:
    """Run DROP/CREATE DATABASE statements on the database named in `url`, through the
    server's `postgres` database (`{}` stands for the quoted name)."""
    import psycopg
    from psycopg import sql

    parts = urlsplit(url)
    name = sql.Identifier(parts.path.lstrip("/"))
    admin = urlunsplit((parts.scheme, parts.netloc, "/postgres", parts.query, ""))
    with psycopg.connect(admin, autocommit=True) as conn:
        for statement in statements:
            conn.execute(sql.SQL(statement).format(name))


def database_recreate(url: str) -> None:
    _admin(url, "DROP DATABASE IF EXISTS {} WITH (FORCE)", "CREATE DATABASE {}")


def database_drop(url: str) -> None:
    _admin(url, "DROP DATABASE IF EXISTS {} WITH (FORCE)")


def django_setup(url: str) -> None:
    """Django in this process, on the load database; tasks run eagerly here (seeding only)."""
    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = "exchange.settings"
    os.environ["DJANGO_ENV"] = "development"
    os.environ["DEBUG"] = "false"  # no per-query log in memory while seeding
    os.environ["EMAIL_URL"] = "dummymail://"
    os.environ["LOG_LEVEL"] = "WARNING"
    # Seeding must never publish to a broker (a CI's CELERY_BROKER_URL may be set): eager.
    os.environ.pop("CELERY_BROKER_URL", None)
    os.environ.pop("CELERY_BROKER_URL_FILE", None)
    warnings.filterwarnings("ignore", message="No directory at")
    import django

    django.setup()
    # Eager mode's in-memory broker makes kombu warn about a missing host name once.
    logging.getLogger("kombu.connection").setLevel(logging.ERROR)


# --- seeding -----------------------------------------------------------------------------------


def api_token_for(user) -> str:
    """A new API key for `user`, as an integration holds it (`Authorization: Token <key>`):
    scoped `write` (the simulated users submit and review), hashed at rest, 90-day expiry."""
    from embassies.services import api_token_create

    _, key = api_token_create(user=user, name="load test", scope="write")
    return key


class Seeder:
    """Fills the load database in phases (each timed); `fixture()` is what locust needs."""

    def __init__(self, seed_value: int = 11) -> None:
        import random

        from benchmarks.matching import make_workload

        self.rng = random.Random(seed_value)
        self.seed_value = seed_value
        # Prefixes for the catalogue and addresses for the reports, from the matching
        # benchmark's generator (nested prefixes, a few percent of addresses inside them).
        self.work = make_workload(N_PREFIXES, int(N_REPORTS * 1.3), seed_value)
        self.timings: dict[str, float] = {}

    def run(self) -> dict:
        for phase in (
            self.people,
            self.catalogue,
            self.ip_reports,
            self.lead_histories,
            self.mule_accounts,
        ):
            started = time.perf_counter()
            phase()
            self.timings[phase.__name__] = time.perf_counter() - started
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        return self.fixture()

    def people(self) -> None:
        """benchmarks/lists.py's workspaces and leads, then 60 members in each workspace."""
        from django.test.utils import override_settings

        from benchmarks.lists import fill
        from embassies.choices import WorkspaceRole
        from embassies.models import User, Workspace
        from embassies.services import user_create_with_totp

        # A cheap hasher for the seeded accounts: nobody signs in with a password here, and
        # 360 PBKDF2 hashes would take minutes.
        with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
            fill(N_LEADS, N_EMBASSIES, seed=self.seed_value)
            workspaces = list(Workspace.objects.select_related("delegation").order_by("pk"))
            self.police = next(w for w in workspaces if w.is_host_police)
            self.embassies = [w for w in workspaces if not w.is_host_police]
            for ws in workspaces:
                for n in range(User.objects.filter(workspace=ws).count(), MEMBERS):
                    if ws == self.police:
                        role = WorkspaceRole.ANALYST
                    else:
                        role = WorkspaceRole.ADMIN if n == MEMBERS - 1 else WorkspaceRole.OFFICER
                    user_create_with_totp(
                        email=f"{role}{n}@{ws.slug}.load.test",
                        password="load-test-password",
                        workspace=ws,
                        role=role,
                        full_name=f"{role.label} {n} of {ws.slug}",
                    )
        # Members in order of creation; each embassy's admin is its last.
        self.members = {
            ws.pk: list(User.objects.filter(workspace=ws).order_by("pk")) for ws in workspaces
        }
        self.analysts = [u for u in self.members[self.police.pk] if u.is_police_analyst]

    def catalogue(self) -> None:
        from indicators.addresses import network_parse
        from indicators.models import Compound, NetworkEvidence
        from indicators.services import catalogue_version_bump

        countries = ["MM", "KH", "LA", "TH", "PH"]
        compounds = Compound.objects.bulk_create(
            [
                Compound(
                    name=f"Load compound {i}",
                    country=countries[i % len(countries)],
                    area=f"Area {i % 7}",
                    sources="benchmark",
                )
                for i in range(N_COMPOUNDS)
            ]
        )
        evidence = []
        for i, (_, text) in enumerate(self.work.pairs):
            net = network_parse(text)
            evidence.append(
                NetworkEvidence(
                    compound=compounds[i % N_COMPOUNDS],
                    kind="prefix",
                    network=net.text,
                    first_key=net.first,
                    last_key=net.last,
                    confidence=self.rng.randint(40, 95),
                    source="benchmark",
                )
            )
        NetworkEvidence.objects.bulk_create(evidence, batch_size=2000)
        catalogue_version_bump()

    def ip_reports(self) -> None:
        """Embassy officers' reports over the last 90 days, mixed audiences, then matched by
        the real matcher (which also notifies, as it would have at the time)."""
        from django.utils import timezone

        from indicators.addresses import address_parse
        from indicators.enrichment import enrich
        from indicators.models import IPReport, PendingMatch
        from indicators.services import reports_match

        rng, embassies = self.rng, self.embassies
        now = timezone.now()
        contexts = ["scam_call", "chat", "victim_login", "scam_website", "other"]
        reports: list[IPReport] = []
        seen: set[tuple[int, str]] = set()
        for text in self.work.addresses:
            if len(reports) == N_REPORTS:
                break
            try:
                parsed = address_parse(text)
            except ValueError:
                continue  # private or reserved: a submission would refuse it
            ws = embassies[len(reports) % len(embassies)]
            if (ws.pk, parsed.key) in seen:
                continue
            seen.add((ws.pk, parsed.key))
            seen_at = now - timezone.timedelta(minutes=rng.randrange(90 * 24 * 60))
            info = enrich(parsed.text)
            reports.append(
                IPReport(
                    workspace=ws,
                    created_by=rng.choice(self.members[ws.pk]),
                    created_at=min(now, seen_at + timezone.timedelta(hours=rng.randrange(1, 48))),
                    police_access=rng.random() < 0.85,
                    shared_with_all=rng.random() < 0.05,
                    address=parsed.text,
                    family=parsed.family,
                    address_key=parsed.key,
                    seen_at=seen_at,
                    context=rng.choice(contexts),
                    asn=info.asn,
                    as_org=info.as_org,
                    geo_country=info.country,
                    enrichment_source=info.source,
                )
            )
        ids = [r.pk for r in IPReport.objects.bulk_create(reports, batch_size=5000)]
        through = IPReport.shared_with.through
        through.objects.bulk_create(
            [
                through(ipreport_id=r.pk, workspace_id=embassies[(i + 1) % len(embassies)].pk)
                for i, r in enumerate(reports)
                if rng.random() < 0.05
            ],
            batch_size=5000,
        )
        PendingMatch.objects.bulk_create(
            [PendingMatch(report_id=pk) for pk in ids], batch_size=5000
        )
        self.matches = reports_match(report_ids=ids).created

    def lead_histories(self) -> None:
        """Every seeded lead's history: submitted, and the review step that set its status."""
        from cases.choices import LeadEventAction, LeadStatus
        from cases.models import Lead, LeadEvent

        events = []
        for lead_id, actor_id, at, status in Lead.objects.values_list(
            "pk", "created_by_id", "created_at", "status"
        ):
            events.append(
                LeadEvent(
                    lead_id=lead_id,
                    actor_id=actor_id,
                    at=at,
                    action=LeadEventAction.SUBMITTED,
                    to_status=LeadStatus.NEW,
                )
            )
            if status != LeadStatus.NEW:
                events.append(
                    LeadEvent(
                        lead_id=lead_id,
                        actor_id=actor_id,
                        at=at,
                        action=LeadEventAction.STATUS,
                        from_status=LeadStatus.NEW,
                        to_status=status,
                    )
                )
        LeadEvent.objects.bulk_create(events, batch_size=5000)

    def mule_accounts(self) -> None:
        """Bank-account leads through the services, most with a freeze request in some state
        (the analysts' freeze queue)."""
        from django.utils import timezone

        from cases import services
        from cases.choices import FreezeState

        rng, now = self.rng, timezone.now()
        states = [None, FreezeState.ACKNOWLEDGED, FreezeState.FROZEN, FreezeState.REFUSED]
        for n in range(N_BANK_LEADS):
            ws = self.embassies[n % len(self.embassies)]
            officer = rng.choice(self.members[ws.pk][:-1])  # not the admin
            lead = services.lead_create(
                actor=officer,
                kind="bank_account",
                fields={
                    "bank": rng.choice(["KBank", "SCB", "Bangkok Bank", "Krungthai", "ttb"]),
                    "account_number": f"{rng.randrange(10**10):010d}",
                    "holder_name": f"Mule {n}",
                },
                reliability=rng.choice("ABCD"),
                grade=rng.choice("1234"),
                description="account named by a victim as the transfer target",
                now=now - timezone.timedelta(minutes=rng.randrange(10, 3 * 24 * 60)),
            )
            if rng.random() < 0.8:
                freeze = services.freeze_request_raise(actor=officer, lead=lead)
                state = rng.choice(states)
                if state is not None:
                    services.freeze_request_update(
                        actor=rng.choice(self.analysts), freeze=freeze, state=state
                    )

    def fixture(self) -> dict:
        """The simulated users (10 officers of each embassy, not the admins; 10 analysts who
        submitted nothing, so they may review any lead), each with an API token, and the
        values they submit and search."""
        from cases.models import Lead
        from embassies.models import User
        from indicators.addresses import address_parse
        from indicators.models import IPReport

        per_embassy = N_OFFICERS // len(self.embassies)
        officers = [
            {"email": u.email, "token": api_token_for(u), "workspace": ws.slug}
            for ws in self.embassies
            for u in self.members[ws.pk][:per_embassy]
        ]
        reviewers = [u for u in self.analysts if not Lead.objects.filter(created_by=u).exists()]
        analysts = [{"email": u.email, "token": api_token_for(u)} for u in reviewers[:N_ANALYSTS]]
        # Numbers other delegations reported: officers report some again (correlation), search.
        phone_keys = list(
            Lead.objects.filter(kind="phone").order_by("?").values_list("key", flat=True)[:300]
        )
        # Addresses inside the catalogue's IPv4 prefixes: about one submitted address in ten.
        hit_addresses: list[str] = []
        for _, text in self.work.pairs:
            net = ipaddress.ip_network(text)
            if net.version == 4 and len(hit_addresses) < 1000:
                candidate = str(net.network_address + self.rng.randrange(net.num_addresses))
                with suppress(ValueError):
                    hit_addresses.append(address_parse(candidate).text)
        return {
            "officers": officers,
            "analysts": analysts,
            "workspaces": [ws.slug for ws in self.embassies],
            "hit_addresses": hit_addresses,
            "phone_keys": phone_keys,
            "counts": {
                "users": User.objects.count(),
                "leads": Lead.objects.count(),
                "ip_reports": IPReport.objects.count(),
                "matches": self.matches,
            },
            "timings": {name: round(t, 1) for name, t in self.timings.items()},
        }


# --- processes ---------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_env(url: str, broker: str) -> dict[str, str]:
    """Production settings, as `make check` sets them, on loopback without TLS."""
    from cryptography.fernet import Fernet

    env = dict(os.environ)
    env.update(
        DJANGO_ENV="production",
        DJANGO_SETTINGS_MODULE="exchange.settings",
        SECRET_KEY=secrets.token_urlsafe(60),
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SECURE_SSL_REDIRECT="False",  # loopback HTTP; TLS ends at the proxy in production
        DATABASE_URL=url,
        CELERY_BROKER_URL=broker,
        # Throttle counters shared by every gunicorn worker, as in a deployment with Redis.
        CACHE_URL=broker,
        VICTIMS_ENCRYPTION_KEYS=Fernet.generate_key().decode(),
        VICTIMS_LOOKUP_KEY=secrets.token_urlsafe(40),
        EMAIL_URL="dummymail://",  # an SMTP relay in production; sending is the worker's job
        LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
    )
    for name in ("DEBUG", "CELERY_BROKER_URL_FILE", "DATABASE_URL_FILE", "SECRET_KEY_FILE"):
        env.pop(name, None)
    return env


def _die_with_parent() -> None:
    """In the child, before exec: get SIGTERM if this runner dies, even by SIGKILL (Linux)."""
    with suppress(Exception):
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def start(cmd: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    """A child in its own process group (so stopping it stops its own children too), that
    also stops if this runner is killed."""
    out = log.open("wb")
    return subprocess.Popen(
        cmd,
        cwd=ROOT,
        env=env,
        stdout=out,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        preexec_fn=_die_with_parent,  # no other thread runs while the servers start
    )


def stop(proc: subprocess.Popen | None, grace: float = 10.0) -> None:
    """SIGTERM the child's process group, then SIGKILL what is left after `grace` seconds."""
    if proc is None or proc.poll() is not None:
        return
    with suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        with suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=5)


def wait_healthy(base: str, proc: subprocess.Popen, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("gunicorn exited during start-up")
        with (
            suppress(urllib.error.URLError, ConnectionError, TimeoutError),
            urllib.request.urlopen(base + "/healthz", timeout=2) as response,
        ):
            if response.status == 200:
                return
        time.sleep(0.3)
    raise RuntimeError("gunicorn did not answer /healthz in time")


def warm_up(base: str, fixture: dict, parallel: int) -> None:
    """A few rounds of reads before the clock starts, as a server in service is warm: every
    gunicorn worker has imported its views, opened its database connection and compiled
    its URL patterns. Not counted in the figures."""
    from concurrent.futures import ThreadPoolExecutor

    officer, analyst = fixture["officers"][0], fixture["analysts"][0]
    paths = [
        (officer, "/api/v1/me/"),
        (officer, "/api/v1/ip-reports/?mine=true&limit=50"),
        (officer, "/api/v1/leads/?mine=true&limit=50"),
        (officer, "/api/v1/ip-matches/?limit=50"),
        (analyst, "/api/v1/leads/review-queue/?limit=50"),
        (analyst, "/api/v1/freeze-requests/?limit=50"),
    ]

    def get(item: tuple[dict, str]) -> None:
        user, path = item
        request = urllib.request.Request(
            base + path, headers={"Authorization": f"Token {user['token']}"}
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            response.read()

    with ThreadPoolExecutor(max_workers=parallel) as pool:
        list(pool.map(get, paths * parallel))


def wait_worker_ready(broker: str, proc: subprocess.Popen, timeout: float = 60.0) -> None:
    """Until the worker answers a ping on the broker."""
    from celery import Celery

    # A bare client on the broker: this process's own app is configured eager (seeding).
    app = Celery("load-ping", broker=broker)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("the Celery worker exited during start-up")
        with suppress(Exception):
            if app.control.ping(timeout=1.0):
                return
        time.sleep(0.5)
    raise RuntimeError("the Celery worker did not answer a ping in time")


def pending_after(started_at, timeout: float) -> tuple[int, int, int]:
    """(reports submitted since `started_at`, of which matched or checked, still pending),
    waiting up to `timeout` seconds for the worker to drain the queue."""
    from django.db import connection

    from indicators.models import IPReport, PendingMatch

    deadline = time.monotonic() + timeout
    while True:
        submitted = IPReport.objects.filter(created_at__gte=started_at).count()
        pending = PendingMatch.objects.count()
        if pending == 0 or time.monotonic() > deadline:
            connection.close()
            return submitted, submitted - pending, pending
        time.sleep(1)


# --- CPU accounting ---------------------------------------------------------------------------
# Latency on a shared 2-core machine depends on what else runs. These counters say how much
# CPU the stack under test used per request, and how much the rest of the machine used
# meanwhile, so a slow run can be told apart from a slow app.

TICK = os.sysconf("SC_CLK_TCK")


def _proc_cpu(pid: int) -> float:
    """CPU seconds (user + system) of one live process; 0 if it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICK  # utime, stime


def _group_pids(pgid: int) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with suppress(OSError, IndexError, ValueError):
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                if int(fields[2]) == pgid:
                    pids.append(int(entry.name))
    return pids


def _postgres_pids(conn) -> list[int]:
    """The server processes serving the load database (the app's and the worker's)."""
    rows = conn.execute(
        "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
        "AND pid <> pg_backend_pid()"
    ).fetchall()
    return [row[0] for row in rows]


def _machine_busy() -> float:
    """CPU seconds the whole machine has been busy (all cores), from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]  # idle, iowait
    return (sum(values[:8]) - idle) / TICK


def machine_load(seconds: float = 3.0) -> str:
    """How busy the machine is without us: cores in use over a few seconds, load average."""
    before = _machine_busy()
    time.sleep(seconds)
    cores = (_machine_busy() - before) / seconds
    return (
        f"the machine uses {cores:.2f} of {os.cpu_count()} cores "
        f"(load average {os.getloadavg()[0]:.2f})"
    )


class CpuMeter:
    """CPU seconds per group of processes between `start()` and the last `sample()`.

    Sampled every second, so a process that ends during the run (a database connection
    recycled after CONN_MAX_AGE) still counts up to its last sample; 'other' is the rest of
    the machine over the same time.
    """

    def __init__(self, groups: dict[str, int], url: str) -> None:
        import psycopg

        self.groups = groups
        self.conn = psycopg.connect(url, autocommit=True)  # one, not one per sample
        self.base: dict[str, dict[int, float]] = {}
        self.last: dict[str, dict[int, float]] = {}
        self.started = self.ended = time.monotonic()
        self.machine_start = self.machine_end = _machine_busy()

    def _read(self) -> dict[str, dict[int, float]]:
        now = {name: {p: _proc_cpu(p) for p in _group_pids(g)} for name, g in self.groups.items()}
        with suppress(Exception):
            now["postgres"] = {p: _proc_cpu(p) for p in _postgres_pids(self.conn)}
        return now

    def start(self) -> None:
        self.base = self._read()
        self.last = {name: dict(pids) for name, pids in self.base.items()}
        self.started, self.machine_start = time.monotonic(), _machine_busy()

    def sample(self) -> None:
        for name, pids in self._read().items():
            self.last.setdefault(name, {}).update(pids)
        self.ended, self.machine_end = time.monotonic(), _machine_busy()

    @property
    def seconds(self) -> float:
        return max(self.ended - self.started, 1e-9)

    def close(self) -> None:
        with suppress(Exception):
            self.conn.close()

    def used(self) -> dict[str, float]:
        used: dict[str, float] = {}
        for name, pids in self.last.items():
            base = self.base.get(name, {})
            used[name] = sum(max(0.0, cpu - base.get(pid, 0.0)) for pid, cpu in pids.items())
        used["other"] = max(0.0, self.machine_end - self.machine_start - sum(used.values()))
        return used


# --- the report --------------------------------------------------------------------------------


def _number(rec: dict[str, str], field: str) -> float:
    value = rec.get(field) or "0"
    return 0.0 if value == "N/A" else float(value)


def read_stats(path: Path) -> list[Row]:
    """locust's `*_stats.csv`: one row per request name, then the aggregate."""
    rows = []
    with path.open(newline="") as f:
        for rec in csv.DictReader(f):
            rows.append(
                Row(
                    name=rec["Name"] if rec["Type"] else "all requests",
                    requests=int(_number(rec, "Request Count")),
                    failures=int(_number(rec, "Failure Count")),
                    rps=_number(rec, "Requests/s"),
                    p50=_number(rec, "50%"),
                    p95=_number(rec, "95%"),
                    p99=_number(rec, "99%"),
                    max=_number(rec, "Max Response Time"),
                )
            )
    return rows


def print_table(rows: list[Row]) -> None:
    header = (
        f"{'request':44} {'reqs':>6} {'fails':>5} {'rps':>6} {'p50':>6} {'p95':>6} "
        f"{'p99':>6} {'max':>6}  p95<{TARGET_P95_MS:.0f}"
    )
    print(header)
    print("-" * len(header))
    for row in rows:
        if row.requests == 0 and row.name != "all requests":
            continue  # seen only during the warm-up (signing in)
        if row.name == "all requests":
            print("-" * len(header))
        verdict = "PASS" if row.p95 < TARGET_P95_MS else "FAIL"
        print(
            f"{row.name[:44]:44} {row.requests:6d} {row.failures:5d} {row.rps:6.1f} "
            f"{row.p50:6.0f} {row.p95:6.0f} {row.p99:6.0f} {row.max:6.0f}  {verdict}"
        )
    print("(latencies in ms, measured by locust at the client; locust rounds values over 100 ms")
    print(" to two significant digits)")


def print_failures(path: Path, limit: int = 15) -> None:
    if not path.exists():
        return
    with path.open(newline="") as f:
        records = list(csv.DictReader(f))
    if not records:
        return
    print("failures:")
    for rec in records[:limit]:
        print(f"  {rec['Occurrences']:>5} x {rec['Method']} {rec['Name']}: {rec['Error'][:160]}")


def tail(path: Path, lines: int = 30) -> str:
    if not path.exists():
        return ""
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


# --- main --------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=120, help="how long the run is measured")
    parser.add_argument(
        "--warmup",
        type=int,
        default=10,
        help="seconds before the measured part (users arrive; not counted, but a failure in "
        "them still fails the run)",
    )
    parser.add_argument("--workers", type=int, default=3, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=4, help="gunicorn threads per worker")
    parser.add_argument("--celery-concurrency", type=int, default=1)
    parser.add_argument("--spawn-rate", type=float, default=20.0, help="users started per s")
    parser.add_argument("--strict", action="store_true", help="also fail on a p95 over target")
    parser.add_argument("--out", type=Path, help="keep locust's CSVs and the logs here")
    parser.add_argument(
        "--reuse-db",
        action="store_true",
        help="skip dropping and seeding: reuse bench_load and the fixture from --out "
        "(for profiling; the data then carries the previous runs' changes)",
    )
    parser.add_argument("--keep-db", action="store_true", help="do not drop bench_load at the end")
    args = parser.parse_args(argv)
    # A CI timeout or Ctrl-C: unwind through the `finally` that stops the servers.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    signal.signal(signal.SIGHUP, lambda *_: sys.exit(129))

    url = database_url()
    if not url.startswith(("postgres://", "postgresql://")):
        print("load test: needs PostgreSQL (LOAD_DATABASE_URL)", file=sys.stderr)
        return 2
    broker = os.environ.get("LOAD_BROKER_URL", DEFAULT_BROKER)
    out = args.out or Path(tempfile.mkdtemp(prefix="load-"))
    out.mkdir(parents=True, exist_ok=True)
    fixture_path = out / "fixture.json"
    warmup_path = out / "warmup.json"
    warmup_path.unlink(missing_ok=True)
    print(
        f"load test: {N_OFFICERS} officers + {N_ANALYSTS} analysts for {args.seconds} s; "
        f"database {urlsplit(url).path.lstrip('/')}; broker {broker}; "
        f"gunicorn {args.workers} workers x {args.threads} threads (gthread); "
        f"{os.cpu_count()} CPUs"
    )
    print(f"before: {machine_load()}")

    if not args.reuse_db:
        t0 = time.perf_counter()
        database_recreate(url)
        django_setup(url)
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        print(f"database: created and migrated in {time.perf_counter() - t0:.1f} s")
        started = time.perf_counter()
        fixture = Seeder().run()
        fixture_path.write_text(json.dumps(fixture))
        c = fixture["counts"]
        print(
            f"seeded in {time.perf_counter() - started:.1f} s: {N_EMBASSIES + 1} workspaces, "
            f"{c['users']} users, {c['leads']:,} leads, {c['ip_reports']:,} IP reports "
            f"({c['matches']:,} matches), {N_COMPOUNDS} compounds with {N_PREFIXES:,} prefixes "
            f"(phases, s: {fixture['timings']})"
        )
    else:
        django_setup(url)
        fixture = json.loads(fixture_path.read_text())
    from django.db import connection
    from django.utils import timezone

    connection.close()  # the servers get the connections; this process only reads at the end

    # The broker db is this test's own: stale tasks from an aborted run must not run here.
    import redis

    redis.Redis.from_url(broker).flushdb()

    env = server_env(url, broker)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    gunicorn = worker = locust = None
    meter: CpuMeter | None = None
    rows: list[Row] = []
    try:
        gunicorn = start(
            [
                str(BIN / "gunicorn"),
                "exchange.wsgi:application",
                f"--bind=127.0.0.1:{port}",
                f"--workers={args.workers}",
                f"--threads={args.threads}",
                "--worker-class=gthread",
                "--timeout=60",
                # Longer than any pause of a simulated user (3 s think + reading): a client
                # must not reuse a connection the server is closing at that very moment (a
                # proxy in front holds connections open the same way).
                "--keep-alive=30",
                "--graceful-timeout=5",
                "--log-level=warning",
            ],
            env,
            out / "gunicorn.log",
        )
        worker = start(
            [
                str(BIN / "celery"),
                "-A",
                "exchange",
                "worker",
                "--beat",
                f"--schedule={out / 'celerybeat-schedule'}",
                f"--concurrency={args.celery_concurrency}",
                "--loglevel=WARNING",
                f"--hostname=load-{port}@%h",
            ],
            env,
            out / "worker.log",
        )
        wait_healthy(base, gunicorn)
        wait_worker_ready(broker, worker)
        warm_up(base, fixture, args.workers * args.threads)
        run_started = timezone.now()
        meter = CpuMeter({"gunicorn": gunicorn.pid, "worker": worker.pid}, url)
        locust = start(
            [
                str(BIN / "locust"),
                "-f",
                str(ROOT / "benchmarks" / "locustfile.py"),
                "--headless",
                f"--users={N_OFFICERS + N_ANALYSTS}",
                f"--spawn-rate={args.spawn_rate}",
                f"--run-time={args.warmup + args.seconds}s",
                f"--host={base}",
                f"--csv={out / 'load'}",
                "--only-summary",
                "--stop-timeout=10",
                "--loglevel=WARNING",
            ],
            {
                **os.environ,
                "LOAD_FIXTURE": str(fixture_path),
                "LOAD_WARMUP_SECONDS": str(args.warmup),
                "LOAD_WARMUP_OUT": str(warmup_path),
            },
            out / "locust.log",
        )
        meter.groups["locust"] = locust.pid
        locust_started = time.monotonic()
        deadline = locust_started + args.warmup + args.seconds + 120
        while locust.poll() is None and time.monotonic() < deadline:
            if not meter.base and time.monotonic() - locust_started >= args.warmup:
                meter.start()  # CPU is counted over the measured part only
            elif meter.base:
                meter.sample()  # the last one is taken just before locust exits
            time.sleep(0.5)
        if locust.poll() is None:
            print("locust did not stop in time", file=sys.stderr)
        stats = out / "load_stats.csv"
        if not stats.exists():
            print("locust wrote no statistics:\n" + tail(out / "locust.log"), file=sys.stderr)
            return 1
        rows = read_stats(stats)
        submitted, matched, pending = pending_after(run_started, timeout=60)
    finally:
        if meter is not None:
            meter.close()
        stop(locust)
        stop(gunicorn)
        stop(worker)
        if not args.keep_db and not args.reuse_db:
            with suppress(Exception):
                database_drop(url)

    warm = json.loads(warmup_path.read_text()) if warmup_path.exists() else None
    print()
    print(
        f"measured over {args.seconds} s after a {args.warmup} s warm-up (60 users arriving at "
        f"{args.spawn_rate:g} a second); think time 1-3 s between tasks"
    )
    print_table(rows)
    total = next((r for r in rows if r.name == "all requests"), None)
    if total is None or total.requests == 0:
        print("no requests were measured", file=sys.stderr)
        return 1
    print_failures(out / "load_failures.csv")
    if warm is not None:
        print(
            f"warm-up (not in the table): {warm['requests']} requests, "
            f"{warm['failures']} failed, p50 {warm['p50']:.0f} ms, p95 {warm['p95']:.0f} ms, "
            f"max {warm['max']:.0f} ms"
        )
        for error in warm["errors"][:10]:
            print(f"  {error[:200]}")
    failures = total.failures + (warm["failures"] if warm else 0)
    errors_ok = failures == 0
    p95_ok = total.p95 < TARGET_P95_MS
    slow = [r.name for r in rows if r.name != "all requests" and r.p95 >= TARGET_P95_MS]
    matched_ok = pending == 0
    print()
    print(f"{'measure':38} {'ours':>14} {'target':>14}")
    print(f"{'requests per second (60 users)':38} {total.rps:14.1f} {'':>14}")
    print(f"{'failed requests (warm-up included)':38} {failures:14d} {'0':>14}  {_v(errors_ok)}")
    print(f"{'p95, all requests (ms)':38} {total.p95:14.0f} {'< 200':>14}  {_v(p95_ok)}")
    print(f"{'p50 / p99, all requests (ms)':38} {f'{total.p50:.0f} / {total.p99:.0f}':>14}")
    print(f"{'request types with p95 over target':38} {len(slow):14d} {'0':>14}  {_v(not slow)}")
    print(
        f"{'IP reports submitted / matched':38} {f'{submitted} / {matched}':>14} "
        f"{'all matched':>14}  {_v(matched_ok)}"
    )
    assert meter is not None  # set before locust ran
    used = meter.used()
    ours = sum(v for k, v in used.items() if k != "other")
    print(
        f"CPU over the measured part (cores, of {os.cpu_count()}): "
        + ", ".join(f"{name} {seconds / meter.seconds:.2f}" for name, seconds in used.items())
        + " ('other': the rest of the machine)"
    )
    print(
        f"CPU per request: gunicorn {used.get('gunicorn', 0) / total.requests * 1000:.1f} ms, "
        f"PostgreSQL {used.get('postgres', 0) / total.requests * 1000:.1f} ms, "
        f"the whole stack under test {ours / total.requests * 1000:.1f} ms "
        "(worker and locust included)"
    )
    keep = args.out is not None or not errors_ok or not matched_ok
    print(
        f"load average after: {os.getloadavg()[0]:.2f}"
        + (f"; logs and CSVs in {out}" if keep else "")
    )
    if not errors_ok:
        print("gunicorn log (tail):\n" + tail(out / "gunicorn.log"))
    if not matched_ok:
        print("worker log (tail):\n" + tail(out / "worker.log"))
    if not keep:
        shutil.rmtree(out, ignore_errors=True)
    failed = not errors_ok or not matched_ok or (args.strict and (not p95_ok or bool(slow)))
    return 1 if failed else 0


def _v(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


if __name__ == "__main__":
    sys.exit(main())
