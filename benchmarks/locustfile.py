"""The users of the load test (benchmarks/load.py runs this; it needs LOAD_FIXTURE).

50 liaison officers and 10 police analysts, each with its own API token
(`Authorization: Token <key>`), as scripts and integrations use the REST API under /api/v1/.
Between two tasks a user thinks for 1-3 s.

Officers submit IP reports (mostly a few at a time, now and then a longer list; about one
address in ten lies in a known compound's prefix, so the worker makes matches), submit leads
of every kind (a fifth of the phone numbers were already reported by another delegation), raise
freeze requests on some bank accounts, and read their lists, details, matches, search hits and
notifications.

Analysts work the review queue: list it, open a lead, read it, move it to "under review",
comment, then make it actionable or reject it with a reason; they action actionable leads,
follow the freeze queue (recording the bank's acknowledgement or freeze) and look at matches.
Each analyst takes the leads and freeze requests whose id falls in its own share (id modulo
the number of analysts), as a team splits a queue, so two analysts never race for one lead.
"""

from __future__ import annotations

import ipaddress
import itertools
import json
import os
import random
import time
from collections import deque
from datetime import UTC, datetime, timedelta
from pathlib import Path

import gevent
from locust import HttpUser, between, events, task

_path = os.environ.get("LOAD_FIXTURE", "")
if not _path:
    raise SystemExit("LOAD_FIXTURE is not set: run the load test with benchmarks/load.py")
FIXTURE = json.loads(Path(_path).read_text())
_officers = itertools.cycle(FIXTURE["officers"])
_analysts = itertools.cycle(enumerate(FIXTURE["analysts"]))
N_ANALYSTS = len(FIXTURE["analysts"])
WORKSPACES: list[str] = FIXTURE["workspaces"]
HIT_ADDRESSES: list[str] = FIXTURE["hit_addresses"]
PHONE_KEYS: list[str] = FIXTURE["phone_keys"]

# The first seconds (users arriving at 20 a second, each server thread opening its database
# connection) are not counted; their figures and any failure go to LOAD_WARMUP_OUT instead.
WARMUP_SECONDS = float(os.environ.get("LOAD_WARMUP_SECONDS", "0"))


@events.test_start.add_listener
def _schedule_warmup_end(environment, **_kwargs) -> None:
    if WARMUP_SECONDS > 0:
        gevent.spawn_later(WARMUP_SECONDS, _end_warmup, environment)


def _end_warmup(environment) -> None:
    total = environment.stats.total
    summary = {
        "seconds": WARMUP_SECONDS,
        "requests": total.num_requests,
        "failures": total.num_failures,
        "p50": total.get_response_time_percentile(0.5) if total.num_requests else 0,
        "p95": total.get_response_time_percentile(0.95) if total.num_requests else 0,
        "max": total.max_response_time if total.num_requests else 0,
        "errors": [
            f"{e.occurrences} x {e.method} {e.name}: {e.error}"
            for e in environment.stats.errors.values()
        ],
    }
    out = os.environ.get("LOAD_WARMUP_OUT")
    if out:
        Path(out).write_text(json.dumps(summary))
    environment.stats.reset_all()


CONTEXTS = ["scam_call", "chat", "victim_login", "scam_website", "other"]
BANKS = ["KBank", "SCB", "Bangkok Bank", "Krungthai", "ttb", "Krungsri"]
PLATFORMS = ["telegram", "whatsapp", "line", "facebook", "wechat"]
API = "/api/v1"


def public_ipv4(rng: random.Random) -> str:
    while True:
        ip = ipaddress.IPv4Address(rng.getrandbits(32))
        if ip.is_global and not ip.is_multicast:
            return str(ip)


def audience(rng: random.Random, own: str) -> dict:
    """Mostly owner + police; now and then all workspaces, a named one, or owner only."""
    roll = rng.random()
    if roll < 0.05:
        return {"audience": "all", "tlp": "green"}
    if roll < 0.10:
        other = rng.choice([w for w in WORKSPACES if w != own])
        return {"audience": "named", "shared_with": [other]}
    if roll < 0.15:
        return {"audience": "owner"}
    return {"audience": "police"}


class ApiUser(HttpUser):
    abstract = True
    wait_time = between(1, 3)

    def login(self, token: str) -> None:
        self.client.headers["Authorization"] = f"Token {token}"
        self.client.headers["Accept"] = "application/json"
        self.client.get(f"{API}/me/", name=f"GET {API}/me/")

    def ids(self, response) -> list[int]:
        try:
            return [row["id"] for row in response.json()["results"]]
        except (ValueError, KeyError, TypeError):
            return []

    # Both kinds of user search leads and read their notices (inherited by each).
    @task(1)
    def search(self) -> None:
        self.client.get(
            f"{API}/leads/search/",
            params={"q": self.rng.choice(PHONE_KEYS)},
            name=f"GET {API}/leads/search/?q=",
        )

    @task(1)
    def notifications(self) -> None:
        self.client.get(f"{API}/notifications/?limit=20", name=f"GET {API}/notifications/")


class Officer(ApiUser):
    fixed_count = 50

    def on_start(self) -> None:
        cred = next(_officers)
        self.workspace = cred["workspace"]
        self.rng = random.Random(cred["email"])
        self.report_ids: deque[int] = deque(maxlen=200)
        self.lead_ids: deque[int] = deque(maxlen=200)
        self.login(cred["token"])

    # --- writes ---

    @task(4)
    def submit_ip_reports(self) -> None:
        rng = self.rng
        n = rng.randint(1, 5) if rng.random() < 0.85 else rng.randint(20, 100)
        now = datetime.now(UTC)
        rows = []
        for _ in range(n):
            address = rng.choice(HIT_ADDRESSES) if rng.random() < 0.1 else public_ipv4(rng)
            row = {
                "address": address,
                "seen_at": (now - timedelta(minutes=rng.randrange(5, 3 * 24 * 60))).isoformat(),
                "context": rng.choice(CONTEXTS),
            }
            if rng.random() < 0.3:
                row["port"] = rng.choice([443, 80, 8080, 5060])
            rows.append(row)
        body = {"reports": rows, **audience(rng, self.workspace)}
        name = f"POST {API}/ip-reports/ (" + ("1-5 rows)" if n <= 5 else "20-100 rows)")
        with self.client.post(
            f"{API}/ip-reports/", json=body, name=name, catch_response=True
        ) as response:
            if response.status_code not in (200, 201):
                response.failure(f"{response.status_code}: {response.text[:200]}")
                return
            data = response.json()
            if data["errors"]:
                response.failure(f"row errors: {data['errors'][:3]}")
                return
            self.report_ids.extend(data["created"])

    @task(2)
    def submit_lead(self) -> None:
        rng = self.rng
        kind = rng.choices(
            ["phone", "bank_account", "crypto_wallet", "domain", "handle"], [50, 15, 10, 10, 15]
        )[0]
        if kind == "phone":
            number = (
                rng.choice(PHONE_KEYS)
                if rng.random() < 0.2
                else f"+66 8{rng.randrange(10)} {rng.randrange(10**7):07d}"
            )
            fields = {"number": number}
        elif kind == "bank_account":
            fields = {
                "bank": rng.choice(BANKS),
                "account_number": f"{rng.randrange(10**10):010d}",
                "holder_name": "Unknown holder",
            }
        elif kind == "crypto_wallet":
            fields = {"chain": "ETH", "address": "0x" + rng.randbytes(20).hex()}
        elif kind == "domain":
            fields = {"url": f"https://invest-{rng.randrange(10**6)}.example-scam.com/login"}
        else:
            fields = {"platform": rng.choice(PLATFORMS), "handle": f"@agent_{rng.randrange(10**6)}"}
        body = {
            "kind": kind,
            "fields": fields,
            "reliability": rng.choice("ABC"),
            "grade": rng.choice("123"),
            "description": "Reported by a victim who escaped the compound.",
            **audience(rng, self.workspace),
        }
        response = self.client.post(f"{API}/leads/", json=body, name=f"POST {API}/leads/")
        if response.status_code != 201:
            return
        lead = response.json()
        self.lead_ids.append(lead["id"])
        if kind == "bank_account" and rng.random() < 0.4:
            self.client.post(
                f"{API}/freeze-requests/",
                json={"lead": lead["id"], "bank_reference": ""},
                name=f"POST {API}/freeze-requests/",
            )

    # --- reads ---

    @task(3)
    def my_reports(self) -> None:
        state = "&state=matched" if self.rng.random() < 0.25 else ""
        response = self.client.get(
            f"{API}/ip-reports/?mine=true&limit=50{state}",
            name=f"GET {API}/ip-reports/?mine=true" + (" (matched)" if state else ""),
        )
        self.report_ids.extend(self.ids(response))

    @task(2)
    def report_detail(self) -> None:
        if self.report_ids:
            pk = self.rng.choice(self.report_ids)
            self.client.get(f"{API}/ip-reports/{pk}/", name=f"GET {API}/ip-reports/{{id}}/")

    @task(2)
    def my_leads(self) -> None:
        response = self.client.get(
            f"{API}/leads/?mine=true&limit=50", name=f"GET {API}/leads/?mine=true"
        )
        self.lead_ids.extend(self.ids(response))

    @task(1)
    def visible_leads(self) -> None:
        response = self.client.get(f"{API}/leads/?limit=50", name=f"GET {API}/leads/ (all visible)")
        self.lead_ids.extend(self.ids(response)[:10])

    @task(2)
    def lead_detail(self) -> None:
        if self.lead_ids:
            pk = self.rng.choice(self.lead_ids)
            self.client.get(f"{API}/leads/{pk}/", name=f"GET {API}/leads/{{id}}/")

    @task(1)
    def matches(self) -> None:
        self.client.get(f"{API}/ip-matches/?limit=50", name=f"GET {API}/ip-matches/")


class Analyst(ApiUser):
    fixed_count = 10

    def on_start(self) -> None:
        self.index, cred = next(_analysts)
        self.rng = random.Random(cred["email"])
        self.login(cred["token"])

    def mine(self, ids: list[int]) -> list[int]:
        return [pk for pk in ids if pk % N_ANALYSTS == self.index]

    def read(self, low: float = 0.5, high: float = 2.0) -> None:
        """Reading the lead before acting on it (gevent-friendly under locust)."""
        time.sleep(self.rng.uniform(low, high))

    def queue_page(self, status: str) -> list[int]:
        for offset in (0, 50, 100):
            response = self.client.get(
                f"{API}/leads/review-queue/?status={status}&limit=50&offset={offset}",
                name=f"GET {API}/leads/review-queue/?status=",
            )
            mine = self.mine(self.ids(response))
            if mine:
                return mine
        return []

    def transition(self, pk: int, to_status: str, reason: str = "") -> bool:
        response = self.client.post(
            f"{API}/leads/{pk}/transition/",
            json={"to_status": to_status, "reason": reason},
            name=f"POST {API}/leads/{{id}}/transition/",
        )
        return response.status_code == 200

    @task(5)
    def review_a_lead(self) -> None:
        """Open the oldest new lead of one's share, review it, comment, decide."""
        mine = self.queue_page("new")
        if not mine:
            return
        pk = mine[0]
        self.client.get(f"{API}/leads/{pk}/", name=f"GET {API}/leads/{{id}}/")
        self.read()
        if not self.transition(pk, "under_review"):
            return
        self.read()
        self.client.post(
            f"{API}/leads/{pk}/comment/",
            json={"text": "Checked against the bank's and the carrier's records."},
            name=f"POST {API}/leads/{{id}}/comment/",
        )
        self.read()
        if self.rng.random() < 0.7:
            self.transition(pk, "actionable")
        else:
            self.transition(pk, "rejected", reason="Not enough to act on; no second source.")

    @task(2)
    def browse_queue(self) -> None:
        self.client.get(
            f"{API}/leads/review-queue/?limit=50", name=f"GET {API}/leads/review-queue/"
        )

    @task(1)
    def action_a_lead(self) -> None:
        mine = self.queue_page("actionable")
        if mine:
            pk = mine[0]
            self.client.get(f"{API}/leads/{pk}/", name=f"GET {API}/leads/{{id}}/")
            self.read()
            self.transition(pk, "actioned")

    @task(2)
    def freeze_queue(self) -> None:
        response = self.client.get(
            f"{API}/freeze-requests/?limit=50", name=f"GET {API}/freeze-requests/"
        )
        try:
            rows = response.json()["results"]
        except (ValueError, KeyError, TypeError):
            return
        nxt = {"requested": "acknowledged", "acknowledged": "frozen"}
        todo = [r for r in rows if r["state"] in nxt and r["id"] % N_ANALYSTS == self.index]
        if todo and self.rng.random() < 0.5:
            row = todo[0]
            self.read()
            self.client.patch(
                f"{API}/freeze-requests/{row['id']}/",
                json={"state": nxt[row["state"]], "bank_reference": f"REF-{row['id']}"},
                name=f"PATCH {API}/freeze-requests/{{id}}/",
            )

    @task(2)
    def matches(self) -> None:
        response = self.client.get(f"{API}/ip-matches/?limit=50", name=f"GET {API}/ip-matches/")
        ids = self.ids(response)
        if ids:
            pk = self.rng.choice(ids)
            self.client.get(f"{API}/ip-matches/{pk}/", name=f"GET {API}/ip-matches/{{id}}/")
