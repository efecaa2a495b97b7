"""Benchmark for the leads list pages and API (cases app).

    DATABASE_URL=postgres://... python benchmarks/lists.py    # 100,000 leads, 50 workspaces
    python benchmarks/lists.py --quick                        # 2,000 leads, 10 workspaces (CI)

Builds a throw-away database (`bench_lists`, with Django's test-database machinery, dropped
at the end), fills it with leads spread over the workspaces (about 85% shared with police,
5% with all workspaces, 5% named to another workspace; statuses mixed; a tenth of the values
reported by several workspaces), then requests each surface through the Django test client
as an officer and as a police analyst and prints p50/p95 per request and the number of SQL
queries per request at two page sizes (it must not grow with the page size).
The target on PostgreSQL is p95 under 50 ms.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "exchange.settings")
# Whitenoise warns once per client that collectstatic has not run; irrelevant here.
warnings.filterwarnings("ignore", message="No directory at")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import (  # noqa: E402
    CaptureQueriesContext,
    override_settings,
)
from django.utils import timezone  # noqa: E402
from django_otp import DEVICE_ID_SESSION_KEY  # noqa: E402
from django_otp.plugins.otp_totp.models import TOTPDevice  # noqa: E402

TARGET_P95_MS = 50.0
STATUSES = ["new"] * 5 + ["under_review"] * 2 + ["actionable", "actioned", "rejected"]


def fill(n_leads: int, n_workspaces: int, seed: int = 7) -> dict:
    """Workspaces with an officer each, the police with an analyst, and `n_leads` leads."""
    from cases.models import Lead
    from embassies.choices import DelegationKind, WorkspaceRole
    from embassies.models import Delegation, Workspace
    from embassies.services import user_create_with_totp

    rng = random.Random(seed)
    police_del = Delegation.objects.create(
        name="Royal Thai Police (bench)", kind=DelegationKind.HOST_POLICE, country="TH"
    )
    police = Workspace.objects.create(delegation=police_del, slug="bench-police")
    analyst = user_create_with_totp(
        email="analyst@bench.test", password="x", workspace=police, role=WorkspaceRole.ANALYST
    )
    workspaces, officers = [], []
    for i in range(n_workspaces):
        delegation = Delegation.objects.create(
            name=f"Embassy {i} (bench)", kind=DelegationKind.EMBASSY, country="PH"
        )
        ws = Workspace.objects.create(delegation=delegation, slug=f"bench-{i}")
        workspaces.append(ws)
        officers.append(
            user_create_with_totp(
                email=f"officer{i}@bench.test",
                password="x",
                workspace=ws,
                role=WorkspaceRole.OFFICER,
            )
        )
    # The police workspace reports leads too (the analyst's "my workspace's leads").
    workspaces.append(police)
    officers.append(analyst)
    n_workspaces = len(workspaces)
    now = timezone.now()
    shared_values = [f"+6681{rng.randrange(10**7):07d}" for _ in range(max(10, n_leads // 100))]
    rows, named = [], []
    for n in range(n_leads):
        w = n % n_workspaces
        roll = rng.random()
        key = rng.choice(shared_values) if roll < 0.1 else f"+66{rng.randrange(8 * 10**8, 10**9)}"
        rows.append(
            Lead(
                workspace=workspaces[w],
                created_by=officers[w],
                created_at=now - timezone.timedelta(minutes=n_leads - n),
                status_changed_at=now,
                police_access=rng.random() < 0.85,
                shared_with_all=rng.random() < 0.05,
                kind="phone",
                raw={"number": key},
                key=key,
                value=key,
                details={"e164": key, "country": "TH"},
                reliability=rng.choice("ABCD"),
                grade=rng.choice("1234"),
                description="benchmark lead",
                status=rng.choice(STATUSES),
            )
        )
    Lead.objects.bulk_create(rows, batch_size=5000)
    through = Lead.shared_with.through
    ids = list(Lead.objects.values_list("pk", "workspace_id"))
    by_slug = {ws.pk: i for i, ws in enumerate(workspaces)}
    for pk, ws_id in ids:
        if rng.random() < 0.05:
            other = workspaces[(by_slug[ws_id] + 1) % n_workspaces]
            named.append(through(lead_id=pk, workspace_id=other.pk))
    through.objects.bulk_create(named, batch_size=5000)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return {"officer": officers[0], "analyst": analyst}


def client_for(user) -> Client:
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.get(user=user).persistent_id
    session.save()
    return client


def measure(client: Client, url: str, n: int) -> tuple[float, float, int]:
    for _ in range(3):  # warm caches and the session
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
    times = []
    for _ in range(n):
        start = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200
    times.sort()
    p95 = times[min(len(times) - 1, round(0.95 * len(times)) - 1)]
    return statistics.median(times), p95, 0


def queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        client.get(url)
    return len(ctx.captured_queries)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small data set for CI")
    parser.add_argument(
        "--jit",
        choices=["server", "off"],
        default="server",
        help="PostgreSQL JIT: the server's setting, or off for this session (see the table)",
    )
    args = parser.parse_args()
    n_leads, n_workspaces, n_requests = (2000, 10, 10) if args.quick else (100_000, 50, 100)

    # No setup_test_environment(): it instruments template rendering (a deep copy of every
    # context for the test client's `response.context`), which would dominate the timings.
    # A database of its own: never the test suite's test_<name>, which may be in use.
    connection.settings_dict["TEST"]["NAME"] = "bench_lists"
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        with override_settings(
            PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
            ALLOWED_HOSTS=["testserver"],
            DEBUG=False,
        ):
            if args.jit == "off" and connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("SET jit = off")
            started = time.perf_counter()
            cast = fill(n_leads, n_workspaces)
            fill_s = time.perf_counter() - started
            surfaces = [
                ("officer", "my-leads page", "/leads/", "/leads/?page=2"),
                ("officer", "my-leads API", "/api/v1/leads/?mine=true&limit=10",
                 "/api/v1/leads/?mine=true&limit=100"),
                ("officer", "all-visible API", "/api/v1/leads/?limit=10",
                 "/api/v1/leads/?limit=100"),
                ("analyst", "my-leads page", "/leads/", "/leads/?page=2"),
                ("analyst", "review-queue page", "/leads/review/", "/leads/review/?page=2"),
                ("analyst", "review-queue API", "/api/v1/leads/review-queue/?limit=10",
                 "/api/v1/leads/review-queue/?limit=100"),
                ("analyst", "my-leads API", "/api/v1/leads/?mine=true&limit=10",
                 "/api/v1/leads/?mine=true&limit=100"),
            ]  # fmt: skip
            print(
                f"leads: {n_leads:,} across {n_workspaces} embassy workspaces and the police "
                f"on {connection.vendor}; "
                f"filled in {fill_s:.1f} s; {n_requests} requests per row; JIT: {args.jit}"
            )
            header = f"{'user':8} {'surface':18} {'p50 ms':>8} {'p95 ms':>8} {'queries':>12}  ok"
            print(header)
            print("-" * len(header))
            failed = False
            for who, label, url, bigger in surfaces:
                client = client_for(cast[who])
                p50, p95, _ = measure(client, url, n_requests)
                q_small, q_big = queries(client, url), queries(client, bigger)
                ok = q_small == q_big and (connection.vendor != "postgresql" or p95 < TARGET_P95_MS)
                failed |= q_small != q_big
                print(
                    f"{who:8} {label:18} {p50:8.1f} {p95:8.1f} {q_small:>5} / {q_big:<5} "
                    f"{'yes' if ok else 'NO'}"
                )
            print(
                f"target: p95 < {TARGET_P95_MS:.0f} ms on PostgreSQL; queries equal at both page "
                "sizes (10 vs 100 rows, or page 1 vs 2)"
            )
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
